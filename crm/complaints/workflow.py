"""The complaint workflow: transitions by the state machine, hand-offs, severity changes, escalation, the detail.

Every write is one transaction that locks the complaint, checks the version the page showed (a stale page or
a second person gets StaleCase, naming who changed what and the status now), checks the move against the
table in states.py (TransitionNotAllowed names the current status), and records an event with who, when and
a note. The audit trail records every changed field through the versioned model.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.complaints.common import (
    TransitionNotAllowed,
    actor_department,
    check_case_version,
    check_text,
    clean,
    customer_owner,
    holidays_from,
    load_policy,
    may_handle,
)
from crm.complaints.intake import (
    AttachmentInput,
    attachment_count,
    check_attachments,
    check_contact,
    check_routing,
    store_attachments,
)
from crm.complaints.sla import complaint_deadlines
from crm.complaints.states import (
    CONFIRM_NOT_SATISFIED,
    CONFIRM_SATISFIED,
    REJECT,
    RESOLVE,
    RESUME,
    TRANSITIONS,
    allowed_actions,
)
from crm.complaints.views import (
    ComplaintDetail,
    ComplaintView,
    attachments_of,
    department_times,
    events_of,
    load_view,
    pauses_of,
)
from crm.complaints.vocab import CONFIRMATION_CHANNELS, FINAL_STATUSES, OPEN_STATUSES, SEVERITIES
from crm.follow_ups import refresh_follow_up_columns
from crm.platform.access import can_read
from crm.platform.clock import company_zone, utcnow
from crm.platform.errors import NotFound, PermissionDenied, ValidationCollector
from crm.platform.permissions import Actor, require
from crm.platform.uow import transaction
from crm.platform.validation import check_choice, check_length
from db.engine import Sessions
from db.models import Complaint, ComplaintAttachment, ComplaintEvent, Department, FollowUpTask

# The reopen that escalates: the department head gets a follow-up task and the complaint is flagged.
ESCALATE_AT_REOPEN = 2
ESCALATION_DUE = dt.timedelta(days=1)
# Stored on the task (data, read in either language): both languages at once.
ESCALATION_NOTE = "投诉 {code} 第二次重新打开，请部门负责人跟进 / Complaint {code} reopened twice: the head follows up"


@dataclass(frozen=True)
class Confirmation:
    """The customer's answer to the resolution: who confirmed, when, how, and whether they are satisfied."""

    confirmed_by: str
    channel: str
    satisfied: bool
    confirmed_at: dt.datetime | None = None  # now if not given


# --- reading ----------------------------------------------------------------------------------------


def _readable(session: Session, actor: Actor, complaint: Complaint, department_id: int | None) -> bool:
    owner = customer_owner(session, complaint.customer_id)
    if can_read(session, actor, owner):
        return True
    return may_handle(
        actor,
        department_id,
        assignee_id=complaint.assignee_id,
        department_id=complaint.department_id,
        customer_owner_id=None,
    )


def _handles(session: Session, actor: Actor, complaint: Complaint, department_id: int | None) -> bool:
    return may_handle(
        actor,
        department_id,
        assignee_id=complaint.assignee_id,
        department_id=complaint.department_id,
        customer_owner_id=customer_owner(session, complaint.customer_id),
    )


def allowed_transitions(
    actor: Actor, complaint: ComplaintView, *, actor_department_id: int | None, customer_owner_id: int | None
) -> tuple[str, ...]:
    """The actions to offer this user on this complaint now (the page shows only these)."""
    handles = may_handle(
        actor,
        actor_department_id,
        assignee_id=complaint.assignee_id,
        department_id=complaint.department_id,
        customer_owner_id=customer_owner_id,
    )
    return allowed_actions(complaint.status, may_handle=handles, is_manager=actor.can("complaints.manage"))


