"""What the complaint modules share: their errors, the stored time limits, holidays, reference numbers, who may act."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm.complaints.sla import SlaPolicy
from crm.complaints.vocab import DEFAULT_CATEGORIES
from crm.platform.errors import CrmError, ValidationCollector, VersionConflict
from crm.platform.i18n import t
from crm.platform.permissions import Actor
from crm.platform.uow import check_version
from crm.platform.validation import TEXT_MAX, check_length, column_limit
from db.models import Customer, Holiday, ReferenceCounter, Setting, User, Versioned

SLA_SETTING = "complaints.sla"
CATEGORIES_SETTING = "complaints.categories"
NAME_MAX = 120


def status_label(status: str, language: str, vocabulary: str = "complaint_status") -> str:
    """A case's status in the user's language, for the messages that name it."""
    return t(f"{vocabulary}.{status}", language)


class TransitionNotAllowed(CrmError):
    """The action does not lead anywhere from the case's current status (a stale page, a forged request).

    params: status (the code), state (its label in the actor's language), action.
    """

    key = "complaints.error.transition"

    def __init__(
        self,
        *,
        status: str,
        action: str,
        language: str = "en",
        key: str | None = None,
        vocabulary: str = "complaint_status",
    ) -> None:
        super().__init__(key, status=status, state=status_label(status, language, vocabulary), action=action)
        self.status = status


class StaleCase(VersionConflict):
    """Someone moved the case since the page was shown: names who changed what, and the status it is in now."""

    key = "complaints.error.stale"

    def __init__(
        self,
        conflict: VersionConflict,
        *,
        status: str,
        language: str = "en",
        key: str | None = None,
        vocabulary: str = "complaint_status",
    ) -> None:
        super().__init__(entity=conflict.entity, changes=conflict.changes)
        if key:
            self.key = key
        self.params.update(status=status, state=status_label(status, language, vocabulary))
        self.status = status


def check_case_version(
    session: Session,
    record: Versioned,
    version: int,
    status: str,
    language: str = "en",
    key: str | None = None,
    vocabulary: str = "complaint_status",
) -> None:
    """Refuse a write on a case changed since `version`, naming who changed it and its current status."""
    try:
        check_version(session, record, version)
    except VersionConflict as conflict:
        raise StaleCase(conflict, status=status, language=language, key=key, vocabulary=vocabulary) from conflict


def check_text(errors: ValidationCollector, field: str, value: str | None, model: Any, column: str) -> None:
    """Check an optional text against its column's limit and for NUL characters."""
    check_length(errors, field, value, column_limit(model, column) or TEXT_MAX)


def clean(text: str | None) -> str | None:
    """Strip a text; empty becomes None."""
    text = (text or "").strip()
    return text or None


def load_policy(session: Session) -> SlaPolicy:
    """Return the stored time limits (the defaults until a manager saves some)."""
    return SlaPolicy.from_json(session.scalar(select(Setting.value).where(Setting.key == SLA_SETTING)))


def holidays_from(session: Session, start: dt.datetime, years: int = 2) -> frozenset[dt.date]:
    """Return the company holidays from the start's day over the next `years` years (working-hours mode)."""
    first = start.date() - dt.timedelta(days=1)
    last = first + dt.timedelta(days=366 * years)
    return frozenset(
        session.scalars(
            select(Holiday.date).where(Holiday.archived_at.is_(None), Holiday.date >= first, Holiday.date <= last)
        )
    )


def custom_categories(session: Session) -> list[dict[str, str]]:
    """The categories managers added to the default list: [{"code", "name_en", "name_zh"}]."""
    stored = session.scalar(select(Setting.value).where(Setting.key == CATEGORIES_SETTING))
    if not isinstance(stored, list):
        return []
    return [c for c in stored if isinstance(c, dict) and c.get("code")]


def category_codes(session: Session) -> tuple[str, ...]:
    return (
        *DEFAULT_CATEGORIES,
        *(c["code"] for c in custom_categories(session) if c["code"] not in DEFAULT_CATEGORIES),
    )


def actor_department(session: Session, actor: Actor) -> int | None:
    """The department the acting user belongs to."""
    if actor.id is None:
        return None
    return session.scalar(select(User.department_id).where(User.id == actor.id))


def may_handle(
    actor: Actor,
    actor_department_id: int | None,
    *,
    assignee_id: int | None,
    department_id: int | None,
    customer_owner_id: int | None,
) -> bool:
    """Tell whether the actor may move a case: managers always; staff when it is theirs, their department's,
    their customer's, or not yet routed to anyone."""
    if not actor.can("complaints.handle"):
        return False
    if actor.can("complaints.manage"):
        return True
    if actor.id is not None and actor.id in (assignee_id, customer_owner_id):
        return True
    if department_id is not None and department_id == actor_department_id:
        return True
    return assignee_id is None and department_id is None


def customer_owner(session: Session, customer_id: int) -> int | None:
    return session.scalar(select(Customer.owner_id).where(Customer.id == customer_id))


def draw_reference(session: Session, *, kind: str, year: int, column: Any) -> str:
    """Draw the next reference number KIND-YYYY-NNNNNN, gap-free per kind and year, inside the caller's transaction.

    The counter row is incremented with UPDATE ... SET n = n + 1, which locks it until the case is committed
    (PostgreSQL, MariaDB; SQLite serialises writers), so concurrent intakes queue on it and each takes the
    next number; a rolled-back intake rolls its increment back too. The first case of a year creates the row
    beforehand in a transaction of its own (an UPDATE of a missing row would take InnoDB gap locks that
    concurrent creators deadlock on), starting after any number already used that year outside the app.
    """
    table = ReferenceCounter.__table__
    match = (table.c.kind == kind) & (table.c.year == year)
    if session.scalar(select(table.c.year).where(match)) is None:
        _create_counter(session, kind, year, _highest(session, column, kind, year))
    bump = update(table).where(match).values(last_number=table.c.last_number + 1)
    prefix = f"{kind}-{year}-"
    while True:
        session.execute(bump)
        number = session.scalar(select(table.c.last_number).where(match).with_for_update())
        code = f"{prefix}{number:06d}"
        if session.scalar(select(column).where(column == code)) is None:
            return code
        # taken by a row written outside the app: the loop skips it


def _create_counter(session: Session, kind: str, year: int, start: int) -> None:
    row = {"kind": kind, "year": year, "last_number": start}
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":  # one writer at a time, and this one holds the lock: create it here
        with session.begin_nested():
            session.execute(insert(ReferenceCounter.__table__).values(**row))
        return
    engine = bind.engine  # an Engine's is itself
    try:
        with engine.begin() as connection:
            connection.execute(insert(ReferenceCounter.__table__).values(**row))
    except IntegrityError:
        pass  # another intake created it first


def _highest(session: Session, column: Any, kind: str, year: int) -> int:
    prefix = f"{kind}-{year}-"
    top = session.scalar(
        select(column).where(column >= f"{prefix}0", column < f"{prefix}:").order_by(column.desc()).limit(1)
    )
    return int(top[len(prefix) :]) if top and top[len(prefix) :].isdigit() else 0
