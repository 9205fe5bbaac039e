"""Revenue windows (crm/kpis/windows.py): kept in step with order writes, read without sorting every customer, made
for the usual periods by the daily run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from crm.customers.records import add_order, set_order_archived, update_order
from crm.kpis import NO_FILTERS, KpiFilters, Period, compute_kpis
from crm.kpis.windows import prepare_usual_windows, revenue_window, usual_periods
from crm.platform.rollups import check
from db.engine import Sessions
from db.models import Customer, KpiRevenueWindow, KpiWindowRevenue, Order
from tests.crm.kpis.conftest import TODAY, account
from tests.crm.kpis.reference import load, reference

YEAR = Period.last_12_months(TODAY)


def _raw(sessions: Sessions, period: Period, filters: KpiFilters) -> dict[str, object]:
    """The concentration KPIs computed the naive way (pandas over the raw rows)."""
    with sessions.engine.connect() as connection:
        raw = load(connection)
    from crm.platform.clock import utcnow

    values = reference(raw, period, filters, utcnow())
    return {code: values[code][0] for code in ("revenue", "revenue_top20_share", "customers_making_80")}


def _same(got: dict[str, object], want: dict[str, object]) -> bool:
    """Equal figures: amounts and counts exactly, shares to 1e-9."""
    return got.keys() == want.keys() and all(
        abs(float(got[k]) - float(want[k])) < 1e-9  # type: ignore[arg-type]
        if isinstance(got[k], float)
        else Decimal(str(got[k])) == Decimal(str(want[k]))
        for k in got
    )


def _kpis(sessions: Sessions, period: Period, filters: KpiFilters = NO_FILTERS) -> dict[str, object]:
    manager = account(sessions, "manager")
    values = compute_kpis(
        sessions,
        actor=manager,
        period=period,
        filters=filters,
        codes=["revenue", "revenue_top20_share", "customers_making_80"],
    )
    return {code: value.value for code, value in values.items()}


def test_a_window_follows_every_order_write_and_keeps_the_figures_exact(demo: Sessions) -> None:
    """Made on first use; then adding, editing, archiving orders and moving a customer to another owner keep its
    rows equal to a recount and its figures equal to pandas over the raw rows."""
    before = _kpis(demo, YEAR)
    assert _same(before, _raw(demo, YEAR, KpiFilters()))
    manager = account(demo, "manager")
    with demo.read() as session:
        customer_id, owner_id = session.execute(
            select(Customer.id, Customer.owner_id).where(Customer.archived_at.is_(None)).order_by(Customer.id)
        ).first()  # type: ignore[misc]
    order = add_order(
        demo,
        actor=manager,
        customer_id=customer_id,
        data={"order_date": TODAY - dt.timedelta(days=3), "amount": "250000.00"},
        today=TODAY,
    )
    after = _kpis(demo, YEAR)
    assert after["revenue"] == Decimal(before["revenue"]) + Decimal("250000.00")  # type: ignore[arg-type]
    assert _same(after, _raw(demo, YEAR, KpiFilters()))
    order = update_order(
        demo,
        actor=manager,
        order_id=order.id,
        version=order.version,
        data={"order_date": TODAY - dt.timedelta(days=400), "amount": "9.99"},
        today=TODAY,
    )
    assert _same(_kpis(demo, YEAR), before)
    assert _same(_kpis(demo, YEAR), _raw(demo, YEAR, KpiFilters()))
    set_order_archived(demo, actor=manager, order_id=order.id, version=order.version, archived=True)
    with demo.read() as session:
        assert set(check(session.connection()).values()) == {0}
    owner = KpiFilters(owner_id=owner_id)
    assert _same(_kpis(demo, YEAR, owner), _raw(demo, YEAR, owner))


def test_the_daily_run_makes_the_usual_windows_once_and_forgets_old_ones(demo: Sessions) -> None:
    made = prepare_usual_windows(demo)
    wanted = {(p.start, p.end) for p in usual_periods(TODAY)}
    assert made == {"made": len(wanted), "deleted": 0}
    assert prepare_usual_windows(demo) == {"made": 0, "deleted": 0}
    odd = revenue_window(demo, dt.date(2026, 3, 3), dt.date(2026, 4, 4))
    with demo.begin() as session:
        session.execute(
            KpiRevenueWindow.__table__.update()
            .where(KpiRevenueWindow.id == odd)
            .values(created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        )
    assert prepare_usual_windows(demo) == {"made": 0, "deleted": 1}
    with demo.read() as session:
        assert session.scalar(select(func.count()).select_from(KpiRevenueWindow)) == len(wanted)
        assert session.scalar(select(func.count()).select_from(Order)) > 0


def test_a_larger_revenue_never_lies_in_a_lower_bucket_on_any_database(sessions: Sessions) -> None:
    """The bucket column the database keeps (each database rounds or truncates its division its own way): amounts
    at every edge, from a cent to the largest a sum can hold, in revenue order give buckets in order; a bucket holds
    amounts of one number of digits (its hundreds) and none or less is 0."""
    amounts = [
        Decimal(v)
        for v in (
            "-5.00",
            "0.00",
            "0.01",
            "0.49",
            "0.50",
            "0.99",
            "1.00",
            "9.49",
            "9.50",
            "9.99",
            "10.00",
            "10.50",
            "99.49",
            "99.50",
            "99.99",
            "100.00",
            "104.99",
            "105.00",
            "109.99",
            "999.99",
            "1000.00",
            "123456.78",
            "999999.99",
            "1000000.00",
            "9223372036854775807.00",
            "9999999999999999999999.99",
        )
    ]
    rows = KpiWindowRevenue.__table__
    segment = {"owner_id": 0, "department_id": 0, "value_tier": "", "size_class": "", "importance": "", "industry": ""}
    with sessions.begin() as session:
        session.execute(
            rows.insert(),
            [
                {"window_id": 1, "customer_id": i, **segment, "region": "", "orders": 1, "revenue": amount}
                for i, amount in enumerate(amounts)
            ],
        )
    with sessions.read() as session:
        found = session.execute(select(rows.c.revenue, rows.c.bucket).order_by(rows.c.revenue)).all()
    assert len(found) == len(amounts)  # (SQLite keeps the largest as a float: read back to the nearest one)
    buckets = [int(b) for _, b in found]
    assert buckets == sorted(buckets)
    assert buckets[:2] == [0, 0] and all(b > 0 for b in buckets[2:])
    for revenue, bucket in found[2:-2]:  # (the two largest: SQLite keeps them as floats, a digit more or less)
        whole = int(Decimal(revenue))
        digits, lead = len(str(whole)), int(str(whole)[:2])
        assert digits * 100 + lead <= int(bucket) <= digits * 100 + lead + 1, (revenue, bucket)
