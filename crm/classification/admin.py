"""Managers' classification tools: manual overrides, the credit evidence ledger, and the service policies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, aliased

from crm.classification.credit import CREDIT_EVENT_KINDS, default_weight
from crm.classification.rfm import COMPUTED_DIMENSIONS
from crm.classification.service import (
    DIMENSION_CLASSES,
    Reason,
    _computed_reason,
    _override_reason,
    company_today,
    compute,
    load_thresholds,
)
from crm.follow_ups import DEFAULT_CADENCES
from crm.platform.access import visibility
from crm.platform.clock import utcnow
from crm.platform.errors import NotFound, ValidationCollector
from crm.platform.permissions import Actor, require
from crm.platform.rollups import SEGMENT, moving
from crm.platform.uow import check_version, transaction
from crm.platform.validation import check_amount, check_choice, check_length, check_not_future, check_required
from crm.platform.vocab import IMPORTANCE, VALUE_TIERS
from db.engine import Sessions
from db.models import ClassChange, ClassOverride, CreditEvent, Customer, ServicePolicy, User

OVERRIDE_STATUSES = ("active", "expired", "removed")


def _live_customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None or customer.archived_at is not None:
        raise NotFound(entity="customers", id=customer_id)
    return customer


def _set_cached(
    session: Session, actor: Actor, customer_id: int, dimension: str, old: str | None, new: str | None, reason: Reason
) -> None:
    """Write one cached class (no version bump: it is derived data) and its class_changes row, if it changed."""
    if old == new:
        return
    now = utcnow()
    # A bulk UPDATE passes the rollups' flush listener: a class they segment by moves the customer's history here.
    session.flush()
    with moving(session.connection(), [customer_id] if dimension in SEGMENT else []):
        session.execute(
            update(Customer)
            .where(Customer.id == customer_id)
            .values({dimension: new, "classified_at": now, "updated_at": Customer.updated_at})
        )
    session.execute(
        insert(ClassChange).values(
            customer_id=customer_id,
            dimension=dimension,
            old_class=old,
            new_class=new,
            explanation=reason.to_json(),
            changed_at=now,
            changed_by_id=actor.id,
        )
    )


def refresh_customer(session: Session, actor: Actor, customer_id: int, dimensions: Collection[str]) -> None:
    """Reclassify one customer in some dimensions (after an override or a ledger change), inside the transaction."""
    customer = _live_customer(session, customer_id)
    session.flush()
    comp = compute(
        session, as_of=company_today(session), thresholds=load_thresholds(session), customer_ids=[customer_id]
    )
    row = next(comp.frame.itertuples(index=False))
    overrides = comp.overrides.set_index("dimension") if not comp.overrides.empty else None
    for dim in dimensions:
        value = getattr(row, dim)
        if getattr(row, f"{dim}_overridden") and overrides is not None:
            reason = _override_reason(dim, overrides.loc[dim].to_dict())
        else:
            reason = _computed_reason(dim, row, comp)
        session.refresh(customer, [dim])
        _set_cached(session, actor, customer_id, dim, getattr(customer, dim), value, reason)


# --- overrides ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverrideView:
    id: int
    version: int
    customer_id: int
    customer_code: str
    customer_name: str
    dimension: str
    value: str
    reason: str
    expires_on: dt.date | None
    created_by: str | None
    created_at: dt.datetime
    removed_at: dt.datetime | None
    status: str  # active / expired / removed


def set_override(
    sessions: Sessions,
    *,
    actor: Actor,
    customer_id: int,
    dimension: str,
    value: str,
    reason: str,
    expires_on: dt.date | None = None,
    token: str | None = None,
) -> OverrideView:
    """Override a computed class by hand, with a reason and an optional expiry; replaces a previous override."""
    require(actor, "classification.manage")
    errors = ValidationCollector()
    check_choice(errors, "dimension", dimension, COMPUTED_DIMENSIONS, required=True)
    check_choice(errors, "value", value, DIMENSION_CLASSES.get(dimension, ()), required=True)
    reason = (reason or "").strip()
    check_required(errors, "reason", reason, 300)
    with transaction(sessions, actor=actor, token=token, operation="classification.override") as session:
        today = company_today(session)
        if expires_on is not None and expires_on < today:
            errors.add("expires_on", "classification.error.expiry_past")
        errors.raise_if_any()
        customer = _live_customer(session, customer_id)
        now = utcnow()
        for previous in session.scalars(
            select(ClassOverride).where(
                ClassOverride.customer_id == customer_id,
                ClassOverride.dimension == dimension,
                ClassOverride.archived_at.is_(None),
            )
        ):
            previous.archived_at = now
        override = ClassOverride(
            customer_id=customer_id,
            dimension=dimension,
            value=value,
            reason=reason,
            expires_on=expires_on,
            created_by_id=actor.id,
        )
        session.add(override)
        session.flush()
        _set_cached(
            session,
            actor,
            customer_id,
            dimension,
            getattr(customer, dimension),
            value,
            _override_reason(
                dimension, {"value": value, "reason": reason, "expires_on": expires_on, "username": actor.username}
            ),
        )
        return _override_views(session, [ClassOverride.id == override.id], today)[0]


def remove_override(
    sessions: Sessions, *, actor: Actor, override_id: int, version: int, token: str | None = None
) -> None:
    """Remove an override: the computed class applies again at once."""
    require(actor, "classification.manage")
    with transaction(sessions, actor=actor, token=token, operation="classification.override_remove") as session:
        override = session.get(ClassOverride, override_id)
        if override is None or override.archived_at is not None:
            raise NotFound(entity="class_overrides", id=override_id)
        check_version(session, override, version)
        override.archived_at = utcnow()
        session.flush()
        refresh_customer(session, actor, override.customer_id, [override.dimension])


def _override_views(
    session: Session, conditions: list[Any], today: dt.date, *, page: int = 0, page_size: int | None = None
) -> list[OverrideView]:
    creator = aliased(User)
    stmt = (
        select(ClassOverride, Customer.code, Customer.name, creator.username)
        .join(Customer, Customer.id == ClassOverride.customer_id)
        .outerjoin(creator, creator.id == ClassOverride.created_by_id)
        .where(*conditions)
        .order_by(ClassOverride.id.desc())
    )
    if page_size:
        stmt = stmt.limit(page_size).offset(page * page_size)
    views = []
    for override, code, name, username in session.execute(stmt):
        if override.archived_at is not None:
            status = "removed"
        elif override.expires_on is not None and override.expires_on < today:
            status = "expired"
        else:
            status = "active"
        views.append(
            OverrideView(
                id=override.id,
                version=override.version,
                customer_id=override.customer_id,
                customer_code=code,
                customer_name=name,
                dimension=override.dimension,
                value=override.value,
                reason=override.reason,
                expires_on=override.expires_on,
                created_by=username,
                created_at=override.created_at,
                removed_at=override.archived_at,
                status=status,
            )
        )
    return views


def list_overrides(
    sessions: Sessions,
    *,
    actor: Actor,
    status: str | None = "active",
    customer_id: int | None = None,
    page: int = 0,
    page_size: int = 50,
) -> tuple[list[OverrideView], int]:
    """Return one page of overrides (newest first) with the total: active, expired, removed, or all (None)."""
    with sessions.read() as session:
        today = company_today(session)
        conditions: list[Any] = [*visibility(session, actor)]
        if customer_id is not None:
            conditions.append(ClassOverride.customer_id == customer_id)
        if status == "active":
            conditions += [
                ClassOverride.archived_at.is_(None),
                ClassOverride.expires_on.is_(None) | (ClassOverride.expires_on >= today),
            ]
        elif status == "expired":
            conditions += [ClassOverride.archived_at.is_(None), ClassOverride.expires_on < today]
        elif status == "removed":
            conditions.append(ClassOverride.archived_at.is_not(None))
        total = (
            session.scalar(
                select(func.count())
                .select_from(ClassOverride)
                .join(Customer, Customer.id == ClassOverride.customer_id)
                .where(*conditions)
            )
            or 0
        )
        return _override_views(session, conditions, today, page=page, page_size=page_size), int(total)


# --- credit evidence ledger --------------------------------------------------------------------------


@dataclass(frozen=True)
class CreditEventView:
    id: int
    version: int
    customer_id: int
    event_date: dt.date
    kind: str
    weight: Decimal
    amount: Decimal | None
    days_late: int | None
    note: str | None


def record_credit_event(
    sessions: Sessions,
    *,
    actor: Actor,
    customer_id: int,
    kind: str,
    event_date: dt.date | None,
    weight: object = None,
    amount: object = None,
    days_late: int | None = None,
    note: str | None = None,
    token: str | None = None,
) -> CreditEventView:
    """Add a dated event to a customer's credit ledger (weight suggested from the kind if left empty); regrade."""
    require(actor, "classification.manage")
    errors = ValidationCollector()
    check_choice(errors, "kind", kind, CREDIT_EVENT_KINDS, required=True)
    if event_date is None:
        errors.add("event_date", "validation.required")
    if days_late is not None and not 0 <= days_late <= 3650:
        errors.add("days_late", "classification.error.days_late")
    parsed_amount = check_amount(errors, "amount", amount, required=False)
    parsed_weight = check_amount(errors, "weight", weight, required=False)
    if parsed_weight is not None and parsed_weight > 100:
        errors.add("weight", "classification.error.weight")
    check_length(errors, "note", note, 300)
    with transaction(sessions, actor=actor, token=token, operation="classification.credit_event") as session:
        check_not_future(errors, "event_date", event_date, company_today(session))
        errors.raise_if_any()
        _live_customer(session, customer_id)
        event = CreditEvent(
            customer_id=customer_id,
            event_date=event_date,
            kind=kind,
            weight=parsed_weight if parsed_weight is not None else default_weight(kind, days_late),
            amount=parsed_amount,
            days_late=days_late,
            note=(note or "").strip() or None,
        )
        session.add(event)
        session.flush()
        refresh_customer(session, actor, customer_id, ["credit_risk"])
        return _event_view(event)


