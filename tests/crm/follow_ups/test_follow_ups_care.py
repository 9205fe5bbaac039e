"""Care dates: birthdays, anniversaries and first deals in the next 14 days; the holiday list; greetings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from crm.follow_ups.care import (
    HolidayView,
    holiday_changes_from_editor,
    list_holidays,
    plan_greeting,
    save_holidays,
    upcoming_care_dates,
)
from crm.platform.errors import PermissionDenied, ValidationError, VersionConflict
from crm.platform.permissions import SYSTEM, Actor
from crm.platform.uow import transaction
from db.engine import Sessions
from db.models import KeyDate, Order
from tests.crm.follow_ups.follow_up_factories import make_contact, make_customer, make_user, tasks_of, utc

TODAY = dt.date(2026, 12, 25)


def test_care_dates_in_the_next_fourteen_days_cross_the_new_year(sessions: Sessions, staff: Actor) -> None:
    customer = make_customer(sessions, owner=staff, name="星河科技")
    make_contact(sessions, customer, name="王芳", birthday=dt.date(1985, 1, 7))  # in 13 days
    make_contact(sessions, customer, name="Too late", birthday=dt.date(1990, 1, 8))  # in 14 days: outside
    make_contact(sessions, customer, name="Today", birthday=dt.date(1979, 12, 25))
    with transaction(sessions, actor=SYSTEM) as session:
        session.add(
            KeyDate(
                customer_id=customer,
                kind="anniversary",
                month_day="12-31",
                date=dt.date(2016, 12, 31),
                label="Founding day",
            )
        )
        session.add(Order(customer_id=customer, order_date=dt.date(2021, 12, 28), amount=Decimal("10.00")))
        session.add(Order(customer_id=customer, order_date=dt.date(2022, 12, 29), amount=Decimal("20.00")))
    care = upcoming_care_dates(sessions, actor=staff, today=TODAY)
    found = [(d.day, d.kind, d.contact_name or d.label, d.years) for d in care.dates]
    assert found == [
        (dt.date(2026, 12, 25), "birthday", "Today", 47),
        (dt.date(2026, 12, 28), "first_deal", None, 5),
        (dt.date(2026, 12, 31), "anniversary", "Founding day", 10),
        (dt.date(2027, 1, 7), "birthday", "王芳", 42),
    ]


def test_a_leap_day_birthday_is_celebrated_on_the_28th_in_common_years(sessions: Sessions, staff: Actor) -> None:
    customer = make_customer(sessions, owner=staff)
    make_contact(sessions, customer, name="Leap", birthday=dt.date(1996, 2, 29))
    care = upcoming_care_dates(sessions, actor=staff, today=dt.date(2027, 2, 20))
    assert [(d.day, d.contact_name) for d in care.dates] == [(dt.date(2027, 2, 28), "Leap")]


def test_staff_see_their_own_customers_care_dates_and_managers_all(
    sessions: Sessions, staff: Actor, manager: Actor
) -> None:
    colleague = make_user(sessions, "liuyang", "staff")
    make_contact(sessions, make_customer(sessions, owner=staff), name="Mine", birthday=dt.date(1980, 12, 26))
    make_contact(sessions, make_customer(sessions, owner=colleague), name="Theirs", birthday=dt.date(1980, 12, 27))
    assert [d.contact_name for d in upcoming_care_dates(sessions, actor=staff, today=TODAY).dates] == ["Mine"]
    assert len(upcoming_care_dates(sessions, actor=manager, today=TODAY).dates) == 2


def test_a_greeting_is_planned_as_a_care_follow_up_at_nine_local(sessions: Sessions, staff: Actor) -> None:
    customer = make_customer(sessions, owner=staff)
    contact = make_contact(sessions, customer, name="王芳", birthday=dt.date(1985, 12, 27))
    [care] = upcoming_care_dates(sessions, actor=staff, today=TODAY).dates
    task = plan_greeting(sessions, actor=staff, care=care, now=utc(2026, 12, 25, 1, 0))
    assert (task.purpose, task.contact_id, task.due_at) == ("care", contact, utc(2026, 12, 27, 1, 0))
    with pytest.raises(ValidationError):
        plan_greeting(sessions, actor=staff, care=care, now=utc(2026, 12, 25, 1, 0))
    assert len(tasks_of(sessions, customer)) == 1


def test_the_holiday_editor_adds_changes_and_removes_rows_audited(sessions: Sessions, manager: Actor) -> None:
    save_holidays(
        sessions,
        actor=manager,
        changes=holiday_changes_from_editor(
            [],
            {
                "added_rows": [
                    {"date": "2027-02-17", "name": "春节 Spring Festival"},
                    {"date": "2027-01-01", "name": "元旦"},
                    {},
                ]
            },
        ),
    )
    rows = list_holidays(sessions, actor=manager, year=2027)
    assert [(h.date, h.name) for h in rows] == [
        (dt.date(2027, 1, 1), "元旦"),
        (dt.date(2027, 2, 17), "春节 Spring Festival"),
    ]
    changes = holiday_changes_from_editor(
        rows, {"edited_rows": {1: {"date": dt.date(2027, 2, 6)}}, "deleted_rows": [0]}
    )
    assert save_holidays(sessions, actor=manager, changes=changes) == 2
    assert [(h.date, h.name) for h in list_holidays(sessions, actor=manager, year=2027)] == [
        (dt.date(2027, 2, 6), "春节 Spring Festival")
    ]
    with pytest.raises(VersionConflict):
        save_holidays(sessions, actor=manager, changes=changes)


def test_holidays_need_a_date_and_a_name_and_a_manager(sessions: Sessions, staff: Actor, manager: Actor) -> None:
    with pytest.raises(ValidationError) as error:
        save_holidays(
            sessions,
            actor=manager,
            changes=holiday_changes_from_editor(
                [], {"added_rows": [{"date": None, "name": "x"}, {"date": "2027-05-01", "name": " "}]}
            ),
        )
    assert set(error.value.fields) == {"date", "name"}
    with pytest.raises(PermissionDenied):
        save_holidays(
            sessions,
            actor=staff,
            changes=holiday_changes_from_editor([], {"added_rows": [{"date": "2027-05-01", "name": "劳动节"}]}),
        )


def test_editing_a_row_without_a_real_change_changes_nothing() -> None:
    row = HolidayView(1, dt.date(2027, 10, 1), "国庆节", 1)
    assert not holiday_changes_from_editor([row], {"edited_rows": {0: {"name": "国庆节"}}})


def test_upcoming_holidays_are_listed_with_the_care_dates(sessions: Sessions, manager: Actor) -> None:
    save_holidays(
        sessions,
        actor=manager,
        changes=holiday_changes_from_editor(
            [], {"added_rows": [{"date": "2027-01-01", "name": "元旦"}, {"date": "2027-02-17", "name": "春节"}]}
        ),
    )
    care = upcoming_care_dates(sessions, actor=manager, today=TODAY)
    assert [h.name for h in care.holidays] == ["元旦"]
