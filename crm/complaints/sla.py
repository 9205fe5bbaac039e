"""Time limits (SLA): deadline arithmetic in calendar time or working hours, and the managers' targets.

The arithmetic is pure: a deadline is the instant at which `limit` of countable time has passed since the
start, where countable time is every instant (calendar mode) or the company's working hours on working days
that are not company holidays (working mode), minus the intervals the complaint waited for the customer.
Deadlines are stored on the complaint (intake, severity change, end of a pause), so on-time figures are
plain SQL comparisons of two columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from crm.complaints.vocab import SEVERITIES

Interval = tuple[dt.datetime, dt.datetime | None]  # a pause: (from, to), to None while it lasts
Span = tuple[dt.datetime, dt.datetime | None]  # a countable stretch; None: open-ended

CALENDAR = "calendar"
WORKING = "working"
MODES = (CALENDAR, WORKING)
# About to breach: less than this share of the limit is left.
WARN_SHARE = 0.25
# Working-hours arithmetic looks this many days ahead at most (a calendar with no working day never ends).
_HORIZON_DAYS = 3 * 366

# Defaults from the issue: acknowledge within (hours), resolve within (days), per severity.
DEFAULT_ACKNOWLEDGE_HOURS = {"critical": 1, "high": 4, "medium": 8, "low": 24}
DEFAULT_RESOLVE_DAYS = {"critical": 1, "high": 3, "medium": 7, "low": 14}
# Inquiries: respond within 4 hours, answer within 2 days.
DEFAULT_INQUIRY_RESPOND_HOURS = 4
DEFAULT_INQUIRY_ANSWER_DAYS = 2


@dataclass(frozen=True)
class WorkCalendar:
    """The company's working time: local hours on working weekdays (0 = Monday), holidays excluded."""

    zone: ZoneInfo
    start: dt.time = dt.time(9)
    end: dt.time = dt.time(18)
    weekdays: frozenset[int] = frozenset(range(5))
    holidays: frozenset[dt.date] = frozenset()

    @property
    def day_length(self) -> dt.timedelta:
        """One working day's countable time (what a "day" of a limit means in working mode)."""
        return dt.datetime.combine(dt.date(2000, 1, 3), self.end) - dt.datetime.combine(dt.date(2000, 1, 3), self.start)

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def intervals_from(self, instant: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Yield the working intervals (aware UTC) that end after the instant, in order, the first clipped."""
        day = instant.astimezone(self.zone).date()
        for _ in range(_HORIZON_DAYS):
            if self.is_working_day(day):
                opens = dt.datetime.combine(day, self.start, self.zone).astimezone(dt.UTC)
                closes = dt.datetime.combine(day, self.end, self.zone).astimezone(dt.UTC)
                if closes > instant:
                    yield max(opens, instant), closes
            day += dt.timedelta(days=1)


@dataclass(frozen=True)
class Targets:
    """Acknowledge-within hours and resolve-within days of one severity."""

    acknowledge_hours: int
    resolve_days: int


@dataclass(frozen=True)
class SlaPolicy:
    """The time limits managers edit: the mode, the working hours and the targets per severity."""

    mode: str = CALENDAR
    work_start: dt.time = dt.time(9)
    work_end: dt.time = dt.time(18)
    targets: dict[str, Targets] = field(
        default_factory=lambda: {s: Targets(DEFAULT_ACKNOWLEDGE_HOURS[s], DEFAULT_RESOLVE_DAYS[s]) for s in SEVERITIES}
    )
    inquiry_respond_hours: int = DEFAULT_INQUIRY_RESPOND_HOURS
    inquiry_answer_days: int = DEFAULT_INQUIRY_ANSWER_DAYS
    version: int = 0  # of the stored setting, for the optimistic check of an edit

    def calendar(self, zone: ZoneInfo, holidays: Iterable[dt.date] = ()) -> WorkCalendar | None:
        """The working calendar this policy counts in, or None for calendar time."""
        if self.mode != WORKING:
            return None
        return WorkCalendar(zone=zone, start=self.work_start, end=self.work_end, holidays=frozenset(holidays))

    def with_targets(
        self, severity: str, *, acknowledge_hours: int | None = None, resolve_days: int | None = None
    ) -> SlaPolicy:
        """The same policy with one severity's targets changed (for the managers' what-if)."""
        old = self.targets[severity]
        new = Targets(
            old.acknowledge_hours if acknowledge_hours is None else acknowledge_hours,
            old.resolve_days if resolve_days is None else resolve_days,
        )
        return replace(self, targets={**self.targets, severity: new})

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "work_start": self.work_start.strftime("%H:%M"),
            "work_end": self.work_end.strftime("%H:%M"),
            "targets": {
                s: {"acknowledge_hours": t.acknowledge_hours, "resolve_days": t.resolve_days}
                for s, t in self.targets.items()
            },
            "inquiry_respond_hours": self.inquiry_respond_hours,
            "inquiry_answer_days": self.inquiry_answer_days,
            "version": self.version,
        }

    @classmethod
    def from_json(cls, value: Any) -> SlaPolicy:
        """Read a stored policy; anything missing or malformed takes its default."""
        default = cls()
        if not isinstance(value, dict):
            return default
        targets = dict(default.targets)
        for severity, stored in (value.get("targets") or {}).items():
            if severity in targets and isinstance(stored, dict):
                targets[severity] = Targets(
                    _int(stored.get("acknowledge_hours"), targets[severity].acknowledge_hours),
                    _int(stored.get("resolve_days"), targets[severity].resolve_days),
                )
        return cls(
            mode=str(value["mode"]) if value.get("mode") in MODES else CALENDAR,
            work_start=_time(value.get("work_start"), default.work_start),
            work_end=_time(value.get("work_end"), default.work_end),
            targets=targets,
            inquiry_respond_hours=_int(value.get("inquiry_respond_hours"), default.inquiry_respond_hours),
            inquiry_answer_days=_int(value.get("inquiry_answer_days"), default.inquiry_answer_days),
            version=_int(value.get("version"), 0),
        )


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default


def _time(value: Any, default: dt.time) -> dt.time:
    try:
        hours, minutes = str(value).split(":")
        return dt.time(int(hours), int(minutes))
    except (TypeError, ValueError):
        return default


def hours_limit(hours: int, calendar: WorkCalendar | None) -> dt.timedelta:
    """A limit in hours: calendar hours, or working hours."""
    return dt.timedelta(hours=hours)


def days_limit(days: int, calendar: WorkCalendar | None) -> dt.timedelta:
    """A limit in days: calendar days, or working days of the calendar's length (9 h for 09:00-18:00)."""
    return calendar.day_length * days if calendar is not None else dt.timedelta(days=days)


