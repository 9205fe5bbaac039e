"""The customer 360 timeline: audited changes, follow-ups, complaints, suggestions, surveys, stage and class
changes, newest first, as one UNION ALL query limited in SQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, String, cast, func, literal_column, null, or_, select, union_all
from sqlalchemy.orm import Session

from crm.platform.access import id_text, load_readable, masks_contacts
from crm.platform.change_display import named, reference_names
from crm.platform.masking import PERSONAL_FIELDS, mask_field
from crm.platform.permissions import Actor
from db.engine import Sessions
from db.models import (
    Activity,
    AuditLog,
    ClassChange,
    Complaint,
    ComplaintEvent,
    Contact,
    Contract,
    ContractPayment,
    Order,
    StageChange,
    Suggestion,
    SurveyResponse,
    User,
)

KINDS = ("change", "activity", "complaint", "complaint_event", "suggestion", "survey", "stage", "class")
DEFAULT_LIMIT = 30
MAX_LIMIT = 200
# Fields whose changes the timeline leaves out: bookkeeping, or shown by their own history (stage, classes).
QUIET_FIELDS = (
    "updated_at",
    "stage_changed_at",
    "lifecycle_stage",
    "classified_at",
    "last_contact_at",
    "next_follow_up_at",
    "rfm_recency_days",
    "rfm_frequency",
    "rfm_monetary",
    "rfm_r",
    "rfm_f",
    "rfm_m",
    "value_tier",
    "size_class",
    "relationship",
    "credit_risk",
    "name_key",
)


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened to a customer.

    kind 'change': entity (table), action, field, old, new. 'activity': field = channel, text = summary,
    detail = outcome. 'complaint': entity = code, field = severity, action = status, text = description.
    'complaint_event': a later step of a complaint: entity = its code, action = the event's kind (transition,
    handoff, severity, confirmation, note), old -> new status, text = the note.
    'suggestion': action = status, text = content. 'survey': field = channel, old = overall score (1-5),
    new = NPS (0-10), text = comment. 'stage': old -> new, text = reason. 'class': field = dimension,
    old -> new, text = explanation.
    """

    at: dt.datetime
    kind: str
    ref_id: int | None
    who: str | None
    entity: str | None
    action: str | None
    field: str | None
    old: str | None
    new: str | None
    text: str | None
    detail: str | None


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    has_more: bool
    offset: int


def _s(value: Any) -> Any:
    return cast(value, String)


def _none() -> Any:
    return cast(null(), String)


def _kind(name: str) -> Any:
    return literal_column(f"'{name}'", String)  # a constant of ours, never user input


def _branch(
    columns: dict[str, Any], *, where: list[Any], order: Any, limit: int, joins: list[Any] | None = None, from_: Any
) -> Any:
    names = ("at", "kind", "ref_id", "who", "entity", "action", "field", "old", "new", "text", "detail")
    query = select(*(columns.get(n, _none()).label(n) for n in names)).select_from(from_)
    for target, on in joins or []:
        query = query.outerjoin(target, on)
    return query.where(*where).order_by(order).limit(limit).subquery()


