"""Reads for the classification page: distribution per dimension, drill-down, RFM grid, cadence exceptions, history.

All counting and paging happens in SQL over the cached class columns of the customers table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session, aliased

from crm.classification.service import company_today, describe_stored
from crm.follow_ups import cadence_due_since, load_cadences
from crm.platform.access import load_readable, visibility
from crm.platform.clock import utcnow
from crm.platform.errors import ValidationCollector
from crm.platform.permissions import Actor
from crm.platform.vocab import IMPORTANCE, NEED_TYPES, STAGES
from crm.platform.vocab import _add_months as add_months  # the same month arithmetic as urgency_of()
from db.engine import Sessions
from db.models import ClassChange, Customer, User

DISTRIBUTION_DIMENSIONS = (
    "value_tier",
    "size_class",
    "relationship",
    "credit_risk",
    "lifecycle_stage",
    "need_type",
    "importance",
    "urgency",
)
DIMENSION_ORDER: dict[str, tuple[str, ...]] = {
    "value_tier": ("high", "medium", "low"),
    "size_class": ("key", "small"),
    "relationship": ("new", "established"),
    "credit_risk": ("high", "medium", "low"),
    "lifecycle_stage": STAGES,
    "need_type": NEED_TYPES,
    "importance": IMPORTANCE,
    "urgency": ("eager", "hopeful", "watching"),
}
NONE = "none"
PAGE_SIZE = 50


def urgency_expression(today: dt.date) -> ColumnElement[str | None]:
    """SQL: the urgency of a prospect (potential / intent with an expected closing date), else NULL."""
    prospect = Customer.lifecycle_stage.in_(("potential", "intent")) & Customer.expected_close_date.is_not(None)
    return case(
        (prospect & (Customer.expected_close_date <= add_months(today, 1)), "eager"),
        (prospect & (Customer.expected_close_date <= add_months(today, 3)), "hopeful"),
        (prospect, "watching"),
        else_=None,
    )


def _column(dimension: str, today: dt.date) -> ColumnElement[Any]:
    if dimension == "urgency":
        return urgency_expression(today)
    if dimension not in DISTRIBUTION_DIMENSIONS:
        errors = ValidationCollector()
        errors.add("dimension", "validation.choice")
        errors.raise_if_any()
    return getattr(Customer, dimension)


def _live(session: Session, actor: Actor) -> list[ColumnElement[bool]]:
    return [Customer.archived_at.is_(None), *visibility(session, actor)]


def distribution(sessions: Sessions, *, actor: Actor, today: dt.date | None = None) -> dict[str, dict[str, int]]:
    """Count the customers the actor may see in each class of every dimension ("none" = not classified / not set)."""
    with sessions.read() as session:
        today = today or company_today(session)
        conditions = _live(session, actor)
        result: dict[str, dict[str, int]] = {}
        for dimension in DISTRIBUTION_DIMENSIONS:
            column = _column(dimension, today).label("value")
            rows = session.execute(select(column, func.count()).where(*conditions).group_by(column)).all()
            counts = {NONE if value is None else str(value): int(count) for value, count in rows}
            ordered = {k: counts.pop(k) for k in DIMENSION_ORDER[dimension] if k in counts}
            result[dimension] = {**ordered, **counts}
        return result


def _class_condition(dimension: str, value: str, today: dt.date) -> ColumnElement[bool]:
    if dimension == "rfm_cell":
        r, _, f = value.partition("-")
        return and_(Customer.rfm_r == int(r), Customer.rfm_f == int(f))
    column = _column(dimension, today)
    return column.is_(None) if value == NONE else column == value


def customers_in_class(
    sessions: Sessions,
    *,
    actor: Actor,
    dimension: str,
    value: str,
    page: int = 0,
    page_size: int = PAGE_SIZE,
    today: dt.date | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Return one page of the customers in a class (or an RFM grid cell "R-F"), by name, with the total."""
    with sessions.read() as session:
        today = today or company_today(session)
        conditions = [*_live(session, actor), _class_condition(dimension, value, today)]
        total = session.scalar(select(func.count()).select_from(Customer).where(*conditions)) or 0
        owner = aliased(User)
        rows = session.execute(
            select(
                Customer.id,
                Customer.code,
                Customer.name,
                owner.display_name.label("owner"),
                Customer.lifecycle_stage,
                Customer.value_tier,
                Customer.size_class,
                Customer.relationship,
                Customer.credit_risk,
                Customer.importance,
                Customer.need_type,
                Customer.rfm_r,
                Customer.rfm_f,
                Customer.rfm_m,
                Customer.rfm_recency_days,
                Customer.rfm_frequency,
                Customer.rfm_monetary,
                Customer.version,
            )
            .outerjoin(owner, owner.id == Customer.owner_id)
            .where(*conditions)
            .order_by(Customer.name, Customer.id)
            .limit(page_size)
            .offset(page * page_size)
        )
        return [dict(row._mapping) for row in rows], int(total)


