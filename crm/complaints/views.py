"""What the complaint services hand to pages: frozen views of a complaint, its history and its attachments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from crm.complaints.sla import flag
from db.models import Complaint, ComplaintAttachment, ComplaintEvent, Contact, Customer, Department, Inquiry, User


@dataclass(frozen=True)
class ComplaintView:
    """A complaint's facts and state. Department names come in both languages (department_label picks one)."""

    id: int
    code: str
    version: int
    customer_id: int
    customer_code: str
    customer_name: str
    contact_id: int | None
    contact_name: str | None
    channel: str
    received_at: dt.datetime
    received_by_name: str | None
    occurred_at: dt.datetime | None
    description: str
    impact_scope: str | None
    severity: str
    category: str | None
    expected_resolution: str | None
    status: str
    department_id: int | None
    department_name_en: str | None
    department_name_zh: str | None
    assignee_id: int | None
    assignee_name: str | None
    acknowledge_due_at: dt.datetime | None
    resolve_due_at: dt.datetime | None
    next_due_at: dt.datetime | None  # the deadline running now (None while paused or done)
    flag: str | None  # "breached", "at_risk" (about to breach) or None, for the running deadline
    acknowledged_at: dt.datetime | None
    first_resolved_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    waiting_since: dt.datetime | None
    paused_seconds: int
    reopen_count: int
    escalated: bool
    root_cause: str | None
    resolution: str | None
    rejection_reason: str | None
    customer_satisfied: bool | None
    confirmed_at: dt.datetime | None
    confirmed_by: str | None
    confirmation_channel: str | None
    inquiry_id: int | None  # the inquiry it was turned from


@dataclass(frozen=True)
class EventView:
    """One entry of a complaint's history: who did what when (kind: transition / handoff / severity /
    confirmation / note / converted)."""

    id: int
    kind: str
    at: dt.datetime
    from_status: str | None
    to_status: str
    actor_id: int | None
    actor_name: str | None
    department_id: int | None
    department_name_en: str | None
    department_name_zh: str | None
    assignee_id: int | None
    assignee_name: str | None
    note: str | None
    old_value: str | None
    new_value: str | None
    satisfied: bool | None
    confirmed_by: str | None
    channel: str | None


@dataclass(frozen=True)
class AttachmentView:
    id: int
    filename: str
    content_type: str
    size: int
    uploaded_at: dt.datetime
    uploaded_by_name: str | None


@dataclass(frozen=True)
class DepartmentTime:
    """How long a department held the complaint (from the hand-off events), waiting for the customer excluded."""

    department_id: int | None
    department_name_en: str | None
    department_name_zh: str | None
    seconds: int


@dataclass(frozen=True)
class ComplaintDetail:
    complaint: ComplaintView
    events: tuple[EventView, ...]
    attachments: tuple[AttachmentView, ...]
    allowed_actions: tuple[str, ...]  # crm.complaints.states actions offered to this user now
    may_hand_off: bool
    may_change_severity: bool
    may_attach: bool
    department_times: tuple[DepartmentTime, ...]
    waiting_seconds: int  # time spent waiting for the customer, up to now


def complaint_select() -> Any:
    """SELECT a complaint with the names a view shows (customer, contact, department, assignee, recorder)."""
    assignee, recorder = aliased(User), aliased(User)
    origin = select(Inquiry.id).where(Inquiry.complaint_id == Complaint.id).limit(1).scalar_subquery()
    return (
        select(
            Complaint,
            Customer.code,
            Customer.name,
            Contact.name,
            Department.name,
            Department.name_zh,
            assignee.display_name,
            recorder.display_name,
            origin,
        )
        .join(Customer, Customer.id == Complaint.customer_id)
        .outerjoin(Contact, Contact.id == Complaint.contact_id)
        .outerjoin(Department, Department.id == Complaint.department_id)
        .outerjoin(assignee, assignee.id == Complaint.assignee_id)
        .outerjoin(recorder, recorder.id == Complaint.received_by_id)
    )


def complaint_view(row: Any, now: dt.datetime) -> ComplaintView:
    c, customer_code, customer_name, contact_name, dept_en, dept_zh, assignee_name, recorder_name, inquiry_id = row
    return ComplaintView(
        id=c.id,
        code=c.code,
        version=c.version,
        customer_id=c.customer_id,
        customer_code=customer_code,
        customer_name=customer_name,
        contact_id=c.contact_id,
        contact_name=contact_name,
        channel=c.channel,
        received_at=c.received_at,
        received_by_name=recorder_name,
        occurred_at=c.occurred_at,
        description=c.description,
        impact_scope=c.impact_scope,
        severity=c.severity,
        category=c.category,
        expected_resolution=c.expected_resolution,
        status=c.status,
        department_id=c.department_id,
        department_name_en=dept_en,
        department_name_zh=dept_zh,
        assignee_id=c.assignee_id,
        assignee_name=assignee_name,
        acknowledge_due_at=c.respond_due_at,
        resolve_due_at=c.resolve_due_at,
        next_due_at=c.next_due_at,
        flag=flag(c.next_due_at, c.next_warn_at, now),
        acknowledged_at=c.responded_at,
        first_resolved_at=c.first_resolved_at,
        resolved_at=c.resolved_at,
        closed_at=c.closed_at,
        waiting_since=c.waiting_since,
        paused_seconds=c.paused_seconds or 0,
        reopen_count=c.reopen_count or 0,
        escalated=bool(c.escalated),
        root_cause=c.root_cause,
        resolution=c.resolution,
        rejection_reason=c.rejection_reason,
        customer_satisfied=c.customer_satisfied,
        confirmed_at=c.confirmed_at,
        confirmed_by=c.confirmed_by,
        confirmation_channel=c.confirmation_channel,
        inquiry_id=inquiry_id,
    )