def _audit_branch(customer_id: int, limit: int) -> list[Any]:
    columns = {
        "at": AuditLog.at,
        "kind": _kind("change"),
        "ref_id": cast(null(), Integer),
        "who": func.coalesce(User.display_name, AuditLog.username),
        "entity": AuditLog.entity_type,
        "action": AuditLog.action,
        "field": AuditLog.field,
        "old": AuditLog.old_value,
        "new": AuditLog.new_value,
    }
    visible = [
        or_(AuditLog.field.is_(None), AuditLog.field.not_in(QUIET_FIELDS)),
        # A creation is one row per field; the timeline shows only its summary row.
        or_(AuditLog.action != "create", AuditLog.field.is_(None)),
    ]
    children = {
        "contacts": select(id_text(Contact.id)).where(Contact.customer_id == customer_id),
        "orders": select(id_text(Order.id)).where(Order.customer_id == customer_id),
        "contracts": select(id_text(Contract.id)).where(Contract.customer_id == customer_id),
        "contract_payments": select(id_text(ContractPayment.id))
        .join(Contract, Contract.id == ContractPayment.contract_id)
        .where(Contract.customer_id == customer_id),
    }
    who = [(User, User.id == AuditLog.user_id)]
    branches = [
        _branch(
            columns,
            from_=AuditLog,
            joins=who,
            where=[AuditLog.entity_type == "customers", AuditLog.entity_id == str(customer_id), *visible],
            order=AuditLog.id.desc(),
            limit=limit,
        )
    ]
    for entity, ids in children.items():
        branches.append(
            _branch(
                columns,
                from_=AuditLog,
                joins=who,
                where=[AuditLog.entity_type == entity, AuditLog.entity_id.in_(ids), *visible],
                order=AuditLog.id.desc(),
                limit=limit,
            )
        )
    return branches


def _branches(customer_id: int, kinds: tuple[str, ...], limit: int) -> list[Any]:
    branches: list[Any] = []
    if "change" in kinds:
        branches += _audit_branch(customer_id, limit)
    if "activity" in kinds:
        branches.append(
            _branch(
                {
                    "at": Activity.occurred_at,
                    "kind": _kind("activity"),
                    "ref_id": Activity.id,
                    "who": User.display_name,
                    "field": Activity.channel,
                    "text": _s(Activity.summary),
                    "detail": Activity.outcome,
                    "old": Activity.stage_before,
                    "new": Activity.stage_after,
                },
                from_=Activity,
                joins=[(User, User.id == Activity.owner_id)],
                where=[Activity.customer_id == customer_id, Activity.archived_at.is_(None)],
                order=Activity.occurred_at.desc(),
                limit=limit,
            )
        )
    if "complaint" in kinds:
        branches.append(
            _branch(
                {
                    "at": Complaint.received_at,
                    "kind": _kind("complaint"),
                    "ref_id": Complaint.id,
                    "entity": Complaint.code,
                    "field": Complaint.severity,
                    "action": Complaint.status,
                    "text": _s(Complaint.description),
                    "detail": Complaint.category,
                },
                from_=Complaint,
                where=[Complaint.customer_id == customer_id, Complaint.archived_at.is_(None)],
                order=Complaint.received_at.desc(),
                limit=limit,
            )
        )
    if "complaint_event" in kinds:
        branches.append(
            _branch(
                {
                    "at": ComplaintEvent.at,
                    "kind": _kind("complaint_event"),
                    "ref_id": ComplaintEvent.id,
                    "who": User.display_name,
                    "entity": Complaint.code,
                    "action": ComplaintEvent.kind,
                    "old": ComplaintEvent.from_status,
                    "new": ComplaintEvent.to_status,
                    "text": _s(ComplaintEvent.note),
                },
                from_=ComplaintEvent,
                joins=[
                    (Complaint, Complaint.id == ComplaintEvent.complaint_id),
                    (User, User.id == ComplaintEvent.actor_id),
                ],
                # The intake itself is the complaint's own entry.
                where=[
                    Complaint.customer_id == customer_id,
                    Complaint.archived_at.is_(None),
                    ComplaintEvent.from_status.is_not(None),
                ],
                order=ComplaintEvent.at.desc(),
                limit=limit,
            )
        )
    if "suggestion" in kinds:
        branches.append(
            _branch(
                {
                    "at": Suggestion.received_at,
                    "kind": _kind("suggestion"),
                    "ref_id": Suggestion.id,
                    "field": Suggestion.channel,
                    "action": Suggestion.status,
                    "text": _s(Suggestion.content),
                    "detail": Suggestion.category,
                },
                from_=Suggestion,
                where=[Suggestion.customer_id == customer_id, Suggestion.archived_at.is_(None)],
                order=Suggestion.received_at.desc(),
                limit=limit,
            )
        )
    if "survey" in kinds:
        branches.append(
            _branch(
                {
                    "at": SurveyResponse.responded_at,
                    "kind": _kind("survey"),
                    "ref_id": SurveyResponse.id,
                    "field": SurveyResponse.channel,
                    "old": _s(SurveyResponse.overall_score),
                    "new": _s(SurveyResponse.nps),
                    "text": _s(SurveyResponse.comment),
                },
                from_=SurveyResponse,
                where=[SurveyResponse.customer_id == customer_id, SurveyResponse.archived_at.is_(None)],
                order=SurveyResponse.responded_at.desc(),
                limit=limit,
            )
        )
    if "stage" in kinds:
        branches.append(
            _branch(
                {
                    "at": StageChange.changed_at,
                    "kind": _kind("stage"),
                    "ref_id": StageChange.id,
                    "who": User.display_name,
                    "old": StageChange.from_stage,
                    "new": StageChange.to_stage,
                    "text": StageChange.reason,
                },
                from_=StageChange,
                joins=[(User, User.id == StageChange.changed_by_id)],
                where=[StageChange.customer_id == customer_id],
                order=StageChange.changed_at.desc(),
                limit=limit,
            )
        )
    if "class" in kinds:
        branches.append(
            _branch(
                {
                    "at": ClassChange.changed_at,
                    "kind": _kind("class"),
                    "ref_id": ClassChange.id,
                    "who": User.display_name,
                    "field": ClassChange.dimension,
                    "old": ClassChange.old_class,
                    "new": ClassChange.new_class,
                    "text": _s(ClassChange.explanation),
                },
                from_=ClassChange,
                joins=[(User, User.id == ClassChange.changed_by_id)],
                where=[ClassChange.customer_id == customer_id],
                order=ClassChange.changed_at.desc(),
                limit=limit,
            )
        )
    return branches


