"""Complaints and suggestions (DOMAIN.md section 4): complaints, their status history, suggestions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Versioned, utcnow


class Complaint(Versioned, Base):
    __tablename__ = "complaints"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[dt.datetime] = mapped_column(index=True)
    occurred_at: Mapped[dt.datetime | None] = mapped_column()
    description: Mapped[str] = mapped_column(Text)
    impact_scope: Mapped[str | None] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(8), index=True)  # low / medium / high / critical
    expected_resolution: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    respond_due_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    resolve_due_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    responded_at: Mapped[dt.datetime | None] = mapped_column()
    resolved_at: Mapped[dt.datetime | None] = mapped_column()
    closed_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    waiting_since: Mapped[dt.datetime | None] = mapped_column()
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    root_cause: Mapped[str | None] = mapped_column(String(64), index=True)
    resolution: Mapped[str | None] = mapped_column(Text)
    customer_satisfied: Mapped[bool | None] = mapped_column(Boolean)


class ComplaintEvent(Base):
    """Status history of a complaint: each step, who, when, and which department held it."""

    __tablename__ = "complaint_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (Index("ix_complaint_events_complaint_at", "complaint_id", "at"),)


class Suggestion(Versioned, Base):
    __tablename__ = "suggestions"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[dt.datetime] = mapped_column(index=True)
    content: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(32), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    evaluation: Mapped[str | None] = mapped_column(Text)
    adopted: Mapped[bool | None] = mapped_column(Boolean)
    customer_informed_at: Mapped[dt.datetime | None] = mapped_column()