def get_complaint(
    sessions: Sessions, *, actor: Actor, complaint_id: int, now: dt.datetime | None = None
) -> ComplaintDetail:
    """Return a complaint with its history, attachments, allowed actions and time per department."""
    require(actor, "complaints.view")
    now = now or utcnow()
    with sessions.read() as session:
        complaint = session.get(Complaint, complaint_id)
        if complaint is None or complaint.archived_at is not None:
            raise NotFound(entity="complaints", id=complaint_id)
        department_id = actor_department(session, actor)
        if not _readable(session, actor, complaint, department_id):
            raise PermissionDenied(permission="complaints.view")
        view = load_view(session, complaint_id, now)
        assert view is not None
        events = events_of(session, complaint_id)
        owner = customer_owner(session, complaint.customer_id)
        handles = may_handle(
            actor,
            department_id,
            assignee_id=complaint.assignee_id,
            department_id=complaint.department_id,
            customer_owner_id=owner,
        )
        is_open = complaint.status in OPEN_STATUSES
        pauses = pauses_of(events)
        waiting = sum(int(((end or now) - start).total_seconds()) for start, end in pauses)
        return ComplaintDetail(
            complaint=view,
            events=events,
            attachments=attachments_of(session, complaint_id),
            allowed_actions=allowed_transitions(
                actor, view, actor_department_id=department_id, customer_owner_id=owner
            ),
            may_hand_off=handles and is_open,
            may_change_severity=handles and is_open,
            may_attach=handles and complaint.status not in FINAL_STATUSES,
            department_times=department_times(events, ended_at=complaint.closed_at, now=now),
            waiting_seconds=waiting,
        )


# --- writing ----------------------------------------------------------------------------------------


def _load_for_write(session: Session, actor: Actor, complaint_id: int, version: int) -> Complaint:
    """Lock the complaint, refuse a stale version (naming the status now) or someone who may not handle it."""
    complaint = session.get(Complaint, complaint_id, with_for_update=True)
    if complaint is None or complaint.archived_at is not None:
        raise NotFound(entity="complaints", id=complaint_id)
    if not _handles(session, actor, complaint, actor_department(session, actor)):
        raise PermissionDenied(permission="complaints.handle")
    check_case_version(session, complaint, version, complaint.status, actor.language)
    return complaint


def _event(
    session: Session,
    complaint: Complaint,
    actor: Actor,
    at: dt.datetime,
    *,
    kind: str,
    from_status: str | None = None,
    note: str | None = None,
    **fields: object,
) -> None:
    session.add(
        ComplaintEvent(
            complaint_id=complaint.id,
            kind=kind,
            at=at,
            from_status=from_status or complaint.status,
            to_status=complaint.status,
            actor_id=actor.id,
            note=note,
            **fields,
        )
    )


def _recompute_deadlines(session: Session, complaint: Complaint, now: dt.datetime) -> None:
    """Deadlines from receipt under the current severity, every finished waiting-for-customer pause excluded."""
    session.flush()
    pauses = [
        (s, e)
        for s, e in pauses_of(
            list(
                session.scalars(
                    select(ComplaintEvent)
                    .where(ComplaintEvent.complaint_id == complaint.id)
                    .order_by(ComplaintEvent.at, ComplaintEvent.id)
                )
            )
        )
        if e is not None
    ]
    policy, zone, holidays = load_policy(session), company_zone(session), holidays_from(session, complaint.received_at)
    # Pauses come after the acknowledgement (waiting needs handling to have started): they move only the resolve one.
    first = complaint_deadlines(policy, complaint.severity, complaint.received_at, zone, holidays)
    due = complaint_deadlines(policy, complaint.severity, complaint.received_at, zone, holidays, pauses)
    complaint.respond_due_at, complaint.respond_warn_at = first.acknowledge_due_at, first.acknowledge_warn_at
    complaint.resolve_due_at, complaint.resolve_warn_at = due.resolve_due_at, due.resolve_warn_at
    _set_running_deadline(complaint)


def _set_running_deadline(complaint: Complaint) -> None:
    if complaint.status == "new":
        complaint.next_due_at, complaint.next_warn_at = complaint.respond_due_at, complaint.respond_warn_at
    elif complaint.status in ("acknowledged", "in_progress", "reopened"):
        complaint.next_due_at, complaint.next_warn_at = complaint.resolve_due_at, complaint.resolve_warn_at
    else:  # waiting for the customer (the clock stands), resolved, closed, rejected
        complaint.next_due_at = complaint.next_warn_at = None


