"""Cadence compliance from the cadence rollups (crm/kpis/cadence.py) equals the count from the records at every
midnight and at now, per owner, under filters; the rollups follow contacts, stage changes, class changes, policy
changes and a time zone with summer time; their rebuild equals the recount, on the three databases."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import or_, select

from crm.classification.admin import list_policies, policy_changes, save_policies
from crm.follow_ups.service import log_contact
from crm.kpis.cadence import CADENCE_DAYS, CADENCE_MONTHS, _raw_in_cadence, in_cadence_at
from crm.platform.clock import company_zone, frozen_at, local_midnight
from crm.platform.rollups import SegmentFilter, check, rebuild, rebuild_all
from crm.platform.settings import update_settings
from db.engine import Sessions
from db.models import Customer
from tests.crm.kpis.conftest import NOW, TODAY, account

NAMES = {CADENCE_DAYS.name, CADENCE_MONTHS.name}
FIFTEEN_DAYS = dt.timedelta(days=15)
EVERYONE = SegmentFilter()


def in_step(sessions: Sessions) -> bool:
    with sessions.read() as session:
        return all(n == 0 for n in check(session.connection(), NAMES).values())


def from_rollups(
    sessions: Sessions, instant: dt.datetime, segment: SegmentFilter = EVERYONE, by: tuple[str, ...] = ()
) -> Counter[tuple[Any, ...]]:
    with sessions.read() as session:
        conditions = [Customer.archived_at.is_(None), *_conditions(segment)]
        return in_cadence_at(session, instant, NOW, segment, conditions, by)


def from_records(
    sessions: Sessions, instant: dt.datetime, segment: SegmentFilter = EVERYONE, by: tuple[str, ...] = ()
) -> Counter[tuple[Any, ...]]:
    with sessions.read() as session:
        conditions = [Customer.archived_at.is_(None), *_conditions(segment)]
        counts = _raw_in_cadence(session, instant, NOW, conditions, by)
        return Counter({key: n for key, n in counts.items() if n})


def _conditions(segment: SegmentFilter) -> list[Any]:
    conditions = [Customer.owner_id == owner for owner in segment.owner_ids]
    if segment.value_tier is not None:
        conditions.append(Customer.value_tier == segment.value_tier)
    if segment.region is not None:
        conditions.append(Customer.region == segment.region)
    return conditions


def midnights(sessions: Sessions, days: list[dt.date]) -> list[dt.datetime]:
    with sessions.read() as session:
        zone = company_zone(session)
    return [local_midnight(day, zone) for day in days]


# Month starts, month ends, mid-month days (read forwards and backwards), before the first contact, the future.
DAYS = [
    dt.date(2019, 1, 1),
    dt.date(2025, 1, 1),
    dt.date(2025, 6, 9),
    dt.date(2025, 12, 7),
    dt.date(2026, 2, 28),
    dt.date(2026, 3, 1),
    dt.date(2026, 3, 17),
    dt.date(2026, 9, 30),
    dt.date(2026, 11, 2),
    dt.date(2026, 11, 25),
    TODAY,
    dt.date(2027, 2, 14),
]


def test_every_midnight_and_now_equal_the_records(demo: Sessions) -> None:
    with demo.begin() as session:
        rebuild_all(session.connection())
    assert in_step(demo)
    owner = account(demo, "staff").id
    for segment in (SegmentFilter(), SegmentFilter(owner_ids=(owner,)), SegmentFilter(value_tier="high")):
        for instant in [*midnights(demo, DAYS), NOW]:
            for by in ((), ("owner_id",)):
                assert from_rollups(demo, instant, segment, by) == from_records(demo, instant, segment, by), (
                    instant,
                    segment,
                    by,
                )
    assert sum(from_rollups(demo, NOW).values()) > 0


def test_contacts_stage_changes_and_class_changes_keep_them_in_step(demo: Sessions) -> None:
    manager = account(demo, "manager")
    with demo.read() as session:
        ids = list(session.scalars(select(Customer.id).where(Customer.owner_id.is_not(None)).limit(3)))
    # A contact now, one backdated a month, one backdated into last year.
    for customer_id, when in zip(ids, (NOW, NOW - dt.timedelta(days=31), NOW - dt.timedelta(days=400)), strict=True):
        log_contact(
            demo, actor=manager, customer_id=customer_id, channel="phone", occurred_at=when, summary="回访 / call"
        )
    assert in_step(demo)
    with demo.begin() as session:
        customer = session.get(Customer, ids[0])
        assert customer is not None
        customer.importance = "strategic"  # a shorter cadence: fewer days covered
    assert in_step(demo)
    for instant in [*midnights(demo, DAYS), NOW]:
        assert from_rollups(demo, instant) == from_records(demo, instant), instant


def test_a_policy_change_rebuilds_them(demo: Sessions) -> None:
    admin = account(demo, "admin")
    stored = list_policies(demo, actor=admin)
    high = next(i for i, p in enumerate(stored) if (p.dimension, p.class_value) == ("value_tier", "high"))
    save_policies(demo, actor=admin, changes=policy_changes(stored, {high: {"cadence_days": 7}}))
    assert in_step(demo)
    for instant in [*midnights(demo, DAYS), NOW]:
        assert from_rollups(demo, instant) == from_records(demo, instant), instant


def test_a_zone_with_summer_time_places_contacts_in_its_days(demo: Sessions) -> None:
    admin = account(demo, "admin")
    update_settings(demo, actor=admin, changes={"timezone": "Europe/Berlin"})
    assert in_step(demo)
    # Around the changes of 2026 (29 March, 25 October) and inside the months they fall in.
    days = [dt.date(2026, 3, 28), dt.date(2026, 3, 29), dt.date(2026, 3, 30), dt.date(2026, 10, 26), *DAYS]
    for instant in [*midnights(demo, days), NOW]:
        assert from_rollups(demo, instant) == from_records(demo, instant), instant


def test_the_rebuild_equals_the_recount(demo: Sessions) -> None:
    with demo.begin() as session:
        rebuild(session.connection(), [CADENCE_DAYS.name, CADENCE_MONTHS.name])
    assert in_step(demo)


@pytest.mark.parametrize("hours", [0, 5, 13])
def test_now_at_several_hours_of_the_day(demo: Sessions, hours: int) -> None:
    with demo.read() as session:
        midnight = local_midnight(TODAY, company_zone(session))
    now = midnight + dt.timedelta(hours=hours, minutes=7)
    with frozen_at(now), demo.read() as session:
        assert in_cadence_at(session, now, now, SegmentFilter(), [Customer.archived_at.is_(None)]) == Counter(
            {k: n for k, n in _raw_in_cadence(session, now, now, [Customer.archived_at.is_(None)], ()).items() if n}
        )


def test_a_cadence_running_out_since_midnight_leaves_the_running_count(demo: Sessions) -> None:
    """Customers whose only recent contact's cadence ran out this morning, untouched today: this morning's count
    from the rollups holds them, now's must not (the customers' last-contact ranges find them)."""
    manager = account(demo, "manager")
    with demo.read() as session:
        midnight = local_midnight(TODAY, company_zone(session))
        picked = list(
            session.scalars(
                select(Customer.id)
                .where(
                    Customer.owner_id.is_not(None),
                    Customer.lifecycle_stage != "churned",
                    or_(
                        Customer.last_contact_at.is_(None), Customer.last_contact_at < midnight - dt.timedelta(days=15)
                    ),
                )
                .order_by(Customer.id.desc())
                .limit(3)
            )
        )
    with demo.begin() as session:
        for customer_id in picked:
            customer = session.get(Customer, customer_id)
            assert customer is not None
            customer.importance = "strategic"  # cadence 14 days
    # Their last contact 14 days before 01:00 today: in cadence at midnight, out of it from 01:00.
    for customer_id in picked:
        log_contact(
            demo,
            actor=manager,
            customer_id=customer_id,
            channel="phone",
            occurred_at=midnight + dt.timedelta(hours=1) - dt.timedelta(days=14),
            summary="回访 / call",
        )
    assert in_step(demo)
    now = midnight + dt.timedelta(hours=5)
    with frozen_at(now), demo.read() as session:
        live = [Customer.archived_at.is_(None)]
        at_midnight = _raw_in_cadence(session, midnight, now, [*live, Customer.id.in_(picked)], ())
        at_now = _raw_in_cadence(session, now, now, [*live, Customer.id.in_(picked)], ())
        assert sum(at_midnight.values()) == 3 and sum(at_now.values()) == 0
        for by in ((), ("owner_id",)):
            expected = Counter({k: n for k, n in _raw_in_cadence(session, now, now, live, by).items() if n})
            assert in_cadence_at(session, now, now, EVERYONE, live, by) == expected, by
