"""The dashboard's charts as Altair specs, one builder per chart: the page draws them (clickable), the report renders
them to images, and each one's data goes out as CSV. Labels come from the catalogs, in the language asked for.

A chart's data comes from crm/kpis/charts_data.py. Each drawn row may carry "drill": "<kpi code>|<drill key>",
what drill_down() lists for that bar (a click on the page opens it under the cards).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import altair as alt
import pandas as pd

from crm.kpis import charts_data
from crm.kpis.definitions import KpiFilters
from crm.kpis.periods import Period
from crm.platform.i18n import format_money_compact, t
from crm.platform.permissions import Actor
from crm.platform.vocab import IMPORTANCE, SIZE_CLASSES, VALUE_TIERS
from db.engine import Sessions

PICK = "pick"  # the selection's name: a click on a bar, a stage or a cell
DRILL = "drill"
WIDTH, HEIGHT = 420, 230  # the report's size of one chart; the page stretches them to its columns
BLUE, RED, GREEN, ORANGE, GREY = "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9aa0a6"
STAGE_COLOURS = {"potential": GREY, "intent": BLUE, "signed": GREEN, "churned": RED}
CLASS_DIMENSIONS = ("value_tier", "size_class", "importance")
CADENCE_BANDS = (0.6, 0.75)  # cadence compliance: red below 60%, orange below 75%, green from there


@dataclass(frozen=True)
class ChartPart:
    """One chart built: its spec, and its data as a table with headers in the language (the CSV)."""

    chart: alt.TopLevelMixin
    table: pd.DataFrame
    clickable: bool = False


@dataclass(frozen=True)
class ChartDef:
    """A chart of the dashboard: file-safe name, title key, where its data comes from and how it is drawn."""

    name: str
    title_key: str
    data: Callable[..., Any]  # (sessions, *, actor, period, filters) -> the chart's data
    build: Callable[[Any, str, bool], ChartPart]  # (data, language, clickable) -> the chart
    permission: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def drill(code: str, key: str) -> str:
    """The drill value of a drawn row: what drill_down lists for it."""
    return f"{code}|{key}"


def split_drill(value: str) -> tuple[str, str | None]:
    """(KPI code, drill key) of a drill value."""
    code, _, key = value.partition("|")
    return code, key or None


def _month(value: Any) -> str:
    return value.strftime("%Y-%m") if isinstance(value, dt.date) else str(value)


def _select(clickable: bool) -> Any:
    return alt.selection_point(name=PICK, fields=[DRILL], on="click") if clickable else None


def _clicked(chart: alt.Chart, pick: Any) -> alt.Chart:
    """The chart with the click selection (clickable) and the picked bar highlighted."""
    if pick is None:
        return chart
    return chart.add_params(pick).encode(opacity=alt.condition(pick, alt.value(1.0), alt.value(0.65)))


def _cursor(clickable: bool) -> Literal["pointer", "default"]:
    return "pointer" if clickable else "default"


def _empty(title: str, lang: str) -> alt.TopLevelMixin:
    """A chart with nothing to draw: says so, in the chart's place."""
    frame = pd.DataFrame({"text": [t("kpis.no_data", lang)]})
    return (
        alt.Chart(frame)
        .mark_text(fontSize=14, color=GREY)
        .encode(text="text:N")
        .properties(width=WIDTH, height=HEIGHT, title=title)
    )


def _sized(chart: alt.TopLevelMixin, title: str, height: int = HEIGHT) -> alt.TopLevelMixin:
    """The chart at the report's width (the page stretches it), `height` pixels of plot: fit-x keeps the plot's
    height whatever room the axes and legend take (Streamlit's default, fit, squeezes the plot instead)."""
    return chart.properties(
        width=WIDTH, height=height, title=title, autosize=alt.AutoSizeParams(type="fit-x", contains="padding")
    )


def _money(value: Any) -> float:
    return float(value or 0)


# --- the lifecycle funnel ---------------------------------------------------------------------------------------


