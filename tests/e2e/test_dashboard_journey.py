"""The managers' dashboard in a real browser, in English and once in 中文: a manager signs in onto it, filters to a
department and a quarter (the address changes, so the view can be bookmarked), drills from a card into the
customers behind it, opens one's 360 view, comes back and downloads the report."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from crm.complaints import DepartmentInput, save_department
from crm.kpis import Period
from crm.platform import clock
from crm.platform.i18n import t
from crm.platform.permissions import SYSTEM
from crm.platform.users import create_user
from tests.crm.classification.classification_data import add_customer, add_orders
from tests.e2e.conftest import CrmServer
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
MANAGER_PASSWORD = "manager-secret-1"
LANGUAGES = {"en": "English", "zh": "简体中文"}


def choose(page: Page, label: str, option: str) -> None:
    """Pick an option in the main area's selectbox with this label, and wait for the run it starts."""
    box = page.get_by_test_id("stMain").get_by_test_id("stSelectbox").filter(has=page.get_by_text(label, exact=True))
    wait_idle(page)
    option_item = page.get_by_role("option", name=option, exact=True)
    for _ in range(3):  # a click landing as a late rerun redraws the box closes it again
        box.click()
        try:
            option_item.click(timeout=5_000)
            break
        except Exception:  # noqa: BLE001 - retried, then the last try fails loudly
            page.wait_for_timeout(SETTLE_MS)
    else:
        box.click()
        option_item.click()
    expect(box.get_by_role("combobox")).to_have_value(option, timeout=UI_TIMEOUT_MS)
    wait_idle(page)


def metric(page: Page, label: str) -> str:
    card = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return card.get_by_test_id("stMetricValue").inner_text(timeout=UI_TIMEOUT_MS)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_manager_filters_drills_into_a_customer_and_downloads_the_report(
    browser: Browser, crm_server: CrmServer, tmp_path: Path, lang: str
) -> None:
    sessions = crm_server.database.sessions
    create_user(sessions, actor=SYSTEM, username="lina", display_name="李娜", password=MANAGER_PASSWORD, role="manager")
    admin = crm_server.database.users["admin"].as_actor()
    sales = save_department(
        sessions, actor=admin, data=DepartmentInput(code="SALES", name_en="Sales", name_zh="销售部", function="sales")
    )
    save_department(
        sessions, actor=admin, data=DepartmentInput(code="CS", name_en="Service", name_zh="客服部", function="service")
    )
    # This quarter's new customers: two in Sales, one in another department.
    today = clock.today(clock.zone_named(clock.DEFAULT_TIMEZONE))  # the company's day (Shanghai)
    quarter = Period.quarter(today.year, (today.month - 1) // 3 + 1)
    ids = {}
    for code, name, department in (
        ("S1", "上海星河贸易有限公司", sales.id),
        ("S2", "Northwind Foods", sales.id),
        ("O1", "Contoso Elsewhere", None),
    ):
        ids[code] = add_customer(sessions, code, name=name, department_id=department, value_tier="high")
        add_orders(sessions, ids[code], [(quarter.start, "1200")])

    def tr(key: str, **params: object) -> str:
        return t(key, lang, **params)

    shots = tmp_path / "shots"
    shots.mkdir()
    context = new_context(browser)
    try:
        page = open_app(context, crm_server)
        with step(page, shots, crm_server, "01-lands-on-the-dashboard"):
            sign_in(page, "lina", MANAGER_PASSWORD)
            if lang != "en":
                choose_language(page, LANGUAGES[lang])
                expect(sidebar(page).get_by_role("button", name=tr("app.logout"))).to_be_visible(timeout=UI_TIMEOUT_MS)
            expect(page.get_by_role("heading", name=tr("dashboard.title"))).to_be_visible(timeout=UI_TIMEOUT_MS)
            wait_idle(page)
            page.wait_for_timeout(SETTLE_MS)
            wait_idle(page)
            assert metric(page, tr("kpis.kpi.customers")) == "3"

        with step(page, shots, crm_server, "02-a-department-and-a-quarter"):
            choose(page, tr("dashboard.filter.period"), tr("kpis.period.kind.quarter"))
            choose(page, tr("dashboard.filter.quarter"), quarter.label(lang))
            choose(page, tr("dashboard.filter.department"), "销售部" if lang == "zh" else "Sales")
            expect(page).to_have_url(re.compile(rf"period={quarter.key()}"), timeout=UI_TIMEOUT_MS)
            expect(page).to_have_url(re.compile(rf"department={sales.id}"))
            expect(
                page.get_by_test_id("stMetric")
                .filter(has=page.get_by_text(tr("kpis.kpi.new_customers"), exact=True))
                .get_by_test_id("stMetricValue")
            ).to_have_text("2", timeout=UI_TIMEOUT_MS)

        with step(page, shots, crm_server, "03-the-customers-behind-a-card"):
            card = page.locator(".st-key-dashboard_card_new_customers")
            card.get_by_role("button").click()
            wait_idle(page)
            expect(page.get_by_text(tr("dashboard.drill.open_360"))).to_be_visible(timeout=UI_TIMEOUT_MS)
            choose(page, tr("dashboard.drill.pick"), "上海星河贸易有限公司")

        with step(page, shots, crm_server, "04-one-customers-360-view"):
            link = page.get_by_role("link", name=tr("dashboard.drill.open_360"))
            expect(link).to_have_attribute("href", re.compile(rf"customer={ids['S1']}$"), timeout=UI_TIMEOUT_MS)
            link.click()
            expect(page.get_by_role("heading", name="上海星河贸易有限公司")).to_be_visible(timeout=UI_TIMEOUT_MS)
            expect(page).to_have_url(re.compile(r"/customers\?customer=\d+"))
            wait_idle(page)

        with step(page, shots, crm_server, "05-back-and-the-report"):
            page.go_back()
            expect(page).to_have_url(re.compile(rf"department={sales.id}"), timeout=UI_TIMEOUT_MS)
            expect(page.get_by_role("heading", name=tr("dashboard.title"))).to_be_visible(timeout=UI_TIMEOUT_MS)
            wait_idle(page)
            page.get_by_role("tab", name=tr("dashboard.tab.report")).click()
            wait_idle(page)
            with page.expect_download(timeout=60_000) as download:
                page.get_by_role("button", name=tr("report.panel.html")).click()
            html = Path(download.value.path()).read_text(encoding="utf-8")
            assert html.startswith("<!DOCTYPE html>")
            assert quarter.label(lang) in html
            assert (f"{tr('dashboard.filter.department')}: {'销售部' if lang == 'zh' else 'Sales'}") in html
            with page.expect_download(timeout=60_000) as download:
                page.get_by_role("button", name=tr("report.panel.pdf")).click()
            assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    finally:
        context.close()
