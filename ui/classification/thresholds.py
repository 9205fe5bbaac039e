"""Thresholds section: edit the scoring thresholds, preview who would change class, apply, or recompute."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from crm.classification.rfm import COMPUTED_DIMENSIONS, Thresholds
from crm.classification.service import (
    ThresholdPreview,
    apply_thresholds,
    preview_thresholds,
    read_thresholds,
    recompute,
)
from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.classification import keys
from ui.classification.labels import class_label
from ui.classification.reads import clear_classification_reads
from ui.i18n import date, money, number, t
from ui.state import company_today
from ui.widgets import data_table, error_boundary, field_error, form_token, run_action

SEVERITIES = ("low", "medium", "high", "critical")


@st.fragment
def thresholds_section(sessions: Sessions, actor: Actor) -> None:
    """The thresholds form, the preview it asks for with Apply, and Recompute; a preview redraws only this."""
    with error_boundary("classification thresholds"):
        current = read_thresholds(sessions, actor=actor)
        asked = _thresholds_form(current)
        if asked is not None:
            proposal, as_of = asked
            preview = run_action(
                keys.THRESHOLDS_FORM,
                lambda: preview_thresholds(sessions, actor=actor, thresholds=proposal, as_of=as_of),
            )
            if preview is not None:
                st.session_state[keys.THRESHOLDS_PREVIEW] = preview
                st.session_state[keys.THRESHOLDS_PREVIEW_BASE] = current
        done_message = st.session_state.pop(keys.THRESHOLDS_DONE, None)
        if done_message:
            st.success(done_message)
        preview = st.session_state.get(keys.THRESHOLDS_PREVIEW)
        if preview is not None:
            _preview(sessions, actor, preview)
        st.divider()
        _recompute_button(sessions, actor)


def _band_inputs(name: str, values: tuple[int, ...], step: int) -> tuple[int, ...]:
    """Four number inputs: the lower bound of scores 5, 4, 3 and 2 of one RFM measure."""
    columns = st.columns(4)
    return tuple(
        int(
            columns[i].number_input(
                f"{t(f'classification.page.thr.{name}')} → {5 - i}",
                min_value=0,
                value=int(values[i]),
                step=step,
                key=f"classification_thr_{name}_{i}",
            )
        )
        for i in range(4)
    )


def _thresholds_form(current: Thresholds) -> tuple[Thresholds, dt.date] | None:
    """The form of every threshold, filled with the current ones; returns the proposal and its day when submitted."""
    form = keys.THRESHOLDS_FORM
    with st.form(form):
        mode = st.radio(
            t("classification.page.mode"),
            ["bands", "quantile"],
            horizontal=True,
            index=1 if current.mode == "quantile" else 0,
            format_func=lambda m: t(f"classification.page.mode.{m}"),
            key="classification_thr_mode",
        )
        st.caption(t("classification.page.bands_help"))
        recency = _band_inputs("recency_days", current.recency_days, 1)
        field_error(form, "recency_days")
        frequency = _band_inputs("frequency", current.frequency, 1)
        field_error(form, "frequency")
        monetary = _band_inputs("monetary", current.monetary, 1000)
        field_error(form, "monetary")
        c1, c2, c3 = st.columns(3)
        tier_high = c1.number_input(
            t("classification.page.thr.tier_high"), 3, 15, current.tier_high, key="classification_thr_tier_high"
        )
        tier_medium = c2.number_input(
            t("classification.page.thr.tier_medium"), 3, 15, current.tier_medium, key="classification_thr_tier_medium"
        )
        share = c3.number_input(
            t("classification.page.thr.key_share"),
            1.0,
            99.0,
            float(current.key_share_percent),
            step=5.0,
            key="classification_thr_share",
        )
        field_error(form, "tier_medium")
        c1, c2, c3 = st.columns(3)
        new_days = c1.number_input(
            t("classification.page.thr.new_days"), 0, 3650, current.new_within_days, key="classification_thr_new_days"
        )
        new_orders = c2.number_input(
            t("classification.page.thr.new_orders"),
            1,
            100,
            current.new_below_orders,
            key="classification_thr_new_orders",
        )
        window = c3.number_input(
            t("classification.page.thr.credit_window"),
            1,
            3650,
            current.credit_window_days,
            key="classification_thr_window",
        )
        c1, c2 = st.columns(2)
        credit_high = c1.number_input(
            t("classification.page.thr.credit_high"),
            0.5,
            100.0,
            float(current.credit_high),
            step=0.5,
            key="classification_thr_credit_high",
        )
        credit_medium = c2.number_input(
            t("classification.page.thr.credit_medium"),
            0.5,
            100.0,
            float(current.credit_medium),
            step=0.5,
            key="classification_thr_credit_medium",
        )
        field_error(form, "credit_medium")
        complaint_columns = st.columns(4)
        complaint_points = tuple(
            float(
                complaint_columns[i].number_input(
                    t("classification.page.thr.complaint", severity=t(f"severity.{s}")),
                    0.0,
                    100.0,
                    float(current.complaint_points[i]),
                    step=0.5,
                    key=f"classification_thr_complaint_{s}",
                )
            )
            for i, s in enumerate(SEVERITIES)
        )
        as_of = st.date_input(t("classification.page.as_of"), value=company_today(), key="classification_thr_as_of")
        clicked = st.form_submit_button(t("classification.page.preview"), type="primary")
    if not clicked:
        return None
    proposal = Thresholds(
        mode=mode,
        recency_days=recency,
        frequency=frequency,
        monetary=monetary,  # type: ignore[arg-type]
        tier_high=int(tier_high),
        tier_medium=int(tier_medium),
        key_share_percent=float(share),
        new_within_days=int(new_days),
        new_below_orders=int(new_orders),
        credit_high=float(credit_high),
        credit_medium=float(credit_medium),
        credit_window_days=int(window),
        complaint_points=complaint_points,
    )  # type: ignore[arg-type]
    return proposal, as_of  # type: ignore[return-value]


def _preview(sessions: Sessions, actor: Actor, preview: ThresholdPreview) -> None:
    """Who would change class under the proposed thresholds, per dimension and per customer, and Apply."""
    st.subheader(
        t(
            "classification.page.preview_title",
            n=number(preview.movers_total),
            customers=number(preview.customers),
            as_of=date(preview.as_of),
        )
    )
    st.caption(
        t("classification.page.preview_counts", n=number(preview.movers_total), changes=number(preview.class_changes))
    )
    st.caption(
        t(
            "classification.page.bands_used",
            r=", ".join(f"{v:g}" for v in preview.bands.recency),
            f=", ".join(f"{v:g}" for v in preview.bands.frequency),
            m=", ".join(money(v / 100) for v in preview.bands.monetary_cents),
        )
    )
    st.caption(t("classification.page.matrix_help"))
    matrix_columns = st.columns(2)
    for index, moved_dimension in enumerate(COMPUTED_DIMENSIONS):
        with matrix_columns[index % 2]:
            st.markdown(f"**{t(f'classification.dimension.{moved_dimension}')}**")
            if not preview.transitions[moved_dimension]:
                st.info(t("common.no_rows"))
                continue
            data_table(
                _transition_matrix(moved_dimension, preview.transitions[moved_dimension]),
                hide_index=True,
                width="stretch",
            )
    if preview.movers:
        st.markdown(f"**{t('classification.page.movers')}**")
        data_table(
            pd.DataFrame(
                [
                    {
                        t("classification.page.col.code"): m["code"],
                        t("classification.page.col.name"): m["name"],
                        t("classification.page.col.owner"): m["owner"] or "",
                        **{
                            t(f"classification.dimension.{d}"): (
                                f"{class_label(d, m[f'{d}_from'])} → {class_label(d, m[f'{d}_to'])}"
                                if m[f"{d}_from"] != m[f"{d}_to"]
                                else class_label(d, m[f"{d}_to"])
                            )
                            for d in COMPUTED_DIMENSIONS
                        },
                    }
                    for m in preview.movers
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    if st.button(t("classification.page.apply"), key=keys.APPLY, type="primary"):
        applied = run_action(
            keys.APPLY,
            lambda: apply_thresholds(
                sessions,
                actor=actor,
                thresholds=preview.thresholds,
                as_of=preview.as_of,
                base=st.session_state.get(keys.THRESHOLDS_PREVIEW_BASE),
                token=form_token(keys.APPLY),
            ),
        )
        if applied is not None:
            # Rerun the whole page (the last-run caption at its top included) so that it shows the new classes,
            # and the preview and its Apply button are gone.
            st.session_state.pop(keys.THRESHOLDS_PREVIEW, None)
            st.session_state[keys.THRESHOLDS_DONE] = t(
                "classification.page.applied",
                customers=number(applied.reclassified),
                changes=number(applied.class_changes),
                seconds=f"{applied.seconds:.1f}",
            )
            clear_classification_reads()
            st.rerun(scope="app")


def _transition_matrix(dimension: str, moves: list[dict[str, Any]]) -> pd.DataFrame:
    """A preview's from x to table of one dimension: a "From (now)" column, then one "To: class" column per class."""
    frame = pd.DataFrame(moves)
    matrix = frame.pivot_table(index="from", columns="to", values="customers", aggfunc="sum", fill_value=0)
    table = pd.DataFrame({t("classification.page.matrix_from"): [class_label(dimension, v) for v in matrix.index]})
    for to in matrix.columns:
        table[t("classification.page.matrix_to", label=class_label(dimension, to))] = matrix[to].to_numpy()
    return table


def _recompute_button(sessions: Sessions, actor: Actor) -> None:
    """Recompute every customer's classes now, with the current thresholds."""
    if not st.button(t("classification.page.recompute"), key=keys.RECOMPUTE):
        return
    done = run_action(keys.RECOMPUTE, lambda: recompute(sessions, actor=actor, token=form_token(keys.RECOMPUTE)))
    if done is not None:
        # A preview made before the run compared against the classes it replaced: drop it.
        st.session_state.pop(keys.THRESHOLDS_PREVIEW, None)
        st.session_state[keys.THRESHOLDS_DONE] = t(
            "classification.page.recomputed",
            customers=number(done.customers),
            moved=number(done.reclassified),
            changes=number(done.class_changes),
            seconds=f"{done.seconds:.1f}",
        )
        clear_classification_reads()
        st.rerun(scope="app")
