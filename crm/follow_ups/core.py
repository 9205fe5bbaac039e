"""Shared follow-up rules: the company's day in UTC, open-task keys, access checks and the cached columns.

Times are stored in UTC and shown in the company time zone (setting "timezone"). The queue windows are:

- **overdue**: an open task whose ``due_at`` is before *now* (a task due at 09:00 is overdue at 09:01);
- **due today**: ``now <= due_at <`` the next local midnight;
- **due this week**: from the next local midnight up to the local midnight seven days after today
  (a rolling week, so Saturday's queue still shows next Monday and Tuesday);

so a task due 2026-11-23 23:30 Asia/Shanghai (15:30 UTC) is due today until 23:30 Shanghai time, then
overdue; the same instant is due *tomorrow* for a company in Europe/London until their midnight.
A follow-up planned for a day without a time is due at the working time (setting "follow_up_default_time",
09:00), and so are the automatic rules' tasks; a rule's task for today once that hour has passed is due by the
end of the day, 23:59 local.
The company's zone, now and today come from `crm.platform.clock`; the names below are kept for their callers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from crm.platform import clock
from crm.platform.clock import END_OF_DAY as END_OF_DAY  # re-exported: the follow-up modules read them from here
from crm.platform.clock import local_date as local_date
from crm.platform.clock import local_midnight as local_midnight
from crm.platform.clock import to_utc as to_utc
from crm.platform.errors import NotFound, PermissionDenied
from crm.platform.permissions import Actor
from crm.platform.settings import get_setting
from db.engine import Sessions
from db.models import Activity, Customer, FollowUpTask

WEEK_DAYS = 7


def company_timezone(session: Session) -> ZoneInfo:
    """Return the company time zone from the settings (Asia/Shanghai if unset or unknown)."""
    return clock.company_zone(session)


def company_today(session: Session) -> dt.date:
    """Return today's date in the company time zone (the server's own clock may be in UTC)."""
    return clock.company_today(session)


def today_for(sessions: Sessions) -> dt.date:
    """Return today's date in the company time zone, reading the setting in its own short transaction."""
    with sessions.read() as session:
        return company_today(session)


def company_timezone_name(sessions: Sessions) -> str:
    """Return the company time zone's name (for formatting times on a page)."""
    return clock.company_zone_name(sessions)


@dataclass(frozen=True)
class DayWindows:
    """The queue windows for one instant in the company time zone (all instants aware UTC)."""

    now: dt.datetime
    tz: ZoneInfo
    today: dt.date
    today_start: dt.datetime
    tomorrow_start: dt.datetime
    week_end: dt.datetime

    @property
    def timezone(self) -> str:
        return self.tz.key

    def section_of(self, due_at: dt.datetime) -> str:
        """Name the queue section a due instant falls in: overdue / today / week / later."""
        if due_at < self.now:
            return "overdue"
        if due_at < self.tomorrow_start:
            return "today"
        if due_at < self.week_end:
            return "week"
        return "later"


def day_windows(now: dt.datetime, tz: ZoneInfo) -> DayWindows:
    """Compute today's windows for the company time zone."""
    today = local_date(now, tz)
    return DayWindows(
        now=now,
        tz=tz,
        today=today,
        today_start=local_midnight(today, tz),
        tomorrow_start=local_midnight(today + dt.timedelta(days=1), tz),
        week_end=local_midnight(today + dt.timedelta(days=WEEK_DAYS), tz),
    )


def open_key(customer_id: int, purpose: str) -> str:
    """Key that is unique among open tasks: one open task per customer and purpose."""
    return f"{customer_id}:{purpose}"


def may_manage_customer(actor: Actor, owner_id: int | None) -> bool:
    """Staff act on the customers they own; managers and admins on all."""
    return actor.can("customers.edit_all") or (
        actor.can("follow_ups.log") and owner_id is not None and owner_id == actor.id
    )


def load_customer(
    session: Session, actor: Actor, customer_id: int, *, lock: bool = True, task_owner_id: int | None = None
) -> Customer:
    """Load a live customer for a follow-up write, locking its row; refuse if the actor may not act on it.

    The row lock serialises writes per customer, so the cached follow-up columns stay exact under
    concurrent saves on PostgreSQL and MariaDB (SQLite serialises every write anyway).
    """
    customer = session.get(Customer, customer_id, with_for_update=lock)
    if customer is None or customer.archived_at is not None:
        raise NotFound(entity="customers", id=customer_id)
    allowed = may_manage_customer(actor, customer.owner_id) or (
        task_owner_id is not None and task_owner_id == actor.id and actor.can("follow_ups.log")
    )
    if not allowed:
        raise PermissionDenied(permission="follow_ups.log")
    return customer


def may_read_customer(session: Session, actor: Actor, owner_id: int | None) -> bool:
    """Managers, admins and viewers read every customer; staff their own, or all if the setting allows."""
    if actor.can("customers.view_all"):
        return True
    if not actor.can("customers.view"):
        return False
    return owner_id == actor.id or bool(get_setting(session, "staff_can_read_all"))


def refresh_follow_up_columns(session: Session, customer_ids: Iterable[int], *, last_contact: bool = False) -> None:
    """Recompute customers.next_follow_up_at (and with last_contact=True, last_contact_at) from the rows.

    A Core UPDATE: these are caches of other rows, so they neither bump the customer's version (an open
    edit form stays valid) nor fill the audit trail; the activities and tasks themselves are audited.
    last_contact_at is only rebuilt on request (after activities are removed or bulk-loaded): a logged
    contact moves it forward with `note_contact`, which keeps a date imported without its activities.
    """
    ids = sorted(set(customer_ids))
    if not ids:
        return
    session.flush()
    table = Customer.__table__
    values: dict[str, Any] = {
        "next_follow_up_at": select(func.min(FollowUpTask.due_at))
        .where(FollowUpTask.customer_id == table.c.id, FollowUpTask.status == "open")
        .scalar_subquery(),
        "updated_at": table.c.updated_at,
    }
    if last_contact:
        values["last_contact_at"] = (
            select(func.max(Activity.occurred_at))
            .where(Activity.customer_id == table.c.id, Activity.archived_at.is_(None))
            .scalar_subquery()
        )
    for start in range(0, len(ids), 1000):
        session.execute(update(table).where(table.c.id.in_(ids[start : start + 1000])).values(**values))
    _expire(session, ids, ["next_follow_up_at", "last_contact_at"] if last_contact else ["next_follow_up_at"])


def note_contact(session: Session, customer_id: int, occurred_at: dt.datetime) -> None:
    """Move customers.last_contact_at forward to a newly logged contact (never back)."""
    table = Customer.__table__
    last = table.c.last_contact_at
    session.execute(
        update(table)
        .where(table.c.id == customer_id)
        .values(
            last_contact_at=case((or_(last.is_(None), last < occurred_at), occurred_at), else_=last),
            updated_at=table.c.updated_at,
        )
    )
    _expire(session, [customer_id], ["last_contact_at"])


def _expire(session: Session, ids: list[int], fields: list[str]) -> None:
    # Objects already in the session must not hand out the stale cached values.
    wanted = set(ids)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Customer) and obj.id in wanted:
            session.expire(obj, fields)
