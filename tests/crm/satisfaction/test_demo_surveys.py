"""The demo's surveys as the satisfaction services see them: alerts with their callbacks, the running campaign's
members and tasks, checks after closed complaints, dimensions left unanswered."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from crm.demo.service import load_demo
from crm.platform.permissions import SYSTEM
from crm.satisfaction import ResponseFilters, list_responses, open_alerts, response_detail
from db.engine import Sessions
from db.models import Activity, FollowUpTask, SurveyCampaign, SurveyCampaignMember, SurveyResponse

TODAY = dt.date(2025, 6, 15)


@pytest.fixture(autouse=True)
def cheap_bcrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_BCRYPT_ROUNDS", "4")


def test_demo_alerts_have_one_callback_each_and_about_half_the_older_ones_were_called_back(
    sessions: Sessions,
) -> None:
    load_demo(sessions, customers=400, seed=7, today=TODAY)
    old = dt.datetime.combine(TODAY - dt.timedelta(days=22), dt.time(), dt.UTC)
    with sessions.read() as session:
        alerts = session.execute(
            select(SurveyResponse.id, SurveyResponse.responded_at, SurveyResponse.alert_closed_at).where(
                SurveyResponse.alert.is_(True)
            )
        ).all()
        callbacks = dict(
            session.execute(
                select(FollowUpTask.source_survey_id, func.count())
                .where(FollowUpTask.source_survey_id.is_not(None))
                .group_by(FollowUpTask.source_survey_id)
            ).all()
        )
        called_back = set(
            session.scalars(
                select(FollowUpTask.source_survey_id)
                .join(Activity, Activity.task_id == FollowUpTask.id)
                .where(FollowUpTask.purpose == "survey")
            )
        )
    assert alerts and max(callbacks.values()) == 1
    older = [a for a in alerts if a.responded_at < old]
    share = sum(1 for a in older if a.id in called_back) / len(older)
    # Each older alert is called back with probability 0.5; some 30 of them here, so 0.2-0.8 (a 99.9% interval).
    assert len(older) >= 20 and 0.2 <= share <= 0.8
    assert any(a.alert_closed_at is not None for a in older)
    page, total = open_alerts(sessions, actor=SYSTEM, page=0, page_size=10)
    assert total > 0 and all(row.task is None or row.task.purpose == "survey" for row in page)


def test_demo_running_campaign_asks_its_target_with_a_task_each_until_they_answer(sessions: Sessions) -> None:
    load_demo(sessions, customers=400, seed=7, today=TODAY)
    with sessions.read() as session:
        running_id, target = session.execute(
            select(SurveyCampaign.id, SurveyCampaign.target).where(SurveyCampaign.ends_on > TODAY)
        ).one()
        members = session.execute(
            select(
                SurveyCampaignMember.response_id,
                FollowUpTask.status,
                FollowUpTask.purpose,
                SurveyResponse.campaign_id,
            )
            .join(FollowUpTask, FollowUpTask.id == SurveyCampaignMember.task_id)
            .outerjoin(SurveyResponse, SurveyResponse.id == SurveyCampaignMember.response_id)
            .where(SurveyCampaignMember.campaign_id == running_id)
        ).all()
    assert target == {"lifecycle_stage": ["signed"], "value_tier": ["high", "medium"]}
    answered = [m for m in members if m.response_id is not None]
    waiting = [m for m in members if m.response_id is None]
    assert answered and waiting
    assert {(m.status, m.purpose, m.campaign_id) for m in answered} == {("done", "satisfaction_survey", running_id)}
    assert {(m.status, m.purpose) for m in waiting} == {("open", "satisfaction_survey")}


def test_demo_checks_after_closed_complaints_are_linked_and_listed(sessions: Sessions) -> None:
    load_demo(sessions, customers=400, seed=7, today=TODAY)
    linked, total = list_responses(sessions, actor=SYSTEM, filters=ResponseFilters(), page=0, page_size=500)
    checks = [r for r in linked if r.complaint_id is not None]
    assert total == len(linked) and len(checks) >= 2
    assert all(r.complaint_code and r.complaint_code.startswith("C-") for r in checks)
    detail = response_detail(sessions, actor=SYSTEM, response_id=checks[0].id)
    assert detail.template_name == "投诉回访 Post-complaint check" and len(detail.scores) == 5
    assert any(len(r.scores) < 5 for r in linked)
