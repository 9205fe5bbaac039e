"""The company's clock: one time zone from the settings, today and local days, the working time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from crm.exchange.exports import write_export
from crm.follow_ups.calendar_counts import counts_between
from crm.follow_ups.core import company_timezone
from crm.follow_ups.service import log_contact, plan_follow_up
from crm.platform import clock
from crm.platform.audit import search_audit
from crm.platform.errors import ValidationError
from crm.platform.permissions import SYSTEM
from crm.platform.settings import read_settings, update_settings
from db.engine import Sessions
from db.models import AuditLog
from tests.crm.follow_ups.follow_up_factories import make_customer, make_user, set_timezone, tasks_of, utc

SHANGHAI = ZoneInfo("Asia/Shanghai")
ONE_AM_SHANGHAI = utc(2026, 3, 4, 17, 0)  # 01:00 on 5 March in Shanghai, still 4 March in UTC


def test_the_company_zone_is_the_setting_and_shanghai_without_one(sessions: Sessions) -> None:
    assert clock.company_zone_name(sessions) == "Asia/Shanghai"
    set_timezone(sessions, "America/New_York")
    assert clock.company_zone_name(sessions) == "America/New_York"
    with sessions.read() as session:
        assert company_timezone(session) == ZoneInfo("America/New_York")  # the follow-up modules read the same
        assert clock.company_zone(session.connection()).key == "America/New_York"  # and so do raw connections


def test_an_unknown_zone_falls_back_to_shanghai() -> None:
    assert clock.zone_named("Mars/Olympus").key == "Asia/Shanghai"
    assert clock.zone_named(None).key == "Asia/Shanghai"


def test_today_at_one_in_the_morning_in_shanghai_is_that_day_not_the_utc_one() -> None:
    with clock.frozen_at(ONE_AM_SHANGHAI):
        assert clock.utcnow() == ONE_AM_SHANGHAI
        assert clock.today(SHANGHAI) == dt.date(2026, 3, 5)
        assert clock.today(ZoneInfo("UTC")) == dt.date(2026, 3, 4)
        assert clock.local_date(ONE_AM_SHANGHAI.replace(tzinfo=None), SHANGHAI) == dt.date(2026, 3, 5)
    assert clock.utcnow() != ONE_AM_SHANGHAI  # the real clock is back after the block


def test_a_planned_follow_up_without_a_time_is_due_at_the_working_time() -> None:
    nine = dt.time(9)
    with clock.frozen_at(ONE_AM_SHANGHAI):
        assert clock.planned_due(dt.date(2026, 3, 5), None, SHANGHAI, nine) == utc(2026, 3, 5, 1, 0)
        assert clock.planned_due(dt.date(2026, 3, 6), dt.time(15, 30), SHANGHAI, nine) == utc(2026, 3, 6, 7, 30)


def test_a_follow_up_for_today_without_a_time_after_the_working_time_is_due_soon_not_overdue() -> None:
    with clock.frozen_at(utc(2026, 3, 5, 6, 2)):  # 14:02 in Shanghai
        due = clock.planned_due(dt.date(2026, 3, 5), None, SHANGHAI, dt.time(9))
    assert due == utc(2026, 3, 5, 6, 5)


def test_the_working_time_setting_defaults_to_nine_and_is_checked(sessions: Sessions) -> None:
    assert read_settings(sessions)["follow_up_default_time"] == "09:00"
    with pytest.raises(ValidationError):
        update_settings(sessions, actor=SYSTEM, changes={"follow_up_default_time": "9 o'clock"})
    update_settings(sessions, actor=SYSTEM, changes={"follow_up_default_time": "8:30"})
    assert read_settings(sessions)["follow_up_default_time"] == "08:30"
    with sessions.read() as session:
        assert clock.working_time(session) == dt.time(8, 30)


def test_the_next_occurrence_of_a_recurring_follow_up_is_due_at_the_working_time(sessions: Sessions) -> None:
    staff = make_user(sessions, "li.na")
    customer = make_customer(sessions, owner=staff)
    with clock.frozen_at(ONE_AM_SHANGHAI):
        task = plan_follow_up(
            sessions, actor=staff, customer_id=customer, due_at=utc(2026, 3, 5, 2, 0), recurrence_days=7
        )
        log_contact(
            sessions,
            actor=staff,
            customer_id=customer,
            channel="phone",
            occurred_at=ONE_AM_SHANGHAI,
            summary="Weekly call",
            task_id=task.id,
            task_version=task.version,
        )
    following = [t for t in tasks_of(sessions, customer) if t.status == "open"]
    assert [t.due_at.replace(tzinfo=dt.UTC) for t in following] == [utc(2026, 3, 12, 1, 0)]  # 09:00 Shanghai


def test_an_export_is_dated_with_the_companys_day(sessions: Sessions) -> None:
    import io

    from crm.exchange.exports import export_file_name

    make_customer(sessions, owner=None, name="Acme")
    with clock.frozen_at(ONE_AM_SHANGHAI):
        with sessions.read() as session:
            today = clock.company_today(session)
        out = io.BytesIO()
        assert write_export(sessions, actor=SYSTEM, kind="customers", fmt="csv", out=out, audit=False) == 1
    assert export_file_name("customers", "csv", today) == "customers-2026-03-05.csv"


def test_the_calendar_counts_a_task_under_the_companys_day(sessions: Sessions) -> None:
    staff = make_user(sessions, "wang.fang")
    customer = make_customer(sessions, owner=staff)
    set_timezone(sessions, "America/New_York")
    with clock.frozen_at(utc(2026, 3, 4, 12, 0)):
        plan_follow_up(sessions, actor=staff, customer_id=customer, due_at=utc(2026, 3, 5, 3, 0))  # 22:00 on 4 March
    with sessions.read() as session:
        counts = counts_between(session.connection(), dt.date(2026, 3, 4), dt.date(2026, 3, 6), owner_id=staff.id)
    assert {day for (_, day) in counts} == {dt.date(2026, 3, 4)}


def test_the_audit_trail_s_date_filter_reads_company_days(sessions: Sessions) -> None:
    from sqlalchemy import update

    make_user(sessions, "zhao.lei")
    set_timezone(sessions, "America/New_York")
    with sessions.begin() as session:
        session.execute(update(AuditLog).values(at=utc(2026, 3, 5, 3, 0)))  # 22:00 on 4 March in New York
    on_the_fourth, total = search_audit(
        sessions, actor=SYSTEM, date_from=dt.date(2026, 3, 4), date_to=dt.date(2026, 3, 4)
    )
    assert total > 0 and len(on_the_fourth) == total
    assert search_audit(sessions, actor=SYSTEM, date_from=dt.date(2026, 3, 5), date_to=dt.date(2026, 3, 5))[1] == 0
