"""The targets editor (managers and admins): a KPI's target for a month or a quarter, and the targets set for it
beside the figures they are held to."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st

from crm.kpis import KPI_BY_CODE, KPIS, KpiDefinition, Period
from crm.kpis.report import format_value
from crm.kpis.targets import set_target, status
from crm.platform.permissions import Actor
from ui.i18n import lang, lang_key, t
from ui.kpis import keys
from ui.kpis.filters import current_view
from ui.kpis.reads import cached_kpis, cached_target_list
from ui.reads import clear_after
from ui.state import company_today, get_sessions
from ui.widgets import data_table, field_error, form_errors, form_token, run_action

FORM = "dashboard_target_form"
PERCENT_UNITS = {"rate"}  # typed as a percentage (90 for 90%), kept as a share (0.9)


def _period_keys(today: dt.date) -> list[str]:
    """This quarter and the next, their months, then the four quarters before: the periods a target is set for."""
    quarter = Period.quarter(today.year, (today.month - 1) // 3 + 1)
    following = quarter.end + dt.timedelta(days=1)
    quarters = [quarter, Period.quarter(following.year, (following.month - 1) // 3 + 1)]
    keys_: list[str] = []
    for q in quarters:
        keys_.append(q.key())
        keys_ += [f"{m.year:04d}-{m.month:02d}" for m in q.months()]
    before = quarter
    for _ in range(4):
        before = before.previous()
        keys_.append(before.key())
    return keys_


def _default_period(view_period: Period, options: list[str]) -> str:
    key = view_period.key()
    if view_period.kind in ("month", "quarter") and key in options:
        return key
    return options[0]


def _typed(definition: KpiDefinition, value: Any) -> Any:
    """The value a manager types, as set_target keeps it (a percentage becomes a share)."""
    if value is None:
        return None
    return Decimal(str(value)) / 100 if definition.unit in PERCENT_UNITS else value


def targets_section(actor: Actor) -> None:
    """Pick a period, see its targets against the figures, and set one KPI's target."""
    view = current_view()
    today = company_today()
    options = _period_keys(today)
    default = _default_period(view.period, options)
    if keys.TARGETS_PERIOD not in st.session_state or st.session_state[keys.TARGETS_PERIOD] not in options:
        st.session_state[keys.TARGETS_PERIOD] = default
    period_key = st.selectbox(
        t("dashboard.targets.period"),
        options,
        key=keys.TARGETS_PERIOD,
        format_func=lambda k: Period.parse(k).label(lang()),
    )
    period = Period.parse(period_key)
    st.caption(t("dashboard.targets.rule"))
    _targets_table(actor, period, view.filters)
    if actor.can("kpi.targets"):
        _target_form(actor, period_key)


def _targets_table(actor: Actor, period: Period, filters: Any) -> None:
    targets = {row.kpi: row for row in cached_target_list(actor, period.key())}
    if not targets:
        st.info(t("dashboard.targets.none"), icon=":material/flag:")
        return
    values = cached_kpis(actor, period, filters)
    language = lang()
    rows = []
    for code, row in targets.items():
        definition = KPI_BY_CODE[code]
        value = values.get(code)
        mark = status(value.value if value else None, row.target, definition.higher_is_better)
        rows.append(
            {
                t("dashboard.targets.kpi"): t(definition.label_key),
                t("kpis.target"): format_value(definition, row.target, language),
                t("dashboard.targets.figure"): format_value(definition, value.value if value else None, language),
                t("dashboard.targets.status"): t(f"kpis.status.{mark}") if mark else t("common.none"),
            }
        )
    data_table(pd.DataFrame(rows), hide_index=True, width="stretch")


def _target_form(actor: Actor, period_key: str) -> None:
    settable = [k.code for k in KPIS]
    with st.form(FORM, border=True):
        st.markdown(f"**{t('dashboard.targets.set', period=Period.parse(period_key).label(lang()))}**")
        left, right = st.columns([2, 1], vertical_alignment="bottom")
        code = left.selectbox(
            t("dashboard.targets.kpi"),
            settable,
            format_func=lambda c: t(KPI_BY_CODE[c].label_key),
            key=lang_key(f"{FORM}_kpi"),
        )
        field_error(FORM, "kpi")
        value = right.number_input(
            t("dashboard.targets.value"), min_value=None, value=None, step=1.0, key=f"{FORM}_value"
        )
        field_error(FORM, "target")
        st.caption(t("dashboard.targets.units"))
        form_errors(FORM)
        submitted = st.form_submit_button(t("dashboard.targets.save"), type="primary")
    if not submitted:
        return
    definition = KPI_BY_CODE[code]
    current = {row.kpi: row for row in cached_target_list(actor, period_key)}.get(code)
    saved = run_action(
        FORM,
        lambda: set_target(
            get_sessions(),
            actor=actor,
            kpi=code,
            period_key=period_key,
            value=_typed(definition, value),
            version=current.version if current else None,
            token=form_token(FORM),
        ),
        success=t("dashboard.targets.saved"),
    )
    if saved is not None:
        clear_after("kpi_target")
        st.rerun()
