"""Application settings kept in the database, shared by every app server on it."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm.audit import audit_row, write_audit
from crm.errors import ValidationCollector
from crm.i18n import DEFAULT_TIMEZONE
from crm.permissions import Actor, require
from crm.uow import transaction
from db.engine import Sessions
from db.models import Setting

DEFAULTS: dict[str, Any] = {
    "staff_can_read_all": True,
    "timezone": DEFAULT_TIMEZONE,
    # The team view reads its per-owner figures from a snapshot younger than this (0: always live).
    "team_snapshot_max_age_minutes": 10,
}
EDITABLE = frozenset(DEFAULTS)


def get_setting(session: Session, key: str) -> Any:
    """Return a setting's value, or its default."""
    value = session.scalar(select(Setting.value).where(Setting.key == key))
    return DEFAULTS.get(key) if value is None else value


def read_settings(sessions: Sessions) -> dict[str, Any]:
    """Return every editable setting with its current value."""
    with sessions.read() as session:
        rows = session.execute(select(Setting.key, Setting.value).where(Setting.key.in_(EDITABLE))).all()
    stored: dict[str, Any] = {key: value for key, value in rows}
    return {key: stored.get(key, default) for key, default in DEFAULTS.items()}


def update_settings(sessions: Sessions, *, actor: Actor, changes: dict[str, Any]) -> dict[str, Any]:
    """Change editable settings in one audited transaction."""
    require(actor, "settings.manage")
    errors = ValidationCollector()
    for key in changes:
        if key not in EDITABLE:
            errors.add(key, "error.generic")
    if "timezone" in changes:
        from zoneinfo import available_timezones

        if changes["timezone"] not in available_timezones():
            errors.add("timezone", "error.generic")
    if "team_snapshot_max_age_minutes" in changes:
        minutes = changes["team_snapshot_max_age_minutes"]
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 <= minutes <= 24 * 60:
            errors.add("team_snapshot_max_age_minutes", "error.generic")
    errors.raise_if_any()
    with transaction(sessions, actor=actor, operation="settings.update") as session:
        rows = []
        for key, value in changes.items():
            row = session.get(Setting, key)
            old = row.value if row else DEFAULTS.get(key)
            if old == value:
                continue
            if row is None:
                session.add(Setting(key=key, value=value))
            else:
                row.value = value
            rows.append(audit_row(actor, "update", "settings", key, field=key, old=old, new=value))
        session.flush()
        write_audit(session, rows)
    return dict(changes)


def cookie_key(sessions: Sessions) -> str:
    """Return the cookie signing key, generating it once and keeping it with the database."""
    with sessions.read() as session:
        existing = session.scalar(select(Setting.value).where(Setting.key == "cookie_key"))
    if existing:
        return str(existing)
    try:
        with sessions.begin() as session:
            existing = session.scalar(select(Setting.value).where(Setting.key == "cookie_key"))
            if existing:
                return str(existing)
            key = secrets.token_urlsafe(48)
            session.add(Setting(key="cookie_key", value=key))
        return key
    except IntegrityError:  # another server generated it at the same moment: use theirs
        with sessions.read() as session:
            return str(session.scalar(select(Setting.value).where(Setting.key == "cookie_key")))
