"""Deadline arithmetic: calendar time and working hours, at the boundaries, across a holiday and a pause."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from crm.complaints.sla import (
    CALENDAR,
    WORKING,
    SlaPolicy,
    WorkCalendar,
    add_countable,
    complaint_deadlines,
    elapsed,
    flag,
    paused_seconds,
)

SH = ZoneInfo("Asia/Shanghai")
H = dt.timedelta(hours=1)


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH).astimezone(dt.UTC)


# 2026-12-04 is a Friday; 2026-12-07 a Monday.
WORK = WorkCalendar(zone=SH)


def test_calendar_time_counts_every_hour_including_nights_and_weekends() -> None:
    assert add_countable(local(2026, 12, 4, 17), 24 * H, None) == local(2026, 12, 5, 17)


def test_working_hours_start_counting_at_the_next_opening() -> None:
    # received Friday 20:00: the clock starts Monday 09:00
    assert add_countable(local(2026, 12, 4, 20), 1 * H, WORK) == local(2026, 12, 7, 10)


def test_working_hours_carry_over_the_night() -> None:
    assert add_countable(local(2026, 12, 7, 17, 30), 1 * H, WORK) == local(2026, 12, 8, 9, 30)


def test_a_limit_ending_at_closing_time_is_due_at_closing_not_next_morning() -> None:
    assert add_countable(local(2026, 12, 7, 9), 9 * H, WORK) == local(2026, 12, 7, 18)
    assert add_countable(local(2026, 12, 7, 17), 1 * H, WORK) == local(2026, 12, 7, 18)


def test_working_days_skip_a_company_holiday() -> None:
    holiday = WorkCalendar(zone=SH, holidays=frozenset({dt.date(2026, 12, 8)}))
    # Monday 17:00 + 2 working hours: 1 h on Monday, Tuesday is a holiday, 1 h on Wednesday
    assert add_countable(local(2026, 12, 7, 17), 2 * H, holiday) == local(2026, 12, 9, 10)
    assert elapsed(local(2026, 12, 7, 17), local(2026, 12, 9, 10), holiday) == 2 * H


def test_a_pause_moves_the_deadline_by_its_length_in_calendar_time() -> None:
    start = local(2026, 12, 1, 10)
    pause = (local(2026, 12, 1, 12), local(2026, 12, 1, 15))
    assert add_countable(start, 4 * H, None, [pause]) == local(2026, 12, 1, 17)


def test_a_pause_in_working_hours_only_costs_the_working_time_it_covers() -> None:
    # paused Monday 16:00 to Tuesday 10:00 covers 2 h Monday + 1 h Tuesday of working time
    start = local(2026, 12, 7, 9)
    pause = (local(2026, 12, 7, 16), local(2026, 12, 8, 10))
    assert add_countable(start, 9 * H, WORK, [pause]) == local(2026, 12, 8, 12)


def test_a_pause_still_running_means_no_deadline_while_it_lasts() -> None:
    assert add_countable(local(2026, 12, 1, 10), 4 * H, None, [(local(2026, 12, 1, 11), None)]) is None


def test_overlapping_pauses_count_once() -> None:
    pauses = [(local(2026, 12, 1, 11), local(2026, 12, 1, 13)), (local(2026, 12, 1, 12), local(2026, 12, 1, 14))]
    assert paused_seconds(pauses, local(2026, 12, 2)) == 3 * 3600
    assert add_countable(local(2026, 12, 1, 10), 2 * H, None, pauses) == local(2026, 12, 1, 15)


def test_resolve_within_days_in_working_mode_means_working_days() -> None:
    policy = SlaPolicy(mode=WORKING)
    deadlines = complaint_deadlines(policy, "high", local(2026, 12, 7, 9), SH, holidays=[dt.date(2026, 12, 8)])
    # high: acknowledge within 4 working hours, resolve within 3 working days (9 h each), Tuesday off
    assert deadlines.acknowledge_due_at == local(2026, 12, 7, 13)
    assert deadlines.resolve_due_at == local(2026, 12, 10, 18)


def test_default_targets_in_calendar_mode() -> None:
    received = local(2026, 12, 7, 9)
    for severity, hours, days in (("critical", 1, 1), ("high", 4, 3), ("medium", 8, 7), ("low", 24, 14)):
        deadlines = complaint_deadlines(SlaPolicy(mode=CALENDAR), severity, received, SH)
        assert deadlines.acknowledge_due_at == received + hours * H
        assert deadlines.resolve_due_at == received + dt.timedelta(days=days)
        assert deadlines.resolve_warn_at == received + dt.timedelta(days=days) * 0.75


def test_a_deadline_is_met_at_its_instant_and_breached_one_second_later() -> None:
    due, warn = local(2026, 12, 7, 12), local(2026, 12, 7, 11)
    assert flag(due, warn, due) == "at_risk"
    assert flag(due, warn, due + dt.timedelta(seconds=1)) == "breached"
    assert flag(due, warn, warn - dt.timedelta(seconds=1)) is None
    assert flag(None, None, due) is None


def test_a_policy_round_trips_through_its_stored_form_and_ignores_junk() -> None:
    policy = SlaPolicy(mode=WORKING).with_targets("high", resolve_days=2)
    assert SlaPolicy.from_json(policy.to_json()) == policy
    assert SlaPolicy.from_json({"mode": "lunar", "targets": {"high": {"resolve_days": -1}}}) == SlaPolicy()
