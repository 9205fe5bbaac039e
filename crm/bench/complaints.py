"""Benchmark section `complaints`: the complaint queues (mine, department, all, breached, waiting for
confirmation), the first page of 25 and its total, cold and warm, as a manager, with the complaints table brought
to a given size (`--complaints`, default 1,000).

The demo data set holds few complaints, so the section inserts the rest in bulk (numbered BENCH-C.., statuses,
severities, departments, assignees and deadlines spread like a working year's) and deletes them afterwards, so the
data set keeps its shape. The issue's target: a queue's page and total within 1.5x between 1,000 and 200,000.

Then the dashboard's complaint reads (issue 17: under 250 ms cold together), last 12 months, with no filter and
with three filters (the most common department, value tier "medium", the most common region): the figures of
the period and of the previous one, complaints per month and category, and each month's figures; the way the
dashboard reads them today (customers=, an EXISTS per complaint, a period_figures call per month) and from the
complaint rollups (segment=, monthly_figures). Bulk inserts bypass the ORM: the complaint rollups are rebuilt
after the fill and after the clean-up.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import delete, func, insert, select, text

from crm.bench.runner import Context, Measurement, time_call
from crm.complaints import monthly_figures, period_figures, root_causes
from crm.complaints.queues import QUEUES, QueueFilter, QueuePage, complaint_queue
from crm.complaints.rollups import MONTHS, TIMES
from crm.complaints.vocab import CHANNELS, DEFAULT_CATEGORIES, SEVERITIES
from crm.kpis.periods import Period
from crm.platform.clock import company_today
from crm.platform.permissions import Actor
from crm.platform.rollups import SegmentFilter, rebuild
from db.engine import Sessions
from db.models import Complaint, Customer, Department, User, utcnow

CODE_PREFIX = "BENCH-C"
DEFAULT_COMPLAINTS = 1_000
BATCH = 5_000
# (status, weight, runs a deadline): most of a year's complaints are done; the open ones run against one.
_STATUSES = (
    ("closed", 55, False),
    ("rejected", 5, False),
    ("resolved", 8, False),
    ("waiting_customer", 4, False),
    ("new", 8, True),
    ("acknowledged", 6, True),
    ("in_progress", 12, True),
    ("reopened", 2, True),
)


def _delete_bench_complaints(sessions: Sessions) -> None:
    ours = Complaint.code.like(f"{CODE_PREFIX}%")
    with sessions.begin() as session:
        found = session.scalar(select(Complaint.id).where(ours).limit(1)) is not None
        session.execute(delete(Complaint).where(ours))
    if found:
        rebuild_complaint_rollups(sessions)


def rebuild_complaint_rollups(sessions: Sessions) -> None:
    """Recount the complaint rollups after Core inserts or deletes of complaints (no flush kept them in step)."""
    with sessions.begin() as session:
        rebuild(session.connection(), [MONTHS.name, TIMES.name])
    if sessions.dialect == "postgresql":
        with sessions.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE complaint_months, complaint_time_months"))


def _complaint_rows(
    count: int, customers: list[int], departments: list[int | None], users: list[int | None], now: dt.datetime
) -> list[dict[str, Any]]:
    """count complaints received over the past year; the open ones due from three days ago to a week ahead."""
    rng = random.Random(15)
    statuses = [status for status, _weight, _runs in _STATUSES]
    weights = [weight for _status, weight, _runs in _STATUSES]
    running = {status for status, _weight, runs in _STATUSES if runs}
    rows = []
    for n in range(1, count + 1):
        status = rng.choices(statuses, weights)[0]
        received = now - dt.timedelta(minutes=rng.randrange(10, 365 * 24 * 60))
        due = now + dt.timedelta(minutes=rng.randrange(-3 * 24 * 60, 7 * 24 * 60)) if status in running else None
        rows.append(
            {
                "code": f"{CODE_PREFIX}{n:08d}",
                "customer_id": rng.choice(customers),
                "channel": rng.choice(CHANNELS),
                "received_at": received,
                "description": "Bench complaint",
                "severity": rng.choice(SEVERITIES),
                "category": rng.choice(DEFAULT_CATEGORIES),
                "status": status,
                "department_id": rng.choice(departments),
                "assignee_id": rng.choice(users),
                "respond_due_at": received + dt.timedelta(hours=4),
                "resolve_due_at": received + dt.timedelta(days=5),
                "next_due_at": due,
                "next_warn_at": due - dt.timedelta(hours=2) if due else None,
                "resolved_at": None if status in running else received + dt.timedelta(days=2),
                "paused_seconds": 0,
                "reopen_count": 1 if status == "reopened" else 0,
                "escalated": False,
                "version": 1,
                "created_at": received,
                "updated_at": received,
            }
        )
    return rows


def fill(sessions: Sessions, target: int) -> int:
    """Bring the complaints table to target rows (adding BENCH-C.. complaints); return how many were added."""
    now = utcnow()
    with sessions.read() as session:
        present = int(session.scalar(select(func.count()).select_from(Complaint)) or 0)
        customers = list(session.scalars(select(Customer.id).where(Customer.archived_at.is_(None))))
        departments: list[int | None] = [None, *session.scalars(select(Department.id))]
        users: list[int | None] = [None, *session.scalars(select(User.id).where(User.is_active.is_(True)))]
    added = max(0, target - present)
    rows = _complaint_rows(added, customers, departments, users, now) if added else []
    for start in range(0, len(rows), BATCH):
        with sessions.begin() as session:
            session.execute(insert(Complaint), rows[start : start + BATCH])
    if added and sessions.dialect == "postgresql":
        # What autovacuum does soon after a bulk load: fresh statistics, and the visibility map that lets the
        # queue counts read the index alone. Timed before it, every count visits the table's new rows.
        with sessions.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE complaints"))
    if added:
        rebuild_complaint_rollups(sessions)
    return added


def manager(sessions: Sessions) -> Actor:
    """The data set's manager with the most complaints assigned (so "mine" and "department" hold some)."""
    with sessions.read() as session:
        found = session.execute(
            select(User.id, User.username, User.display_name)
            .outerjoin(Complaint, Complaint.assignee_id == User.id)
            .where(User.role == "manager", User.is_active.is_(True))
            .group_by(User.id, User.username, User.display_name)
            .order_by(func.count(Complaint.id).desc(), User.id)
            .limit(1)
        ).first()
    if found is None:
        return Actor(id=None, username="bench", display_name="bench", role="manager")
    return Actor(id=found.id, username=found.username, display_name=found.display_name, role="manager")


