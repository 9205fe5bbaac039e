"""Month-end snapshots freeze every KPI: the frozen month equals the live figure at its end and does not move when
a record of that month is edited later; trends say which of their months are frozen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from crm.kpis import (
    KpiFilters,
    Period,
    compute_kpis,
    frozen_kpis,
    kpi_series,
    snapshot_month,
    snapshot_pending,
    snapshots,
)
from crm.kpis.snapshots import breakdowns
from crm.platform.clock import frozen_at
from crm.platform.errors import PermissionDenied, ValidationError
from crm.platform.rollups import moving
from db.engine import Sessions
from db.models import Customer, KpiSnapshot, Order
from tests.crm.kpis.conftest import account

NOVEMBER = Period.month(2026, 11)
# 1 December 2026, 00:30 in Shanghai: just after November's end.
AFTER_NOVEMBER = dt.datetime(2026, 11, 30, 16, 30, tzinfo=dt.UTC)


def test_a_frozen_month_equals_the_live_figures_at_its_end_for_every_breakdown(demo: Sessions) -> None:
    manager = account(demo, "manager")
    views = breakdowns(demo)
    assert len(views) > 10 and KpiFilters() in views and KpiFilters(value_tier="none") in views
    picked = [views[0], views[1], next(v for v in views if v.department_id), KpiFilters(value_tier="high")]
    with frozen_at(AFTER_NOVEMBER):
        live = {view.key(): compute_kpis(demo, actor=manager, period=NOVEMBER, filters=view) for view in picked}
        assert snapshot_month(demo, actor=manager, month=dt.date(2026, 11, 1)) == len(views)
    for view in picked:
        frozen = frozen_kpis(demo, dt.date(2026, 11, 1), view)
        assert frozen is not None
        assert {c: v.as_json() for c, v in frozen.items()} == {c: v.as_json() for c, v in live[view.key()].items()}
    assert frozen_kpis(demo, dt.date(2026, 10, 1), KpiFilters()) is None


def test_an_order_edited_after_the_snapshot_moves_the_live_figure_not_the_frozen_one(demo: Sessions) -> None:
    manager = account(demo, "manager")
    snapshot_month(demo, actor=manager, month=dt.date(2026, 11, 1), filters=[KpiFilters()])
    frozen = frozen_kpis(demo, dt.date(2026, 11, 1))
    assert frozen is not None and frozen["revenue"].value > 0
    with demo.begin() as session:
        order_id = session.scalar(
            select(func.min(Order.id)).where(
                Order.order_date >= NOVEMBER.start, Order.order_date <= NOVEMBER.end, Order.archived_at.is_(None)
            )
        )
        customer_id = session.scalar(select(Order.customer_id).where(Order.id == order_id))
        with moving(session.connection(), [customer_id]):  # a Core write: the rollups moved as the app's writes do
            session.execute(update(Order).where(Order.id == order_id).values(amount=Order.amount + Decimal("1000.00")))
    live = compute_kpis(demo, actor=manager, period=NOVEMBER, codes=["revenue"])["revenue"].value
    assert live == frozen["revenue"].value + Decimal("1000.00")
    assert frozen_kpis(demo, dt.date(2026, 11, 1))["revenue"].value == frozen["revenue"].value  # type: ignore[index]
    months = [dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1)]
    series = kpi_series(demo, actor=manager, code="revenue", months=months)
    assert [(m, f) for m, _, f in series] == [(months[0], False), (months[1], True), (months[2], False)]
    assert series[1][1] == frozen["revenue"].value
    live_series = kpi_series(demo, actor=manager, code="revenue", months=months, frozen=False)
    assert live_series[1] == (months[1], live, False)
    # Staff read their own customers: never the company's frozen figures.
    staff = account(demo, "staff")
    assert all(not f for _, _, f in kpi_series(demo, actor=staff, code="revenue", months=months))


def test_the_daily_run_freezes_the_ended_months_not_yet_frozen_once(
    demo: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshots, "BACKFILL_MONTHS", 4)  # 24 in the app: four keep the test short
    manager = account(demo, "manager")
    snapshot_month(demo, actor=manager, month=dt.date(2026, 10, 1), filters=[KpiFilters()])
    views = len(breakdowns(demo))
    with demo.read() as session:
        first = session.scalar(select(func.min(Customer.created_at)))
    assert first is not None
    assert first.date() < dt.date(2026, 8, 1)
    frozen = snapshot_pending(demo, actor=manager)
    assert frozen == [dt.date(2026, 8, 1), dt.date(2026, 9, 1), dt.date(2026, 11, 1)]  # October was frozen
    with demo.read() as session:
        stored = session.scalar(select(func.count()).select_from(KpiSnapshot).where(KpiSnapshot.key.like("kpi:%")))
    assert stored == len(frozen) * views + 1
    assert snapshot_pending(demo, actor=manager) == []


def test_a_month_not_over_cannot_be_frozen_and_viewers_freeze_nothing(demo: Sessions) -> None:
    with pytest.raises(ValidationError):
        snapshot_month(demo, actor=account(demo, "manager"), month=dt.date(2026, 12, 1))
    with pytest.raises(PermissionDenied):
        snapshot_month(demo, actor=account(demo, "viewer"), month=dt.date(2026, 11, 1))
