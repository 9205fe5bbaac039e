"""The company's clock: its time zone (the "timezone" setting), now, today, and local days <-> UTC instants.

Times are stored in UTC and every time shown, every "today" and every default date is the company's, read
here. The clock itself can be set in tests (`frozen_at`), so a test can stand at 01:00 in Shanghai.
Self-contained on purpose: it reads the setting's row itself and imports nothing else from crm/.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, select

from crm.platform.parallel import shared
from db.models import Setting

DEFAULT_TIMEZONE = "Asia/Shanghai"
TIMEZONE_SETTING = "timezone"
WORKING_TIME_SETTING = "follow_up_default_time"
DEFAULT_WORKING_TIME = "09:00"  # when a planned follow-up without a time is due, company-local
END_OF_DAY = dt.time(23, 59)


def _system_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_source: Callable[[], dt.datetime] = _system_now


def utcnow() -> dt.datetime:
    """Return the current instant, aware UTC (the frozen one in a test)."""
    return _source().astimezone(dt.UTC)


@contextmanager
def frozen_at(instant: dt.datetime) -> Iterator[None]:
    """Stand the clock at an aware instant for the duration of the block (tests)."""
    global _source
    if instant.tzinfo is None:
        raise ValueError("frozen_at needs an aware datetime")
    previous = _source
    _source = lambda: instant  # noqa: E731 - a one-line clock
    try:
        yield
    finally:
        _source = previous


def zone_named(name: Any) -> ZoneInfo:
    """Return the zone of that name, or the default zone if it is empty or unknown."""
    try:
        return ZoneInfo(str(name or DEFAULT_TIMEZONE))
    except (ZoneInfoNotFoundError, ValueError, KeyError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def company_zone(session: Any) -> ZoneInfo:
    """Return the company's time zone from the settings (a Session or a Connection, inside its transaction); read
    once per sharing() block (crm/platform/parallel.py: a page's reads ask for it dozens of times)."""
    bind = session.engine if isinstance(session, Connection) else session.get_bind()
    return shared(
        ("company zone", id(bind)),
        lambda: zone_named(session.scalar(select(Setting.value).where(Setting.key == TIMEZONE_SETTING))),
    )


def company_zone_name(sessions: Any) -> str:
    """Return the company zone's name, read in a short transaction of its own."""
    with sessions.read() as session:
        return company_zone(session).key


def now(zone: ZoneInfo) -> dt.datetime:
    """Return the current company-local time in the zone."""
    return utcnow().astimezone(zone)


def today(zone: ZoneInfo) -> dt.date:
    """Return today's date in the zone (a Shanghai morning is still yesterday in UTC)."""
    return now(zone).date()


def company_today(session: Any) -> dt.date:
    """Return the company's today, reading its zone inside the caller's transaction."""
    return today(company_zone(session))


def local_date(instant: dt.datetime, zone: ZoneInfo) -> dt.date:
    """Return the company-local day of a UTC instant (naive values are taken as UTC)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.astimezone(zone).date()


def to_utc(day: dt.date, time: dt.time | None, zone: ZoneInfo) -> dt.datetime:
    """Turn a company-local day and time (None: the end of that day, 23:59) into an aware UTC instant."""
    return dt.datetime.combine(day, time or END_OF_DAY, zone).astimezone(dt.UTC)


def local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """Return the UTC instant at which the company-local day starts."""
    return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)


def parse_time(value: Any) -> dt.time | None:
    """Read an HH:MM setting value, or None if it is not one."""
    try:
        hours, minutes = str(value).split(":")
        return dt.time(int(hours), int(minutes))
    except (TypeError, ValueError):
        return None


def working_time(session: Any) -> dt.time:
    """Return the company-local time a planned follow-up without a time is due (the setting, 09:00 by default)."""
    stored = session.scalar(select(Setting.value).where(Setting.key == WORKING_TIME_SETTING))
    return parse_time(stored) or parse_time(DEFAULT_WORKING_TIME) or dt.time(9)


def planned_due(day: dt.date, time: dt.time | None, zone: ZoneInfo, default_time: dt.time) -> dt.datetime:
    """When a follow-up planned for a day is due: at its time, else at the working time.

    A follow-up planned for today without a time once the working time has passed is due now (to the next
    5 minutes) rather than at an hour already gone, which would make it overdue the moment it is saved.
    """
    if time is not None:
        return to_utc(day, time, zone)
    due = to_utc(day, default_time, zone)
    current = utcnow()
    if due < current and day == today(zone):
        local_now = current.astimezone(zone).replace(second=0, microsecond=0)
        due = (local_now + dt.timedelta(minutes=5 - local_now.minute % 5)).astimezone(dt.UTC)
    return due
