"""User accounts: create, list, change role, deactivate, reset password, language; the first admin."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass

import bcrypt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.platform.clock import utcnow
from crm.platform.errors import NotFound, PermissionDenied, ValidationCollector
from crm.platform.i18n import LANGUAGES
from crm.platform.passwords import password_problem
from crm.platform.permissions import ROLES, SYSTEM, Actor, require
from crm.platform.uow import check_version, transaction
from crm.platform.validation import check_length, has_nul
from db.engine import Sessions
from db.models import User

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def bcrypt_rounds() -> int:
    # The test suite lowers the cost through the environment; production keeps bcrypt's default.
    return int(os.environ.get("CRM_BCRYPT_ROUNDS", "12"))


def hash_password(password: str) -> str:
    """Return a bcrypt hash of the password."""
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=bcrypt_rounds())).decode("ascii")


def password_matches(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8"), password_hash.encode("ascii"))
    except ValueError:
        return False


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    display_name: str
    email: str | None
    role: str
    language: str
    is_active: bool
    locked_until: dt.datetime | None
    last_login_at: dt.datetime | None
    version: int

    def as_actor(self) -> Actor:
        return Actor(
            id=self.id, username=self.username, display_name=self.display_name, role=self.role, language=self.language
        )


def _view(user: User) -> UserView:
    return UserView(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        email=user.email,
        role=user.role,
        language=user.language,
        is_active=user.is_active,
        locked_until=user.locked_until,
        last_login_at=user.last_login_at,
        version=user.version,
    )


def _validate_new_user(
    session: Session, *, username: str, display_name: str, email: str | None, password: str, role: str, language: str
) -> None:
    errors = ValidationCollector()
    if not USERNAME_PATTERN.match(username):
        errors.add("username", "validation.username_format")
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        errors.add("username", "validation.username_taken")
    if not display_name.strip():
        errors.add("display_name", "validation.required")
    else:
        check_length(errors, "display_name", display_name, 120)  # refuses NUL characters too
    if email and (has_nul(email) or not EMAIL_PATTERN.match(email)):
        errors.add("email", "validation.email")
    _check_password(errors, password, username=username)
    if role not in ROLES:
        errors.add("role", "validation.role")
    if language not in LANGUAGES:
        errors.add("language", "validation.language")
    errors.raise_if_any()


def _check_password(
    errors: ValidationCollector, password: str, field: str = "password", *, username: str | None = None
) -> None:
    problem = password_problem(password, username=username)
    if problem is not None:
        key, params = problem
        errors.add(field, key, **params)


def create_user(
    sessions: Sessions,
    *,
    actor: Actor,
    username: str,
    display_name: str,
    password: str,
    role: str,
    email: str | None = None,
    language: str = "en",
    token: str | None = None,
) -> UserView:
    """Create an account (admins only); the password is stored as a bcrypt hash."""
    require(actor, "users.manage")
    username = username.strip().lower()
    email = (email or "").strip() or None
    with transaction(sessions, actor=actor, token=token, operation="users.create") as session:
        _validate_new_user(
            session,
            username=username,
            display_name=display_name,
            email=email,
            password=password,
            role=role,
            language=language,
        )
        user = User(
            username=username,
            display_name=display_name.strip(),
            email=email,
            password_hash=hash_password(password),
            role=role,
            language=language,
        )
        session.add(user)
        session.flush()
        return _view(user)


def has_users(sessions: Sessions) -> bool:
    """Tell whether any account exists (false on a fresh database: show the first-run screen)."""
    with sessions.read() as session:
        return (session.scalar(select(func.count()).select_from(User)) or 0) > 0


def create_first_admin(
    sessions: Sessions, *, username: str, display_name: str, password: str, language: str = "en"
) -> UserView:
    """Create the administrator on an empty database; refused once any account exists."""
    with transaction(sessions, actor=SYSTEM, operation="users.first_admin") as session:
        if (session.scalar(select(func.count()).select_from(User)) or 0) > 0:
            raise PermissionDenied(permission="users.first_admin")
        _validate_new_user(
            session,
            username=username.strip().lower(),
            display_name=display_name,
            email=None,
            password=password,
            role="admin",
            language=language,
        )
        user = User(
            username=username.strip().lower(),
            display_name=display_name.strip(),
            password_hash=hash_password(password),
            role="admin",
            language=language,
        )
        session.add(user)
        session.flush()
        return _view(user)


def list_users(sessions: Sessions, *, actor: Actor) -> list[UserView]:
    """List every account (admins see all; managers see them for reassignment)."""
    if not (actor.can("users.manage") or actor.can("customers.reassign")):
        raise PermissionDenied(permission="users.list")
    with sessions.read() as session:
        return [_view(u) for u in session.scalars(select(User).order_by(User.username))]


def get_user(sessions: Sessions, *, username: str) -> UserView | None:
    with sessions.read() as session:
        user = session.scalar(select(User).where(User.username == username.strip().lower()))
        return _view(user) if user else None


def _load(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(entity="users", id=user_id)
    return user


def _ensure_other_admin(session: Session, user: User) -> None:
    if user.role == "admin" and user.is_active:
        others = session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == "admin", User.is_active.is_(True), User.id != user.id)
        )
        if not others:
            errors = ValidationCollector()
            errors.add("role", "validation.last_admin")
            errors.raise_if_any()


def set_role(sessions: Sessions, *, actor: Actor, user_id: int, role: str, version: int | None = None) -> UserView:
    """Change a user's role; their open sessions must sign in again."""
    require(actor, "users.manage")
    if role not in ROLES:
        errors = ValidationCollector()
        errors.add("role", "validation.role")
        errors.raise_if_any()
    with transaction(sessions, actor=actor, operation="users.set_role") as session:
        user = _load(session, user_id)
        if version is not None:
            check_version(session, user, version)
        if user.role != role:
            if role != "admin":
                _ensure_other_admin(session, user)
            user.role = role
            user.sessions_valid_after = utcnow()
        session.flush()
        return _view(user)


