"""Contact log and planned follow-ups: what a save writes, atomically, and who may do it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from crm.follow_ups.service import (
    AUTO_STAGE,
    cancel_follow_up,
    complete_follow_up,
    customer_activities,
    customer_follow_up,
    find_customers,
    get_task,
    list_tasks,
    log_contact,
    log_context,
    plan_follow_up,
    reassign_follow_up,
    reschedule_follow_up,
)
from crm.platform.errors import DuplicateSubmission, NotFound, PermissionDenied, ValidationError, VersionConflict
from crm.platform.permissions import Actor
from db.engine import Sessions
from db.models import Activity, AuditLog, StageChange
from tests.crm.follow_ups.follow_up_factories import (
    customer_row,
    make_contact,
    make_customer,
    make_user,
    tasks_of,
    utc,
)

NOW = utc(2026, 11, 23, 2, 0)  # 10:00 in Shanghai


def _log(sessions: Sessions, actor: Actor, customer_id: int, **extra: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "channel": "phone",
        "occurred_at": NOW - dt.timedelta(hours=1),
        "summary": "Talked about the renewal",
        "outcome": "reached",
        "now": NOW,
    }
    values.update(extra)
    return log_contact(sessions, actor=actor, customer_id=customer_id, **values)  # type: ignore[arg-type]


def test_logging_a_contact_records_it_and_sets_the_last_contact(sessions: Sessions, staff: Actor) -> None:
    customer = make_customer(sessions, owner=staff)
    contact = make_contact(sessions, customer, is_primary=True)
    logged = _log(sessions, staff, customer, contact_id=contact)
    activities, total = customer_activities(sessions, actor=staff, customer_id=customer)
    assert total == 1 and activities[0].id == logged.activity_id
    assert activities[0].contact_name == "Li Lei" and activities[0].owner_id == staff.id
    assert customer_row(sessions, customer).last_contact_at == NOW - dt.timedelta(hours=1)
    assert logged.next_task_id is None and logged.stage_after is None


def test_a_contact_with_a_next_step_plans_the_next_follow_up(sessions: Sessions, staff: Actor) -> None:
    customer = make_customer(sessions, owner=staff, last_contact_at=None)
    due = NOW + dt.timedelta(days=3)
    logged = _log(sessions, staff, customer, next_step="Send the quotation", next_due_at=due)
    task = get_task(sessions, actor=staff, task_id=logged.next_task_id)  # type: ignore[arg-type]
    assert (task.purpose, task.status, task.due_at, task.note, task.owner_id) == (
        "regular_revisit",
        "open",
        due,
        "Send the quotation",
        staff.id,
    )
    assert customer_row(sessions, customer).next_follow_up_at == due


def test_an_interested_prospect_moves_to_intent_with_its_stage_history(sessions: Sessions, staff: Actor) -> None:
    customer = make_customer(sessions, owner=staff, lifecycle_stage="potential")
    logged = _log(sessions, staff, customer, outcome="interested", move_stage=AUTO_STAGE)
    assert (logged.stage_before, logged.stage_after) == ("potential", "intent")
    assert customer_row(sessions, customer).lifecycle_stage == "intent"
    with sessions.read() as session:
        change = session.execute(
            select(StageChange.from_stage, StageChange.to_stage, StageChange.changed_by_id).where(
                StageChange.customer_id == customer
            )
        ).one()
        activity = session.execute(
            select(Activity.stage_before, Activity.stage_after).where(Activity.id == logged.activity_id)
        ).one()
    assert tuple(change) == ("potential", "intent", staff.id)
    assert tuple(activity) == ("potential", "intent")


def test_a_refused_stage_move_saves_neither_the_contact_nor_the_next_step(sessions: Sessions, staff: Actor) -> None:
    customer = make_customer(sessions, owner=staff, lifecycle_stage="potential")
    with pytest.raises(ValidationError) as error:
        _log(
            sessions,
            staff,
            customer,
            move_stage="churned",
            churn_reason="price",
            next_step="Call again",
            next_due_at=NOW + dt.timedelta(days=1),
        )
    assert "lifecycle_stage" in error.value.fields
    assert customer_activities(sessions, actor=staff, customer_id=customer)[1] == 0
    assert tasks_of(sessions, customer) == []
    assert customer_row(sessions, customer).last_contact_at is None


def test_completing_a_task_logs_the_contact_and_moves_the_stage_atomically(sessions: Sessions, staff: Actor) -> None:
    customer = make_customer(sessions, owner=staff, lifecycle_stage="intent")
    task = plan_follow_up(
        sessions,
        actor=staff,
        customer_id=customer,
        due_at=NOW + dt.timedelta(hours=2),
        purpose="regular_revisit",
        now=NOW,
    )
    logged = complete_follow_up(
        sessions,
        actor=staff,
        task_id=task.id,
        version=task.version,
        channel="visit",
        occurred_at=NOW,
        summary="Signed the contract",
        outcome="deal",
        move_stage=AUTO_STAGE,
        now=NOW,
    )
    done = get_task(sessions, actor=staff, task_id=task.id)
    assert (done.status, done.completed_at, done.channel) == ("done", NOW, "visit")
    assert logged.completed_task_id == task.id and logged.stage_after == "signed"
    row = customer_row(sessions, customer)
    assert row.lifecycle_stage == "signed" and row.last_contact_at == NOW and row.next_follow_up_at is None
    with sessions.read() as session:
        assert session.scalar(select(Activity.task_id).where(Activity.id == logged.activity_id)) == task.id


def test_completing_with_a_stale_version_is_refused_and_saves_nothing(
    sessions: Sessions, staff: Actor, manager: Actor
) -> None:
    customer = make_customer(sessions, owner=staff)
    task = plan_follow_up(sessions, actor=staff, customer_id=customer, due_at=NOW + dt.timedelta(days=1), now=NOW)
    reschedule_follow_up(
        sessions,
        actor=manager,
        task_id=task.id,
        version=task.version,
        due_at=NOW + dt.timedelta(days=2),
        reason="Customer travelling",
        now=NOW,
    )
    with pytest.raises(VersionConflict) as conflict:
        complete_follow_up(
            sessions,
            actor=staff,
            task_id=task.id,
            version=task.version,
            channel="phone",
            occurred_at=NOW,
            summary="Called",
            now=NOW,
        )
    assert "lina" in conflict.value.params["who"]
    assert customer_activities(sessions, actor=staff, customer_id=customer)[1] == 0
    assert get_task(sessions, actor=staff, task_id=task.id).status == "open"


def test_completing_a_recurring_task_plans_its_next_occurrence(sessions: Sessions, staff: Actor) -> None:
    customer = make_customer(sessions, owner=staff)
    task = plan_follow_up(
        sessions, actor=staff, customer_id=customer, due_at=NOW, recurrence_days=30, note="Quarterly check", now=NOW
    )
    logged = complete_follow_up(
        sessions,
        actor=staff,
        task_id=task.id,
        version=task.version,
        channel="phone",
        occurred_at=NOW,
        summary="All fine",
        now=NOW,
    )
    following = get_task(sessions, actor=staff, task_id=logged.next_task_id)  # type: ignore[arg-type]
    # 30 days after the contact, at the working time that day in Shanghai (09:00 +08:00).
    assert following.due_at == utc(2026, 12, 23, 1, 0)
    assert (following.recurrence_days, following.note, following.status) == (30, "Quarterly check", "open")


def test_a_next_step_moves_the_open_task_of_that_purpose_instead_of_duplicating_it(
    sessions: Sessions, staff: Actor
) -> None:
    customer = make_customer(sessions, owner=staff)
    planned = plan_follow_up(sessions, actor=staff, customer_id=customer, due_at=NOW + dt.timedelta(days=10), now=NOW)
    logged = _log(sessions, staff, customer, next_step="Demo next week", next_due_at=NOW + dt.timedelta(days=5))
    assert logged.next_task_id == planned.id
    open_tasks = [t for t in tasks_of(sessions, customer) if t.status == "open"]
    assert len(open_tasks) == 1 and open_tasks[0].due_at == NOW + dt.timedelta(days=5)
    assert open_tasks[0].note == "Demo next week"


def test_staff_cannot_log_a_contact_for_another_owners_customer(
    sessions: Sessions, staff: Actor, manager: Actor
) -> None:
    colleague = make_user(sessions, "liuyang", "staff")
    customer = make_customer(sessions, owner=colleague)
    with pytest.raises(PermissionDenied):
        _log(sessions, staff, customer)
    assert _log(sessions, manager, customer).activity_id > 0


def test_viewers_cannot_log_contacts_or_plan(sessions: Sessions, staff: Actor) -> None:
    viewer = make_user(sessions, "victoria", "viewer")
    customer = make_customer(sessions, owner=staff)
    with pytest.raises(PermissionDenied):
        _log(sessions, viewer, customer)
    with pytest.raises(PermissionDenied):
        plan_follow_up(sessions, actor=viewer, customer_id=customer, due_at=NOW, now=NOW)


def test_staff_may_complete_a_task_given_to_them_on_a_colleagues_customer(
    sessions: Sessions, staff: Actor, manager: Actor
) -> None:
    colleague = make_user(sessions, "liuyang", "staff")
    customer = make_customer(sessions, owner=colleague)
    task = plan_follow_up(
        sessions, actor=manager, customer_id=customer, due_at=NOW, owner_id=staff.id, purpose="care", now=NOW
    )
    assert log_context(sessions, actor=staff, customer_id=customer).may_log
    logged = complete_follow_up(
        sessions,
        actor=staff,
        task_id=task.id,
        version=task.version,
        channel="wechat",
        occurred_at=NOW,
        summary="Sent greetings",
        now=NOW,
    )
    assert logged.completed_task_id == task.id


def test_planning_refuses_a_second_open_task_of_the_same_purpose(sessions: Sessions, staff: Actor) -> None:
    customer = make_customer(sessions, owner=staff)
    plan_follow_up(sessions, actor=staff, customer_id=customer, due_at=NOW, purpose="care", now=NOW)
    with pytest.raises(ValidationError) as error:
        plan_follow_up(sessions, actor=staff, customer_id=customer, due_at=NOW, purpose="care", now=NOW)
    assert error.value.fields["purpose"][0] == "follow_ups.error.duplicate_open"
    plan_follow_up(sessions, actor=staff, customer_id=customer, due_at=NOW, purpose="survey", now=NOW)
    assert len(tasks_of(sessions, customer)) == 2


def test_rescheduling_needs_a_reason_and_moves_the_next_follow_up(sessions: Sessions, staff: Actor) -> None:
    customer = make_customer(sessions, owner=staff)
    task = plan_follow_up(sessions, actor=staff, customer_id=customer, due_at=NOW, now=NOW)
    with pytest.raises(ValidationError):
        reschedule_follow_up(
            sessions,
            actor=staff,
            task_id=task.id,
            version=task.version,
            due_at=NOW + dt.timedelta(days=1),
            reason=" ",
            now=NOW,
        )
    with pytest.raises(ValidationError) as past:
        reschedule_follow_up(
            sessions,
            actor=staff,
            task_id=task.id,
            version=task.version,
            due_at=NOW - dt.timedelta(days=2),
            reason="oops",
            now=NOW,
        )
    assert past.value.fields["due_at"][0] == "follow_ups.error.due_in_past"
    moved = reschedule_follow_up(
        sessions,
        actor=staff,
        task_id=task.id,
        version=task.version,
        due_at=NOW + dt.timedelta(days=1),
        reason="Customer on leave",
        now=NOW,
    )
    assert (moved.reschedule_reason, moved.version) == ("Customer on leave", task.version + 1)
    assert customer_row(sessions, customer).next_follow_up_at == NOW + dt.timedelta(days=1)


def test_only_managers_reassign_a_follow_up(sessions: Sessions, staff: Actor, manager: Actor) -> None:
    colleague = make_user(sessions, "liuyang", "staff")
    customer = make_customer(sessions, owner=staff)
    task = plan_follow_up(sessions, actor=staff, customer_id=customer, due_at=NOW, now=NOW)
    with pytest.raises(PermissionDenied):
        reassign_follow_up(sessions, actor=staff, task_id=task.id, version=task.version, owner_id=colleague.id)
    moved = reassign_follow_up(sessions, actor=manager, task_id=task.id, version=task.version, owner_id=colleague.id)
    assert moved.owner_id == colleague.id and moved.owner_name == "Liuyang"


def test_cancelling_frees_the_purpose_and_clears_the_next_follow_up(sessions: Sessions, staff: Actor) -> None:
    customer = make_customer(sessions, owner=staff)
    task = plan_follow_up(sessions, actor=staff, customer_id=customer, due_at=NOW, purpose="care", now=NOW)
    cancelled = cancel_follow_up(
        sessions, actor=staff, task_id=task.id, version=task.version, reason="Contact left the company"
    )
    assert cancelled.status == "cancelled" and cancelled.reschedule_reason == "Contact left the company"
    assert customer_row(sessions, customer).next_follow_up_at is None
    with pytest.raises(ValidationError):
        cancel_follow_up(sessions, actor=staff, task_id=task.id, version=cancelled.version)
    plan_follow_up(sessions, actor=staff, customer_id=customer, due_at=NOW, purpose="care", now=NOW)


def test_a_resubmitted_form_is_saved_once(sessions: Sessions, staff: Actor) -> None:
    customer = make_customer(sessions, owner=staff)
    _log(sessions, staff, customer, token="form-1")
    with pytest.raises(DuplicateSubmission):
        _log(sessions, staff, customer, token="form-1")
    assert customer_activities(sessions, actor=staff, customer_id=customer)[1] == 1


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"occurred_at": NOW + dt.timedelta(hours=1)}, "occurred_at"),
        ({"next_step": "Call back"}, "next_due_at"),
        ({"next_step": "Call back", "next_due_at": NOW - dt.timedelta(days=1)}, "next_due_at"),
        ({"channel": "fax"}, "channel"),
        ({"summary": "  "}, "summary"),
        ({"outcome": "maybe"}, "outcome"),
    ],
)
def test_a_contact_with_bad_input_is_refused_field_by_field(
    sessions: Sessions, staff: Actor, extra: dict[str, object], field: str
) -> None:
    customer = make_customer(sessions, owner=staff)
    with pytest.raises(ValidationError) as error:
        _log(sessions, staff, customer, **extra)
    assert field in error.value.fields


def test_a_contact_person_of_another_customer_is_refused(sessions: Sessions, staff: Actor) -> None:
    customer = make_customer(sessions, owner=staff)
    other = make_customer(sessions, owner=staff)
    stranger = make_contact(sessions, other, name="Han Meimei")
    with pytest.raises(ValidationError) as error:
        _log(sessions, staff, customer, contact_id=stranger)
    assert "contact_id" in error.value.fields


def test_logged_contacts_and_tasks_are_audited_with_the_actor(sessions: Sessions, staff: Actor) -> None:
    customer = make_customer(sessions, owner=staff)
    logged = _log(sessions, staff, customer, next_step="Visit", next_due_at=NOW + dt.timedelta(days=2))
    with sessions.read() as session:
        rows = session.execute(
            select(AuditLog.entity_type, AuditLog.entity_id, AuditLog.username).where(
                AuditLog.action == "create", AuditLog.field.is_(None)
            )
        ).all()
    assert ("activities", str(logged.activity_id), "wangfang") in rows
    assert ("follow_up_tasks", str(logged.next_task_id), "wangfang") in rows


def test_logging_a_contact_keeps_the_customer_version(sessions: Sessions, staff: Actor) -> None:
    """The cached columns are not an edit: a customer form opened before the contact still saves."""
    customer = make_customer(sessions, owner=staff)
    before = customer_row(sessions, customer).version
    _log(sessions, staff, customer, next_step="Visit", next_due_at=NOW + dt.timedelta(days=2))
    assert customer_row(sessions, customer).version == before


def test_the_follow_up_state_follows_tasks_and_contacts(sessions: Sessions, staff: Actor) -> None:
    customer = make_customer(sessions, owner=staff, value_tier="high")
    assert customer_follow_up(sessions, actor=staff, customer_id=customer, now=NOW).state == "out_of_cadence"
    _log(sessions, staff, customer)
    assert customer_follow_up(sessions, actor=staff, customer_id=customer, now=NOW).state == "none"
    task = plan_follow_up(sessions, actor=staff, customer_id=customer, due_at=NOW + dt.timedelta(hours=1), now=NOW)
    view = customer_follow_up(sessions, actor=staff, customer_id=customer, now=NOW)
    assert view.state == "planned" and [t.id for t in view.open_tasks] == [task.id] and view.cadence_days == 30
    later = NOW + dt.timedelta(hours=2)
    assert customer_follow_up(sessions, actor=staff, customer_id=customer, now=later).state == "overdue"


def test_a_churned_customer_with_nothing_planned_is_never_out_of_cadence(sessions: Sessions, staff: Actor) -> None:
    """Churned customers have no cadence (the queue and the revisit rule skip them): the state column, its
    filter and the 360 badge say "nothing planned", not "out of cadence", so they agree with the queue."""
    from crm.customers.service import CustomerFilter, list_customers
    from crm.follow_ups.queues import my_queue

    churned = make_customer(sessions, owner=staff, name="Lost Co", value_tier="high", lifecycle_stage="churned")
    active = make_customer(sessions, owner=staff, name="Quiet Co", value_tier="high", lifecycle_stage="signed")
    assert customer_follow_up(sessions, actor=staff, customer_id=churned, now=NOW).state == "none"
    assert customer_follow_up(sessions, actor=staff, customer_id=active, now=NOW).state == "out_of_cadence"
    rows = list_customers(sessions, actor=staff, now=NOW).rows
    assert {r.name: r.follow_up_state for r in rows} == {"Lost Co": "none", "Quiet Co": "out_of_cadence"}
    for state, expected in (("out_of_cadence", ["Quiet Co"]), ("none", ["Lost Co"])):
        page = list_customers(sessions, actor=staff, flt=CustomerFilter(follow_up_states=(state,)), now=NOW)
        assert [r.name for r in page.rows] == expected
    assert [r.customer_id for r in my_queue(sessions, actor=staff, now=NOW).sections["out_of_cadence"].rows] == [active]
    plan_follow_up(
        sessions, actor=staff, customer_id=churned, purpose="win_back", due_at=NOW + dt.timedelta(days=1), now=NOW
    )
    assert customer_follow_up(sessions, actor=staff, customer_id=churned, now=NOW).state == "planned"


def test_the_customer_picker_searches_own_customers_only_for_staff_and_caps_matches(
    sessions: Sessions, staff: Actor, manager: Actor
) -> None:
    colleague = make_user(sessions, "liuyang", "staff")
    mine = make_customer(sessions, owner=staff, name="华为技术有限公司")
    make_customer(sessions, owner=colleague, name="华为终端有限公司")
    assert [o.id for o in find_customers(sessions, actor=staff, text="华为")] == [mine]
    assert len(find_customers(sessions, actor=manager, text="华为")) == 2
    assert len(find_customers(sessions, actor=manager, text="", limit=1)) == 1
    assert find_customers(sessions, actor=manager, text="100%_") == []


def test_staff_list_only_their_own_tasks(sessions: Sessions, staff: Actor, manager: Actor) -> None:
    colleague = make_user(sessions, "liuyang", "staff")
    plan_follow_up(sessions, actor=staff, customer_id=make_customer(sessions, owner=staff), due_at=NOW, now=NOW)
    plan_follow_up(sessions, actor=colleague, customer_id=make_customer(sessions, owner=colleague), due_at=NOW, now=NOW)
    tasks, total = list_tasks(sessions, actor=staff)
    assert total == 1 and tasks[0].owner_id == staff.id
    with pytest.raises(PermissionDenied):
        list_tasks(sessions, actor=staff, owner_id=colleague.id)
    assert list_tasks(sessions, actor=manager, all_owners=True)[1] == 2


def test_an_archived_customer_cannot_get_new_contacts(sessions: Sessions, staff: Actor) -> None:
    customer = make_customer(sessions, owner=staff, archived_at=NOW)
    with pytest.raises(NotFound):
        _log(sessions, staff, customer)
    with sessions.read() as session:
        assert session.scalar(select(func.count()).select_from(Activity)) == 0
