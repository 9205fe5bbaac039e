"""Sign-in journey in a real browser: sign in, switch language, sign out, and replay the re-login cookie."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from crm.platform.permissions import SYSTEM
from crm.platform.users import get_user, reset_password
from tests.e2e.conftest import PASSWORDS, CrmServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Locator, Page

pytestmark = pytest.mark.e2e

COOKIE_NAME = "crm_auth"
APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
UI_TIMEOUT_MS = 30_000  # a cold Streamlit run (imports, migrations check) can take several seconds
COOKIE_TIMEOUT_MS = 15_000
SETTLE_MS = 1_500  # time for a late rerun (cookie component reporting back) to show up


@contextmanager
def step(page: Page, shots: Path, server: CrmServer, name: str) -> Iterator[None]:
    """Screenshot the page after a step, or as FAILED-<name>.png with the server log if it fails."""
    try:
        yield
    except BaseException:
        try:
            page.screenshot(path=str(shots / f"FAILED-{name}.png"), full_page=True)
        except Exception as error:  # noqa: BLE001 - never hide the real failure behind a screenshot one
            print(f"screenshot failed: {error}")
        print(f"--- screenshots in {shots}; server log tail ---\n{server.log_tail()}")
        raise
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def wait_idle(page: Page) -> None:
    """Wait until Streamlit has finished running the script for this page."""
    expect(page.locator(APP_IDLE)).to_be_attached(timeout=UI_TIMEOUT_MS)


def sidebar(page: Page) -> Locator:
    return page.get_by_test_id("stSidebar")


def password_box(page: Page) -> Locator:
    """The sign-in form's password field, in either language (a page left behind may have others)."""
    return page.locator("input[type='password'][aria-label='Password'], input[type='password'][aria-label='密码']")


def signed_in_banner(page: Page) -> Locator:
    return sidebar(page).get_by_text("Signed in as")


def open_app(context: BrowserContext, server: CrmServer) -> Page:
    page = context.new_page()
    page.goto(server.base_url, timeout=UI_TIMEOUT_MS)
    return page


def new_context(browser: Browser) -> BrowserContext:
    # An English browser, so the language before sign-in does not depend on the machine's locale.
    return browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})


def sign_in(page: Page, username: str, password: str) -> None:
    """Fill and submit the real sign-in form, then wait for the signed-in sidebar."""
    expect(page.get_by_label("Username")).to_be_visible(timeout=UI_TIMEOUT_MS)
    wait_idle(page)
    # A late rerun (the cookie reader reporting back) can swallow a click made while it replaces the page.
    page.wait_for_timeout(SETTLE_MS)
    wait_idle(page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(signed_in_banner(page)).to_be_visible(timeout=UI_TIMEOUT_MS)
    wait_idle(page)


def choose_language(page: Page, language: str) -> None:
    """Pick a language in the sidebar's selectbox (its label itself is translated, so find it by type)."""
    sidebar(page).get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name=language).click()


