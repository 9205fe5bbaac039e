"""The KPI screens' cached reads, keyed by their arguments (the actor, the period, the filters) and the database's
data version, and the one function that forgets them.

Each public read asks for the data version first (crm.platform.audit.data_version: two index reads, read once per
rerun of the session: app.py forgets it at the start of every run): a save on any app server changes it, so a
manager's next rerun recomputes what the save may have moved while an unchanged database is answered from the
cache (a warm rerun costs those two reads)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import partial
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from crm.complaints import list_departments
from crm.customers.service import Choice, owner_choices
from crm.kpis import (
    CODES,
    KPI_GROUPS,
    KpiFilters,
    KpiValue,
    Overview,
    Period,
    compute_kpis,
    drill_down,
    overview,
)
from crm.kpis.chart_specs import CHART_BY_NAME
from crm.kpis.snapshots import kpi_series
from crm.kpis.targets import TargetView, list_targets, targets_for
from crm.platform.audit import data_version
from crm.platform.parallel import run_together, sharing
from crm.platform.permissions import Actor
from ui.state import get_sessions

# Figures keyed by the data version never go stale; the limit only bounds the memory kept for old versions.
KPI_TTL_SECONDS = 3_600
_VERSION_KEY = "kpi_data_version"


def forget_data_version() -> None:
    """At the start of every run: the next KPI read of this rerun reads the data version again."""
    st.session_state.pop(_VERSION_KEY, None)


def _version() -> tuple[int, int]:
    version = st.session_state.get(_VERSION_KEY)
    if version is None:
        version = data_version(get_sessions())
        st.session_state[_VERSION_KEY] = version
    return tuple(version)


@st.cache_data(ttl=KPI_TTL_SECONDS, show_spinner=False)
def _overview_read(actor: Actor, version: tuple[int, int]) -> Overview:
    """The overview's headline figures visible to the actor."""
    return overview(get_sessions(), actor=actor)


def cached_overview(actor: Actor) -> Overview:
    return _overview_read(actor, _version())


@st.cache_data(ttl=KPI_TTL_SECONDS, show_spinner=False)
def _kpi_group_read(
    actor: Actor, period: Period, filters: KpiFilters, group: tuple[str, ...], version: tuple[int, int]
) -> dict[str, KpiValue]:
    """One group of KPIs (crm.kpis.KPI_GROUPS: those sharing their reads) of the period for the filtered customers."""
    return compute_kpis(get_sessions(), actor=actor, period=period, filters=filters, codes=group)


def _groups() -> list[tuple[str, ...]]:
    return [tuple(sorted(group)) for group in KPI_GROUPS]


def cached_kpis(actor: Actor, period: Period, filters: KpiFilters) -> dict[str, KpiValue]:
    """Every KPI of the period for the filtered customers, in display order: each group cached on its own, so that
    prefetch_dashboard can compute the groups at once."""
    values: dict[str, KpiValue] = {}
    for group in _groups():
        values.update(_kpi_group_read(actor, period, filters, group, _version()))
    return {code: values[code] for code in CODES if code in values}


@st.cache_data(ttl=KPI_TTL_SECONDS, show_spinner=False)
def _drill_read(
    actor: Actor,
    code: str,
    key: str | None,
    period: Period,
    filters: KpiFilters,
    page: int,
    page_size: int,
    version: tuple[int, int],
) -> tuple[list[dict[str, Any]], int]:
    """One page of what a figure or a chart's bar counts, and how many there are."""
    return drill_down(
        get_sessions(),
        actor=actor,
        code=code,
        period=period,
        filters=filters,
        page=page,
        page_size=page_size,
        key=key,
    )


def cached_drill(
    actor: Actor, code: str, key: str | None, period: Period, filters: KpiFilters, page: int, page_size: int
) -> tuple[list[dict[str, Any]], int]:
    return _drill_read(actor, code, key, period, filters, page, page_size, _version())


@st.cache_data(ttl=KPI_TTL_SECONDS, show_spinner=False)
def _owner_choices_read(actor: Actor, version: tuple[int, int]) -> list[Choice]:
    """The people who may own customers (the owner filter)."""
    return owner_choices(get_sessions(), actor=actor)


def cached_owner_choices(actor: Actor) -> list[Choice]:
    return _owner_choices_read(actor, _version())


@st.cache_data(ttl=KPI_TTL_SECONDS, show_spinner=False)
def _department_choices_read(actor: Actor, language: str, version: tuple[int, int]) -> list[tuple[int, str]]:
    """(id, name in the language) of every department, archived ones too (their customers still count)."""
    return [(d.id, d.label(language)) for d in list_departments(get_sessions(), actor=actor, include_archived=True)]


