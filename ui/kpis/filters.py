"""The dashboard's filters: period, owner, department, value tier, industry and region, kept in the URL.

The query string is the filters' home (?period=2026-Q3&department=2&tier=high), so a filtered view can be
bookmarked or pasted into chat: on load the widgets are set from it, and a changed widget writes it back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from crm.kpis import KpiFilters, Period
from crm.platform.errors import ValidationError
from crm.platform.permissions import Actor
from crm.platform.vocab import INDUSTRIES, REGIONS, VALUE_TIERS
from ui.i18n import has_widget_value, lang, lang_key, set_widget_value, t
from ui.kpis import keys
from ui.kpis.reads import cached_department_choices, cached_owner_choices
from ui.state import company_today

PERIOD_PARAM = "period"
FILTER_PARAMS = ("owner", "department", "tier", "industry", "region")
PARAMS = (PERIOD_PARAM, *FILTER_PARAMS)
DEFAULT_PERIOD_KEY = "last12"
NO_TIER = "none"  # customers not yet given a value tier
MONTHS_OFFERED, QUARTERS_OFFERED, YEARS_OFFERED = 36, 12, 6
ALL = "*"  # the choice "All" of a filter (a selectbox holding None would show no choice at all)
PERIOD_KINDS = ("last_12_months", "month", "quarter", "year", "custom")  # in the picker's order


@dataclass(frozen=True)
class DashboardView:
    """What the dashboard shows: a period and the customers' filters."""

    period: Period
    filters: KpiFilters

    def query(self) -> dict[str, str]:
        """The view as the URL's query string."""
        return {PERIOD_PARAM: self.period.key(), **self.filters.to_query()}


def view_of(query: dict[str, str], today: dt.date) -> tuple[DashboardView, bool]:
    """The view a query string asks for, and whether all of it could be read (else the defaults stand in)."""
    ok = True
    try:
        period = Period.parse(query.get(PERIOD_PARAM) or DEFAULT_PERIOD_KEY, today=today)
    except ValidationError:
        period, ok = Period.last_12_months(today), False
    filters = KpiFilters.from_query(query)
    cleaned = KpiFilters(
        owner_id=filters.owner_id,
        department_id=filters.department_id,
        value_tier=filters.value_tier if filters.value_tier in (*VALUE_TIERS, NO_TIER) else None,
        industry=filters.industry if filters.industry in INDUSTRIES else None,
        region=filters.region if filters.region in REGIONS else None,
    )
    ok = ok and cleaned == filters and all(query.get(p) is None or p in filters.to_query() for p in FILTER_PARAMS)
    return DashboardView(period, cleaned), ok


def _url_query() -> dict[str, str]:
    return {name: str(st.query_params[name]) for name in PARAMS if name in st.query_params}


def current_view() -> DashboardView:
    """The view the URL holds now (sections drawn after the filter bar read it from here)."""
    return view_of(_url_query(), company_today())[0]


# --- choices ------------------------------------------------------------------------------------------------


def _months(today: dt.date) -> list[str]:
    periods, year, month = [], today.year, today.month
    for _ in range(MONTHS_OFFERED):
        periods.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return periods


def _quarters(today: dt.date) -> list[str]:
    periods, year, quarter = [], today.year, (today.month - 1) // 3 + 1
    for _ in range(QUARTERS_OFFERED):
        periods.append(f"{year:04d}-Q{quarter}")
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return periods


def _years(today: dt.date) -> list[str]:
    return [f"{today.year - n:04d}" for n in range(YEARS_OFFERED)]


def _period_label(key: str) -> str:
    return Period.parse(key, today=company_today()).label(lang())


def _with_current(options: list[Any], current: Any) -> list[Any]:
    """The options, the URL's value added when it is not among them (an older month, an archived department)."""
    return options if current is None or current in options else [*options, current]


# --- the bar ------------------------------------------------------------------------------------------------


def _preset_widgets(view: DashboardView, today: dt.date) -> None:
    """Set every filter widget from the view (the URL on load, or after it changed behind the widgets' back)."""
    period, filters = view.period, view.filters
    set_widget_value(keys.PERIOD_KIND, period.kind)
    set_widget_value(keys.PERIOD_MONTH, period.key() if period.kind == "month" else _months(today)[0])
    set_widget_value(keys.PERIOD_QUARTER, period.key() if period.kind == "quarter" else _quarters(today)[0])
    set_widget_value(keys.PERIOD_YEAR, period.key() if period.kind == "year" else _years(today)[0])
    st.session_state[keys.PERIOD_RANGE] = (period.start, period.end)
    for key, value in (
        (keys.OWNER, filters.owner_id),
        (keys.DEPARTMENT, filters.department_id),
        (keys.TIER, filters.value_tier),
        (keys.INDUSTRY, filters.industry),
        (keys.REGION, filters.region),
    ):
        set_widget_value(key, ALL if value is None else value)


def _select(column: Any, label: str, options: Sequence[Any], key: str, fmt: Callable[[Any], str]) -> Any:
    return column.selectbox(label, list(options), key=lang_key(key), format_func=fmt)


