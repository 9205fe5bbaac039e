"""Revenue windows: each customer's revenue in a period kept in step with the orders, for the concentration KPIs.

The share of revenue from the top 20% of buying customers and the customers making 80% of it rank every buying
customer by the period's revenue: from the orders that is a GROUP BY over millions of rows (7-10 s at 10,000,000
orders). A window (kpi_revenue_windows) holds one row per customer and segment with the period's orders and
revenue (kpi_window_revenue), kept in step by crm.platform.rollups like the other rollups. The figures are then
read without sorting the customers: one pass counts and sums them per revenue bucket (the number of digits of the
whole amount and its first two digits: about 900 buckets, a column the database keeps, db/models/rollups.py
revenue_bucket), the buckets are walked from the top, and only the bucket where the top 20% or 80% of revenue is
crossed is read customer by customer, in revenue order from the index.

Windows are made on first use of a period (the recount of its orders, once) and by the daily run for the
dashboard's usual periods (`prepare_usual_windows`); the daily run deletes the windows no usual period needs that
are older than a week. Building one: the window row is committed first (from then on every order write keeps its
rows), then in a second transaction its row is locked (order writes share-lock the windows before they read, so
they wait) and its rows are recounted; readers use built windows only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from crm.kpis.periods import Period
from crm.platform.clock import company_today, utcnow
from crm.platform.rollups import Rollup, SegmentFilter, customer_ids_of, live_customers, register, segment_group
from crm.platform.rollups import segment_of as rollup_segment
from db.engine import Sessions
from db.models import Customer, KpiRevenueWindow, KpiWindowRevenue, Order

KEEP_DAYS = 7  # windows no usual period needs are deleted this long after they were made
REVENUE_SHARE = Decimal("0.8")


def window_contributions(condition: ColumnElement[bool] | None, window_id: int | None = None) -> Select[Any]:
    """Orders and revenue per window, customer and segment, of the live customers picked (one window or all)."""
    in_window = and_(Order.order_date >= KpiRevenueWindow.first_day, Order.order_date <= KpiRevenueWindow.last_day)
    if window_id is not None:
        in_window = and_(in_window, KpiRevenueWindow.id == window_id)
    return (
        select(
            KpiRevenueWindow.id.label("window_id"),
            Customer.id.label("customer_id"),
            *rollup_segment(),
            func.count().label("orders"),
            func.sum(Order.amount).label("revenue"),
        )
        .select_from(Order)
        .join(Customer, Customer.id == Order.customer_id)
        .join(KpiRevenueWindow, in_window)
        .where(*live_customers(condition), Order.archived_at.is_(None))
        .group_by(KpiRevenueWindow.id, Customer.id, *segment_group())
    )


def _share_lock_windows(connection: Connection) -> None:
    # A window being built holds its row FOR UPDATE: an order write waits here until the recount is committed.
    connection.execute(select(KpiRevenueWindow.id).with_for_update(read=True)).all()


WINDOW_REVENUE = register(
    Rollup(
        "window_revenue",
        KpiWindowRevenue,
        ("orders", "revenue"),
        window_contributions,
        lambda session: customer_ids_of(session, Order),
        lock=_share_lock_windows,
    )
)


# --- making windows ----------------------------------------------------------------------------------------


def find_window(connection: Connection, first_day: dt.date, last_day: dt.date) -> int | None:
    """The id of the built window of those days, None if there is none yet."""
    return connection.scalar(
        select(KpiRevenueWindow.id).where(
            KpiRevenueWindow.first_day == first_day, KpiRevenueWindow.last_day == last_day, KpiRevenueWindow.built
        )
    )


def revenue_window(sessions: Sessions, first_day: dt.date, last_day: dt.date) -> int:
    """The id of the window of those days, made and built first if there is none (two transactions)."""
    with sessions.read() as session:
        found = find_window(session.connection(), first_day, last_day)
    if found is not None:
        return found
    try:
        with sessions.begin() as session:
            session.execute(
                insert(KpiRevenueWindow).values(
                    first_day=first_day, last_day=last_day, built=False, created_at=utcnow()
                )
            )
    except IntegrityError:
        pass  # another server made it at the same moment: build (or wait for) that one
    with sessions.begin() as session:
        connection = session.connection()
        window_id, built = connection.execute(
            select(KpiRevenueWindow.id, KpiRevenueWindow.built)
            .where(KpiRevenueWindow.first_day == first_day, KpiRevenueWindow.last_day == last_day)
            .with_for_update()
        ).one()
        if not built:
            build_window(connection, window_id)
    return int(window_id)


def build_window(connection: Connection, window_id: int) -> None:
    """Recount a window's rows from the orders (its row locked by the caller) and mark it built."""
    table = KpiWindowRevenue.__table__
    connection.execute(delete(table).where(table.c.window_id == window_id))
    names = [c.name for c in table.primary_key.columns] + ["orders", "revenue"]
    query = window_contributions(None, window_id).subquery()
    connection.execute(insert(table).from_select(names, select(*(query.c[n] for n in names))))
    connection.execute(KpiRevenueWindow.__table__.update().where(KpiRevenueWindow.id == window_id).values(built=True))