def remove_credit_event(
    sessions: Sessions, *, actor: Actor, event_id: int, version: int, token: str | None = None
) -> None:
    """Strike an event from the ledger (kept, archived, audited) and regrade the customer."""
    require(actor, "classification.manage")
    with transaction(sessions, actor=actor, token=token, operation="classification.credit_event_remove") as session:
        event = session.get(CreditEvent, event_id)
        if event is None or event.archived_at is not None:
            raise NotFound(entity="credit_events", id=event_id)
        check_version(session, event, version)
        event.archived_at = utcnow()
        session.flush()
        refresh_customer(session, actor, event.customer_id, ["credit_risk"])


def list_credit_events(sessions: Sessions, *, actor: Actor, customer_id: int) -> list[CreditEventView]:
    """Return a customer's live ledger events, newest first."""
    with sessions.read() as session:
        visible = visibility(session, actor)
        if (
            visible
            and session.scalar(select(func.count()).select_from(Customer).where(Customer.id == customer_id, *visible))
            == 0
        ):
            return []
        events = session.scalars(
            select(CreditEvent)
            .where(CreditEvent.customer_id == customer_id, CreditEvent.archived_at.is_(None))
            .order_by(CreditEvent.event_date.desc(), CreditEvent.id.desc())
        )
        return [_event_view(event) for event in events]


