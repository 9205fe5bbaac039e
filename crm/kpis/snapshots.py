"""Month-end snapshots: every KPI frozen with its numerator and denominator, so an ended month's figures do not move
when old records are edited later; trends read them (frozen) or recompute (live), and say which.

A month is frozen for the unfiltered view and for each single-filter breakdown (each owner, department, value tier,
industry and region holding customers), one kpi_snapshots row each under the key "kpi:YYYY-MM:<filters>"
(<filters> is KpiFilters.key(): "all", "owner=3", "tier=high"...). A trend reads its months' rows by key, so no
table of its own is needed. `python -m crm kpi snapshot` (daily, from cron, next to `follow-ups generate`) freezes
every ended month of the last 24 not yet frozen; with --month it freezes (again) that month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select

from crm.kpis.compute import TIERS, compute_kpis
from crm.kpis.definitions import NO_FILTERS, KpiFilters, KpiValue
from crm.kpis.periods import Period, add_months, month_start
from crm.platform.clock import company_today, company_zone, local_date, utcnow
from crm.platform.errors import ValidationError
from crm.platform.permissions import Actor, require
from crm.platform.rollups import SOURCE_TABLES, rollups
from crm.platform.snapshots import upsert_snapshot
from db.engine import Sessions, refresh_statistics
from db.models import Customer, KpiSnapshot, Order

# The records the dashboard reads beside the rollups: the daily run refreshes the planner statistics of both.
# SQLite keeps none by itself (PostgreSQL's autovacuum and MariaDB's persistent statistics do, and are only brought
# forward), and without them it took `archived_at IS NULL` for a selective condition and walked every customer.
RECORD_TABLES = (*SOURCE_TABLES, "follow_up_tasks", "suggestions")
KEY = "kpi:{month}:{filters}"
KEY_PREFIX = "kpi:"
BACKFILL_MONTHS = 24  # how far back the daily run looks for months not yet frozen


def snapshot_key(month: dt.date, filters: KpiFilters) -> str:
    """The kpi_snapshots key of a month's figures under the filters."""
    return KEY.format(month=f"{month.year:04d}-{month.month:02d}", filters=filters.key())


def breakdowns(sessions: Sessions) -> list[KpiFilters]:
    """The unfiltered view and every single filter a snapshot freezes: each owner, department, industry and region
    holding live customers, and each value tier."""
    with sessions.read() as session:
        live = Customer.archived_at.is_(None)

        def values(column: Any) -> list[Any]:
            query = select(column).distinct().where(live, column.is_not(None)).order_by(column)
            return list(session.scalars(query))

        owners, departments = values(Customer.owner_id), values(Customer.department_id)
        industries, regions = values(Customer.industry), values(Customer.region)
    return [
        NO_FILTERS,
        *(KpiFilters(owner_id=int(v)) for v in owners),
        *(KpiFilters(department_id=int(v)) for v in departments),
        *(KpiFilters(value_tier=v) for v in TIERS),
        *(KpiFilters(industry=str(v)) for v in industries),
        *(KpiFilters(region=str(v)) for v in regions),
    ]


def _check_ended(sessions: Sessions, month: dt.date) -> Period:
    period = Period.containing_month(month)
    with sessions.read() as session:
        today = company_today(session)
    if period.end >= today:
        raise ValidationError({"month": ("kpis.error.month", {})})
    return period


def snapshot_month(
    sessions: Sessions, *, actor: Actor, month: dt.date, filters: Iterable[KpiFilters] | None = None
) -> int:
    """Freeze every KPI of an ended month for the unfiltered view and each single-filter breakdown (or the given
    filters); return how many views were stored. Figures are read as at the month's end, from the records as they
    are now; the rows are written in one transaction after all are computed."""
    require(actor, "kpi.targets")
    period = _check_ended(sessions, month)
    now = utcnow()
    views = list(filters) if filters is not None else breakdowns(sessions)
    payloads: dict[str, dict[str, Any]] = {}
    for view in views:
        values = compute_kpis(sessions, actor=actor, period=period, filters=view)
        payloads[snapshot_key(period.start, view)] = {
            "month": period.key(),
            "filters": view.key(),
            "values": {code: value.as_json() for code, value in values.items()},
        }
    with sessions.begin() as session:
        for key, payload in payloads.items():
            upsert_snapshot(session, key=key, payload=payload, computed_at=now)
    return len(payloads)