def _filter(column: Any, label: str, options: Sequence[Any], key: str, fmt: Callable[[Any], str]) -> Any:
    """A filter's selectbox, "All" first; returns None for All."""
    chosen = column.selectbox(
        label,
        [ALL, *options],
        key=lang_key(key),
        format_func=lambda value: t("dashboard.filter.all") if value == ALL else fmt(value),
    )
    return None if chosen == ALL else chosen


def filter_bar(actor: Actor) -> DashboardView:
    """Draw the filters from the URL and return the view they pick; a change goes back into the URL."""
    today = company_today()
    url = _url_query()
    view, readable = view_of(url, today)
    # The URL wins: on a first load, when it changed behind the widgets' back (a pasted link, Back), and when
    # Streamlit dropped the widgets' values while another page was open.
    widgets_lost = not all(has_widget_value(key) for key in (keys.PERIOD_KIND, keys.OWNER, keys.REGION))
    if st.session_state.get(keys.URL_SEEN) != url or widgets_lost:
        _preset_widgets(view, today)
    if not readable:
        st.warning(t("dashboard.filter.unreadable"), icon=":material/link_off:")

    owners = {c.id: c.label for c in cached_owner_choices(actor)}
    departments = dict(cached_department_choices(actor, lang()))
    top = st.columns([1.1, 1.5, 1.7, 1.7], vertical_alignment="bottom")
    kind = _select(top[0], t("dashboard.filter.period"), PERIOD_KINDS, keys.PERIOD_KIND, _kind_label)
    period = _period_picker(top[1], kind, view.period, today)
    owner = _filter(
        top[2],
        t("dashboard.filter.owner"),
        _with_current(list(owners), view.filters.owner_id),
        keys.OWNER,
        lambda i: owners.get(i, f"#{i}"),
    )
    department = _filter(
        top[3],
        t("dashboard.filter.department"),
        _with_current(list(departments), view.filters.department_id),
        keys.DEPARTMENT,
        lambda i: departments.get(i, f"#{i}"),
    )
    bottom = st.columns([1.1, 1.5, 1.7, 1.7], vertical_alignment="bottom")
    tier = _filter(
        bottom[0],
        t("dashboard.filter.tier"),
        [*VALUE_TIERS, NO_TIER],
        keys.TIER,
        lambda c: t("kpis.tier.none") if c == NO_TIER else t(f"tier.{c}"),
    )
    industry = _filter(
        bottom[1], t("dashboard.filter.industry"), INDUSTRIES, keys.INDUSTRY, lambda c: t(f"industry.{c}")
    )
    region = _filter(bottom[2], t("dashboard.filter.region"), REGIONS, keys.REGION, lambda c: t(f"region.{c}"))
    if not view.filters.is_empty():
        bottom[3].button(
            t("dashboard.filter.clear"), key=keys.CLEAR_FILTERS, icon=":material/filter_alt_off:", on_click=_clear
        )
    chosen = DashboardView(
        period or view.period,
        KpiFilters(owner_id=owner, department_id=department, value_tier=tier, industry=industry, region=region),
    )
    _write_url(chosen)
    return chosen


def _clear() -> None:
    """Every filter back to All (the period stays)."""
    for key in (keys.OWNER, keys.DEPARTMENT, keys.TIER, keys.INDUSTRY, keys.REGION):
        set_widget_value(key, ALL)


def _kind_label(kind: str) -> str:
    return t(f"kpis.period.kind.{kind}")


def _period_picker(column: Any, kind: str, current: Period, today: dt.date) -> Period | None:
    """The period of the chosen kind; None while a custom range has only its first day picked."""
    if kind == "month":
        options = _with_current(_months(today), current.key() if current.kind == "month" else None)
        key = _select(column, t("dashboard.filter.month"), options, keys.PERIOD_MONTH, _period_label)
        return Period.parse(key)
    if kind == "quarter":
        options = _with_current(_quarters(today), current.key() if current.kind == "quarter" else None)
        key = _select(column, t("dashboard.filter.quarter"), options, keys.PERIOD_QUARTER, _period_label)
        return Period.parse(key)
    if kind == "year":
        options = _with_current(_years(today), current.key() if current.kind == "year" else None)
        key = _select(column, t("dashboard.filter.year"), options, keys.PERIOD_YEAR, _period_label)
        return Period.parse(key)
    if kind == "custom":
        picked = column.date_input(t("dashboard.filter.range"), format="YYYY-MM-DD", key=keys.PERIOD_RANGE)
        if isinstance(picked, tuple | list) and len(picked) == 2:
            return Period.custom(picked[0], picked[1])
        column.caption(t("dashboard.filter.pick_end"))
        return None
    period = Period.last_12_months(today)
    column.text_input(
        t("dashboard.filter.dates"),
        value=f"{period.start.isoformat()} – {period.end.isoformat()}",
        disabled=True,
        key=f"{keys.PERIOD_RANGE}_shown",
    )
    return period


def _write_url(view: DashboardView) -> None:
    """Put the view in the URL (only what changed), and remember it as what the widgets show."""
    wanted = view.query()
    if view.period.kind == "last_12_months":
        wanted.pop(PERIOD_PARAM)  # the default: a bare /dashboard is the last 12 months
    for name in PARAMS:
        if name in wanted:
            if st.query_params.get(name) != wanted[name]:
                st.query_params[name] = wanted[name]
        elif name in st.query_params:
            del st.query_params[name]
    st.session_state[keys.URL_SEEN] = _url_query()
