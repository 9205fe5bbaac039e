"""Customer care (客户关怀): birthdays, anniversaries and first-deal anniversaries ahead, and company holidays."""

from __future__ import annotations

import datetime as dt
from calendar import isleap
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, extract, select
from sqlalchemy.orm import Session, aliased

from crm.follow_ups.core import company_timezone, local_date, to_utc
from crm.follow_ups.service import TaskView, plan_follow_up
from crm.platform import clock
from crm.platform.clock import utcnow
from crm.platform.errors import NotFound, ValidationCollector
from crm.platform.permissions import Actor, require
from crm.platform.uow import check_version, transaction
from crm.platform.validation import check_length
from db.engine import Sessions
from db.models import Contact, Customer, Holiday, KeyDate, Order

CARE_WINDOW_DAYS = 14
CARE_LIMIT = 500
HOLIDAY_NAME_MAX = 120


@dataclass(frozen=True)
class CareDate:
    """A date worth a greeting in the window: whose, what kind, which day this year, how many years."""

    day: dt.date
    kind: str  # birthday / anniversary / other / first_deal
    customer_id: int
    customer_code: str
    customer_name: str
    owner_id: int | None
    contact_id: int | None
    contact_name: str | None
    label: str | None
    years: int | None


@dataclass(frozen=True)
class HolidayView:
    id: int
    date: dt.date
    name: str
    version: int


@dataclass(frozen=True)
class CareOverview:
    today: dt.date
    days: int
    dates: tuple[CareDate, ...]
    truncated: bool
    holidays: tuple[HolidayView, ...]


def window_days(today: dt.date, days: int) -> list[dt.date]:
    return [today + dt.timedelta(days=i) for i in range(days)]


def _month_days(days: Iterable[dt.date]) -> dict[int, dt.date]:
    """Map MMDD numbers to the day in the window they fall on; 29 February falls on the 28th in common years."""
    result: dict[int, dt.date] = {}
    for day in days:
        result[day.month * 100 + day.day] = day
        if day.month == 2 and day.day == 28 and not isleap(day.year):
            result[229] = day
    return result


def _mmdd(column: Any) -> Any:
    return extract("month", column) * 100 + extract("day", column)


def _years(since: dt.date | None, on: dt.date) -> int | None:
    return on.year - since.year if since is not None else None


def upcoming_care_dates(
    sessions: Sessions,
    *,
    actor: Actor,
    today: dt.date | None = None,
    days: int = CARE_WINDOW_DAYS,
    limit: int = CARE_LIMIT,
) -> CareOverview:
    """Return care dates in the next `days` days (staff: their own customers) and the holidays in that window."""
    require(actor, "customers.view")
    days = max(1, min(days, 62))
    with sessions.read() as session:
        tz = company_timezone(session)
        today = today or local_date(utcnow(), tz)
        span = window_days(today, days)
        by_mmdd = _month_days(span)
        numbers = sorted(by_mmdd)
        texts = sorted({f"{n // 100:02d}-{n % 100:02d}" for n in numbers})
        scope: list[Any] = [Customer.archived_at.is_(None)]
        if not actor.can("customers.view_all"):
            scope.append(Customer.owner_id == actor.id)
        found: list[CareDate] = []

        def add(
            day_number: int,
            kind: str,
            customer: Any,
            contact_id: int | None,
            contact_name: str | None,
            label: str | None,
            since: dt.date | None,
        ) -> None:
            day = by_mmdd[day_number]
            cid, code, name, owner = customer
            found.append(
                CareDate(
                    day=day,
                    kind=kind,
                    customer_id=cid,
                    customer_code=code,
                    customer_name=name,
                    owner_id=owner,
                    contact_id=contact_id,
                    contact_name=contact_name,
                    label=label,
                    years=_years(since, day),
                )
            )

        customer_cols = (Customer.id, Customer.code, Customer.name, Customer.owner_id)
        for *customer, contact_id, contact_name, birthday in session.execute(
            select(*customer_cols, Contact.id, Contact.name, Contact.birthday)
            .join(Customer, Customer.id == Contact.customer_id)
            .where(
                *scope,
                Contact.archived_at.is_(None),
                Contact.birthday.is_not(None),
                _mmdd(Contact.birthday).in_(numbers),
            )
            .limit(limit + 1)
        ):
            add(_number(birthday), "birthday", customer, contact_id, contact_name, None, birthday)
        for *customer, birthday in session.execute(
            select(*customer_cols, Customer.birthday)
            .where(*scope, Customer.birthday.is_not(None), _mmdd(Customer.birthday).in_(numbers))
            .limit(limit + 1)
        ):
            add(_number(birthday), "birthday", customer, None, None, None, birthday)
        for *customer, contact_id, contact_name, kind, label, since, month_day in session.execute(
            select(
                *customer_cols,
                KeyDate.contact_id,
                Contact.name,
                KeyDate.kind,
                KeyDate.label,
                KeyDate.date,
                KeyDate.month_day,
            )
            .join(Customer, Customer.id == KeyDate.customer_id)
            .outerjoin(Contact, Contact.id == KeyDate.contact_id)
            .where(*scope, KeyDate.archived_at.is_(None), KeyDate.month_day.in_(texts))
            .limit(limit + 1)
        ):
            month, day_of_month = month_day.split("-")
            add(
                int(month) * 100 + int(day_of_month),
                kind if kind in ("birthday", "anniversary") else "other",
                customer,
                contact_id,
                contact_name,
                label,
                since,
            )
        # The first deal: an order with no earlier order of the same customer (index on customer, date).
        earlier = aliased(Order)
        for *customer, first_order in session.execute(
            select(*customer_cols, Order.order_date)
            .join(Customer, Customer.id == Order.customer_id)
            .where(
                *scope,
                Order.archived_at.is_(None),
                _mmdd(Order.order_date).in_(numbers),
                Order.order_date < today,
                ~exists().where(
                    earlier.customer_id == Order.customer_id,
                    earlier.archived_at.is_(None),
                    earlier.order_date < Order.order_date,
                ),
            )
            .limit(limit + 1)
        ):
            if first_order.year < by_mmdd[_number(first_order)].year:
                add(_number(first_order), "first_deal", customer, None, None, None, first_order)
        holidays = _holidays(session, today, today + dt.timedelta(days=days))
    # The same first order may appear twice if two orders share the first day; keep one per customer and day.
    unique = {(d.kind, d.customer_id, d.contact_id, d.day, d.label): d for d in found}
    ordered = sorted(unique.values(), key=lambda d: (d.day, d.customer_name, d.kind))
    return CareOverview(
        today=today, days=days, dates=tuple(ordered[:limit]), truncated=len(ordered) > limit, holidays=tuple(holidays)
    )


