"""The demo's story on the managers' dashboard (issue 17): seasonality, a resolved complaint spike in one category,
a value tier drifting to churn and one owner behind on cadence, read through crm.kpis' public functions.

The demo is loaded once, at its default size (2,000 customers, seed 42), into SQLite: the story is in the generated
rows, the same on every database (the KPIs' agreement across databases is tests/crm/kpis' business).
"""

from __future__ import annotations

import datetime as dt
import shutil
import statistics
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm.demo.service import load_demo
from crm.kpis import KpiFilters, Period, charts_data, compute_kpis, drill_down
from crm.platform.clock import frozen_at
from crm.platform.permissions import Actor
from crm.platform.users import get_user
from db.engine import Sessions, make_engine, make_session_factory

TODAY = dt.date(2026, 12, 7)
NOW = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)  # 11:00 in Shanghai
# The twelve whole months before today's month (today's month is not over).
MONTHS = Period.custom(dt.date(2025, 12, 1), dt.date(2026, 11, 30))
SPIKE = (dt.date(2026, 7, 1), dt.date(2026, 8, 1))  # the calendar months five and four before today's


@pytest.fixture(scope="module")
def story(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sessions, Actor]]:
    """The default demo anchored at TODAY, with the clock standing at NOW, and the manager's account."""
    path = tmp_path_factory.mktemp("story") / "crm.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    sessions = make_session_factory(engine)
    with pytest.MonkeyPatch.context() as patch, frozen_at(NOW):
        patch.setenv("CRM_BCRYPT_ROUNDS", "4")
        load_demo(sessions, today=TODAY)
        manager = get_user(sessions, username="manager")
        assert manager is not None
        yield sessions, manager.as_actor()
    engine.dispose()


def monthly(sessions: Sessions, actor: Actor, code: str) -> dict[dt.date, float]:
    """The KPI's value in each whole month of MONTHS."""
    values = {}
    for month in MONTHS.months():
        period = Period.month(month.year, month.month)
        values[month] = float(compute_kpis(sessions, actor=actor, period=period, codes=[code])[code].value or 0)
    return values


def test_orders_peak_before_the_spring_festival_and_at_year_end_and_dip_in_summer(
    story: tuple[Sessions, Actor],
) -> None:
    sessions, manager = story
    revenue = monthly(sessions, manager, "revenue")
    peak, trough = max(revenue, key=revenue.__getitem__), min(revenue, key=revenue.__getitem__)
    assert revenue[peak] >= 1.5 * revenue[trough]
    assert peak.month in (11, 12, 1) and trough.month in (2, 7, 8)
    summer = revenue[dt.date(2026, 7, 1)] + revenue[dt.date(2026, 8, 1)]
    spring = revenue[dt.date(2026, 4, 1)] + revenue[dt.date(2026, 5, 1)]
    assert summer < 0.8 * spring
    new = {
        row["month"]: row["new"] for row in charts_data.new_vs_churned_by_month(sessions, actor=manager, period=MONTHS)
    }
    busy = new[dt.date(2025, 12, 1)] + new[dt.date(2026, 1, 1)] + new[dt.date(2026, 11, 1)]
    quiet = new[dt.date(2026, 2, 1)] + new[dt.date(2026, 7, 1)] + new[dt.date(2026, 8, 1)]
    assert busy >= 1.5 * quiet > 0


def test_delivery_complaints_spiked_four_to_five_months_ago_and_were_resolved(story: tuple[Sessions, Actor]) -> None:
    sessions, manager = story
    data = charts_data.complaints_by_month_and_category(sessions, actor=manager, period=MONTHS)
    delivery = {month: 0 for month in MONTHS.months()}
    for bar in data.bars:
        if bar["category"] == "delivery":
            delivery[bar["month"]] += bar["complaints"]
    usual = statistics.median(n for month, n in delivery.items() if month not in SPIKE)
    assert usual > 0
    assert all(delivery[month] >= 3 * usual for month in SPIKE)
    assert max(delivery, key=delivery.__getitem__) in SPIKE
    on_time = {row["month"]: row["on_time_rate"] for row in data.line}
    others = [rate for month, rate in on_time.items() if month not in SPIKE and rate is not None]
    assert all(on_time[month] < statistics.median(others) - 0.1 for month in SPIKE)
    rows, total = drill_down(
        sessions,
        actor=manager,
        code="complaints_received",
        period=Period.custom(SPIKE[0], dt.date(2026, 8, 31)),
        key="category:delivery",
        page_size=200,
    )
    assert total == len(rows) == delivery[SPIKE[0]] + delivery[SPIKE[1]]
    resolved = [row for row in rows if row["status"] in ("resolved", "closed")]
    satisfied = [row for row in rows if row["status"] == "closed" and row["customer_satisfied"]]
    assert len(resolved) >= 0.9 * total and len(satisfied) >= 0.75 * total


def test_the_low_value_tier_drifts_to_churn_month_after_month(story: tuple[Sessions, Actor]) -> None:
    sessions, manager = story
    low = KpiFilters(value_tier="low")
    churned = [
        row["churned"]
        for row in charts_data.new_vs_churned_by_month(sessions, actor=manager, period=MONTHS, filters=low)
    ]
    quarters = [sum(churned[i : i + 3]) for i in range(0, 12, 3)]  # Dec-Feb, Mar-May, Jun-Aug, Sep-Nov
    assert quarters[1] < quarters[2] < quarters[3]
    assert quarters[3] / 3 >= 2 * (quarters[0] + quarters[1]) / 6
    rates = {}
    for tier in ("low", "medium", "high"):
        figures = compute_kpis(
            sessions,
            actor=manager,
            period=Period.custom(dt.date(2026, 9, 1), dt.date(2026, 11, 30)),
            filters=KpiFilters(value_tier=tier),
            codes=["churn_rate"],
        )
        rates[tier] = figures["churn_rate"].value or 0.0
    assert rates["low"] > 2 * max(rates["medium"], rates["high"])


def test_david_miller_is_behind_on_cadence(story: tuple[Sessions, Actor]) -> None:
    sessions, manager = story
    period = Period.last_12_months(TODAY)
    rows = charts_data.cadence_by_owner(sessions, actor=manager, period=period)
    assert rows[0]["owner"] == "David Miller"  # lowest compliance first
    laggard, others = rows[0], rows[1:]
    assert laggard["compliance"] is not None and laggard["customers"] >= 50
    assert laggard["compliance"] <= 0.6 * min(row["compliance"] for row in others)
    overdue = {
        row["owner_id"]: compute_kpis(
            sessions,
            actor=manager,
            period=period,
            filters=KpiFilters(owner_id=row["owner_id"]),
            codes=["overdue_follow_ups"],
        )["overdue_follow_ups"].value
        / row["customers"]
        for row in rows
    }
    assert overdue[laggard["owner_id"]] >= 2 * max(v for owner, v in overdue.items() if owner != laggard["owner_id"])
