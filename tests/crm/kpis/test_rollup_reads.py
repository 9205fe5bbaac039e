"""The rollups read the short way round: a month covered in part is read from its start or from the next month's
start, whichever has fewer days of records to move it by, and the time after now counts as free (nothing is
recorded there yet). Either way the figures equal a count from the records, on the three databases."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from sqlalchemy import func, select

from crm.kpis.compute import revenue_by
from crm.kpis.definitions import KpiFilters
from crm.kpis.periods import Period
from crm.kpis.rollups import stage_counts_by
from crm.kpis.scope import customers_at, scope_for, window
from crm.platform.clock import company_zone, local_midnight
from crm.platform.parallel import sharing
from crm.platform.rollups import Part, ensure_built, plan
from db.engine import Sessions
from db.models import Customer, Order, StageChange
from tests.crm.kpis.conftest import NOW, TODAY, account

D = dt.date


def test_a_running_month_is_read_whole_less_its_days_to_come() -> None:
    # 1-7 December of 31 days: without today, the seven days are read; with today the 7th, the 24 days after it
    # hold nothing yet, so the month is read whole less those.
    assert plan(D(2026, 12, 1), D(2026, 12, 7)).parts == (Part(D(2026, 12, 1), D(2026, 12, 1), D(2026, 12, 7), 1),)
    running = plan(D(2026, 12, 1), D(2026, 12, 7), today=D(2026, 12, 7))
    assert running.whole == (D(2026, 12, 1),)
    assert running.parts == (Part(D(2026, 12, 1), D(2026, 12, 8), D(2026, 12, 31), -1),)
    # A past month's part is read the short way as before, today or not: 1-7 December 2025 as its seven days.
    assert plan(D(2025, 1, 1), D(2025, 12, 7), today=D(2026, 12, 7)).parts == (
        Part(D(2025, 12, 1), D(2025, 12, 1), D(2025, 12, 7), 1),
    )
    # A period wholly to come has nothing to read either way: its days, not a month less the past.
    assert plan(D(2027, 2, 3), D(2027, 2, 9), today=D(2026, 12, 7)).parts == (
        Part(D(2027, 2, 1), D(2027, 2, 3), D(2027, 2, 9), 1),
    )


def test_the_running_periods_revenue_leaves_out_orders_dated_after_its_end(demo: Sessions) -> None:
    """The running month read as the month less its days to come: an order dated next week (the app refuses one,
    but data brought in by other means may hold it) is in the month's rollup and must not count in the period
    ending today."""
    manager = account(demo, "manager")
    with demo.begin() as session:
        customer_id = session.scalar(select(Customer.id).where(Customer.archived_at.is_(None)).order_by(Customer.id))
        assert customer_id is not None
        session.add(Order(customer_id=customer_id, order_date=TODAY + dt.timedelta(days=7), amount=Decimal("1234.56")))
    ensure_built(demo)
    period = Period.custom(D(2026, 12, 1), TODAY)
    with demo.read() as session, sharing():
        w = window(session, period, NOW)
        scope = scope_for(manager, KpiFilters())
        figures = revenue_by(session, w, scope, ())
        expected = session.execute(
            select(func.count(), func.sum(Order.amount))
            .join(Customer, Customer.id == Order.customer_id)
            .where(
                Customer.archived_at.is_(None),
                Order.archived_at.is_(None),
                Order.order_date >= period.start,
                Order.order_date <= period.end,
            )
        ).one()
    assert w.today == TODAY
    orders, revenue = figures.get((), [0, 0])
    assert (orders, Decimal(revenue)) == (expected[0], Decimal(expected[1] or 0))


def test_stage_counts_read_forward_or_back_equal_the_records_at_every_instant(demo: Sessions) -> None:
    """Instants early in a month (read forward from its start), late in it (read back from the next month's start)
    and now (the next month's start, nothing after now), with stage changes on both sides of each."""
    manager = account(demo, "manager")
    ensure_built(demo)
    with demo.read() as session:
        zone = company_zone(session)
    instants = [
        local_midnight(day, zone) + dt.timedelta(hours=hours)
        for day, hours in ((D(2026, 10, 3), 5), (D(2026, 10, 26), 13), (D(2026, 11, 28), 0), (D(2026, 12, 2), 1))
    ]
    # Moves on both sides of each instant: a customer moved an hour before and one moved an hour after.
    with demo.begin() as session:
        ids = list(
            session.scalars(
                select(Customer.id)
                .where(Customer.archived_at.is_(None), Customer.created_at < instants[0] - dt.timedelta(days=1))
                .order_by(Customer.id)
                .limit(2 * len(instants))
            )
        )
        for i, instant in enumerate(instants):
            for customer_id, at in zip(
                ids[2 * i : 2 * i + 2], (instant - dt.timedelta(hours=1), instant + dt.timedelta(hours=1)), strict=True
            ):
                customer = session.get(Customer, customer_id)
                assert customer is not None
                to_stage = "churned" if customer.lifecycle_stage != "churned" else "signed"
                later = session.scalar(
                    select(func.min(StageChange.changed_at)).where(
                        StageChange.customer_id == customer_id, StageChange.changed_at > at
                    )
                )
                if later is not None:
                    continue  # its later history would no longer follow on: leave it be
                session.add(
                    StageChange(
                        customer_id=customer_id, from_stage=customer.lifecycle_stage, to_stage=to_stage, changed_at=at
                    )
                )
                customer.lifecycle_stage = to_stage
    ensure_built(demo)
    scope = scope_for(manager, KpiFilters())
    with demo.read() as session:
        for instant in [*instants, NOW + dt.timedelta(microseconds=1)]:
            from_, stage, conditions = customers_at(instant, NOW + dt.timedelta(microseconds=1))
            expected = Counter(
                {
                    (s, tier or ""): n
                    for s, tier, n in session.execute(
                        select(stage, Customer.value_tier, func.count())
                        .select_from(from_)
                        .where(*conditions, *scope.conditions)
                        .group_by(stage, Customer.value_tier)
                    )
                }
            )
            with sharing():
                counted = stage_counts_by(
                    session,
                    instant,
                    owner_id=scope.owner_id,
                    filters=scope.filters,
                    customer_conditions=list(scope.conditions),
                    now=NOW,
                )
            assert counted == +expected, instant
