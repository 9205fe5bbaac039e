"""Benchmark section `complaints`: the complaint queues (mine, department, all, breached, waiting for
confirmation), the first page of 25 and its total, cold and warm, as a manager, with the complaints table brought
to a given size (`--complaints`, default 1,000).

The demo data set holds few complaints, so the section inserts the rest in bulk (numbered BENCH-C.., statuses,
severities, departments, assignees and deadlines spread like a working year's) and deletes them afterwards, so the
data set keeps its shape. The issue's target: a queue's page and total within 1.5x between 1,000 and 200,000.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import delete, func, insert, select, text

from crm.bench.runner import Context, Measurement, time_call
from crm.complaints.queues import QUEUES, QueueFilter, QueuePage, complaint_queue
from crm.complaints.vocab import CHANNELS, DEFAULT_CATEGORIES, SEVERITIES
from crm.platform.permissions import Actor
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
    with sessions.begin() as session:
        session.execute(delete(Complaint).where(Complaint.code.like(f"{CODE_PREFIX}%")))


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
        return rows
    finally:
        _delete_bench_complaints(sessions)