def funnel_chart(rows: Sequence[Mapping[str, Any]], lang: str, clickable: bool) -> ChartPart:
    """Customers per stage at the period's end; for potential and intent, the share that moved on in the period."""
    title = t("dashboard.chart.funnel", lang)
    stage_col, count_col, in_col, moved_col, conv_col = (
        t("dashboard.chart.stage", lang),
        t("dashboard.chart.customers", lang),
        t("dashboard.chart.in_period", lang),
        t("dashboard.chart.moved_on", lang),
        t("dashboard.chart.conversion", lang),
    )
    records = []
    for row in rows:
        stage, conversion = row["stage"], row.get("conversion")
        label = f"{int(row.get('customers') or 0):,}"
        if conversion is not None:
            label += " · " + t("dashboard.chart.moved_on_share", lang, share=f"{conversion:.0%}")
        records.append(
            {
                DRILL: drill("customers", stage),
                "colour": STAGE_COLOURS.get(stage, GREY),
                "label": label,
                stage_col: t(f"kpis.stage.{stage}", lang),
                count_col: int(row.get("customers") or 0),
                in_col: row.get("in_period"),
                moved_col: row.get("moved_on"),
                conv_col: conversion,
            }
        )
    frame = pd.DataFrame(records, columns=[DRILL, "colour", "label", stage_col, count_col, in_col, moved_col, conv_col])
    if frame.empty:
        return ChartPart(_empty(title, lang), frame[[stage_col, count_col]])
    pick = _select(clickable)
    base = alt.Chart(frame).encode(
        y=alt.Y(f"{stage_col}:N", sort=None, title=None),
        x=alt.X(f"{count_col}:Q", title=count_col, scale=alt.Scale(domain=[0, max(1, frame[count_col].max()) * 1.45])),
    )
    bars = _clicked(
        base.mark_bar(cursor=_cursor(clickable)).encode(
            color=alt.Color("colour:N", scale=None),
            tooltip=[
                alt.Tooltip(f"{stage_col}:N"),
                alt.Tooltip(f"{count_col}:Q", format=","),
                alt.Tooltip(f"{in_col}:Q", format=","),
                alt.Tooltip(f"{moved_col}:Q", format=","),
                alt.Tooltip(f"{conv_col}:Q", format=".1%"),
            ],
        ),
        pick,
    )
    text = base.mark_text(align="left", dx=4, fontSize=11).encode(text="label:N")
    chart = _sized(bars + text, title)
    return ChartPart(chart, frame[[stage_col, count_col, in_col, moved_col, conv_col]], clickable)


# --- customers and revenue by class, and the concentration curve ------------------------------------------------


def _class_label(dimension: str, code: str, lang: str) -> str:
    if code in ("none", "", None):
        return t("kpis.tier.none" if dimension == "value_tier" else "dashboard.chart.unclassed", lang)
    prefix = {"value_tier": "tier", "size_class": "size_class", "importance": "importance"}[dimension]
    return t(f"{prefix}.{code}", lang)


def _class_rank(dimension: str, code: Any) -> int:
    codes = {"value_tier": VALUE_TIERS, "size_class": SIZE_CLASSES, "importance": IMPORTANCE}.get(dimension, ())
    return codes.index(code) if code in codes else len(codes)


def by_class_chart(rows: Sequence[Mapping[str, Any]], lang: str, clickable: bool) -> ChartPart:
    """The period's revenue per value tier, size and importance (bars), the customers counted beside each bar."""
    title = t("dashboard.chart.by_class", lang)
    dim_col, class_col, count_col, revenue_col = (
        t("dashboard.chart.dimension", lang),
        t("dashboard.chart.class", lang),
        t("dashboard.chart.customers", lang),
        t("dashboard.chart.revenue", lang),
    )
    order = {d: i for i, d in enumerate(CLASS_DIMENSIONS)}
    records = [
        {
            DRILL: drill("customers", f"{row['dimension']}:{row['class']}"),
            "order": f"{order.get(row['dimension'], 9)}-{_class_rank(row['dimension'], row['class']):02d}",
            "label": f"{format_money_compact(row.get('revenue') or 0, lang)} · {int(row.get('customers') or 0):,}",
            dim_col: t(f"dashboard.chart.dimension.{row['dimension']}", lang),
            class_col: t(f"dashboard.chart.dimension.{row['dimension']}", lang)
            + ": "
            + _class_label(row["dimension"], row["class"], lang),
            count_col: int(row.get("customers") or 0),
            revenue_col: _money(row.get("revenue")),
        }
        for row in rows
    ]
    records.sort(key=lambda r: str(r["order"]))
    frame = pd.DataFrame(records, columns=[DRILL, "order", "label", dim_col, class_col, count_col, revenue_col])
    table = frame[[dim_col, class_col, count_col, revenue_col]]
    if frame.empty:
        return ChartPart(_empty(title, lang), table)
    frame = frame.drop(columns=["order"])
    pick = _select(clickable)
    base = alt.Chart(frame).encode(
        y=alt.Y(f"{class_col}:N", sort=None, title=None),
        x=alt.X(
            f"{revenue_col}:Q",
            title=revenue_col,
            axis=alt.Axis(format="~s"),
            scale=alt.Scale(domain=[0, max(1.0, frame[revenue_col].max()) * 1.5]),
        ),
    )
    bars = _clicked(
        base.mark_bar(cursor=_cursor(clickable)).encode(
            color=alt.Color(f"{dim_col}:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip(f"{class_col}:N"),
                alt.Tooltip(f"{count_col}:Q", format=","),
                alt.Tooltip(f"{revenue_col}:Q", format=",.2f"),
            ],
        ),
        pick,
    )
    text = base.mark_text(align="left", dx=4, fontSize=10).encode(text="label:N")
    return ChartPart(_sized(bars + text, title, max(HEIGHT, 26 * len(frame))), table, clickable)


