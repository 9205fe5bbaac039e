"""Sign-in: passwords, lockout after five failures for 15 minutes whether the name exists or not, and sessions
voided by later events."""

from __future__ import annotations

import datetime as dt
import statistics
import time

import pytest
from sqlalchemy import select

from crm.platform import clock
from crm.platform.auth import LOCKOUT, MAX_FAILED_LOGINS, authenticate, name_key, session_user, sign_out_everywhere
from crm.platform.errors import AccountLocked, AuthenticationFailed
from crm.platform.i18n import t
from crm.platform.permissions import SYSTEM
from crm.platform.users import create_user, reset_password, set_active, set_role
from db.engine import Sessions
from db.models import SignInFailure, utcnow


@pytest.fixture
def alice(sessions: Sessions):  # type: ignore[no-untyped-def]
    create_user(sessions, actor=SYSTEM, username="root", display_name="Root", password="root-pass-1", role="admin")
    return create_user(
        sessions, actor=SYSTEM, username="alice", display_name="Alice", password="alice-pass-1", role="staff"
    )


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


@pytest.mark.parametrize("name", ["ali\x00ce", "alice\x00", "a l i c e", "<alice>"])
def test_a_name_no_account_can_have_is_refused_like_an_unknown_one(sessions: Sessions, alice, name: str) -> None:  # type: ignore[no-untyped-def]
    # A NUL in the username used to reach PostgreSQL, which cannot compare it: DataError, a crash at sign-in.
    with pytest.raises(AuthenticationFailed):
        authenticate(sessions, username=name, password="alice-pass-1")


