"""The complaint figures for a period, per department and severity, in SQL; and the managers' what-if.

Every figure counts the complaints *received* in the period (a cohort), so each rate's numerator is a subset of
its denominator whatever happened after the period:
- received: complaints received;
- problem resolution rate = closed with the customer satisfied ÷ received;
- on-time handling rate = resolved within the resolve deadline (resolved_at <= resolve_due_at; the deadline moved
  by waiting-for-customer pauses, kept through reopenings) ÷ resolved (resolved or closed now);
- reopen rate = reopened at least once ÷ resolved at least once;
- median time to acknowledge (responded_at - received_at) and to resolve (resolved_at - received_at - paused);
- suggestion adoption rate = suggestions adopted fully or partly ÷ suggestions evaluated (received in the period).
A rate with no denominator is None ("no data"), never 0.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from sqlalchemy import Select, and_, case, func, select

from crm.complaints import rollups
from crm.complaints.rollups import MONTH_MEASURES
from crm.complaints.sla import SlaPolicy, complaint_deadlines
from crm.complaints.views import pauses_of
from crm.platform.clock import company_zone, local_midnight
from crm.platform.errors import ValidationCollector
from crm.platform.permissions import Actor, require
from crm.platform.rollups import SegmentFilter, ensure_built
from db.engine import Sessions
from db.models import Complaint, ComplaintEvent, Customer, Holiday, Suggestion

ALL = "all"


@dataclass(frozen=True)
class Figures:
    received: int = 0
    closed_satisfied: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    ever_resolved: int = 0
    reopened: int = 0
    suggestions_evaluated: int = 0
    suggestions_adopted: int = 0
    acknowledge_seconds: tuple[float, ...] = field(default=(), repr=False)
    resolve_seconds: tuple[float, ...] = field(default=(), repr=False)
    # Read from the rollups (period_figures with a segment): the medians themselves, not every duration, and how
    # many complaints have an acknowledge time (those with a resolve time are `resolved`). Such figures don't add.
    acknowledged: int = 0
    acknowledge_median: float | None = None
    resolve_median: float | None = None

    @property
    def resolution_rate(self) -> float | None:
        return _rate(self.closed_satisfied, self.received)

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.resolved_on_time, self.resolved)

    @property
    def reopen_rate(self) -> float | None:
        return _rate(self.reopened, self.ever_resolved)

    @property
    def adoption_rate(self) -> float | None:
        return _rate(self.suggestions_adopted, self.suggestions_evaluated)

    @property
    def median_acknowledge_seconds(self) -> float | None:
        return median(self.acknowledge_seconds) if self.acknowledge_seconds else self.acknowledge_median

    @property
    def median_resolve_seconds(self) -> float | None:
        return median(self.resolve_seconds) if self.resolve_seconds else self.resolve_median

    def __add__(self, other: Figures) -> Figures:
        if any(f.acknowledge_median is not None or f.resolve_median is not None for f in (self, other)):
            raise ValueError("figures read with their medians (from the rollups) do not add up")
        return Figures(*(getattr(self, f) + getattr(other, f) for f in _FIELDS))


_FIELDS = (
    "received",
    "closed_satisfied",
    "resolved",
    "resolved_on_time",
    "ever_resolved",
    "reopened",
    "suggestions_evaluated",
    "suggestions_adopted",
    "acknowledge_seconds",
    "resolve_seconds",
    "acknowledged",
)


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass(frozen=True)
class PeriodFigures:
    """The figures of a period: overall, per department (None: not handed to any), per severity, and per pair."""

    start: dt.date
    end: dt.date  # inclusive
    overall: Figures
    by_department: dict[int | None, Figures]
    by_severity: dict[str, Figures]
    by_department_and_severity: dict[tuple[int | None, str], Figures]


def _bounds(session: Any, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = company_zone(session)
    return local_midnight(start, zone), local_midnight(end + dt.timedelta(days=1), zone)


def _check_period(start: dt.date, end: dt.date) -> None:
    if start > end:
        errors = ValidationCollector()
        errors.add("start", "complaints.error.period")
        errors.raise_if_any()


def period_figures(
    sessions: Sessions,
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    customers: Select[Any] | None = None,
    segment: SegmentFilter | None = None,
) -> PeriodFigures:
    """Compute the figures of the complaints and suggestions received from start to end (company days).

    customers: a SELECT of customers.id with conditions on customers (the dashboard's filters), to count only those
    customers' complaints and suggestions; read as EXISTS per complaint (a key lookup), not as a list of ids.
    segment: the live customers of a segment (the dashboard's filters and staff's own scope, as
    crm.platform.rollups.SegmentFilter), read from the complaint rollups (crm/complaints/rollups.py): the same
    overall figures as customers= with the same customers, medians exact, in a few queries whatever the number of
    complaints; by_department, by_severity and their pairs are then left empty (not kept per segment).
    """
    require(actor, "kpi.view")
    _check_period(start, end)
    if segment is not None:
        if customers is not None:
            raise ValueError("give customers= or segment=, not both")
        return PeriodFigures(start, end, _segment_overall(sessions, start, end, segment), {}, {}, {})
    with sessions.read() as session:
        since, until = _bounds(session, start, end)
        cohort = and_(Complaint.archived_at.is_(None), Complaint.received_at >= since, Complaint.received_at < until)
        if customers is not None:
            cohort = and_(cohort, customers.where(Customer.id == Complaint.customer_id).correlate(Complaint).exists())

        def count(condition: Any) -> Any:
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        groups: dict[tuple[int | None, str], dict[str, Any]] = defaultdict(dict)
        for department_id, severity, *counts in session.execute(
            select(
                Complaint.department_id,
                Complaint.severity,
                func.count(),
                count((Complaint.status == "closed") & Complaint.customer_satisfied.is_(True)),
                count(Complaint.resolved_at.is_not(None)),
                count(Complaint.resolved_at.is_not(None) & (Complaint.resolved_at <= Complaint.resolve_due_at)),
                count(Complaint.first_resolved_at.is_not(None)),
                count(Complaint.first_resolved_at.is_not(None) & (Complaint.reopen_count > 0)),
            )
            .where(cohort)
            .group_by(Complaint.department_id, Complaint.severity)
        ):
            groups[(department_id, severity)].update(zip(_FIELDS[:6], (int(n) for n in counts), strict=True))
        durations: dict[tuple[int | None, str], dict[str, list[float]]] = defaultdict(
            lambda: {"acknowledge_seconds": [], "resolve_seconds": []}
        )
        for department_id, severity, received, responded, resolved, paused in session.execute(
            select(
                Complaint.department_id,
                Complaint.severity,
                Complaint.received_at,
                Complaint.responded_at,
                Complaint.resolved_at,
                Complaint.paused_seconds,
            ).where(cohort, (Complaint.responded_at.is_not(None)) | (Complaint.resolved_at.is_not(None)))
        ):
            bucket = durations[(department_id, severity)]
            if responded is not None:
                bucket["acknowledge_seconds"].append((responded - received).total_seconds())
            if resolved is not None:
                bucket["resolve_seconds"].append((resolved - received).total_seconds() - (paused or 0))
        suggestions: dict[int | None, tuple[int, int]] = {}
        for department_id, evaluated, adopted in session.execute(
            select(
                Suggestion.department_id,
                count(Suggestion.evaluation_result.is_not(None)),
                count(Suggestion.evaluation_result.in_(("adopt", "adopt_partly"))),
            )
            .where(
                Suggestion.archived_at.is_(None),
                Suggestion.received_at >= since,
                Suggestion.received_at < until,
                *(
                    []
                    if customers is None
                    else [customers.where(Customer.id == Suggestion.customer_id).correlate(Suggestion).exists()]
                ),
            )
            .group_by(Suggestion.department_id)
        ):
            suggestions[department_id] = (int(evaluated), int(adopted))
    pairs: dict[tuple[int | None, str], Figures] = {}
    for key in set(groups) | set(durations):
        times = durations.get(key, {"acknowledge_seconds": [], "resolve_seconds": []})
        pairs[key] = Figures(
            **groups.get(key, {}),
            acknowledge_seconds=tuple(times["acknowledge_seconds"]),
            resolve_seconds=tuple(times["resolve_seconds"]),
            acknowledged=len(times["acknowledge_seconds"]),
        )
    by_department: dict[int | None, Figures] = defaultdict(Figures)
    by_severity: dict[str, Figures] = defaultdict(Figures)
    for (department_id, severity), figures in pairs.items():
        by_department[department_id] += figures
        by_severity[severity] += figures
    for department_id, (evaluated, adopted) in suggestions.items():
        by_department[department_id] += Figures(suggestions_evaluated=evaluated, suggestions_adopted=adopted)
    overall = sum(by_department.values(), Figures())
    return PeriodFigures(
        start=start,
        end=end,
        overall=overall,
        by_department=dict(by_department),
        by_severity=dict(by_severity),
        by_department_and_severity=pairs,
    )


def _from_counts(values: list[int], acknowledge: float | None, resolve: float | None) -> Figures:
    named = dict(zip(MONTH_MEASURES, values, strict=True))
    return Figures(
        received=named["received"],
        closed_satisfied=named["closed_satisfied"],
        resolved=named["resolved"],
        resolved_on_time=named["resolved_on_time"],
        ever_resolved=named["ever_resolved"],
        reopened=named["reopened"],
        suggestions_evaluated=named["suggestions_evaluated"],
        suggestions_adopted=named["suggestions_adopted"],
        acknowledged=named["acknowledged"],
        acknowledge_median=None if acknowledge is None else acknowledge / 1_000_000,
        resolve_median=None if resolve is None else resolve / 1_000_000,
    )


def _segment_overall(sessions: Sessions, start: dt.date, end: dt.date, segment: SegmentFilter) -> Figures:
    ensure_built(sessions)
    with sessions.read() as session:
        zone = company_zone(session)
        period = rollups.plan(start, end)
        records = rollups.read_records(
            session, zone, period, segment, by_month=False, by_category=False, timings=rollups.TIMINGS
        )
        totals = rollups.counts(session, period, segment, records, by_month=False, by_category=False)
        values = totals.get((None, None), [0] * len(MONTH_MEASURES))
        # A median only where some complaint has the duration (acknowledged: responded_at; resolved: resolved_at).
        acknowledge, resolve = (
            rollups.median_micros(session, period, segment, timing, records.durations[timing])
            if values[MONTH_MEASURES.index(count)]
            else None
            for timing, count in (("acknowledge", "acknowledged"), ("resolve", "resolved"))
        )
    return _from_counts(values, acknowledge, resolve)


def monthly_figures(
    sessions: Sessions,
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    segment: SegmentFilter | None = None,
) -> list[tuple[dt.date, Figures]]:
    """The overall figures of each company month of start..end (its first day; the days of the period only), for
    the live customers of the segment (None: all of them), from the complaint rollups in one pass: the counts
    and rates, not the medians (median_*_seconds are None; use period_figures for a month's medians)."""
    require(actor, "kpi.view")
    _check_period(start, end)
    chosen = segment or SegmentFilter()
    ensure_built(sessions)
    with sessions.read() as session:
        zone = company_zone(session)
        period = rollups.plan(start, end)
        records = rollups.read_records(session, zone, period, chosen, by_month=True, by_category=False)
        totals = rollups.counts(session, period, chosen, records, by_month=True, by_category=False)
    zeros = [0] * len(MONTH_MEASURES)
    return [(month, _from_counts(totals.get((month, None), zeros), None, None)) for month in period.months]


@dataclass(frozen=True)
class WhatIfRow:
    """On-time handling per severity and department: as stored, and had the proposed targets been in force."""

    department_id: int | None
    severity: str
    resolved: int
    on_time_now: int
    on_time_proposed: int

    @property
    def rate_now(self) -> float | None:
        return _rate(self.on_time_now, self.resolved)

    @property
    def rate_proposed(self) -> float | None:
        return _rate(self.on_time_proposed, self.resolved)


def what_if_on_time(
    sessions: Sessions,
    *,
    actor: Actor,
    proposed: SlaPolicy,
    start: dt.date,
    end: dt.date,
) -> list[WhatIfRow]:
    """What the on-time rate of the complaints received from start to end would have been under other targets
    (e.g. resolve high severity in 2 days instead of 3), per department and severity, before saving them."""
    require(actor, "complaints.manage")
    _check_period(start, end)
    with sessions.read() as session:
        since, until = _bounds(session, start, end)
        zone = company_zone(session)
        cohort = (
            Complaint.archived_at.is_(None),
            Complaint.received_at >= since,
            Complaint.received_at < until,
            Complaint.resolved_at.is_not(None),
        )
        complaints = session.execute(
            select(
                Complaint.id,
                Complaint.department_id,
                Complaint.severity,
                Complaint.received_at,
                Complaint.resolved_at,
                Complaint.resolve_due_at,
            ).where(*cohort)
        ).all()
        events: dict[int, list[Any]] = defaultdict(list)
        for event in session.scalars(
            select(ComplaintEvent)
            .join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
            .where(
                *cohort,
                ComplaintEvent.kind == "transition",
                (ComplaintEvent.to_status == "waiting_customer") | (ComplaintEvent.from_status == "waiting_customer"),
            )
            .order_by(ComplaintEvent.complaint_id, ComplaintEvent.at, ComplaintEvent.id)
        ):
            events[event.complaint_id].append(event)
        # Read while the session is open: the events are ORM rows, which the session's end expires.
        paused = {
            complaint_id: [(s, e) for s, e in pauses_of(complaint_events) if e is not None]
            for complaint_id, complaint_events in events.items()
        }
        holidays = frozenset(
            session.scalars(
                select(Holiday.date).where(
                    Holiday.archived_at.is_(None),
                    Holiday.date >= start - dt.timedelta(days=1),
                    Holiday.date <= end + dt.timedelta(days=400),
                )
            )
        )
    # "now" reads the stored deadlines: what was promised at the time, under the targets then in force.
    totals: dict[tuple[int | None, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for complaint_id, department_id, severity, received, resolved, due in complaints:
        assert resolved is not None  # the cohort: resolved complaints
        pauses = paused.get(complaint_id, [])
        proposed_due = complaint_deadlines(proposed, severity, received, zone, holidays, pauses).resolve_due_at
        entry = totals[(department_id, severity)]
        entry[0] += 1
        entry[1] += int(due is not None and resolved <= due)
        entry[2] += int(proposed_due is not None and resolved <= proposed_due)
    return [
        WhatIfRow(department_id, severity, *values)
        for (department_id, severity), values in sorted(totals.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1]))
    ]


@dataclass(frozen=True)
class RootCauses:
    """Complaints received per company month (the first day of the month) by category and by department, and
    the customers who complained at least twice in the period (most complaints first, at most 20)."""

    by_category: dict[tuple[dt.date, str | None], int]
    by_department: dict[tuple[dt.date, int | None], int]
    repeat_complainers: tuple[tuple[int, str, int], ...]  # (customer id, name, complaints)


def root_causes(
    sessions: Sessions,
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    top: int = 20,
    customers: Select[Any] | None = None,
    segment: SegmentFilter | None = None,
    departments: bool = True,
) -> RootCauses:
    """Count the complaints received from start to end per company month and category / department, and find
    the repeat complainers, in SQL (GROUP BY; each month is a range of instants in the company's zone).

    customers: a SELECT of customers.id with conditions on customers (the dashboard's filters), to count only those
    customers' complaints (EXISTS per complaint).
    segment: the live customers of a segment instead (crm.platform.rollups.SegmentFilter): by_category is read
    from the complaint rollups; by_department (unless departments=False: left empty) and the repeat complainers
    (unless top=0) still come from the complaints themselves."""
    require(actor, "kpi.view")
    _check_period(start, end)
    if segment is not None:
        if customers is not None:
            raise ValueError("give customers= or segment=, not both")
        return _segment_root_causes(sessions, actor, start, end, top, segment, departments)
    with sessions.read() as session:
        zone = company_zone(session)
        since, until = _bounds(session, start, end)
        months: list[dt.date] = []
        month = start.replace(day=1)
        while month <= end:
            months.append(month)
            month = (month + dt.timedelta(days=32)).replace(day=1)
        starts = [max(since, local_midnight(m, zone)) for m in months]
        bucket = case(*((Complaint.received_at >= s, i) for i, s in reversed(list(enumerate(starts)))), else_=0).label(
            "month"
        )
        cohort: tuple[Any, ...] = (
            Complaint.archived_at.is_(None),
            Complaint.received_at >= since,
            Complaint.received_at < until,
        )
        if customers is not None:
            cohort += (customers.where(Customer.id == Complaint.customer_id).correlate(Complaint).exists(),)
        # The month is worked out in a subquery and grouped outside it: PostgreSQL refuses a GROUP BY repeating
        # an expression with bound parameters (each use gets its own placeholder).
        rows = select(bucket, Complaint.category, Complaint.department_id).where(*cohort).subquery()
        by_category = {
            (months[int(i)], category): int(n)
            for i, category, n in session.execute(
                select(rows.c.month, rows.c.category, func.count()).group_by(rows.c.month, rows.c.category)
            )
        }
        by_department = {
            (months[int(i)], department_id): int(n)
            for i, department_id, n in session.execute(
                select(rows.c.month, rows.c.department_id, func.count()).group_by(rows.c.month, rows.c.department_id)
            )
        }
        complaints = func.count(Complaint.id)
        repeat = tuple(
            (int(customer_id), str(name), int(n))
            for customer_id, name, n in (
                session.execute(
                    select(Customer.id, Customer.name, complaints)
                    .join(Complaint, Complaint.customer_id == Customer.id)
                    .where(*cohort)
                    .group_by(Customer.id, Customer.name)
                    .having(complaints >= 2)
                    .order_by(complaints.desc(), Customer.name, Customer.id)
                    .limit(top)
                )
                if top > 0  # the dashboard's chart asks for none: the grouping of every complaint is skipped
                else ()
            )
        )
    return RootCauses(by_category=by_category, by_department=by_department, repeat_complainers=repeat)


def _segment_root_causes(
    sessions: Sessions,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    top: int,
    segment: SegmentFilter,
    departments: bool,
) -> RootCauses:
    ensure_built(sessions)
    with sessions.read() as session:
        zone = company_zone(session)
        period = rollups.plan(start, end)
        records = rollups.read_records(
            session, zone, period, segment, by_month=True, by_category=True, suggestions=False
        )
        totals = rollups.counts(session, period, segment, records, by_month=True, by_category=True, suggestions=False)
    by_category = {
        (month, category or None): values[0]
        for (month, category), values in totals.items()
        if month is not None and values[0]
    }
    by_department: dict[tuple[dt.date, int | None], int] = {}
    repeat: tuple[tuple[int, str, int], ...] = ()
    if departments or top > 0:
        customers = select(Customer.id).where(*rollups.customer_conditions(segment))
        recounted = root_causes(sessions, actor=actor, start=start, end=end, top=top, customers=customers)
        by_department = recounted.by_department if departments else {}
        repeat = recounted.repeat_complainers
    return RootCauses(by_category=by_category, by_department=by_department, repeat_complainers=repeat)
