"""The stage-move rollups (crm/kpis/moves.py) count each customer once per period, exactly as the stage history says,
for any period and any history, on the three databases."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import ColumnElement, select

from crm.kpis import KpiFilters, Period, charts_data, compute_kpis
from crm.kpis.moves import (
    CHURNED,
    ENTERED,
    INTENT_ON,
    KINDS,
    MOVE_HOURS,
    MOVE_MONTHS,
    POTENTIAL_ON,
    SIGNED,
    count_moves,
)
from crm.platform.clock import company_zone, local_midnight
from crm.platform.rollups import SegmentFilter, check, rebuild, stored
from crm.platform.settings import update_settings
from crm.platform.sql_time import days_between
from db.engine import Sessions
from db.models import Customer, StageChange
from tests.crm.kpis.conftest import NOW, account
from tests.crm.kpis.reference import load, reference

MOVES = (MOVE_MONTHS.name, MOVE_HOURS.name)
PROSPECTS = ("potential", "intent")


@dataclass(frozen=True)
class Change:
    id: int
    at: dt.datetime
    from_stage: str | None
    to_stage: str


@dataclass(frozen=True)
class Held:
    created_at: dt.datetime
    stage: str | None
    region: str | None
    changes: tuple[Change, ...]  # in (changed_at, id) order


def _records(sessions: Sessions) -> dict[int, Held]:
    """Every live customer with its changes, read plainly."""
    with sessions.read() as session:
        changes: dict[int, list[Change]] = {}
        for row in session.execute(select(StageChange).order_by(StageChange.changed_at, StageChange.id)).scalars():
            changes.setdefault(row.customer_id, []).append(Change(row.id, row.changed_at, row.from_stage, row.to_stage))
        return {
            c.id: Held(c.created_at, c.lifecycle_stage, c.region, tuple(changes.get(c.id, ())))
            for c in session.execute(select(Customer).where(Customer.archived_at.is_(None))).scalars()
        }


def _expected(records: dict[int, Held], start: dt.datetime, end: dt.datetime, region: str | None) -> Counter[Any]:
    """The figures by their definitions, customer by customer: {(kind, days): customers}."""
    counts: Counter[tuple[str, int]] = Counter()
    for held in records.values():
        if region is not None and held.region != region:
            continue
        inside = [c for c in held.changes if start <= c.at < end]
        if any(c.to_stage == "churned" for c in inside):
            counts[(CHURNED, 0)] += 1
        conversions = [c for c in inside if c.to_stage == "signed" and c.from_stage in PROSPECTS]
        if conversions:
            counts[(SIGNED, days_between(held.created_at, conversions[0].at))] += 1
        if any(c.from_stage == "potential" and c.to_stage in ("intent", "signed") for c in inside):
            counts[(POTENTIAL_ON, 0)] += 1
        if any(c.from_stage == "intent" and c.to_stage == "signed" for c in inside):
            counts[(INTENT_ON, 0)] += 1
        # The stage held at the start: the from_stage of the first change at or after it (else the current one).
        later = [c for c in held.changes if c.at >= start]
        stage_then = later[0].from_stage if later else held.stage
        for kind, stages in ENTERED.items():
            into = any(c.to_stage in stages for c in inside)
            if into and (held.created_at >= start or stage_then not in stages):
                counts[(kind, 0)] += 1
    return counts


def _rolled_up(sessions: Sessions, start: dt.datetime, end: dt.datetime, region: str | None) -> Counter[Any]:
    conditions: list[ColumnElement[bool]] = [Customer.archived_at.is_(None)]
    if region is not None:
        conditions.append(Customer.region == region)
    with sessions.read() as session:
        return count_moves(session, KINDS, start, end, segment=SegmentFilter(region=region), conditions=conditions)


def _write_histories(sessions: Sessions) -> dict[str, int]:
    """Awkward histories for a few demo customers (written through the ORM: the rollups follow each flush)."""
    with sessions.begin() as session:
        zone = company_zone(session)

        def at(day: str, hour: int = 10, minute: int = 0) -> dt.datetime:
            midnight = local_midnight(dt.date.fromisoformat(day), zone)
            return midnight + dt.timedelta(hours=hour, minutes=minute)

        ids = list(session.scalars(select(Customer.id).where(Customer.archived_at.is_(None)).order_by(Customer.id)))
        names = ["twice", "again", "midnight", "together", "before", "merged", "uncreated", "future"]
        chosen = dict(zip(names, ids[:8], strict=True))
        for change in session.scalars(select(StageChange).where(StageChange.customer_id.in_(chosen.values()))):
            session.delete(change)
        histories: dict[str, tuple[dt.datetime, list[tuple[dt.datetime, str | None, str]]]] = {
            # churned twice in a month (and signed in between: two conversions, the first counts)
            "twice": (
                at("2025-06-02"),
                [
                    (at("2025-06-02"), None, "potential"),
                    (at("2025-07-01"), "potential", "intent"),
                    (at("2026-03-02"), "intent", "signed"),
                    (at("2026-03-03"), "signed", "churned"),
                    (at("2026-03-10"), "churned", "intent"),
                    (at("2026-03-11"), "intent", "signed"),
                    (at("2026-03-20"), "signed", "churned"),
                ],
            ),
            # back into potential, exactly at a midnight, and in and out of the prospect stages
            "again": (
                at("2025-11-05"),
                [
                    (at("2025-11-05"), None, "potential"),
                    (at("2026-02-02"), "potential", "churned"),
                    (at("2026-03-14", 0), "churned", "potential"),
                    (at("2026-03-15"), "potential", "intent"),
                    (at("2026-03-16"), "intent", "potential"),
                    (at("2026-03-17"), "potential", "signed"),
                    (at("2026-04-02"), "signed", "potential"),
                ],
            ),
            # moves at a month's first instant and at a mid-month midnight
            "midnight": (
                at("2026-01-20"),
                [
                    (at("2026-01-20"), None, "potential"),
                    (at("2026-03-01", 0), "potential", "intent"),
                    (at("2026-03-14", 0), "intent", "signed"),
                    (at("2026-05-01", 0), "signed", "churned"),
                ],
            ),
            # several at one instant (id order), one of them at the creation
            "together": (
                at("2026-03-05", 9),
                [
                    (at("2026-03-05", 9), None, "potential"),
                    (at("2026-03-05", 9), "potential", "intent"),
                    (at("2026-03-18", 15), "intent", "signed"),
                    (at("2026-03-18", 15), "signed", "churned"),
                    (at("2026-03-18", 15), "churned", "potential"),
                ],
            ),
            # changes before the creation (an import's history), then a conversion the same day as created
            "before": (
                at("2026-03-12", 12),
                [
                    (at("2026-03-10"), None, "intent"),
                    (at("2026-03-12", 11), "intent", "potential"),
                    (at("2026-03-12", 12), "potential", "intent"),
                    (at("2026-03-12", 23, 59), "intent", "signed"),
                ],
            ),
            # merged from two customers: from_stage not the stage before
            "merged": (
                at("2025-09-01"),
                [
                    (at("2025-09-01"), None, "potential"),
                    (at("2025-10-01"), None, "intent"),
                    (at("2026-03-03"), "intent", "signed"),
                    (at("2026-03-08"), "potential", "intent"),
                    (at("2026-03-16"), "churned", "potential"),
                    (at("2026-03-25"), "intent", "churned"),
                ],
            ),
            # no creation change: held potential from its creation
            "uncreated": (
                at("2026-03-09"),
                [
                    (at("2026-03-13"), "potential", "intent"),
                    (at("2026-03-21"), "intent", "potential"),
                ],
            ),
            # moves after now (and minutes before it, in the hour now falls in)
            "future": (
                at("2026-11-30"),
                [
                    (at("2026-11-30"), None, "potential"),
                    (NOW - dt.timedelta(minutes=7), "potential", "intent"),
                    (NOW + dt.timedelta(minutes=5), "intent", "signed"),
                    (NOW + dt.timedelta(days=2), "signed", "churned"),
                ],
            ),
        }
        for name, (created_at, changes) in histories.items():
            customer = session.get(Customer, chosen[name])
            assert customer is not None
            customer.created_at = created_at
            customer.lifecycle_stage = changes[-1][2]
            for changed_at, from_stage, to_stage in changes:
                session.add(
                    StageChange(
                        customer_id=customer.id, from_stage=from_stage, to_stage=to_stage, changed_at=changed_at
                    )
                )
                session.flush()  # one at a time: ids in the order listed
    return chosen


def _periods(sessions: Sessions) -> list[tuple[dt.datetime, dt.datetime]]:
    with sessions.read() as session:
        zone = company_zone(session)

    def midnight(day: str) -> dt.datetime:
        return local_midnight(dt.date.fromisoformat(day), zone)

    starts = ["2025-12-08", "2026-01-01", "2026-02-10", "2026-03-01", "2026-03-12", "2026-03-14", "2026-03-15"]
    ends = [midnight(d) for d in ("2026-03-14", "2026-03-18", "2026-03-21", "2026-04-01", "2026-04-16", "2026-12-08")]
    ends += [NOW, NOW - dt.timedelta(minutes=3), NOW + dt.timedelta(minutes=6), midnight("2027-01-01")]
    periods = [(midnight(s), e) for s in starts for e in ends if midnight(s) < e]
    # Not a midnight: the minutes around the start are read from the records.
    periods.append((midnight("2026-03-12") + dt.timedelta(hours=11, minutes=30), midnight("2026-04-16")))
    return periods


def _assert_every_period_counts_as_defined(sessions: Sessions, region: str | None = None) -> None:
    records = _records(sessions)
    for start, end in _periods(sessions):
        assert _rolled_up(sessions, start, end, region) == _expected(records, start, end, region), (start, end)


def _in_step(sessions: Sessions) -> None:
    with sessions.read() as session:
        assert {name: n for name, n in check(session.connection()).items() if name in MOVES} == dict.fromkeys(MOVES, 0)


def test_repeated_moves_at_midnights_merged_and_future_count_each_customer_once(demo: Sessions) -> None:
    _write_histories(demo)
    _in_step(demo)
    _assert_every_period_counts_as_defined(demo)
    with demo.read() as session:
        region = session.scalar(select(Customer.region).where(Customer.region.is_not(None)).limit(1))
    _assert_every_period_counts_as_defined(demo, region)


def test_a_customer_churning_twice_in_a_period_counts_once_and_in_each_month(demo: Sessions) -> None:
    chosen = _write_histories(demo)
    manager = account(demo, "manager")
    march = Period.month(2026, 3)
    with demo.read() as session:
        churned_in_march = session.scalars(
            select(StageChange.customer_id).where(StageChange.to_stage == "churned").distinct()
        ).all()
    assert chosen["twice"] in churned_in_march
    values = compute_kpis(demo, actor=manager, period=march, codes=["churned_customers"])
    records = _records(demo)
    with demo.read() as session:
        zone = company_zone(session)
    start, end = local_midnight(march.start, zone), local_midnight(dt.date(2026, 4, 1), zone)
    assert values["churned_customers"].value == _expected(records, start, end, None)[(CHURNED, 0)]
    # By month, a customer churned in two months counts in both.
    months = charts_data.new_vs_churned_by_month(
        demo, actor=manager, period=Period.custom(dt.date(2026, 2, 10), NOW.date())
    )
    for month in months:
        lo = local_midnight(max(month["month"], dt.date(2026, 2, 10)), zone)
        first = month["month"]
        hi = min(local_midnight(dt.date(first.year + first.month // 12, first.month % 12 + 1, 1), zone), NOW)
        assert month["churned"] == _expected(records, lo, hi, None)[(CHURNED, 0)], month


def test_the_kpis_and_the_funnel_on_awkward_histories_equal_the_pandas_reference(demo: Sessions) -> None:
    _write_histories(demo)
    manager = account(demo, "manager")
    with demo.engine.connect() as connection:
        raw = load(connection)
    codes = ["churned_customers", "churn_rate", "conversion_rate", "median_days_to_sign"]
    periods = [Period.month(2026, 3), Period.custom(dt.date(2026, 3, 14), dt.date(2026, 4, 15)), Period.month(2026, 12)]
    for period in periods:
        for filters in (KpiFilters(), KpiFilters(value_tier="none")):
            values = compute_kpis(demo, actor=manager, period=period, filters=filters, codes=codes)
            want = reference(raw, period, filters, NOW)
            for code in codes:
                got = (values[code].value, values[code].numerator, values[code].denominator)
                assert got == pytest.approx(want[code]), (period.key(), filters.key(), code)
    with demo.read() as session:
        zone = company_zone(session)
    records = _records(demo)
    period = Period.custom(dt.date(2026, 3, 14), dt.date(2026, 4, 15))
    start, end = local_midnight(period.start, zone), local_midnight(period.end + dt.timedelta(days=1), zone)
    expected = _expected(records, start, end, None)
    funnel = {row["stage"]: row for row in charts_data.funnel(demo, actor=manager, period=period)}
    assert funnel["potential"]["moved_on"] == expected[(POTENTIAL_ON, 0)]
    assert funnel["intent"]["moved_on"] == expected[(INTENT_ON, 0)]
    values = compute_kpis(demo, actor=manager, period=period, codes=["conversion_rate"])
    starting = values["conversion_rate"].extra["by_stage_at_start"]
    assert funnel["potential"]["in_period"] == starting["potential"] + expected[("entered_potential", 0)]
    assert funnel["intent"]["in_period"] == starting["intent"] + expected[("entered_intent", 0)]


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "America/New_York"])
def test_other_time_zones_half_hour_offsets_and_summer_time_count_the_same(demo: Sessions, zone: str) -> None:
    """Kolkata's midnights fall on half hours (the minutes at both ends come from the records); New York's move
    with summer time (8 March 2026 inside the periods)."""
    _write_histories(demo)
    update_settings(demo, actor=account(demo, "admin"), changes={"timezone": zone})
    _in_step(demo)
    _assert_every_period_counts_as_defined(demo)


def test_the_full_rebuild_equals_the_rows_kept_write_by_write(demo: Sessions) -> None:
    _write_histories(demo)
    with demo.read() as session:
        kept = {name: stored(session.connection(), r) for name, r in ((r.name, r) for r in (MOVE_MONTHS, MOVE_HOURS))}
    assert all(kept.values())
    with demo.begin() as session:
        rebuild(session.connection(), MOVES)
    with demo.read() as session:
        assert {r.name: stored(session.connection(), r) for r in (MOVE_MONTHS, MOVE_HOURS)} == kept
    _in_step(demo)
