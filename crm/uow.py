"""One user event = one transaction: actor for the audit trail, idempotency token, version checks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

import crm.calendar_counts  # noqa: F401  (registers the listener that keeps the calendar's counts in step)
from crm.audit import changes_since
from crm.errors import DuplicateSubmission, VersionConflict
from crm.permissions import Actor
from db.engine import Sessions
from db.models import IdempotencyToken, Versioned


@contextmanager
def transaction(
    sessions: Sessions, *, actor: Actor, token: str | None = None, operation: str = ""
) -> Iterator[Session]:
    """Open a write transaction for the actor; a reused form token raises DuplicateSubmission."""
    try:
        with sessions.begin() as session:
            session.info["actor"] = actor
            if token:
                _claim_token(session, token=token, actor=actor, operation=operation)
            yield session
    except StaleDataError as exc:
        # Another transaction committed between our read and our UPDATE ... WHERE version = n.
        raise VersionConflict(entity=operation or "record", changes=[
            {"username": "?", "field": None, "at": None, "old_value": None, "new_value": None}
        ]) from exc


def _claim_token(session: Session, *, token: str, actor: Actor, operation: str) -> None:
    session.add(IdempotencyToken(token=token[:64], user_id=actor.id, operation=operation[:64]))
    try:
        session.flush()
    except IntegrityError as exc:
        raise DuplicateSubmission() from exc


def check_version(session: Session, record: Versioned, submitted_version: int) -> None:
    """Refuse the write if the record changed since the version the user saw."""
    if record.version != submitted_version:
        table = record.__tablename__
        changes = changes_since(session, table, record.id, submitted_version)  # type: ignore[attr-defined]
        raise VersionConflict(entity=table, changes=changes or [
            {"username": "?", "field": None, "at": None, "old_value": None, "new_value": None}
        ])
