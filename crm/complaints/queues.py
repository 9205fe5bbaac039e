"""The complaint queues: mine, my department, all (managers), breached, waiting for confirmation; filtered and paged
in SQL, the breached and soonest-due first, then those with no deadline running (waiting, resolved, done)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from crm.complaints.common import actor_department
from crm.complaints.sla import flag
from crm.complaints.vocab import OPEN_STATUSES
from crm.platform.clock import company_zone, local_midnight, utcnow
from crm.platform.errors import PermissionDenied, ValidationCollector
from crm.platform.permissions import Actor, require
from db.engine import Sessions
from db.models import Complaint, Customer, Department, User

QUEUES = ("mine", "department", "all", "breached", "waiting_confirmation")
PAGE_SIZE = 25
MAX_PAGE_SIZE = 200
# What a working queue holds unless a status filter says otherwise: open work, and resolutions the customer has
# yet to confirm.
WORKING_STATUSES = (*OPEN_STATUSES, "resolved")
# A queue's total is counted up to this many complaints and shown as "1,000+" beyond: counting every complaint
# twice a page made "all" 21 ms at 200,000 complaints against 3 ms at 1,000 (SQLite); a capped count reads at
# most COUNT_CAP + 1 index entries, whatever the table holds. Past the cap one filters rather than pages.
COUNT_CAP = 1_000


@dataclass(frozen=True)
class QueueFilter:
    queue: str = "mine"
    statuses: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    department_ids: tuple[int, ...] = ()
    assignee_ids: tuple[int, ...] = ()
    customer_id: int | None = None
    received_from: dt.date | None = None  # company-local days, inclusive
    received_to: dt.date | None = None


@dataclass(frozen=True)
class QueueRow:
    id: int
    code: str
    version: int
    customer_id: int
    customer_name: str
    severity: str
    category: str | None
    status: str
    department_id: int | None
    department_name_en: str | None
    department_name_zh: str | None
    assignee_id: int | None
    assignee_name: str | None
    received_at: dt.datetime
    next_due_at: dt.datetime | None
    flag: str | None  # breached / at_risk / None
    reopen_count: int
    escalated: bool


@dataclass(frozen=True)
class QueuePage:
    rows: tuple[QueueRow, ...]
    total: int  # at most cap + 1: see total_capped
    page: int
    page_size: int
    cap: int = COUNT_CAP

    @property
    def total_capped(self) -> bool:
        """True when the queue holds more than `cap` complaints (the total is then a lower bound)."""
        return self.total > self.cap

    @property
    def pages(self) -> int:
        """The pages one can turn to: those of the capped total."""
        return max(1, -(-min(self.total, self.cap) // self.page_size))


def reads_every_complaint(actor: Actor) -> bool:
    """Managers (and read-only viewers) see every complaint; staff their own and their department's."""
    return actor.can("complaints.manage") or (actor.can("complaints.view") and actor.can("customers.view_all"))


def complaint_queue(
    sessions: Sessions,
    *,
    actor: Actor,
    flt: QueueFilter,
    page: int = 0,
    page_size: int = PAGE_SIZE,
    now: dt.datetime | None = None,
) -> QueuePage:
    """Return one page of a complaint queue and its total, breached and soonest-due first."""
    require(actor, "complaints.view")
    now = now or utcnow()
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    errors = ValidationCollector()
    if flt.queue not in QUEUES:
        errors.add("queue", "validation.choice")
    if flt.received_from and flt.received_to and flt.received_from > flt.received_to:
        errors.add("received_from", "complaints.error.period")
    errors.raise_if_any()
    if flt.queue == "all" and not reads_every_complaint(actor):
        raise PermissionDenied(permission="complaints.manage")
    with sessions.read() as session:
        department_id = actor_department(session, actor)
        conditions: list[Any] = [Complaint.archived_at.is_(None)]
        if flt.queue == "mine":
            conditions.append(Complaint.assignee_id == actor.id)
        elif flt.queue == "department":
            conditions.append(Complaint.department_id == department_id)
        elif not reads_every_complaint(actor):  # breached / waiting for confirmation: within what staff handle
            conditions.append((Complaint.assignee_id == actor.id) | (Complaint.department_id == department_id))
        if flt.queue == "breached":
            conditions += [Complaint.next_due_at < now, Complaint.status.in_(flt.statuses or OPEN_STATUSES)]
        elif flt.queue == "waiting_confirmation":
            conditions.append(Complaint.status == "resolved")
        elif flt.statuses:
            conditions.append(Complaint.status.in_(flt.statuses))
        elif flt.queue != "all":
            conditions.append(Complaint.status.in_(WORKING_STATUSES))
        for column, values in (
            (Complaint.severity, flt.severities),
            (Complaint.category, flt.categories),
            (Complaint.department_id, flt.department_ids),
            (Complaint.assignee_id, flt.assignee_ids),
        ):
            if values:
                conditions.append(column.in_(values))
        if flt.customer_id is not None:
            conditions.append(Complaint.customer_id == flt.customer_id)
        if flt.received_from or flt.received_to:
            zone = company_zone(session)
            if flt.received_from:
                conditions.append(Complaint.received_at >= local_midnight(flt.received_from, zone))
            if flt.received_to:
                conditions.append(Complaint.received_at < local_midnight(flt.received_to + dt.timedelta(days=1), zone))
        total = _capped_count(session, conditions, COUNT_CAP + 1)
        ids = _page_ids(session, conditions, max(0, page) * page_size, page_size)
        rows = _rows(session, ids, now)
        return QueuePage(rows=rows, total=total, page=max(0, page), page_size=page_size, cap=COUNT_CAP)


