"""The races the stress run found, each made to happen on purpose: one save holds the record while another comes in."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

from sqlalchemy import func, select

from crm.follow_ups import open_key
from crm.platform import clock
from crm.platform.errors import ValidationError
from crm.platform.permissions import SYSTEM
from crm.platform.uow import transaction
from crm.satisfaction import DEFAULT_DIMENSIONS, ResponseInput, TemplateInput, create_template, record_response
from db.engine import Sessions
from db.models import FollowUpTask, SurveyResponse
from tests.crm.satisfaction.conftest import make_customer, make_user

HOLD_SECONDS = 1.5  # long enough for the second save to reach the task while the first still holds it


def test_a_survey_task_being_answered_refuses_a_second_answer_instead_of_recording_both(sessions: Sessions) -> None:
    """Two people record the customer's answers from the same survey task at once: one response, not two.

    The stress run on PostgreSQL saw both recorded (follow_up_tasks #540 answered by admin and liuyang): the
    second read the task as open before the first committed, and closing it again did nothing.
    """
    manager = make_user(sessions, "lina", "manager", "李娜 Li Na")
    staff = make_user(sessions, "wei", "staff", "张伟 Zhang Wei")
    customer_id, _ = make_customer(sessions, owner_id=staff.id)
    template_id = create_template(
        sessions, actor=manager, data=TemplateInput(name="Annual survey", dimensions=DEFAULT_DIMENSIONS)
    )
    with transaction(sessions, actor=SYSTEM) as session:
        task = FollowUpTask(
            customer_id=customer_id,
            owner_id=staff.id,
            due_at=clock.utcnow() + dt.timedelta(days=1),
            purpose="satisfaction_survey",
            status="open",
            open_key=open_key(customer_id, "satisfaction_survey"),
        )
        session.add(task)
        session.flush()
        task_id = task.id
    with sessions.read() as session:
        today = clock.company_today(session)
    answer = ResponseInput(
        customer_id=customer_id,
        responded_on=today,
        channel="phone",
        template_id=template_id,
        scores={"product_quality": 4},
        overall=4,
        nps=9,
        task_id=task_id,
    )
    outcome: list[Any] = []

    def second_answer() -> None:
        try:
            outcome.append(record_response(sessions, actor=manager, data=answer))
        except Exception as error:  # noqa: BLE001 - the refusal is what the test reads
            outcome.append(error)

    with sessions.begin() as first:  # the first answer's transaction: it has closed the task, not yet committed
        held = first.get(FollowUpTask, task_id, with_for_update=True)
        assert held is not None
        held.status, held.open_key, held.completed_at = "done", None, clock.utcnow()
        first.flush()
        second = threading.Thread(target=second_answer)
        second.start()
        time.sleep(HOLD_SECONDS)
    second.join(60)
    assert len(outcome) == 1 and isinstance(outcome[0], ValidationError), outcome
    assert outcome[0].fields == {"task_id": ("satisfaction.error.task_closed", {})}
    with sessions.read() as session:
        assert session.scalar(select(func.count()).select_from(SurveyResponse)) == 0
