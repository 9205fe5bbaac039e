"""Departments, time-limit settings, inquiries, suggestions and the queues."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import select

from crm.complaints import (
    DepartmentInput,
    StaleCase,
    TransitionNotAllowed,
    get_complaint,
    list_departments,
    save_department,
    set_user_department,
    transition,
)
from crm.complaints.inquiries import (
    InquiryInput,
    answer_inquiry,
    close_inquiry,
    convert_to_complaint,
    file_inquiry,
    get_inquiry,
    list_inquiries,
)
from crm.complaints.limits import Category, list_categories, read_policy, save_categories, save_policy
from crm.complaints.queues import QueueFilter, complaint_queue, customer_cases
from crm.complaints.sla import WORKING
from crm.complaints.suggestions import (
    SuggestionInput,
    evaluate_suggestion,
    get_suggestion,
    inform_customer,
    list_suggestions,
    record_suggestion,
)
from crm.platform.errors import PermissionDenied, ValidationError, VersionConflict
from db.engine import Sessions
from db.models import User
from tests.crm.complaints.conftest import NOW, World, file

H = dt.timedelta(hours=1)


# --- departments ------------------------------------------------------------------------------------


def test_administrators_keep_the_departments_with_names_in_both_languages(sessions: Sessions, world: World) -> None:
    departments = {d.code: d for d in list_departments(sessions, actor=world.agent)}
    service = departments["service"]
    assert (service.label("en"), service.label("zh"), service.head_name, service.function) == (
        "Customer Service",
        "客服部",
        "Head",
        "service",
    )
    assert service.members == 2  # the agent and the head, put there as its head
    with pytest.raises(PermissionDenied):
        save_department(sessions, actor=world.manager, data=DepartmentInput(code="fin", name_en="Finance"))
    with pytest.raises(ValidationError) as refused:
        save_department(sessions, actor=world.admin, data=DepartmentInput(code="service", name_en="", function="x"))
    assert set(refused.value.fields) == {"code", "name_en", "function"}
    changed = save_department(
        sessions,
        actor=world.admin,
        department_id=service.id,
        version=service.version,
        data=DepartmentInput(
            code="service", name_en="Service", name_zh="客户服务部", function="service", head_id=world.agent.id
        ),
    )
    assert (changed.name_zh, changed.head_id) == ("客户服务部", world.agent.id)
    with pytest.raises(VersionConflict):
        save_department(
            sessions,
            actor=world.admin,
            department_id=service.id,
            version=service.version,
            data=DepartmentInput(code="service", name_en="Stale"),
        )


def test_users_are_put_in_a_department_by_administrators_only(sessions: Sessions, world: World) -> None:
    with pytest.raises(PermissionDenied):
        set_user_department(sessions, actor=world.manager, user_id=world.viewer.id, department_id=world.tech_id)
    set_user_department(sessions, actor=world.admin, user_id=world.viewer.id, department_id=world.tech_id)
    with sessions.read() as session:
        assert session.scalar(select(User.department_id).where(User.id == world.viewer.id)) == world.tech_id


# --- time limits ------------------------------------------------------------------------------------


def test_managers_edit_the_time_limits_and_new_complaints_follow_them(sessions: Sessions, world: World) -> None:
    policy = read_policy(sessions, actor=world.agent)
    with pytest.raises(PermissionDenied):
        save_policy(sessions, actor=world.agent, policy=policy)
    with pytest.raises(ValidationError):
        save_policy(sessions, actor=world.manager, policy=policy.with_targets("high", resolve_days=0))
    saved = save_policy(sessions, actor=world.manager, policy=policy.with_targets("high", resolve_days=2))
    assert saved.version == policy.version + 1
    with pytest.raises(VersionConflict):  # a second manager's form read before the save
        save_policy(sessions, actor=world.admin, policy=policy.with_targets("low", acknowledge_hours=12))
    assert file(sessions, world).resolve_due_at == NOW + dt.timedelta(days=2)


def test_working_hours_mode_counts_only_working_time(sessions: Sessions, world: World) -> None:
    policy = read_policy(sessions, actor=world.manager)
    save_policy(sessions, actor=world.manager, policy=replace(policy, mode=WORKING))
    # Monday 10:00 Shanghai, high: acknowledge within 4 working hours = 14:00; resolve within 3 working days
    complaint = file(sessions, world)
    assert complaint.acknowledge_due_at == NOW + 4 * H
    assert complaint.resolve_due_at == dt.datetime(2026, 12, 10, 2, 0, tzinfo=dt.UTC)  # Thursday 10:00


def test_managers_add_categories_to_the_default_list(sessions: Sessions, world: World) -> None:
    save_categories(sessions, actor=world.manager, added=[Category("packaging", "Packaging", "包装")])
    codes = [c.code for c in list_categories(sessions, actor=world.agent)]
    assert codes[-1] == "packaging" and "product_quality" in codes
    assert file(sessions, world, category="packaging").category == "packaging"


# --- inquiries --------------------------------------------------------------------------------------


def test_an_inquiry_is_answered_then_closed_within_its_own_limits(sessions: Sessions, world: World) -> None:
    inquiry = file_inquiry(
        sessions,
        actor=world.agent,
        now=NOW,
        data=InquiryInput(
            customer_id=world.customer_id,
            channel="email",
            question="Does the X2 support IPv6?",
            department_id=world.service_id,
        ),
    )
    assert inquiry.code == "Q-2026-000001"
    assert (inquiry.respond_due_at, inquiry.answer_due_at) == (NOW + 4 * H, NOW + dt.timedelta(days=2))
    assert inquiry.allowed_actions == ("respond", "answer", "convert")
    with pytest.raises(TransitionNotAllowed) as refused:
        close_inquiry(sessions, actor=world.agent, inquiry_id=inquiry.id, version=inquiry.version, now=NOW)
    assert refused.value.params["state"] == "New"
    answered = answer_inquiry(
        sessions,
        actor=world.agent,
        inquiry_id=inquiry.id,
        version=inquiry.version,
        answer="Yes, since firmware 2.1.",
        now=NOW + H,
    )
    assert (answered.status, answered.responded_at, answered.answered_at) == ("answered", NOW + H, NOW + H)
    with pytest.raises(StaleCase) as stale:
        answer_inquiry(sessions, actor=world.manager, inquiry_id=inquiry.id, version=inquiry.version, answer="No")
    assert stale.value.params["state"] == "Answered"
    closed = close_inquiry(sessions, actor=world.agent, inquiry_id=inquiry.id, version=answered.version, now=NOW)
    assert closed.status == "closed"
    rows, total = list_inquiries(sessions, actor=world.agent)
    assert total == 1 and rows[0].code == "Q-2026-000001"
    history = get_inquiry(sessions, actor=world.manager, inquiry_id=inquiry.id).history
    assert [(step.field, step.old, step.new) for step in history] == [
        ("received", None, None),
        ("answer", None, "Yes, since firmware 2.1."),
        ("status", "new", "answered"),
        ("status", "answered", "closed"),
    ]
    assert history[0].at == NOW and {step.who for step in history} == {"Agent"}


def test_an_inquiry_turned_into_a_complaint_keeps_its_history(sessions: Sessions, world: World) -> None:
    inquiry = file_inquiry(
        sessions,
        actor=world.agent,
        now=NOW,
        data=InquiryInput(
            customer_id=world.customer_id,
            channel="phone",
            question="Why was I billed twice?",
            department_id=world.service_id,
            assignee_id=world.agent.id,
        ),
    )
    complaint = convert_to_complaint(
        sessions,
        actor=world.agent,
        inquiry_id=inquiry.id,
        version=inquiry.version,
        severity="medium",
        category="billing",
        now=NOW + H,
    )
    assert (complaint.code, complaint.description, complaint.inquiry_id) == (
        "C-2026-000001",
        "Why was I billed twice?",
        inquiry.id,
    )
    converted = get_inquiry(sessions, actor=world.agent, inquiry_id=inquiry.id)
    assert (converted.status, converted.complaint_id, converted.allowed_actions) == ("converted", complaint.id, ())
    events = get_complaint(sessions, actor=world.agent, complaint_id=complaint.id).events
    assert [e.kind for e in events] == ["transition", "handoff", "converted"]
    assert events[-1].note == "Q-2026-000001: Why was I billed twice?"


# --- suggestions ------------------------------------------------------------------------------------


def test_a_suggestion_is_evaluated_with_a_reason_and_the_customer_told(sessions: Sessions, world: World) -> None:
    suggestion = record_suggestion(
        sessions,
        actor=world.agent,
        now=NOW,
        data=SuggestionInput(
            customer_id=world.customer_id,
            channel="survey",
            content="A dark mode for the console",
            category="product",
            department_id=world.tech_id,
        ),
    )
    assert (suggestion.status, suggestion.allowed_actions) == ("new", ())  # it went to engineering
    assert get_suggestion(sessions, actor=world.engineer, suggestion_id=suggestion.id).allowed_actions == ("evaluate",)
    with pytest.raises(PermissionDenied):  # staff of another department
        evaluate_suggestion(
            sessions,
            actor=world.outsider,
            suggestion_id=suggestion.id,
            version=suggestion.version,
            result="adopt",
            reason="Many ask for it",
        )
    with pytest.raises(ValidationError):
        evaluate_suggestion(
            sessions,
            actor=world.engineer,
            suggestion_id=suggestion.id,
            version=suggestion.version,
            result="adopt",
            reason=" ",
        )
    with pytest.raises(TransitionNotAllowed):
        inform_customer(sessions, actor=world.engineer, suggestion_id=suggestion.id, version=suggestion.version)
    evaluated = evaluate_suggestion(
        sessions,
        actor=world.engineer,
        suggestion_id=suggestion.id,
        version=suggestion.version,
        result="adopt_partly",
        reason="Only for reports",
        action_taken="Dark reports in 3.2",
        now=NOW + H,
    )
    assert (evaluated.evaluation_result, evaluated.adopted, evaluated.action_taken) == (
        "adopt_partly",
        True,
        "Dark reports in 3.2",
    )
    informed = inform_customer(
        sessions, actor=world.engineer, suggestion_id=suggestion.id, version=evaluated.version, now=NOW + 2 * H
    )
    assert (informed.status, informed.customer_informed_at) == ("informed", NOW + 2 * H)
    assert get_suggestion(sessions, actor=world.viewer, suggestion_id=suggestion.id).allowed_actions == ()
    rows, total = list_suggestions(sessions, actor=world.manager, department_id=world.tech_id)
    assert total == 1 and rows[0].id == suggestion.id


# --- queues -----------------------------------------------------------------------------------------


def test_the_queues_hold_what_each_one_names_breached_first(sessions: Sessions, world: World) -> None:
    old = file(sessions, world, severity="critical", now=NOW - 2 * H)  # acknowledge within 1 h: breached
    mine = file(sessions, world, severity="low", now=NOW)
    tech = file(sessions, world, department_id=world.tech_id, assignee_id=world.engineer.id, now=NOW)
    done = file(sessions, world, now=NOW)
    for action, note in (("acknowledge", None), ("start", None), ("resolve", "Fixed")):
        version = get_complaint(sessions, actor=world.agent, complaint_id=done.id).complaint.version
        transition(
            sessions, actor=world.agent, complaint_id=done.id, version=version, action=action, note=note, now=NOW
        )

    def codes(actor: object, **filters: object) -> list[str]:
        page = complaint_queue(sessions, actor=actor, flt=QueueFilter(**filters), now=NOW)  # type: ignore[arg-type]
        return [row.code for row in page.rows]

    assert codes(world.agent, queue="mine") == [old.code, mine.code, done.code]
    assert codes(world.engineer, queue="mine") == [tech.code]
    assert codes(world.head, queue="department") == [old.code, mine.code, done.code]
    assert codes(world.agent, queue="breached") == [old.code]
    assert codes(world.agent, queue="waiting_confirmation") == [done.code]
    assert codes(world.manager, queue="all", severities=("critical", "low")) == [old.code, mine.code]
    assert codes(world.manager, queue="all", department_ids=(world.tech_id,)) == [tech.code]
    assert codes(world.manager, queue="all", received_from=dt.date(2026, 12, 8)) == []
    with pytest.raises(PermissionDenied):
        codes(world.agent, queue="all")
    first = complaint_queue(sessions, actor=world.manager, flt=QueueFilter(queue="all"), page=1, page_size=3, now=NOW)
    assert (first.total, len(first.rows)) == (4, 1)
    row = complaint_queue(sessions, actor=world.agent, flt=QueueFilter(queue="mine"), now=NOW).rows[0]
    assert (row.flag, row.department_name_zh, row.assignee_name) == ("breached", "客服部", "Agent")
    assert [r.code for r in customer_cases(sessions, actor=world.viewer, customer_id=world.customer_id)] == [
        done.code,
        tech.code,
        mine.code,
        old.code,
    ]


def test_merging_customers_moves_their_complaints_inquiries_and_suggestions(sessions: Sessions, world: World) -> None:
    from crm.customers.duplicates import merge_customers
    from tests.crm.complaints.conftest import make_customer

    duplicate_id, _ = make_customer(sessions, owner_id=world.manager.id, name="上海远景科技")
    complaint = file(sessions, world, customer_id=duplicate_id, contact_id=None)
    inquiry = file_inquiry(
        sessions,
        actor=world.agent,
        now=NOW,
        data=InquiryInput(customer_id=duplicate_id, channel="email", question="Price list?"),
    )
    suggestion = record_suggestion(
        sessions,
        actor=world.agent,
        now=NOW,
        data=SuggestionInput(customer_id=duplicate_id, channel="email", content="Cheaper"),
    )
    result = merge_customers(sessions, actor=world.manager, survivor_id=world.customer_id, duplicate_id=duplicate_id)
    assert (result.moved["complaints"], result.moved["inquiries"], result.moved["suggestions"]) == (1, 1, 1)
    assert (
        get_complaint(sessions, actor=world.manager, complaint_id=complaint.id).complaint.customer_id
        == world.customer_id
    )
    assert get_inquiry(sessions, actor=world.manager, inquiry_id=inquiry.id).customer_id == world.customer_id
    assert get_suggestion(sessions, actor=world.manager, suggestion_id=suggestion.id).customer_id == world.customer_id
