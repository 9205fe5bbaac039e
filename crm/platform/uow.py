"""One user event = one transaction: actor for the audit trail, idempotency token, version checks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from crm.platform.audit import changes_since
from crm.platform.errors import (
    DatabaseFull,
    DatabaseReadOnly,
    DatabaseUnavailable,
    DuplicateSubmission,
    VersionConflict,
)
from crm.platform.permissions import Actor
from db.engine import (
    Sessions,
    is_connection_lost,
    is_disk_full_error,
    is_read_only_error,
    make_engine,
    make_session_factory,
    upgrade_database,
)
from db.models import IdempotencyToken, Versioned

# session.info key: {(table, id): version it was read at} of every versioned record a flush writes.
_WRITTEN = "crm_written_versions"
# At most this many written records are searched for the change that beat us (one query each).
_STALE_LOOKUPS = 20
_STALE_TABLE = re.compile(r"on table '([^']+)'")
_UNKNOWN_CHANGE = {"username": "?", "field": None, "at": None, "old_value": None, "new_value": None}


def open_sessions() -> Sessions:
    """Open the configured database, migrated to the latest schema (for the command line)."""
    engine = make_engine()
    upgrade_database(engine)
    return make_session_factory(engine)


@contextmanager
def transaction(
    sessions: Sessions, *, actor: Actor, token: str | None = None, operation: str = ""
) -> Iterator[Session]:
    """Open a write transaction for the actor; a reused form token raises DuplicateSubmission."""
    written: dict[tuple[str, Any], int] = {}
    try:
        with sessions.begin() as session:
            session.info["actor"] = actor
            session.info[_WRITTEN] = written
            if token:
                _claim_token(session, token=token, actor=actor, operation=operation)
            yield session
    except StaleDataError as exc:
        # Another transaction committed between our read and our UPDATE ... WHERE version = n: now that it
        # has, the audit trail says who changed what since the version we read.
        raise _stale_conflict(sessions, written, str(exc), operation) from exc
    except DBAPIError as exc:
        if is_read_only_error(exc):
            raise DatabaseReadOnly() from exc
        if is_disk_full_error(exc):
            raise DatabaseFull() from exc
        if is_connection_lost(exc):
            raise DatabaseUnavailable() from exc
        raise


@event.listens_for(Session, "before_flush")
def _remember_read_versions(session: Session, _flush_context: Any, _instances: Any) -> None:
    written = session.info.get(_WRITTEN)
    if written is None:
        return
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, Versioned):
            loaded = inspect(obj).dict  # no lazy load from inside a flush
            if loaded.get("id") is not None and loaded.get("version") is not None:
                written.setdefault((obj.__tablename__, loaded["id"]), int(loaded["version"]))


def _stale_conflict(
    sessions: Sessions, written: dict[tuple[str, Any], int], message: str, operation: str
) -> VersionConflict:
    """The conflict a StaleDataError stands for, naming who changed the record since we read it."""
    match = _STALE_TABLE.search(message)
    table = match.group(1) if match else None
    candidates = [(t, i, v) for (t, i), v in written.items() if table is None or t == table][:_STALE_LOOKUPS]
    with sessions.read() as session:
        for entity, record_id, version in candidates:
            changes = changes_since(session, entity, record_id, version)
            if changes:
                return VersionConflict(entity=entity, changes=changes)
    return VersionConflict(entity=table or operation or "record", changes=[dict(_UNKNOWN_CHANGE)])


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
        changes = changes_since(session, table, record.id, submitted_version)
        raise VersionConflict(entity=table, changes=changes or [dict(_UNKNOWN_CHANGE)])
