"""Distribution section: customers by class in every dimension, a drill-down into one class, and bulk setting."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from crm.classification.judged import set_judged
from crm.classification.reads import DISTRIBUTION_DIMENSIONS, visible_customers
from crm.platform.permissions import Actor
from crm.platform.vocab import CHURN_REASONS, IMPORTANCE, NEED_TYPES, STAGES
from db.engine import Sessions
from ui.classification import keys
from ui.classification.charts import distribution_chart
from ui.classification.labels import class_label
from ui.classification.reads import cached_class_page, cached_distribution, cached_grid, clear_classification_reads
from ui.i18n import t
from ui.state import company_today
from ui.widgets import data_table, error_boundary, field_error, form_token, pager, run_action

PAGE_SIZE = 50


def distribution_section(sessions: Sessions, actor: Actor) -> None:
    """Draw a chart per dimension, then the drill-down into one class and the bulk form."""
    counts = cached_distribution(actor)
    if sum(counts["lifecycle_stage"].values()) == 0:
        st.info(t("home.empty"))
        counts = {}
    else:
        st.caption(t("classification.page.click_hint"))
        columns = st.columns(2)
        for index, dimension in enumerate(DISTRIBUTION_DIMENSIONS):
            with columns[index % 2]:
                distribution_chart(dimension, counts[dimension])
    _drill_down_and_bulk(sessions, actor, counts)


@st.fragment
def _drill_down_and_bulk(sessions: Sessions, actor: Actor, counts: dict[str, dict[str, int]]) -> None:
    """The drill-down table and the bulk form under it: picking rows or applying redraws only this part."""
    rows: list[dict[str, Any]] = []
    selected: list[int] = []
    with error_boundary("classification drill-down"):
        if counts:
            rows, selected = _drill_down(actor, counts)
    if actor.can("customers.edit_own"):
        with error_boundary("classification bulk"):
            _bulk_form(sessions, actor, rows, selected)


def _drill_down(actor: Actor, counts: dict[str, dict[str, int]]) -> tuple[list[dict[str, Any]], list[int]]:
    """A dimension and class picker and that class's customers; returns the rows shown and the ids selected."""
    st.subheader(t("classification.page.drill_title"))
    left, right = st.columns(2)
    dimensions = [*DISTRIBUTION_DIMENSIONS, "rfm_cell"]
    if st.session_state.get(keys.DRILL_DIMENSION) not in dimensions:
        st.session_state[keys.DRILL_DIMENSION] = "value_tier"
    dimension = left.selectbox(
        t("classification.page.drill_dimension"),
        dimensions,
        key=keys.DRILL_DIMENSION,
        format_func=lambda d: (
            t("classification.page.rfm_grid") if d == "rfm_cell" else t(f"classification.dimension.{d}")
        ),
    )
    if dimension == "rfm_cell":
        options = [f"{c['r']}-{c['f']}" for c in cached_grid(actor)]
    else:
        options = list(counts[dimension])
    if not options:
        return [], []
    if st.session_state.get(keys.DRILL_VALUE) not in options:
        st.session_state[keys.DRILL_VALUE] = options[0]
    value = right.selectbox(
        t("classification.page.drill_value"),
        options,
        key=keys.DRILL_VALUE,
        format_func=lambda v: class_label(dimension, v),
    )
    page = st.session_state.get(keys.DRILL_PAGE, 1) - 1
    rows, total = cached_class_page(actor, dimension, value, page, PAGE_SIZE)
    selected: list[int] = []
    if rows:
        event = data_table(
            _customers_frame(rows),
            hide_index=True,
            width="stretch",
            on_select="rerun",
            selection_mode="multi-row",
            key=keys.DRILL_TABLE,
        )
        selected = [rows[i]["id"] for i in event.selection.rows if i < len(rows)]
        if actor.can("customers.edit_own"):
            st.caption(t("classification.page.selected_for_bulk", n=len(selected)))
    else:
        st.info(t("common.no_rows"))
    pager(keys.DRILL_PAGE, total, PAGE_SIZE)
    return rows, selected