def set_active(sessions: Sessions, *, actor: Actor, user_id: int, active: bool, version: int | None = None) -> UserView:
    """Deactivate (signing the user out everywhere) or reactivate an account."""
    require(actor, "users.manage")
    with transaction(sessions, actor=actor, operation="users.set_active") as session:
        user = _load(session, user_id)
        if version is not None:
            check_version(session, user, version)
        if not active:
            if user.id == actor.id:
                errors = ValidationCollector()
                errors.add("is_active", "validation.self_deactivate")
                errors.raise_if_any()
            _ensure_other_admin(session, user)
            user.sessions_valid_after = utcnow()
        user.is_active = active
        session.flush()
        return _view(user)


def reset_password(sessions: Sessions, *, actor: Actor, user_id: int, new_password: str) -> UserView:
    """Set a new password (admins, or the user themself); every open session is signed out."""
    if actor.id != user_id:
        require(actor, "users.manage")
    errors = ValidationCollector()
    _check_password(errors, new_password)
    errors.raise_if_any()
    with transaction(sessions, actor=actor, operation="users.reset_password") as session:
        user = _load(session, user_id)
        _check_password(errors, new_password, username=user.username)
        errors.raise_if_any()
        user.password_hash = hash_password(new_password)
        user.sessions_valid_after = utcnow()
        user.failed_login_count = 0
        user.locked_until = None
        session.flush()
        return _view(user)


def change_own_password(sessions: Sessions, *, actor: Actor, current_password: str, new_password: str) -> UserView:
    """Change the signed-in user's password, given their current one; their other sessions are signed out.

    A wrong current password is refused next to its field (a session left open must not let a passer-by take
    the account over), as is a new password the rules refuse; nothing is written then.
    """
    if actor.id is None:
        raise PermissionDenied(permission="users.change_password")
    with transaction(sessions, actor=actor, operation="users.change_password") as session:
        user = _load(session, actor.id)
        errors = ValidationCollector()
        if not password_matches(current_password, user.password_hash):
            errors.add("current_password", "validation.password_wrong")
        _check_password(errors, new_password, "new_password", username=user.username)
        errors.raise_if_any()
        user.password_hash = hash_password(new_password)
        user.sessions_valid_after = utcnow()
        session.flush()
        return _view(user)


def unlock(sessions: Sessions, *, actor: Actor, user_id: int) -> UserView:
    """Clear a lockout before it expires by itself."""
    require(actor, "users.manage")
    with transaction(sessions, actor=actor, operation="users.unlock") as session:
        user = _load(session, user_id)
        user.failed_login_count = 0
        user.locked_until = None
        session.flush()
        return _view(user)


def set_language(sessions: Sessions, *, actor: Actor, language: str) -> None:
    """Save the signed-in user's language with their account."""
    if language not in LANGUAGES or actor.id is None:
        return
    with transaction(sessions, actor=actor, operation="users.set_language") as session:
        user = _load(session, actor.id)
        if user.language != language:
            user.language = language
