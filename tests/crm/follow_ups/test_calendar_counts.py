"""The calendar's counts per owner and local day move with every task change, in the same transaction."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from crm.customers.duplicates import merge_customers
from crm.customers.service import archive_customer
from crm.follow_ups import calendar_counts
from crm.follow_ups.automation import generate_follow_ups
from crm.follow_ups.queues import calendar_counts as read_calendar
from crm.follow_ups.service import (
    cancel_follow_up,
    complete_follow_up,
    log_contact,
    plan_follow_up,
    reassign_follow_up,
    reschedule_follow_up,
)
from crm.platform.errors import ValidationError
from crm.platform.permissions import SYSTEM, Actor
from crm.platform.settings import update_settings
from db.engine import Sessions
from db.models import Customer, FollowUpDayCount, FollowUpTask
from tests.crm.follow_ups.follow_up_factories import make_customer, make_user, tasks_of, utc

NOW = utc(2026, 11, 20, 2, 0)  # 10:00 in Shanghai
DUE = utc(2026, 11, 23, 15, 30)  # 23:30 on the 23rd in Shanghai, 15:30 the 23rd in London
MONDAY = dt.date(2026, 11, 23)


def _stored(sessions: Sessions) -> dict[tuple[int, dt.date], int]:
    with sessions.read() as session:
        return calendar_counts.stored(session.connection())


def _in_step(sessions: Sessions) -> dict[tuple[int, dt.date], int]:
    with sessions.read() as session:
        stored = calendar_counts.stored(session.connection())
        assert stored == calendar_counts.recount(session.connection())
    return stored


def _plan(sessions: Sessions, owner: Actor, due_at: dt.datetime = DUE, purpose: str = "regular_revisit") -> int:
    customer_id = make_customer(sessions, owner=owner)
    return plan_follow_up(sessions, actor=owner, customer_id=customer_id, due_at=due_at, purpose=purpose, now=NOW).id


def test_planning_rescheduling_and_reassigning_move_the_days_count(
    sessions: Sessions, staff: Actor, manager: Actor
) -> None:
    task_id = _plan(sessions, staff)
    assert _in_step(sessions) == {(staff.id, MONDAY): 1}
    # Half an hour later is already Tuesday in Shanghai.
    task = reschedule_follow_up(
        sessions,
        actor=staff,
        task_id=task_id,
        version=1,
        due_at=DUE + dt.timedelta(hours=1),
        reason="customer travelling",
        now=NOW,
    )
    assert _in_step(sessions) == {(staff.id, MONDAY + dt.timedelta(days=1)): 1}
    reassign_follow_up(sessions, actor=manager, task_id=task_id, version=task.version, owner_id=manager.id)
    assert _in_step(sessions) == {(manager.id, MONDAY + dt.timedelta(days=1)): 1}


def test_completing_cancelling_and_archiving_take_the_task_off_its_day(sessions: Sessions, staff: Actor) -> None:
    done, cancelled, archived = (_plan(sessions, staff) for _ in range(3))
    assert _in_step(sessions) == {(staff.id, MONDAY): 3}
    complete_follow_up(
        sessions,
        actor=staff,
        task_id=done,
        version=1,
        channel="phone",
        occurred_at=NOW,
        summary="Called",
        outcome="reached",
        now=NOW,
    )
    assert _in_step(sessions) == {(staff.id, MONDAY): 2}
    cancel_follow_up(sessions, actor=staff, task_id=cancelled, version=1, reason="no longer needed")
    assert _in_step(sessions) == {(staff.id, MONDAY): 1}
    customer_id = customer_of_task(sessions, archived)
    with sessions.read() as session:
        version = session.scalar(select(Customer.version).where(Customer.id == customer_id))
    archive_customer(sessions, actor=SYSTEM, customer_id=customer_id, version=int(version or 1))
    assert _in_step(sessions) == {}


def customer_of_task(sessions: Sessions, task_id: int) -> int:
    """The customer a task belongs to."""
    with sessions.read() as session:
        return int(session.scalar(select(FollowUpTask.customer_id).where(FollowUpTask.id == task_id)) or 0)


def test_a_logged_contact_with_a_next_step_counts_the_new_task(sessions: Sessions, staff: Actor) -> None:
    customer_id = make_customer(sessions, owner=staff)
    log_contact(
        sessions,
        actor=staff,
        customer_id=customer_id,
        channel="wechat",
        occurred_at=NOW,
        summary="Sent the quote",
        outcome="interested",
        next_step="Call back",
        next_due_at=DUE,
        now=NOW,
    )
    assert _in_step(sessions) == {(staff.id, MONDAY): 1}
    # The next step moves the open task of that purpose rather than adding one.
    log_contact(
        sessions,
        actor=staff,
        customer_id=customer_id,
        channel="phone",
        occurred_at=NOW,
        summary="Still thinking",
        next_step="Call again",
        next_due_at=DUE + dt.timedelta(days=2),
        now=NOW,
    )
    assert _in_step(sessions) == {(staff.id, MONDAY + dt.timedelta(days=2)): 1}


def test_a_refused_duplicate_task_leaves_the_counts_alone(sessions: Sessions, staff: Actor) -> None:
    task_id = _plan(sessions, staff)
    customer_id = customer_of_task(sessions, task_id)
    with pytest.raises(ValidationError):
        plan_follow_up(sessions, actor=staff, customer_id=customer_id, due_at=DUE + dt.timedelta(days=1), now=NOW)
    assert _in_step(sessions) == {(staff.id, MONDAY): 1}


def test_the_rules_bulk_insert_counts_its_tasks(sessions: Sessions, staff: Actor) -> None:
    for _ in range(3):
        make_customer(sessions, owner=staff, lifecycle_stage="signed")
    created = generate_follow_ups(sessions, actor=SYSTEM, now=NOW)
    assert created["cadence_revisit"] == 3
    stored = _in_step(sessions)
    assert sum(stored.values()) == 3 and {owner for owner, _day in stored} == {staff.id}


def test_a_merge_that_cancels_the_duplicates_task_uncounts_it(sessions: Sessions, staff: Actor, manager: Actor) -> None:
    survivor = customer_of_task(sessions, _plan(sessions, staff))
    duplicate = customer_of_task(sessions, _plan(sessions, staff, DUE + dt.timedelta(days=1)))
    assert _in_step(sessions) == {(staff.id, MONDAY): 1, (staff.id, MONDAY + dt.timedelta(days=1)): 1}
    result = merge_customers(sessions, actor=manager, survivor_id=survivor, duplicate_id=duplicate)
    assert result.cancelled_tasks == 1
    assert _in_step(sessions) == {(staff.id, MONDAY): 1}
    assert [t.status for t in tasks_of(sessions, survivor)] == ["open", "cancelled"]


def test_a_new_company_time_zone_moves_every_task_to_its_new_day(sessions: Sessions, staff: Actor) -> None:
    admin = make_user(sessions, "root", "admin")
    _plan(sessions, staff, DUE + dt.timedelta(hours=1))  # 00:30 on Tuesday in Shanghai, 16:30 Monday in London
    assert _in_step(sessions) == {(staff.id, MONDAY + dt.timedelta(days=1)): 1}
    update_settings(sessions, actor=admin, changes={"timezone": "Europe/London"})
    assert _in_step(sessions) == {(staff.id, MONDAY): 1}
    week = read_calendar(sessions, actor=admin, start=MONDAY, days=7)
    assert week.counts == {(staff.id, MONDAY): 1} and week.timezone == "Europe/London"


def test_rebuild_repairs_counts_after_edits_outside_the_app(sessions: Sessions, staff: Actor) -> None:
    _plan(sessions, staff)
    with sessions.begin() as session:
        session.execute(FollowUpDayCount.__table__.update().values(open_count=99))
    assert _stored(sessions) == {(staff.id, MONDAY): 99}
    with sessions.begin() as session:
        assert calendar_counts.rebuild(session.connection()) == 1
    assert _in_step(sessions) == {(staff.id, MONDAY): 1}


def test_concurrent_plans_on_one_day_lose_no_count(sessions: Sessions, staff: Actor) -> None:
    customers = [make_customer(sessions, owner=staff) for _ in range(6)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(customers))

    def plan(customer_id: int) -> None:
        try:
            start.wait()
            plan_follow_up(sessions, actor=staff, customer_id=customer_id, due_at=DUE, now=NOW)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=plan, args=(c,)) for c in customers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert _in_step(sessions) == {(staff.id, MONDAY): len(customers)}
