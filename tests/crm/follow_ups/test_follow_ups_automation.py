"""Automatic follow-ups: each rule at its boundaries, switches, and no duplicate task ever."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from crm.follow_ups.automation import (
    generate_follow_ups,
    insert_open_tasks,
    list_rules,
    run_rules_for_customers,
    update_rules,
)
from crm.follow_ups.service import AUTO_STAGE, complete_follow_up, log_contact
from crm.platform.errors import PermissionDenied, ValidationError
from crm.platform.permissions import SYSTEM, Actor
from crm.platform.stages import apply_stage_change
from crm.platform.uow import transaction
from db.engine import Sessions
from db.models import AuditLog, Complaint, Customer, FollowUpTask, SurveyResponse
from tests.crm.follow_ups.follow_up_factories import customer_row, make_customer, tasks_of, utc

NOW = utc(2026, 11, 23, 2, 0)  # 10:00 in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")
END_OF_TODAY = utc(2026, 11, 23, 15, 59)  # 23:59 in Shanghai


def _open_count(sessions: Sessions) -> int:
    with sessions.read() as session:
        return int(
            session.scalar(select(func.count()).select_from(FollowUpTask).where(FollowUpTask.status == "open")) or 0
        )


def test_an_out_of_cadence_customer_with_nothing_planned_gets_a_revisit(sessions: Sessions, staff: Actor) -> None:
    silent = make_customer(sessions, owner=staff, value_tier="high", last_contact_at=NOW - dt.timedelta(days=31))
    recent = make_customer(sessions, owner=staff, value_tier="high", last_contact_at=NOW - dt.timedelta(days=29))
    never = make_customer(sessions, owner=staff, importance="strategic")
    churned = make_customer(sessions, owner=staff, lifecycle_stage="churned", stage_changed_at=NOW)
    orphan = make_customer(sessions, owner=None)
    created = generate_follow_ups(sessions, actor=SYSTEM, codes=["cadence_revisit"], now=NOW)
    assert created == {"cadence_revisit": 2}
    [task] = tasks_of(sessions, silent)
    assert (task.purpose, task.owner_id, task.due_at, task.priority, task.recurrence_days, task.created_by_rule) == (
        "regular_revisit",
        staff.id,
        END_OF_TODAY,
        "high",
        30,
        "cadence_revisit",
    )
    assert tasks_of(sessions, never)[0].recurrence_days == 14
    assert [tasks_of(sessions, c) for c in (recent, churned, orphan)] == [[], [], []]
    assert customer_row(sessions, silent).next_follow_up_at == END_OF_TODAY


def test_a_customer_with_any_follow_up_planned_gets_no_revisit(sessions: Sessions, staff: Actor) -> None:
    customer = make_customer(sessions, owner=staff)
    with transaction(sessions, actor=SYSTEM) as session:
        session.add(
            FollowUpTask(
                customer_id=customer,
                owner_id=staff.id,
                due_at=NOW,
                purpose="care",
                status="open",
                open_key=f"{customer}:care",
            )
        )
    assert generate_follow_ups(sessions, actor=SYSTEM, codes=["cadence_revisit"], now=NOW) == {"cadence_revisit": 0}


def test_repeated_runs_create_each_task_once(sessions: Sessions, staff: Actor) -> None:
    for _ in range(5):
        make_customer(sessions, owner=staff)
    first = generate_follow_ups(sessions, actor=SYSTEM, now=NOW, chunk=2)
    second = generate_follow_ups(sessions, actor=SYSTEM, now=NOW, chunk=2)
    assert first["cadence_revisit"] == 5 and second["cadence_revisit"] == 0
    assert _open_count(sessions) == 5


def test_concurrent_runs_never_duplicate_a_task(sessions: Sessions, staff: Actor) -> None:
    for _ in range(40):
        make_customer(sessions, owner=staff)
    barrier = threading.Barrier(3)
    results: list[dict[str, int]] = []
    failures: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(generate_follow_ups(sessions, actor=SYSTEM, codes=["cadence_revisit"], now=NOW, chunk=7))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert sum(r["cadence_revisit"] for r in results) == 40
    with sessions.read() as session:
        per_customer = session.execute(
            select(FollowUpTask.customer_id, func.count()).group_by(FollowUpTask.customer_id)
        ).all()
        audited = session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.entity_type == "follow_up_tasks", AuditLog.field.is_(None))
        )
    assert len(per_customer) == 40 and {n for _, n in per_customer} == {1}
    assert audited == 40


def test_a_churned_customer_gets_one_win_back_task_thirty_days_after_churn(sessions: Sessions, staff: Actor) -> None:
    churned_at = utc(2026, 11, 1, 8, 0)
    customer = make_customer(
        sessions, owner=staff, lifecycle_stage="churned", stage_changed_at=churned_at, value_tier="high"
    )
    assert generate_follow_ups(sessions, actor=SYSTEM, codes=["churn_win_back"], now=NOW) == {"churn_win_back": 1}
    [task] = tasks_of(sessions, customer)
    assert (task.purpose, task.due_at, task.priority) == ("win_back", utc(2026, 12, 1, 1, 0), "high")
    complete_follow_up(
        sessions,
        actor=staff,
        task_id=task.id,
        version=task.version,
        channel="phone",
        occurred_at=NOW,
        summary="Not interested for now",
        now=NOW,
    )
    assert generate_follow_ups(sessions, actor=SYSTEM, codes=["churn_win_back"], now=NOW) == {"churn_win_back": 0}


def test_a_long_churned_customer_gets_its_win_back_due_today_not_in_the_past(sessions: Sessions, staff: Actor) -> None:
    customer = make_customer(sessions, owner=staff, lifecycle_stage="churned", stage_changed_at=utc(2025, 1, 1))
    generate_follow_ups(sessions, actor=SYSTEM, codes=["churn_win_back"], now=NOW)
    assert tasks_of(sessions, customer)[0].due_at == END_OF_TODAY


def test_churning_through_a_logged_contact_plans_the_win_back_in_the_same_transaction(
    sessions: Sessions, staff: Actor
) -> None:
    customer = make_customer(sessions, owner=staff, lifecycle_stage="signed")
    logged = log_contact(
        sessions,
        actor=staff,
        customer_id=customer,
        channel="visit",
        occurred_at=NOW,
        summary="They moved to a competitor",
        outcome="not_interested",
        move_stage="churned",
        churn_reason="competitor",
        now=NOW,
    )
    assert logged.stage_after == "churned" and logged.rules_created == {"churn_win_back": 1}
    [task] = tasks_of(sessions, customer)
    # Thirty days after the churn (stamped by the stage rules with the real clock), by 23:59 in Shanghai.
    churned_on = customer_row(sessions, customer).stage_changed_at.astimezone(SHANGHAI).date()
    due = dt.datetime.combine(churned_on + dt.timedelta(days=30), dt.time(9, 0), SHANGHAI).astimezone(dt.UTC)
    assert task.purpose == "win_back" and task.due_at == due


def test_the_hook_lets_another_feature_run_the_rules_for_a_stage_change(sessions: Sessions, staff: Actor) -> None:
    customer = make_customer(sessions, owner=staff, lifecycle_stage="signed", last_contact_at=NOW)
    other = make_customer(sessions, owner=staff)
    with transaction(sessions, actor=staff) as session:
        row = session.get(Customer, customer)
        assert row is not None
        apply_stage_change(session, actor=staff, customer=row, to_stage="churned", churn_reason="price")
        created = run_rules_for_customers(session, actor=staff, customer_ids=[customer], now=NOW)
    assert created == {"cadence_revisit": 0, "churn_win_back": 1, "low_survey": 0, "closed_complaint": 0}
    assert tasks_of(sessions, other) == []


def test_a_low_survey_score_creates_one_survey_follow_up(sessions: Sessions, staff: Actor) -> None:
    low_nps = make_customer(sessions, owner=staff, last_contact_at=NOW)
    low_csat = make_customer(sessions, owner=staff, last_contact_at=NOW)
    happy = make_customer(sessions, owner=staff, last_contact_at=NOW)
    old = make_customer(sessions, owner=staff, last_contact_at=NOW)
    with transaction(sessions, actor=SYSTEM) as session:
        for customer, nps, score, days in ((low_nps, 6, 4, 1), (low_csat, 9, 2, 1), (happy, 7, 3, 1), (old, 0, 1, 45)):
            session.add(
                SurveyResponse(
                    customer_id=customer,
                    channel="online",
                    nps=nps,
                    overall_score=score,
                    responded_at=NOW - dt.timedelta(days=days),
                )
            )
    assert generate_follow_ups(sessions, actor=SYSTEM, codes=["low_survey"], now=NOW) == {"low_survey": 2}
    assert generate_follow_ups(sessions, actor=SYSTEM, codes=["low_survey"], now=NOW) == {"low_survey": 0}
    [task] = tasks_of(sessions, low_nps)
    assert (task.purpose, task.priority, task.source_survey_id is not None) == ("survey", "high", True)
    assert tasks_of(sessions, happy) == [] and tasks_of(sessions, old) == []


def test_every_closed_complaint_gets_a_follow_up_once(sessions: Sessions, staff: Actor) -> None:
    customer = make_customer(sessions, owner=staff, last_contact_at=NOW)
    with transaction(sessions, actor=SYSTEM) as session:
        for number, status in ((1, "closed"), (2, "in_progress")):
            session.add(
                Complaint(
                    code=f"K{number}",
                    customer_id=customer,
                    channel="phone",
                    received_at=NOW,
                    description="Late delivery",
                    severity="medium",
                    status=status,
                    closed_at=NOW - dt.timedelta(days=1) if status == "closed" else None,
                )
            )
    assert generate_follow_ups(sessions, actor=SYSTEM, codes=["closed_complaint"], now=NOW) == {"closed_complaint": 1}
    [task] = tasks_of(sessions, customer)
    # Three days after the closing day (22 Nov in Shanghai), by the end of that day.
    assert (task.purpose, task.due_at) == ("complaint", utc(2026, 11, 25, 1, 0))
    assert generate_follow_ups(sessions, actor=SYSTEM, codes=["closed_complaint"], now=NOW) == {"closed_complaint": 0}


def test_a_switched_off_rule_creates_nothing_and_the_switch_is_audited(
    sessions: Sessions, staff: Actor, manager: Actor
) -> None:
    make_customer(sessions, owner=staff)
    rules = update_rules(
        sessions, actor=manager, enabled={"cadence_revisit": False}, params={"churn_win_back": {"days_after_churn": 45}}
    )
    by_code = {r.code: r for r in rules}
    assert not by_code["cadence_revisit"].enabled and by_code["churn_win_back"].params["days_after_churn"] == 45
    assert generate_follow_ups(sessions, actor=manager, now=NOW).get("cadence_revisit") is None
    assert _open_count(sessions) == 0
    with sessions.read() as session:
        fields = session.scalars(select(AuditLog.field).where(AuditLog.entity_type == "automation_rules")).all()
    assert sorted(fields) == ["enabled", "params"]
    assert {r.code: r.last_run_at is not None for r in list_rules(sessions, actor=manager)}["churn_win_back"]


def test_only_managers_switch_rules_and_parameters_stay_in_bounds(
    sessions: Sessions, staff: Actor, manager: Actor
) -> None:
    with pytest.raises(PermissionDenied):
        update_rules(sessions, actor=staff, enabled={"cadence_revisit": False})
    with pytest.raises(PermissionDenied):
        generate_follow_ups(sessions, actor=staff)
    with pytest.raises(ValidationError):
        update_rules(sessions, actor=manager, enabled={}, params={"low_survey": {"nps_max": 11}})


def test_a_contact_logged_long_after_the_fact_leaves_the_customer_with_a_revisit(
    sessions: Sessions, staff: Actor
) -> None:
    customer = make_customer(sessions, owner=staff, value_tier="high")
    logged = log_contact(
        sessions,
        actor=staff,
        customer_id=customer,
        channel="email",
        occurred_at=NOW - dt.timedelta(days=40),
        summary="Old email, logged late",
        move_stage=AUTO_STAGE,
        now=NOW,
    )
    assert logged.rules_created == {"cadence_revisit": 1}
    assert customer_row(sessions, customer).next_follow_up_at == END_OF_TODAY


def test_a_chunk_that_collides_with_an_open_task_skips_only_the_colliding_row(sessions: Sessions, staff: Actor) -> None:
    first, second, third = (make_customer(sessions, owner=staff) for _ in range(3))
    with transaction(sessions, actor=SYSTEM) as session:
        session.add(
            FollowUpTask(
                customer_id=second,
                owner_id=staff.id,
                due_at=NOW,
                purpose="regular_revisit",
                status="open",
                open_key=f"{second}:regular_revisit",
            )
        )
    rows = [
        {
            "customer_id": c,
            "contact_id": None,
            "owner_id": staff.id,
            "due_at": NOW,
            "priority": "normal",
            "purpose": "regular_revisit",
            "channel": None,
            "note": None,
            "status": "open",
            "open_key": f"{c}:regular_revisit",
            "recurrence_days": None,
            "created_by_rule": "cadence_revisit",
            "reschedule_reason": None,
            "completed_at": None,
            "source_complaint_id": None,
            "source_survey_id": None,
            "version": 1,
            "archived_at": None,
            "created_at": NOW,
            "updated_at": NOW,
        }
        for c in (first, second, third)
    ]
    with transaction(sessions, actor=SYSTEM) as session:
        created = insert_open_tasks(session, SYSTEM, rows)
    assert len(created) == 2
    assert [len(tasks_of(sessions, c)) for c in (first, second, third)] == [1, 1, 1]
    assert tasks_of(sessions, second)[0].created_by_rule is None
