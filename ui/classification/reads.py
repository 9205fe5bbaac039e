"""The classification page's cached reads, keyed by their arguments, and the one function that forgets them."""

from __future__ import annotations

from typing import Any

import streamlit as st

from crm.classification.judged import StageStatistics, stage_statistics
from crm.classification.reads import (
    cadence_exceptions,
    customers_in_class,
    distribution,
    owners_with_exceptions,
    rfm_grid,
)
from crm.platform.permissions import Actor
from ui.kpis.reads import clear_kpi_reads
from ui.reads import READ_TTL_SECONDS
from ui.state import get_sessions


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_distribution(actor: Actor) -> dict[str, dict[str, int]]:
    return distribution(get_sessions(), actor=actor)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_grid(actor: Actor) -> list[dict[str, Any]]:
    return rfm_grid(get_sessions(), actor=actor)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_class_page(
    actor: Actor, dimension: str, value: str, page: int, page_size: int
) -> tuple[list[dict[str, Any]], int]:
    return customers_in_class(
        get_sessions(), actor=actor, dimension=dimension, value=value, page=page, page_size=page_size
    )


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_exceptions(
    actor: Actor, owner_id: int | None, page: int, page_size: int
) -> tuple[list[dict[str, Any]], int]:
    return cadence_exceptions(get_sessions(), actor=actor, owner_id=owner_id, page=page, page_size=page_size)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_exception_owners(actor: Actor) -> list[dict[str, Any]]:
    return owners_with_exceptions(get_sessions(), actor=actor)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_stage_statistics(actor: Actor) -> StageStatistics:
    return stage_statistics(get_sessions(), actor=actor)


_CLASSIFICATION_READS = (
    cached_distribution,
    cached_grid,
    cached_class_page,
    cached_exceptions,
    cached_exception_owners,
    cached_stage_statistics,
)


def clear_classification_reads() -> None:
    """Forget what a classification write changes: this page's figures, and the KPI figures (the overview's counts
    by stage and tier, the dashboard's filtered by tier)."""
    for read in _CLASSIFICATION_READS:
        read.clear()
    clear_kpi_reads()
