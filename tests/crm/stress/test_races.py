"""The races the stress run found, each made to happen on purpose: one save holds the record while another comes in."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select, update

from crm.follow_ups import open_key
from crm.platform import clock
from crm.platform.errors import DatabaseBusy, ValidationError
from crm.platform.permissions import SYSTEM
from crm.platform.uow import retry_when_busy, transaction
from crm.satisfaction import DEFAULT_DIMENSIONS, ResponseInput, TemplateInput, create_template, record_response
from db.engine import Sessions
from db.models import FollowUpTask, Setting, SurveyResponse
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


def _crossing_saves(sessions: Sessions) -> tuple[Callable[[], str], Callable[[], str], list[int]]:
    """Two use cases that each change row a then row b, in opposite orders, both holding their first row before
    either takes its second (on SQLite, which runs one write at a time, the second waits for the first instead)."""
    with transaction(sessions, actor=SYSTEM) as session:
        session.add_all([Setting(key="stress.a", value=0), Setting(key="stress.b", value=0)])
    both_hold_one = threading.Barrier(2)
    attempts = [0, 0]

    def save(index: int, first: str, second: str) -> Callable[[], str]:
        def use_case() -> str:
            attempts[index] += 1
            with transaction(sessions, actor=SYSTEM) as session:
                session.execute(update(Setting).where(Setting.key == first).values(value=index))
                if attempts[index] == 1:
                    try:
                        both_hold_one.wait(3)
                    except threading.BrokenBarrierError:
                        pass  # SQLite: the other one is waiting for this transaction to finish
                session.execute(update(Setting).where(Setting.key == second).values(value=index))
            return f"saved {index}"

        return use_case

    return save(0, "stress.a", "stress.b"), save(1, "stress.b", "stress.a"), attempts


def _together(*calls: Callable[[], Any]) -> list[Any]:
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            results[index] = calls[index]()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test reads
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_a_deadlock_victim_is_refused_as_busy_and_nothing_of_it_is_saved(sessions: Sessions, backend: str) -> None:
    """MariaDB gave update_customer up as a deadlock victim under the stress run (6 of 1,600 saves): the page must
    get a typed, retryable refusal (nothing half-written), never the driver's OperationalError."""
    first, second, _attempts = _crossing_saves(sessions)
    results = _together(first, second)
    refused = [r for r in results if isinstance(r, DatabaseBusy)]
    if backend == "sqlite":  # one writer at a time: the second waited, then saved
        assert sorted(results) == ["saved 0", "saved 1"]
        return
    assert len(refused) == 1 and refused[0].retryable and refused[0].key == "error.database_busy", results
    winner = next(r for r in results if isinstance(r, str))
    with sessions.read() as session:  # only the winner's two changes are there
        values = dict(session.execute(select(Setting.key, Setting.value).where(Setting.key.like("stress.%"))).all())
    assert values == {"stress.a": int(winner[-1]), "stress.b": int(winner[-1])}


def test_a_deadlock_victim_is_run_again_and_both_saves_go_through(sessions: Sessions, backend: str) -> None:
    """What the pages' run_action and the stress workers do: retry_when_busy runs the victim again, unseen."""
    first, second, attempts = _crossing_saves(sessions)
    retried: list[DatabaseBusy] = []
    results = _together(
        lambda: retry_when_busy(first, on_retry=retried.append),
        lambda: retry_when_busy(second, on_retry=retried.append),
    )
    assert sorted(results) == ["saved 0", "saved 1"]
    assert len(retried) == (0 if backend == "sqlite" else 1) and sorted(attempts) == ([1, 1] if not retried else [1, 2])
