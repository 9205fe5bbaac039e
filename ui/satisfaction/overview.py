"""Overview: a period and filters; CSAT, NPS, responses and recovery; trends by month; breakdown bars that list the
responses behind a clicked bar; means per dimension; the customers whose latest score fell."""

from __future__ import annotations

import datetime as dt
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from crm.platform.permissions import Actor
from crm.platform.vocab import INDUSTRIES, REGIONS, STAGES, VALUE_TIERS
from crm.satisfaction import (
    BREAKDOWNS,
    BreakdownRow,
    ResponseFilters,
    SatisfactionFigures,
    SatisfactionFilters,
    dimension_label,
)
from db.engine import Sessions
from ui.complaints.reads import cached_assignees
from ui.complaints.widgets import departments
from ui.i18n import lang, number, t, when
from ui.satisfaction import keys
from ui.satisfaction.downloads import chart_downloads, csv_download
from ui.satisfaction.reads import cached_breakdown, cached_fallen, cached_figures, cached_templates, cached_trend
from ui.satisfaction.responses import open_in_responses, responses_list
from ui.satisfaction.widgets import choice, customer_link, nps_text, period_picker, score_text, share_text
from ui.widgets import data_table

# A breakdown's field in the responses' filters (the list behind a clicked bar).
BREAKDOWN_FILTER = {
    "value_tier": "value_tier",
    "lifecycle_stage": "lifecycle_stage",
    "owner": "owner_id",
    "department": "department_id",
    "industry": "industry",
    "region": "region",
}
MEASURES = ("csat", "nps", "responses")
NONE_CODE = "__none__"  # the bar of customers without the value (no tier, no owner...)


def overview_section(sessions: Sessions, actor: Actor) -> None:
    """The period and filters, the four figures, the monthly trends, the breakdown, dimensions and fallen scores."""
    start, end = period_picker(keys.OV_PERIOD, keys.OV_FROM, keys.OV_TO)
    filters = _filters(actor)
    figures = cached_figures(actor, start, end, filters)
    _cards(figures)
    if figures.responses == 0:
        st.info(t("satisfaction.page.empty"), icon=":material/info:")
        return
    st.subheader(t("satisfaction.page.trend"))
    _trends(actor, start, end, filters)
    st.subheader(t("satisfaction.page.breakdown"))
    _breakdown(actor, start, end, filters)
    st.subheader(t("satisfaction.page.dimensions"), help=t("satisfaction.figures.help.dimensions"))
    _dimensions(actor, figures)
    st.subheader(t("satisfaction.figures.fallen"), help=t("satisfaction.figures.help.fallen"))
    _fallen(actor, start, end, filters)


# --- filters ------------------------------------------------------------------------------------------


def _filters(actor: Actor) -> SatisfactionFilters:
    with st.expander(t("satisfaction.page.filters"), icon=":material/filter_list:"):
        top, bottom = st.columns(3), st.columns(3)
        owner_id = None
        if actor.can("customers.view_all"):
            owner_id = choice(
                top[0],
                "satisfaction.page.filter.owner",
                {c.id: c.label for c in cached_assignees(actor)},
                keys.OV_OWNER,
            )
        department_id = choice(top[1], "satisfaction.page.filter.department", departments(actor), keys.OV_DEPARTMENT)
        tier = choice(top[2], "satisfaction.page.filter.tier", {c: t(f"tier.{c}") for c in VALUE_TIERS}, keys.OV_TIER)
        stage = choice(bottom[0], "satisfaction.page.filter.stage", {c: t(f"stage.{c}") for c in STAGES}, keys.OV_STAGE)
        industry = choice(
            bottom[1],
            "satisfaction.page.filter.industry",
            {c: t(f"industry.{c}") for c in INDUSTRIES},
            keys.OV_INDUSTRY,
        )
        region = choice(
            bottom[2], "satisfaction.page.filter.region", {c: t(f"region.{c}") for c in REGIONS}, keys.OV_REGION
        )
    return SatisfactionFilters(
        owner_id=owner_id,
        department_id=department_id,
        value_tier=tier,
        lifecycle_stage=stage,
        industry=industry,
        region=region,
    )


# --- the figures --------------------------------------------------------------------------------------


