"""Sign-in checks against the database: bcrypt, lockout after failures, session and cookie validity."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from crm.platform.audit import audit_row, write_audit
from crm.platform.clock import utcnow
from crm.platform.errors import AccountLocked, AuthenticationFailed
from crm.platform.permissions import Actor
from crm.platform.users import USERNAME_PATTERN, UserView, _view, hash_password, password_matches
from db.engine import Sessions, is_read_only_error
from db.models import SignInFailure, User

log = logging.getLogger("crm.platform.auth")

MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    # Checked against for unknown usernames, so they take as long to refuse as a wrong password.
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password("not-a-real-password")
    return _DUMMY_HASH


def name_key(username: str) -> str:
    """The key an unknown name's failures are counted under: its SHA-256 (people type passwords there)."""
    return hashlib.sha256(username.encode("utf-8")).hexdigest()


def authenticate(sessions: Sessions, *, username: str, password: str, now: dt.datetime | None = None) -> UserView:
    """Return the user if the password is right; count failures and lock after five in a row for 15 minutes.

    The answers never tell whether a username exists: a name that is no active account is refused in the same
    words after the same bcrypt work, its failures are counted alike (in sign_in_failures), and its fifth one
    in a row answers "if this account exists, it is locked". Failures count while each comes within 15 minutes
    of the previous one. On a read-only database nothing can be counted: the right password still signs in.
    """
    now = now or utcnow()
    username = (username or "").strip().lower()
    try:
        return _authenticate(sessions.begin, username=username, password=password, now=now, record=True)
    except DBAPIError as error:
        if not is_read_only_error(error):
            raise
    log.warning("the database is read-only: sign-ins are checked but neither counted nor recorded")
    return _authenticate(sessions.read, username=username, password=password, now=now, record=False)


def _authenticate(
    open_session: Callable[[], AbstractContextManager[Session]],
    *,
    username: str,
    password: str,
    now: dt.datetime,
    record: bool,
) -> UserView:
    refusal: Exception | None = None
    with open_session() as session:
        # A name no account can have (a NUL, which PostgreSQL cannot even compare, spaces, symbols) is refused
        # as an unknown name without asking the database for it.
        possible = bool(username) and USERNAME_PATTERN.fullmatch(username) is not None
        user = session.scalar(select(User).where(User.username == username)) if possible else None
        if user is None or not user.is_active:
            refusal = _refuse_unknown(session, username=username, password=password, now=now, record=record)
        elif user.locked_until is not None and user.locked_until > now:
            password_matches(password or "", _dummy_hash())
            refusal = AccountLocked(until=user.locked_until)
        elif not password_matches(password or "", user.password_hash):
            recent = user.last_failed_login_at is not None and now - user.last_failed_login_at <= LOCKOUT
            failures = (user.failed_login_count if recent else 0) + 1
            locked_until = now + LOCKOUT if failures >= MAX_FAILED_LOGINS else None
            if record:
                actor = Actor(id=user.id, username=user.username, display_name=user.display_name, role=user.role)
                # Core UPDATE: bookkeeping of sign-ins must not bump the record version staff edit against.
                session.execute(
                    update(User)
                    .where(User.id == user.id)
                    .values(
                        failed_login_count=0 if locked_until else failures,
                        last_failed_login_at=now,
                        locked_until=locked_until,
                    )
                )
                rows = [audit_row(actor, "login_failed", "users", user.id, field="failed_login_count", new=failures)]
                if locked_until:
                    rows.append(audit_row(actor, "locked", "users", user.id, field="locked_until", new=locked_until))
                write_audit(session, rows)
            # The failure is committed (leaving the block normally), then refused.
            refusal = AccountLocked(until=locked_until) if locked_until else AuthenticationFailed()
        else:
            if record:
                actor = Actor(id=user.id, username=user.username, display_name=user.display_name, role=user.role)
                session.execute(
                    update(User)
                    .where(User.id == user.id)
                    .values(failed_login_count=0, last_failed_login_at=None, locked_until=None, last_login_at=now)
                )
                write_audit(session, [audit_row(actor, "login", "users", user.id)])
            view = _view(user)
    if refusal is not None:
        raise refusal
    return view


def _refuse_unknown(session: Session, *, username: str, password: str, now: dt.datetime, record: bool) -> Exception:
    """Refuse a name that is no active account as a wrong password is refused, counting it the same way."""
    password_matches(password or "", _dummy_hash())
    key = name_key(username)
    row = session.get(SignInFailure, key)
    if row is not None and row.locked_until is not None and row.locked_until > now:
        return AccountLocked(until=row.locked_until)
    recent = row is not None and now - row.last_failed_at <= LOCKOUT
    failures = (row.failed_count if row is not None and recent else 0) + 1
    locked_until = now + LOCKOUT if failures >= MAX_FAILED_LOGINS else None
    if record:
        # Names whose last failure is older than the lockout are forgotten: the table stays small.
        session.execute(delete(SignInFailure).where(SignInFailure.last_failed_at < now - LOCKOUT))
        _upsert_failure(
            session,
            {
                "name_key": key,
                "failed_count": 0 if locked_until else failures,
                "last_failed_at": now,
                "locked_until": locked_until,
            },
        )
    return AccountLocked(until=locked_until) if locked_until else AuthenticationFailed()


def _upsert_failure(session: Session, values: dict[str, Any]) -> None:
    """Insert or replace a name's failure row in one statement: two app servers may count the same name at once."""
    table = SignInFailure.__table__
    changed = {name: value for name, value in values.items() if name != "name_key"}
    dialect = session.get_bind().dialect.name
    if dialect in ("mysql", "mariadb"):
        session.execute(mysql.insert(table).values(values).on_duplicate_key_update(changed))
    else:
        module: Any = postgresql if dialect == "postgresql" else sqlite
        session.execute(
            module.insert(table).values(values).on_conflict_do_update(index_elements=[table.c.name_key], set_=changed)
        )


def session_user(sessions: Sessions, *, username: str, signed_in_at: dt.datetime) -> UserView | None:
    """Return the user if a session or cookie issued at `signed_in_at` is still valid, else None.

    Checked on every rerun: logout, password change, role change or deactivation void every
    session and every copied cookie issued before them.
    """
    with sessions.read() as session:
        user = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
        if user is None or not user.is_active:
            return None
        if signed_in_at < user.sessions_valid_after:
            return None
        return _view(user)


def sign_out_everywhere(sessions: Sessions, *, actor: Actor) -> None:
    """Void every session and cookie of the actor issued until now (the logout button)."""
    if actor.id is None:
        return
    with sessions.begin() as session:
        session.execute(update(User).where(User.id == actor.id).values(sessions_valid_after=utcnow()))
        write_audit(session, [audit_row(actor, "logout", "users", actor.id)])