def _event_view(event: CreditEvent) -> CreditEventView:
    return CreditEventView(
        event.id,
        event.version,
        event.customer_id,
        event.event_date,
        event.kind,
        Decimal(event.weight),
        event.amount,
        event.days_late,
        event.note,
    )


# --- service policies ----------------------------------------------------------------------------

POLICY_CLASSES: tuple[tuple[str, str], ...] = (
    *(("value_tier", c) for c in VALUE_TIERS),
    *(("importance", c) for c in IMPORTANCE),
)
# DOMAIN.md section 2 (差异化管理). Importance key/ordinary have no cadence of their own by default (0 = none).
DEFAULT_POLICIES: dict[tuple[str, str], tuple[int, str, str]] = {
    ("value_tier", "high"): (
        30,
        "High value: a dedicated owner, senior-level contact and the shortest visit interval.",
        "高价值客户：专属负责人、高层对接，回访周期最短。",
    ),
    ("value_tier", "medium"): (
        60,
        "Medium value: followed up regularly by a service group.",
        "中价值客户：由服务小组定期跟进。",
    ),
    ("value_tier", "low"): (
        120,
        "Low value: a standard, low-cost service process.",
        "低价值客户：标准化、低成本的服务流程。",
    ),
    ("importance", "strategic"): (
        14,
        "Strategic: a dedicated owner and senior-level contact, visited every two weeks.",
        "战略客户：专属负责人、高层对接，每两周回访一次。",
    ),
    ("importance", "key"): (
        0,
        "Key: priority handling; the value tier's cadence applies.",
        "重点客户：优先处理；回访周期按价值等级执行。",
    ),
    ("importance", "ordinary"): (
        0,
        "Ordinary: the value tier's service process applies.",
        "普通客户：按价值等级的服务流程执行。",
    ),
}
assert all(DEFAULT_POLICIES[key][0] == days for key, days in DEFAULT_CADENCES.items())


