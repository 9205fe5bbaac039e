"""Follow-up queues: my queue (overdue, today, this week, out of cadence), the team view and its calendar.

Every figure of my queue is a SQL count capped at QUEUE_COUNT_CAP and every list a LIMITed page, read through
the indexes on follow_up_tasks(owner_id, status, due_at) and customers(owner_id, next_follow_up_at, ...), so a
queue costs about the same with a thousand customers or a million. The team view's per-owner figures grow with
the data whatever the index, so they are read from a snapshot (crm/snapshots.py) younger than a setting, and
recomputed by the daily run or the Refresh button. The windows (overdue / today / this week) are defined in
crm/follow_up_core.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import Session

from crm.follow_ups.automation import generate_follow_ups
from crm.follow_ups.cadence import Cadences, cadence_due_since, load_cadences
from crm.follow_ups.calendar_counts import counts_between
from crm.follow_ups.core import DayWindows, company_timezone, day_windows, local_midnight
from crm.follow_ups.service import Option, TaskView, task_select, task_view
from crm.platform.clock import utcnow
from crm.platform.permissions import Actor, require
from crm.platform.settings import get_setting
from crm.platform.snapshots import Snapshot, read_snapshot, store_snapshot
from db.engine import Sessions
from db.models import Activity, Customer, FollowUpTask, User

SECTIONS: tuple[str, ...] = ("overdue", "today", "week", "out_of_cadence")
TASK_SECTIONS: tuple[str, ...] = ("overdue", "today", "week")
PERIODS: tuple[str, ...] = ("week", "month")
CALENDAR_TASK_LIMIT = 200
# A section counts at most this many (then shows "1,000+"), so a queue costs the same however much an owner
# has piled up: the count stops at the cap instead of walking the owner's whole index range.
QUEUE_COUNT_CAP = 1_000


@dataclass(frozen=True)
class CadenceRow:
    """A customer out of cadence with nothing planned."""

    customer_id: int
    customer_code: str
    customer_name: str
    lifecycle_stage: str
    value_tier: str | None
    importance: str | None
    last_contact_at: dt.datetime | None
    cadence_days: int


@dataclass(frozen=True)
class QueueSection:
    code: str
    total: int  # at most QUEUE_COUNT_CAP + 1: see capped
    page: int
    page_size: int
    rows: tuple[TaskView, ...] | tuple[CadenceRow, ...]

    @property
    def capped(self) -> bool:
        """True when there are more than QUEUE_COUNT_CAP (the total is then a lower bound)."""
        return self.total > QUEUE_COUNT_CAP

    @property
    def pages(self) -> int:
        return max(1, -(-min(self.total, QUEUE_COUNT_CAP) // self.page_size))


@dataclass(frozen=True)
class Queue:
    owner_id: int
    timezone: str
    today: dt.date
    now: dt.datetime
    sections: dict[str, QueueSection]


def _owner_scope(actor: Actor, owner_id: int | None) -> int:
    require(actor, "follow_ups.log")
    if owner_id is None or owner_id == actor.id:
        if actor.id is None:
            raise ValueError("the system actor has no queue of its own; pass owner_id")
        return actor.id
    require(actor, "follow_ups.team")
    return owner_id


def _task_window(section: str, windows: DayWindows) -> list[ColumnElement[bool]]:
    due = FollowUpTask.due_at
    return {
        "overdue": [due < windows.now],
        "today": [due >= windows.now, due < windows.tomorrow_start],
        "week": [due >= windows.tomorrow_start, due < windows.week_end],
    }[section]


def _out_of_cadence(cadences: Cadences, now: dt.datetime) -> list[ColumnElement[bool]]:
    """Live, non-churned customers with nothing planned and no contact within their class cadence."""
    return [
        Customer.archived_at.is_(None),
        Customer.lifecycle_stage != "churned",
        Customer.next_follow_up_at.is_(None),
        or_(Customer.last_contact_at.is_(None), Customer.last_contact_at < cadence_due_since(cadences, now)),
    ]


def my_queue(
    sessions: Sessions,
    *,
    actor: Actor,
    owner_id: int | None = None,
    now: dt.datetime | None = None,
    pages: dict[str, int] | None = None,
    page_size: int = 10,
) -> Queue:
    """Return an owner's queue (oneself unless allowed the team): each section's count and one page of rows."""
    owner = _owner_scope(actor, owner_id)
    now = now or utcnow()
    pages = pages or {}
    with sessions.read() as session:
        windows = day_windows(now, company_timezone(session))
        cadences = load_cadences(session)
        sections = {
            code: _task_section(session, actor, owner, code, windows, pages.get(code, 0), page_size)
            for code in TASK_SECTIONS
        }
        sections["out_of_cadence"] = _cadence_section(
            session, owner, cadences, now, pages.get("out_of_cadence", 0), page_size
        )
    return Queue(owner_id=owner, timezone=windows.timezone, today=windows.today, now=now, sections=sections)


def _task_section(
    session: Session, actor: Actor, owner: int, code: str, windows: DayWindows, page: int, page_size: int
) -> QueueSection:
    conditions = [FollowUpTask.owner_id == owner, FollowUpTask.status == "open", *_task_window(code, windows)]
    # The count reads the index (owner_id, status, due_at) alone: on a million customers joining each task
    # to its customer cost 200 ms instead of 3. Archived customers have no open tasks (archiving cancels them,
    # see crm.follow_ups.service.cancel_open_tasks, and the daily run sweeps up any left); the page still checks.
    total = _capped_count(session, select(FollowUpTask.id).where(*conditions))
    page = _clamp(page, total, page_size)
    rows = session.execute(
        task_select()
        .where(*conditions, Customer.archived_at.is_(None))
        .order_by(FollowUpTask.due_at, FollowUpTask.id)
        .limit(page_size)
        .offset(page * page_size)
    )
    return QueueSection(code, int(total), page, page_size, tuple(task_view(row, actor) for row in rows))


def _cadence_section(
    session: Session, owner: int, cadences: Cadences, now: dt.datetime, page: int, page_size: int
) -> QueueSection:
    conditions = [Customer.owner_id == owner, *_out_of_cadence(cadences, now)]
    total = _capped_count(session, select(Customer.id).where(*conditions))
    page = _clamp(page, total, page_size)
    # Never contacted first, then the longest silence. The page's ids come from the index alone
    # (ix_customers_owner_queue holds every column the filter needs); only those ten rows are read.
    order = (Customer.last_contact_at.is_not(None), Customer.last_contact_at, Customer.id)
    # A derived table, not IN (...): MariaDB refuses LIMIT inside an IN subquery.
    ids = (
        select(Customer.id.label("page_id"))
        .where(*conditions)
        .order_by(*order)
        .limit(page_size)
        .offset(page * page_size)
        .subquery()
    )
    rows = session.execute(
        select(
            Customer.id,
            Customer.code,
            Customer.name,
            Customer.lifecycle_stage,
            Customer.value_tier,
            Customer.importance,
            Customer.last_contact_at,
        )
        .join(ids, Customer.id == ids.c.page_id)
        .order_by(*order)
    )
    return QueueSection(
        "out_of_cadence",
        int(total),
        page,
        page_size,
        tuple(
            CadenceRow(
                customer_id=cid,
                customer_code=code,
                customer_name=name,
                lifecycle_stage=stage,
                value_tier=tier,
                importance=importance,
                last_contact_at=last,
                cadence_days=cadences.for_customer(tier, importance),
            )
            for cid, code, name, stage, tier, importance, last in rows
        ),
    )


def _capped_count(session: Session, ids: Select[Any]) -> int:
    """Count the rows of `ids`, stopping at QUEUE_COUNT_CAP + 1."""
    capped = ids.limit(QUEUE_COUNT_CAP + 1).subquery()
    return int(session.scalar(select(func.count()).select_from(capped)) or 0)


def _clamp(page: int, total: int, page_size: int) -> int:
    last = max(0, (min(int(total), QUEUE_COUNT_CAP) - 1) // page_size)
    return min(max(0, page), last)


# --- team view ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerStats:
    owner_id: int
    owner_name: str
    open: int
    overdue: int
    done: int
    contacts: int
    customers: int
    in_cadence: int

    @property
    def compliance(self) -> float | None:
        """Share of the owner's live, non-churned customers contacted within their class cadence."""
        return self.in_cadence / self.customers if self.customers else None


