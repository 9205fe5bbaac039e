"""The app shell: first run, sign-in, lockout, navigation per role, language, sign-out, error page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from crm.platform.auth import MAX_FAILED_LOGINS
from crm.platform.permissions import PERMISSIONS, ROLES
from crm.platform.users import get_user, set_active
from db.engine import Sessions
from tests.app.conftest import APP, PASSWORDS, TIMEOUT, sign_in
from ui.navigation import PAGES, PROJECT_ROOT


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error] + [s.value for s in at.success]
    parts += [i.value for i in at.info] + [t.value for t in at.title] + [c.value for c in at.caption]
    return "\n".join(str(p) for p in parts)


def start() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def test_an_empty_database_opens_the_first_run_screen(app_sessions: Sessions) -> None:
    """As a new user on an empty database I am offered to create the admin or load the demo."""
    at = start()
    assert "Welcome" in at.title[0].value
    assert at.button(key="first_run_demo").label == "Load demo data"


def test_first_run_creates_the_administrator_and_reports_bad_fields(app_sessions: Sessions) -> None:
    """As a new user I create the administrator; mistakes are shown next to the fields."""
    at = start()
    at.text_input(key="first_run_admin_username").input("Bad Name!")
    at.text_input(key="first_run_admin_display_name").input("Root")
    at.text_input(key="first_run_admin_password").input("short")
    at.text_input(key="first_run_admin_repeat").input("short")
    at.button[0].click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("lowercase letters" in e for e in errors) and any("At least 10" in e for e in errors)
    assert get_user(app_sessions, username="root") is None

    at.text_input(key="first_run_admin_username").input("root")
    at.text_input(key="first_run_admin_password").input("root-pass-1")
    at.text_input(key="first_run_admin_repeat").input("root-pass-1")
    at.button[0].click().run()
    assert not at.exception
    created = get_user(app_sessions, username="root")
    assert created is not None and created.role == "admin"
    assert "Administrator created" in _texts(at)


def test_a_wrong_password_is_refused_with_a_message(role_accounts: Sessions) -> None:
    """As a user who mistypes my password I see a clear refusal, not the app."""
    at = start()
    sign_in(at, "staff", "not-my-password")
    assert not at.exception
    assert "Wrong username or password." in [e.value for e in at.error]
    assert "Signed in as" not in _texts(at)


def test_five_failures_lock_the_account_and_say_for_how_long(role_accounts: Sessions) -> None:
    """As an attacker guessing passwords I am locked out after five tries, even with the right one."""
    at = start()
    for _ in range(MAX_FAILED_LOGINS):
        sign_in(at, "staff", "guess")
    sign_in(at, "staff", PASSWORDS["staff"])
    assert not at.exception
    assert any("if this account exists, it is locked for 15 minutes" in e.value for e in at.error)
    assert "Signed in as" not in _texts(at)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_only_its_pages_and_every_page_renders(signed_in: Callable[[str], AppTest], role: str) -> None:
    """As each role I can open every page my role allows, without an error."""
    at = signed_in(role)
    assert "Signed in as" in _texts(at)
    for spec in PAGES:
        if not (PROJECT_ROOT / spec.path).exists() or role not in PERMISSIONS[spec.permission]:
            continue
        at.switch_page(spec.path).run()
        assert not at.exception, (spec.path, at.exception)
        assert "Your role may not open this page." not in [e.value for e in at.error], spec.path


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_pages_refuse_a_role_that_reaches_them_anyway(role_accounts: Sessions, role: str) -> None:
    """As staff or viewer, even running the admin page directly, I am refused at its top."""
    at = AppTest.from_file(str(PROJECT_ROOT / "pages" / "admin.py"), default_timeout=TIMEOUT)
    user = get_user(role_accounts, username=role)
    assert user is not None
    at.session_state["crm_actor"] = user.as_actor()
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Your role may not open this page."]
    assert not at.dataframe


def test_switching_to_chinese_translates_the_app_and_is_saved(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As a Chinese-speaking manager I switch to 简体中文 and the app, and my account, remember it."""
    at = signed_in("manager")
    at.selectbox(key="sidebar_language").set_value("zh").run()
    assert not at.exception
    assert "当前用户" in _texts(at)
    assert at.title[0].value == "经营看板"  # a manager starts on the dashboard
    user = get_user(role_accounts, username="manager")
    assert user is not None and user.language == "zh"


