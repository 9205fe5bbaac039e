"""Complaints, inquiries and suggestions (DOMAIN.md section 4): cases, their history, attachments, counters."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Versioned, utcnow


class Complaint(Versioned, Base):
    """A complaint (投诉), from intake to the customer's confirmation; crm/complaints keeps it consistent.

    Deadlines are stored (computed at intake, on a severity change and at the end of each pause), so the
    on-time figure is `resolved_at <= resolve_due_at`; `next_due_at` / `next_warn_at` are the deadline the
    complaint runs against now (acknowledge while new, resolve while being handled, none while paused or done),
    which the queues sort and flag by.
    """

    __tablename__ = "complaints"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # reference number C-2026-000123
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[dt.datetime] = mapped_column(index=True)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    occurred_at: Mapped[dt.datetime | None] = mapped_column()
    description: Mapped[str] = mapped_column(Text)
    impact_scope: Mapped[str | None] = mapped_column(String(300))  # one_user / one_site / whole_customer / ...
    severity: Mapped[str] = mapped_column(String(8), index=True)  # low / medium / high / critical
    expected_resolution: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # time limits: respond = acknowledge
    respond_due_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    respond_warn_at: Mapped[dt.datetime | None] = mapped_column()
    resolve_due_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    resolve_warn_at: Mapped[dt.datetime | None] = mapped_column()
    next_due_at: Mapped[dt.datetime | None] = mapped_column()
    next_warn_at: Mapped[dt.datetime | None] = mapped_column()
    responded_at: Mapped[dt.datetime | None] = mapped_column()
    first_resolved_at: Mapped[dt.datetime | None] = mapped_column()
    resolved_at: Mapped[dt.datetime | None] = mapped_column()
    closed_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    waiting_since: Mapped[dt.datetime | None] = mapped_column()
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated_at: Mapped[dt.datetime | None] = mapped_column()
    root_cause: Mapped[str | None] = mapped_column(String(64), index=True)
    resolution: Mapped[str | None] = mapped_column(Text)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    # the customer's latest confirmation of the resolution
    customer_satisfied: Mapped[bool | None] = mapped_column(Boolean)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column()
    confirmed_by: Mapped[str | None] = mapped_column(String(120))  # the customer's person who confirmed
    confirmation_channel: Mapped[str | None] = mapped_column(String(16))
    # Derived from the audited ones (deadlines follow severity and pauses): kept out of conflict messages.
    audit_ignored_fields: ClassVar[frozenset[str]] = frozenset(
        {"respond_warn_at", "resolve_warn_at", "next_due_at", "next_warn_at"}
    )
    __table_args__ = (
        # The queues (crm/complaints/queues.py): by assignee, by department, by status, all, in running-deadline
        # order; archived_at inside, so counting a queue reads the index alone (200k complaints: 5 ms, not 75).
        Index("ix_complaints_assignee_queue", "assignee_id", "status", "next_due_at", "archived_at", "id"),
        Index("ix_complaints_department_queue", "department_id", "status", "next_due_at", "archived_at", "id"),
        Index("ix_complaints_status_due", "status", "next_due_at", "archived_at", "id"),
        Index("ix_complaints_archived_due", "archived_at", "next_due_at", "id"),
        Index("ix_complaints_customer_received", "customer_id", "received_at"),
    )


class ComplaintEvent(Base):
    """A complaint's history: each status change, hand-off, severity change, confirmation, who and when.

    kind: transition / handoff / severity / confirmation / note / converted. A hand-off carries the department
    and assignee it went to (the time each department held a complaint is read from these); a severity change
    its old and new severity in old_value / new_value; a confirmation who confirmed, how, and satisfied or not.
    """

    __tablename__ = "complaint_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"))
    kind: Mapped[str] = mapped_column(String(16), default="transition", server_default="transition")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    old_value: Mapped[str | None] = mapped_column(String(64))
    new_value: Mapped[str | None] = mapped_column(String(64))
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    confirmed_by: Mapped[str | None] = mapped_column(String(120))
    channel: Mapped[str | None] = mapped_column(String(16))
    __table_args__ = (Index("ix_complaint_events_complaint_at", "complaint_id", "at"),)


# Attachments are kept in the database (backed up with it); MEDIUMBLOB holds up to 16 MB on MariaDB, whose
# BLOB stops at 64 KB. crm/complaints/attachments.py limits a file to far less.
_BYTES = LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")


class ComplaintAttachment(Base):
    """A file attached to a complaint: stored as bytes with its name, type and size, offered for download only."""

    __tablename__ = "complaint_attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(_BYTES)
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    archived_at: Mapped[dt.datetime | None] = mapped_column()


class ReferenceCounter(Base):
    """The last reference number drawn per kind and year (C-2026-000123, Q-2026-000007), for gap-free numbers:
    the row is incremented in the transaction that files the case, so a rolled-back intake gives its number back."""

    __tablename__ = "reference_counters"
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # "C" complaints, "Q" inquiries
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Inquiry(Versioned, Base):
    """An inquiry (咨询): a question to answer, with its own time limits; may be turned into a complaint."""

    __tablename__ = "inquiries"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # Q-2026-000007
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[dt.datetime] = mapped_column(index=True)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)  # new / answered / closed / converted
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    respond_due_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    answer_due_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    responded_at: Mapped[dt.datetime | None] = mapped_column()
    answered_at: Mapped[dt.datetime | None] = mapped_column()
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column()
    # The complaint it was turned into (the complaint's origin is read from here: no key back, no cycle).
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)


class Suggestion(Versioned, Base):
    """A suggestion (建议): collected, classified, passed to a department, evaluated, the customer told."""

    __tablename__ = "suggestions"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # the source
    received_at: Mapped[dt.datetime] = mapped_column(index=True)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    content: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(32), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)  # new / evaluated / informed
    evaluation_result: Mapped[str | None] = mapped_column(String(16), index=True)  # adopt / adopt_partly / not_adopt
    evaluation: Mapped[str | None] = mapped_column(Text)  # the reason
    evaluated_at: Mapped[dt.datetime | None] = mapped_column()
    evaluated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    adopted: Mapped[bool | None] = mapped_column(Boolean)  # fully or partly: the adoption rate's numerator
    action_taken: Mapped[str | None] = mapped_column(Text)
    customer_informed_at: Mapped[dt.datetime | None] = mapped_column()