def transition(
    sessions: Sessions,
    *,
    actor: Actor,
    complaint_id: int,
    version: int,
    action: str,
    note: str | None = None,
    confirmation: Confirmation | None = None,
    root_cause: str | None = None,
    token: str | None = None,
    now: dt.datetime | None = None,
) -> ComplaintView:
    """Move a complaint by one action of the state machine (crm.complaints.states), in one transaction.

    resolve needs the resolution as the note; reject (managers) the reason; confirm_satisfied /
    confirm_not_satisfied the customer's Confirmation. The second "not satisfied" escalates.
    """
    require(actor, "complaints.handle")
    now = now or utcnow()
    spec = TRANSITIONS.get(action)
    note = clean(note)
    errors = ValidationCollector()
    check_text(errors, "note", note, ComplaintEvent, "note")
    check_text(errors, "root_cause", clean(root_cause), Complaint, "root_cause")
    errors.raise_if_any()
    with transaction(sessions, actor=actor, token=token, operation=f"complaints.{action}") as session:
        complaint = _load_for_write(session, actor, complaint_id, version)
        previous = complaint.status
        if spec is None or previous not in spec.sources:
            raise TransitionNotAllowed(status=previous, action=action, language=actor.language)
        if spec.managers_only and not actor.can("complaints.manage"):
            raise PermissionDenied(permission="complaints.manage")
        if spec.needs_note and note is None:
            errors.add(
                "note",
                "complaints.error.resolution_required" if action == RESOLVE else "complaints.error.reason_required",
            )
        if spec.needs_confirmation:
            _check_confirmation(errors, confirmation, action, now)
        errors.raise_if_any()
        complaint.status = spec.target
        event_fields: dict[str, object] = {}
        if action == "acknowledge":
            complaint.responded_at = now
        elif action == "wait_for_customer":
            complaint.waiting_since = now
        elif action == RESUME:
            if complaint.waiting_since is not None:
                complaint.paused_seconds = (complaint.paused_seconds or 0) + max(
                    0, int((now - complaint.waiting_since).total_seconds())
                )
            complaint.waiting_since = None
        elif action == RESOLVE:
            complaint.resolution = note
            complaint.resolved_at = now
            complaint.first_resolved_at = complaint.first_resolved_at or now
            if clean(root_cause):
                complaint.root_cause = clean(root_cause)
        elif action == REJECT:
            complaint.rejection_reason = note
            complaint.closed_at = now
        elif action in (CONFIRM_SATISFIED, CONFIRM_NOT_SATISFIED):
            assert confirmation is not None
            complaint.customer_satisfied = confirmation.satisfied
            complaint.confirmed_at = confirmation.confirmed_at or now
            complaint.confirmed_by = confirmation.confirmed_by.strip()
            complaint.confirmation_channel = confirmation.channel
            event_fields = {
                "satisfied": confirmation.satisfied,
                "confirmed_by": complaint.confirmed_by,
                "channel": confirmation.channel,
            }
            if action == CONFIRM_SATISFIED:
                complaint.closed_at = now
            else:
                # Reopened: handled again against the original deadlines (the on-time figure keeps them).
                complaint.reopen_count = (complaint.reopen_count or 0) + 1
                complaint.resolved_at = None
        _set_running_deadline(complaint)
        _event(session, complaint, actor, now, kind="transition", from_status=previous, note=note, **event_fields)
        if action == CONFIRM_NOT_SATISFIED and complaint.reopen_count == ESCALATE_AT_REOPEN and not complaint.escalated:
            _escalate(session, actor, complaint, now)
        if action == RESUME:
            _recompute_deadlines(session, complaint, now)
        session.flush()
        view = load_view(session, complaint.id, now)
        assert view is not None
        return view


def _check_confirmation(
    errors: ValidationCollector, confirmation: Confirmation | None, action: str, now: dt.datetime
) -> None:
    if confirmation is None:
        errors.add("confirmed_by", "validation.required")
        return
    if not (confirmation.confirmed_by or "").strip():
        errors.add("confirmed_by", "validation.required")
    check_length(errors, "confirmed_by", confirmation.confirmed_by, 120)
    check_choice(errors, "channel", confirmation.channel, CONFIRMATION_CHANNELS, required=True)
    if confirmation.satisfied != (action == CONFIRM_SATISFIED):
        errors.add("satisfied", "complaints.error.confirmation_mismatch")
    if confirmation.confirmed_at is not None and confirmation.confirmed_at > now + dt.timedelta(minutes=1):
        errors.add("confirmed_at", "validation.future_date")