def usual_periods(today: dt.date) -> list[Period]:
    """The periods the dashboard opens on or offers first: the last 12 months, this month, quarter and year, and
    the period before each (the cards' change)."""
    periods = [
        Period.last_12_months(today),
        Period.containing_month(today),
        Period.quarter(today.year, (today.month - 1) // 3 + 1),
        Period.year(today.year),
    ]
    return [p for period in periods for p in (period, period.previous())]


def prepare_usual_windows(sessions: Sessions) -> dict[str, int]:
    """Make the usual periods' windows and delete the windows no usual period needs made over a week ago (the
    daily run): {"made": n, "deleted": n}."""
    with sessions.read() as session:
        today = company_today(session)
        existing = {
            (first, last): window_id
            for window_id, first, last in session.execute(
                select(KpiRevenueWindow.id, KpiRevenueWindow.first_day, KpiRevenueWindow.last_day).where(
                    KpiRevenueWindow.built
                )
            )
        }
    wanted = {(p.start, p.end) for p in usual_periods(today)}
    made = 0
    for first, last in sorted(wanted - existing.keys()):
        revenue_window(sessions, first, last)
        made += 1
    cutoff = utcnow() - dt.timedelta(days=KEEP_DAYS)
    with sessions.begin() as session:
        stale = [
            window_id
            for window_id, first, last, created in session.execute(
                select(
                    KpiRevenueWindow.id,
                    KpiRevenueWindow.first_day,
                    KpiRevenueWindow.last_day,
                    KpiRevenueWindow.created_at,
                ).with_for_update()
            )
            if (first, last) not in wanted and created < cutoff
        ]
        if stale:
            session.execute(delete(KpiWindowRevenue).where(KpiWindowRevenue.window_id.in_(stale)))
            session.execute(delete(KpiRevenueWindow).where(KpiRevenueWindow.id.in_(stale)))
    return {"made": made, "deleted": len(stale)}


# --- reading the concentration -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Concentration:
    """The period's revenue over the customers counted, and how concentrated it is."""

    revenue: Decimal  # every order of the period
    orders: int
    customers: int  # with an order in the period
    buying: int  # with revenue > 0: the customers ranked
    positive: Decimal  # their revenue
    top20: Decimal  # the revenue of the top ceil(buying / 5)
    making80: int  # the fewest top customers whose revenue reaches 80% of `positive`
    curve: list[tuple[int, Decimal]]  # (customers, their revenue) from the top, at each bucket's end


def concentration(connection: Connection, window_id: int, segment: SegmentFilter) -> Concentration:
    """The window's revenue figures for the customers the segment filter counts."""
    rows = KpiWindowRevenue
    picked = [rows.window_id == window_id, *segment.on(rows)]
    # One pass over the window's rows grouped by their stored bucket: the buying customers (revenue > 0) in theirs,
    # the others (zero or negative revenue, but orders) in bucket 0, for the totals alone.
    revenue, orders, customers = Decimal(0), 0, 0
    buckets = []
    for bucket, n, total, bought in connection.execute(
        select(rows.bucket, func.count(), func.sum(rows.revenue), func.sum(rows.orders))
        .where(*picked, rows.orders > 0)
        .group_by(rows.bucket)
    ):
        revenue, orders, customers = revenue + Decimal(total or 0), orders + int(bought or 0), customers + int(n)
        if int(bucket):
            buckets.append((int(bucket), int(n), Decimal(total)))
    buckets.sort(reverse=True)
    buying = sum(b[1] for b in buckets)
    positive = sum((b[2] for b in buckets), Decimal(0))
    curve: list[tuple[int, Decimal]] = []
    ranked, running = 0, Decimal(0)
    for _bucket, n, total in buckets:
        ranked, running = ranked + n, running + total
        curve.append((ranked, running))
    top_n = (buying + 4) // 5
    top20 = _top_sum(connection, picked, buckets, top_n)
    making80 = _reaching(connection, picked, buckets, positive * REVENUE_SHARE) if buying else 0
    return Concentration(revenue, orders, customers, buying, positive, top20, making80, curve)


def _in_bucket(picked: list[Any], bucket: int) -> Select[Any]:
    """The revenues of a bucket, largest first (the index on (window, bucket, revenue) holds them in order)."""
    rows = KpiWindowRevenue
    return select(rows.revenue).where(*picked, rows.bucket == bucket).order_by(rows.revenue.desc())


def _top_sum(connection: Connection, picked: list[Any], buckets: list[tuple[int, int, Decimal]], k: int) -> Decimal:
    """The revenue of the k largest: whole buckets from the top, then the largest of the bucket holding rank k."""
    total, left = Decimal(0), k
    for bucket, n, bucket_total in buckets:
        if left <= 0:
            break
        if n < left:
            total, left = total + bucket_total, left - n
            continue
        # The bucket holding rank k is always read (one query whatever the data: no N+1 to hide).
        largest = connection.scalars(_in_bucket(picked, bucket).limit(left)).all()
        return total + sum((Decimal(v) for v in largest), Decimal(0))
    return total


def _reaching(
    connection: Connection, picked: list[Any], buckets: list[tuple[int, int, Decimal]], share: Decimal
) -> int:
    """The fewest of the largest revenues whose sum reaches `share`."""
    count, total = 0, Decimal(0)
    for bucket, n, bucket_total in buckets:
        if total + bucket_total < share:
            count, total = count + n, total + bucket_total
            continue
        for value in connection.scalars(_in_bucket(picked, bucket)):
            count, total = count + 1, total + Decimal(value)
            if total >= share:
                return count
    return count
