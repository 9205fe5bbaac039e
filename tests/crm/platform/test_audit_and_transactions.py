"""Audit trail, optimistic locking, idempotent forms and all-or-nothing writes."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from crm.platform.audit import search_audit
from crm.platform.errors import DuplicateSubmission, PermissionDenied, ValidationError, VersionConflict
from crm.platform.permissions import SYSTEM, Actor
from crm.platform.uow import check_version, transaction
from crm.platform.users import create_user, reset_password
from db.engine import Sessions
from db.models import AuditLog, Department, utcnow


def _audit(sessions: Sessions, entity_type: str) -> list[tuple]:  # type: ignore[type-arg]
    with sessions.read() as session:
        return [
            tuple(r)
            for r in session.execute(
                select(AuditLog.username, AuditLog.action, AuditLog.field, AuditLog.old_value, AuditLog.new_value)
                .where(AuditLog.entity_type == entity_type)
                .order_by(AuditLog.id)
            )
        ]


def test_create_update_archive_restore_are_audited_field_by_field(sessions: Sessions, admin: Actor) -> None:
    with transaction(sessions, actor=admin) as session:
        department = Department(code="svc", name="客户服务部", function="service")
        session.add(department)
        session.flush()
        department_id = department.id
    with transaction(sessions, actor=admin) as session:
        session.get(Department, department_id).name = "Service 服务部"  # type: ignore[union-attr]
    with transaction(sessions, actor=admin) as session:
        session.get(Department, department_id).archived_at = utcnow()  # type: ignore[union-attr]
    with transaction(sessions, actor=admin) as session:
        session.get(Department, department_id).archived_at = None  # type: ignore[union-attr]
    rows = _audit(sessions, "departments")
    assert ("root", "create", "name", None, "客户服务部") in rows
    assert ("root", "update", "name", "客户服务部", "Service 服务部") in rows
    assert [r[1] for r in rows if r[2] == "archived_at"] == ["archive", "restore"]


def test_a_failed_transaction_leaves_neither_data_nor_audit(sessions: Sessions, admin: Actor) -> None:
    with pytest.raises(RuntimeError), transaction(sessions, actor=admin) as session:
        session.add(Department(code="x", name="X", function="sales"))
        session.flush()
        raise RuntimeError("boom")
    with sessions.read() as session:
        assert session.scalar(select(func.count()).select_from(Department)) == 0
    assert _audit(sessions, "departments") == []


def test_password_changes_are_audited_without_the_hash(sessions: Sessions, admin: Actor) -> None:
    reset_password(sessions, actor=admin, user_id=admin.id, new_password="newer-pass-1")  # type: ignore[arg-type]
    rows = [r for r in _audit(sessions, "users") if r[2] == "password_hash"]
    assert rows and all(r[3] in (None, "***") and r[4] == "***" for r in rows)


def test_a_stale_version_is_refused_naming_who_changed_what(sessions: Sessions, admin: Actor) -> None:
    bob = create_user(
        sessions, actor=SYSTEM, username="bob", display_name="Bob", password="bob-pass-1", role="admin"
    ).as_actor()
    with transaction(sessions, actor=admin) as session:
        department = Department(code="s", name="Sales", function="sales")
        session.add(department)
        session.flush()
        seen_version, department_id = department.version, department.id
    with transaction(sessions, actor=bob) as session:
        session.get(Department, department_id).name = "Sales East"  # type: ignore[union-attr]
    with pytest.raises(VersionConflict) as caught, transaction(sessions, actor=admin) as session:
        record = session.get(Department, department_id)
        check_version(session, record, seen_version)  # type: ignore[arg-type]
        record.name = "Sales West"  # type: ignore[union-attr]
    assert caught.value.params["who"] == "bob"
    assert "name" in caught.value.params["fields"]
    with sessions.read() as session:
        assert session.get(Department, department_id).name == "Sales East"  # type: ignore[union-attr]


def test_the_same_form_token_never_writes_twice(sessions: Sessions, admin: Actor) -> None:
    token = uuid.uuid4().hex
    with transaction(sessions, actor=admin, token=token) as session:
        session.add(Department(code="a", name="A", function="sales"))
    with pytest.raises(DuplicateSubmission), transaction(sessions, actor=admin, token=token) as session:
        session.add(Department(code="b", name="B", function="sales"))
    with sessions.read() as session:
        assert session.scalar(select(func.count()).select_from(Department)) == 1


def test_audit_search_filters_and_pages_in_sql(sessions: Sessions, admin: Actor) -> None:
    for i in range(7):
        with transaction(sessions, actor=admin) as session:
            session.add(Department(code=f"d{i}", name=f"D{i}", function="sales"))
    rows, total = search_audit(sessions, actor=admin, entity_type="departments", page=0, page_size=5)
    assert total > 7 and len(rows) == 5 and rows[0]["id"] > rows[-1]["id"]
    _, none = search_audit(
        sessions,
        actor=admin,
        entity_type="departments",
        date_from=dt.date.today() + dt.timedelta(days=2),  # past tomorrow in any zone
    )
    assert none == 0
    with pytest.raises(ValidationError):
        search_audit(sessions, actor=admin, date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 1, 1))


def test_staff_and_viewers_cannot_read_the_audit_trail(sessions: Sessions) -> None:
    for role in ("staff", "viewer"):
        actor = create_user(
            sessions, actor=SYSTEM, username=role, display_name=role, password="pass-word-1", role=role
        ).as_actor()
        with pytest.raises(PermissionDenied):
            search_audit(sessions, actor=actor)