def _cards(figures: SatisfactionFigures) -> None:
    csat, nps, recovery = figures.csat, figures.nps, figures.recovery
    cards = st.columns(4)
    cards[0].metric(
        t("satisfaction.page.csat"), score_text(csat.mean), help=t("satisfaction.figures.help.csat"), border=True
    )
    if csat.mean is not None:
        cards[0].caption(
            t("satisfaction.page.csat_share", share=share_text(csat.satisfied_share), n=number(csat.responses))
        )
    cards[1].metric(
        t("satisfaction.figures.nps"), nps_text(nps.score), help=t("satisfaction.figures.help.nps"), border=True
    )
    if nps.score is not None:
        cards[1].caption(
            t("satisfaction.page.nps_interval", low=nps_text(nps.low), high=nps_text(nps.high), n=number(nps.responses))
        )
        if nps.small_sample:
            cards[1].warning(t("satisfaction.figures.small_sample"), icon=":material/warning:")
    cards[2].metric(t("satisfaction.page.responses"), number(figures.responses), border=True)
    cards[3].metric(
        t("satisfaction.figures.recovery_rate"),
        share_text(recovery.rate),
        help=t("satisfaction.figures.help.recovery"),
        border=True,
    )
    if recovery.rate is not None:
        cards[3].caption(
            t(
                "satisfaction.page.recovery_counts",
                recovered=number(recovery.recovered),
                answered=number(recovery.with_later_response),
            )
        )


def _month_label(month: dt.date) -> str:
    return month.strftime("%Y-%m")


def _trends(actor: Actor, start: dt.date, end: dt.date, filters: SatisfactionFilters) -> None:
    months = cached_trend(actor, start, end, filters)
    month, count = t("satisfaction.page.month"), t("satisfaction.page.count")
    csat_title, nps_title = t("satisfaction.page.trend_csat"), t("satisfaction.page.trend_nps")
    frame = pd.DataFrame(
        [
            {
                month: _month_label(m.month),
                count: m.responses,
                t("satisfaction.page.csat"): None if m.csat.mean is None else round(m.csat.mean, 2),
                t("satisfaction.figures.satisfied_share"): None
                if m.csat.satisfied_share is None
                else round(m.csat.satisfied_share * 100, 1),
                t("satisfaction.figures.nps"): None if m.nps.score is None else round(m.nps.score, 1),
                "nps_low": None if m.nps.low is None else round(m.nps.low, 1),
                "nps_high": None if m.nps.high is None else round(m.nps.high, 1),
            }
            for m in months
        ]
    )
    left, right = st.columns(2, gap="large")
    csat = _line(frame, month, t("satisfaction.page.csat"), csat_title, (1, 5), count)
    nps_line = _line(frame, month, t("satisfaction.figures.nps"), nps_title, (-100, 100), count)
    band = (
        alt.Chart(frame)
        .mark_area(opacity=0.15)
        .encode(x=alt.X(f"{month}:O"), y=alt.Y("nps_low:Q"), y2=alt.Y2("nps_high:Q"))
    )
    nps = alt.layer(band, nps_line).properties(title=nps_title)
    with left:
        st.altair_chart(csat, width="stretch", key=keys.OV_TREND_CSAT)
        chart_downloads("trend-csat", csat)
    with right:
        st.altair_chart(nps, width="stretch", key=keys.OV_TREND_NPS)
        chart_downloads("trend-nps", nps)
    shown = frame.drop(columns=["nps_low", "nps_high"])
    shown[t("satisfaction.page.nps_interval_col")] = [
        "" if low is None or pd.isna(low) else f"{low:+.1f} … {high:+.1f}"
        for low, high in zip(frame["nps_low"], frame["nps_high"], strict=True)
    ]
    csv_download("trend", shown)


def _line(frame: pd.DataFrame, x: str, y: str, title: str, domain: tuple[int, int], count: str) -> alt.Chart:
    return (
        alt.Chart(frame, title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{x}:O", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(f"{y}:Q", scale=alt.Scale(domain=list(domain)), title=None),
            tooltip=[x, y, count],
        )
    )


# --- breakdown ------------------------------------------------------------------------------------------


def _code(key: Any) -> str:
    return NONE_CODE if key is None else str(key)


