"""The satisfaction page's cached reads (figures, trend, breakdowns, templates, campaigns), keyed by their
arguments, and the one function forgetting them."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from crm.platform.permissions import Actor
from crm.satisfaction import (
    BreakdownRow,
    CampaignView,
    FallenScore,
    MonthFigures,
    SatisfactionFigures,
    SatisfactionFilters,
    TemplateRow,
    breakdown,
    fallen_scores,
    list_campaigns,
    list_templates,
    monthly_trend,
    satisfaction_figures,
)
from ui.state import READ_TTL_SECONDS, get_sessions

FALLEN_SHOWN = 50


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_figures(actor: Actor, start: dt.date, end: dt.date, filters: SatisfactionFilters) -> SatisfactionFigures:
    """CSAT, NPS, responses, dimensions and recovery of a period."""
    return satisfaction_figures(get_sessions(), actor=actor, start=start, end=end, filters=filters)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_trend(actor: Actor, start: dt.date, end: dt.date, filters: SatisfactionFilters) -> list[MonthFigures]:
    """CSAT and NPS per month of the period."""
    return monthly_trend(get_sessions(), actor=actor, start=start, end=end, filters=filters)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_breakdown(
    actor: Actor, start: dt.date, end: dt.date, by: str, filters: SatisfactionFilters, lang: str
) -> list[BreakdownRow]:
    """CSAT and NPS per value of a breakdown, labelled in the language."""
    return breakdown(get_sessions(), actor=actor, start=start, end=end, by=by, filters=filters, lang=lang)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_fallen(
    actor: Actor, start: dt.date, end: dt.date, filters: SatisfactionFilters
) -> tuple[list[FallenScore], int]:
    """The customers whose latest score in the period fell (the first FALLEN_SHOWN) and how many in all."""
    return fallen_scores(get_sessions(), actor=actor, start=start, end=end, filters=filters, page_size=FALLEN_SHOWN)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_templates(actor: Actor, include_retired: bool = False) -> list[TemplateRow]:
    """The templates in force (with include_retired, every revision)."""
    return list_templates(get_sessions(), actor=actor, include_retired=include_retired)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_campaigns(actor: Actor) -> list[CampaignView]:
    """The campaigns with their members, responses and response rate."""
    return list_campaigns(get_sessions(), actor=actor)


def clear_satisfaction_reads() -> None:
    """Forget the satisfaction figures, templates and campaigns: after a response, a template or a campaign."""
    for cached in (cached_figures, cached_trend, cached_breakdown, cached_fallen, cached_templates, cached_campaigns):
        cached.clear()