def cached_department_choices(actor: Actor, language: str) -> list[tuple[int, str]]:
    return _department_choices_read(actor, language, _version())


@st.cache_data(ttl=KPI_TTL_SECONDS, show_spinner=False)
def _target_list_read(actor: Actor, period_key: str, version: tuple[int, int]) -> list[TargetView]:
    """The targets set for one month or quarter."""
    return list_targets(get_sessions(), actor=actor, period_key=period_key)


def cached_target_list(actor: Actor, period_key: str) -> list[TargetView]:
    return _target_list_read(actor, period_key, _version())


@st.cache_data(ttl=KPI_TTL_SECONDS, show_spinner=False)
def _targets_read(actor: Actor, period: Period, version: tuple[int, int]) -> dict[str, Decimal]:
    """The targets a period's figures are held to (a month takes its quarter's where it has none)."""
    return targets_for(get_sessions(), period)


def cached_targets(actor: Actor, period: Period) -> dict[str, Decimal]:
    return _targets_read(actor, period, _version())


@st.cache_data(ttl=KPI_TTL_SECONDS, show_spinner=False)
def _chart_data_read(actor: Actor, name: str, period: Period, filters: KpiFilters, version: tuple[int, int]) -> Any:
    """The data one chart of the dashboard draws."""
    return CHART_BY_NAME[name].data(get_sessions(), actor=actor, period=period, filters=filters)


def cached_chart_data(actor: Actor, name: str, period: Period, filters: KpiFilters) -> Any:
    return _chart_data_read(actor, name, period, filters, _version())


@st.cache_data(ttl=KPI_TTL_SECONDS, show_spinner=False)
def _chart_spec_read(
    actor: Actor, name: str, period: Period, filters: KpiFilters, language: str, version: tuple[int, int]
) -> tuple[dict[str, Any], bool]:
    """One chart's Vega-Lite spec (clickable) in the language, and whether its bars can be clicked: built by Altair
    once, not on every rerun. Not validated against the schema here (a tenth of a second of a cold page, all of it
    holding the interpreter the page's other reads wait for): tests/crm/kpis/test_drill_and_charts.py validates
    every chart's spec, clickable or not, in both languages."""
    chart = CHART_BY_NAME[name]
    part = chart.build(cached_chart_data(actor, name, period, filters), language, True)
    return part.chart.to_dict(validate=False), part.clickable


def cached_chart_spec(
    actor: Actor, name: str, period: Period, filters: KpiFilters, language: str
) -> tuple[dict[str, Any], bool]:
    return _chart_spec_read(actor, name, period, filters, language, _version())


@st.cache_data(ttl=KPI_TTL_SECONDS, show_spinner=False)
def _series_read(
    actor: Actor, code: str, months: tuple[dt.date, ...], filters: KpiFilters, frozen: bool, version: tuple[int, int]
) -> Any:
    """A KPI month by month, frozen month-end values where kept (frozen=True), else live ones."""
    return kpi_series(get_sessions(), actor=actor, code=code, months=list(months), filters=filters, frozen=frozen)


def cached_series(actor: Actor, code: str, months: tuple[dt.date, ...], filters: KpiFilters, frozen: bool) -> Any:
    return _series_read(actor, code, months, filters, frozen, _version())


def prefetch_dashboard(actor: Actor, period: Period, filters: KpiFilters, language: str, charts: Sequence[str]) -> None:
    """Fill the cache with the dashboard's reads for the view at once (the cards' two periods, the targets, the open
    charts tab's charts), before the page draws them one by one from it: a cold page then waits for the slowest
    share of its reads, not for their sum. A read that fails here is left to the page, which runs it again inside
    its own error boundary and shows the error there."""
    context = get_script_run_ctx()
    version = _version()  # read once, here: the workers share it through the session state
    calls: list[Callable[[], Any]] = [
        *(
            partial(_kpi_group_read, actor, shown, filters, group, version)
            for shown in (period, period.previous())
            for group in _groups()
        ),
        partial(cached_targets, actor, period),
        *(partial(cached_chart_spec, actor, name, period, filters, language) for name in charts),
    ]
    # Each worker lends itself the run's context: the cached reads and the session state are this session's.
    # What several of them read alike (the same instants' stage events, the same revenue window) is read once.
    with sharing():
        run_together(calls, initializer=None if context is None else partial(add_script_run_ctx, None, context))


def clear_kpi_reads() -> None:
    """Forget the KPI figures: after a write to customers, orders, complaints, follow-ups, surveys or targets."""
    for read in (
        _overview_read,
        _kpi_group_read,
        _drill_read,
        _owner_choices_read,
        _department_choices_read,
        _target_list_read,
        _targets_read,
        _chart_data_read,
        _chart_spec_read,
        _series_read,
    ):
        read.clear()
    forget_data_version()