def concentration_chart(rows: Sequence[Mapping[str, Any]], lang: str, clickable: bool) -> ChartPart:
    """The share of revenue against the share of buying customers (best first), with the 20% line and the even
    diagonal."""
    title = t("dashboard.chart.concentration", lang)
    customers_col, revenue_col, count_col = (
        t("dashboard.chart.customer_share", lang),
        t("dashboard.chart.revenue_share", lang),
        t("dashboard.chart.buying_customers", lang),
    )
    frame = pd.DataFrame(
        [
            {
                customers_col: float(r["customer_share"]),
                revenue_col: float(r["revenue_share"]),
                count_col: int(r.get("customers") or 0),
            }
            for r in rows
        ],
        columns=[customers_col, revenue_col, count_col],
    )
    if frame.empty:
        return ChartPart(_empty(title, lang), frame)
    axis = alt.Axis(format="%")
    curve = (
        alt.Chart(frame)
        .mark_line(color=BLUE, point=False)
        .encode(
            x=alt.X(f"{customers_col}:Q", axis=axis, scale=alt.Scale(domain=[0, 1])),
            y=alt.Y(f"{revenue_col}:Q", axis=axis, scale=alt.Scale(domain=[0, 1])),
            tooltip=[
                alt.Tooltip(f"{customers_col}:Q", format=".1%"),
                alt.Tooltip(f"{revenue_col}:Q", format=".1%"),
                alt.Tooltip(f"{count_col}:Q", format=","),
            ],
        )
    )
    even = (
        alt.Chart(pd.DataFrame({customers_col: [0.0, 1.0], revenue_col: [0.0, 1.0]}))
        .mark_line(color=GREY, strokeDash=[4, 4])
        .encode(x=f"{customers_col}:Q", y=f"{revenue_col}:Q")
    )
    top = alt.Chart(pd.DataFrame({customers_col: [0.2]})).mark_rule(color=ORANGE).encode(x=f"{customers_col}:Q")
    return ChartPart(_sized(even + top + curve, title), frame)


# --- new and churned customers, complaints, satisfaction: by month ----------------------------------------------