def _escalate(session: Session, actor: Actor, complaint: Complaint, now: dt.datetime) -> None:
    """Flag the complaint and give its department's head a follow-up task (none if nobody heads it)."""
    complaint.escalated = True
    complaint.escalated_at = now
    head_id = None
    if complaint.department_id is not None:
        head_id = session.scalar(select(Department.head_id).where(Department.id == complaint.department_id))
    if head_id is not None:
        # No open_key: an escalation is one per complaint (the escalated flag guards it), not one per customer
        # and purpose, so it never displaces the customer's own complaint follow-up.
        session.add(
            FollowUpTask(
                customer_id=complaint.customer_id,
                contact_id=complaint.contact_id,
                owner_id=head_id,
                due_at=now + ESCALATION_DUE,
                priority="high",
                purpose="complaint",
                status="open",
                open_key=None,
                note=ESCALATION_NOTE.format(code=complaint.code),
                created_by_rule="complaint_escalation",
                source_complaint_id=complaint.id,
            )
        )
        refresh_follow_up_columns(session, [complaint.customer_id])
    _event(session, complaint, actor, now, kind="escalation", new_value=str(head_id) if head_id else None)


def hand_off(
    sessions: Sessions,
    *,
    actor: Actor,
    complaint_id: int,
    version: int,
    department_id: int | None,
    assignee_id: int | None,
    note: str | None = None,
    token: str | None = None,
    now: dt.datetime | None = None,
) -> ComplaintView:
    """Hand an open complaint to a department and a person (a reassignment too); recorded as an event."""
    require(actor, "complaints.handle")
    now = now or utcnow()
    note = clean(note)
    errors = ValidationCollector()
    check_text(errors, "note", note, ComplaintEvent, "note")
    if department_id is None and assignee_id is None:
        errors.add("department_id", "validation.required")
    with transaction(sessions, actor=actor, token=token, operation="complaints.hand_off") as session:
        complaint = _load_for_write(session, actor, complaint_id, version)
        if complaint.status not in OPEN_STATUSES:
            raise TransitionNotAllowed(status=complaint.status, action="hand_off", language=actor.language)
        check_routing(session, errors, department_id, assignee_id)
        errors.raise_if_any()
        old = f"{complaint.department_id or ''}/{complaint.assignee_id or ''}"
        complaint.department_id, complaint.assignee_id = department_id, assignee_id
        _event(
            session,
            complaint,
            actor,
            now,
            kind="handoff",
            note=note,
            department_id=department_id,
            assignee_id=assignee_id,
            old_value=old,
            new_value=f"{department_id or ''}/{assignee_id or ''}",
        )
        session.flush()
        view = load_view(session, complaint.id, now)
        assert view is not None
        return view


def change_severity(
    sessions: Sessions,
    *,
    actor: Actor,
    complaint_id: int,
    version: int,
    severity: str,
    note: str | None = None,
    token: str | None = None,
    now: dt.datetime | None = None,
) -> ComplaintView:
    """Change an open complaint's severity; its deadlines are computed again from receipt under the new one."""
    require(actor, "complaints.handle")
    now = now or utcnow()
    errors = ValidationCollector()
    check_choice(errors, "severity", severity, SEVERITIES, required=True)
    check_text(errors, "note", clean(note), ComplaintEvent, "note")
    errors.raise_if_any()
    with transaction(sessions, actor=actor, token=token, operation="complaints.severity") as session:
        complaint = _load_for_write(session, actor, complaint_id, version)
        if complaint.status not in OPEN_STATUSES:
            raise TransitionNotAllowed(status=complaint.status, action="change_severity", language=actor.language)
        if severity != complaint.severity:
            old = complaint.severity
            complaint.severity = severity
            _recompute_deadlines(session, complaint, now)
            _event(session, complaint, actor, now, kind="severity", note=clean(note), old_value=old, new_value=severity)
        session.flush()
        view = load_view(session, complaint.id, now)
        assert view is not None
        return view


@dataclass(frozen=True)
class ComplaintEdits:
    """Facts that may be corrected while a complaint is open (severity and routing have their own actions)."""

    description: str
    category: str | None
    contact_id: int | None
    impact_scope: str | None
    expected_resolution: str | None
    occurred_at: dt.datetime | None


