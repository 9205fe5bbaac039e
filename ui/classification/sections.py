"""Streamlit helpers of the classification feature: cached reads, charts, and the explanation panel for the 360 view."""

from __future__ import annotations

import datetime as dt
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from crm.classification.judged import stage_statistics
from crm.classification.reads import (
    cadence_exceptions,
    customers_in_class,
    distribution,
    owners_with_exceptions,
    rfm_grid,
)
from crm.classification.rfm import Thresholds
from crm.classification.service import Explanation, Reason, describe, explain_customer, read_thresholds
from crm.platform.permissions import Actor
from ui.i18n import lang, t
from ui.inert import inert
from ui.reads import READ_TTL_SECONDS
from ui.state import get_sessions

LABEL_PREFIX = {"value_tier": "tier", "size_class": "size_class", "relationship": "relationship",
                "credit_risk": "credit_risk", "lifecycle_stage": "stage", "need_type": "need_type",
                "importance": "importance", "urgency": "urgency"}
DRILL_DIMENSION_KEY = "classification_drill_dimension"
DRILL_VALUE_KEY = "classification_drill_value"
SECTION_KEY = "classification_section"


def class_label(dimension: str, value: str | None) -> str:
    """Translate a class code of a dimension ('none' / None = not set)."""
    if value in (None, "none"):
        return t("tier.none") if dimension == "value_tier" else t("classification.class.none")
    if dimension == "rfm_cell":
        r, _, f = str(value).partition("-")
        return t("classification.page.rfm_cell", r=r, f=f)
    return t(f"{LABEL_PREFIX[dimension]}.{value}")


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_distribution(actor: Actor) -> dict[str, dict[str, int]]:
    return distribution(get_sessions(), actor=actor)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_grid(actor: Actor) -> list[dict[str, Any]]:
    return rfm_grid(get_sessions(), actor=actor)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_class_page(actor: Actor, dimension: str, value: str, page: int,
                      page_size: int) -> tuple[list[dict[str, Any]], int]:
    return customers_in_class(get_sessions(), actor=actor, dimension=dimension, value=value, page=page,
                              page_size=page_size)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_exceptions(actor: Actor, owner_id: int | None, page: int,
                      page_size: int) -> tuple[list[dict[str, Any]], int]:
    return cadence_exceptions(get_sessions(), actor=actor, owner_id=owner_id, page=page, page_size=page_size)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_exception_owners(actor: Actor) -> list[dict[str, Any]]:
    return owners_with_exceptions(get_sessions(), actor=actor)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_stage_statistics(actor: Actor) -> Any:
    return stage_statistics(get_sessions(), actor=actor)


def current_thresholds(actor: Actor) -> Thresholds:
    return read_thresholds(get_sessions(), actor=actor)


def _pick(dimension: str, chart_key: str) -> None:
    """on_select callback: a clicked bar or cell becomes the drill-down selection."""
    event = st.session_state.get(chart_key)
    selection = getattr(event, "selection", None) or (event or {}).get("selection", {})
    points = selection.get("pick") or []
    if points:
        point = points[0]
        value = f"{point['r']}-{point['f']}" if dimension == "rfm_cell" else point.get("code")
        if value is not None:
            st.session_state[DRILL_DIMENSION_KEY] = dimension
            st.session_state[DRILL_VALUE_KEY] = str(value)
            st.session_state[SECTION_KEY] = "distribution"  # where the drill-down table is


def distribution_chart(dimension: str, counts: dict[str, int]) -> None:
    """A bar chart of one dimension's classes; clicking a bar drills into its customers."""
    frame = pd.DataFrame({"code": list(counts), "label": [class_label(dimension, c) for c in counts],
                          "customers": list(counts.values())})
    pick = alt.selection_point(name="pick", fields=["code"], on="click")
    chart = (
        alt.Chart(frame, title=t(f"classification.dimension.{dimension}"))
        .mark_bar(cursor="pointer")
        .encode(x=alt.X("label:N", sort=None, title=None),
                y=alt.Y("customers:Q", title=t("classification.page.customers")),
                opacity=alt.condition(pick, alt.value(1.0), alt.value(0.55)),
                tooltip=[alt.Tooltip("label:N", title=t(f"classification.dimension.{dimension}")),
                         alt.Tooltip("customers:Q", title=t("classification.page.customers"), format=",")])
        .add_params(pick).properties(height=220)
    )
    key = f"classification_chart_{dimension}"
    st.altair_chart(chart, width="stretch", on_select=lambda: _pick(dimension, key), key=key)