def _breakdown(actor: Actor, start: dt.date, end: dt.date, filters: SatisfactionFilters) -> None:
    row = st.columns([3, 2])
    by = (
        row[0].segmented_control(
            t("satisfaction.page.breakdown_by"),
            BREAKDOWNS,
            default="value_tier",
            required=True,
            format_func=lambda b: t(f"satisfaction.page.by.{b}"),
            key=keys.OV_BY,
        )
        or "value_tier"
    )
    measure = (
        row[1].segmented_control(
            t("satisfaction.page.measure"),
            MEASURES,
            default="csat",
            required=True,
            format_func=lambda m: t(f"satisfaction.page.measure.{m}"),
            key=keys.OV_MEASURE,
        )
        or "csat"
    )
    rows = cached_breakdown(actor, start, end, by, filters, lang())
    frame = _breakdown_frame(rows)
    value_column = {
        "csat": t("satisfaction.page.csat"),
        "nps": t("satisfaction.figures.nps"),
        "responses": t("satisfaction.page.count"),
    }[measure]
    group = t(f"satisfaction.page.by.{by}")
    chart_frame = pd.DataFrame(
        {
            "code": [_code(r.key) for r in rows],
            group: [r.label for r in rows],
            value_column: frame[value_column],
            t("satisfaction.page.count"): [r.responses for r in rows],
        }
    )
    pick = alt.selection_point(name="pick", fields=["code"], on="click", clear="dblclick")
    chart = (
        alt.Chart(chart_frame, title=f"{value_column} · {group}", height=300)
        .mark_bar(cursor="pointer")
        .encode(
            x=alt.X(f"{group}:N", sort=None, title=None, axis=alt.Axis(labelAngle=0, labelLimit=160)),
            y=alt.Y(
                f"{value_column}:Q", title=None, scale=alt.Scale(domain=[0, 5]) if measure == "csat" else alt.Undefined
            ),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
            tooltip=[group, value_column, t("satisfaction.page.count")],
        )
        .add_params(pick)
    )
    chart_key = f"{keys.OV_BARS}_{by}_{measure}"
    labels = {_code(r.key): r.label for r in rows}
    st.altair_chart(
        chart,
        width="stretch",
        key=chart_key,
        on_select=lambda: _bar_clicked(chart_key, by),
        selection_mode="pick",
    )
    st.caption(t("satisfaction.page.click_bar"))
    chart_downloads(f"breakdown-{by}-{measure}", chart)
    data_table(frame.drop(columns=["code"]), hide_index=True, width="stretch")
    csv_download(f"breakdown-{by}", frame.drop(columns=["code"]))
    _behind(actor, start, end, filters, by, labels)


def _breakdown_frame(rows: list[BreakdownRow]) -> pd.DataFrame:
    def rounded(value: float | None, digits: int) -> float | None:
        return None if value is None else round(value, digits)

    return pd.DataFrame(
        [
            {
                "code": _code(r.key),
                t("satisfaction.page.group"): r.label,
                t("satisfaction.page.count"): r.responses,
                t("satisfaction.page.csat"): rounded(r.csat.mean, 2),
                t("satisfaction.figures.satisfied_share"): None
                if r.csat.satisfied_share is None
                else round(r.csat.satisfied_share * 100, 1),
                t("satisfaction.figures.nps"): rounded(r.nps.score, 1),
                t("satisfaction.page.nps_interval_col"): ""
                if r.nps.low is None
                else f"{r.nps.low:+.1f} … {r.nps.high:+.1f}",
                t("satisfaction.page.small_sample_col"): t("common.yes")
                if r.nps.responses and r.nps.small_sample
                else "",
            }
            for r in rows
        ],
        columns=[
            "code",
            t("satisfaction.page.group"),
            t("satisfaction.page.count"),
            t("satisfaction.page.csat"),
            t("satisfaction.figures.satisfied_share"),
            t("satisfaction.figures.nps"),
            t("satisfaction.page.nps_interval_col"),
            t("satisfaction.page.small_sample_col"),
        ],
    )


def _bar_clicked(chart_key: str, by: str) -> None:
    """A bar was clicked (or the selection cleared): remember which group's responses to list."""
    event = st.session_state.get(chart_key)
    picked = (getattr(event, "selection", None) or {}).get("pick") or []
    if picked and "code" in picked[0]:
        st.session_state[keys.OV_BEHIND] = {"by": by, "code": str(picked[0]["code"])}
        st.session_state.pop(keys.OV_BEHIND_PAGE, None)
    else:
        st.session_state.pop(keys.OV_BEHIND, None)


def behind_filters(by: str, code: str, start: dt.date, end: dt.date, filters: SatisfactionFilters) -> ResponseFilters:
    """The responses' filters of one bar: the overview's period and filters, and the bar's value."""
    value: Any = int(code) if BREAKDOWN_FILTER[by] in ("owner_id", "department_id") else code
    fields = {
        "owner_id": filters.owner_id,
        "department_id": filters.department_id,
        "value_tier": filters.value_tier,
        "lifecycle_stage": filters.lifecycle_stage,
        "industry": filters.industry,
        "region": filters.region,
    }
    fields[BREAKDOWN_FILTER[by]] = value
    return ResponseFilters(start=start, end=end, **fields)