def _capped_count(session: Any, conditions: list[Any], limit: int) -> int:
    """How many complaints match, counted up to limit (an index walk that stops there, not a full count)."""
    matching = select(Complaint.id).where(*conditions).limit(limit).subquery()
    return int(session.scalar(select(func.count()).select_from(matching)) or 0)


def _page_ids(session: Any, conditions: list[Any], offset: int, limit: int) -> list[int]:
    """The page's ids: complaints with a running deadline first, soonest (so the breached) first, then the others,
    newest first. Two index-ordered reads instead of one ORDER BY CASE, which sorted every matching row; the
    running ones are counted only as far as the page's offset (past it, the first read tells where they end).
    archived_at (always NULL here) leads the running order so that PostgreSQL, which does not take IS NULL as an
    equality, reads ix_complaints_archived_due in order instead of sorting every running complaint."""
    running = [*conditions, Complaint.next_due_at.is_not(None)]
    with_deadline = _capped_count(session, running, offset + 1)
    ids: list[int] = []
    if offset < with_deadline:
        ids = list(
            session.scalars(
                select(Complaint.id)
                .where(*running)
                .order_by(Complaint.archived_at, Complaint.next_due_at, Complaint.id)
                .limit(limit)
                .offset(offset)
            )
        )
        with_deadline = offset + len(ids)  # exact when the page is short, and not read otherwise
    if len(ids) < limit:
        ids += session.scalars(
            select(Complaint.id)
            .where(*conditions, Complaint.next_due_at.is_(None))
            .order_by(Complaint.id.desc())
            .limit(limit - len(ids))
            .offset(max(0, offset - with_deadline))
        )
    return ids


def _rows(session: Any, ids: list[int], now: dt.datetime) -> tuple[QueueRow, ...]:
    if not ids:
        return ()
    assignee = aliased(User)
    found = {
        c.id: (c, customer, en, zh, name)
        for c, customer, en, zh, name in session.execute(
            select(Complaint, Customer.name, Department.name, Department.name_zh, assignee.display_name)
            .join(Customer, Customer.id == Complaint.customer_id)
            .outerjoin(Department, Department.id == Complaint.department_id)
            .outerjoin(assignee, assignee.id == Complaint.assignee_id)
            .where(Complaint.id.in_(ids))
        )
    }
    rows = []
    for complaint_id in ids:
        c, customer, en, zh, name = found[complaint_id]
        rows.append(
            QueueRow(
                id=c.id,
                code=c.code,
                version=c.version,
                customer_id=c.customer_id,
                customer_name=customer,
                severity=c.severity,
                category=c.category,
                status=c.status,
                department_id=c.department_id,
                department_name_en=en,
                department_name_zh=zh,
                assignee_id=c.assignee_id,
                assignee_name=name,
                received_at=c.received_at,
                next_due_at=c.next_due_at,
                flag=flag(c.next_due_at, c.next_warn_at, now),
                reopen_count=c.reopen_count or 0,
                escalated=bool(c.escalated),
            )
        )
    return tuple(rows)


def customer_cases(sessions: Sessions, *, actor: Actor, customer_id: int, limit: int = 50) -> tuple[QueueRow, ...]:
    """The customer's complaints, newest first (for the customer 360 view)."""
    from crm.platform.access import load_readable

    require(actor, "complaints.view")
    with sessions.read() as session:
        load_readable(session, actor, customer_id)
        ids = list(
            session.scalars(
                select(Complaint.id)
                .where(Complaint.customer_id == customer_id, Complaint.archived_at.is_(None))
                .order_by(Complaint.received_at.desc(), Complaint.id.desc())
                .limit(limit)
            )
        )
        return _rows(session, ids, utcnow())
