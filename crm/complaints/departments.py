"""Departments (责任部门): the administrators' list, with names in both languages, a function and a head."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from crm.complaints.common import NAME_MAX, clean
from crm.complaints.vocab import DEPARTMENT_FUNCTIONS
from crm.platform.clock import utcnow
from crm.platform.errors import NotFound, ValidationCollector
from crm.platform.permissions import Actor, require
from crm.platform.uow import check_version, transaction
from crm.platform.validation import check_choice, check_code, check_length
from db.engine import Sessions
from db.models import Department, User


@dataclass(frozen=True)
class DepartmentView:
    id: int
    code: str
    name_en: str
    name_zh: str | None
    function: str
    head_id: int | None
    head_name: str | None
    members: int
    archived: bool
    version: int

    def label(self, language: str) -> str:
        """The department's name in the language (the English name where no Chinese one is kept)."""
        return self.name_zh or self.name_en if language == "zh" else self.name_en


@dataclass(frozen=True)
class DepartmentInput:
    code: str
    name_en: str
    name_zh: str | None = None
    function: str = "service"
    head_id: int | None = None


def department_label(name_en: str | None, name_zh: str | None, language: str) -> str | None:
    """A department's name in the language, from its two columns."""
    if language == "zh" and name_zh:
        return name_zh
    return name_en


def list_departments(sessions: Sessions, *, actor: Actor, include_archived: bool = False) -> list[DepartmentView]:
    """Return the departments with their heads and member counts, by name."""
    require(actor, "complaints.view")
    with sessions.read() as session:
        return _views(session, include_archived=include_archived)


def _views(
    session: Session, *, include_archived: bool = False, department_id: int | None = None
) -> list[DepartmentView]:
    head = aliased(User)
    members = (
        select(func.count()).where(User.department_id == Department.id, User.is_active.is_(True)).scalar_subquery()
    )
    stmt = (
        select(Department, head.display_name, members)
        .outerjoin(head, head.id == Department.head_id)
        .order_by(Department.name, Department.id)
    )
    if not include_archived:
        stmt = stmt.where(Department.archived_at.is_(None))
    if department_id is not None:
        stmt = stmt.where(Department.id == department_id)
    return [
        DepartmentView(
            id=d.id,
            code=d.code,
            name_en=d.name,
            name_zh=d.name_zh,
            function=d.function,
            head_id=d.head_id,
            head_name=head_name,
            members=int(count or 0),
            archived=d.archived_at is not None,
            version=d.version,
        )
        for d, head_name, count in session.execute(stmt)
    ]


def _validate(session: Session, data: DepartmentInput, *, department_id: int | None) -> ValidationCollector:
    errors = ValidationCollector()
    check_code(errors, "code", data.code)
    name = clean(data.name_en)
    if name is None:
        errors.add("name_en", "validation.required")
    check_length(errors, "name_en", name, NAME_MAX)
    check_length(errors, "name_zh", clean(data.name_zh), NAME_MAX)
    check_choice(errors, "function", data.function, DEPARTMENT_FUNCTIONS, required=True)
    taken = session.scalar(select(Department.id).where(Department.code == (data.code or "").strip()))
    if taken is not None and taken != department_id:
        errors.add("code", "validation.code_taken")
    if (
        data.head_id is not None
        and session.scalar(select(User.id).where(User.id == data.head_id, User.is_active.is_(True))) is None
    ):
        errors.add("head_id", "validation.choice")
    return errors


def save_department(
    sessions: Sessions,
    *,
    actor: Actor,
    data: DepartmentInput,
    department_id: int | None = None,
    version: int | None = None,
    token: str | None = None,
) -> DepartmentView:
    """Create a department, or change one (version: the one the form showed); administrators only.

    A new head is put in the department, so escalations and "my department" reach them.
    """
    require(actor, "departments.manage")
    with transaction(sessions, actor=actor, token=token, operation="departments.save") as session:
        errors = _validate(session, data, department_id=department_id)
        errors.raise_if_any()
        if department_id is None:
            department = Department(code=data.code.strip(), name="", function=data.function)
            session.add(department)
        else:
            department = _load(session, department_id)
            if version is not None:
                check_version(session, department, version)
        department.code = data.code.strip()
        department.name = clean(data.name_en) or ""
        department.name_zh = clean(data.name_zh)
        department.function = data.function
        department.head_id = data.head_id
        session.flush()
        if data.head_id is not None:
            head = session.get(User, data.head_id)
            if head is not None and head.department_id != department.id:
                head.department_id = department.id
        session.flush()
        return _views(session, include_archived=True, department_id=department.id)[0]


def archive_department(
    sessions: Sessions, *, actor: Actor, department_id: int, version: int, token: str | None = None
) -> None:
    """Archive a department (kept on the cases it handled; no longer offered); administrators only."""
    require(actor, "departments.manage")
    with transaction(sessions, actor=actor, token=token, operation="departments.archive") as session:
        department = _load(session, department_id)
        check_version(session, department, version)
        department.archived_at = utcnow()


def set_user_department(
    sessions: Sessions,
    *,
    actor: Actor,
    user_id: int,
    department_id: int | None,
    version: int | None = None,
    token: str | None = None,
) -> None:
    """Put a user in a department (None: in none); administrators only."""
    require(actor, "departments.manage")
    with transaction(sessions, actor=actor, token=token, operation="departments.member") as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(entity="users", id=user_id)
        if version is not None:
            check_version(session, user, version)
        if department_id is not None:
            _load(session, department_id)
        user.department_id = department_id


def _load(session: Session, department_id: int) -> Department:
    department = session.get(Department, department_id, with_for_update=True)
    if department is None or department.archived_at is not None:
        raise NotFound(entity="departments", id=department_id)
    return department


def live_department(session: Session, department_id: int) -> Department | None:
    """The department if it exists and is not archived."""
    department = session.get(Department, department_id)
    return department if department is not None and department.archived_at is None else None


def user_departments(sessions: Sessions, *, actor: Actor) -> dict[int, int | None]:
    """Return each user's department ({user id: department id or None}), for the administrators' member list."""
    require(actor, "departments.manage")
    with sessions.read() as session:
        return {
            user_id: department_id for user_id, department_id in session.execute(select(User.id, User.department_id))
        }
