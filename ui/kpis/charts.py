"""The dashboard's charts, two to a row; a click on a bar or a funnel stage lists what it counts (the drill-down
under the cards). The specs live in crm/kpis/chart_specs.py, shared with the report."""

from __future__ import annotations

from typing import Any

import streamlit as st

from crm.kpis.chart_specs import DRILL, PICK, ChartDef, charts_for, split_drill
from crm.platform.i18n import CATALOG
from crm.platform.permissions import Actor
from ui.i18n import lang, t
from ui.kpis import keys
from ui.kpis.drill import open_drill
from ui.kpis.filters import current_view
from ui.kpis.reads import cached_chart_spec
from ui.widgets import error_boundary


def charts_section(actor: Actor) -> None:
    """Every chart of the view, two to a row."""
    view = current_view()
    language = lang()
    charts = charts_for(actor)
    st.caption(t("dashboard.chart.click"))
    for start in range(0, len(charts), 2):
        for column, chart in zip(st.columns(2, gap="medium"), charts[start : start + 2], strict=False):
            with column, error_boundary(f"dashboard:chart:{chart.name}"):
                spec, clickable = cached_chart_spec(actor, chart.name, view.period, view.filters, language)
                if clickable:
                    st.vega_lite_chart(
                        spec=spec,
                        width="stretch",
                        key=keys.chart(chart.name),
                        on_select=lambda chart=chart: _picked(chart),
                        selection_mode=PICK,
                    )
                else:
                    st.vega_lite_chart(spec=spec, width="stretch", key=keys.chart(chart.name))


def _picked(chart: ChartDef) -> None:
    """on_select: the clicked bar's drill value opens the list of what it counts, under the cards."""
    event: Any = st.session_state.get(keys.chart(chart.name))
    selection = getattr(event, "selection", None) or (event or {}).get("selection", {})
    points = selection.get(PICK) or []
    value = points[0].get(DRILL) if points else None
    if not value:
        return
    code, key = split_drill(str(value))
    open_drill(code, key, f"{t(chart.title_key)} · {_bar_label(key)}")


def _bar_label(key: str | None) -> str:
    """The clicked bar in words: its month and its classes ("2026-03 · Billing")."""
    parts = []
    for part in (key or "").split(","):
        dimension, _, value = part.partition(":")
        if not value:
            parts.append(t(f"kpis.stage.{dimension}") if f"kpis.stage.{dimension}" in CATALOG else dimension)
            continue
        label_key = {
            "value_tier": "tier",
            "size_class": "size_class",
            "importance": "importance",
            "region": "region",
            "industry": "industry",
            "category": "complaints.category",
        }.get(dimension)
        name = f"{label_key}.{value}" if label_key else ""
        parts.append(t(name) if name in CATALOG else value)
    return " · ".join(parts)
