"""Headline figures for the overview page, each computed in SQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Mapped

from crm.follow_ups import company_today
from crm.platform.access import visibility
from crm.platform.clock import utcnow
from crm.platform.permissions import Actor, require
from db.engine import Sessions
from db.models import Complaint, Customer, FollowUpTask, Order

OPEN_COMPLAINT_STATUSES = ("new", "acknowledged", "in_progress", "waiting_customer", "reopened")


@dataclass(frozen=True)
class Overview:
    scope: str  # "own": the actor's own customers and follow-ups (staff); "all": the whole company
    customers: int
    signed: int
    revenue_12m: Decimal
    open_tasks: int
    overdue_tasks: int
    open_complaints: int
    by_stage: dict[str, int]
    by_tier: dict[str, int]


def _scope(actor: Actor, owner_column: ColumnElement[int | None] | Mapped[int | None]) -> list[ColumnElement[bool]]:
    """Staff see their own figures; other roles the whole company."""
    return [] if actor.can("customers.view_all") else [owner_column == actor.id]


def list_scope(sessions: Sessions, *, actor: Actor) -> str:
    """Tell whose customers the customer list counts for the actor: "all" (everyone's) or "own".

    Staff read everyone's customers when the staff_can_read_all setting allows it, so their list may count all
    customers while their overview counts their own: each figure is labelled with its scope.
    """
    with sessions.read() as session:
        return "own" if visibility(session, actor) else "all"


def overview(sessions: Sessions, *, actor: Actor, today: dt.date | None = None) -> Overview:
    """Return the headline counts visible to the actor."""
    require(actor, "customers.view")
    now = utcnow()
    live = [Customer.archived_at.is_(None), *_scope(actor, Customer.owner_id)]
    with sessions.read() as session:
        today = today or company_today(session)  # in this read, not a transaction of its own
        by_stage = dict(
            session.execute(
                select(Customer.lifecycle_stage, func.count()).where(*live).group_by(Customer.lifecycle_stage)
            ).all()
        )
        # Grouped by the column itself: PostgreSQL takes GROUP BY coalesce(tier, $2) for another expression
        # than SELECT coalesce(tier, $1), each literal being its own parameter.
        by_tier: dict[str, int] = {}
        for tier, count in session.execute(
            select(Customer.value_tier, func.count()).where(*live).group_by(Customer.value_tier)
        ):
            by_tier[tier or "none"] = by_tier.get(tier or "none", 0) + count
        revenue = session.scalar(
            select(func.coalesce(func.sum(Order.amount), 0))
            .join(Customer, Customer.id == Order.customer_id)
            .where(Order.archived_at.is_(None), Order.order_date > today - dt.timedelta(days=365), *live)
        )
        task_scope = [FollowUpTask.status == "open", *_scope(actor, FollowUpTask.owner_id)]
        open_tasks = session.scalar(select(func.count()).select_from(FollowUpTask).where(*task_scope))
        overdue = session.scalar(
            select(func.count()).select_from(FollowUpTask).where(*task_scope, FollowUpTask.due_at < now)
        )
        open_complaints = session.scalar(
            select(func.count())
            .select_from(Complaint)
            .join(Customer, Customer.id == Complaint.customer_id)
            .where(Complaint.status.in_(OPEN_COMPLAINT_STATUSES), *live)
        )
    return Overview(
        scope="own" if _scope(actor, Customer.owner_id) else "all",
        customers=sum(by_stage.values()),
        signed=by_stage.get("signed", 0),
        revenue_12m=Decimal(revenue or 0),
        open_tasks=int(open_tasks or 0),
        overdue_tasks=int(overdue or 0),
        open_complaints=int(open_complaints or 0),
        by_stage={s: by_stage.get(s, 0) for s in ("potential", "intent", "signed", "churned")},
        by_tier={k: by_tier.get(k, 0) for k in ("high", "medium", "low", "none")},
    )
