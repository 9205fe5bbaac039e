"""Language and navigation in a real browser: the first-run language, the sign-in language, leaving a 360 view."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from crm.customers.service import CustomerInput, create_customer
from crm.platform.permissions import SYSTEM
from crm.platform.users import create_user, get_user
from db.engine import make_engine, make_session_factory, upgrade_database
from tests.e2e.conftest import (
    PASSWORDS,
    CrmServer,
    E2eDatabase,
    running_servers,
)
from tests.e2e.test_sign_in_journey import (
    UI_TIMEOUT_MS,
    new_context,
    open_app,
    sidebar,
    sign_in,
    signed_in_banner,
    step,
    wait_idle,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

SETTLE_MS = 1_500


@pytest.fixture
def empty_server(tmp_path: Path, chromium_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CrmServer]:
    """A fresh server on a migrated, empty database: the first-run screen."""
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = make_engine(url)
    upgrade_database(engine)
    database = E2eDatabase(url=url, sessions=make_session_factory(engine), users={})
    try:
        with running_servers(database, tmp_path, ["streamlit-empty"]) as (server,):
            yield server
    finally:
        engine.dispose()


def pick_language(page: Page, language: str) -> None:
    """Choose a language in the sidebar's selectbox, once the page has settled."""
    wait_idle(page)
    page.wait_for_timeout(SETTLE_MS)
    wait_idle(page)
    sidebar(page).get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name=language).click()


def test_the_first_run_screen_follows_each_language_chosen(
    browser: Browser, empty_server: CrmServer, tmp_path: Path
) -> None:
    """On a fresh server, I switch the welcome screen to 简体中文 and back to English, and it follows each time."""
    context = new_context(browser)
    try:
        page = open_app(context, empty_server)
        with step(page, tmp_path, empty_server, "21-first-run-english"):
            expect(page.get_by_text("Welcome: set up")).to_be_visible(timeout=UI_TIMEOUT_MS)
        with step(page, tmp_path, empty_server, "22-first-run-chinese"):
            pick_language(page, "简体中文")
            expect(page.get_by_text("欢迎：初始化")).to_be_visible(timeout=UI_TIMEOUT_MS)
        with step(page, tmp_path, empty_server, "23-first-run-english-again"):
            pick_language(page, "English")
            expect(page.get_by_text("Welcome: set up")).to_be_visible(timeout=UI_TIMEOUT_MS)
            wait_idle(page)
            page.wait_for_timeout(SETTLE_MS)
            expect(page.get_by_text("Welcome: set up")).to_be_visible()
            expect(page.get_by_role("button", name="Load demo data")).to_be_visible()
            expect(sidebar(page).get_by_role("combobox")).to_have_value("English")
    finally:
        context.close()


def test_the_menus_customers_leaves_a_360_view_for_the_list_with_its_filters(
    browser: Browser, crm_server: CrmServer, tmp_path: Path
) -> None:
    """In a customer's 360 view, I click Customers in the menu and get the list back, searched as I left it."""
    sessions = crm_server.database.sessions
    acme = create_customer(sessions, actor=SYSTEM, data=CustomerInput(name="Acme Robotics"))
    create_customer(sessions, actor=SYSTEM, data=CustomerInput(name="Acme Foods"))
    create_customer(sessions, actor=SYSTEM, data=CustomerInput(name="Northwind Traders"))
    context = new_context(browser)
    try:
        page = open_app(context, crm_server)
        with step(page, tmp_path, crm_server, "31-signed-in"):
            sign_in(page, "admin", PASSWORDS["admin"])
        with step(page, tmp_path, crm_server, "32-searched-list"):
            page.goto(f"{crm_server.base_url}/customers", timeout=UI_TIMEOUT_MS)
            wait_idle(page)
            search = page.get_by_placeholder("name, code", exact=False)
            search.fill("acme")
            search.press("Enter")
            wait_idle(page)
            expect(page.get_by_text("Northwind Traders")).to_have_count(0, timeout=UI_TIMEOUT_MS)
        with step(page, tmp_path, crm_server, "33-360"):
            page.get_by_role("combobox", name="Open customer").click()
            page.get_by_role("option", name="Acme Robotics", exact=False).click()
            expect(page.get_by_role("heading", name="Acme Robotics")).to_be_visible(timeout=UI_TIMEOUT_MS)
            wait_idle(page)
            assert f"customer={acme.id}" in page.url, page.url
        with step(page, tmp_path, crm_server, "34-menu-customers"):
            page.wait_for_timeout(SETTLE_MS)
            wait_idle(page)
            sidebar(page).get_by_role("link", name="Customers").click()
            expect(page.get_by_role("heading", name="Customers", exact=True)).to_be_visible(timeout=UI_TIMEOUT_MS)
            wait_idle(page)
            page.wait_for_timeout(SETTLE_MS)
            assert "customer=" not in page.url, page.url
            expect(page.get_by_role("heading", name="Acme Robotics")).to_have_count(0)
            expect(page.get_by_placeholder("name, code", exact=False)).to_have_value("acme")
            expect(page.get_by_text("Northwind Traders")).to_have_count(0)
        with step(page, tmp_path, crm_server, "35-next-click-stays-on-the-list"):
            # The browser must not send ?customer=ID back with the next click.
            page.get_by_placeholder("name, code", exact=False).fill("northwind")
            page.get_by_placeholder("name, code", exact=False).press("Enter")
            wait_idle(page)
            page.wait_for_timeout(SETTLE_MS)
            expect(page.get_by_role("heading", name="Customers", exact=True)).to_be_visible()
            expect(page.get_by_role("heading", name="Acme Robotics")).to_have_count(0)
            assert "customer=" not in page.url, page.url
    finally:
        context.close()


def test_an_english_choice_on_the_sign_in_screen_beats_a_chinese_account(
    browser: Browser, crm_server: CrmServer, tmp_path: Path
) -> None:
    """As a manager whose account says 中文, I pick English on the sign-in screen and stay in English."""
    sessions = crm_server.database.sessions
    create_user(
        sessions,
        actor=SYSTEM,
        username="lina",
        display_name="李娜 Li Na",
        password="lina-secret-1",
        role="manager",
        language="zh",
    )
    context = new_context(browser)
    try:
        page = open_app(context, crm_server)
        with step(page, tmp_path, crm_server, "41-chosen-english"):
            expect(page.get_by_label("Username")).to_be_visible(timeout=UI_TIMEOUT_MS)
            pick_language(page, "简体中文")
            expect(page.get_by_label("用户名")).to_be_visible(timeout=UI_TIMEOUT_MS)
            pick_language(page, "English")
            expect(page.get_by_label("Username")).to_be_visible(timeout=UI_TIMEOUT_MS)
        with step(page, tmp_path, crm_server, "42-signed-in-english"):
            sign_in(page, "lina", "lina-secret-1")
            page.wait_for_timeout(SETTLE_MS)
            wait_idle(page)
            expect(signed_in_banner(page)).to_be_visible()
            expect(sidebar(page).get_by_role("button", name="Sign out")).to_be_visible()
        user = get_user(sessions, username="lina")
        assert user is not None and user.language == "en"
    finally:
        context.close()