# --- countable time ---------------------------------------------------------------------------------


def _merged(pauses: Iterable[Interval]) -> list[tuple[dt.datetime, dt.datetime | None]]:
    ordered = sorted(pauses, key=lambda p: p[0])
    merged: list[tuple[dt.datetime, dt.datetime | None]] = []
    for start, end in ordered:
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None:
                break
            if start <= last_end:
                merged[-1] = (last_start, None if end is None else max(last_end, end))
                continue
        merged.append((start, end))
    return merged


def _minus(start: dt.datetime, end: dt.datetime | None, pauses: Sequence[Interval]) -> Iterator[Span]:
    """The parts of [start, end) outside the (merged, ordered) pauses; end None is open-ended."""
    cursor: dt.datetime | None = start
    for p_start, p_end in pauses:
        if cursor is None:
            return
        if p_end is not None and p_end <= cursor:
            continue
        if end is not None and p_start >= end:
            break
        if p_start > cursor:
            yield cursor, p_start
        cursor = None if p_end is None else max(cursor, p_end)
    if cursor is not None and (end is None or cursor < end):
        yield cursor, end


def countable(
    start: dt.datetime, calendar: WorkCalendar | None, pauses: Iterable[Interval] = ()
) -> Iterator[tuple[dt.datetime, dt.datetime | None]]:
    """Yield the countable intervals from start on, in order (the last may be open-ended)."""
    merged = _merged(pauses)
    if calendar is None:
        yield from _minus(start, None, merged)
        return
    for opens, closes in calendar.intervals_from(start):
        yield from _minus(opens, closes, merged)


