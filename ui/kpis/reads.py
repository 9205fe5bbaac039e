"""The KPI screens' cached reads, keyed by their arguments (the actor, the period, the filters), and the one
function that forgets them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import streamlit as st

from crm.complaints import list_departments
from crm.customers.service import Choice, owner_choices
from crm.kpis import KpiFilters, KpiValue, Overview, Period, compute_kpis, drill_down, overview
from crm.kpis.chart_specs import CHART_BY_NAME
from crm.kpis.snapshots import kpi_series
from crm.kpis.targets import TargetView, list_targets, targets_for
from crm.platform.permissions import Actor
from ui.state import READ_TTL_SECONDS, get_sessions


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_overview(actor: Actor) -> Overview:
    """The overview's headline figures visible to the actor."""
    return overview(get_sessions(), actor=actor)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_kpis(actor: Actor, period: Period, filters: KpiFilters) -> dict[str, KpiValue]:
    """Every KPI of the period for the filtered customers."""
    return compute_kpis(get_sessions(), actor=actor, period=period, filters=filters)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_drill(
    actor: Actor, code: str, key: str | None, period: Period, filters: KpiFilters, page: int, page_size: int
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


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_owner_choices(actor: Actor) -> list[Choice]:
    """The people who may own customers (the owner filter)."""
    return owner_choices(get_sessions(), actor=actor)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_department_choices(actor: Actor, language: str) -> list[tuple[int, str]]:
    """(id, name in the language) of every department, archived ones too (their customers still count)."""
    return [(d.id, d.label(language)) for d in list_departments(get_sessions(), actor=actor, include_archived=True)]


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_target_list(actor: Actor, period_key: str) -> list[TargetView]:
    """The targets set for one month or quarter."""
    return list_targets(get_sessions(), actor=actor, period_key=period_key)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_targets(actor: Actor, period: Period) -> dict[str, Decimal]:
    """The targets a period's figures are held to (a month takes its quarter's where it has none)."""
    return targets_for(get_sessions(), period)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_chart_data(actor: Actor, name: str, period: Period, filters: KpiFilters) -> Any:
    """The data one chart of the dashboard draws."""
    return CHART_BY_NAME[name].data(get_sessions(), actor=actor, period=period, filters=filters)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_chart_spec(
    actor: Actor, name: str, period: Period, filters: KpiFilters, language: str
) -> tuple[dict[str, Any], bool]:
    """One chart's Vega-Lite spec (clickable) in the language, and whether its bars can be clicked: built and
    validated by Altair once, not on every rerun."""
    chart = CHART_BY_NAME[name]
    part = chart.build(cached_chart_data(actor, name, period, filters), language, True)
    return part.chart.to_dict(), part.clickable


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_series(actor: Actor, code: str, months: tuple[dt.date, ...], filters: KpiFilters, frozen: bool) -> Any:
    """A KPI month by month, frozen month-end values where kept (frozen=True), else live ones."""
    return kpi_series(get_sessions(), actor=actor, code=code, months=list(months), filters=filters, frozen=frozen)


def clear_kpi_reads() -> None:
    """Forget the KPI figures: after a write to customers, orders, complaints, follow-ups, surveys or targets."""
    for read in (
        cached_overview,
        cached_kpis,
        cached_drill,
        cached_owner_choices,
        cached_department_choices,
        cached_target_list,
        cached_targets,
        cached_chart_data,
        cached_chart_spec,
        cached_series,
    ):
        read.clear()
