"""Two app servers, one PostgreSQL database (issue 18): two `streamlit run app.py` driven in Chromium at once.

What one server writes, the other reads on its next rerun; accounts, lockout and sessions live in the database, so a
sign-out or a password change on one server ends the same user's open session on the other, five wrong passwords on
one lock the account on both, and the re-login cookie (signed with the one CRM_COOKIE_KEY) signs in on either.

The database is a dedicated one next to CRM_TEST_POSTGRES_URL's (its name + "_two_servers"), created when missing;
where the user may not create databases, the suite's own database, emptied before and after as tests/conftest.py
empties it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError

from crm.customers.service import CustomerInput, create_customer
from crm.platform.i18n import t
from crm.platform.permissions import SYSTEM
from crm.platform.users import create_user
from db.engine import make_engine, make_session_factory, upgrade_database
from db.models import Customer, User
from tests.conftest import _server_engine, empty_tables
from tests.e2e.conftest import (
    PASSWORDS,
    CrmServer,
    E2eDatabase,
    running_servers,
)
from tests.e2e.test_sign_in_journey import (
    COOKIE_NAME,
    UI_TIMEOUT_MS,
    auth_cookie,
    landing,
    new_context,
    open_app,
    password_box,
    sidebar,
    sign_in,
    signed_in_banner,
    step,
    wait_idle,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

CUSTOMER = "Delta Clinics"
ADDRESS = "88 Century Avenue, Pudong, Shanghai"
NEW_STAFF_PASSWORD = "staff-secret-2-longer"
WRONG_PASSWORDS = 5


def _dedicated_engine(shared: Engine) -> Engine:
    """An engine on `<database>_two_servers` beside the suite's one, created if missing; else the suite's own."""
    url = shared.url
    name = f"{url.database}_two_servers"
    try:
        with shared.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    except DBAPIError as error:  # no CREATEDB right: share the suite's database, emptied like its tests do
        print(f"using {url.database} itself: cannot create {name}: {error.orig}")
        return shared
    return make_engine(url.set(database=name).render_as_string(hide_password=False))


@pytest.fixture
def shared_database(chromium_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[E2eDatabase]:
    """A migrated, empty PostgreSQL database with the admin and staff accounts and one customer of the staff."""
    monkeypatch.setenv("CRM_BCRYPT_ROUNDS", "4")
    suite_engine = _server_engine("postgresql")  # skips (or fails under CRM_REQUIRE_ALL_DATABASES=1) without it
    engine = _dedicated_engine(suite_engine)
    upgrade_database(engine)
    empty_tables(engine)
    sessions = make_session_factory(engine)
    users = {
        role: create_user(
            sessions,
            actor=SYSTEM,
            username=role,
            display_name=name,
            password=PASSWORDS[role],
            role=role,
        )
        for role, name in (("admin", "Ada Admin"), ("staff", "Sam Staff"))
    }
    create_customer(
        sessions, actor=users["staff"].as_actor(), data=CustomerInput(name=CUSTOMER), confirm_duplicates=True
    )
    url = engine.url.render_as_string(hide_password=False)
    try:
        yield E2eDatabase(url=url, sessions=sessions, users=users)
    finally:
        empty_tables(engine)
        engine.dispose()
        if engine is not suite_engine:
            suite_engine.dispose()


@pytest.fixture
def two_servers(shared_database: E2eDatabase, tmp_path: Path) -> Iterator[tuple[CrmServer, CrmServer]]:
    """`streamlit run app.py` twice, on two free ports, against the one database and with the one cookie key."""
    with running_servers(shared_database, tmp_path, ["streamlit-a", "streamlit-b"]) as (first, second):
        yield first, second


def rerun(page: Page) -> None:
    """Rerun the open page's script in its own Streamlit session (Streamlit's 'r' key), as any click would."""
    wait_idle(page)
    page.evaluate("document.activeElement && document.activeElement.blur()")  # the key is not typed into a box
    page.keyboard.press("r")
    page.wait_for_timeout(300)
    wait_idle(page)


def session_ended(page: Page) -> None:
    """The open page, on its next rerun, asks to sign in again and says why."""
    rerun(page)
    expect(password_box(page)).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_text(t("app.session_ended", "en")[:30])).to_be_visible()
    expect(signed_in_banner(page)).to_have_count(0)


def try_password(page: Page, username: str, password: str) -> None:
    """Submit the sign-in form once and wait for the run it starts."""
    expect(page.get_by_label("Username")).to_be_visible(timeout=UI_TIMEOUT_MS)
    wait_idle(page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_timeout(300)
    wait_idle(page)


def open_customer(page: Page, server: CrmServer, customer_id: int) -> None:
    page.goto(f"{server.base_url}/customers?customer={customer_id}", timeout=UI_TIMEOUT_MS)
    wait_idle(page)
    expect(page.get_by_role("heading", name=CUSTOMER)).to_be_visible(timeout=UI_TIMEOUT_MS)


def test_two_servers_share_data_accounts_lockout_and_sessions(
    browser: Browser, two_servers: tuple[CrmServer, CrmServer], tmp_path: Path
) -> None:
    """Sam works on server A in one browser and on server B in another; Ada's password is guessed on A."""
    server_a, server_b = two_servers
    database = server_a.database
    sessions = database.sessions
    with sessions.read() as session:
        customer_id = session.scalars(select(Customer.id)).one()
    started = time.monotonic()

    first, second, third = new_context(browser), new_context(browser), new_context(browser)
    try:
        page_a = open_app(first, server_a)
        with step(page_a, tmp_path, server_a, "01-signed-in-on-a"):
            sign_in(page_a, "staff", PASSWORDS["staff"])
        cookie = auth_cookie(first, page_a)
        assert cookie is not None, f"no {COOKIE_NAME} cookie after signing in on A: {first.cookies()}"

        # The cookie A issued signs in on B: a second browser holding a copy of it.
        second.add_cookies([{"name": COOKIE_NAME, "value": cookie["value"], "domain": "127.0.0.1", "path": "/"}])
        page_b = open_app(second, server_b)
        with step(page_b, tmp_path, server_b, "02-cookie-from-a-signs-in-on-b"):
            assert landing(page_b) == "app", "the cookie issued by server A does not sign in on server B"
            expect(sidebar(page_b).get_by_text("Sam Staff")).to_be_visible()

        # A change saved through A shows on B's next rerun.
        open_customer(page_a, server_a, customer_id)
        open_customer(page_b, server_b, customer_id)
        with step(page_a, tmp_path, server_a, "03-address-saved-on-a"):
            page_a.locator(".st-key-customers_edit_address input").fill(ADDRESS)
            page_a.locator(".st-key-customers_edit_submit button").click()
            wait_idle(page_a)
            expect(page_a.get_by_text(ADDRESS).first).to_be_visible(timeout=UI_TIMEOUT_MS)
        with sessions.read() as session:
            assert session.get(Customer, customer_id).address == ADDRESS  # type: ignore[union-attr]
        with step(page_b, tmp_path, server_b, "04-address-shown-on-b"):
            expect(page_b.get_by_text(ADDRESS)).to_have_count(0)
            rerun(page_b)
            expect(page_b.get_by_text(ADDRESS).first).to_be_visible(timeout=UI_TIMEOUT_MS)

        # Sam changes their password on A: A goes on, the session open on B ends.
        with step(page_a, tmp_path, server_a, "05-password-changed-on-a"):
            sidebar(page_a).get_by_text(t("account.title", "en")).click()
            sidebar(page_a).get_by_label(t("account.current_password", "en"), exact=True).fill(PASSWORDS["staff"])
            sidebar(page_a).get_by_label(t("account.new_password", "en"), exact=True).fill(NEW_STAFF_PASSWORD)
            sidebar(page_a).get_by_label(t("account.repeat_password", "en"), exact=True).fill(NEW_STAFF_PASSWORD)
            sidebar(page_a).get_by_role("button", name=t("account.change_password", "en")).click()
            expect(sidebar(page_a).get_by_text(t("account.password_changed", "en")[:20])).to_be_visible(
                timeout=UI_TIMEOUT_MS
            )
            wait_idle(page_a)
        with step(page_b, tmp_path, server_b, "06-session-on-b-ended-by-password-change"):
            session_ended(page_b)
        with step(page_a, tmp_path, server_a, "07-a-goes-on"):
            rerun(page_a)
            expect(signed_in_banner(page_a)).to_be_visible()

        # Sam signs in on B with the new password; signing out on A ends that session too.
        with step(page_b, tmp_path, server_b, "08-signed-in-on-b-with-the-new-password"):
            sign_in(page_b, "staff", NEW_STAFF_PASSWORD)
        with step(page_a, tmp_path, server_a, "09-signed-out-on-a"):
            sidebar(page_a).get_by_role("button", name="Sign out").click()
            expect(password_box(page_a)).to_be_visible(timeout=UI_TIMEOUT_MS)
        with step(page_b, tmp_path, server_b, "10-session-on-b-ended-by-sign-out"):
            session_ended(page_b)
            page_b.reload(timeout=UI_TIMEOUT_MS)  # a new session on B: its cookie, issued before, is void
            assert landing(page_b) == "login", "a cookie issued on B before the sign-out on A still signs in"

        # Five wrong passwords for Ada on A; the right one on B is then refused: the account is locked.
        guesser = open_app(third, server_a)
        with step(guesser, tmp_path, server_a, "11-five-wrong-passwords-on-a"):
            for attempt in range(WRONG_PASSWORDS):
                try_password(guesser, "admin", f"not-her-password-{attempt}")
            expect(guesser.get_by_text(t("auth.locked", "en")[:30])).to_be_visible(timeout=UI_TIMEOUT_MS)
        with step(page_b, tmp_path, server_b, "12-locked-on-b"):
            try_password(page_b, "admin", PASSWORDS["admin"])
            expect(page_b.get_by_text(t("auth.locked", "en")[:30])).to_be_visible(timeout=UI_TIMEOUT_MS)
            expect(signed_in_banner(page_b)).to_have_count(0)
        with sessions.read() as session:
            admin = session.scalars(select(User).where(User.username == "admin")).one()
            assert admin.locked_until is not None and admin.last_login_at is None
    finally:
        for context in (first, second, third):
            context.close()
    print(f"two servers: browser part took {time.monotonic() - started:.1f}s")
