"""Platform tables: users, departments, settings, the audit trail, sign-in failures, form tokens, KPI snapshots."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, ColumnElement, ForeignKey, Index, Integer, String, Text, and_, case
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Versioned, utcnow


class User(Versioned, Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16), index=True)
    language: Mapped[str] = mapped_column(String(8), default="en")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0)
    # Failures count while each comes within the lockout (15 minutes) of the last, as sign_in_failures' do.
    last_failed_login_at: Mapped[dt.datetime | None] = mapped_column()
    locked_until: Mapped[dt.datetime | None] = mapped_column()
    # Cookies and sessions issued before this instant are void: logout, password or role change.
    sessions_valid_after: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column()
    audit_hidden_fields: ClassVar[frozenset[str]] = frozenset({"password_hash"})
    audit_ignored_fields: ClassVar[frozenset[str]] = frozenset(
        {"failed_login_count", "last_failed_login_at", "locked_until", "last_login_at", "sessions_valid_after"}
    )


class SignInFailure(Base):
    """Failed sign-ins under a name that is no active account, counted and locked as an account's are
    (crm/platform/auth.py), so the answers never tell which usernames exist. Rows go once their failures are older than
    the lockout, so the table holds at most the names tried in the last 15 minutes."""

    __tablename__ = "sign_in_failures"
    name_key: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the name, never the name
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[dt.datetime] = mapped_column(index=True)
    locked_until: Mapped[dt.datetime | None] = mapped_column()


class Department(Versioned, Base):
    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))  # in English (the name shown where no Chinese one is kept)
    name_zh: Mapped[str | None] = mapped_column(String(120))  # in Simplified Chinese (0015_complaint_handling)
    # sales / service / product / tech / finance / marketing / management / other (crm/complaints/vocab.py)
    function: Mapped[str] = mapped_column(String(16))
    # The user heading it, who gets escalated complaints (crm/complaints checks it is an active user). No foreign
    # key: users.department_id points here, and a key back would make the two tables a cycle that ordered deletes
    # and drops cannot untangle; users are deactivated, never deleted.
    head_id: Mapped[int | None] = mapped_column(Integer, index=True)


def department_label() -> ColumnElement[str]:
    """A department's name as lists show it to either language: "销售部 Sales", or the one name it has."""
    has_chinese = and_(Department.name_zh.is_not(None), Department.name_zh != "", Department.name_zh != Department.name)
    return case((has_chinese, Department.name_zh + " " + Department.name), else_=Department.name)


class Setting(Base):
    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class IdempotencyToken(Base):
    """One row per submitted form; a second submission of the same token is refused."""

    __tablename__ = "idempotency_tokens"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    operation: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class AuditLog(Base):
    """Append-only trail: who changed which field of which record, when, from what to what."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # create/update/archive/restore/delete/login/...
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(40))
    entity_version: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        Index("ix_audit_log_entity", "entity_type", "entity_id", "id"),
        Index("ix_audit_log_user_at", "user_id", "at"),
        Index("ix_audit_log_at", "at"),
    )


class KpiSnapshot(Base):
    """Figures frozen at computed_at under a key (the team view per period, the managers' KPIs): readers use a
    row while it is fresh enough for them and recompute and upsert it otherwise (crm/platform/snapshots.py)."""

    __tablename__ = "kpi_snapshots"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)  # e.g. "follow_ups.team:week"
    computed_at: Mapped[dt.datetime] = mapped_column()
    payload: Mapped[Any] = mapped_column(JSON)