def _note(page: object, target: int) -> str:
    assert isinstance(page, QueuePage)
    total = f"{page.cap:,}+" if page.total_capped else f"{page.total:,}"
    return f"total {total} of {target:,} complaints"


def measure(ctx: Context) -> list[Measurement]:
    """Fill the complaints table, time each queue's first page and total as a manager, then delete what was added."""
    sessions = ctx.sessions
    target = ctx.complaints if ctx.complaints is not None else DEFAULT_COMPLAINTS
    _delete_bench_complaints(sessions)  # an earlier run stopped half-way
    try:
        added = fill(sessions, target)
        ctx.progress(f"complaints: {added:,} added to reach {target:,}")
        actor = manager(sessions)
        rows = []
        for queue in QUEUES:
            flt = QueueFilter(queue=queue)
            rows.append(
                time_call(
                    "complaints",
                    f"{queue} queue: page 1 of 25 + total",
                    lambda flt=flt: complaint_queue(sessions, actor=actor, flt=flt),  # type: ignore[misc]
                    warm_runs=ctx.warm_runs,
                    note=lambda page: _note(page, target),
                )
            )
        rows += dashboard_reads(ctx, actor)
        return rows
    finally:
        _delete_bench_complaints(sessions)


def three_filters(sessions: Sessions) -> SegmentFilter:
    """The dashboard bench's three filters: the most common department and region, value tier "medium"."""
    with sessions.read() as session:

        def most(column: Any) -> Any:
            return session.execute(
                select(column)
                .where(column.is_not(None), Customer.archived_at.is_(None))
                .group_by(column)
                .order_by(func.count().desc(), column)
                .limit(1)
            ).scalar()

        return SegmentFilter(
            department_id=most(Customer.department_id), value_tier="medium", region=most(Customer.region)
        )


