"""A complaint's whole life in a real browser, in 中文: filed, acknowledged, handed off, resolved, not satisfied,
reopened, resolved again, confirmed and closed, with its history shown."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from crm.complaints import DepartmentInput, save_department
from crm.customers.records import ContactInput
from crm.customers.service import CustomerInput, create_customer
from crm.platform.i18n import t
from crm.platform.permissions import SYSTEM
from db.engine import Sessions
from db.models import Complaint, ComplaintEvent
from tests.e2e.conftest import PASSWORDS, CrmServer
from tests.e2e.test_sign_in_journey import (
    SETTLE_MS,
    UI_TIMEOUT_MS,
    choose_language,
    new_context,
    open_app,
    sidebar,
    sign_in,
    step,
    wait_idle,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e
ZH = "zh"


def zh(key: str, **params: object) -> str:
    return t(key, ZH, **params)


def press(page: Page, label: str) -> None:
    """Press a form's submit button by its (Chinese) label and wait for the run it starts."""
    button = (
        page.get_by_test_id("stMain").get_by_test_id("stFormSubmitButton").get_by_role("button", name=label, exact=True)
    )
    # While a rerun draws the page anew, the form of the run before may still be on screen beside its successor.
    expect(button).to_have_count(1, timeout=UI_TIMEOUT_MS)
    button.click()
    wait_idle(page)


def filed_code(page: Page, sessions: Sessions) -> str:
    """The new complaint's reference, once its run has written it (on a loaded machine the run may start after
    the page looked idle to the click)."""
    deadline = time.monotonic() + UI_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        with sessions.read() as session:
            code = session.scalars(select(Complaint.code)).one_or_none()
        if code:
            return code
        page.wait_for_timeout(250)
    raise AssertionError("the complaint was not filed")


def status_shown(page: Page, status: str) -> None:
    expect(page.get_by_test_id("stMain").get_by_text(zh(f"complaint_status.{status}"), exact=True).first).to_be_visible(
        timeout=UI_TIMEOUT_MS
    )


def resolve(page: Page, text: str) -> None:
    page.get_by_label(zh("complaints.field.resolution"), exact=True).fill(text)
    press(page, zh("complaints.action.resolve"))
    status_shown(page, "resolved")


def confirm(page: Page, satisfied: bool) -> None:
    page.get_by_label(zh("complaints.field.confirmed_by"), exact=True).fill("周亮")
    answer = zh("complaints.ui.satisfied_close" if satisfied else "complaints.ui.not_satisfied_reopen")
    page.get_by_test_id("stRadio").get_by_text(answer, exact=True).click()
    press(page, zh("complaints.ui.record_confirmation"))


