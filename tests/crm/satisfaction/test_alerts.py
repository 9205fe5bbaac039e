"""Alerts: a low response stays on the list until a contact with the customer is logged after it or someone
closes it with a note; staff see their own customers' alerts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from crm.follow_ups.service import log_contact
from crm.platform import clock
from crm.platform.errors import PermissionDenied, ValidationError
from crm.satisfaction import close_alert, open_alerts, record_response, response_detail
from db.engine import Sessions
from db.models import AuditLog
from tests.crm.customers.customer_fixtures import count_statements
from tests.crm.satisfaction.conftest import SurveyWorld, answer, make_customer, tasks_of


def _alert_ids(sessions: Sessions, actor: object, **kwargs: object) -> tuple[list[int], int]:
    rows, total = open_alerts(sessions, actor=actor, **kwargs)  # type: ignore[arg-type]
    return [r.response_id for r in rows], total


def test_an_alert_is_listed_with_its_callback_task_and_leaves_the_list_once_a_contact_is_logged(
    sessions: Sessions, survey_world: SurveyWorld
) -> None:
    w = survey_world
    response_id = record_response(
        sessions, actor=w.staff, data=answer(w, nps=3, overall=2, scores={"response_speed": 1})
    )
    [row], total = open_alerts(sessions, actor=w.manager)
    [task] = tasks_of(sessions, w.customer_id)
    assert total == 1 and row.response_id == response_id
    assert (row.customer_name, row.owner_name, row.nps, row.overall, row.scores) == (
        "北京星辰科技有限公司",
        "张伟 Zhang Wei",
        3,
        2,
        {"response_speed": 1},
    )
    assert row.task is not None and (row.task.id, row.task.status, row.task.owner_id) == (task.id, "open", w.staff.id)
    log_contact(
        sessions,
        actor=w.staff,
        customer_id=w.customer_id,
        channel="phone",
        occurred_at=clock.utcnow(),
        summary="Called back: the delivery delay is explained and a discount agreed.",
        outcome="reached",
        task_id=task.id,
    )
    assert _alert_ids(sessions, w.manager) == ([], 0)
    detail = response_detail(sessions, actor=w.staff, response_id=response_id)
    assert not detail.alert_open and detail.contacted_at is not None and detail.alert_closed_at is None
    assert detail.task is not None and detail.task.status == "done"


def test_a_contact_logged_before_the_response_does_not_close_its_alert(
    sessions: Sessions, survey_world: SurveyWorld
) -> None:
    w = survey_world
    log_contact(
        sessions,
        actor=w.staff,
        customer_id=w.customer_id,
        channel="visit",
        occurred_at=clock.utcnow() - dt.timedelta(days=3),
        summary="Quarterly visit",
    )
    response_id = record_response(
        sessions, actor=w.staff, data=answer(w, responded_on=w.today - dt.timedelta(days=1), nps=0)
    )
    assert _alert_ids(sessions, w.staff) == ([response_id], 1)


def test_closing_an_alert_takes_a_note_completes_its_task_and_is_audited(
    sessions: Sessions, survey_world: SurveyWorld
) -> None:
    w = survey_world
    response_id = record_response(sessions, actor=w.staff, data=answer(w, nps=4))
    with pytest.raises(ValidationError) as refused:
        close_alert(sessions, actor=w.staff, response_id=response_id, version=1, note="  ")
    assert refused.value.fields == {"note": ("validation.required", {})}
    with pytest.raises(PermissionDenied):
        close_alert(sessions, actor=w.other_staff, response_id=response_id, version=1, note="Not mine")
    with pytest.raises(PermissionDenied):
        close_alert(sessions, actor=w.viewer, response_id=response_id, version=1, note="Viewer")
    close_alert(
        sessions, actor=w.staff, response_id=response_id, version=1, note="客户经理已上门，问题已解决 Visited, solved"
    )
    assert _alert_ids(sessions, w.manager) == ([], 0)
    detail = response_detail(sessions, actor=w.manager, response_id=response_id)
    assert (detail.alert, detail.alert_open, detail.alert_closed_by_name) == (True, False, "张伟 Zhang Wei")
    assert detail.alert_note == "客户经理已上门，问题已解决 Visited, solved"
    assert [t.status for t in tasks_of(sessions, w.customer_id)] == ["done"]
    with sessions.read() as session:
        fields = set(
            session.scalars(
                select(AuditLog.field).where(
                    AuditLog.entity_type == "survey_responses",
                    AuditLog.entity_id == str(response_id),
                    AuditLog.action == "update",
                )
            )
        )
    assert fields == {"alert_closed_at", "alert_closed_by_id", "alert_note"}
    with pytest.raises(ValidationError) as refused:
        close_alert(sessions, actor=w.manager, response_id=response_id, version=detail.version, note="Again")
    assert refused.value.fields == {"alert": ("satisfaction.error.alert_not_open", {})}


def test_staff_see_their_own_customers_alerts_and_managers_filter_by_owner(
    sessions: Sessions, survey_world: SurveyWorld
) -> None:
    w = survey_world
    mine = record_response(sessions, actor=w.staff, data=answer(w, nps=1))
    theirs = record_response(sessions, actor=w.manager, data=answer(w, customer_id=w.other_customer_id, nps=2))
    unowned_customer, _ = make_customer(sessions, owner_id=None)
    unowned = record_response(sessions, actor=w.manager, data=answer(w, customer_id=unowned_customer, overall=1))
    assert _alert_ids(sessions, w.staff) == ([mine], 1)
    assert _alert_ids(sessions, w.other_staff) == ([theirs], 1)
    assert _alert_ids(sessions, w.manager) == ([mine, theirs, unowned], 3)
    assert _alert_ids(sessions, w.viewer, owner_id=w.other_staff.id) == ([theirs], 1)
    assert _alert_ids(sessions, w.manager, page=1, page_size=2) == ([unowned], 3)
    [row], _ = open_alerts(sessions, actor=w.manager, owner_id=None, page=1, page_size=2)
    assert row.task is None and tasks_of(sessions, unowned_customer) == []  # no owner, no callback task


def test_a_page_of_alerts_costs_the_same_few_statements_however_many_rows(
    sessions: Sessions, survey_world: SurveyWorld
) -> None:
    """The total, the page, its scores and its callback tasks (two reads): no query per alert."""
    w = survey_world
    for index in range(5):
        customer_id, _ = make_customer(sessions, owner_id=w.staff.id)
        record_response(sessions, actor=w.staff, data=answer(w, customer_id=customer_id, nps=index))
    record_response(sessions, actor=w.staff, data=answer(w, nps=1))
    record_response(sessions, actor=w.staff, data=answer(w, nps=2))  # covered by the customer's open callback
    for size in (2, 7):
        with count_statements(sessions) as statements:
            rows, total = open_alerts(sessions, actor=w.manager, page_size=size)
        assert (len(rows), total) == (size, 7)
        assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 5
    assert all(row.task is not None for row in rows)