@dataclass(frozen=True)
class PolicyView:
    dimension: str
    class_value: str
    cadence_days: int | None  # None: no cadence of its own (importance classes only)
    description_en: str
    description_zh: str
    id: int | None
    version: int | None


@dataclass(frozen=True)
class PolicyChange:
    dimension: str
    class_value: str
    cadence_days: int | None
    description_en: str
    description_zh: str
    version: int | None  # None for a policy not stored yet


def list_policies(sessions: Sessions, *, actor: Actor) -> list[PolicyView]:
    """Return the policy of every value tier and importance class (defaults where none is stored)."""
    require(actor, "customers.view")
    with sessions.read() as session:
        stored = {
            (p.dimension, p.class_value): (p.id, p.version, p.cadence_days, p.description_en, p.description_zh)
            for p in session.scalars(select(ServicePolicy).where(ServicePolicy.archived_at.is_(None)))
        }
    views = []
    for key in POLICY_CLASSES:
        policy = stored.get(key)
        if policy is None:
            days, en, zh = DEFAULT_POLICIES[key]
            views.append(PolicyView(key[0], key[1], days or None, en, zh, None, None))
        else:
            policy_id, version, cadence_days, description_en, description_zh = policy
            views.append(
                PolicyView(key[0], key[1], cadence_days or None, description_en, description_zh, policy_id, version)
            )
    return views


def policy_changes(policies: list[PolicyView], edited_rows: Mapping[int, Mapping[str, Any]]) -> list[PolicyChange]:
    """Turn a data editor's edited_rows (row index -> changed cells) over the listed policies into changes."""
    changes = []
    for index, cells in sorted(edited_rows.items()):
        policy = policies[int(index)]
        days = cells.get("cadence_days", policy.cadence_days)
        changes.append(
            PolicyChange(
                policy.dimension,
                policy.class_value,
                None if days is None or (isinstance(days, float) and pd.isna(days)) else int(days),
                str(cells.get("description_en", policy.description_en) or ""),
                str(cells.get("description_zh", policy.description_zh) or ""),
                policy.version,
            )
        )
    return changes


def save_policies(
    sessions: Sessions, *, actor: Actor, changes: list[PolicyChange], token: str | None = None
) -> list[PolicyView]:
    """Store changed service policies in one audited transaction; returns the policies in force."""
    require(actor, "classification.manage")
    errors = ValidationCollector()
    for change in changes:
        field = f"{change.dimension}.{change.class_value}"
        if (change.dimension, change.class_value) not in DEFAULT_POLICIES:
            errors.add(field, "validation.choice")
            continue
        if change.cadence_days is None and change.dimension == "value_tier":
            errors.add(field, "classification.error.cadence_required")
        elif change.cadence_days is not None and not 1 <= change.cadence_days <= 3650:
            errors.add(field, "classification.error.cadence_range")
        check_length(errors, field, change.description_en, 1000)
        check_length(errors, field, change.description_zh, 1000)
    errors.raise_if_any()
    with transaction(sessions, actor=actor, token=token, operation="classification.policies") as session:
        stored = {(p.dimension, p.class_value): p for p in session.scalars(select(ServicePolicy))}
        for change in changes:
            policy = stored.get((change.dimension, change.class_value))
            if policy is None:
                policy = ServicePolicy(dimension=change.dimension, class_value=change.class_value)
                session.add(policy)
            elif change.version is not None:
                check_version(session, policy, change.version)
            policy.cadence_days = change.cadence_days or 0
            policy.description_en = change.description_en.strip()
            policy.description_zh = change.description_zh.strip()
            policy.archived_at = None
    return list_policies(sessions, actor=actor)