@dataclass(frozen=True)
class TierCompliance:
    value_tier: str  # a tier code, or "none" for customers not yet rated
    customers: int
    in_cadence: int

    @property
    def compliance(self) -> float | None:
        return self.in_cadence / self.customers if self.customers else None


@dataclass(frozen=True)
class TeamOverview:
    period: str
    period_start: dt.date
    period_end: dt.date  # exclusive
    timezone: str
    owners: tuple[OwnerStats, ...]
    tiers: tuple[TierCompliance, ...]
    computed_at: dt.datetime  # the figures are as of this instant (a snapshot's, or now when computed live)
    from_snapshot: bool = False
    max_age_minutes: int = 10  # how long a snapshot answers before it is recomputed


def period_bounds(period: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The current calendar week (Monday first) or month containing today, as [start, end) local dates."""
    if period == "week":
        start = today - dt.timedelta(days=today.weekday())
        return start, start + dt.timedelta(days=7)
    if period == "month":
        start = today.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1)
        return start, end
    raise ValueError(f"unknown period {period!r}")


def _team_members(session: Session) -> dict[int, str]:
    return dict(
        session.execute(
            select(User.id, User.display_name)
            .where(User.is_active.is_(True), User.role.in_(("admin", "manager", "staff")))
            .order_by(User.display_name)
        ).all()
    )


# A snapshot answers the team view at any size: every figure in it grows with the data (compliance reads every
# live customer; open, overdue, done and contacts read every index entry of the owner's range), measured at
# 1M customers / 10M contacts in crm/bench_follow_ups.py. Managers see "as of HH:MM" and can refresh.
TEAM_SNAPSHOT_KEY = "follow_ups.team:{period}"
SNAPSHOT_SETTING = "team_snapshot_max_age_minutes"


@dataclass(frozen=True)
class TeamBasis:
    """What a team snapshot was computed for; a snapshot with another basis is stale whatever its age."""

    period: str
    start: dt.date
    end: dt.date
    timezone: str
    cadences: tuple[tuple[str, str, int], ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "timezone": self.timezone,
            "cadences": [list(c) for c in self.cadences],
        }


def team_basis(session: Session, period: str, now: dt.datetime) -> tuple[TeamBasis, Cadences, ZoneInfo]:
    tz = company_timezone(session)
    start, end = period_bounds(period, day_windows(now, tz).today)
    cadences = load_cadences(session)
    return (
        TeamBasis(period, start, end, tz.key, tuple(sorted((d, c, n) for (d, c), n in cadences.days.items()))),
        cadences,
        tz,
    )


def team_compliance(
    session: Session, cadences: Cadences, now: dt.datetime
) -> tuple[dict[int, list[int]], dict[str, list[int]]]:
    """[customers, contacted within cadence] per owner and per value tier, over live, non-churned customers."""
    in_cadence = case((Customer.last_contact_at >= cadence_due_since(cadences, now), 1), else_=0)
    tier = func.coalesce(Customer.value_tier, "none")
    rows = session.execute(
        select(Customer.owner_id, tier, func.count(), func.sum(in_cadence))
        .where(Customer.archived_at.is_(None), Customer.lifecycle_stage != "churned", Customer.owner_id.is_not(None))
        .group_by(Customer.owner_id, tier)
    ).all()
    by_owner: dict[int, list[int]] = {}
    by_tier: dict[str, list[int]] = {}
    for owner_id, tier_code, customers, contacted in rows:
        for bucket, key in ((by_owner, owner_id), (by_tier, tier_code)):
            totals = bucket.setdefault(key, [0, 0])
            totals[0] += int(customers)
            totals[1] += int(contacted or 0)
    return by_owner, by_tier


def team_period_counts(
    session: Session, owners: list[int], basis: TeamBasis, tz: ZoneInfo, now: dt.datetime
) -> dict[str, dict[int, int]]:
    """Open, overdue, done this period and contacts this period, per owner."""
    start_at, end_at = local_midnight(basis.start, tz), local_midnight(basis.end, tz)
    # `owner_id IN (...)` lets each count walk its index range per owner instead of the whole table.
    in_list = FollowUpTask.owner_id.in_(owners) if owners else FollowUpTask.owner_id.is_(None)
    counts: dict[str, dict[int, int]] = {"open": {}, "overdue": {}}
    # Open and overdue in one pass over (owner_id, status, due_at).
    for owner_id, open_count, overdue in session.execute(
        select(FollowUpTask.owner_id, func.count(), func.sum(case((FollowUpTask.due_at < now, 1), else_=0)))
        .where(in_list, FollowUpTask.status == "open")
        .group_by(FollowUpTask.owner_id)
    ):
        counts["open"][owner_id] = int(open_count)
        counts["overdue"][owner_id] = int(overdue or 0)
    counts["done"] = {
        cast(int, owner_id): int(n)
        for owner_id, n in session.execute(
            select(FollowUpTask.owner_id, func.count())
            .where(
                in_list,
                FollowUpTask.status == "done",
                FollowUpTask.completed_at >= start_at,
                FollowUpTask.completed_at < end_at,
            )
            .group_by(FollowUpTask.owner_id)
        )
    }
    counts["contacts"] = {
        cast(int, owner_id): int(n)
        for owner_id, n in session.execute(
            select(Activity.owner_id, func.count())
            .where(
                Activity.owner_id.in_(owners) if owners else Activity.owner_id.is_(None),
                # No archived_at filter: it would cost a row read per contact; contacts are never archived
                # by this feature, and (owner_id, occurred_at) answers the count from the index alone.
                Activity.occurred_at >= start_at,
                Activity.occurred_at < end_at,
            )
            .group_by(Activity.owner_id)
        )
    }
    return counts


def _team_payload(
    session: Session,
    basis: TeamBasis,
    tz: ZoneInfo,
    now: dt.datetime,
    compliance: tuple[dict[int, list[int]], dict[str, list[int]]],
) -> dict[str, Any]:
    """Compute the team figures live, as the JSON payload a snapshot keeps."""
    by_owner, by_tier = compliance
    # Active colleagues, and anyone still owning customers (a deactivated owner's work must show).
    owners = sorted(set(_team_members(session)) | set(by_owner))
    counts = team_period_counts(session, owners, basis, tz, now)
    return {
        "basis": basis.as_json(),
        "owners": [
            [
                oid,
                counts["open"].get(oid, 0),
                counts["overdue"].get(oid, 0),
                counts["done"].get(oid, 0),
                counts["contacts"].get(oid, 0),
                *by_owner.get(oid, [0, 0]),
            ]
            for oid in owners
        ],
        "tiers": [[code, *totals] for code, totals in by_tier.items()],
    }


def _max_age(session: Session) -> dt.timedelta:
    minutes = get_setting(session, SNAPSHOT_SETTING)
    return dt.timedelta(minutes=max(0, int(minutes if minutes is not None else 10)))


def team_overview(
    sessions: Sessions, *, actor: Actor, period: str = "week", now: dt.datetime | None = None, refresh: bool = False
) -> TeamOverview:
    """Per owner: open, overdue, done and contacts this period, and cadence compliance; compliance by tier.

    Read from the period's snapshot while it is younger than the team_snapshot_max_age_minutes setting and for
    the same period, time zone and cadences; otherwise (or with refresh=True) computed live and stored.
    """
    require(actor, "follow_ups.team")
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}")
    now = now or utcnow()
    key = TEAM_SNAPSHOT_KEY.format(period=period)
    computed: dict[str, Any] | None = None
    with sessions.read() as session:
        basis, cadences, tz = team_basis(session, period, now)
        max_age = _max_age(session)
        snapshot = None if refresh else read_snapshot(session, key)
        if (
            snapshot is not None
            and snapshot.is_fresh(now, max_age)
            and isinstance(snapshot.payload, dict)
            and snapshot.payload.get("basis") == basis.as_json()
        ):
            payload, computed_at = snapshot.payload, snapshot.computed_at
        else:
            payload = computed = _team_payload(session, basis, tz, now, team_compliance(session, cadences, now))
            computed_at = now
        members = _team_members(session)
        owner_ids = {int(row[0]) for row in payload["owners"]} | set(members)
        names = dict(members)
        missing = owner_ids - set(names)
        if missing:
            names.update(session.execute(select(User.id, User.display_name).where(User.id.in_(missing))).all())
    if computed is not None:
        store_snapshot(sessions, key=key, payload=computed, computed_at=computed_at)
    overview = _overview(payload, basis, names, owner_ids, computed_at, from_snapshot=computed is None)
    return replace(overview, max_age_minutes=int(max_age.total_seconds() // 60))


def refresh_team_snapshots(sessions: Sessions, *, actor: Actor, now: dt.datetime | None = None) -> dict[str, Snapshot]:
    """Recompute and store the team view's snapshots for every period (the daily run; compliance computed once)."""
    require(actor, "follow_ups.team")
    now = now or utcnow()
    payloads: dict[str, dict[str, Any]] = {}
    with sessions.read() as session:
        compliance = None
        for period in PERIODS:
            basis, cadences, tz = team_basis(session, period, now)
            compliance = compliance or team_compliance(session, cadences, now)
            payloads[period] = _team_payload(session, basis, tz, now, compliance)
    return {
        period: store_snapshot(sessions, key=TEAM_SNAPSHOT_KEY.format(period=period), payload=payload, computed_at=now)
        for period, payload in payloads.items()
    }


def _overview(
    payload: dict[str, Any],
    basis: TeamBasis,
    names: dict[int, str],
    owner_ids: set[int],
    computed_at: dt.datetime,
    *,
    from_snapshot: bool,
) -> TeamOverview:
    figures = {int(row[0]): [int(x) for x in row[1:]] for row in payload["owners"]}
    stats = []
    for oid in owner_ids:
        open_, overdue, done, contacts, customers, in_cadence = figures.get(oid, [0] * 6)
        stats.append(
            OwnerStats(
                owner_id=oid,
                owner_name=names.get(oid, f"#{oid}"),
                open=open_,
                overdue=overdue,
                done=done,
                contacts=contacts,
                customers=customers,
                in_cadence=in_cadence,
            )
        )
    stats.sort(key=lambda s: (-s.overdue, s.owner_name))
    tier_order = {"high": 0, "medium": 1, "low": 2, "none": 3}
    tiers = sorted(
        (
            TierCompliance(str(code), int(customers), int(in_cadence))
            for code, customers, in_cadence in payload["tiers"]
        ),
        key=lambda t: tier_order.get(t.value_tier, 9),
    )
    return TeamOverview(
        period=basis.period,
        period_start=basis.start,
        period_end=basis.end,
        timezone=basis.timezone,
        owners=tuple(stats),
        tiers=tuple(tiers),
        computed_at=computed_at,
        from_snapshot=from_snapshot,
    )


def run_daily(
    sessions: Sessions, *, actor: Actor, codes: Sequence[str] | None = None, now: dt.datetime | None = None
) -> dict[str, int]:
    """The daily run: the automatic rules over all customers, then fresh team snapshots; return tasks per rule."""
    created = generate_follow_ups(sessions, actor=actor, codes=codes, now=now)
    if actor.can("follow_ups.team"):
        refresh_team_snapshots(sessions, actor=actor, now=now)
    return created


# --- calendar -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarCounts:
    """Open follow-ups due per local day and owner, over a range of days."""

    days: tuple[dt.date, ...]
    owners: tuple[Option, ...]
    counts: dict[tuple[int, dt.date], int]
    timezone: str

    def total(self, day: dt.date) -> int:
        return sum(n for (_, d), n in self.counts.items() if d == day)


def calendar_range(view: str, anchor: dt.date) -> tuple[dt.date, int]:
    """First day and number of days of the week (Monday first) or the month grid (whole weeks) around anchor."""
    if view == "week":
        return anchor - dt.timedelta(days=anchor.weekday()), 7
    if view == "month":
        first = anchor.replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        start = first - dt.timedelta(days=first.weekday())
        end = last + dt.timedelta(days=6 - last.weekday())
        return start, (end - start).days + 1
    raise ValueError(f"unknown calendar view {view!r}")


def calendar_counts(
    sessions: Sessions, *, actor: Actor, start: dt.date, days: int, owner_id: int | None = None, by_owner: bool = True
) -> CalendarCounts:
    """Count open follow-ups due on each local day from start, per owner (by_owner) or in total (owner 0).

    Read from the counts kept per owner and local day (crm/calendar_counts.py): at most owners x days rows,
    however many follow-ups there are.
    """
    if owner_id is None or owner_id != actor.id:
        require(actor, "follow_ups.team")
    else:
        require(actor, "follow_ups.log")
    days = max(1, min(days, 42))
    with sessions.read() as session:
        tz = company_timezone(session)
        day_list = [start + dt.timedelta(days=i) for i in range(days)]
        counts = counts_between(
            session.connection(), start, start + dt.timedelta(days=days), owner_id=owner_id, by_owner=by_owner
        )
        owners = sorted({owner for owner, _ in counts if owner})
        names = (
            dict(session.execute(select(User.id, User.display_name).where(User.id.in_(owners))).all()) if owners else {}
        )
    option_list = sorted((Option(oid, names.get(oid, f"#{oid}")) for oid in owners), key=lambda o: o.label)
    return CalendarCounts(days=tuple(day_list), owners=tuple(option_list), counts=counts, timezone=tz.key)


def calendar_tasks(
    sessions: Sessions, *, actor: Actor, day: dt.date, owner_id: int | None = None, limit: int = CALENDAR_TASK_LIMIT
) -> tuple[list[TaskView], int]:
    """Return the open follow-ups due on one local day (first `limit`, by time) and how many there are."""
    if owner_id is None or owner_id != actor.id:
        require(actor, "follow_ups.team")
    else:
        require(actor, "follow_ups.log")
    with sessions.read() as session:
        tz = company_timezone(session)
        conditions = [
            FollowUpTask.status == "open",
            FollowUpTask.due_at >= local_midnight(day, tz),
            FollowUpTask.due_at < local_midnight(day + dt.timedelta(days=1), tz),
        ]
        if owner_id is not None:
            conditions.append(FollowUpTask.owner_id == owner_id)
        total = session.scalar(select(func.count()).select_from(FollowUpTask).where(*conditions)) or 0
        rows = session.execute(
            task_select().where(*conditions).order_by(FollowUpTask.due_at, FollowUpTask.id).limit(limit)
        )
        return [task_view(row, actor) for row in rows], int(total)