def timeline_in(
    session: Session,
    actor: Actor,
    customer_id: int,
    *,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    kinds: tuple[str, ...] = KINDS,
) -> TimelinePage:
    """Return one page of the customer's timeline, newest first (lower-level helper: checks read access)."""
    load_readable(session, actor, customer_id)
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    # Each branch needs at most offset + limit + 1 rows (index-backed); the union sorts only those.
    branches = _branches(customer_id, tuple(k for k in kinds if k in KINDS), offset + limit + 1)
    if not branches:
        return TimelinePage(entries=[], has_more=False, offset=offset)
    union = union_all(*(select(*b.c) for b in branches)).subquery("timeline")
    rows = session.execute(
        select(union).order_by(union.c.at.desc(), union.c.kind, union.c.ref_id.desc()).limit(limit + 1).offset(offset)
    ).all()
    masked = masks_contacts(actor)
    shown = [r._asdict() for r in rows[:limit]]  # keyed by name (a RowMapping is keyed by columns too)
    names = reference_names(session, [r for r in shown if r["kind"] == "change"])
    entries = [_entry(r, masked, names) for r in shown]
    return TimelinePage(entries=entries, has_more=len(rows) > limit, offset=offset)


def _entry(row: dict[str, Any], masked: bool, names: dict[tuple[str, str], str]) -> TimelineEntry:
    if row["kind"] == "change":
        if masked and row["field"] in PERSONAL_FIELDS:
            row["old"], row["new"] = mask_field(row["field"], row["old"]), mask_field(row["field"], row["new"])
        # An owner or department shows as its name, not its id.
        row["old"], row["new"] = named(names, row["field"], row["old"]), named(names, row["field"], row["new"])
    return TimelineEntry(**row)


def customer_timeline(
    sessions: Sessions,
    *,
    actor: Actor,
    customer_id: int,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    kinds: tuple[str, ...] = KINDS,
) -> TimelinePage:
    """Return one page of everything that happened to a customer, newest first."""
    with sessions.read() as session:
        return timeline_in(session, actor, customer_id, limit=limit, offset=offset, kinds=kinds)