def _behind(
    actor: Actor, start: dt.date, end: dt.date, filters: SatisfactionFilters, by: str, labels: dict[str, str]
) -> None:
    picked = st.session_state.get(keys.OV_BEHIND)
    if not picked or picked.get("by") != by:
        return
    code = str(picked["code"])
    with st.container(border=True):
        head = st.columns([5, 2, 1], vertical_alignment="center")
        head[0].markdown(f"**{t('satisfaction.page.behind', what=labels.get(code, code))}**")
        head[2].button(
            t("satisfaction.page.behind_clear"),
            key=f"{keys.OV_BEHIND}_clear",
            icon=":material/close:",
            on_click=lambda: st.session_state.pop(keys.OV_BEHIND, None),
        )
        if code == NONE_CODE:
            st.caption(t("satisfaction.page.behind_none"))
            return
        flt = behind_filters(by, code, start, end, filters)
        head[1].button(
            t("satisfaction.page.open_in_responses"),
            key=f"{keys.OV_BEHIND}_open",
            icon=":material/open_in_new:",
            on_click=open_in_responses,
            args=(flt,),
        )
        responses_list(actor, flt, page_key=keys.OV_BEHIND_PAGE, name="behind", pick=False)


# --- dimensions and fallen scores -----------------------------------------------------------------------


def _dimension_labels(actor: Actor) -> dict[str, Any]:
    labels: dict[str, Any] = {}
    for template in cached_templates(actor, include_retired=True):
        labels.update(template.labels)
    return labels


def _dimensions(actor: Actor, figures: SatisfactionFigures) -> None:
    if not figures.dimensions:
        st.caption(t("satisfaction.page.no_data"))
        return
    labels = _dimension_labels(actor)
    frame = pd.DataFrame(
        [
            {
                t("satisfaction.figures.dimension"): dimension_label(code, labels, lang()),
                t("satisfaction.figures.dimension_mean"): score_text(mean.mean),
                t("satisfaction.figures.answered"): mean.answered,
                t("satisfaction.figures.unanswered"): mean.unanswered,
            }
            for code, mean in figures.dimensions.items()
        ]
    )
    dimension, mean = t("satisfaction.figures.dimension"), t("satisfaction.figures.dimension_mean")
    chart_frame = pd.DataFrame(
        {
            dimension: frame[dimension],
            mean: [None if m.mean is None else round(m.mean, 2) for m in figures.dimensions.values()],
            t("satisfaction.figures.answered"): frame[t("satisfaction.figures.answered")],
        }
    )
    chart = (
        alt.Chart(chart_frame, height=200)
        .mark_bar()
        .encode(
            y=alt.Y(f"{dimension}:N", sort=None, title=None, axis=alt.Axis(labelLimit=200)),
            x=alt.X(f"{mean}:Q", scale=alt.Scale(domain=[0, 5]), title=None),
            tooltip=list(chart_frame.columns),
        )
    )
    left, right = st.columns(2, gap="large")
    with left:
        st.altair_chart(chart, width="stretch", key=keys.OV_DIMENSIONS)
        chart_downloads("dimensions", chart)
    with right:
        data_table(frame, hide_index=True, width="stretch")
        csv_download("dimensions", frame)


def _score_pair(overall: int | None, nps: int | None) -> str:
    parts = []
    if overall is not None:
        parts.append(f"{t('satisfaction.page.col.overall')} {overall}")
    if nps is not None:
        parts.append(f"NPS {nps}")
    return " · ".join(parts) or "—"


def _fallen(actor: Actor, start: dt.date, end: dt.date, filters: SatisfactionFilters) -> None:
    rows, total = cached_fallen(actor, start, end, filters)
    if not rows:
        st.caption(t("satisfaction.page.fallen_none"))
        return
    frame = pd.DataFrame(
        [
            {
                t("satisfaction.figures.customer"): r.customer_name,
                t("satisfaction.figures.owner"): r.owner_name or "—",
                t("satisfaction.figures.previous"): f"{when(r.previous_at)} · "
                + _score_pair(r.previous_overall, r.previous_nps),
                t("satisfaction.figures.latest"): f"{when(r.latest_at)} · "
                + _score_pair(r.latest_overall, r.latest_nps),
                t("satisfaction.page.col.link"): customer_link(r.customer_id),
            }
            for r in rows
        ]
    )
    data_table(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            t("satisfaction.page.col.link"): st.column_config.LinkColumn(display_text=t("satisfaction.page.open_link"))
        },
    )
    if total > len(rows):
        st.caption(t("satisfaction.page.fallen_more", shown=number(len(rows)), total=number(total)))
    csv_download("fallen", frame)
