"""A low score's whole life in a real browser: staff record NPS 3 for their customer, the alert and the callback
task appear, the follow-up is logged from the queue, the alert is gone, and a later 9 counts as recovered — the
second half in 中文."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from crm.customers.records import ContactInput
from crm.customers.service import CustomerInput, create_customer
from crm.platform.i18n import t
from crm.platform.permissions import SYSTEM
from crm.satisfaction import TemplateInput, create_template, satisfaction_figures
from db.engine import Sessions
from db.models import FollowUpTask, SurveyResponse
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
CUSTOMER = "Harbor Logistics Ltd"
DIMENSIONS = ("product_quality", "service_attitude", "response_speed", "problem_resolution", "value_for_money")


def open_tab(page: Page, label: str) -> None:
    page.get_by_role("tab", name=label, exact=True).click()
    wait_idle(page)


def open_satisfaction(page: Page, server: CrmServer, title: str) -> None:
    page.goto(f"{server.base_url}/satisfaction", timeout=UI_TIMEOUT_MS)
    expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=UI_TIMEOUT_MS)
    wait_idle(page)
    page.wait_for_timeout(SETTLE_MS)
    wait_idle(page)


def record(page: Page, lang: str, nps: int) -> None:
    """On the Record tab: find the customer, answer the likelihood to recommend, save."""
    search = page.get_by_label(t("complaints.ui.customer_search", lang))
    search.fill("Harbor")
    search.press("Enter")
    wait_idle(page)
    radio = page.get_by_test_id("stRadio").filter(has_text=t("satisfaction.field.nps", lang))
    expect(radio).to_be_visible(timeout=UI_TIMEOUT_MS)
    radio.get_by_text(str(nps), exact=True).click()
    page.get_by_test_id("stFormSubmitButton").get_by_role(
        "button", name=t("satisfaction.page.save_response", lang), exact=True
    ).click()
    wait_idle(page)


def responses_recorded(sessions: Sessions, count: int) -> list[Any]:
    """The responses (id, customer, NPS, alert, when), once the click's run has written `count` of them (the run
    may start after the page looked idle to the click on a loaded machine)."""
    deadline = time.monotonic() + UI_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        with sessions.read() as session:
            found = session.execute(
                select(
                    SurveyResponse.id,
                    SurveyResponse.customer_id,
                    SurveyResponse.nps,
                    SurveyResponse.alert,
                    SurveyResponse.responded_at,
                ).order_by(SurveyResponse.id)
            ).all()
        if len(found) >= count:
            return found
        time.sleep(0.25)
    raise AssertionError(f"{count} responses were not recorded")


def test_a_low_score_is_followed_up_and_recovered(browser: Browser, crm_server: CrmServer, tmp_path: Path) -> None:
    """Staff record NPS 3 for their own customer; the alert and the owner's callback task appear; logging the
    follow-up from the queue closes the alert; a later 9, recorded in Chinese, makes the recovery rate 100%."""
    sessions = crm_server.database.sessions
    staff = crm_server.database.users["staff"]
    admin = crm_server.database.users["admin"].as_actor()
    customer = create_customer(
        sessions,
        actor=SYSTEM,
        data=CustomerInput(name=CUSTOMER, owner_id=staff.id),
        contact=ContactInput(name="Nora Quinn", phone="13913259191", is_primary=True),
    )
    create_template(sessions, actor=admin, data=TemplateInput(name="Quarterly survey", dimensions=DIMENSIONS))
    shots = tmp_path / "shots"
    shots.mkdir()
    context = new_context(browser)
    try:
        page = open_app(context, crm_server)
        with step(page, shots, crm_server, "01-signed-in"):
            sign_in(page, "staff", PASSWORDS["staff"])

        with step(page, shots, crm_server, "02-nps-3-raises-an-alert"):
            open_satisfaction(page, crm_server, t("satisfaction.page.title"))
            open_tab(page, t("satisfaction.tab.record"))
            record(page, "en", 3)
            (low,) = responses_recorded(sessions, 1)
            assert (low.customer_id, low.nps, low.alert) == (customer.id, 3, True)
            expect(page.get_by_text(t("satisfaction.page.saved", customer=CUSTOMER))).to_be_visible(
                timeout=UI_TIMEOUT_MS
            )
            expect(page.get_by_text("Low score: an alert was raised.", exact=False)).to_be_visible()
            expect(page.get_by_text(t("purpose.survey"), exact=False).first).to_be_visible()

        with step(page, shots, crm_server, "03-the-alert-is-listed"):
            open_tab(page, t("satisfaction.tab.alerts"))
            metric = page.get_by_test_id("stMetric").filter(has_text=t("satisfaction.page.alerts_count"))
            expect(metric.get_by_test_id("stMetricValue")).to_have_text("1", timeout=UI_TIMEOUT_MS)
            expect(page.get_by_test_id("stMain").get_by_text(CUSTOMER, exact=False).first).to_be_visible()
        with sessions.read() as session:
            task = session.scalars(select(FollowUpTask).where(FollowUpTask.source_survey_id == low.id)).one()
            assert (task.owner_id, task.purpose, task.status) == (staff.id, "survey", "open")
            task_id = task.id

        with step(page, shots, crm_server, "04-follow-up-logged-from-the-queue"):
            page.goto(f"{crm_server.base_url}/follow_ups", timeout=UI_TIMEOUT_MS)
            expect(page.get_by_role("heading", name=t("follow_ups.title"))).to_be_visible(timeout=UI_TIMEOUT_MS)
            wait_idle(page)
            page.wait_for_timeout(SETTLE_MS)
            main = page.get_by_test_id("stMain")
            expect(main.get_by_text(CUSTOMER).first).to_be_visible(timeout=UI_TIMEOUT_MS)
            expect(main.get_by_text(t("purpose.survey"), exact=False).first).to_be_visible()
            main.get_by_role("button", name=t("follow_ups.queue.log")).first.click()
            wait_idle(page)
            summary = page.get_by_label(t("follow_ups.field.summary"), exact=True)
            expect(summary).to_be_visible(timeout=UI_TIMEOUT_MS)
            summary.fill("Called Nora: the delivery delay is fixed and the invoice corrected.")
            page.get_by_test_id("stFormSubmitButton").get_by_role(
                "button", name=t("follow_ups.log.submit"), exact=True
            ).click()
            wait_idle(page)
            expect(page.get_by_text(t("follow_ups.log.done"), exact=False).first).to_be_visible(timeout=UI_TIMEOUT_MS)
        with sessions.read() as session:
            assert session.get(FollowUpTask, task_id).status == "done"  # type: ignore[union-attr]

        with step(page, shots, crm_server, "05-chinese-the-alert-is-gone"):
            choose_language(page, "简体中文")
            expect(sidebar(page).get_by_role("button", name="退出登录")).to_be_visible(timeout=UI_TIMEOUT_MS)
            wait_idle(page)
            open_satisfaction(page, crm_server, t("satisfaction.page.title", "zh"))
            open_tab(page, t("satisfaction.tab.alerts", "zh"))
            expect(page.get_by_text(t("satisfaction.page.alerts_none", "zh"))).to_be_visible(timeout=UI_TIMEOUT_MS)

        with step(page, shots, crm_server, "06-a-later-9-in-chinese"):
            open_tab(page, t("satisfaction.tab.record", "zh"))
            record(page, "zh", 9)
            _, later = responses_recorded(sessions, 2)
            assert (later.nps, later.alert) == (9, False) and later.responded_at > low.responded_at
            expect(page.get_by_text(t("satisfaction.page.saved", "zh", customer=CUSTOMER))).to_be_visible(
                timeout=UI_TIMEOUT_MS
            )

        with step(page, shots, crm_server, "07-recovered-100-percent"):
            open_tab(page, t("satisfaction.tab.overview", "zh"))
            card = page.get_by_test_id("stMetric").filter(has_text=t("satisfaction.figures.recovery_rate", "zh"))
            expect(card.get_by_test_id("stMetricValue")).to_have_text("100.0%", timeout=UI_TIMEOUT_MS)
            responses = page.get_by_test_id("stMetric").filter(has_text=t("satisfaction.page.responses", "zh"))
            expect(responses.get_by_test_id("stMetricValue")).to_have_text("2")

        today = dt.datetime.now(dt.UTC).date()
        figures = satisfaction_figures(
            sessions, actor=admin, start=today - dt.timedelta(days=2), end=today + dt.timedelta(days=1)
        )
        assert (figures.recovery.with_later_response, figures.recovery.recovered, figures.recovery.rate) == (1, 1, 1.0)
    finally:
        context.close()
