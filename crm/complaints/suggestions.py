"""Suggestions (建议): collected, classified, passed to a department, evaluated, the customer told what was done."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from crm.complaints.common import (
    TransitionNotAllowed,
    actor_department,
    check_case_version,
    check_text,
    clean,
    customer_owner,
    may_handle,
)
from crm.complaints.intake import check_contact, check_routing
from crm.complaints.vocab import SUGGESTION_CATEGORIES, SUGGESTION_EVALUATIONS, SUGGESTION_SOURCES
from crm.platform.access import can_read, load_readable
from crm.platform.clock import utcnow
from crm.platform.errors import NotFound, PermissionDenied, ValidationCollector
from crm.platform.permissions import Actor, require
from crm.platform.uow import transaction
from crm.platform.validation import check_choice
from db.engine import Sessions
from db.models import Customer, Department, Suggestion

PAGE_SIZE = 50
# Which statuses each step may be taken from: evaluated again until the customer is told; action noted any time after.
SUGGESTION_ACTIONS: dict[str, frozenset[str]] = {
    "evaluate": frozenset({"new", "evaluated"}),
    "record_action": frozenset({"evaluated", "informed"}),
    "inform": frozenset({"evaluated"}),
}


@dataclass(frozen=True)
class SuggestionInput:
    customer_id: int
    channel: str  # the source: phone / email / online / visit / survey / social_media / other
    content: str
    category: str | None = None
    department_id: int | None = None
    contact_id: int | None = None
    received_at: dt.datetime | None = None


@dataclass(frozen=True)
class SuggestionView:
    id: int
    version: int
    customer_id: int
    customer_name: str
    contact_id: int | None
    channel: str
    received_at: dt.datetime
    content: str
    category: str | None
    department_id: int | None
    department_name_en: str | None
    department_name_zh: str | None
    status: str  # new / evaluated / informed
    evaluation_result: str | None  # adopt / adopt_partly / not_adopt
    evaluation: str | None  # the reason
    evaluated_at: dt.datetime | None
    adopted: bool | None
    action_taken: str | None
    customer_informed_at: dt.datetime | None
    allowed_actions: tuple[str, ...] = ()


def _select() -> Any:
    return (
        select(Suggestion, Customer.name, Department.name, Department.name_zh)
        .join(Customer, Customer.id == Suggestion.customer_id)
        .outerjoin(Department, Department.id == Suggestion.department_id)
    )


def _view(row: Any, allowed: tuple[str, ...] = ()) -> SuggestionView:
    s, customer_name, dept_en, dept_zh = row
    return SuggestionView(
        id=s.id,
        version=s.version,
        customer_id=s.customer_id,
        customer_name=customer_name,
        contact_id=s.contact_id,
        channel=s.channel,
        received_at=s.received_at,
        content=s.content,
        category=s.category,
        department_id=s.department_id,
        department_name_en=dept_en,
        department_name_zh=dept_zh,
        status=s.status,
        evaluation_result=s.evaluation_result,
        evaluation=s.evaluation,
        evaluated_at=s.evaluated_at,
        adopted=s.adopted,
        action_taken=s.action_taken,
        customer_informed_at=s.customer_informed_at,
        allowed_actions=allowed,
    )


def _handles(session: Session, actor: Actor, suggestion: Suggestion) -> bool:
    return may_handle(
        actor,
        actor_department(session, actor),
        assignee_id=None,
        department_id=suggestion.department_id,
        customer_owner_id=customer_owner(session, suggestion.customer_id),
    )


def _load_view(session: Session, actor: Actor, suggestion_id: int) -> SuggestionView:
    row = session.execute(_select().where(Suggestion.id == suggestion_id)).one()
    handles = _handles(session, actor, row[0])
    return _view(row, tuple(a for a, sources in SUGGESTION_ACTIONS.items() if handles and row[0].status in sources))


def record_suggestion(
    sessions: Sessions, *, actor: Actor, data: SuggestionInput, token: str | None = None, now: dt.datetime | None = None
) -> SuggestionView:
    """Record a customer's suggestion, classified and passed to a department."""
    require(actor, "complaints.handle")
    now = now or utcnow()
    errors = ValidationCollector()
    check_choice(errors, "channel", data.channel, SUGGESTION_SOURCES, required=True)
    check_choice(errors, "category", data.category, SUGGESTION_CATEGORIES)
    content = clean(data.content)
    if content is None:
        errors.add("content", "validation.required")
    check_text(errors, "content", content, Suggestion, "content")
    received_at = data.received_at or now
    if received_at > now + dt.timedelta(minutes=1):
        errors.add("received_at", "validation.future_date")
    with transaction(sessions, actor=actor, token=token, operation="suggestions.record") as session:
        customer = load_readable(session, actor, data.customer_id)
        if customer.archived_at is not None:
            raise NotFound(entity="customers", id=data.customer_id)
        check_contact(session, errors, customer.id, data.contact_id)
        check_routing(session, errors, data.department_id, None)
        errors.raise_if_any()
        suggestion = Suggestion(
            customer_id=customer.id,
            contact_id=data.contact_id,
            channel=data.channel,
            received_at=received_at,
            received_by_id=actor.id,
            content=content,
            category=data.category,
            department_id=data.department_id,
            status="new",
        )
        session.add(suggestion)
        session.flush()
        return _load_view(session, actor, suggestion.id)


