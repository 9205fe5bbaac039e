"""A failed statement is logged and shown without the values it was given: no password hash, no username."""

from __future__ import annotations

import logging
import traceback

import pytest

import crm.platform.users
from crm.platform.permissions import SYSTEM
from crm.platform.users import create_user
from db.engine import Sessions, hide_values

FAKE_HASH = "$2b$04$SECRETSECRETSECRETSECRuJ8Y3hWx1e1H0gJ9e0n0aJcO1m2W3q4"


@pytest.fixture
def unchecked_create_user(monkeypatch: pytest.MonkeyPatch) -> None:
    """create_user with its checks skipped and a known hash, so that its INSERT is what fails."""
    monkeypatch.setattr(crm.platform.users, "_validate_new_user", lambda *args, **kwargs: None)
    monkeypatch.setattr(crm.platform.users, "hash_password", lambda password: FAKE_HASH)


def _logged(error: BaseException, caplog: pytest.LogCaptureFixture) -> str:
    """What the app's handlers write (log.exception: the message and the traceback with its causes)."""
    with caplog.at_level(logging.ERROR, logger="crm.ui"):
        try:
            raise error
        except BaseException:
            logging.getLogger("crm.ui").exception("unexpected error in users_create")
    return caplog.text + "".join(traceback.format_exception(error))


@pytest.mark.parametrize("failure", ["duplicate_username", "missing_role"])
def test_a_failed_create_user_logs_neither_the_hash_nor_the_username(
    sessions: Sessions, unchecked_create_user: None, caplog: pytest.LogCaptureFixture, failure: str
) -> None:
    create_user(
        sessions, actor=SYSTEM, username="firstuser", display_name="First", password="first-pass-1", role="staff"
    )
    username, role = ("firstuser", "staff") if failure == "duplicate_username" else ("seconduser", None)
    with pytest.raises(Exception) as failed:
        create_user(
            sessions, actor=SYSTEM, username=username, display_name="Second", password="second-pass-1", role=role
        )  # type: ignore[arg-type]
    text = _logged(failed.value, caplog)
    assert "INSERT INTO users" in text  # the statement itself is still there to debug with
    assert "SECRETSECRET" not in text
    assert username not in text.replace("users.username", "").replace("`username`", "")


def test_values_quoted_by_the_database_are_hidden() -> None:
    assert hide_values(
        'duplicate key value violates unique constraint "uq"\nDETAIL:  Key (username)=(bob) already exists.'
    ) == (
        'duplicate key value violates unique constraint "uq"\nDETAIL:  Key (username)=(values hidden) already exists.'
    )
    assert "hash" not in hide_values(
        'null value in column "role"\nDETAIL:  Failing row contains (1, bob, hash).\nCONTEXT:  x'
    )
    assert (
        hide_values("Duplicate entry 'bob' for key 'uq_users_username'")
        == "Duplicate entry (value hidden) for key 'uq_users_username'"
    )
    assert "13812345678" not in hide_values('invalid input syntax for type integer: "13812345678"')