def new_vs_churned_chart(rows: Sequence[Mapping[str, Any]], lang: str, clickable: bool) -> ChartPart:
    """New customers (first order) and churned customers per month, side by side."""
    title = t("dashboard.chart.new_vs_churned", lang)
    month_col, what_col, count_col = (
        t("dashboard.chart.month", lang),
        t("dashboard.chart.what", lang),
        t("dashboard.chart.customers", lang),
    )
    new_label, churned_label = t("kpis.kpi.new_customers", lang), t("kpis.kpi.churned_customers", lang)
    long = []
    for row in rows:
        month = _month(row["month"])
        long.append(
            {DRILL: drill("new_customers", month), month_col: month, what_col: new_label, count_col: row["new"]}
        )
        long.append(
            {
                DRILL: drill("churned_customers", month),
                month_col: month,
                what_col: churned_label,
                count_col: row["churned"],
            }
        )
    frame = pd.DataFrame(long, columns=[DRILL, month_col, what_col, count_col])
    table = pd.DataFrame(
        [{month_col: _month(r["month"]), new_label: r["new"], churned_label: r["churned"]} for r in rows],
        columns=[month_col, new_label, churned_label],
    )
    if frame.empty:
        return ChartPart(_empty(title, lang), table)
    pick = _select(clickable)
    chart = _clicked(
        alt.Chart(frame)
        .mark_bar(cursor=_cursor(clickable))
        .encode(
            x=alt.X(f"{month_col}:O", title=None, axis=alt.Axis(labelAngle=-45)),
            xOffset=alt.XOffset(f"{what_col}:N", sort=[new_label, churned_label]),
            y=alt.Y(f"{count_col}:Q"),
            color=alt.Color(
                f"{what_col}:N",
                title=None,
                sort=[new_label, churned_label],
                scale=alt.Scale(domain=[new_label, churned_label], range=[GREEN, RED]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip(f"{month_col}:N"),
                alt.Tooltip(f"{what_col}:N"),
                alt.Tooltip(f"{count_col}:Q", format=","),
            ],
        ),
        pick,
    )
    return ChartPart(_sized(chart, title), table, clickable)


def complaints_data(sessions: Sessions, *, actor: Actor, period: Period, filters: KpiFilters) -> dict[str, Any]:
    """The complaints per month and category, the on-time line, and the categories' names."""
    from crm.complaints import list_categories

    result = charts_data.complaints_by_month_and_category(sessions, actor=actor, period=period, filters=filters)
    names = {c.code: (c.name_en, c.name_zh) for c in list_categories(sessions, actor=actor)}
    return {"bars": result.bars, "line": result.line, "names": names}


def _category(code: str | None, names: Mapping[str, tuple[str | None, str | None]], lang: str) -> str:
    if not code or code == "none":
        return t("dashboard.chart.no_category", lang)
    en, zh = names.get(code, (None, None))
    if en is None and zh is None:
        return t(f"complaints.category.{code}", lang)
    return (zh if lang == "zh" and zh else en) or code


def complaints_chart(data: Mapping[str, Any], lang: str, clickable: bool) -> ChartPart:
    """Complaints received per month, stacked by category, and the month's on-time handling rate as a line."""
    title = t("dashboard.chart.complaints", lang)
    month_col, category_col, count_col, rate_col = (
        t("dashboard.chart.month", lang),
        t("dashboard.chart.category", lang),
        t("dashboard.chart.complaints_count", lang),
        t("kpis.kpi.on_time_rate", lang),
    )
    names = data.get("names", {})
    bars = pd.DataFrame(
        [
            {
                DRILL: drill("complaints_received", f"{_month(r['month'])},category:{r['category'] or 'none'}"),
                month_col: _month(r["month"]),
                category_col: _category(r["category"], names, lang),
                count_col: int(r["complaints"]),
            }
            for r in data.get("bars", [])
        ],
        columns=[DRILL, month_col, category_col, count_col],
    )
    line = pd.DataFrame(
        [{month_col: _month(r["month"]), rate_col: r["on_time_rate"]} for r in data.get("line", [])],
        columns=[month_col, rate_col],
    )
    table = bars[[month_col, category_col, count_col]].merge(line, on=month_col, how="outer")
    if bars.empty:
        return ChartPart(_empty(title, lang), table)
    pick = _select(clickable)
    x = alt.X(f"{month_col}:O", title=None, axis=alt.Axis(labelAngle=-45))
    stacked = _clicked(
        alt.Chart(bars)
        .mark_bar(cursor=_cursor(clickable))
        .encode(
            x=x,
            y=alt.Y(f"{count_col}:Q", title=count_col),
            color=alt.Color(f"{category_col}:N", title=None, legend=alt.Legend(orient="bottom", columns=4)),
            tooltip=[
                alt.Tooltip(f"{month_col}:N"),
                alt.Tooltip(f"{category_col}:N"),
                alt.Tooltip(f"{count_col}:Q", format=","),
            ],
        ),
        pick,
    )
    on_time = (
        alt.Chart(line.dropna())
        .mark_line(color="#222222", point=alt.OverlayMarkDef(color="#222222"))
        .encode(
            x=x,
            y=alt.Y(f"{rate_col}:Q", title=rate_col, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            tooltip=[alt.Tooltip(f"{month_col}:N"), alt.Tooltip(f"{rate_col}:Q", format=".1%")],
        )
    )
    chart = _sized(alt.layer(stacked, on_time).resolve_scale(y="independent"), title)
    return ChartPart(chart, table, clickable)


def satisfaction_chart(rows: Sequence[Mapping[str, Any]], lang: str, clickable: bool) -> ChartPart:
    """CSAT (1 to 5, left axis) and NPS (-100 to 100, right axis) per month."""
    title = t("dashboard.chart.satisfaction", lang)
    month_col, csat_col, nps_col, responses_col = (
        t("dashboard.chart.month", lang),
        t("kpis.kpi.csat", lang),
        t("kpis.kpi.nps", lang),
        t("kpis.kpi.survey_responses", lang),
    )
    frame = pd.DataFrame(
        [
            {
                DRILL: drill("csat", _month(r["month"])),
                month_col: _month(r["month"]),
                csat_col: None if r.get("csat") is None else float(r["csat"]),
                nps_col: None if r.get("nps") is None else float(r["nps"]),
                responses_col: int(r.get("responses") or 0),
            }
            for r in rows
        ],
        columns=[DRILL, month_col, csat_col, nps_col, responses_col],
    )
    table = frame[[month_col, csat_col, nps_col, responses_col]]
    if frame.empty or (frame[csat_col].isna().all() and frame[nps_col].isna().all()):
        return ChartPart(_empty(title, lang), table)
    pick = _select(clickable)
    x = alt.X(f"{month_col}:O", title=None, axis=alt.Axis(labelAngle=-45))
    csat = _clicked(
        alt.Chart(frame)
        .mark_line(color=BLUE, point=alt.OverlayMarkDef(color=BLUE, size=50, cursor=_cursor(clickable)))
        .encode(
            x=x,
            y=alt.Y(f"{csat_col}:Q", scale=alt.Scale(domain=[1, 5]), axis=alt.Axis(titleColor=BLUE)),
            tooltip=[
                alt.Tooltip(f"{month_col}:N"),
                alt.Tooltip(f"{csat_col}:Q", format=".2f"),
                alt.Tooltip(f"{responses_col}:N"),
            ],
        ),
        pick,
    )
    nps = (
        alt.Chart(frame)
        .mark_line(color=ORANGE, strokeDash=[5, 3], point=alt.OverlayMarkDef(color=ORANGE))
        .encode(
            x=x,
            y=alt.Y(f"{nps_col}:Q", scale=alt.Scale(domain=[-100, 100]), axis=alt.Axis(titleColor=ORANGE)),
            tooltip=[
                alt.Tooltip(f"{month_col}:N"),
                alt.Tooltip(f"{nps_col}:Q", format="+.0f"),
                alt.Tooltip(f"{responses_col}:N"),
            ],
        )
    )
    chart = _sized(alt.layer(csat, nps).resolve_scale(y="independent"), title)
    return ChartPart(chart, table, clickable)


# --- cadence by owner, region and industry ----------------------------------------------------------------------


def cadence_chart(rows: Sequence[Mapping[str, Any]], lang: str, clickable: bool) -> ChartPart:
    """Each owner's share of customers contacted within their cadence, the furthest behind first."""
    title = t("dashboard.chart.cadence", lang)
    owner_col, rate_col, count_col, in_col = (
        t("dashboard.chart.owner", lang),
        t("kpis.kpi.cadence_compliance", lang),
        t("dashboard.chart.customers", lang),
        t("dashboard.chart.in_cadence", lang),
    )
    frame = pd.DataFrame(
        [
            {
                DRILL: drill(
                    "cadence_compliance", f"owner:{r['owner_id'] if r.get('owner_id') is not None else 'none'}"
                ),
                owner_col: r.get("owner") or t("dashboard.chart.no_owner", lang),
                rate_col: r.get("compliance"),
                count_col: int(r.get("customers") or 0),
                in_col: int(r.get("in_cadence") or 0),
            }
            for r in rows
        ],
        columns=[DRILL, owner_col, rate_col, count_col, in_col],
    )
    table = frame[[owner_col, rate_col, in_col, count_col]]
    if frame.empty:
        return ChartPart(_empty(title, lang), table)
    pick = _select(clickable)
    chart = _clicked(
        alt.Chart(frame)
        .mark_bar(cursor=_cursor(clickable))
        .encode(
            y=alt.Y(f"{owner_col}:N", sort=None, title=None),
            x=alt.X(f"{rate_col}:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color(
                f"{rate_col}:Q",
                scale=alt.Scale(type="threshold", domain=list(CADENCE_BANDS), range=[RED, ORANGE, GREEN]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip(f"{owner_col}:N"),
                alt.Tooltip(f"{rate_col}:Q", format=".1%"),
                alt.Tooltip(f"{in_col}:N"),
                alt.Tooltip(f"{count_col}:N"),
            ],
        ),
        pick,
    )
    return ChartPart(_sized(chart, title, max(HEIGHT, 26 * len(frame))), table, clickable)


def region_industry_chart(rows: Sequence[Mapping[str, Any]], lang: str, clickable: bool) -> ChartPart:
    """Revenue per region and industry (the darker, the more), customers written in each cell."""
    title = t("dashboard.chart.region_industry", lang)
    region_col, industry_col, count_col, revenue_col = (
        t("dashboard.filter.region", lang),
        t("dashboard.filter.industry", lang),
        t("dashboard.chart.customers", lang),
        t("dashboard.chart.revenue", lang),
    )

    def label(prefix: str, code: Any) -> str:
        return t(f"{prefix}.{code}", lang) if code not in (None, "", "none") else t("dashboard.chart.unknown", lang)

    frame = pd.DataFrame(
        [
            {
                DRILL: drill("customers", f"region:{r.get('region') or 'none'},industry:{r.get('industry') or 'none'}"),
                region_col: label("region", r.get("region")),
                industry_col: label("industry", r.get("industry")),
                count_col: int(r.get("customers") or 0),
                revenue_col: _money(r.get("revenue")),
            }
            for r in rows
        ],
        columns=[DRILL, region_col, industry_col, count_col, revenue_col],
    )
    table = frame[[region_col, industry_col, count_col, revenue_col]]
    if frame.empty:
        return ChartPart(_empty(title, lang), table)
    pick = _select(clickable)
    base = alt.Chart(frame).encode(
        x=alt.X(f"{industry_col}:N", title=None, axis=alt.Axis(labelAngle=-45)),
        y=alt.Y(f"{region_col}:N", title=None),
    )
    cells = _clicked(
        base.mark_rect(cursor=_cursor(clickable)).encode(
            color=alt.Color(f"{revenue_col}:Q", scale=alt.Scale(scheme="blues"), legend=None),
            tooltip=[
                alt.Tooltip(f"{region_col}:N"),
                alt.Tooltip(f"{industry_col}:N"),
                alt.Tooltip(f"{count_col}:Q", format=","),
                alt.Tooltip(f"{revenue_col}:Q", format=",.2f"),
            ],
        ),
        pick,
    )
    counts = base.mark_text(fontSize=9).encode(
        text=alt.Text(f"{count_col}:Q", format=","),
        color=alt.condition(
            f"datum['{revenue_col}'] > {0.6 * float(frame[revenue_col].max())}",
            alt.value("white"),
            alt.value("#333333"),
        ),
    )
    return ChartPart(_sized(cells + counts, title, max(HEIGHT, 26 * frame[region_col].nunique())), table, clickable)


CHARTS: tuple[ChartDef, ...] = (
    ChartDef("funnel", "dashboard.chart.funnel", charts_data.funnel, funnel_chart),
    ChartDef("by_class", "dashboard.chart.by_class", charts_data.by_class, by_class_chart),
    ChartDef("concentration", "dashboard.chart.concentration", charts_data.concentration_curve, concentration_chart),
    ChartDef(
        "new_vs_churned", "dashboard.chart.new_vs_churned", charts_data.new_vs_churned_by_month, new_vs_churned_chart
    ),
    ChartDef("complaints", "dashboard.chart.complaints", complaints_data, complaints_chart, "kpi.view"),
    ChartDef(
        "satisfaction", "dashboard.chart.satisfaction", charts_data.satisfaction_trend, satisfaction_chart, "kpi.view"
    ),
    ChartDef("cadence", "dashboard.chart.cadence", charts_data.cadence_by_owner, cadence_chart),
    ChartDef(
        "region_industry",
        "dashboard.chart.region_industry",
        charts_data.by_region_and_industry,
        region_industry_chart,
    ),
)
CHART_BY_NAME = {chart.name: chart for chart in CHARTS}


def charts_for(actor: Actor) -> list[ChartDef]:
    """The charts the actor may see, in the page's order."""
    return [chart for chart in CHARTS if chart.permission is None or actor.can(chart.permission)]