def frozen_months(sessions: Sessions) -> set[dt.date]:
    """The months whose unfiltered figures are frozen."""
    with sessions.read() as session:
        keys = session.scalars(select(KpiSnapshot.key).where(KpiSnapshot.key.like(f"{KEY_PREFIX}%:all")))
        return {dt.date.fromisoformat(f"{key.split(':')[1]}-01") for key in keys}


def unfrozen_months(sessions: Sessions) -> list[dt.date]:
    """Every ended month of the last BACKFILL_MONTHS, since the first customer or order, not frozen yet, oldest
    first (older months are frozen on request with --month: a first run on years of data stays short)."""
    with sessions.read() as session:
        zone = company_zone(session)
        today = company_today(session)
        first_customer = session.scalar(select(func.min(Customer.created_at)))
        first_order = session.scalar(select(func.min(Order.order_date)).where(Order.archived_at.is_(None)))
    starts = [day for day in (first_customer and local_date(first_customer, zone), first_order) if day]
    if not starts:
        return []
    done = frozen_months(sessions)
    months, month = [], max(month_start(min(starts)), add_months(today, -BACKFILL_MONTHS))
    while add_months(month, 1) <= today:
        if month not in done:
            months.append(month)
        month = add_months(month, 1)
    return months


def snapshot_pending(sessions: Sessions, *, actor: Actor) -> list[dt.date]:
    """The daily run: freeze every ended month not yet frozen; return those months."""
    require(actor, "kpi.targets")
    months = unfrozen_months(sessions)
    views = breakdowns(sessions) if months else []
    for month in months:
        snapshot_month(sessions, actor=actor, month=month, filters=views)
    return months


def frozen_kpis(sessions: Sessions, month: dt.date, filters: KpiFilters = NO_FILTERS) -> dict[str, KpiValue] | None:
    """The KPIs frozen for the month under these filters (a single filter or none), or None if not frozen."""
    with sessions.read() as session:
        payload = session.scalar(select(KpiSnapshot.payload).where(KpiSnapshot.key == snapshot_key(month, filters)))
    if not isinstance(payload, dict):
        return None
    return {code: KpiValue.from_json(value) for code, value in payload.get("values", {}).items()}


def kpi_series(
    sessions: Sessions,
    *,
    actor: Actor,
    code: str,
    months: Sequence[dt.date],
    filters: KpiFilters = NO_FILTERS,
    frozen: bool = True,
) -> list[tuple[dt.date, Any, bool]]:
    """A KPI month by month: (month, value, frozen). With frozen=True a month frozen under these filters gives its
    frozen value, any other month (not ended, not frozen, or filters no snapshot keeps) its live one. Staff
    always get live values: snapshots hold the company's figures, staff their own."""
    require(actor, "customers.view")
    starts = [month_start(m) for m in months]
    stored: dict[str, Any] = {}
    if frozen and actor.can("kpi.view") and starts:
        keys = [snapshot_key(m, filters) for m in starts]
        with sessions.read() as session:
            rows = session.execute(select(KpiSnapshot.key, KpiSnapshot.payload).where(KpiSnapshot.key.in_(keys)))
            stored = {key: payload for key, payload in rows}
    series: list[tuple[dt.date, Any, bool]] = []
    for month in starts:
        payload = stored.get(snapshot_key(month, filters))
        if isinstance(payload, dict) and code in payload.get("values", {}):
            series.append((month, KpiValue.from_json(payload["values"][code]).value, True))
            continue
        live = compute_kpis(sessions, actor=actor, period=Period.containing_month(month), filters=filters, codes=[code])
        series.append((month, live[code].value if code in live else None, False))
    return series


def refresh_dashboard_statistics(sessions: Sessions) -> None:
    """Sample the dashboard's tables, records and rollups, again for the query planner (the daily run; seconds per
    million rows). On PostgreSQL also VACUUM them: the pages marked all-visible let the rollups' covering indexes
    be read without the table (a revenue window rebuilt by the daily run was otherwise scanned whole until
    autovacuum came by: 207 -> 102 ms for a filtered concentration at a million customers)."""
    tables = [*RECORD_TABLES, *(rollup.model.__tablename__ for rollup in rollups())]
    refresh_statistics(sessions.engine, tables, vacuum=True)