def _load_for_write(session: Session, actor: Actor, suggestion_id: int, version: int, action: str) -> Suggestion:
    suggestion = session.get(Suggestion, suggestion_id, with_for_update=True)
    if suggestion is None or suggestion.archived_at is not None:
        raise NotFound(entity="suggestions", id=suggestion_id)
    if not _handles(session, actor, suggestion):
        raise PermissionDenied(permission="complaints.handle")
    check_case_version(
        session,
        suggestion,
        version,
        suggestion.status,
        actor.language,
        key="complaints.error.suggestion_stale",
        vocabulary="suggestion_status",
    )
    if suggestion.status not in SUGGESTION_ACTIONS[action]:
        raise TransitionNotAllowed(
            status=suggestion.status,
            action=action,
            language=actor.language,
            key="complaints.error.suggestion_transition",
            vocabulary="suggestion_status",
        )
    return suggestion


def evaluate_suggestion(
    sessions: Sessions,
    *,
    actor: Actor,
    suggestion_id: int,
    version: int,
    result: str,
    reason: str,
    action_taken: str | None = None,
    token: str | None = None,
    now: dt.datetime | None = None,
) -> SuggestionView:
    """Evaluate a suggestion: adopt, adopt partly or not adopt, with the reason (and the action taken, if any)."""
    require(actor, "complaints.handle")
    now = now or utcnow()
    errors = ValidationCollector()
    check_choice(errors, "evaluation_result", result, SUGGESTION_EVALUATIONS, required=True)
    if clean(reason) is None:
        errors.add("evaluation", "complaints.error.reason_required")
    check_text(errors, "evaluation", clean(reason), Suggestion, "evaluation")
    check_text(errors, "action_taken", clean(action_taken), Suggestion, "action_taken")
    errors.raise_if_any()
    with transaction(sessions, actor=actor, token=token, operation="suggestions.evaluate") as session:
        suggestion = _load_for_write(session, actor, suggestion_id, version, "evaluate")
        suggestion.status, suggestion.evaluation_result, suggestion.evaluation = "evaluated", result, clean(reason)
        suggestion.adopted = result != "not_adopt"
        suggestion.evaluated_at, suggestion.evaluated_by_id = now, actor.id
        if clean(action_taken):
            suggestion.action_taken = clean(action_taken)
        session.flush()
        return _load_view(session, actor, suggestion.id)


def record_action_taken(
    sessions: Sessions, *, actor: Actor, suggestion_id: int, version: int, action_taken: str, token: str | None = None
) -> SuggestionView:
    """Record what was done about an evaluated suggestion."""
    require(actor, "complaints.handle")
    errors = ValidationCollector()
    if clean(action_taken) is None:
        errors.add("action_taken", "validation.required")
    check_text(errors, "action_taken", clean(action_taken), Suggestion, "action_taken")
    errors.raise_if_any()
    with transaction(sessions, actor=actor, token=token, operation="suggestions.action") as session:
        suggestion = _load_for_write(session, actor, suggestion_id, version, "record_action")
        suggestion.action_taken = clean(action_taken)
        session.flush()
        return _load_view(session, actor, suggestion.id)


def inform_customer(
    sessions: Sessions,
    *,
    actor: Actor,
    suggestion_id: int,
    version: int,
    informed_at: dt.datetime | None = None,
    token: str | None = None,
    now: dt.datetime | None = None,
) -> SuggestionView:
    """Record when the customer was told the outcome of an evaluated suggestion."""
    require(actor, "complaints.handle")
    now = now or utcnow()
    when = informed_at or now
    errors = ValidationCollector()
    if when > now + dt.timedelta(minutes=1):
        errors.add("customer_informed_at", "validation.future_date")
    errors.raise_if_any()
    with transaction(sessions, actor=actor, token=token, operation="suggestions.inform") as session:
        suggestion = _load_for_write(session, actor, suggestion_id, version, "inform")
        suggestion.status, suggestion.customer_informed_at = "informed", when
        session.flush()
        return _load_view(session, actor, suggestion.id)


def get_suggestion(sessions: Sessions, *, actor: Actor, suggestion_id: int) -> SuggestionView:
    """Return a suggestion with the actions the actor may take on it."""
    require(actor, "complaints.view")
    with sessions.read() as session:
        suggestion = session.get(Suggestion, suggestion_id)
        if suggestion is None or suggestion.archived_at is not None:
            raise NotFound(entity="suggestions", id=suggestion_id)
        if not (
            can_read(session, actor, customer_owner(session, suggestion.customer_id))
            or _handles(session, actor, suggestion)
        ):
            raise PermissionDenied(permission="complaints.view")
        return _load_view(session, actor, suggestion_id)


def list_suggestions(
    sessions: Sessions,
    *,
    actor: Actor,
    status: str | None = None,
    department_id: int | None = None,
    category: str | None = None,
    customer_id: int | None = None,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> tuple[list[SuggestionView], int]:
    """Return one page of suggestions, newest first, and the total."""
    require(actor, "complaints.view")
    with sessions.read() as session:
        conditions: list[ColumnElement[bool]] = [Suggestion.archived_at.is_(None)]
        for column, value in (
            (Suggestion.status, status),
            (Suggestion.department_id, department_id),
            (Suggestion.category, category),
            (Suggestion.customer_id, customer_id),
        ):
            if value is not None:
                conditions.append(column == value)
        if not can_read(session, actor, None):
            conditions.append(
                (Customer.owner_id == actor.id) | (Suggestion.department_id == actor_department(session, actor))
            )
        total = (
            session.scalar(
                select(func.count())
                .select_from(Suggestion)
                .join(Customer, Customer.id == Suggestion.customer_id)
                .where(*conditions)
            )
            or 0
        )
        rows = session.execute(
            _select()
            .where(*conditions)
            .order_by(Suggestion.received_at.desc(), Suggestion.id.desc())
            .limit(page_size)
            .offset(page * page_size)
        )
        return [_view(row) for row in rows], int(total)
