"""Inquiries (咨询): a lighter case on the complaint machinery, new → answered → closed, or turned into a complaint."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, Row, Select, func, select
from sqlalchemy.orm import Session, aliased

from crm.complaints.common import (
    TransitionNotAllowed,
    actor_department,
    check_case_version,
    check_text,
    clean,
    customer_owner,
    draw_reference,
    holidays_from,
    load_policy,
    may_handle,
)
from crm.complaints.intake import ComplaintInput, check_contact, check_routing, insert_complaint, validate_input
from crm.complaints.sla import flag, inquiry_deadlines
from crm.complaints.views import ComplaintView, load_view
from crm.complaints.vocab import CHANNELS
from crm.platform.access import can_read, load_readable
from crm.platform.audit import changes_since
from crm.platform.clock import company_zone, utcnow
from crm.platform.errors import NotFound, PermissionDenied, ValidationCollector
from crm.platform.permissions import Actor, require
from crm.platform.uow import transaction
from crm.platform.validation import check_choice
from db.engine import Sessions
from db.models import ComplaintEvent, Customer, Department, Inquiry, User

REFERENCE_KIND = "Q"
PAGE_SIZE = 50
# Inquiry actions: from which statuses each may be taken.
INQUIRY_ACTIONS: dict[str, frozenset[str]] = {
    "respond": frozenset({"new"}),  # a first response (the respond-within limit), the status stays new
    "answer": frozenset({"new"}),
    "close": frozenset({"answered"}),
    "convert": frozenset({"new", "answered"}),
}


@dataclass(frozen=True)
class InquiryInput:
    customer_id: int
    channel: str
    question: str
    contact_id: int | None = None
    department_id: int | None = None
    assignee_id: int | None = None
    received_at: dt.datetime | None = None


@dataclass(frozen=True)
class InquiryStep:
    """One step of an inquiry's history, read from the audit trail: received, then each change of its status,
    routing or answer (field; old and new values as audited, people and departments by name)."""

    at: dt.datetime
    who: str | None
    field: str  # "received", "status", "department_id", "assignee_id", "answer"
    old: str | None
    new: str | None


# The fields whose changes make an inquiry's history (the deadlines and timestamps follow from these).
HISTORY_FIELDS = ("status", "department_id", "assignee_id", "answer")


@dataclass(frozen=True)
class InquiryView:
    id: int
    code: str
    version: int
    customer_id: int
    customer_name: str
    contact_id: int | None
    channel: str
    received_at: dt.datetime
    question: str
    answer: str | None
    status: str
    department_id: int | None
    department_name_en: str | None
    department_name_zh: str | None
    assignee_id: int | None
    assignee_name: str | None
    respond_due_at: dt.datetime | None
    answer_due_at: dt.datetime | None
    responded_at: dt.datetime | None
    answered_at: dt.datetime | None
    closed_at: dt.datetime | None
    complaint_id: int | None  # the complaint it was turned into
    flag: str | None  # breached / at_risk for the limit running now (respond, then answer)
    allowed_actions: tuple[str, ...] = ()
    history: tuple[InquiryStep, ...] = ()  # filled by get_inquiry only


def _select() -> Select[Inquiry, str, str | None, str | None, str | None]:
    # Department and assignee names are None where the outer joins find none.
    assignee = aliased(User)
    return (
        select(Inquiry, Customer.name, Department.name, Department.name_zh, assignee.display_name)
        .join(Customer, Customer.id == Inquiry.customer_id)
        .outerjoin(Department, Department.id == Inquiry.department_id)
        .outerjoin(assignee, assignee.id == Inquiry.assignee_id)
    )


def _view(
    row: Row[Inquiry, str, str | None, str | None, str | None], now: dt.datetime, allowed: tuple[str, ...] = ()
) -> InquiryView:
    q, customer_name, dept_en, dept_zh, assignee_name = row
    running = None
    if q.status == "new":
        running = q.respond_due_at if q.responded_at is None else q.answer_due_at
    return InquiryView(
        id=q.id,
        code=q.code,
        version=q.version,
        customer_id=q.customer_id,
        customer_name=customer_name,
        contact_id=q.contact_id,
        channel=q.channel,
        received_at=q.received_at,
        question=q.question,
        answer=q.answer,
        status=q.status,
        department_id=q.department_id,
        department_name_en=dept_en,
        department_name_zh=dept_zh,
        assignee_id=q.assignee_id,
        assignee_name=assignee_name,
        respond_due_at=q.respond_due_at,
        answer_due_at=q.answer_due_at,
        responded_at=q.responded_at,
        answered_at=q.answered_at,
        closed_at=q.closed_at,
        complaint_id=q.complaint_id,
        flag=flag(running, None, now),
        allowed_actions=allowed,
    )


def _load_view(session: Session, actor: Actor, inquiry_id: int, now: dt.datetime) -> InquiryView:
    row = session.execute(_select().where(Inquiry.id == inquiry_id)).one()
    inquiry = row[0]
    handles = may_handle(
        actor,
        actor_department(session, actor),
        assignee_id=inquiry.assignee_id,
        department_id=inquiry.department_id,
        customer_owner_id=customer_owner(session, inquiry.customer_id),
    )
    allowed = tuple(
        a
        for a, sources in INQUIRY_ACTIONS.items()
        if handles and inquiry.status in sources and not (a == "respond" and inquiry.responded_at is not None)
    )
    return _view(row, now, allowed)


def file_inquiry(
    sessions: Sessions, *, actor: Actor, data: InquiryInput, token: str | None = None, now: dt.datetime | None = None
) -> InquiryView:
    """Record an inquiry with its reference number (Q-YYYY-NNNNNN) and its time limits."""
    require(actor, "complaints.handle")
    now = now or utcnow()
    errors = ValidationCollector()
    check_choice(errors, "channel", data.channel, CHANNELS, required=True)
    question = clean(data.question)
    if question is None:
        errors.add("question", "validation.required")
    check_text(errors, "question", question, Inquiry, "question")
    received_at = data.received_at or now
    if received_at > now + dt.timedelta(minutes=1):
        errors.add("received_at", "validation.future_date")
    with transaction(sessions, actor=actor, token=token, operation="inquiries.file") as session:
        customer = load_readable(session, actor, data.customer_id)
        if customer.archived_at is not None:
            raise NotFound(entity="customers", id=data.customer_id)
        check_contact(session, errors, customer.id, data.contact_id)
        check_routing(session, errors, data.department_id, data.assignee_id)
        errors.raise_if_any()
        zone = company_zone(session)
        due = inquiry_deadlines(load_policy(session), received_at, zone, holidays_from(session, received_at))
        inquiry = Inquiry(
            code=draw_reference(
                session, kind=REFERENCE_KIND, year=received_at.astimezone(zone).year, column=Inquiry.code
            ),
            customer_id=customer.id,
            contact_id=data.contact_id,
            channel=data.channel,
            received_at=received_at,
            received_by_id=actor.id,
            question=question,
            status="new",
            department_id=data.department_id,
            assignee_id=data.assignee_id,
            respond_due_at=due.acknowledge_due_at,
            answer_due_at=due.resolve_due_at,
        )
        session.add(inquiry)
        session.flush()
        return _load_view(session, actor, inquiry.id, now)


def _load_for_write(session: Session, actor: Actor, inquiry_id: int, version: int, action: str) -> Inquiry:
    inquiry = session.get(Inquiry, inquiry_id, with_for_update=True)
    if inquiry is None or inquiry.archived_at is not None:
        raise NotFound(entity="inquiries", id=inquiry_id)
    if not may_handle(
        actor,
        actor_department(session, actor),
        assignee_id=inquiry.assignee_id,
        department_id=inquiry.department_id,
        customer_owner_id=customer_owner(session, inquiry.customer_id),
    ):
        raise PermissionDenied(permission="complaints.handle")
    check_case_version(
        session,
        inquiry,
        version,
        inquiry.status,
        actor.language,
        key="complaints.error.inquiry_stale",
        vocabulary="inquiry_status",
    )
    if inquiry.status not in INQUIRY_ACTIONS[action] or (action == "respond" and inquiry.responded_at is not None):
        raise TransitionNotAllowed(
            status=inquiry.status,
            action=action,
            language=actor.language,
            key="complaints.error.inquiry_transition",
            vocabulary="inquiry_status",
        )
    return inquiry


def respond_to_inquiry(
    sessions: Sessions,
    *,
    actor: Actor,
    inquiry_id: int,
    version: int,
    token: str | None = None,
    now: dt.datetime | None = None,
) -> InquiryView:
    """Record the first response to the customer (the respond-within limit); the inquiry stays new."""
    require(actor, "complaints.handle")
    now = now or utcnow()
    with transaction(sessions, actor=actor, token=token, operation="inquiries.respond") as session:
        inquiry = _load_for_write(session, actor, inquiry_id, version, "respond")
        inquiry.responded_at = now
        session.flush()
        return _load_view(session, actor, inquiry.id, now)


def answer_inquiry(
    sessions: Sessions,
    *,
    actor: Actor,
    inquiry_id: int,
    version: int,
    answer: str,
    token: str | None = None,
    now: dt.datetime | None = None,
) -> InquiryView:
    """Answer an inquiry: new → answered (an answer is a response too)."""
    require(actor, "complaints.handle")
    now = now or utcnow()
    text = clean(answer)
    errors = ValidationCollector()
    if text is None:
        errors.add("answer", "complaints.error.answer_required")
    check_text(errors, "answer", text, Inquiry, "answer")
    errors.raise_if_any()
    with transaction(sessions, actor=actor, token=token, operation="inquiries.answer") as session:
        inquiry = _load_for_write(session, actor, inquiry_id, version, "answer")
        inquiry.answer, inquiry.status = text, "answered"
        inquiry.answered_at, inquiry.answered_by_id = now, actor.id
        inquiry.responded_at = inquiry.responded_at or now
        session.flush()
        return _load_view(session, actor, inquiry.id, now)


def close_inquiry(
    sessions: Sessions,
    *,
    actor: Actor,
    inquiry_id: int,
    version: int,
    token: str | None = None,
    now: dt.datetime | None = None,
) -> InquiryView:
    """Close an answered inquiry."""
    require(actor, "complaints.handle")
    now = now or utcnow()
    with transaction(sessions, actor=actor, token=token, operation="inquiries.close") as session:
        inquiry = _load_for_write(session, actor, inquiry_id, version, "close")
        inquiry.status, inquiry.closed_at = "closed", now
        session.flush()
        return _load_view(session, actor, inquiry.id, now)


def convert_to_complaint(
    sessions: Sessions,
    *,
    actor: Actor,
    inquiry_id: int,
    version: int,
    severity: str,
    category: str | None = None,
    description: str | None = None,
    impact_scope: str | None = None,
    expected_resolution: str | None = None,
    token: str | None = None,
    now: dt.datetime | None = None,
) -> ComplaintView:
    """Turn an inquiry into a complaint, keeping its history: the inquiry points at it (the complaint's view has
    its inquiry_id), its
    first event is "converted" with the inquiry's question and answer, and the inquiry is marked converted.

    The complaint is received now (its time limits run from the conversion); the question is its description
    unless another is given; department and assignee carry over.
    """
    require(actor, "complaints.handle")
    now = now or utcnow()
    with transaction(sessions, actor=actor, token=token, operation="inquiries.convert") as session:
        inquiry = _load_for_write(session, actor, inquiry_id, version, "convert")
        data = ComplaintInput(
            customer_id=inquiry.customer_id,
            channel=inquiry.channel,
            description=clean(description) or inquiry.question,
            severity=severity,
            category=category,
            contact_id=inquiry.contact_id,
            impact_scope=impact_scope,
            expected_resolution=expected_resolution,
            department_id=inquiry.department_id,
            assignee_id=inquiry.assignee_id,
            received_at=now,
        )
        errors = validate_input(data, now)
        complaint = insert_complaint(session, actor, data, errors, now)
        history = "\n".join(part for part in (f"{inquiry.code}: {inquiry.question}", inquiry.answer) if part)
        session.add(
            ComplaintEvent(
                complaint_id=complaint.id,
                kind="converted",
                at=now,
                from_status="new",
                to_status="new",
                actor_id=actor.id,
                note=history[:10_000],
                old_value=inquiry.code,
            )
        )
        inquiry.status, inquiry.complaint_id, inquiry.closed_at = "converted", complaint.id, now
        session.flush()
        view = load_view(session, complaint.id, now)
        assert view is not None
        return view


def get_inquiry(sessions: Sessions, *, actor: Actor, inquiry_id: int, now: dt.datetime | None = None) -> InquiryView:
    """Return an inquiry with the actions the actor may take on it."""
    require(actor, "complaints.view")
    now = now or utcnow()
    with sessions.read() as session:
        inquiry = session.get(Inquiry, inquiry_id)
        if inquiry is None or inquiry.archived_at is not None:
            raise NotFound(entity="inquiries", id=inquiry_id)
        if not (
            can_read(session, actor, customer_owner(session, inquiry.customer_id))
            or may_handle(
                actor,
                actor_department(session, actor),
                assignee_id=inquiry.assignee_id,
                department_id=inquiry.department_id,
                customer_owner_id=None,
            )
        ):
            raise PermissionDenied(permission="complaints.view")
        view = _load_view(session, actor, inquiry_id, now)
        return replace(view, history=_history(session, inquiry))


def _history(session: Session, inquiry: Inquiry) -> tuple[InquiryStep, ...]:
    received_by = session.get(User, inquiry.received_by_id) if inquiry.received_by_id else None
    steps = [
        InquiryStep(inquiry.received_at, received_by.display_name if received_by else None, "received", None, None)
    ]
    steps += [
        InquiryStep(change["at"], change["who"], change["field"], change["old_value"], change["new_value"])
        for change in changes_since(session, "inquiries", inquiry.id, 1)
        if change["field"] in HISTORY_FIELDS
    ]
    return tuple(steps)


def list_inquiries(
    sessions: Sessions,
    *,
    actor: Actor,
    status: str | None = None,
    customer_id: int | None = None,
    page: int = 0,
    page_size: int = PAGE_SIZE,
    now: dt.datetime | None = None,
) -> tuple[list[InquiryView], int]:
    """Return one page of inquiries (open first by their deadline) and the total; staff see their customers'
    and their department's unless everyone may read every customer."""
    require(actor, "complaints.view")
    now = now or utcnow()
    with sessions.read() as session:
        conditions: list[ColumnElement[bool]] = [Inquiry.archived_at.is_(None)]
        if status:
            conditions.append(Inquiry.status == status)
        if customer_id is not None:
            conditions.append(Inquiry.customer_id == customer_id)
        if not can_read(session, actor, None):
            department_id = actor_department(session, actor)
            conditions.append(
                (Customer.owner_id == actor.id)
                | (Inquiry.assignee_id == actor.id)
                | (Inquiry.department_id == department_id)
            )
        total = (
            session.scalar(
                select(func.count())
                .select_from(Inquiry)
                .join(Customer, Customer.id == Inquiry.customer_id)
                .where(*conditions)
            )
            or 0
        )
        rows = session.execute(
            _select()
            .where(*conditions)
            .order_by((Inquiry.status != "new"), Inquiry.answer_due_at, Inquiry.id)
            .limit(page_size)
            .offset(page * page_size)
        )
        return [_view(row, now) for row in rows], int(total)
