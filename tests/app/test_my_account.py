"""The sidebar's "My account": changing one's own password, and what sign-ins leave in the log."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from crm.platform.auth import authenticate, session_user
from crm.platform.errors import AuthenticationFailed
from crm.platform.permissions import SYSTEM
from crm.platform.users import create_user
from db.engine import Sessions
from db.models import User
from tests.app.conftest import APP, PASSWORDS, TIMEOUT, sign_in

SUBMIT = {
    "en": "FormSubmitter:account_password-Change my password",
    "zh": "FormSubmitter:account_password-修改我的密码",
}


def _change(at: AppTest, current: str, new: str, repeat: str | None = None, lang: str = "en") -> AppTest:
    at.text_input(key="account_password_current").input(current)
    at.text_input(key="account_password_new").input(new)
    at.text_input(key="account_password_repeat").input(new if repeat is None else repeat)
    at.button(key=SUBMIT[lang]).click().run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    return at


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.sidebar.error]


def test_a_wrong_current_password_is_refused_next_to_its_field(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff I cannot change my password without knowing the current one (a session left open is not enough)."""
    at = signed_in("staff")
    _change(at, "not-my-password-1", "fresh-staff-pass-1")
    assert _errors(at) == ["This is not your current password."]
    assert authenticate(role_accounts, username="staff", password=PASSWORDS["staff"]).username == "staff"


def test_a_common_new_password_and_a_mistyped_repeat_are_shown_under_their_fields(
    signed_in: Callable[[str], AppTest],
) -> None:
    """As staff I am told why my new password was refused, next to the field."""
    at = signed_in("staff")
    _change(at, PASSWORDS["staff"], "qwertyuiop")
    assert _errors(at) == ["This is one of the most common passwords, which are tried first: choose another."]
    _change(at, PASSWORDS["staff"], "fresh-staff-pass-1", repeat="fresh-staff-pass-2")
    assert _errors(at) == ["The two new passwords differ."]


def test_changing_my_password_keeps_this_session_and_ends_the_others(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff I change my password: I stay signed in here, every other session of mine ends."""
    other_session_since = dt.datetime.now(dt.UTC)
    at = signed_in("staff")
    _change(at, PASSWORDS["staff"], "fresh-staff-pass-1")
    assert not _errors(at)
    assert "Password changed." in at.sidebar.success[0].value
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert at.button(key="sidebar_logout")  # still signed in after the rerun
    assert session_user(role_accounts, username="staff", signed_in_at=other_session_since) is None
    assert authenticate(role_accounts, username="staff", password="fresh-staff-pass-1").username == "staff"
    with pytest.raises(AuthenticationFailed):
        authenticate(role_accounts, username="staff", password=PASSWORDS["staff"])


def test_the_account_panel_speaks_chinese(signed_in: Callable[[str], AppTest]) -> None:
    """As a Chinese-speaking manager I read the panel and its errors in Chinese."""
    at = signed_in("manager")
    at.selectbox(key="sidebar_language").set_value("zh").run(timeout=TIMEOUT)
    assert not at.exception
    assert at.sidebar.expander[0].label == "我的账户"
    _change(at, "not-my-password-1", "manager", lang="zh")
    assert sorted(_errors(at)) == sorted(["当前密码不正确。", "至少 10 个字符。"])


def test_sign_ins_leave_no_password_hash_or_email_in_the_log(
    role_accounts: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    """As an administrator reading the server log I find no password, hash or email from a sign-in."""
    create_user(
        role_accounts,
        actor=SYSTEM,
        username="wang.fang",
        display_name="王芳",
        email="wang.fang.private@example.cn",
        password="Fang-secret-2026",
        role="staff",
    )
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy.engine", "sqlalchemy.pool", "crm", "ui", "streamlit_authenticator"):
        caplog.set_level(logging.DEBUG, logger=name)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    sign_in(at, "wang.fang", "Wrong-guess-2026")
    assert not at.exception and not at.sidebar.button
    sign_in(at, "wang.fang", "Fang-secret-2026")
    assert not at.exception and at.button(key="sidebar_logout")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "FROM users" in logged  # the statements were logged, so a leak would show
    with role_accounts.read() as session:
        hashes = list(session.scalars(select(User.password_hash)))
    for secret in ("Wrong-guess-2026", "Fang-secret-2026", "wang.fang.private@example.cn", "$2b$", *hashes):
        assert secret not in logged, secret


@pytest.mark.parametrize(("setting", "secure"), [("always", True), ("auto", False)])
def test_the_relogin_cookie_is_marked_secure_as_configured(
    role_accounts: Sessions, monkeypatch: pytest.MonkeyPatch, setting: str, secure: bool
) -> None:
    """As the operator of an HTTPS site I have the re-login cookie sent over HTTPS only (auto: a plain test run)."""
    monkeypatch.setenv("CRM_COOKIE_SECURE", setting)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    sign_in(at, "staff", PASSWORDS["staff"])
    assert not at.exception
    options = at.session_state["crm_pending_cookie"]["arguments"]["options"]  # the component never reports back
    assert options.get("secure", False) is secure
    assert options["sameSite"] == "strict" and options["path"] == "/"
