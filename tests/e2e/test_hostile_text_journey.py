"""What users type stays text in a real browser: no image loaded, no link made, no HTML run, on every screen."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from crm.customers.records import ContactInput
from crm.customers.service import CustomerInput, create_customer, update_customer
from crm.follow_ups.service import log_contact
from crm.platform.permissions import SYSTEM
from crm.platform.users import create_user
from db.models import utcnow
from tests.e2e.conftest import CrmServer
from tests.e2e.test_sign_in_journey import UI_TIMEOUT_MS, open_app, sidebar, sign_in, step, wait_idle

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request

pytestmark = pytest.mark.e2e

# Markdown image and link, raw HTML with a script hook, emphasis, maths, a colour directive, bare URLs.
HOSTILE = (
    "![x](http://evil.example/x.png) [click](http://evil.example) <img src=http://evil.example/y.png "
    "onerror=alert(1)> **bold** $x$ :red[x] www.evil.example evil@evil.example"
)
SHORT = "![x](http://evil.example/n.png) [c](http://evil.example) <b>b</b> **bold** :red[r]"  # <= 120 characters
PASSWORD = "hostile-secret-1"


def assert_inert(page: Page, requests: list[str]) -> None:
    """Nothing on the page points at the evil host, and the browser never asked it for anything."""
    wait_idle(page)
    assert page.locator("img[src*='evil']").count() == 0
    links = page.locator("a[href*='evil']")
    assert links.count() == 0, [links.nth(i).evaluate("e => e.parentElement.outerHTML") for i in range(links.count())]
    assert page.locator("[data-testid='stMain'] strong", has_text="bold").count() == 0
    assert requests == []


def test_hostile_names_notes_and_timeline_entries_show_as_typed(
    browser: Browser, crm_server: CrmServer, tmp_path: Path
) -> None:
    sessions = crm_server.database.sessions
    user = create_user(
        sessions, actor=SYSTEM, username="hostile", display_name=SHORT, password=PASSWORD, role="manager"
    ).as_actor()
    customer = create_customer(
        sessions,
        actor=user,
        confirm_duplicates=True,
        data=CustomerInput(name=HOSTILE, owner_id=user.id, address=HOSTILE, notes=HOSTILE),
        contact=ContactInput(name=SHORT, phone="13812345678", email="evil@evil.example", is_primary=True),
    )
    long_note = "\n".join([HOSTILE] + [f"line {i} " + "很长的备注 long note " * 30 for i in range(12)])
    assert len(long_note) > 5000
    customer = update_customer(
        sessions, actor=user, customer_id=customer.id, version=customer.version, changes={"notes": long_note}
    )
    log_contact(
        sessions,
        actor=user,
        customer_id=customer.id,
        channel="phone",
        summary=HOSTILE,
        occurred_at=utcnow() - dt.timedelta(minutes=5),
    )

    shots = tmp_path / "shots"
    shots.mkdir()
    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 768})
    requests: list[str] = []
    dialogs: list[str] = []

    def record(request: Request) -> None:
        if "evil" in request.url:
            requests.append(request.url)

    context.on("request", record)
    page = open_app(context, crm_server)
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    with step(page, shots, crm_server, "1-sidebar"):
        sign_in(page, "hostile", PASSWORD)
        expect(sidebar(page).get_by_text("**bold**", exact=False)).to_be_visible(timeout=UI_TIMEOUT_MS)
        assert sidebar(page).get_by_text("<b>b</b>", exact=False).count() == 1
        assert_inert(page, requests)

    with step(page, shots, crm_server, "2-list"):
        page.goto(f"{crm_server.base_url}/customers", timeout=UI_TIMEOUT_MS)
        expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=UI_TIMEOUT_MS)
        assert_inert(page, requests)

    with step(page, shots, crm_server, "3-360"):
        page.goto(f"{crm_server.base_url}/customers?customer={customer.id}", timeout=UI_TIMEOUT_MS)
        title = page.get_by_test_id("stHeading").filter(has_text="![x](http").first
        expect(title).to_be_visible(timeout=UI_TIMEOUT_MS)
        assert "**bold**" in title.inner_text()
        facts = page.get_by_test_id("stTable")
        expect(facts.get_by_text("<img src=", exact=False)).to_be_visible()
        assert_inert(page, requests)

    with step(page, shots, crm_server, "4-timeline"):
        page.get_by_role("tab", name="Timeline").click()
        wait_idle(page)
        panel = page.get_by_role("tabpanel", name="Timeline")
        follow_up = panel.get_by_text("<img src=http", exact=False).first
        expect(follow_up).to_be_visible(timeout=UI_TIMEOUT_MS)
        assert "line 11" not in panel.inner_text()  # the long note shows its first lines only
        panel.get_by_role("button", name="Show more").first.click()
        wait_idle(page)
        expect(panel.get_by_text("line 11", exact=False)).to_be_visible(timeout=UI_TIMEOUT_MS)
        assert_inert(page, requests)

    assert dialogs == []
    context.close()
