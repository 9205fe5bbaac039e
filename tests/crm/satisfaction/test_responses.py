"""Recording survey responses: unanswered dimensions, every field's error, who may record, the alert and its one
task, the tasks a response completes, the complaint it checks, campaign members, the lists and archiving."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from crm.follow_ups.automation import generate_follow_ups, update_rules
from crm.follow_ups.service import plan_follow_up
from crm.platform import clock
from crm.platform.errors import PermissionDenied, ValidationError, VersionConflict
from crm.platform.permissions import SYSTEM
from crm.platform.uow import transaction
from crm.satisfaction import (
    ResponseFilters,
    archive_response,
    closed_complaints_to_check,
    customer_responses,
    list_responses,
    record_response,
    response_detail,
)
from db.engine import Sessions
from db.models import AuditLog, FollowUpTask, SurveyCampaign, SurveyCampaignMember, SurveyResponse, SurveyScore
from tests.crm.customers.customer_fixtures import count_statements
from tests.crm.satisfaction.conftest import (
    SurveyWorld,
    answer,
    make_closed_complaint,
    make_customer,
    tasks_of,
)


def test_a_response_may_leave_dimensions_unanswered_and_stores_only_the_answered_scores(
    sessions: Sessions, survey_world: SurveyWorld
) -> None:
    w = survey_world
    response_id = record_response(
        sessions,
        actor=w.staff,
        data=answer(
            w,
            scores={"product_quality": 5, "response_speed": 3, "service_attitude": None},
            contact_id=w.contact_id,
            comment="  交付很及时  ",
        ),
    )
    with sessions.read() as session:
        stored = dict(
            session.execute(
                select(SurveyScore.dimension, SurveyScore.score).where(SurveyScore.response_id == response_id)
            ).all()
        )
    assert stored == {"product_quality": 5, "response_speed": 3}
    detail = response_detail(sessions, actor=w.manager, response_id=response_id)
    assert [(s.code, s.score) for s in detail.scores] == [
        ("product_quality", 5),
        ("service_attitude", None),
        ("response_speed", 3),
        ("problem_resolution", None),
        ("value_for_money", None),
    ]
    assert detail.scores[0].label("zh") == "产品质量" and detail.scores[4].label("en") == "Value for money"
    assert (detail.overall, detail.nps, detail.comment, detail.contact_name) == (4, 9, "交付很及时", "Li Lei")
    assert (detail.recorded_by_name, detail.alert, detail.task) == ("张伟 Zhang Wei", False, None)


def test_only_the_overall_score_or_only_the_nps_is_an_answer_but_nothing_at_all_is_not(
    sessions: Sessions, survey_world: SurveyWorld
) -> None:
    w = survey_world
    assert record_response(sessions, actor=w.staff, data=answer(w, scores={}, overall=None, nps=8)) > 0
    assert record_response(sessions, actor=w.staff, data=answer(w, scores={}, overall=5, nps=None)) > 0
    with pytest.raises(ValidationError) as refused:
        record_response(
            sessions, actor=w.staff, data=answer(w, scores={"product_quality": None}, overall=None, nps=None)
        )
    assert refused.value.fields == {"answers": ("satisfaction.error.nothing_answered", {})}


def test_every_problem_is_reported_on_its_own_field(sessions: Sessions, survey_world: SurveyWorld) -> None:
    w = survey_world
    other_contact = make_customer(sessions, owner_id=w.staff.id)[1]
    foreign_complaint = make_closed_complaint(sessions, w.other_customer_id)
    with pytest.raises(ValidationError) as refused:
        record_response(
            sessions,
            actor=w.manager,
            data=answer(
                w,
                channel="fax",
                scores={"product_quality": 6, "service_attitude": 0, "taste": 3},
                overall=0,
                nps=11,
                responded_on=w.today + dt.timedelta(days=1),
                contact_id=other_contact,
                complaint_id=foreign_complaint,
                campaign_id=999,
                task_id=999,
                comment="bad\x00byte",
            ),
        )
    assert refused.value.fields == {
        "contact_id": ("satisfaction.error.contact_not_customers", {}),
        "channel": ("validation.choice", {}),
        "scores.product_quality": ("satisfaction.error.score_range", {"low": 1, "high": 5}),
        "scores.service_attitude": ("satisfaction.error.score_range", {"low": 1, "high": 5}),
        "scores.taste": ("satisfaction.error.dimension_not_in_template", {}),
        "overall": ("satisfaction.error.score_range", {"low": 1, "high": 5}),
        "nps": ("satisfaction.error.nps_range", {"low": 0, "high": 10}),
        "responded_on": ("validation.future_date", {}),
        "complaint_id": ("satisfaction.error.complaint_not_customers", {}),
        "campaign_id": ("satisfaction.error.unknown_campaign", {}),
        "task_id": ("satisfaction.error.task_not_customers", {}),
        "comment": ("validation.nul", {}),
    }
    with pytest.raises(ValidationError) as refused:
        record_response(
            sessions,
            actor=w.manager,
            data=answer(w, customer_id=987654, template_id=987654, responded_on=dt.date(1989, 12, 31)),
        )
    assert refused.value.fields == {
        "customer_id": ("satisfaction.error.unknown_customer", {}),
        "template_id": ("satisfaction.error.unknown_template", {}),
        "responded_on": ("satisfaction.error.date_too_early", {"earliest": "1990-01-01"}),
    }
    with pytest.raises(ValidationError) as refused:
        record_response(sessions, actor=w.manager, data=answer(w, comment="x" * 10_001))
    assert refused.value.fields == {"comment": ("validation.too_long", {"max": 10_000})}
    with sessions.read() as session:
        assert session.scalars(select(SurveyResponse.id)).all() == []  # nothing half-written


def test_staff_record_for_their_own_customers_only_managers_for_all_viewers_never(
    sessions: Sessions, survey_world: SurveyWorld
) -> None:
    w = survey_world
    with pytest.raises(ValidationError) as refused:
        record_response(sessions, actor=w.staff, data=answer(w, customer_id=w.other_customer_id))
    assert refused.value.fields == {"customer_id": ("satisfaction.error.not_your_customer", {})}
    with pytest.raises(PermissionDenied):
        record_response(sessions, actor=w.viewer, data=answer(w))
    assert record_response(sessions, actor=w.manager, data=answer(w, customer_id=w.other_customer_id)) > 0
    assert record_response(sessions, actor=w.admin, data=answer(w)) > 0


def test_a_response_is_audited_with_its_scores(sessions: Sessions, survey_world: SurveyWorld) -> None:
    w = survey_world
    response_id = record_response(sessions, actor=w.staff, data=answer(w, scores={"value_for_money": 2}))
    with sessions.read() as session:
        rows = session.execute(
            select(AuditLog.username, AuditLog.action, AuditLog.field, AuditLog.new_value).where(
                AuditLog.entity_type == "survey_responses", AuditLog.entity_id == str(response_id)
            )
        ).all()
    fields = {field: value for _, _, field, value in rows}
    assert {(user, action) for user, action, _, _ in rows} == {("wei", "create")}
    assert fields["score.value_for_money"] == "2" and fields["nps"] == "9" and fields["channel"] == "phone"
    assert fields["alert"] == "false" and None in fields  # the record's own "create" row


def test_an_answer_given_on_an_earlier_day_counts_at_the_working_time_of_that_day(
    sessions: Sessions, survey_world: SurveyWorld
) -> None:
    w = survey_world
    day = w.today - dt.timedelta(days=10)
    response_id = record_response(sessions, actor=w.staff, data=answer(w, responded_on=day))
    detail = response_detail(sessions, actor=w.staff, response_id=response_id)
    with sessions.read() as session:
        zone = clock.company_zone(session)
    assert detail.responded_at == clock.to_utc(day, dt.time(9), zone)


# --- the alert and its one task ------------------------------------------------------------------------------


def test_an_nps_of_3_flags_an_alert_and_gives_the_owner_exactly_one_callback_task(
    sessions: Sessions, survey_world: SurveyWorld
) -> None:
    w = survey_world
    response_id = record_response(sessions, actor=w.manager, data=answer(w, nps=3, overall=4))
    [task] = tasks_of(sessions, w.customer_id)
    assert (task.purpose, task.owner_id, task.source_survey_id, task.status, task.priority) == (
        "survey",
        w.staff.id,
        response_id,
        "open",
        "high",
    )
    detail = response_detail(sessions, actor=w.staff, response_id=response_id)
    assert detail.alert and detail.alert_open and detail.task is not None and detail.task.id == task.id
    # The daily run of the rules finds nothing new to do.
    assert generate_follow_ups(sessions, actor=SYSTEM, codes=["low_survey"]) == {"low_survey": 0}
    assert len(tasks_of(sessions, w.customer_id)) == 1


def test_a_second_low_response_while_the_callback_is_open_adds_no_second_task(
    sessions: Sessions, survey_world: SurveyWorld
) -> None:
    """The low_survey rule keeps one open callback per customer: the open task covers the second alert too."""
    w = survey_world
    first = record_response(sessions, actor=w.staff, data=answer(w, nps=2))
    second = record_response(sessions, actor=w.staff, data=answer(w, nps=5, overall=1))
    [task] = tasks_of(sessions, w.customer_id)
    assert task.source_survey_id == first
    covering = response_detail(sessions, actor=w.staff, response_id=second).task
    assert covering is not None and covering.id == task.id
    assert generate_follow_ups(sessions, actor=SYSTEM, codes=["low_survey"]) == {"low_survey": 0}
    assert len(tasks_of(sessions, w.customer_id)) == 1


def test_a_happy_response_raises_no_alert_and_no_task(sessions: Sessions, survey_world: SurveyWorld) -> None:
    w = survey_world
    response_id = record_response(sessions, actor=w.staff, data=answer(w, nps=7, overall=3))
    assert not response_detail(sessions, actor=w.staff, response_id=response_id).alert
    assert tasks_of(sessions, w.customer_id) == []


def test_the_alert_thresholds_are_the_low_survey_rules_parameters(
    sessions: Sessions, survey_world: SurveyWorld
) -> None:
    w = survey_world
    update_rules(sessions, actor=w.manager, enabled={}, params={"low_survey": {"nps_max": 4, "csat_max": 1}})
    quiet = record_response(sessions, actor=w.staff, data=answer(w, nps=5, overall=2))
    assert not response_detail(sessions, actor=w.staff, response_id=quiet).alert
    assert tasks_of(sessions, w.customer_id) == []
    loud = record_response(sessions, actor=w.staff, data=answer(w, nps=4, overall=2))
    assert response_detail(sessions, actor=w.staff, response_id=loud).alert
    assert [t.source_survey_id for t in tasks_of(sessions, w.customer_id)] == [loud]


# --- tasks a response completes ------------------------------------------------------------------------------


def test_recording_from_a_survey_task_completes_it(sessions: Sessions, survey_world: SurveyWorld) -> None:
    w = survey_world
    task = plan_follow_up(
        sessions,
        actor=w.staff,
        customer_id=w.customer_id,
        due_at=clock.utcnow() + dt.timedelta(days=2),
        purpose="satisfaction_survey",
    )
    record_response(sessions, actor=w.staff, data=answer(w, task_id=task.id))
    [done] = tasks_of(sessions, w.customer_id)
    assert (done.status, done.open_key, done.completed_at is not None) == ("done", None, True)
    with pytest.raises(ValidationError) as refused:
        record_response(sessions, actor=w.staff, data=answer(w, task_id=task.id))
    assert refused.value.fields == {"task_id": ("satisfaction.error.task_closed", {})}


def test_a_response_does_not_complete_a_task_of_another_kind(sessions: Sessions, survey_world: SurveyWorld) -> None:
    w = survey_world
    revisit = plan_follow_up(
        sessions, actor=w.staff, customer_id=w.customer_id, due_at=clock.utcnow() + dt.timedelta(days=2)
    )
    with pytest.raises(ValidationError) as refused:
        record_response(sessions, actor=w.staff, data=answer(w, task_id=revisit.id))
    assert refused.value.fields == {"task_id": ("satisfaction.error.task_purpose", {})}
    assert [t.status for t in tasks_of(sessions, w.customer_id)] == ["open"]


def test_a_check_after_a_closed_complaint_is_linked_to_it_and_completes_its_task(
    sessions: Sessions, survey_world: SurveyWorld
) -> None:
    w = survey_world
    complaint_id = make_closed_complaint(sessions, w.customer_id, days_ago=2)
    assert generate_follow_ups(sessions, actor=SYSTEM, codes=["closed_complaint"]) == {"closed_complaint": 1}
    [check] = tasks_of(sessions, w.customer_id)
    assert (check.purpose, check.source_complaint_id, check.status) == ("complaint", complaint_id, "open")
    offered = closed_complaints_to_check(sessions, actor=w.staff, customer_id=w.customer_id)
    assert [(c.id, c.code) for c in offered] == [(complaint_id, offered[0].code)]
    assert offered[0].code.startswith("C-2026-")
    response_id = record_response(sessions, actor=w.staff, data=answer(w, complaint_id=complaint_id, nps=10))
    detail = response_detail(sessions, actor=w.staff, response_id=response_id)
    assert (detail.complaint_id, detail.complaint_code) == (complaint_id, offered[0].code)
    assert [t.status for t in tasks_of(sessions, w.customer_id)] == ["done"]
    assert closed_complaints_to_check(sessions, actor=w.staff, customer_id=w.customer_id) == []


def test_a_campaign_member_is_answered_by_the_first_response_only(
    sessions: Sessions, survey_world: SurveyWorld
) -> None:
    w = survey_world
    task = plan_follow_up(
        sessions,
        actor=w.manager,
        customer_id=w.customer_id,
        due_at=clock.utcnow() + dt.timedelta(days=5),
        purpose="satisfaction_survey",
        owner_id=w.staff.id,
    )
    with transaction(sessions, actor=SYSTEM) as session:
        campaign = SurveyCampaign(template_id=w.template_id, name="Q4 pulse", target={}, starts_on=w.today)
        session.add(campaign)
        session.flush()
        campaign_id = campaign.id
        session.add(
            SurveyCampaignMember(
                campaign_id=campaign_id, customer_id=w.customer_id, task_id=task.id, added_at=clock.utcnow()
            )
        )
    first = record_response(sessions, actor=w.staff, data=answer(w, campaign_id=campaign_id))
    record_response(sessions, actor=w.staff, data=answer(w, campaign_id=campaign_id))
    with sessions.read() as session:
        answered_by = session.scalars(select(SurveyCampaignMember.response_id)).one()
        audited = session.scalars(
            select(AuditLog.new_value).where(AuditLog.entity_type == "survey_campaign_members")
        ).all()
    assert answered_by == first and audited == [str(first)]
    assert [t.status for t in tasks_of(sessions, w.customer_id)] == ["done"]


# --- reading -------------------------------------------------------------------------------------------------


def test_the_responses_list_filters_pages_newest_first_and_staff_see_their_own(
    sessions: Sessions, survey_world: SurveyWorld
) -> None:
    w = survey_world
    ids = {}
    for days, nps, overall in ((30, 10, 5), (20, 7, 4), (10, 3, 2), (0, 9, 5)):
        ids[days] = record_response(
            sessions,
            actor=w.staff,
            data=answer(w, responded_on=w.today - dt.timedelta(days=days), nps=nps, overall=overall),
        )
    other = record_response(sessions, actor=w.manager, data=answer(w, customer_id=w.other_customer_id, nps=0))

    def ids_of(actor: object, page: int = 0, page_size: int = 25, **filters: object) -> tuple[list[int], int]:
        rows, total = list_responses(
            sessions, actor=actor, filters=ResponseFilters(**filters), page=page, page_size=page_size
        )  # type: ignore[arg-type]
        return [r.id for r in rows], total

    assert ids_of(w.manager) == ([other, ids[0], ids[10], ids[20], ids[30]], 5)
    assert ids_of(w.staff) == ([ids[0], ids[10], ids[20], ids[30]], 4)
    assert ids_of(w.staff, page=1, page_size=3) == ([ids[30]], 4)
    assert ids_of(w.manager, score_band="detractor") == ([other, ids[10]], 2)
    assert ids_of(w.manager, score_band="passive") == ([ids[20]], 1)
    assert ids_of(w.manager, score_band="promoter") == ([ids[0], ids[30]], 2)
    assert ids_of(w.manager, score_band="low_overall") == ([ids[10]], 1)
    assert ids_of(w.manager, alert_only=True) == ([other, ids[10]], 2)
    assert ids_of(w.manager, owner_id=w.other_staff.id) == ([other], 1)
    start, end = w.today - dt.timedelta(days=20), w.today - dt.timedelta(days=10)
    assert ids_of(w.manager, start=start, end=end) == ([ids[10], ids[20]], 2)
    assert ids_of(w.manager, channel="visit") == ([], 0)
    assert ids_of(w.manager, template_family_id=w.template_id, customer_id=w.other_customer_id) == ([other], 1)
    [row] = list_responses(sessions, actor=w.staff, filters=ResponseFilters(score_band="low_overall"))[0]
    assert (row.customer_name, row.owner_name, row.alert, row.alert_open) == (
        "北京星辰科技有限公司",
        "张伟 Zhang Wei",
        True,
        True,
    )
    assert row.scores == {"product_quality": 4, "service_attitude": 5}
    assert [r.id for r in customer_responses(sessions, actor=w.staff, customer_id=w.customer_id)] == [
        ids[0],
        ids[10],
        ids[20],
        ids[30],
    ]


def test_a_manager_archives_a_mistaken_response_and_its_callback_is_cancelled(
    sessions: Sessions, survey_world: SurveyWorld
) -> None:
    w = survey_world
    response_id = record_response(sessions, actor=w.staff, data=answer(w, nps=1))
    with pytest.raises(PermissionDenied):
        archive_response(sessions, actor=w.staff, response_id=response_id, version=1)
    with pytest.raises(VersionConflict):
        archive_response(sessions, actor=w.manager, response_id=response_id, version=7)
    archive_response(sessions, actor=w.manager, response_id=response_id, version=1)
    assert list_responses(sessions, actor=w.manager, filters=ResponseFilters()) == ([], 0)
    [task] = tasks_of(sessions, w.customer_id)
    assert (task.status, task.open_key) == ("cancelled", None)
    assert response_detail(sessions, actor=w.manager, response_id=response_id).archived
    with sessions.read() as session:
        archived = session.scalars(
            select(AuditLog.action).where(
                AuditLog.entity_type == "survey_responses",
                AuditLog.entity_id == str(response_id),
                AuditLog.field == "archived_at",
            )
        ).all()
        task_changes = session.scalars(
            select(AuditLog.new_value).where(
                AuditLog.entity_type == "follow_up_tasks", AuditLog.field == "status", AuditLog.action == "update"
            )
        ).all()
    assert archived == ["archive"] and task_changes == ["cancelled"]
    with sessions.read() as session:
        assert session.scalar(select(FollowUpTask.source_survey_id)) == response_id


def test_a_page_of_responses_costs_the_same_few_statements_however_many_rows(
    sessions: Sessions, survey_world: SurveyWorld
) -> None:
    """The page, its total, the company's zone and the page's scores: no query per row."""
    w = survey_world
    for nps in range(6):
        record_response(sessions, actor=w.staff, data=answer(w, nps=nps + 5))
    for size in (2, 6):
        with count_statements(sessions) as statements:
            rows, total = list_responses(sessions, actor=w.manager, filters=ResponseFilters(), page_size=size)
        assert (len(rows), total) == (size, 6)
        assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 4