def auth_cookie(context: BrowserContext, page: Page) -> dict[str, Any] | None:
    """Return the re-login cookie once the browser has stored it, or None after a bounded wait."""
    for _ in range(COOKIE_TIMEOUT_MS // 250):
        for cookie in context.cookies():
            if cookie["name"] == COOKIE_NAME and cookie["value"]:
                return dict(cookie)
        page.wait_for_timeout(250)
    return None


def replay_cookie(browser: Browser, server: CrmServer, cookie: dict[str, Any]) -> tuple[BrowserContext, Page]:
    """Open a fresh browser holding only a copy of the given cookie, and load the app in it."""
    context = new_context(browser)
    context.add_cookies([{"name": COOKIE_NAME, "value": cookie["value"], "domain": "127.0.0.1", "path": "/"}])
    return context, open_app(context, server)


def landing(page: Page) -> str:
    """Tell where a freshly loaded page settles: 'app' (signed in) or 'login' (the sign-in form)."""
    expect(signed_in_banner(page).or_(password_box(page)).first).to_be_visible(timeout=UI_TIMEOUT_MS)
    wait_idle(page)
    page.wait_for_timeout(SETTLE_MS)
    wait_idle(page)
    if signed_in_banner(page).is_visible():
        return "app"
    assert password_box(page).is_visible(), "neither the signed-in app nor the sign-in form is shown"
    return "login"


def test_sign_out_voids_a_re_login_cookie_copied_before_it(
    browser: Browser, crm_server: CrmServer, tmp_path: Path
) -> None:
    """An admin signs in, uses the app in Chinese and English, signs out; a copy of their old cookie is then useless."""
    context = new_context(browser)
    try:
        page = open_app(context, crm_server)
        with step(page, tmp_path, crm_server, "01-signed-in"):
            sign_in(page, "admin", PASSWORDS["admin"])
            expect(sidebar(page).get_by_text("Ada Admin")).to_be_visible()
            expect(sidebar(page).get_by_role("button", name="Sign out")).to_be_visible()

        with step(page, tmp_path, crm_server, "02-chinese"):
            choose_language(page, "简体中文")
            expect(sidebar(page).get_by_role("button", name="退出登录")).to_be_visible(timeout=UI_TIMEOUT_MS)
            expect(sidebar(page).get_by_text("当前用户")).to_be_visible()
            wait_idle(page)
        assert get_user(crm_server.database.sessions, username="admin").language == "zh"

        with step(page, tmp_path, crm_server, "03-english-again"):
            choose_language(page, "English")
            expect(sidebar(page).get_by_role("button", name="Sign out")).to_be_visible(timeout=UI_TIMEOUT_MS)
            expect(signed_in_banner(page)).to_be_visible()
            wait_idle(page)
        assert get_user(crm_server.database.sessions, username="admin").language == "en"

        cookie = auth_cookie(context, page)
        assert cookie is not None, f"no {COOKIE_NAME} cookie after signing in: {context.cookies()}"

        with step(page, tmp_path, crm_server, "04-signed-out"):
            sidebar(page).get_by_role("button", name="Sign out").click()
            expect(password_box(page)).to_be_visible(timeout=UI_TIMEOUT_MS)
            expect(page.get_by_text("You have been signed out.")).to_be_visible()
            wait_idle(page)
            expect(signed_in_banner(page)).to_have_count(0)
            for _ in range(COOKIE_TIMEOUT_MS // 250):  # the sign-in page deletes this browser's cookie
                if not any(c["name"] == COOKIE_NAME and c["value"] for c in context.cookies()):
                    break
                page.wait_for_timeout(250)
            assert not [c for c in context.cookies() if c["name"] == COOKIE_NAME and c["value"]], (
                "signing out left the re-login cookie in this browser"
            )

        with step(page, tmp_path, crm_server, "05-reload-after-sign-out"):
            # Whether or not this browser still holds the cookie, reloading must not sign back in.
            page.reload(timeout=UI_TIMEOUT_MS)
            assert landing(page) == "login", "reloading after sign-out signs the user back in"
    finally:
        context.close()

    replayed, page = replay_cookie(browser, crm_server, cookie)
    try:
        with step(page, tmp_path, crm_server, "06-old-cookie-after-sign-out"):
            assert landing(page) == "login", "a cookie issued before sign-out still signs in"
            expect(page.get_by_label("Username")).to_be_visible()
    finally:
        replayed.close()


def test_copied_cookie_signs_in_until_the_password_is_reset(
    browser: Browser, crm_server: CrmServer, tmp_path: Path
) -> None:
    """A staff member's cookie copied to another browser signs in there, until an admin resets their password."""
    context = new_context(browser)
    try:
        page = open_app(context, crm_server)
        with step(page, tmp_path, crm_server, "11-staff-signed-in"):
            sign_in(page, "staff", PASSWORDS["staff"])
        cookie = auth_cookie(context, page)
        assert cookie is not None, f"no {COOKIE_NAME} cookie after signing in: {context.cookies()}"
    finally:
        context.close()

    copy, page = replay_cookie(browser, crm_server, cookie)
    try:
        with step(page, tmp_path, crm_server, "12-copied-cookie-signs-in"):
            assert landing(page) == "app", "a fresh cookie copied to another browser does not sign in"
            expect(sidebar(page).get_by_text("Sam Staff")).to_be_visible()

        staff = crm_server.database.users["staff"]
        reset_password(crm_server.database.sessions, actor=SYSTEM, user_id=staff.id, new_password="staff-secret-2")

        with step(page, tmp_path, crm_server, "13-open-session-ends-on-next-rerun"):
            choose_language(page, "简体中文")  # any interaction reruns the script, which re-checks the session
            expect(password_box(page)).to_be_visible(timeout=UI_TIMEOUT_MS)
            ended = page.get_by_text("Your session has ended").or_(page.get_by_text("您的会话已失效"))
            expect(ended.first).to_be_visible()
            wait_idle(page)
            expect(signed_in_banner(page)).to_have_count(0)
    finally:
        copy.close()

    replayed, page = replay_cookie(browser, crm_server, cookie)
    try:
        with step(page, tmp_path, crm_server, "14-copied-cookie-after-reset"):
            assert landing(page) == "login", "a cookie issued before a password reset still signs in"
    finally:
        replayed.close()