def test_signing_out_returns_to_the_sign_in_form(signed_in: Callable[[str], AppTest]) -> None:
    """As a user leaving a shared computer I sign out and the app asks for a password again."""
    at = signed_in("staff")
    at.button(key="sidebar_logout").click().run()
    assert not at.exception
    at.run()
    assert "Signed in as" not in _texts(at)
    assert [b.label for b in at.button] == ["Sign in"]


def test_a_deactivated_user_is_signed_out_at_their_next_click(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As an admin who deactivates someone, their open session ends at once."""
    at = signed_in("staff")
    staff = get_user(role_accounts, username="staff")
    admin = get_user(role_accounts, username="admin")
    assert staff and admin
    set_active(role_accounts, actor=admin.as_actor(), user_id=staff.id, active=False)
    at.run()
    assert not at.exception
    assert "Signed in as" not in _texts(at)
    assert "Your session has ended" in _texts(at)


def test_admin_creates_a_user_and_bad_input_is_shown_by_the_field(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As an admin I add a colleague; a bad email is pointed out before anything is saved."""
    at = signed_in("admin")
    at.switch_page("pages/admin.py").run()
    at.text_input(key="admin_new_username").input("wang.wei")
    at.text_input(key="admin_new_display_name").input("王伟")
    at.text_input(key="admin_new_email").input("wang@")
    at.text_input(key="admin_new_password").input("wang-pass-1")
    at.button(key="FormSubmitter:admin_new_user-Create user").click().run()
    assert not at.exception
    assert "Not a valid email address." in [e.value for e in at.error]
    assert get_user(role_accounts, username="wang.wei") is None
    at.text_input(key="admin_new_email").input("wang.wei@example.cn")
    at.button(key="FormSubmitter:admin_new_user-Create user").click().run()
    assert not at.exception
    created = get_user(role_accounts, username="wang.wei")
    assert created is not None and created.display_name == "王伟" and created.role == "staff"


def test_an_unreachable_database_shows_a_clear_page_without_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    """As an operator with a wrong database URL I get told what to check, never a traceback or the password."""
    monkeypatch.setenv("CRM_DATABASE_URL", "postgresql://crm:hunter2@127.0.0.1:1/crm")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    assert at.title[0].value == "The database cannot be reached"
    message = at.error[0].value
    assert "127.0.0.1:1/crm" in message and "hunter2" not in message and "***" in message


def _sign_in_as_chinese_manager(role_accounts: Sessions, choose: list[str]) -> AppTest:
    from crm.platform.users import set_language

    manager = get_user(role_accounts, username="manager")
    assert manager is not None
    set_language(role_accounts, actor=manager.as_actor(), language="zh")
    at = start()
    for language in choose:
        at.selectbox(key="public_language").set_value(language).run()
    sign_in(at, "manager", PASSWORDS["manager"])
    assert not at.exception, at.exception
    return at


def test_a_users_saved_language_applies_at_sign_in(role_accounts: Sessions) -> None:
    """As a manager whose account says 中文, I sign in without choosing and the app is in Chinese."""
    at = _sign_in_as_chinese_manager(role_accounts, [])
    assert "当前用户" in _texts(at)


def test_a_language_chosen_on_the_sign_in_screen_wins_and_is_saved(role_accounts: Sessions) -> None:
    """As a manager whose account says 中文, I pick English on the sign-in screen: the app stays English."""
    at = _sign_in_as_chinese_manager(role_accounts, ["zh", "en"])
    assert "Signed in as" in _texts(at) and "当前用户" not in _texts(at)
    user = get_user(role_accounts, username="manager")
    assert user is not None and user.language == "en"
    at.run()  # later runs keep it
    assert "Signed in as" in _texts(at)


def test_the_language_box_starts_on_the_pages_language(app_sessions: Sessions) -> None:
    """On the first-run screen in Chinese, the language box shows 简体中文 even if the browser dropped its value."""
    at = start()
    at.selectbox(key="public_language").set_value("zh").run()
    assert at.title[0].value.startswith("欢迎")
    assert at.selectbox(key="public_language").value == "zh"
    # The box's default is what the browser shows when it drops the value (it did on a fresh server).
    assert at.selectbox(key="public_language").proto.default == 1
