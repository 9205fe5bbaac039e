"""Per-user preferences (the customer list's columns): small JSON values kept with the settings, one row per user."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from crm.platform.permissions import Actor
from crm.platform.uow import transaction
from db.engine import Sessions
from db.models import Setting

# Preference names and what each may hold; a value of another shape reads as "not set".
CUSTOMER_COLUMNS = "customers.columns"
_NAMES = frozenset({CUSTOMER_COLUMNS})
_MAX_ITEMS = 50


def _key(user_id: int, name: str) -> str:
    # settings.key is VARCHAR(64): "user.<id>.<name>" stays well inside it.
    return f"user.{user_id}.{name}"


def _clean(value: Any) -> list[str] | None:
    if not isinstance(value, list) or len(value) > _MAX_ITEMS:
        return None
    if not all(isinstance(item, str) and 0 < len(item) <= 64 for item in value):
        return None
    return list(dict.fromkeys(value))


def get_preference(sessions: Sessions, *, actor: Actor, name: str) -> list[str] | None:
    """Return the signed-in user's saved value for a preference, or None when they never chose one."""
    if name not in _NAMES or actor.id is None:
        return None
    with sessions.read() as session:
        return _clean(session.scalar(select(Setting.value).where(Setting.key == _key(actor.id, name))))


def set_preference(sessions: Sessions, *, actor: Actor, name: str, value: list[str] | None) -> None:
    """Save the signed-in user's value for a preference (None forgets it: the defaults apply again)."""
    if name not in _NAMES or actor.id is None:
        raise ValueError(f"unknown preference {name!r}")
    cleaned = None if value is None else _clean(value)
    if value is not None and cleaned is None:
        raise ValueError(f"bad value for preference {name!r}")
    key = _key(actor.id, name)
    for attempt in range(2):
        try:
            with transaction(sessions, actor=actor, operation="preferences.set") as session:
                row = session.get(Setting, key)
                if cleaned is None:
                    if row is not None:
                        session.delete(row)
                elif row is None:
                    session.add(Setting(key=key, value=cleaned))
                elif row.value != cleaned:
                    row.value = cleaned
            return
        except IntegrityError:  # the same user saved from another tab at the same moment: update theirs
            if attempt:
                raise
