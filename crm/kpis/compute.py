"""The KPIs computed in SQL for a period and filters, and the rows behind each figure (drill-down)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crm.kpis.definitions import NO_FILTERS, KpiFilters, KpiValue
from crm.kpis.periods import Period
from crm.platform.permissions import Actor
from db.engine import Sessions


def compute_kpis(
    sessions: Sessions,
    *,
    actor: Actor,
    period: Period,
    filters: KpiFilters = NO_FILTERS,
    codes: Iterable[str] | None = None,
) -> dict[str, KpiValue]:
    """Compute the KPIs (all, or those codes) for the period and filters, in display order."""
    raise NotImplementedError


def drill_down(
    sessions: Sessions,
    *,
    actor: Actor,
    code: str,
    period: Period,
    filters: KpiFilters = NO_FILTERS,
    page: int = 0,
    page_size: int = 50,
    key: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """List one page of the customers, complaints, responses or tasks behind a figure (or a chart's bar)."""
    raise NotImplementedError
