"""Application settings kept in the database, shared by every app server on it."""

from __future__ import annotations

import logging
import os
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm.platform.audit import audit_row, write_audit
from crm.platform.clock import DEFAULT_TIMEZONE, DEFAULT_WORKING_TIME, WORKING_TIME_SETTING, parse_time
from crm.platform.errors import ValidationCollector
from crm.platform.permissions import Actor, require
from crm.platform.uow import transaction
from db.engine import Sessions
from db.models import Setting

DEFAULTS: dict[str, Any] = {
    "staff_can_read_all": True,
    "timezone": DEFAULT_TIMEZONE,
    # The team view reads its per-owner figures from a snapshot younger than this (0: always live).
    "team_snapshot_max_age_minutes": 10,
    # When a follow-up planned for a day without a time is due, company-local HH:MM.
    WORKING_TIME_SETTING: DEFAULT_WORKING_TIME,
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
    if WORKING_TIME_SETTING in changes:
        value = changes[WORKING_TIME_SETTING]
        if not isinstance(value, str) or parse_time(value) is None:
            errors.add(WORKING_TIME_SETTING, "error.generic")
        else:  # one spelling, so an unchanged time is not audited as a change
            changes = {**changes, WORKING_TIME_SETTING: parse_time(value).strftime("%H:%M")}  # type: ignore[union-attr]
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


# How the re-login cookie's Secure flag is set. A deployment setting, read from the environment (CRM_COOKIE_SECURE),
# not kept in the database: it says how this server is reached, and servers behind different proxies may differ.
COOKIE_SECURE_SETTING = "CRM_COOKIE_SECURE"
COOKIE_SECURE_MODES = ("auto", "always", "never")


def cookie_secure_mode() -> str:
    """Return CRM_COOKIE_SECURE: auto (the default: Secure when the browser came over HTTPS), always or never."""
    mode = os.environ.get(COOKIE_SECURE_SETTING, "").strip().lower() or "auto"
    if mode not in COOKIE_SECURE_MODES:
        logging.getLogger("crm.platform.settings").warning(
            "%s=%r is none of %s: using auto", COOKIE_SECURE_SETTING, mode, ", ".join(COOKIE_SECURE_MODES)
        )
        return "auto"
    return mode


def cookie_is_secure(mode: str, *, page_url: str | None, forwarded_proto: str | None) -> bool:
    """Tell whether to mark the re-login cookie Secure (sent over HTTPS only).

    auto: when the page's address in the browser is https://, or a reverse proxy in front says so in
    X-Forwarded-Proto (its first value: the scheme the browser used).
    """
    if mode != "auto":
        return mode == "always"
    if page_url and page_url.lower().startswith("https://"):
        return True
    return (forwarded_proto or "").split(",")[0].strip().lower() == "https"
