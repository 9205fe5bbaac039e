"""Two people edit the same customer in two browsers: the later save is refused at the top of the form, then settled."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from crm.customers.service import CustomerInput, create_customer, get_customer
from crm.platform.i18n import t
from crm.platform.permissions import SYSTEM
from tests.e2e.conftest import PASSWORDS, CrmServer
from tests.e2e.test_sign_in_journey import UI_TIMEOUT_MS, new_context, open_app, sign_in, step, wait_idle

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = pytest.mark.e2e


def open_customer(page: Page, server: CrmServer, customer_id: int, name: str) -> Locator:
    """Go to the customer's 360 view; return its profile edit form."""
    page.goto(f"{server.base_url}/customers?customer={customer_id}", timeout=UI_TIMEOUT_MS)
    wait_idle(page)
    expect(page.get_by_role("heading", name=name)).to_be_visible(timeout=UI_TIMEOUT_MS)
    form = page.get_by_test_id("stForm").filter(has=page.get_by_label(t("customers.field.address"), exact=True))
    expect(form).to_be_visible(timeout=UI_TIMEOUT_MS)
    return form


def top(locator: Locator) -> float:
    box = locator.bounding_box()
    assert box is not None
    return float(box["y"])


def test_staff_refused_after_an_admins_save_see_both_addresses_and_keep_theirs_plus_their_notes(
    browser: Browser, crm_server: CrmServer, tmp_path: Path
) -> None:
    sessions = crm_server.database.sessions
    staff_user = crm_server.database.users["staff"]
    customer = create_customer(
        sessions, actor=SYSTEM, data=CustomerInput(name="Delta Clinics", address="1 Old Road", owner_id=staff_user.id)
    )
    shots = tmp_path / "shots"
    shots.mkdir()
    admin_context, staff_context = new_context(browser), new_context(browser)
    admin, staff = open_app(admin_context, crm_server), open_app(staff_context, crm_server)
    with step(admin, shots, crm_server, "0-admin-signed-in"):
        sign_in(admin, "admin", PASSWORDS["admin"])
    with step(staff, shots, crm_server, "0-staff-signed-in"):
        sign_in(staff, "staff", PASSWORDS["staff"])

    with step(staff, shots, crm_server, "1-both-open-the-customer"):
        admin_form = open_customer(admin, crm_server, customer.id, "Delta Clinics")
        staff_form = open_customer(staff, crm_server, customer.id, "Delta Clinics")

    with step(admin, shots, crm_server, "2-admin-saves-first"):
        admin_form.get_by_label(t("customers.field.address"), exact=True).fill("2 Manager Street")
        admin_form.get_by_role("button", name=t("common.save")).click()
        wait_idle(admin)
        expect(admin.get_by_text(t("customers.edit.saved", name="Delta Clinics"))).to_be_visible(timeout=UI_TIMEOUT_MS)
        assert get_customer(sessions, actor=SYSTEM, customer_id=customer.id).address == "2 Manager Street"

    with step(staff, shots, crm_server, "3-staff-refused-at-the-top-of-the-form"):
        staff_form.get_by_label(t("customers.field.address"), exact=True).fill("3 Staff Lane")
        staff_form.get_by_label(t("customers.field.notes"), exact=True).fill("Moved to a new office.")
        save = staff_form.get_by_role("button", name=t("common.save"))
        save.click()
        wait_idle(staff)
        message = staff_form.get_by_test_id("stAlertContentError").filter(has_text="Not saved")
        expect(message).to_be_visible(timeout=UI_TIMEOUT_MS)
        expect(message).to_contain_text("Ada Admin")
        expect(message).to_contain_text(t("customers.field.address"))
        # Above the inputs and the Save button, not under them where it would be missed.
        assert top(message) < top(staff_form.get_by_label(t("customers.field.name"), exact=True)) < top(save)
        expect(staff_form.get_by_text("2 Manager Street", exact=True)).to_be_visible()
        expect(staff_form.get_by_text("3 Staff Lane", exact=True)).to_be_visible()
        expect(staff_form.get_by_role("radio", name=t("customers.conflict.keep_theirs"))).to_be_checked()
        expect(staff_form.get_by_label(t("customers.field.notes"), exact=True)).to_have_value("Moved to a new office.")
        assert get_customer(sessions, actor=SYSTEM, customer_id=customer.id).notes is None

    with step(staff, shots, crm_server, "4-staff-saves-again-theirs-kept-notes-added"):
        save.click()
        wait_idle(staff)
        expect(staff.get_by_text(t("customers.edit.saved", name="Delta Clinics"))).to_be_visible(timeout=UI_TIMEOUT_MS)
        saved = get_customer(sessions, actor=SYSTEM, customer_id=customer.id)
        assert (saved.address, saved.notes) == ("2 Manager Street", "Moved to a new office.")
    admin_context.close()
    staff_context.close()