def test_unknown_username_does_the_same_bcrypt_work_as_a_wrong_password(
    sqlite_sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    import crm.platform.auth

    create_user(
        sqlite_sessions, actor=SYSTEM, username="alice", display_name="A", password="alice-pass-1", role="staff"
    )
    checked: list[str] = []
    real_check = crm.platform.auth.password_matches
    monkeypatch.setattr(
        crm.platform.auth, "password_matches", lambda pw, hashed: checked.append(hashed) or real_check(pw, hashed)
    )

    def cost(hashed: str) -> str:
        return hashed.split("$")[2]  # "$2b$12$..." -> "12"

    for username in ("alice", "nobody"):
        with pytest.raises(AuthenticationFailed):
            authenticate(sqlite_sessions, username=username, password="wrong")
    assert len(checked) == 2 and cost(checked[0]) == cost(checked[1])


def test_unknown_username_takes_about_as_long_as_a_wrong_password(
    sqlite_sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_BCRYPT_ROUNDS", "10")
    import crm.platform.auth

    monkeypatch.setattr(crm.platform.auth, "_DUMMY_HASH", None)
    create_user(
        sqlite_sessions, actor=SYSTEM, username="alice", display_name="A", password="alice-pass-1", role="staff"
    )

    def timed(username: str) -> float:
        started = time.perf_counter()
        with pytest.raises(AuthenticationFailed):
            authenticate(sqlite_sessions, username=username, password="wrong")
        return time.perf_counter() - started

    timed("warm-up")  # builds the dummy hash once (another name: unknown names are counted too)
    samples = MAX_FAILED_LOGINS - 1  # stay below the lockout, which skips the real check
    unknown = statistics.median(timed("nobody") for _ in range(samples))
    wrong = statistics.median(timed("alice") for _ in range(samples))
    assert 0.33 < unknown / wrong < 3.0


@pytest.mark.parametrize("event", ["logout", "password", "role", "deactivate"])
def test_sessions_issued_before_a_security_event_are_void(sessions: Sessions, alice, event: str) -> None:  # type: ignore[no-untyped-def]
    signed_in_at = utcnow()
    assert session_user(sessions, username="alice", signed_in_at=signed_in_at) is not None
    with clock.frozen_at(signed_in_at + dt.timedelta(seconds=1)):  # the event comes a second after the sign-in
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
        signed_in_again = signed_in_at + dt.timedelta(seconds=2)
        assert session_user(sessions, username="alice", signed_in_at=signed_in_again) is not None


# --- the answers never tell which usernames exist ---------------------------------------------------------


def _answers(sessions: Sessions, username: str, attempts: list[tuple[str, dt.datetime]]) -> list[str]:
    """The message key each attempt (password, when) is answered with."""
    keys = []
    for password, when in attempts:
        try:
            authenticate(sessions, username=username, password=password, now=when)
            keys.append("signed_in")
        except (AuthenticationFailed, AccountLocked) as refusal:
            keys.append(refusal.key)
    return keys


def test_an_unknown_name_is_answered_like_an_account_and_locked_after_five_failures(sessions: Sessions, alice) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    attempts = [("wrong", now)] * MAX_FAILED_LOGINS + [("alice-pass-1", now + dt.timedelta(minutes=1))]
    expected = ["auth.invalid_credentials"] * (MAX_FAILED_LOGINS - 1) + ["auth.locked", "auth.locked"]
    assert _answers(sessions, "alice", attempts) == expected
    assert _answers(sessions, "nobody-here", attempts) == expected
    assert "if this account exists" in t("auth.locked", "en") and "如果该账号存在" in t("auth.locked", "zh")
    after = [("wrong", now + LOCKOUT)]
    assert (
        _answers(sessions, "alice", after) == _answers(sessions, "nobody-here", after) == ["auth.invalid_credentials"]
    )


def test_failures_count_while_each_comes_within_fifteen_minutes_of_the_last(sessions: Sessions, alice) -> None:  # type: ignore[no-untyped-def]
    start = utcnow()
    spread = [("wrong", start + i * (LOCKOUT + dt.timedelta(seconds=1))) for i in range(MAX_FAILED_LOGINS)]
    later = start + 10 * LOCKOUT
    close = [("wrong", later + i * LOCKOUT) for i in range(MAX_FAILED_LOGINS)]  # each just within the window
    for name in ("alice", "nobody-here"):
        assert _answers(sessions, name, spread) == ["auth.invalid_credentials"] * MAX_FAILED_LOGINS
    for name in ("alice", "nobody-here"):
        assert _answers(sessions, name, close)[-1] == "auth.locked"


def test_a_deactivated_account_is_answered_like_an_unknown_name(sessions: Sessions, alice) -> None:  # type: ignore[no-untyped-def]
    set_active(sessions, actor=SYSTEM, user_id=alice.id, active=False)
    now = utcnow()
    attempts = [("alice-pass-1", now)] * (MAX_FAILED_LOGINS + 1)
    assert _answers(sessions, "alice", attempts) == _answers(sessions, "nobody-here", attempts)


def test_unknown_names_are_kept_hashed_and_forgotten_after_the_lockout(sessions: Sessions) -> None:
    now = utcnow()
    for index in range(20):
        _answers(sessions, f"my-secret-password-{index}", [("x", now)])
    with sessions.read() as session:
        keys = list(session.scalars(select(SignInFailure.name_key)))
    assert len(keys) == 20 and not any("secret" in key for key in keys)
    _answers(sessions, "someone", [("x", now + LOCKOUT + dt.timedelta(seconds=1))])
    with sessions.read() as session:
        assert list(session.scalars(select(SignInFailure.name_key))) == [name_key("someone")]


def test_a_locked_unknown_name_takes_about_as_long_as_a_locked_account(
    sqlite_sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_BCRYPT_ROUNDS", "10")
    import crm.platform.auth

    monkeypatch.setattr(crm.platform.auth, "_DUMMY_HASH", None)
    create_user(
        sqlite_sessions, actor=SYSTEM, username="alice", display_name="A", password="alice-pass-1", role="staff"
    )
    now = utcnow()

    def timed(username: str) -> float:
        started = time.perf_counter()
        with pytest.raises((AuthenticationFailed, AccountLocked)):
            authenticate(sqlite_sessions, username=username, password="wrong", now=now)
        return time.perf_counter() - started

    for name in ("alice", "nobody"):  # the first failures, then the locked answers
        [timed(name) for _ in range(MAX_FAILED_LOGINS)]
    unknown = statistics.median(timed("nobody") for _ in range(5))
    locked = statistics.median(timed("alice") for _ in range(5))
    assert 0.33 < unknown / locked < 3.0
