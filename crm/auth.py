"""Sign-in checks against the database: bcrypt, lockout after failures, session and cookie validity."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from crm.audit import audit_row, write_audit
from crm.errors import AccountLocked, AuthenticationFailed
from crm.permissions import Actor
from crm.users import UserView, _view, hash_password, password_matches
from db.engine import Sessions
from db.models import User, utcnow

MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    # Checked against for unknown usernames, so they take as long to refuse as a wrong password.
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password("not-a-real-password")
    return _DUMMY_HASH


def authenticate(sessions: Sessions, *, username: str, password: str, now: dt.datetime | None = None) -> UserView:
    """Return the user if the password is right; count failures and lock after five for 15 minutes."""
    now = now or utcnow()
    username = (username or "").strip().lower()
    refusal: Exception | None = None
    with sessions.begin() as session:
        user = session.scalar(select(User).where(User.username == username)) if username else None
        if user is None or not user.is_active:
            password_matches(password or "", user.password_hash if user else _dummy_hash())
            raise AuthenticationFailed()
        if user.locked_until is not None and user.locked_until > now:
            password_matches(password or "", _dummy_hash())
            raise AccountLocked(until=user.locked_until)
        actor = Actor(id=user.id, username=user.username, display_name=user.display_name, role=user.role)
        if not password_matches(password or "", user.password_hash):
            failures = (user.failed_login_count if user.locked_until is None or user.locked_until > now else 0) + 1
            locked_until = now + LOCKOUT if failures >= MAX_FAILED_LOGINS else None
            # Core UPDATE: bookkeeping of sign-ins must not bump the record version staff edit against.
            session.execute(update(User).where(User.id == user.id).values(
                failed_login_count=0 if locked_until else failures, locked_until=locked_until))
            rows = [audit_row(actor, "login_failed", "users", user.id, field="failed_login_count", new=failures)]
            if locked_until:
                rows.append(audit_row(actor, "locked", "users", user.id, field="locked_until", new=locked_until))
            write_audit(session, rows)
            # The failure is committed (leaving the block normally), then refused.
            refusal = AccountLocked(until=locked_until) if locked_until else AuthenticationFailed()
        else:
            session.execute(update(User).where(User.id == user.id).values(
                failed_login_count=0, locked_until=None, last_login_at=now))
            write_audit(session, [audit_row(actor, "login", "users", user.id)])
            view = _view(user)
    if refusal is not None:
        raise refusal
    return view


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
