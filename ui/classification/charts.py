"""The clickable charts: a bar chart per dimension and the RFM grid; a click opens that class's drill-down."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from ui.classification import keys
from ui.classification.labels import class_label
from ui.i18n import t


def _pick(dimension: str) -> None:
    """on_select callback: a clicked bar or cell becomes the drill-down selection, shown on the Distribution tab."""
    event = st.session_state.get(keys.chart(dimension))
    selection = getattr(event, "selection", None) or (event or {}).get("selection", {})
    points = selection.get("pick") or []
    if points:
        point = points[0]
        value = f"{point['r']}-{point['f']}" if dimension == "rfm_cell" else point.get("code")
        if value is not None:
            st.session_state[keys.DRILL_DIMENSION] = dimension
            st.session_state[keys.DRILL_VALUE] = str(value)
            st.session_state[keys.TAB] = t("classification.page.tab.distribution")  # where the drill-down is


def distribution_chart(dimension: str, counts: dict[str, int]) -> None:
    """A bar chart of one dimension's classes; clicking a bar drills into its customers."""
    frame = pd.DataFrame(
        {"code": list(counts), "label": [class_label(dimension, c) for c in counts], "customers": list(counts.values())}
    )
    pick = alt.selection_point(name="pick", fields=["code"], on="click")
    chart = (
        alt.Chart(frame, title=t(f"classification.dimension.{dimension}"))
        .mark_bar(cursor="pointer")
        .encode(
            x=alt.X("label:N", sort=None, title=None),
            y=alt.Y("customers:Q", title=t("classification.page.customers")),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.55)),
            tooltip=[
                alt.Tooltip("label:N", title=t(f"classification.dimension.{dimension}")),
                alt.Tooltip("customers:Q", title=t("classification.page.customers"), format=","),
            ],
        )
        .add_params(pick)
        .properties(height=220)
    )
    st.altair_chart(chart, width="stretch", on_select=lambda: _pick(dimension), key=keys.chart(dimension))


def rfm_heatmap(cells: list[dict[str, Any]]) -> None:
    """The recency score x frequency score grid, coloured by average amount, with the count in each cell."""
    frame = pd.DataFrame(cells)
    pick = alt.selection_point(name="pick", fields=["r", "f"], on="click")
    base = alt.Chart(frame).encode(
        x=alt.X("f:O", title=t("classification.page.f_score")),
        y=alt.Y("r:O", title=t("classification.page.r_score"), sort="descending"),
    )
    rect = (
        base.mark_rect(cursor="pointer")
        .encode(
            color=alt.Color(
                "avg_monetary:Q", title=t("classification.page.avg_monetary"), scale=alt.Scale(scheme="blues")
            ),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.6)),
            tooltip=[
                alt.Tooltip("r:O", title="R"),
                alt.Tooltip("f:O", title="F"),
                alt.Tooltip("customers:Q", title=t("classification.page.customers"), format=","),
                alt.Tooltip("avg_monetary:Q", title=t("classification.page.avg_monetary"), format=",.0f"),
                alt.Tooltip("avg_m:Q", title=t("classification.page.avg_m"), format=".1f"),
            ],
        )
        .add_params(pick)
    )
    labels = base.mark_text(baseline="middle").encode(text=alt.Text("customers:Q", format=","))
    st.altair_chart(
        (rect + labels).properties(height=360),
        width="stretch",
        on_select=lambda: _pick("rfm_cell"),
        key=keys.chart("rfm_cell"),
    )
