"""Benchmark section `dashboard`: the managers' dashboard's reads (issue 17), cold and warm, as the demo manager,
for the last 12 months, with no filter and with three filters at once (a department, a value tier, a region),
next to the naive way.

Timed: compute_kpis, each charts_data function, the cards' KPIs (the period's and the previous period's, for the
change shown on each card) and the whole page's data (those and every chart), one read after the other and
as the page reads them, several at once (crm/platform/parallel.py). The naive way
(crm/bench/naive_kpis.py) loads the tables with pandas.read_sql and computes the same KPIs of both periods in
pandas (not the charts); its note gives the speed-up of the same KPIs in SQL and of the whole page's data (the
issue asks at least 10x from 100,000 customers). The naive way runs once: it is its own cold and warm. The section
first leaves the database as the daily run (`python -m crm kpi snapshot`) does: the rollups built (a data set
loaded before them), the usual periods' revenue windows made, the planner's statistics of the tables read refreshed.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

from sqlalchemy import func, select

from crm.bench.naive_kpis import load, reference
from crm.bench.runner import Context, Measurement, time_call
from crm.kpis import KPI_GROUPS, KpiFilters, Period, charts_data, compute_kpis
from crm.kpis.snapshots import refresh_dashboard_statistics
from crm.kpis.windows import prepare_usual_windows
from crm.platform.clock import company_today, utcnow
from crm.platform.parallel import WORKERS, run_together, sharing
from crm.platform.permissions import Actor
from crm.platform.rollups import ensure_built
from crm.platform.users import get_user
from db.engine import Sessions
from db.models import Customer

SECTION = "dashboard"
CHARTS = charts_data.EVERY_CHART


def _manager(sessions: Sessions) -> Actor:
    user = get_user(sessions, username="manager")
    if user is None:
        raise SystemExit("the data set has no demo manager")
    return user.as_actor()


def three_filters(sessions: Sessions) -> KpiFilters:
    """The department and the region with the most customers, and the medium tier: a typical narrowed view."""
    with sessions.read() as session:

        def most(column: Any) -> Any:
            return session.execute(
                select(column)
                .where(column.is_not(None), Customer.archived_at.is_(None))
                .group_by(column)
                .order_by(func.count().desc(), column)
                .limit(1)
            ).scalar()

        return KpiFilters(department_id=most(Customer.department_id), value_tier="medium", region=most(Customer.region))


def page_data(sessions: Sessions, actor: Actor, period: Period, filters: KpiFilters, workers: int = 1) -> int:
    """Everything the dashboard reads: the KPIs of the period and the one before (group by group, crm.kpis.KPI_GROUPS)
    and every chart's rows; with workers > 1 up to that many at once, as the page reads them (ui/kpis/reads.py
    prefetch_dashboard), sharing what several read alike (crm/platform/parallel.py)."""
    kpis = [
        partial(compute_kpis, sessions, actor=actor, period=shown, filters=filters, codes=group)
        for shown in (period, period.previous())
        for group in KPI_GROUPS
    ]
    charts = [partial(chart, sessions, actor=actor, period=period, filters=filters) for chart in CHARTS]
    with sharing():
        results = run_together([*kpis, *charts], workers=workers, raise_failure=True)
    return sum(1 for r in results[len(kpis) :] if r is not None)


def cards_data(sessions: Sessions, actor: Actor, period: Period, filters: KpiFilters) -> int:
    """The cards' figures: the KPIs of the period and of the one before (what the naive way computes too)."""
    compute_kpis(sessions, actor=actor, period=period, filters=filters)
    return len(compute_kpis(sessions, actor=actor, period=period.previous(), filters=filters))


def _times(naive_ms: float, measured: Measurement) -> str:
    cold = naive_ms / measured.cold_ms if measured.cold_ms else 0
    warm = naive_ms / measured.warm_ms if measured.warm_ms else 0
    return f"{cold:,.1f}x cold / {warm:,.1f}x warm"


def naive(sessions: Sessions, period: Period, filters: KpiFilters) -> int:
    """The naive way: read_sql of every table the KPIs use, then both periods' KPIs in pandas."""
    now = utcnow()
    with sessions.engine.connect() as connection:
        raw = load(connection)
    reference(raw, period, filters, now)
    reference(raw, period.previous(), filters, now)
    return sum(len(frame) for frame in raw.frames.values())


def measure(ctx: Context) -> list[Measurement]:
    """Time the dashboard's reads with no filter and with three, and the naive way beside them."""
    sessions, runs = ctx.sessions, ctx.warm_runs
    # What the daily run (`python -m crm kpi snapshot`) leaves: the rollups built, the usual periods' revenue
    # windows made (crm/kpis/windows.py) and the planner's statistics of the tables read refreshed.
    ensure_built(sessions)
    prepare_usual_windows(sessions)
    refresh_dashboard_statistics(sessions)
    actor = _manager(sessions)
    with sessions.read() as session:
        today = company_today(session)
    period = Period.last_12_months(today)
    rows: list[Measurement] = []
    for label, filters in (("no filter", KpiFilters()), ("3 filters", three_filters(sessions))):
        ctx.progress(f"dashboard, {label}: {filters.key()}")
        rows.append(
            time_call(
                SECTION,
                f"compute_kpis, {label}",
                partial(compute_kpis, sessions, actor=actor, period=period, filters=filters),
                warm_runs=runs,
                note=lambda values: f"{len(values)} KPIs, {period.key()}",  # type: ignore[arg-type]
            )
        )
        for chart in CHARTS:
            rows.append(
                time_call(
                    SECTION,
                    f"{chart.__name__}, {label}",
                    partial(chart, sessions, actor=actor, period=period, filters=filters),
                    warm_runs=runs,
                )
            )
        cards = time_call(
            SECTION,
            f"cards' KPIs (this and the previous period), {label}",
            partial(cards_data, sessions, actor, period, filters),
            warm_runs=runs,
        )
        page = time_call(
            SECTION,
            f"page data (KPIs x2 + 8 charts), {label}",
            partial(page_data, sessions, actor, period, filters),
            warm_runs=runs,
        )
        together = time_call(
            SECTION,
            f"page data, {WORKERS} reads at once (as the page), {label}",
            partial(page_data, sessions, actor, period, filters, WORKERS),
            warm_runs=runs,
        )
        started = time.perf_counter()
        loaded = naive(sessions, period, filters)
        naive_ms = round((time.perf_counter() - started) * 1000, 1)
        rows += [cards, page, together]
        rows.append(
            Measurement(
                SECTION,
                f"naive pandas (read_sql + KPIs x2), {label}",
                naive_ms,
                naive_ms,
                f"{loaded:,} rows read; the same KPIs in SQL {_times(naive_ms, cards)} faster, "
                f"the whole page's data {_times(naive_ms, page)}, read at once {_times(naive_ms, together)}",
            )
        )
    return rows