def test_a_complaint_from_intake_to_closed_in_chinese(browser: Browser, crm_server: CrmServer, tmp_path: Path) -> None:
    """An administrator working in Chinese files a complaint, moves it through every step to closed, and reads its
    history."""
    sessions = crm_server.database.sessions
    create_customer(
        sessions,
        actor=SYSTEM,
        data=CustomerInput(name="北京益华供应链管理有限责任公司"),
        contact=ContactInput(name="周亮", phone="13913259191", is_primary=True),
    )
    admin = crm_server.database.users["admin"].as_actor()
    save_department(
        sessions,
        actor=admin,
        data=DepartmentInput(code="CS", name_en="Customer service", name_zh="客户服务部", function="service"),
    )
    shots = tmp_path / "shots"
    shots.mkdir()
    context = new_context(browser)
    try:
        page = open_app(context, crm_server)
        with step(page, shots, crm_server, "01-signed-in-chinese"):
            sign_in(page, "admin", PASSWORDS["admin"])
            choose_language(page, "简体中文")
            expect(sidebar(page).get_by_role("button", name="退出登录")).to_be_visible(timeout=UI_TIMEOUT_MS)
            wait_idle(page)

        with step(page, shots, crm_server, "02-new-complaint"):
            page.goto(f"{crm_server.base_url}/complaints", timeout=UI_TIMEOUT_MS)
            expect(page.get_by_role("heading", name=zh("complaints.title"))).to_be_visible(timeout=UI_TIMEOUT_MS)
            wait_idle(page)
            page.wait_for_timeout(SETTLE_MS)
            page.get_by_role("tab", name=zh("complaints.tab.new")).click()
            wait_idle(page)
            page.get_by_label(zh("complaints.ui.customer_search")).fill("益华")
            page.get_by_label(zh("complaints.ui.customer_search")).press("Enter")
            wait_idle(page)
            description = page.get_by_label(zh("complaints.field.description"), exact=True)
            expect(description).to_be_visible(timeout=UI_TIMEOUT_MS)
            description.fill("第二批货物晚到两周，影响客户生产。")
            press(page, zh("complaints.ui.file"))
            code = filed_code(page, sessions)
            expect(page.get_by_text(zh("complaints.ui.filed", code=code))).to_be_visible(timeout=UI_TIMEOUT_MS)
            status_shown(page, "new")

        with step(page, shots, crm_server, "03-acknowledged-and-handed-off"):
            press(page, zh("complaints.action.acknowledge"))
            status_shown(page, "acknowledged")
            form = page.get_by_test_id("stForm").filter(
                has=page.get_by_test_id("stFormSubmitButton").get_by_role(
                    "button", name=zh("complaints.action.hand_off"), exact=True
                )
            )
            form.get_by_test_id("stSelectbox").first.click()
            page.get_by_role("option", name="客户服务部").click()
            press(page, zh("complaints.action.hand_off"))
            expect(page.get_by_text(zh("complaints.ui.handed_off", code=code))).to_be_visible(timeout=UI_TIMEOUT_MS)

        with step(page, shots, crm_server, "04-resolved"):
            press(page, zh("complaints.action.start"))
            status_shown(page, "in_progress")
            resolve(page, "补发了缺少的货物。")

        with step(page, shots, crm_server, "05-not-satisfied-reopened"):
            confirm(page, satisfied=False)
            status_shown(page, "reopened")
            expect(page.get_by_text(zh("complaints.ui.reopened_times", n=1))).to_be_visible()

        with step(page, shots, crm_server, "06-resolved-again"):
            press(page, zh("complaints.action.start"))
            status_shown(page, "in_progress")
            resolve(page, "整批重新发货，并赔偿运费。")

        with step(page, shots, crm_server, "07-closed-with-history"):
            confirm(page, satisfied=True)
            status_shown(page, "closed")
            expect(page.get_by_text(zh("complaints.ui.history"))).to_be_visible()
            main = page.get_by_test_id("stMain")
            expect(main.get_by_text("客户服务部").first).to_be_visible()
            expect(main.get_by_text(zh("complaints.ui.event.filed"))).to_be_visible()
            expect(main.get_by_text("整批重新发货，并赔偿运费。").first).to_be_visible()
            # nothing left to do (the sidebar's own "My account" form is not the complaint's)
            expect(page.get_by_test_id("stMain").get_by_test_id("stFormSubmitButton")).to_have_count(0)

        with sessions.read() as session:
            complaint = session.scalars(select(Complaint)).one()
            assert (complaint.status, complaint.reopen_count, complaint.customer_satisfied) == ("closed", 1, True)
            assert complaint.department_id is not None
            moves = [
                (e.from_status, e.to_status)
                for e in session.scalars(
                    select(ComplaintEvent).where(ComplaintEvent.kind == "transition").order_by(ComplaintEvent.id)
                )
            ]
        assert moves == [
            (None, "new"),
            ("new", "acknowledged"),
            ("acknowledged", "in_progress"),
            ("in_progress", "resolved"),
            ("resolved", "reopened"),
            ("reopened", "in_progress"),
            ("in_progress", "resolved"),
            ("resolved", "closed"),
        ]
    finally:
        context.close()