def rfm_heatmap(cells: list[dict[str, Any]]) -> None:
    """The recency score x frequency score grid, coloured by average amount, with the count in each cell."""
    frame = pd.DataFrame(cells)
    pick = alt.selection_point(name="pick", fields=["r", "f"], on="click")
    base = alt.Chart(frame).encode(
        x=alt.X("f:O", title=t("classification.page.f_score")),
        y=alt.Y("r:O", title=t("classification.page.r_score"), sort="descending"),
    )
    rect = base.mark_rect(cursor="pointer").encode(
        color=alt.Color("avg_monetary:Q", title=t("classification.page.avg_monetary"), scale=alt.Scale(scheme="blues")),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.6)),
        tooltip=[alt.Tooltip("r:O", title="R"), alt.Tooltip("f:O", title="F"),
                 alt.Tooltip("customers:Q", title=t("classification.page.customers"), format=","),
                 alt.Tooltip("avg_monetary:Q", title=t("classification.page.avg_monetary"), format=",.0f"),
                 alt.Tooltip("avg_m:Q", title=t("classification.page.avg_m"), format=".1f")],
    ).add_params(pick)
    labels = base.mark_text(baseline="middle").encode(text=alt.Text("customers:Q", format=","))
    key = "classification_chart_rfm"
    st.altair_chart((rect + labels).properties(height=360), width="stretch",
                    on_select=lambda: _pick("rfm_cell", key), key=key)


def transition_matrix(dimension: str, moves: list[dict[str, Any]]) -> pd.DataFrame:
    """A preview's from x to table of one dimension: a "From (now)" column, then one "To: class" column per class."""
    frame = pd.DataFrame(moves)
    matrix = frame.pivot_table(index="from", columns="to", values="customers", aggfunc="sum", fill_value=0)
    table = pd.DataFrame({t("classification.page.matrix_from"): [class_label(dimension, v) for v in matrix.index]})
    for to in matrix.columns:
        table[t("classification.page.matrix_to", label=class_label(dimension, to))] = matrix[to].to_numpy()
    return table


def customers_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Columns of a class drill-down table, translated."""
    return pd.DataFrame([{
        t("classification.page.col.code"): r["code"], t("classification.page.col.name"): r["name"],
        t("classification.page.col.owner"): r["owner"] or "",
        t("classification.dimension.lifecycle_stage"): class_label("lifecycle_stage", r["lifecycle_stage"]),
        t("classification.dimension.value_tier"): class_label("value_tier", r["value_tier"]),
        t("classification.dimension.size_class"): class_label("size_class", r["size_class"]),
        t("classification.dimension.relationship"): class_label("relationship", r["relationship"]),
        t("classification.dimension.credit_risk"): class_label("credit_risk", r["credit_risk"]),
        t("classification.dimension.importance"): class_label("importance", r["importance"]),
        "R": r["rfm_r"], "F": r["rfm_f"], "M": r["rfm_m"],
    } for r in rows])


# Parameters of a reason that carry what users typed (an override's reason, who set it, a credit note).
_TYPED_PARAMS = frozenset({"reason", "by", "note"})


def _described(reason: Reason, language: str) -> str:
    """A reason in the language, what users typed in it escaped for Markdown."""
    params = {name: inert(value) if name in _TYPED_PARAMS and isinstance(value, str) else value
              for name, value in reason.params.items()}
    return describe(Reason(reason.key, params), language)


def render_explanations(actor: Actor, customer_id: int, as_of: dt.date | None = None) -> list[Explanation]:
    """Show why the customer is in each class (for the customer 360 view); returns the explanations."""
    explanations = explain_customer(get_sessions(), actor=actor, customer_id=customer_id, as_of=as_of)
    language = lang()
    for item in explanations:
        label = t(f"classification.dimension.{item.dimension}")
        value = class_label(item.dimension, item.value)
        st.markdown(f"**{label}: {value}** — {_described(item.reason, language)}")
        if item.override is not None:
            st.caption(_described(item.override, language))
        for evidence in item.evidence:
            st.caption(f"· {_described(evidence, language)}")
        if item.computed is not None and item.cached != item.value:
            st.caption(t("classification.page.pending_recompute", cached=class_label(item.dimension, item.cached)))
    return explanations

