"""Sign-in: passwords, lockout after five failures for 15 minutes, and sessions voided by later events."""

from __future__ import annotations

import datetime as dt
import statistics
import time

import pytest

from crm.auth import LOCKOUT, MAX_FAILED_LOGINS, authenticate, session_user, sign_out_everywhere
from crm.errors import AccountLocked, AuthenticationFailed
from crm.permissions import SYSTEM
from crm.users import create_user, reset_password, set_active, set_role
from db.engine import Sessions
from db.models import utcnow


@pytest.fixture
def alice(sessions: Sessions):  # type: ignore[no-untyped-def]
    create_user(sessions, actor=SYSTEM, username="root", display_name="Root", password="root-pass-1", role="admin")
    return create_user(sessions, actor=SYSTEM, username="alice", display_name="Alice", password="alice-pass-1",
                       role="staff")


def test_right_password_signs_in_and_wrong_one_does_not(sessions: Sessions, alice) -> None:  # type: ignore[no-untyped-def]
    assert authenticate(sessions, username=" Alice ", password="alice-pass-1").username == "alice"
    with pytest.raises(AuthenticationFailed):
        authenticate(sessions, username="alice", password="wrong")
    with pytest.raises(AuthenticationFailed):
        authenticate(sessions, username="nobody", password="alice-pass-1")


def test_five_failures_lock_the_account_even_against_the_right_password(sessions: Sessions, alice) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(AuthenticationFailed):
            authenticate(sessions, username="alice", password="wrong", now=now)
    with pytest.raises(AccountLocked) as caught:
        authenticate(sessions, username="alice", password="wrong", now=now)
    assert caught.value.params["until"] == now + LOCKOUT
    with pytest.raises(AccountLocked):
        authenticate(sessions, username="alice", password="alice-pass-1", now=now + LOCKOUT - dt.timedelta(seconds=1))


def test_lock_expires_by_itself_after_fifteen_minutes(sessions: Sessions, alice) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises((AuthenticationFailed, AccountLocked)):
            authenticate(sessions, username="alice", password="wrong", now=now)
    user = authenticate(sessions, username="alice", password="alice-pass-1", now=now + LOCKOUT)
    assert user.username == "alice" and user.locked_until is None


def test_a_success_resets_the_failure_count(sessions: Sessions, alice) -> None:  # type: ignore[no-untyped-def]
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(AuthenticationFailed):
            authenticate(sessions, username="alice", password="wrong")
    authenticate(sessions, username="alice", password="alice-pass-1")
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(AuthenticationFailed):
            authenticate(sessions, username="alice", password="wrong")


def test_deactivated_accounts_cannot_sign_in(sessions: Sessions, alice) -> None:  # type: ignore[no-untyped-def]
    set_active(sessions, actor=SYSTEM, user_id=alice.id, active=False)
    with pytest.raises(AuthenticationFailed):
        authenticate(sessions, username="alice", password="alice-pass-1")


def test_unknown_username_does_the_same_bcrypt_work_as_a_wrong_password(sqlite_sessions: Sessions,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import crm.auth

    create_user(sqlite_sessions, actor=SYSTEM, username="alice", display_name="A", password="alice-pass-1",
                role="staff")
    checked: list[str] = []
    real_check = crm.auth.password_matches
    monkeypatch.setattr(crm.auth, "password_matches",
                        lambda pw, hashed: checked.append(hashed) or real_check(pw, hashed))

    def cost(hashed: str) -> str:
        return hashed.split("$")[2]  # "$2b$12$..." -> "12"

    for username in ("alice", "nobody"):
        with pytest.raises(AuthenticationFailed):
            authenticate(sqlite_sessions, username=username, password="wrong")
    assert len(checked) == 2 and cost(checked[0]) == cost(checked[1])


def test_unknown_username_takes_about_as_long_as_a_wrong_password(sqlite_sessions: Sessions,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_BCRYPT_ROUNDS", "10")
    import crm.auth

    monkeypatch.setattr(crm.auth, "_DUMMY_HASH", None)
    create_user(sqlite_sessions, actor=SYSTEM, username="alice", display_name="A", password="alice-pass-1",
                role="staff")

    def timed(username: str) -> float:
        started = time.perf_counter()
        with pytest.raises(AuthenticationFailed):
            authenticate(sqlite_sessions, username=username, password="wrong")
        return time.perf_counter() - started

    timed("nobody")  # builds the dummy hash once
    samples = MAX_FAILED_LOGINS - 1  # stay below the lockout, which skips the real check
    unknown = statistics.median(timed("nobody") for _ in range(samples))
    wrong = statistics.median(timed("alice") for _ in range(samples))
    assert 0.33 < unknown / wrong < 3.0


@pytest.mark.parametrize("event", ["logout", "password", "role", "deactivate"])
def test_sessions_issued_before_a_security_event_are_void(sessions: Sessions, alice, event: str) -> None:  # type: ignore[no-untyped-def]
    signed_in_at = utcnow()
    assert session_user(sessions, username="alice", signed_in_at=signed_in_at) is not None
    time.sleep(0.01)
    if event == "logout":
        sign_out_everywhere(sessions, actor=alice.as_actor())
    elif event == "password":
        reset_password(sessions, actor=SYSTEM, user_id=alice.id, new_password="fresh-pass-1")
    elif event == "role":
        set_role(sessions, actor=SYSTEM, user_id=alice.id, role="manager")
    else:
        set_active(sessions, actor=SYSTEM, user_id=alice.id, active=False)
    assert session_user(sessions, username="alice", signed_in_at=signed_in_at) is None
    if event != "deactivate":
        assert session_user(sessions, username="alice", signed_in_at=utcnow()) is not None
