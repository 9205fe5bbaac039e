"""One user event = one transaction: actor for the audit trail, idempotency token, version checks."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import event, inspect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from crm.platform.audit import changes_since
from crm.platform.errors import (
    DatabaseBusy,
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
# A transaction the database gave up for another's locks: MariaDB/MySQL deadlock (1213) and lock wait timeout (1205),
# PostgreSQL deadlock (40P01), serialization failure (40001) and lock not available (55P03), SQLite's busy timeout.
_DEADLOCK_CODES = {1213}
_LOCK_TIMEOUT_CODES = {1205}
_RETRYABLE_STATES = {"40P01", "40001"}
_LOCK_TIMEOUT_STATES = {"55P03"}
_SQLITE_BUSY = ("database is locked", "database table is locked")
BUSY_ATTEMPTS = 3  # a use case given up as a deadlock victim is run this many times at most
T = TypeVar("T")


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
        busy = _busy(exc)
        if busy is not None:
            raise DatabaseBusy(retryable=busy) from exc
        raise


def _busy(error: DBAPIError) -> bool | None:
    """Whether the database gave the transaction up for another's locks: True when running it again at once may
    succeed (a deadlock victim), False when it already waited out a lock timeout, None for any other error."""
    orig = error.orig
    args = getattr(orig, "args", ())
    code = args[0] if args else None
    state = getattr(orig, "sqlstate", None)
    if code in _DEADLOCK_CODES or state in _RETRYABLE_STATES:
        return True
    if code in _LOCK_TIMEOUT_CODES or state in _LOCK_TIMEOUT_STATES or any(m in str(orig) for m in _SQLITE_BUSY):
        return False
    return None


def retry_when_busy(
    use_case: Callable[[], T], *, attempts: int = BUSY_ATTEMPTS, on_retry: Callable[[DatabaseBusy], None] | None = None
) -> T:
    """Call a use case; when the database gave it up as a deadlock victim, call it again (at most `attempts` times).

    Safe because the victim's transaction rolled back whole (its form token too): the next run reads the records
    again and checks their versions, so it saves or refuses as if it had come a moment later. A lock timeout is
    not retried (it has already waited); nor is anything else.
    """
    for attempt in range(1, attempts + 1):
        try:
            return use_case()
        except DatabaseBusy as busy:
            if not busy.retryable or attempt == attempts:
                raise
            if on_retry is not None:
                on_retry(busy)
            time.sleep(random.uniform(0.01, 0.05) * attempt)  # the winner commits meanwhile
    raise AssertionError("unreachable")


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
