"""Complaint intake: the recorded facts, a gap-free reference number, deadlines from the time limits, attachments."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.complaints.common import (
    category_codes,
    check_text,
    clean,
    draw_reference,
    holidays_from,
    load_policy,
)
from crm.complaints.departments import live_department
from crm.complaints.sla import complaint_deadlines
from crm.complaints.views import ComplaintView, load_view
from crm.complaints.vocab import CHANNELS, IMPACT_SCOPES, SEVERITIES
from crm.platform.access import load_readable
from crm.platform.audit import audit_row, write_audit
from crm.platform.clock import company_zone, utcnow
from crm.platform.errors import NotFound, ValidationCollector
from crm.platform.permissions import Actor, require
from crm.platform.uow import transaction
from crm.platform.validation import check_choice, check_length
from db.engine import Sessions
from db.models import Complaint, ComplaintAttachment, ComplaintEvent, Contact, User

REFERENCE_KIND = "C"
# Attachments: kept in the database, offered for download only (never shown inline), so a file cannot run
# script in the page; these types and sizes are all a complaint needs (photos, scans, documents, logs).
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_ATTACHMENTS = 10
ATTACHMENT_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".log": "text/plain",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".zip": "application/zip",
}


@dataclass(frozen=True)
class AttachmentInput:
    filename: str
    content: bytes


@dataclass(frozen=True)
class ComplaintInput:
    """What staff record when a complaint comes in (DOMAIN.md section 4)."""

    customer_id: int
    channel: str
    description: str
    severity: str
    category: str | None = None
    contact_id: int | None = None
    occurred_at: dt.datetime | None = None
    impact_scope: str | None = None  # one_user / one_site / whole_customer / several_customers
    expected_resolution: str | None = None
    department_id: int | None = None  # hand it to a department (and a person) right away
    assignee_id: int | None = None
    received_at: dt.datetime | None = None  # when it came in; now if not given (never in the future)


def check_routing(
    session: Session, errors: ValidationCollector, department_id: int | None, assignee_id: int | None
) -> None:
    if department_id is not None and live_department(session, department_id) is None:
        errors.add("department_id", "validation.choice")
    if (
        assignee_id is not None
        and session.scalar(
            select(User.id).where(User.id == assignee_id, User.is_active.is_(True), User.role != "viewer")
        )
        is None
    ):
        errors.add("assignee_id", "validation.choice")


def check_contact(session: Session, errors: ValidationCollector, customer_id: int, contact_id: int | None) -> None:
    if (
        contact_id is not None
        and session.scalar(
            select(Contact.id).where(
                Contact.id == contact_id, Contact.customer_id == customer_id, Contact.archived_at.is_(None)
            )
        )
        is None
    ):
        errors.add("contact_id", "validation.choice")


def file_complaint(
    sessions: Sessions,
    *,
    actor: Actor,
    data: ComplaintInput,
    attachments: Sequence[AttachmentInput] = (),
    token: str | None = None,
    now: dt.datetime | None = None,
) -> ComplaintView:
    """Record a complaint in one audited transaction: its reference number, deadlines and first events."""
    require(actor, "complaints.handle")
    now = now or utcnow()
    errors = validate_input(data, now)
    check_attachments(errors, attachments, already=0)
    with transaction(sessions, actor=actor, token=token, operation="complaints.file") as session:
        complaint = insert_complaint(session, actor, data, errors, now)
        store_attachments(session, actor, complaint.id, attachments, now)
        session.flush()
        view = load_view(session, complaint.id, now)
        assert view is not None
        return view


def validate_input(data: ComplaintInput, now: dt.datetime) -> ValidationCollector:
    """Check what can be checked without the database; return the collector to go on with."""
    errors = ValidationCollector()
    check_choice(errors, "channel", data.channel, CHANNELS, required=True)
    check_choice(errors, "severity", data.severity, SEVERITIES, required=True)
    check_choice(errors, "impact_scope", data.impact_scope, IMPACT_SCOPES)
    description = clean(data.description)
    if description is None:
        errors.add("description", "validation.required")
    check_text(errors, "description", description, Complaint, "description")
    check_text(errors, "expected_resolution", clean(data.expected_resolution), Complaint, "expected_resolution")
    received_at = data.received_at or now
    if received_at > now + dt.timedelta(minutes=1):
        errors.add("received_at", "validation.future_date")
    if data.occurred_at is not None and data.occurred_at > received_at:
        errors.add("occurred_at", "complaints.error.occurred_after_received")
    return errors


def insert_complaint(
    session: Session, actor: Actor, data: ComplaintInput, errors: ValidationCollector, now: dt.datetime
) -> Complaint:
    """Check the references, then insert the complaint with its number, deadlines and first events."""
    customer = load_readable(session, actor, data.customer_id)
    if customer.archived_at is not None:
        raise NotFound(entity="customers", id=data.customer_id)
    check_choice(errors, "category", data.category, category_codes(session))
    check_contact(session, errors, customer.id, data.contact_id)
    check_routing(session, errors, data.department_id, data.assignee_id)
    errors.raise_if_any()
    received_at = data.received_at or now
    zone = company_zone(session)
    policy = load_policy(session)
    due = complaint_deadlines(policy, data.severity, received_at, zone, holidays_from(session, received_at))
    complaint = Complaint(
        code=draw_reference(
            session, kind=REFERENCE_KIND, year=received_at.astimezone(zone).year, column=Complaint.code
        ),
        customer_id=customer.id,
        contact_id=data.contact_id,
        channel=data.channel,
        received_at=received_at,
        received_by_id=actor.id,
        occurred_at=data.occurred_at,
        description=clean(data.description),
        impact_scope=data.impact_scope,
        severity=data.severity,
        category=data.category,
        expected_resolution=clean(data.expected_resolution),
        status="new",
        department_id=data.department_id,
        assignee_id=data.assignee_id,
        respond_due_at=due.acknowledge_due_at,
        respond_warn_at=due.acknowledge_warn_at,
        resolve_due_at=due.resolve_due_at,
        resolve_warn_at=due.resolve_warn_at,
        next_due_at=due.acknowledge_due_at,
        next_warn_at=due.acknowledge_warn_at,
        paused_seconds=0,
        reopen_count=0,
        escalated=False,
    )
    session.add(complaint)
    session.flush()
    session.add(
        ComplaintEvent(
            complaint_id=complaint.id,
            kind="transition",
            at=received_at,
            from_status=None,
            to_status="new",
            actor_id=actor.id,
        )
    )
    if data.department_id is not None or data.assignee_id is not None:
        session.add(
            ComplaintEvent(
                complaint_id=complaint.id,
                kind="handoff",
                at=received_at,
                from_status="new",
                to_status="new",
                department_id=data.department_id,
                assignee_id=data.assignee_id,
                actor_id=actor.id,
            )
        )
    return complaint


def check_attachments(errors: ValidationCollector, attachments: Sequence[AttachmentInput], *, already: int) -> None:
    """Refuse files of a type not offered, larger than the limit, or more than a complaint holds."""
    if already + len(attachments) > MAX_ATTACHMENTS:
        errors.add("attachments", "complaints.error.too_many_attachments", max=MAX_ATTACHMENTS)
    for attachment in attachments:
        name = (attachment.filename or "").strip()
        check_length(errors, "attachments", name, 255)
        if PurePath(name).suffix.lower() not in ATTACHMENT_TYPES:
            errors.add("attachments", "complaints.error.attachment_type", types=", ".join(sorted(ATTACHMENT_TYPES)))
        elif len(attachment.content) > MAX_ATTACHMENT_BYTES:
            errors.add("attachments", "complaints.error.attachment_size", mb=MAX_ATTACHMENT_BYTES // (1024 * 1024))
        elif not attachment.content:
            errors.add("attachments", "complaints.error.attachment_empty")


def store_attachments(
    session: Session, actor: Actor, complaint_id: int, attachments: Sequence[AttachmentInput], now: dt.datetime
) -> None:
    """Store the (checked) files; audited by name, type and size, never by content."""
    rows = []
    for attachment in attachments:
        name = PurePath(attachment.filename.strip()).name
        record = ComplaintAttachment(
            complaint_id=complaint_id,
            filename=name,
            content_type=ATTACHMENT_TYPES[PurePath(name).suffix.lower()],
            size=len(attachment.content),
            sha256=hashlib.sha256(attachment.content).hexdigest(),
            content=attachment.content,
            uploaded_at=now,
            uploaded_by_id=actor.id,
        )
        session.add(record)
        session.flush()
        rows.append(
            audit_row(
                actor,
                "create",
                "complaint_attachments",
                record.id,
                field="filename",
                new=f"{name} ({record.content_type}, {record.size} bytes)",
            )
        )
    write_audit(session, rows)


def attachment_count(session: Session, complaint_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(ComplaintAttachment)
            .where(ComplaintAttachment.complaint_id == complaint_id, ComplaintAttachment.archived_at.is_(None))
        )
        or 0
    )