def add_note(
    sessions: Sessions,
    *,
    actor: Actor,
    complaint_id: int,
    version: int,
    note: str,
    token: str | None = None,
    now: dt.datetime | None = None,
) -> ComplaintView:
    """Add a note to the complaint's history (a call made, a finding) without changing its status."""
    require(actor, "complaints.handle")
    now = now or utcnow()
    text = clean(note)
    errors = ValidationCollector()
    if text is None:
        errors.add("note", "validation.required")
    check_text(errors, "note", text, ComplaintEvent, "note")
    errors.raise_if_any()
    with transaction(sessions, actor=actor, token=token, operation="complaints.note") as session:
        complaint = _load_for_write(session, actor, complaint_id, version)
        if complaint.status in FINAL_STATUSES:
            raise TransitionNotAllowed(status=complaint.status, action="note", language=actor.language)
        _event(session, complaint, actor, now, kind="note", note=text)
        session.flush()
        view = load_view(session, complaint.id, now)
        assert view is not None
        return view


def edit_complaint(
    sessions: Sessions,
    *,
    actor: Actor,
    complaint_id: int,
    version: int,
    edits: ComplaintEdits,
    token: str | None = None,
    now: dt.datetime | None = None,
) -> ComplaintView:
    """Correct an open complaint's recorded facts (audited field by field)."""
    from crm.complaints.common import category_codes
    from crm.complaints.vocab import IMPACT_SCOPES

    require(actor, "complaints.handle")
    now = now or utcnow()
    errors = ValidationCollector()
    description = clean(edits.description)
    if description is None:
        errors.add("description", "validation.required")
    check_text(errors, "description", description, Complaint, "description")
    check_text(errors, "expected_resolution", clean(edits.expected_resolution), Complaint, "expected_resolution")
    check_choice(errors, "impact_scope", edits.impact_scope, IMPACT_SCOPES)
    with transaction(sessions, actor=actor, token=token, operation="complaints.edit") as session:
        complaint = _load_for_write(session, actor, complaint_id, version)
        if complaint.status in FINAL_STATUSES:
            raise TransitionNotAllowed(status=complaint.status, action="edit", language=actor.language)
        check_choice(errors, "category", edits.category, category_codes(session))
        check_contact(session, errors, complaint.customer_id, edits.contact_id)
        if edits.occurred_at is not None and edits.occurred_at > complaint.received_at:
            errors.add("occurred_at", "complaints.error.occurred_after_received")
        errors.raise_if_any()
        complaint.description = description or ""
        complaint.category = edits.category
        complaint.contact_id = edits.contact_id
        complaint.impact_scope = edits.impact_scope
        complaint.expected_resolution = clean(edits.expected_resolution)
        complaint.occurred_at = edits.occurred_at
        session.flush()
        view = load_view(session, complaint.id, now)
        assert view is not None
        return view


def add_attachments(
    sessions: Sessions,
    *,
    actor: Actor,
    complaint_id: int,
    version: int,
    attachments: list[AttachmentInput],
    token: str | None = None,
    now: dt.datetime | None = None,
) -> ComplaintView:
    """Attach files to a complaint not yet closed or rejected."""
    require(actor, "complaints.handle")
    now = now or utcnow()
    with transaction(sessions, actor=actor, token=token, operation="complaints.attach") as session:
        complaint = _load_for_write(session, actor, complaint_id, version)
        if complaint.status in FINAL_STATUSES:
            raise TransitionNotAllowed(status=complaint.status, action="attach", language=actor.language)
        errors = ValidationCollector()
        check_attachments(errors, attachments, already=attachment_count(session, complaint.id))
        errors.raise_if_any()
        store_attachments(session, actor, complaint.id, attachments, now)
        session.flush()
        view = load_view(session, complaint.id, now)
        assert view is not None
        return view


@dataclass(frozen=True)
class AttachmentFile:
    """A file to offer for download (st.download_button), never to render."""

    filename: str
    content_type: str
    content: bytes


def download_attachment(sessions: Sessions, *, actor: Actor, attachment_id: int) -> AttachmentFile:
    """Return an attachment's bytes, if the actor may read its complaint."""
    require(actor, "complaints.view")
    with sessions.read() as session:
        attachment = session.get(ComplaintAttachment, attachment_id)
        if attachment is None or attachment.archived_at is not None:
            raise NotFound(entity="complaint_attachments", id=attachment_id)
        complaint = session.get(Complaint, attachment.complaint_id)
        assert complaint is not None
        if not _readable(session, actor, complaint, actor_department(session, actor)):
            raise PermissionDenied(permission="complaints.view")
        return AttachmentFile(attachment.filename, attachment.content_type, bytes(attachment.content))
