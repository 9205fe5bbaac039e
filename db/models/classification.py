"""Classification (DOMAIN.md section 2): class history, overrides, credit evidence, service policies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Versioned, utcnow


class ClassChange(Base):
    """History of every class a customer has had in each dimension, with the reason why."""

    __tablename__ = "class_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    dimension: Mapped[str] = mapped_column(String(24))
    old_class: Mapped[str | None] = mapped_column(String(16))
    new_class: Mapped[str | None] = mapped_column(String(16))
    explanation: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    __table_args__ = (Index("ix_class_changes_customer_dim", "customer_id", "dimension", "changed_at"),)


class ClassOverride(Versioned, Base):
    __tablename__ = "class_overrides"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    dimension: Mapped[str] = mapped_column(String(24), index=True)
    value: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(300))
    expires_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)


class CreditEvent(Versioned, Base):
    """Evidence ledger for the credit-risk grade: late payments, overdue amounts, disputes."""

    __tablename__ = "credit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    event_date: Mapped[dt.date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(24))
    weight: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    amount: Mapped[Decimal | None] = mapped_column()
    days_late: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(300))


class ServicePolicy(Versioned, Base):
    __tablename__ = "service_policies"
    id: Mapped[int] = mapped_column(primary_key=True)
    dimension: Mapped[str] = mapped_column(String(24))
    class_value: Mapped[str] = mapped_column(String(16))
    cadence_days: Mapped[int] = mapped_column(Integer)
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_zh: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (UniqueConstraint("dimension", "class_value"),)
