"""No way around the export's protections in a real browser: a table's toolbar offers no raw CSV download."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from crm.customers.service import CustomerInput, create_customer
from crm.platform.permissions import SYSTEM
from tests.e2e.conftest import PASSWORDS, CrmServer
from tests.e2e.test_sign_in_journey import UI_TIMEOUT_MS, new_context, open_app, sign_in, step, wait_idle

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.e2e

EVIL = '=HYPERLINK("http://evil.example","x")'


def test_the_customer_lists_toolbar_has_search_but_no_raw_csv_download(
    browser: Browser, crm_server: CrmServer, tmp_path: Path
) -> None:
    """A name Excel would run as a link can leave only through the export, which quotes it."""
    create_customer(crm_server.database.sessions, actor=SYSTEM, data=CustomerInput(name=EVIL))
    shots = tmp_path / "shots"
    shots.mkdir()
    context = new_context(browser)
    page = open_app(context, crm_server)
    with step(page, shots, crm_server, "0-signed-in"):
        sign_in(page, "admin", PASSWORDS["admin"])
    with step(page, shots, crm_server, "1-toolbar-without-download"):
        page.goto(f"{crm_server.base_url}/customers", timeout=UI_TIMEOUT_MS)
        wait_idle(page)
        table = page.get_by_test_id("stDataFrame").first
        expect(table).to_be_visible(timeout=UI_TIMEOUT_MS)
        expect(page.get_by_text(EVIL).first).to_be_attached()  # the row is there (in the grid's hidden copy)
        table.hover()
        toolbar = page.get_by_test_id("stElementToolbar").filter(has=page.get_by_role("button", name="Search"))
        expect(toolbar.first).to_be_visible(timeout=UI_TIMEOUT_MS)  # the toolbar shows, with its other buttons
        expect(page.get_by_role("button", name=re.compile("Download as CSV"))).to_have_count(0)
    context.close()
