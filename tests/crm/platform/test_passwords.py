"""Password rules (length, username, common passwords), one's own password change, and the cookie's Secure flag."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from crm.cli import main
from crm.demo import DEMO_ACCOUNTS
from crm.platform.auth import authenticate, session_user
from crm.platform.errors import AuthenticationFailed, ValidationError
from crm.platform.passwords import COMMON_PASSWORDS_FILE, common_passwords, password_problem
from crm.platform.permissions import SYSTEM
from crm.platform.settings import cookie_is_secure, cookie_secure_mode
from crm.platform.users import change_own_password, create_user, reset_password
from db.engine import Sessions
from db.models import AuditLog, User


@pytest.mark.parametrize(
    ("password", "username", "problem"),
    [
        ("short-1", None, ("validation.password_short", {"min": 10})),
        ("123456789", None, ("validation.password_short", {"min": 10})),
        ("长" * 25, None, ("validation.too_long", {"max": 72})),  # 75 bytes: bcrypt would ignore the end
        ("alexander.wang", "alexander.wang", ("validation.password_username", {})),
        ("Alexander.Wang", "alexander.wang", ("validation.password_username", {})),
        ("gnaw.rednaxela", "alexander.wang", ("validation.password_username", {})),
        ("qwertyuiop", None, ("validation.password_common", {})),
        ("Password123", None, ("validation.password_common", {})),
        ("1q2w3e4r5t", "alice", ("validation.password_common", {})),
        ("manchester", None, ("validation.password_common", {})),
        ("alexander.wang-2026", "alexander.wang", None),  # contains the name, but long and not common
        ("correct horse battery", "alice", None),
        ("长城长城长城长城长城", None, None),  # ten characters, thirty bytes
    ],
)
def test_password_rules(password: str, username: str | None, problem: tuple[str, dict] | None) -> None:
    assert password_problem(password, username=username) == problem


def test_the_demo_passwords_still_pass_the_rules() -> None:
    for account in DEMO_ACCOUNTS:
        assert password_problem(account.password, username=account.username) is None, account.username


def test_the_shipped_list_holds_thirty_thousand_common_passwords_and_cites_its_source() -> None:
    passwords = common_passwords()
    assert len(passwords) == 30_000
    assert {"123456", "password", "qwertyuiop", "1qaz2wsx3edc", "password123"} <= passwords
    assert all(p == p.lower() and p.strip() == p and not p.startswith("#") for p in passwords)
    header = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").split("\n123456\n")[0]
    assert "zxcvbn-python 4.5.0" in header and "MIT License" in header and "Copyright (c) 2016 Daniel Wolf" in header


@pytest.mark.parametrize(
    ("password", "key"),
    [("iloveyou12", "validation.password_common"), ("li.wei.2026", "validation.password_username")],
)
def test_creating_an_account_refuses_a_weak_password_next_to_its_field(
    sessions: Sessions, password: str, key: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        create_user(
            sessions, actor=SYSTEM, username="li.wei.2026", display_name="李伟", password=password, role="staff"
        )
    assert caught.value.fields == {"password": (key, {})}
    with sessions.read() as session:
        assert session.scalar(select(User.id)) is None


def test_an_administrators_reset_refuses_the_accounts_own_name(sessions: Sessions) -> None:
    user = create_user(
        sessions, actor=SYSTEM, username="zhangwei88", display_name="张伟", password="first-pass-1", role="staff"
    )
    with pytest.raises(ValidationError) as caught:
        reset_password(sessions, actor=SYSTEM, user_id=user.id, new_password="88iewgnahz")
    assert caught.value.fields == {"password": ("validation.password_username", {})}
    assert authenticate(sessions, username="zhangwei88", password="first-pass-1").id == user.id


@pytest.fixture
def alice(sessions: Sessions):  # type: ignore[no-untyped-def]
    return create_user(
        sessions, actor=SYSTEM, username="alice", display_name="Alice", password="alice-pass-1", role="staff"
    )


def test_changing_ones_own_password_needs_the_current_one(sessions: Sessions, alice) -> None:  # type: ignore[no-untyped-def]
    with sessions.read() as session:
        hash_before = session.scalar(select(User.password_hash).where(User.id == alice.id))
    with pytest.raises(ValidationError) as caught:
        change_own_password(
            sessions, actor=alice.as_actor(), current_password="alice-pass-2", new_password="brand-new-pass-1"
        )
    assert caught.value.fields == {"current_password": ("validation.password_wrong", {})}
    with sessions.read() as session:
        assert session.scalar(select(User.password_hash).where(User.id == alice.id)) == hash_before
    assert authenticate(sessions, username="alice", password="alice-pass-1").id == alice.id


def test_a_new_own_password_follows_the_rules_too(sessions: Sessions, alice) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        change_own_password(sessions, actor=alice.as_actor(), current_password="alice-pass-1", new_password="ecila")
    assert caught.value.fields == {"new_password": ("validation.password_short", {"min": 10})}
    with pytest.raises(ValidationError) as caught:
        change_own_password(
            sessions, actor=alice.as_actor(), current_password="wrong-pass-1", new_password="football12"
        )
    assert caught.value.fields == {
        "current_password": ("validation.password_wrong", {}),
        "new_password": ("validation.password_common", {}),
    }


def test_changing_ones_own_password_signs_out_the_other_sessions(sessions: Sessions, alice) -> None:  # type: ignore[no-untyped-def]
    signed_in_before = dt.datetime.now(dt.UTC)  # a session that signed in after the account was made
    assert session_user(sessions, username="alice", signed_in_at=signed_in_before) is not None
    change_own_password(
        sessions, actor=alice.as_actor(), current_password="alice-pass-1", new_password="brand-new-pass-1"
    )
    assert session_user(sessions, username="alice", signed_in_at=signed_in_before) is None
    assert authenticate(sessions, username="alice", password="brand-new-pass-1").id == alice.id
    with pytest.raises(AuthenticationFailed):
        authenticate(sessions, username="alice", password="alice-pass-1")
    with sessions.read() as session:
        new_hash = session.scalar(select(User.password_hash).where(User.id == alice.id))
        audited = session.execute(
            select(AuditLog.action, AuditLog.field, AuditLog.old_value, AuditLog.new_value).where(
                AuditLog.entity_type == "users", AuditLog.entity_id == str(alice.id)
            )
        ).all()
    assert ("update", "password_hash", "***", "***") in [tuple(a) for a in audited]  # audited, the hash hidden
    assert all(new_hash not in (a.old_value or "") + (a.new_value or "") for a in audited)


def test_the_command_line_refuses_a_common_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CRM_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setattr("sys.stdin", io.StringIO("qwertyuiop\n"))
    assert main(["users", "add", "robert.smith", "--role", "staff"]) == 2
    assert "password: This is one of the most common passwords" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("robert.smith-2026\n"))
    assert main(["users", "add", "robert.smith", "--role", "staff"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("htims.trebor\n"))
    assert main(["users", "set-password", "robert.smith"]) == 2
    assert "password: The password must not be the username" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("mode", "url", "proto", "secure"),
    [
        ("auto", "https://crm.example.com/", None, True),
        ("auto", "http://localhost:8501/", None, False),
        ("auto", "http://10.0.0.5:8501/", "https", True),  # behind a proxy that ends TLS
        ("auto", "http://10.0.0.5:8501/", "https, http", True),
        ("auto", None, "http", False),
        ("auto", None, None, False),
        ("always", "http://localhost:8501/", None, True),
        ("never", "https://crm.example.com/", "https", False),
    ],
)
def test_the_relogin_cookie_is_secure_when_served_over_https(
    mode: str, url: str | None, proto: str | None, secure: bool
) -> None:
    assert cookie_is_secure(mode, page_url=url, forwarded_proto=proto) is secure


def test_the_cookie_setting_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRM_COOKIE_SECURE", raising=False)
    assert cookie_secure_mode() == "auto"
    monkeypatch.setenv("CRM_COOKIE_SECURE", " Always ")
    assert cookie_secure_mode() == "always"
    monkeypatch.setenv("CRM_COOKIE_SECURE", "yes please")
    assert cookie_secure_mode() == "auto"