def customers_of(segment: SegmentFilter) -> Any:
    """The same customers as a SELECT of ids, as the dashboard passes them today (crm.kpis.scope.customer_ids)."""
    conditions: list[Any] = [Customer.archived_at.is_(None)]
    if segment.department_id is not None:
        conditions.append(Customer.department_id == segment.department_id)
    if segment.value_tier is not None:
        conditions.append(Customer.value_tier == segment.value_tier)
    if segment.region is not None:
        conditions.append(Customer.region == segment.region)
    return select(Customer.id).where(*conditions)


def old_reads(sessions: Sessions, actor: Actor, period: Period, segment: SegmentFilter) -> int:
    """The dashboard's complaint reads as crm/kpis does them today: customers=, one period_figures per month."""
    customers = customers_of(segment)
    figures = period_figures(sessions, actor=actor, start=period.start, end=period.end, customers=customers)
    previous = period.previous()
    period_figures(sessions, actor=actor, start=previous.start, end=previous.end, customers=customers)
    root_causes(sessions, actor=actor, start=period.start, end=period.end, top=0, customers=customers)
    for month in period.months():
        last = min(period.end, (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1))
        period_figures(sessions, actor=actor, start=max(period.start, month), end=last, customers=customers)
    return figures.overall.received


def rollup_reads(sessions: Sessions, actor: Actor, period: Period, segment: SegmentFilter) -> int:
    """The same figures from the complaint rollups: period_figures(segment=) for the period and the previous one,
    root_causes(segment=, top=0, departments=False), monthly_figures."""
    figures = period_figures(sessions, actor=actor, start=period.start, end=period.end, segment=segment)
    previous = period.previous()
    period_figures(sessions, actor=actor, start=previous.start, end=previous.end, segment=segment)
    root_causes(sessions, actor=actor, start=period.start, end=period.end, top=0, segment=segment, departments=False)
    monthly_figures(sessions, actor=actor, start=period.start, end=period.end, segment=segment)
    return figures.overall.received


def dashboard_reads(ctx: Context, actor: Actor) -> list[Measurement]:
    """Time the dashboard's complaint reads for the last 12 months, the old way and from the rollups."""
    sessions = ctx.sessions
    with sessions.read() as session:
        period = Period.last_12_months(company_today(session))
    rows = []
    for label, segment in (("no filter", SegmentFilter()), ("3 filters", three_filters(sessions))):
        ctx.progress(f"complaints: dashboard reads, {label}")
        note = f"{{}} complaints received in the last 12 months ({label})"
        for way, reads in (("customers= (today)", old_reads), ("rollups", rollup_reads)):
            rows.append(
                time_call(
                    "complaints",
                    f"dashboard, {label}: 2 periods + categories + 12 months, {way}",
                    lambda reads=reads, segment=segment: reads(sessions, actor, period, segment),  # type: ignore[misc]
                    warm_runs=ctx.warm_runs,
                    note=lambda received, note=note: note.format(f"{received:,}"),  # type: ignore[misc]
                )
            )
        parts = (
            (
                "period figures (12 months, medians)",
                lambda segment=segment: period_figures(
                    sessions, actor=actor, start=period.start, end=period.end, segment=segment
                ),
            ),
            (
                "monthly figures (12 months)",
                lambda segment=segment: monthly_figures(
                    sessions, actor=actor, start=period.start, end=period.end, segment=segment
                ),
            ),
            (
                "complaints per month and category",
                lambda segment=segment: root_causes(
                    sessions, actor=actor, start=period.start, end=period.end, top=0, segment=segment, departments=False
                ),
            ),
        )
        for name, call in parts:
            rows.append(time_call("complaints", f"rollups, {label}: {name}", call, warm_runs=ctx.warm_runs))
    return rows
