"""My queue, the team view and the calendar: windows at their boundaries, scopes, counts, statements."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, select

from crm.customers.service import archive_customer, bulk_archive, restore_customer
from crm.follow_ups.automation import generate_follow_ups
from crm.follow_ups.core import day_windows
from crm.follow_ups.queues import (
    calendar_counts,
    calendar_range,
    calendar_tasks,
    my_queue,
    period_bounds,
    team_overview,
)
from crm.follow_ups.service import cancel_open_tasks, log_contact, plan_follow_up
from crm.platform.errors import PermissionDenied
from crm.platform.permissions import SYSTEM, Actor
from crm.platform.uow import transaction
from db.engine import Sessions
from db.models import AuditLog, Customer, FollowUpTask
from tests.crm.follow_ups.follow_up_factories import customer_row, make_customer, make_user, set_timezone, tasks_of, utc

# A task due 2026-11-23 23:30 in Shanghai is due at 15:30 UTC.
DUE = utc(2026, 11, 23, 15, 30)


def _task(
    sessions: Sessions, owner: Actor, due_at: dt.datetime, purpose: str = "regular_revisit", **customer: object
) -> int:
    customer_id = make_customer(sessions, owner=owner, **customer)  # type: ignore[arg-type]
    plan_follow_up(
        sessions,
        actor=owner,
        customer_id=customer_id,
        due_at=due_at,
        purpose=purpose,
        now=due_at - dt.timedelta(hours=12),
    )
    return customer_id


def _sections(sessions: Sessions, actor: Actor, now: dt.datetime) -> dict[str, list[int]]:
    queue = my_queue(sessions, actor=actor, now=now)
    return {code: [row.customer_id for row in section.rows] for code, section in queue.sections.items()}


@pytest.mark.parametrize(
    ("zone", "now", "section"),
    [
        ("Asia/Shanghai", utc(2026, 11, 23, 15, 0), "today"),  # 23:00 in Shanghai, due 23:30
        ("Asia/Shanghai", utc(2026, 11, 23, 15, 30), "today"),  # due this very minute: not yet overdue
        ("Asia/Shanghai", utc(2026, 11, 23, 15, 31), "overdue"),  # one minute late
        ("Asia/Shanghai", utc(2026, 11, 22, 15, 59), "week"),  # 23:59 the day before: tomorrow's task
        ("Asia/Shanghai", utc(2026, 11, 16, 16, 0), "week"),  # seven days ahead, 00:00 local
        ("Asia/Shanghai", utc(2026, 11, 16, 15, 59), None),  # one minute more than a week ahead
        ("Europe/London", utc(2026, 11, 23, 10, 0), "today"),  # London: 15:30 today
        ("America/Los_Angeles", utc(2026, 11, 23, 10, 0), "today"),  # 02:00 in LA, due 07:30 the same day
        ("America/Los_Angeles", utc(2026, 11, 22, 10, 0), "week"),  # 02:00 the day before in LA
    ],
)
def test_due_today_overdue_and_this_week_follow_the_company_time_zone(
    sessions: Sessions, staff: Actor, zone: str, now: dt.datetime, section: str | None
) -> None:
    set_timezone(sessions, zone)
    customer = make_customer(sessions, owner=staff, last_contact_at=now)
    with transaction(sessions, actor=staff) as session:
        session.add(
            FollowUpTask(
                customer_id=customer,
                owner_id=staff.id,
                due_at=DUE,
                purpose="care",
                status="open",
                open_key=f"{customer}:care",
            )
        )
    found = {code for code, ids in _sections(sessions, staff, now).items() if customer in ids}
    assert found == ({section} if section else set())


def test_the_same_instant_is_today_in_london_but_tomorrow_in_shanghai(sessions: Sessions) -> None:
    from zoneinfo import ZoneInfo

    now = utc(2026, 11, 23, 10, 0)
    due = utc(2026, 11, 23, 17, 0)  # 01:00 on the 24th in Shanghai
    assert day_windows(now, ZoneInfo("Asia/Shanghai")).section_of(due) == "week"
    assert day_windows(now, ZoneInfo("Europe/London")).section_of(due) == "today"


def test_out_of_cadence_lists_customers_with_nothing_planned_never_contacted_first(
    sessions: Sessions, staff: Actor
) -> None:
    now = utc(2026, 11, 23, 2, 0)
    stale = make_customer(sessions, owner=staff, value_tier="medium", last_contact_at=now - dt.timedelta(days=61))
    never = make_customer(sessions, owner=staff, value_tier="low")
    fresh = make_customer(sessions, owner=staff, value_tier="medium", last_contact_at=now - dt.timedelta(days=59))
    make_customer(sessions, owner=staff, lifecycle_stage="churned")
    planned = _task(sessions, staff, now + dt.timedelta(days=20))
    queue = my_queue(sessions, actor=staff, now=now)
    rows = queue.sections["out_of_cadence"].rows
    assert [r.customer_id for r in rows] == [never, stale]
    assert rows[1].cadence_days == 60 and fresh not in [r.customer_id for r in rows]
    assert planned not in [r.customer_id for r in rows]


def test_logging_the_contact_takes_a_customer_off_the_out_of_cadence_list(sessions: Sessions, staff: Actor) -> None:
    now = utc(2026, 11, 23, 2, 0)
    customer = make_customer(sessions, owner=staff)
    assert customer in _sections(sessions, staff, now)["out_of_cadence"]
    log_contact(sessions, actor=staff, customer_id=customer, channel="phone", occurred_at=now, summary="Hello", now=now)
    assert customer not in _sections(sessions, staff, now)["out_of_cadence"]


def test_each_section_counts_everything_and_pages_by_limit(sessions: Sessions, staff: Actor) -> None:
    now = utc(2026, 11, 23, 2, 0)
    for hours in range(1, 8):
        _task(sessions, staff, now - dt.timedelta(hours=hours), last_contact_at=now)
    first = my_queue(sessions, actor=staff, now=now, page_size=3)
    last = my_queue(sessions, actor=staff, now=now, page_size=3, pages={"overdue": 5})
    assert first.sections["overdue"].total == 7 and len(first.sections["overdue"].rows) == 3
    assert last.sections["overdue"].page == 2 and len(last.sections["overdue"].rows) == 1
    # Most overdue first.
    assert first.sections["overdue"].rows[0].due_at == now - dt.timedelta(hours=7)


def test_staff_see_only_their_own_queue_and_managers_anyones(sessions: Sessions, staff: Actor, manager: Actor) -> None:
    now = utc(2026, 11, 23, 2, 0)
    colleague = make_user(sessions, "liuyang", "staff")
    theirs = _task(sessions, colleague, now + dt.timedelta(hours=1), last_contact_at=now)
    _task(sessions, staff, now + dt.timedelta(hours=1), last_contact_at=now)
    with pytest.raises(PermissionDenied):
        my_queue(sessions, actor=staff, owner_id=colleague.id, now=now)
    assert theirs not in _sections(sessions, staff, now)["today"]
    seen = my_queue(sessions, actor=manager, owner_id=colleague.id, now=now)
    assert [r.customer_id for r in seen.sections["today"].rows] == [theirs]
    viewer = make_user(sessions, "victoria", "viewer")
    with pytest.raises(PermissionDenied):
        my_queue(sessions, actor=viewer, now=now)


def test_the_daily_run_cancels_follow_ups_left_on_archived_customers(sessions: Sessions, staff: Actor) -> None:
    now = utc(2026, 11, 23, 2, 0)
    customer = _task(sessions, staff, now - dt.timedelta(hours=1), last_contact_at=now)
    with transaction(sessions, actor=staff) as session:  # archived without the hook, as a bulk update would
        session.get(Customer, customer).archived_at = now  # type: ignore[union-attr]
    assert my_queue(sessions, actor=staff, now=now).sections["overdue"].rows == ()
    generate_follow_ups(sessions, actor=SYSTEM, now=now)
    assert my_queue(sessions, actor=staff, now=now).sections["overdue"].total == 0
    assert [t.status for t in tasks_of(sessions, customer)] == ["cancelled"]


def test_the_archive_hook_cancels_the_open_follow_ups_audited(sessions: Sessions, staff: Actor) -> None:
    now = utc(2026, 11, 23, 2, 0)
    customer = _task(sessions, staff, now - dt.timedelta(hours=1), last_contact_at=now)
    manager = make_user(sessions, "lina", "manager")
    with transaction(sessions, actor=manager) as session:
        session.get(Customer, customer).archived_at = now  # type: ignore[union-attr]
        assert cancel_open_tasks(session, actor=manager, customer_ids=[customer], reason="Customer archived") == 1
    [task] = tasks_of(sessions, customer)
    assert (task.status, task.open_key, task.reschedule_reason) == ("cancelled", None, "Customer archived")
    assert customer_row(sessions, customer).next_follow_up_at is None
    with sessions.read() as session:
        who = session.scalar(
            select(AuditLog.username).where(
                AuditLog.entity_type == "follow_up_tasks", AuditLog.field == "status", AuditLog.action == "update"
            )
        )
    assert who == "lina"


def test_archiving_customers_one_or_in_bulk_cancels_their_open_follow_ups(sessions: Sessions, staff: Actor) -> None:
    now = utc(2026, 11, 23, 2, 0)
    manager = make_user(sessions, "lina", "manager")
    one, two, three = (_task(sessions, staff, now + dt.timedelta(hours=h), last_contact_at=now) for h in (1, 2, 3))
    archive_customer(sessions, actor=manager, customer_id=one, version=customer_row(sessions, one).version)
    bulk_archive(sessions, actor=manager, customer_ids=[two])
    assert [t.status for c in (one, two, three) for t in tasks_of(sessions, c)] == ["cancelled", "cancelled", "open"]
    assert customer_row(sessions, one).next_follow_up_at is None
    assert my_queue(sessions, actor=staff, now=now).sections["today"].total == 1
    restore_customer(sessions, actor=manager, customer_id=one, version=customer_row(sessions, one).version)
    assert [t.status for t in tasks_of(sessions, one)] == ["cancelled"]  # the daily run plans anew if due


def test_a_queue_costs_the_same_number_of_statements_however_many_rows(sessions: Sessions, staff: Actor) -> None:
    now = utc(2026, 11, 23, 2, 0)

    def statements() -> int:
        count = 0

        def counter(*_args: object) -> None:
            nonlocal count
            count += 1

        event.listen(sessions.engine, "before_cursor_execute", counter)
        try:
            my_queue(sessions, actor=staff, now=now)
        finally:
            event.remove(sessions.engine, "before_cursor_execute", counter)
        return count

    empty = statements()
    for hours in (-3, -1, 2, 30, 60):
        _task(sessions, staff, now + dt.timedelta(hours=hours))
    make_customer(sessions, owner=staff)
    assert statements() == empty
    assert empty <= 11  # settings, cadences, then a count and a page per section


def test_the_team_view_counts_open_overdue_done_and_compliance_per_owner(
    sessions: Sessions, staff: Actor, manager: Actor
) -> None:
    now = utc(2026, 11, 25, 2, 0)  # Wednesday
    colleague = make_user(sessions, "liuyang", "staff")
    overdue = _task(
        sessions, staff, now - dt.timedelta(hours=5), value_tier="high", last_contact_at=now - dt.timedelta(days=10)
    )
    _task(sessions, staff, now + dt.timedelta(days=3), value_tier="high", last_contact_at=now - dt.timedelta(days=40))
    done = make_customer(sessions, owner=colleague, value_tier="low", last_contact_at=now - dt.timedelta(days=200))
    task = plan_follow_up(sessions, actor=colleague, customer_id=done, due_at=now, now=now - dt.timedelta(days=1))
    from crm.follow_ups.service import complete_follow_up

    complete_follow_up(
        sessions,
        actor=colleague,
        task_id=task.id,
        version=task.version,
        channel="phone",
        occurred_at=now - dt.timedelta(hours=1),
        summary="Done",
        now=now,
    )
    with pytest.raises(PermissionDenied):
        team_overview(sessions, actor=staff, now=now)
    team = team_overview(sessions, actor=manager, period="week", now=now)
    by_owner = {row.owner_id: row for row in team.owners}
    mine, theirs = by_owner[staff.id], by_owner[colleague.id]
    assert (mine.open, mine.overdue, mine.done, mine.customers, mine.in_cadence) == (2, 1, 0, 2, 1)
    assert mine.compliance == 0.5
    assert (theirs.open, theirs.done, theirs.contacts, theirs.compliance) == (0, 1, 1, 1.0)
    assert team.period_start == dt.date(2026, 11, 23) and team.period_end == dt.date(2026, 11, 30)
    tiers = {t.value_tier: (t.customers, t.in_cadence) for t in team.tiers}
    assert tiers == {"high": (2, 1), "low": (1, 1)}
    assert overdue


def test_periods_are_the_local_calendar_week_and_month() -> None:
    assert period_bounds("week", dt.date(2026, 11, 29)) == (dt.date(2026, 11, 23), dt.date(2026, 11, 30))
    assert period_bounds("month", dt.date(2026, 12, 31)) == (dt.date(2026, 12, 1), dt.date(2027, 1, 1))
    assert calendar_range("month", dt.date(2026, 11, 23)) == (dt.date(2026, 10, 26), 42)
    assert calendar_range("week", dt.date(2026, 11, 25)) == (dt.date(2026, 11, 23), 7)


def test_the_calendar_counts_tasks_on_their_local_day(sessions: Sessions, staff: Actor, manager: Actor) -> None:
    # 23:30 in Shanghai on the 23rd, 00:30 on the 24th, and a staff member's own view.
    _task(sessions, staff, DUE)
    _task(sessions, staff, DUE + dt.timedelta(hours=1))
    counts = calendar_counts(sessions, actor=manager, start=dt.date(2026, 11, 23), days=7)
    assert counts.total(dt.date(2026, 11, 23)) == 1 and counts.total(dt.date(2026, 11, 24)) == 1
    assert [o.id for o in counts.owners] == [staff.id]
    own = calendar_counts(sessions, actor=staff, start=dt.date(2026, 11, 23), days=7, owner_id=staff.id)
    assert own.counts == counts.counts
    with pytest.raises(PermissionDenied):
        calendar_counts(sessions, actor=staff, start=dt.date(2026, 11, 23), days=7)
    totals = calendar_counts(sessions, actor=manager, start=dt.date(2026, 11, 23), days=7, by_owner=False)
    assert totals.counts == {(0, dt.date(2026, 11, 23)): 1, (0, dt.date(2026, 11, 24)): 1}
    tasks, total = calendar_tasks(sessions, actor=manager, day=dt.date(2026, 11, 24))
    assert total == 1 and tasks[0].due_at == DUE + dt.timedelta(hours=1)
