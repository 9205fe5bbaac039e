"""Per-user preferences: saved with the account, one value per user, forgotten on request."""

from __future__ import annotations

import pytest

from crm.platform.permissions import SYSTEM
from crm.platform.preferences import CUSTOMER_COLUMNS, get_preference, set_preference
from crm.platform.settings import read_settings
from crm.platform.users import create_user
from db.engine import Sessions


def make(sessions: Sessions, username: str):  # type: ignore[no-untyped-def]
    return create_user(
        sessions, actor=SYSTEM, username=username, display_name=username.title(), password="password-1", role="staff"
    ).as_actor()


def test_each_user_keeps_their_own_columns(sessions: Sessions) -> None:
    alice, bob = make(sessions, "alice"), make(sessions, "bob")
    assert get_preference(sessions, actor=alice, name=CUSTOMER_COLUMNS) is None
    set_preference(sessions, actor=alice, name=CUSTOMER_COLUMNS, value=["code", "name", "name", "tags"])
    set_preference(sessions, actor=bob, name=CUSTOMER_COLUMNS, value=["name"])
    set_preference(sessions, actor=alice, name=CUSTOMER_COLUMNS, value=["code", "name", "region"])
    assert get_preference(sessions, actor=alice, name=CUSTOMER_COLUMNS) == ["code", "name", "region"]
    assert get_preference(sessions, actor=bob, name=CUSTOMER_COLUMNS) == ["name"]
    assert "user.1.customers.columns" not in read_settings(sessions)  # not an administrator's setting


def test_forgetting_a_preference_brings_the_defaults_back(sessions: Sessions) -> None:
    alice = make(sessions, "alice")
    set_preference(sessions, actor=alice, name=CUSTOMER_COLUMNS, value=["name"])
    set_preference(sessions, actor=alice, name=CUSTOMER_COLUMNS, value=None)
    assert get_preference(sessions, actor=alice, name=CUSTOMER_COLUMNS) is None
    set_preference(sessions, actor=alice, name=CUSTOMER_COLUMNS, value=None)  # nothing to forget: no error


def test_unknown_preferences_and_bad_values_are_refused(sessions: Sessions) -> None:
    alice = make(sessions, "alice")
    with pytest.raises(ValueError):
        set_preference(sessions, actor=alice, name="anything", value=["x"])
    with pytest.raises(ValueError):
        set_preference(sessions, actor=alice, name=CUSTOMER_COLUMNS, value=["x" * 65])
    assert get_preference(sessions, actor=alice, name="anything") is None