def add_countable(
    start: dt.datetime, limit: dt.timedelta, calendar: WorkCalendar | None, pauses: Iterable[Interval] = ()
) -> dt.datetime | None:
    """Return the instant `limit` of countable time after start (None: never, e.g. paused for good).

    A limit that ends exactly at the close of a working day is due at that close, not the next morning.
    """
    left = limit
    last = start
    for opens, closes in countable(start, calendar, pauses):
        if closes is None or closes - opens >= left:
            return opens + left
        left -= closes - opens
        last = closes
    return None if left > dt.timedelta(0) else last


def elapsed(
    start: dt.datetime, end: dt.datetime, calendar: WorkCalendar | None, pauses: Iterable[Interval] = ()
) -> dt.timedelta:
    """Return the countable time between start and end."""
    total = dt.timedelta(0)
    if end <= start:
        return total
    for opens, closes in countable(start, calendar, pauses):
        if opens >= end:
            break
        total += min(end, closes or end) - opens
    return total


def paused_seconds(pauses: Iterable[Interval], until: dt.datetime) -> int:
    """Return the seconds spent paused up to `until` (a pause still running counts up to it)."""
    total = dt.timedelta(0)
    for start, end in _merged(pauses):
        stop = min(end or until, until)
        if stop > start:
            total += stop - start
    return int(total.total_seconds())


@dataclass(frozen=True)
class Deadlines:
    """A case's two deadlines and the instants after which each is about to breach."""

    acknowledge_due_at: dt.datetime | None
    acknowledge_warn_at: dt.datetime | None
    resolve_due_at: dt.datetime | None
    resolve_warn_at: dt.datetime | None


def deadlines(
    received_at: dt.datetime,
    acknowledge: dt.timedelta,
    resolve: dt.timedelta,
    calendar: WorkCalendar | None,
    pauses: Iterable[Interval] = (),
) -> Deadlines:
    """Compute both deadlines from receipt, the waiting-for-customer pauses excluded."""
    pauses = list(pauses)

    def due(limit: dt.timedelta, share: float) -> dt.datetime | None:
        return add_countable(received_at, limit * share, calendar, pauses)

    return Deadlines(
        acknowledge_due_at=due(acknowledge, 1.0),
        acknowledge_warn_at=due(acknowledge, 1 - WARN_SHARE),
        resolve_due_at=due(resolve, 1.0),
        resolve_warn_at=due(resolve, 1 - WARN_SHARE),
    )


def complaint_deadlines(
    policy: SlaPolicy,
    severity: str,
    received_at: dt.datetime,
    zone: ZoneInfo,
    holidays: Iterable[dt.date] = (),
    pauses: Iterable[Interval] = (),
) -> Deadlines:
    """Deadlines of a complaint of this severity under the policy."""
    calendar = policy.calendar(zone, holidays)
    target = policy.targets[severity]
    return deadlines(
        received_at,
        hours_limit(target.acknowledge_hours, calendar),
        days_limit(target.resolve_days, calendar),
        calendar,
        pauses,
    )


def inquiry_deadlines(
    policy: SlaPolicy, received_at: dt.datetime, zone: ZoneInfo, holidays: Iterable[dt.date] = ()
) -> Deadlines:
    """Deadlines of an inquiry: respond within (the acknowledge pair) and answer within (the resolve pair)."""
    calendar = policy.calendar(zone, holidays)
    return deadlines(
        received_at,
        hours_limit(policy.inquiry_respond_hours, calendar),
        days_limit(policy.inquiry_answer_days, calendar),
        calendar,
    )


def flag(due_at: dt.datetime | None, warn_at: dt.datetime | None, now: dt.datetime) -> str | None:
    """'breached', 'at_risk' (about to breach) or None for a running deadline."""
    if due_at is None:
        return None
    if now > due_at:
        return "breached"
    if warn_at is not None and now >= warn_at:
        return "at_risk"
    return None