def _number(day: dt.date | None) -> int:
    assert day is not None
    return day.month * 100 + day.day


def _holidays(session: Session, start: dt.date, end: dt.date) -> list[HolidayView]:
    return [
        HolidayView(h.id, h.date, h.name, h.version)
        for h in session.scalars(
            select(Holiday)
            .where(Holiday.archived_at.is_(None), Holiday.date >= start, Holiday.date < end)
            .order_by(Holiday.date, Holiday.name)
        )
    ]


def list_holidays(sessions: Sessions, *, actor: Actor, year: int) -> list[HolidayView]:
    """Return the company holidays of a year."""
    require(actor, "customers.view")
    with sessions.read() as session:
        return _holidays(session, dt.date(year, 1, 1), dt.date(year + 1, 1, 1))


@dataclass(frozen=True)
class HolidayChanges:
    """Edits to the holiday list: new (date, name) rows, changed rows by id, and ids to remove."""

    added: tuple[tuple[dt.date | None, str], ...] = ()
    changed: tuple[tuple[int, int, dt.date | None, str], ...] = ()  # (id, version, date, name)
    removed: tuple[tuple[int, int], ...] = ()  # (id, version)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def holiday_changes_from_editor(rows: list[HolidayView], state: dict[str, Any]) -> HolidayChanges:
    """Turn st.data_editor's edit state (edited_rows / added_rows / deleted_rows) over rows into changes."""
    added = []
    for new in state.get("added_rows", []):
        if not any(v not in (None, "") for v in new.values()):
            continue
        added.append((_as_date(new.get("date")), str(new.get("name") or "").strip()))
    changed = []
    for index, edits in state.get("edited_rows", {}).items():
        original = rows[int(index)]
        date = _as_date(edits["date"]) if "date" in edits else original.date
        name = (
            str(edits["name"]).strip()
            if "name" in edits and edits["name"] is not None
            else ("" if "name" in edits else original.name)
        )
        if date != original.date or name != original.name:
            changed.append((original.id, original.version, date, name))
    removed = [(rows[int(i)].id, rows[int(i)].version) for i in state.get("deleted_rows", [])]
    return HolidayChanges(tuple(added), tuple(changed), tuple(removed))


def _as_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def save_holidays(sessions: Sessions, *, actor: Actor, changes: HolidayChanges, token: str | None = None) -> int:
    """Apply edits to the company holiday list in one audited transaction; return the rows touched."""
    require(actor, "follow_ups.manage")
    errors = ValidationCollector()
    for n, (date, name) in enumerate(
        [(d, nm) for d, nm in changes.added] + [(d, nm) for _, _, d, nm in changes.changed]
    ):
        if date is None:
            errors.add("date", "validation.date", row=n + 1)
        if not name:
            errors.add("name", "validation.required")
        else:
            check_length(errors, "name", name, HOLIDAY_NAME_MAX)  # refuses NUL characters too
    errors.raise_if_any()
    with transaction(sessions, actor=actor, token=token, operation="follow_ups.holidays") as session:
        for date, name in changes.added:
            session.add(Holiday(date=date, name=name))
        for holiday_id, version, date, name in changes.changed:
            holiday = _holiday(session, holiday_id)
            check_version(session, holiday, version)
            holiday.date, holiday.name = date, name  # type: ignore[assignment]
        for holiday_id, version in changes.removed:
            holiday = _holiday(session, holiday_id)
            check_version(session, holiday, version)
            holiday.archived_at = utcnow()
    return len(changes.added) + len(changes.changed) + len(changes.removed)


def _holiday(session: Session, holiday_id: int) -> Holiday:
    holiday = session.get(Holiday, holiday_id)
    if holiday is None or holiday.archived_at is not None:
        raise NotFound(entity="holidays", id=holiday_id)
    return holiday


def plan_greeting(
    sessions: Sessions, *, actor: Actor, care: CareDate, token: str | None = None, now: dt.datetime | None = None
) -> TaskView:
    """Plan a care follow-up (关怀) for a care date, due at the working time (09:00) local on the day."""
    with sessions.read() as session:
        tz = company_timezone(session)
        greeting_time = clock.working_time(session)
    due_at = to_utc(care.day, greeting_time, tz)
    current = now or utcnow()
    if due_at < current and care.day == local_date(current, tz):
        due_at = to_utc(care.day, None, tz)  # today's greeting, planned after the working time: by the day's end
    note = care.label or care.contact_name
    return plan_follow_up(
        sessions,
        actor=actor,
        customer_id=care.customer_id,
        due_at=due_at,
        purpose="care",
        contact_id=care.contact_id,
        note=note,
        token=token,
        now=now,
    )