def load_view(session: Session, complaint_id: int, now: dt.datetime) -> ComplaintView | None:
    row = session.execute(complaint_select().where(Complaint.id == complaint_id)).one_or_none()
    return complaint_view(row, now) if row is not None else None


def events_of(session: Session, complaint_id: int) -> tuple[EventView, ...]:
    """The complaint's history, oldest first."""
    actor, assignee = aliased(User), aliased(User)
    rows = session.execute(
        select(ComplaintEvent, actor.display_name, Department.name, Department.name_zh, assignee.display_name)
        .outerjoin(actor, actor.id == ComplaintEvent.actor_id)
        .outerjoin(Department, Department.id == ComplaintEvent.department_id)
        .outerjoin(assignee, assignee.id == ComplaintEvent.assignee_id)
        .where(ComplaintEvent.complaint_id == complaint_id)
        .order_by(ComplaintEvent.at, ComplaintEvent.id)
    )
    return tuple(
        EventView(
            id=e.id,
            kind=e.kind,
            at=e.at,
            from_status=e.from_status,
            to_status=e.to_status,
            actor_id=e.actor_id,
            actor_name=actor_name,
            department_id=e.department_id,
            department_name_en=dept_en,
            department_name_zh=dept_zh,
            assignee_id=e.assignee_id,
            assignee_name=assignee_name,
            note=e.note,
            old_value=e.old_value,
            new_value=e.new_value,
            satisfied=e.satisfied,
            confirmed_by=e.confirmed_by,
            channel=e.channel,
        )
        for e, actor_name, dept_en, dept_zh, assignee_name in rows
    )


def attachments_of(session: Session, complaint_id: int) -> tuple[AttachmentView, ...]:
    rows = session.execute(
        select(
            ComplaintAttachment.id,
            ComplaintAttachment.filename,
            ComplaintAttachment.content_type,
            ComplaintAttachment.size,
            ComplaintAttachment.uploaded_at,
            User.display_name,
        )
        .outerjoin(User, User.id == ComplaintAttachment.uploaded_by_id)
        .where(ComplaintAttachment.complaint_id == complaint_id, ComplaintAttachment.archived_at.is_(None))
        .order_by(ComplaintAttachment.id)
    )
    return tuple(AttachmentView(*row) for row in rows)


def pauses_of(events: tuple[EventView, ...] | list[Any]) -> list[tuple[dt.datetime, dt.datetime | None]]:
    """The waiting-for-customer intervals read from the status changes (the last may still be running)."""
    pauses: list[tuple[dt.datetime, dt.datetime | None]] = []
    started: dt.datetime | None = None
    for event in events:
        if event.kind != "transition":
            continue
        if event.to_status == "waiting_customer" and started is None:
            started = event.at
        elif event.from_status == "waiting_customer" and started is not None:
            pauses.append((started, event.at))
            started = None
    if started is not None:
        pauses.append((started, None))
    return pauses


def department_times(
    events: tuple[EventView, ...], *, ended_at: dt.datetime | None, now: dt.datetime
) -> tuple[DepartmentTime, ...]:
    """How long each department held the complaint: from each hand-off to the next, up to its end (or now),
    the waiting-for-customer time left out (it is reported on its own)."""
    pauses = pauses_of(events)
    end = ended_at or now
    held: dict[int | None, list[Any]] = {}
    handoffs = [e for e in events if e.kind == "handoff"]
    for index, event in enumerate(handoffs):
        start = event.at
        stop = handoffs[index + 1].at if index + 1 < len(handoffs) else end
        seconds = max(0, int((stop - start).total_seconds()) - _paused_within(pauses, start, stop))
        entry = held.setdefault(event.department_id, [event.department_name_en, event.department_name_zh, 0])
        entry[2] += seconds
    return tuple(DepartmentTime(department_id, en, zh, seconds) for department_id, (en, zh, seconds) in held.items())


def _paused_within(pauses: list[tuple[dt.datetime, dt.datetime | None]], start: dt.datetime, stop: dt.datetime) -> int:
    total = 0.0
    for p_start, p_end in pauses:
        overlap = min(p_end or stop, stop) - max(p_start, start)
        total += max(0.0, overlap.total_seconds())
    return int(total)
