"""Trends: one KPI month by month over the view's months (at least the twelve up to its end), frozen month-end
values or live ones, and the chart says which each month is."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from crm.kpis import KPI_BY_CODE, KPIS, Period
from crm.kpis.report import format_value
from crm.platform.permissions import Actor
from ui.i18n import lang, lang_key, t
from ui.kpis import keys
from ui.kpis.filters import current_view
from ui.kpis.reads import cached_series
from ui.state import company_today

MIN_MONTHS = 12
DEFAULT_KPI = "revenue"


def trend_months(period: Period) -> tuple[dt.date, ...]:
    """The months the trend shows: the period's own when it spans a year or more, else the twelve up to its end."""
    months = period.months()
    if len(months) >= MIN_MONTHS:
        return tuple(months)
    return tuple(Period.last_12_months(period.end).months())


def trends_section(actor: Actor) -> None:
    """Pick a KPI and frozen or live values; the monthly line, each point marked frozen or live."""
    view = current_view()
    codes = [k.code for k in KPIS]
    left, right = st.columns([2, 3], vertical_alignment="bottom")
    code = left.selectbox(
        t("dashboard.trend.kpi"),
        codes,
        index=codes.index(DEFAULT_KPI),
        format_func=lambda c: t(KPI_BY_CODE[c].label_key),
        key=lang_key(keys.TREND_KPI),
    )
    frozen = right.toggle(t("dashboard.trend.frozen"), value=True, key=keys.TREND_FROZEN)
    definition = KPI_BY_CODE[code]
    series = cached_series(actor, code, trend_months(view.period), view.filters, frozen)
    frozen_count = sum(1 for _, _, was_frozen in series if was_frozen)
    if frozen:
        st.caption(t("dashboard.trend.says_frozen", frozen=frozen_count, live=len(series) - frozen_count))
    else:
        st.caption(t("dashboard.trend.says_live"))
    today = company_today()
    if series and series[-1][0] == today.replace(day=1):
        st.caption(t("dashboard.trend.month_to_date", month=series[-1][0].strftime("%Y-%m")))
    language = lang()
    month_col, value_col, kind_col = t("dashboard.chart.month"), t(definition.label_key), t("dashboard.trend.kind")
    frame = pd.DataFrame(
        [
            {
                month_col: month.strftime("%Y-%m"),
                value_col: None if value is None else float(value),
                "shown": format_value(definition, value, language),
                kind_col: t("kpis.frozen") if was_frozen else t("kpis.live"),
            }
            for month, value, was_frozen in series
        ]
    )
    base = alt.Chart(frame).encode(x=alt.X(f"{month_col}:O", title=None, axis=alt.Axis(labelAngle=0)))
    line = base.mark_line(color="#1f77b4").encode(y=alt.Y(f"{value_col}:Q", title=value_col))
    points = base.mark_point(size=70, filled=True).encode(
        y=f"{value_col}:Q",
        shape=alt.Shape(f"{kind_col}:N", title=None, legend=alt.Legend(orient="bottom")),
        color=alt.Color(f"{kind_col}:N", title=None, scale=alt.Scale(range=["#1f77b4", "#ff7f0e"])),
        tooltip=[month_col, alt.Tooltip("shown:N", title=value_col), kind_col],
    )
    st.altair_chart((line + points).properties(height=300), width="stretch", key=f"{keys.TREND_KPI}_chart")
