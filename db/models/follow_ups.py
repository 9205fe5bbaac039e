"""Follow-up (DOMAIN.md section 3): contacts logged, follow-ups planned, calendar counts, rules, holidays."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Versioned


class Activity(Versioned, Base):
    """A logged contact with a customer (跟进记录)."""

    __tablename__ = "activities"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[dt.datetime] = mapped_column()
    summary: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(24))
    next_step: Mapped[str | None] = mapped_column(String(300))
    next_due_at: Mapped[dt.datetime | None] = mapped_column()
    task_id: Mapped[int | None] = mapped_column(ForeignKey("follow_up_tasks.id"), index=True)
    stage_before: Mapped[str | None] = mapped_column(String(16))
    stage_after: Mapped[str | None] = mapped_column(String(16))
    __table_args__ = (
        Index("ix_activities_customer_at", "customer_id", "occurred_at"),
        Index("ix_activities_owner_at", "owner_id", "occurred_at"),
        # 0023: the contacts of a range of time (cadence running out today: crm/kpis/cadence.py).
        Index("ix_activities_occurred_at", "occurred_at", "customer_id"),
    )


class FollowUpTask(Versioned, Base):
    """A planned follow-up (定期回访, 关怀, 挽回, ...) with a due date."""

    __tablename__ = "follow_up_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    # active_history: the calendar's counts need the old owner, due time and status of every change.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), active_history=True)
    due_at: Mapped[dt.datetime] = mapped_column(active_history=True)
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    purpose: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="open", active_history=True)  # open / done / cancelled
    # "customer:purpose" while open, NULL otherwise: a portable partial unique index, so rules
    # never create a second open task of the same purpose for a customer.
    open_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    recurrence_days: Mapped[int | None] = mapped_column(Integer)
    created_by_rule: Mapped[str | None] = mapped_column(String(32))
    reschedule_reason: Mapped[str | None] = mapped_column(String(300))
    completed_at: Mapped[dt.datetime | None] = mapped_column()
    source_complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    source_survey_id: Mapped[int | None] = mapped_column(ForeignKey("survey_responses.id"), index=True)
    __table_args__ = (
        # id last: the queues list by (due_at, id), and rules create thousands of tasks due at the same time.
        Index("ix_follow_up_tasks_owner_status_due_id", "owner_id", "status", "due_at", "id"),
        Index("ix_follow_up_tasks_status_due_id", "status", "due_at", "id"),
        # 0003_follow_ups: the customer's earliest open task; done per owner and period.
        Index("ix_follow_up_tasks_customer_status_due", "customer_id", "status", "due_at"),
        Index("ix_follow_up_tasks_owner_status_completed", "owner_id", "status", "completed_at"),
        # 0017_kpi_indexes: open and overdue follow-ups of the dashboard's customers, index-only (crm/kpis).
        Index("ix_follow_up_tasks_kpi", "status", "due_at", "archived_at", "customer_id"),
    )


class FollowUpDayCount(Base):
    """Open follow-ups due per owner and company-local day, kept in step with follow_up_tasks in the same
    transaction (crm/follow_ups/calendar_counts.py), so the calendar reads a few rows per day whatever the data's
    size."""

    __tablename__ = "follow_up_day_counts"
    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # 0: no owner
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    open_count: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (Index("ix_follow_up_day_counts_day", "day", "owner_id"),)


class AutomationRule(Base):
    __tablename__ = "automation_rules"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    params: Mapped[Any] = mapped_column(JSON, default=dict)
    last_run_at: Mapped[dt.datetime | None] = mapped_column()


class Holiday(Versioned, Base):
    __tablename__ = "holidays"
    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    name: Mapped[str] = mapped_column(String(120))