def _customers_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Columns of a class drill-down table, translated."""
    return pd.DataFrame(
        [
            {
                t("classification.page.col.code"): r["code"],
                t("classification.page.col.name"): r["name"],
                t("classification.page.col.owner"): r["owner"] or "",
                t("classification.dimension.lifecycle_stage"): class_label("lifecycle_stage", r["lifecycle_stage"]),
                t("classification.dimension.value_tier"): class_label("value_tier", r["value_tier"]),
                t("classification.dimension.size_class"): class_label("size_class", r["size_class"]),
                t("classification.dimension.relationship"): class_label("relationship", r["relationship"]),
                t("classification.dimension.credit_risk"): class_label("credit_risk", r["credit_risk"]),
                t("classification.dimension.importance"): class_label("importance", r["importance"]),
                "R": r["rfm_r"],
                "F": r["rfm_f"],
                "M": r["rfm_m"],
            }
            for r in rows
        ]
    )


def _bulk_form(sessions: Sessions, actor: Actor, drill_rows: list[dict[str, Any]], drill_selected: list[int]) -> None:
    """Set the judged dimensions (need, importance, stage) of the selected rows and any customers found."""
    manage = actor.can("classification.manage")
    st.subheader(t("classification.page.tab.bulk"))
    st.caption(t("classification.page.bulk_help", n=len(drill_selected)))
    search = st.text_input(t("classification.page.search_customer"), key="classification_bulk_search")
    found = visible_customers(sessions, actor=actor, search=search, limit=50) if search.strip() else []
    labels = {row["id"]: f"{row['code']} · {row['name']}" for row in found}
    labels.update({r["id"]: f"{r['code']} · {r['name']}" for r in drill_rows})
    with st.form(keys.BULK_FORM):
        extra = st.multiselect(
            t("classification.page.bulk_more"),
            list(labels),
            format_func=lambda i: labels[i],
            key="classification_bulk_more",
        )
        field_error(keys.BULK_FORM, "customer_ids")
        keep = t("classification.page.unchanged")
        need = st.selectbox(
            t("classification.dimension.need_type"),
            [None, *NEED_TYPES],
            format_func=lambda v: keep if v is None else t(f"need_type.{v}"),
            key="classification_bulk_need",
        )
        field_error(keys.BULK_FORM, "need_type")
        importance = None
        if manage:
            importance = st.selectbox(
                t("classification.dimension.importance"),
                [None, *IMPORTANCE],
                format_func=lambda v: keep if v is None else t(f"importance.{v}"),
                key="classification_bulk_importance",
            )
        stage = st.selectbox(
            t("classification.dimension.lifecycle_stage"),
            [None, *STAGES],
            format_func=lambda v: keep if v is None else t(f"stage.{v}"),
            key="classification_bulk_stage",
        )
        field_error(keys.BULK_FORM, "lifecycle_stage")
        churn = st.selectbox(
            t("classification.page.churn_reason"),
            [None, *CHURN_REASONS],
            format_func=lambda v: keep if v is None else t(f"churn_reason.{v}"),
            key="classification_bulk_churn",
        )
        field_error(keys.BULK_FORM, "churn_reason")
        set_close = st.checkbox(t("classification.page.set_close_date"), key="classification_bulk_set_close")
        close = st.date_input(
            t("classification.page.close_date"),
            value=company_today() + dt.timedelta(days=30),
            key="classification_bulk_close",
        )
        clicked = st.form_submit_button(t("classification.page.bulk_apply"), type="primary")
    if clicked:
        chosen = list(dict.fromkeys([*drill_selected, *extra]))
        result = run_action(
            keys.BULK_FORM,
            lambda: set_judged(
                sessions,
                actor=actor,
                customer_ids=chosen,
                need_type=need,
                importance=importance,
                stage=stage,
                churn_reason=churn,
                expected_close_date=close if set_close else None,
                token=form_token(keys.BULK_FORM),
            ),
        )
        if result is not None:
            clear_classification_reads()
            st.success(
                t(
                    "classification.page.bulk_done",
                    changed=result.changed,
                    customers=result.customers,
                    moved=result.stage_changes,
                )
            )