def rfm_grid(sessions: Sessions, *, actor: Actor) -> list[dict[str, Any]]:
    """Return the recency score x frequency score grid: customers and average monetary amount per cell."""
    with sessions.read() as session:
        rows = session.execute(
            select(
                Customer.rfm_r, Customer.rfm_f, func.count(), func.avg(Customer.rfm_monetary), func.avg(Customer.rfm_m)
            )
            .where(*_live(session, actor), Customer.rfm_r.is_not(None), Customer.rfm_f.is_not(None))
            .group_by(Customer.rfm_r, Customer.rfm_f)
            .order_by(Customer.rfm_r, Customer.rfm_f)
        ).all()
    return [
        {"r": int(r), "f": int(f), "customers": int(n), "avg_monetary": float(avg or 0), "avg_m": float(avg_m or 0)}
        for r, f, n, avg, avg_m in rows
    ]


def cadence_exceptions(
    sessions: Sessions,
    *,
    actor: Actor,
    owner_id: int | None = None,
    page: int = 0,
    page_size: int = PAGE_SIZE,
    now: dt.datetime | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Return one page of the customers with no logged contact within their effective cadence, with their owner.

    Churned customers are left out: they follow a win-back plan, not the contact cadence.
    """
    now = now or utcnow()
    with sessions.read() as session:
        cadences = load_cadences(session)
        due_since = cadence_due_since(cadences, now)
        conditions = [
            *_live(session, actor),
            Customer.lifecycle_stage != "churned",
            Customer.last_contact_at.is_(None) | (Customer.last_contact_at < due_since),
        ]
        if owner_id is not None:
            conditions.append(Customer.owner_id == owner_id)
        total = session.scalar(select(func.count()).select_from(Customer).where(*conditions)) or 0
        owner = aliased(User)
        never = case((Customer.last_contact_at.is_(None), 0), else_=1)
        rows = session.execute(
            select(
                Customer.id,
                Customer.code,
                Customer.name,
                Customer.owner_id,
                owner.display_name.label("owner"),
                Customer.value_tier,
                Customer.importance,
                Customer.lifecycle_stage,
                Customer.last_contact_at,
                Customer.next_follow_up_at,
            )
            .outerjoin(owner, owner.id == Customer.owner_id)
            .where(*conditions)
            .order_by(never, Customer.last_contact_at, Customer.id)
            .limit(page_size)
            .offset(page * page_size)
        ).all()
    result = []
    for row in rows:
        entry = dict(row._mapping)
        entry["cadence_days"] = cadences.for_customer(row.value_tier, row.importance)
        entry["days_since_contact"] = (now - row.last_contact_at).days if row.last_contact_at else None
        result.append(entry)
    return result, int(total)


def owners_with_exceptions(sessions: Sessions, *, actor: Actor, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Count the out-of-cadence customers per owner (for the owner filter and a manager's overview)."""
    now = now or utcnow()
    with sessions.read() as session:
        due_since = cadence_due_since(load_cadences(session), now)
        rows = session.execute(
            select(Customer.owner_id, User.display_name, func.count())
            .outerjoin(User, User.id == Customer.owner_id)
            .where(
                *_live(session, actor),
                Customer.lifecycle_stage != "churned",
                Customer.last_contact_at.is_(None) | (Customer.last_contact_at < due_since),
            )
            .group_by(Customer.owner_id, User.display_name)
            .order_by(func.count().desc())
        ).all()
    return [{"owner_id": owner_id, "owner": name, "customers": int(n)} for owner_id, name, n in rows]


def class_history(
    sessions: Sessions, *, actor: Actor, customer_id: int, lang: str = "en", limit: int = 100
) -> list[dict[str, Any]]:
    """Return a customer's class changes, newest first, each with its explanation in the language."""
    with sessions.read() as session:
        load_readable(session, actor, customer_id)
        rows = session.execute(
            select(
                ClassChange.id,
                ClassChange.dimension,
                ClassChange.old_class,
                ClassChange.new_class,
                ClassChange.explanation,
                ClassChange.changed_at,
                User.username,
            )
            .outerjoin(User, User.id == ClassChange.changed_by_id)
            .where(ClassChange.customer_id == customer_id)
            .order_by(ClassChange.changed_at.desc(), ClassChange.id.desc())
            .limit(limit)
        ).all()
    return [{**dict(row._mapping), "explanation": describe_stored(row.explanation, lang)} for row in rows]


def visible_customers(sessions: Sessions, *, actor: Actor, search: str = "", limit: int = 50) -> list[dict[str, Any]]:
    """Find customers by code or name (for pickers), limited, among those the actor may see."""
    pattern = f"%{search.strip()}%"
    with sessions.read() as session:
        conditions = _live(session, actor)
        if search.strip():
            conditions.append(Customer.code.ilike(pattern) | Customer.name.ilike(pattern))
        rows = session.execute(
            select(Customer.id, Customer.code, Customer.name, Customer.version)
            .where(*conditions)
            .order_by(Customer.code)
            .limit(limit)
        ).all()
    return [dict(row._mapping) for row in rows]
