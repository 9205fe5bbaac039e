"""Complaint intake and workflow: every allowed and forbidden transition, who may act, pauses, escalation."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from crm.complaints import (
    AttachmentInput,
    Confirmation,
    StaleCase,
    TransitionNotAllowed,
    add_attachments,
    change_severity,
    download_attachment,
    get_complaint,
    hand_off,
    transition,
)
from crm.complaints.states import TRANSITIONS
from crm.complaints.vocab import STATUSES
from crm.platform.errors import PermissionDenied, ValidationError
from crm.platform.permissions import Actor
from db.engine import Sessions
from db.models import AuditLog, Complaint, ComplaintEvent, FollowUpTask
from tests.crm.complaints.conftest import NOW, World, file

H = dt.timedelta(hours=1)
SATISFIED = Confirmation(confirmed_by="Li Lei", channel="phone", satisfied=True)
NOT_SATISFIED = Confirmation(confirmed_by="Li Lei", channel="phone", satisfied=False)
# A way to reach each status from new, as (action, actor attribute) steps.
PATHS: dict[str, list[str]] = {
    "new": [],
    "acknowledged": ["acknowledge"],
    "in_progress": ["acknowledge", "start"],
    "waiting_customer": ["acknowledge", "start", "wait_for_customer"],
    "resolved": ["acknowledge", "start", "resolve"],
    "closed": ["acknowledge", "start", "resolve", "confirm_satisfied"],
    "reopened": ["acknowledge", "start", "resolve", "confirm_not_satisfied"],
    "rejected": ["reject"],
}


def act(
    sessions: Sessions,
    actor: Actor,
    complaint_id: int,
    action: str,
    *,
    now: dt.datetime = NOW,
    version: int | None = None,
) -> int:
    """Take one action as the actor with what it needs (a note, a confirmation); return the new version."""
    if version is None:
        version = get_complaint(sessions, actor=actor, complaint_id=complaint_id).complaint.version
    confirmation = {"confirm_satisfied": SATISFIED, "confirm_not_satisfied": NOT_SATISFIED}.get(action)
    view = transition(
        sessions,
        actor=actor,
        complaint_id=complaint_id,
        version=version,
        action=action,
        note="Replaced the power unit." if action in ("resolve", "reject") else None,
        confirmation=confirmation,
        now=now,
    )
    return view.version


def walk(sessions: Sessions, world: World, complaint_id: int, status: str) -> None:
    for action in PATHS[status]:
        act(sessions, world.manager, complaint_id, action)


def test_intake_draws_a_reference_stores_deadlines_and_records_events(sessions: Sessions, world: World) -> None:
    first = file(sessions, world)
    second = file(sessions, world, severity="critical")
    assert (first.code, second.code) == ("C-2026-000001", "C-2026-000002")
    assert first.status == "new" and first.flag is None
    # calendar time by default: high acknowledges within 4 h, resolves within 3 days
    assert first.acknowledge_due_at == NOW + 4 * H
    assert first.resolve_due_at == NOW + dt.timedelta(days=3)
    assert first.next_due_at == first.acknowledge_due_at
    detail = get_complaint(sessions, actor=world.agent, complaint_id=first.id)
    assert [(e.kind, e.to_status) for e in detail.events] == [("transition", "new"), ("handoff", "new")]
    assert detail.events[1].department_name_zh == "客服部"
    assert detail.allowed_actions == ("acknowledge",)
    with sessions.read() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.entity_type == "complaints", AuditLog.entity_id == str(first.id))
            )
            > 5
        )


def test_intake_refuses_missing_and_unknown_values(sessions: Sessions, world: World) -> None:
    with pytest.raises(ValidationError) as refused:
        file(
            sessions, world, description=" ", severity="urgent", channel="fax", category="weather", occurred_at=NOW + H
        )
    assert set(refused.value.fields) == {"description", "severity", "channel", "category", "occurred_at"}


def test_a_viewer_cannot_file_a_complaint(sessions: Sessions, world: World) -> None:
    with pytest.raises(PermissionDenied):
        file(sessions, world, actor=world.viewer)


@pytest.mark.parametrize("status", STATUSES)
def test_every_transition_from_a_status_is_allowed_or_refused_naming_the_status(
    sessions: Sessions, world: World, status: str
) -> None:
    complaint = file(sessions, world)
    walk(sessions, world, complaint.id, status)
    version = get_complaint(sessions, actor=world.manager, complaint_id=complaint.id).complaint.version
    allowed = [a for a, t in TRANSITIONS.items() if status in t.sources]
    for action in TRANSITIONS:
        if action in allowed:
            continue
        with pytest.raises(TransitionNotAllowed) as refused:
            act(sessions, world.manager, complaint.id, action, version=version)
        assert refused.value.params["status"] == status
    assert get_complaint(sessions, actor=world.manager, complaint_id=complaint.id).complaint.version == version
    for action in allowed:
        fresh = file(sessions, world)
        walk(sessions, world, fresh.id, status)
        act(sessions, world.manager, fresh.id, action)
        assert (
            get_complaint(sessions, actor=world.manager, complaint_id=fresh.id).complaint.status
            == TRANSITIONS[action].target
        )


def test_the_refusal_names_the_current_state_in_the_users_language(sessions: Sessions, world: World) -> None:
    complaint = file(sessions, world)
    zh = Actor(id=world.manager.id, username="lina", display_name="Lina", role="manager", language="zh")
    with pytest.raises(TransitionNotAllowed) as refused:
        act(sessions, zh, complaint.id, "resolve")
    assert refused.value.params["state"] == "新建"


def test_staff_cannot_reject_and_a_manager_must_give_a_reason(sessions: Sessions, world: World) -> None:
    complaint = file(sessions, world)
    with pytest.raises(PermissionDenied):
        act(sessions, world.agent, complaint.id, "reject")
    with pytest.raises(ValidationError) as refused:
        transition(
            sessions,
            actor=world.manager,
            complaint_id=complaint.id,
            version=complaint.version,
            action="reject",
            note=" ",
        )
    assert "note" in refused.value.fields
    act(sessions, world.manager, complaint.id, "reject")
    view = get_complaint(sessions, actor=world.manager, complaint_id=complaint.id).complaint
    assert (view.status, view.rejection_reason, view.next_due_at) == ("rejected", "Replaced the power unit.", None)


def test_resolving_needs_the_resolution(sessions: Sessions, world: World) -> None:
    complaint = file(sessions, world)
    walk(sessions, world, complaint.id, "in_progress")
    version = get_complaint(sessions, actor=world.agent, complaint_id=complaint.id).complaint.version
    with pytest.raises(ValidationError):
        transition(sessions, actor=world.agent, complaint_id=complaint.id, version=version, action="resolve")


def test_closing_needs_the_customers_confirmation(sessions: Sessions, world: World) -> None:
    complaint = file(sessions, world)
    walk(sessions, world, complaint.id, "resolved")
    version = get_complaint(sessions, actor=world.agent, complaint_id=complaint.id).complaint.version
    with pytest.raises(ValidationError):
        transition(sessions, actor=world.agent, complaint_id=complaint.id, version=version, action="confirm_satisfied")
    with pytest.raises(ValidationError) as refused:  # "satisfied" cannot reopen, "not satisfied" cannot close
        transition(
            sessions,
            actor=world.agent,
            complaint_id=complaint.id,
            version=version,
            action="confirm_satisfied",
            confirmation=NOT_SATISFIED,
        )
    assert "satisfied" in refused.value.fields
    view = transition(
        sessions,
        actor=world.agent,
        complaint_id=complaint.id,
        version=version,
        action="confirm_satisfied",
        confirmation=SATISFIED,
        now=NOW + 5 * H,
    )
    assert (view.status, view.customer_satisfied, view.confirmed_by, view.confirmation_channel) == (
        "closed",
        True,
        "Li Lei",
        "phone",
    )
    assert view.closed_at == NOW + 5 * H
    event = get_complaint(sessions, actor=world.agent, complaint_id=complaint.id).events[-1]
    assert (event.from_status, event.to_status, event.satisfied, event.actor_name) == (
        "resolved",
        "closed",
        True,
        "Agent",
    )


def test_the_second_reopen_escalates_to_the_department_head(sessions: Sessions, world: World) -> None:
    complaint = file(sessions, world)
    walk(sessions, world, complaint.id, "reopened")
    view = get_complaint(sessions, actor=world.agent, complaint_id=complaint.id).complaint
    assert (view.reopen_count, view.escalated, view.resolved_at) == (1, False, None)
    assert view.first_resolved_at is not None
    for action in ("start", "resolve", "confirm_not_satisfied"):
        act(sessions, world.agent, complaint.id, action)
    view = get_complaint(sessions, actor=world.agent, complaint_id=complaint.id).complaint
    assert (view.status, view.reopen_count, view.escalated) == ("reopened", 2, True)
    assert view.resolve_due_at == NOW + dt.timedelta(days=3)  # reopening keeps the original deadline
    with sessions.read() as session:
        tasks = session.scalars(select(FollowUpTask).where(FollowUpTask.source_complaint_id == complaint.id)).all()
        assert [(t.owner_id, t.purpose, t.priority, t.status) for t in tasks] == [
            (world.head.id, "complaint", "high", "open")
        ]
    kinds = [e.kind for e in get_complaint(sessions, actor=world.agent, complaint_id=complaint.id).events]
    assert kinds.count("escalation") == 1


def test_two_people_at_once_one_wins_the_other_is_told_who_and_the_state(sessions: Sessions, world: World) -> None:
    complaint = file(sessions, world)
    shown = complaint.version
    act(sessions, world.agent, complaint.id, "acknowledge", version=shown)
    with pytest.raises(StaleCase) as refused:
        act(sessions, world.manager, complaint.id, "acknowledge", version=shown)
    assert refused.value.params["status"] == "acknowledged"
    assert "agent" in refused.value.params["who"] and "status" in refused.value.params["fields"]
    with pytest.raises(StaleCase):  # a stale form of another action is refused the same way
        act(sessions, world.manager, complaint.id, "reject", version=shown)


def test_only_those_it_concerns_may_move_a_complaint(sessions: Sessions, world: World) -> None:
    complaint = file(sessions, world)
    with pytest.raises(PermissionDenied):
        act(sessions, world.outsider, complaint.id, "acknowledge")
    with pytest.raises(PermissionDenied):
        act(sessions, world.viewer, complaint.id, "acknowledge")
    assert get_complaint(sessions, actor=world.outsider, complaint_id=complaint.id).allowed_actions == ()
    # a member of the department it was handed to may act on it
    act(sessions, world.head, complaint.id, "acknowledge")


def test_a_hand_off_is_an_event_and_gives_the_new_department_the_complaint(sessions: Sessions, world: World) -> None:
    complaint = file(sessions, world)
    with pytest.raises(PermissionDenied):
        act(sessions, world.engineer, complaint.id, "acknowledge")
    view = hand_off(
        sessions,
        actor=world.agent,
        complaint_id=complaint.id,
        version=complaint.version,
        department_id=world.tech_id,
        assignee_id=world.engineer.id,
        note="Needs a firmware fix",
        now=NOW + 2 * H,
    )
    assert (view.department_id, view.assignee_name) == (world.tech_id, "Engineer")
    act(sessions, world.engineer, complaint.id, "acknowledge", now=NOW + 3 * H)
    detail = get_complaint(sessions, actor=world.engineer, complaint_id=complaint.id, now=NOW + 5 * H)
    handoffs = [e for e in detail.events if e.kind == "handoff"]
    assert [(e.department_id, e.note) for e in handoffs] == [
        (world.service_id, None),
        (world.tech_id, "Needs a firmware fix"),
    ]
    held = {t.department_id: t.seconds for t in detail.department_times}
    assert held == {world.service_id: 2 * 3600, world.tech_id: 3 * 3600}


def test_waiting_for_the_customer_stops_the_clock_and_moves_the_deadline(sessions: Sessions, world: World) -> None:
    complaint = file(sessions, world)
    act(sessions, world.agent, complaint.id, "acknowledge", now=NOW + H)
    act(sessions, world.agent, complaint.id, "start", now=NOW + H)
    act(sessions, world.agent, complaint.id, "wait_for_customer", now=NOW + 2 * H)
    waiting = get_complaint(sessions, actor=world.agent, complaint_id=complaint.id).complaint
    assert (waiting.next_due_at, waiting.flag) == (None, None)
    act(sessions, world.agent, complaint.id, "resume", now=NOW + 12 * H)
    view = get_complaint(sessions, actor=world.agent, complaint_id=complaint.id, now=NOW + 12 * H)
    assert view.complaint.paused_seconds == 10 * 3600
    assert view.complaint.resolve_due_at == NOW + dt.timedelta(days=3) + 10 * H
    assert view.complaint.next_due_at == view.complaint.resolve_due_at
    assert view.complaint.acknowledge_due_at == NOW + 4 * H
    assert view.waiting_seconds == 10 * 3600


def test_a_severity_change_recomputes_the_deadlines(sessions: Sessions, world: World) -> None:
    complaint = file(sessions, world, severity="low")
    view = change_severity(
        sessions,
        actor=world.agent,
        complaint_id=complaint.id,
        version=complaint.version,
        severity="critical",
        note="Production line stopped",
        now=NOW + H,
    )
    assert (view.acknowledge_due_at, view.resolve_due_at) == (NOW + H, NOW + dt.timedelta(days=1))
    event = get_complaint(sessions, actor=world.agent, complaint_id=complaint.id).events[-1]
    assert (event.kind, event.old_value, event.new_value) == ("severity", "low", "critical")


def test_breached_and_about_to_breach_flags(sessions: Sessions, world: World) -> None:
    complaint = file(sessions, world)  # acknowledge within 4 h: at risk from 3 h
    assert (
        get_complaint(sessions, actor=world.agent, complaint_id=complaint.id, now=NOW + 3 * H).complaint.flag
        == "at_risk"
    )
    assert (
        get_complaint(
            sessions, actor=world.agent, complaint_id=complaint.id, now=NOW + 4 * H + dt.timedelta(seconds=1)
        ).complaint.flag
        == "breached"
    )


def test_attachments_are_limited_stored_and_downloaded(sessions: Sessions, world: World) -> None:
    complaint = file(sessions, world)
    with pytest.raises(ValidationError):
        add_attachments(
            sessions,
            actor=world.agent,
            complaint_id=complaint.id,
            version=complaint.version,
            attachments=[AttachmentInput("evil.html", b"<script>")],
        )
    with pytest.raises(ValidationError):
        add_attachments(
            sessions,
            actor=world.agent,
            complaint_id=complaint.id,
            version=complaint.version,
            attachments=[AttachmentInput("big.pdf", b"x" * (5 * 1024 * 1024 + 1))],
        )
    add_attachments(
        sessions,
        actor=world.agent,
        complaint_id=complaint.id,
        version=complaint.version,
        attachments=[AttachmentInput("photo.JPG", b"\xff\xd8\xff" + bytes(range(256)))],
    )
    detail = get_complaint(sessions, actor=world.agent, complaint_id=complaint.id)
    [attachment] = detail.attachments
    assert (attachment.filename, attachment.content_type, attachment.size) == ("photo.JPG", "image/jpeg", 259)
    file_ = download_attachment(sessions, actor=world.manager, attachment_id=attachment.id)
    assert file_.content == b"\xff\xd8\xff" + bytes(range(256))


def test_every_event_records_who_and_when(sessions: Sessions, world: World) -> None:
    complaint = file(sessions, world)
    walk(sessions, world, complaint.id, "closed")
    with sessions.read() as session:
        rows = session.execute(
            select(ComplaintEvent.actor_id, ComplaintEvent.at).where(ComplaintEvent.complaint_id == complaint.id)
        ).all()
        assert rows and all(actor is not None and at is not None for actor, at in rows)
        assert session.get(Complaint, complaint.id).status == "closed"  # type: ignore[union-attr]


def test_the_customers_timeline_shows_each_step_of_a_complaint_after_its_intake(
    sessions: Sessions, world: World
) -> None:
    """The 360 timeline holds the complaint's intake once and then every later step, with who took it."""
    from crm.complaints import ComplaintInput, file_complaint
    from crm.customers.timeline import customer_timeline

    filed = file_complaint(
        sessions,
        actor=world.manager,
        data=ComplaintInput(
            customer_id=world.customer_id, channel="phone", description="Printer jams", severity="high"
        ),
        now=NOW,
    )
    act(sessions, world.manager, filed.id, "acknowledge", now=NOW + dt.timedelta(minutes=5))
    act(sessions, world.manager, filed.id, "start", now=NOW + dt.timedelta(minutes=10))
    entries = customer_timeline(sessions, actor=world.manager, customer_id=world.customer_id).entries
    steps = [(e.entity, e.old, e.new, e.who) for e in entries if e.kind == "complaint_event"]
    assert steps == [
        (filed.code, "acknowledged", "in_progress", "Lina"),
        (filed.code, "new", "acknowledged", "Lina"),
    ]
    assert [e.entity for e in entries if e.kind == "complaint"] == [filed.code]
