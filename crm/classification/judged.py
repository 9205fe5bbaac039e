"""Judged dimensions (stage, need type, importance, expected closing date): bulk setting, and stage statistics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, insert, literal, select

from crm.classification.service import Reason
from crm.platform.access import can_edit, visibility
from crm.platform.clock import utcnow
from crm.platform.errors import NotFound, PermissionDenied, ValidationCollector
from crm.platform.permissions import Actor, require
from crm.platform.sql_time import elapsed_days
from crm.platform.stages import apply_stage_change, check_stage_change
from crm.platform.uow import check_version, transaction
from crm.platform.validation import check_choice
from crm.platform.vocab import CHURN_REASONS, IMPORTANCE, NEED_TYPES, STAGES
from db.engine import Sessions
from db.models import ClassChange, Customer, StageChange, UTCDateTime

CLEARABLE = frozenset({"need_type", "importance", "expected_close_date"})
MAX_BULK = 5_000


@dataclass(frozen=True)
class JudgedResult:
    """How many customers a bulk setting changed, and how many of them moved stage."""

    customers: int
    changed: int
    stage_changes: int


def set_judged(
    sessions: Sessions,
    *,
    actor: Actor,
    customer_ids: Sequence[int],
    need_type: str | None = None,
    importance: str | None = None,
    expected_close_date: dt.date | None = None,
    stage: str | None = None,
    churn_reason: str | None = None,
    clear: Collection[str] = (),
    version: int | None = None,
    token: str | None = None,
) -> JudgedResult:
    """Set judged dimensions of the selected customers in one audited transaction (None leaves a field as it is).

    ``clear`` names fields to empty (need_type, importance, expected_close_date). Staff may change only the
    customers they own; importance is management's judgement (classification.manage). Stage moves go through
    crm.platform.stages.apply_stage_change, so each one is kept in the stage history. ``version`` is checked when
    exactly one customer is given (the 360 view's edit form).
    """
    require(actor, "customers.edit_own")
    ids = list(dict.fromkeys(int(i) for i in customer_ids))
    errors = ValidationCollector()
    if not ids:
        errors.add("customer_ids", "classification.error.no_customers")
    elif len(ids) > MAX_BULK:
        errors.add("customer_ids", "validation.too_long", max=MAX_BULK)
    check_choice(errors, "need_type", need_type, NEED_TYPES)
    check_choice(errors, "importance", importance, IMPORTANCE)
    check_choice(errors, "lifecycle_stage", stage, STAGES)
    check_choice(errors, "churn_reason", churn_reason, CHURN_REASONS)
    unknown = set(clear) - CLEARABLE
    if unknown:
        errors.add("clear", "validation.choice")
    if (importance is not None or "importance" in clear) and not actor.can("classification.manage"):
        raise PermissionDenied(permission="classification.manage")
    if all(v is None for v in (need_type, importance, expected_close_date, stage)) and not clear:
        errors.add("need_type", "classification.error.nothing_to_set")
    if version is not None and len(ids) != 1:
        errors.add("customer_ids", "classification.error.version_needs_one")
    errors.raise_if_any()
    with transaction(sessions, actor=actor, token=token, operation="classification.judged") as session:
        customers = {
            c.id: c
            for c in session.scalars(
                select(Customer).where(Customer.id.in_(ids), Customer.archived_at.is_(None)).with_for_update()
            )
        }
        missing = [i for i in ids if i not in customers]
        if missing:
            raise NotFound(entity="customers", id=missing[0])
        for customer in customers.values():
            if not can_edit(actor, customer.owner_id):
                raise PermissionDenied(permission="customers.edit_own")
        if version is not None:
            check_version(session, customers[ids[0]], version)
        if stage is not None:
            for customer in customers.values():
                check_stage_change(customer.lifecycle_stage, stage, churn_reason, errors)
            errors.raise_if_any()
        changed, moved, history = 0, 0, []
        now = utcnow()
        explanation = Reason("classification.why.judged_by", {"by": actor.username}).to_json()
        for customer_id in ids:
            customer = customers[customer_id]
            before = (customer.need_type, customer.importance, customer.expected_close_date, customer.lifecycle_stage)
            for name, value in (
                ("need_type", need_type),
                ("importance", importance),
                ("expected_close_date", expected_close_date),
            ):
                if name in clear:
                    value = None
                elif value is None:
                    continue
                old = getattr(customer, name)
                if old == value:
                    continue
                setattr(customer, name, value)
                if name != "expected_close_date":
                    history.append(
                        {
                            "customer_id": customer_id,
                            "dimension": name,
                            "old_class": old,
                            "new_class": value,
                            "explanation": explanation,
                            "changed_at": now,
                            "changed_by_id": actor.id,
                        }
                    )
            if stage is not None and apply_stage_change(
                session, actor=actor, customer=customer, to_stage=stage, churn_reason=churn_reason
            ):
                moved += 1
            after = (customer.need_type, customer.importance, customer.expected_close_date, customer.lifecycle_stage)
            changed += before != after
        session.flush()
        if history:
            session.execute(insert(ClassChange), history)
    return JudgedResult(len(ids), changed, moved)


# --- stage statistics --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageTime:
    stage: str
    completed: int  # stays that ended (the customer moved on)
    avg_days_completed: float | None
    current: int  # customers in the stage now
    avg_days_current: float | None


@dataclass(frozen=True)
class StageStatistics:
    """Time in stage and the potential → signed conversion of the customers the actor may see."""

    times: list[StageTime]
    ever_potential: int
    ever_signed_from_potential: int
    conversion: float | None  # ever_signed_from_potential / ever_potential
    reached: dict[str, int]  # customers that were ever in each stage


def stage_statistics(
    sessions: Sessions,
    *,
    actor: Actor,
    now: dt.datetime | None = None,
    created_from: dt.date | None = None,
    created_to: dt.date | None = None,
) -> StageStatistics:
    """Measure time in each stage (from the stage history) and conversion from potential to signed.

    A stay starts at a stage change and ends at the customer's next one; the open stay of the current stage is
    counted separately, up to now. The cohort can be limited to customers created in a date range.
    """
    now = now or utcnow()
    with sessions.read() as session:
        conditions = [Customer.archived_at.is_(None), *visibility(session, actor)]
        if created_from is not None:
            conditions.append(Customer.created_at >= dt.datetime.combine(created_from, dt.time(), dt.UTC))
        if created_to is not None:
            conditions.append(
                Customer.created_at < dt.datetime.combine(created_to + dt.timedelta(days=1), dt.time(), dt.UTC)
            )
        left_at = func.lead(StageChange.changed_at).over(
            partition_by=StageChange.customer_id, order_by=(StageChange.changed_at, StageChange.id)
        )
        stays = (
            select(
                StageChange.to_stage.label("stage"), StageChange.changed_at.label("entered"), left_at.label("left_at")
            )
            .join(Customer, Customer.id == StageChange.customer_id)
            .where(*conditions)
            .subquery()
        )
        now_value = literal(now, UTCDateTime())
        duration = elapsed_days(stays.c.entered, stays.c.left_at)
        ongoing = elapsed_days(stays.c.entered, now_value)
        rows = session.execute(
            select(
                stays.c.stage,
                func.count(stays.c.left_at),
                func.avg(duration),
                func.sum(case((stays.c.left_at.is_(None), 1), else_=0)),
                func.avg(case((stays.c.left_at.is_(None), ongoing), else_=None)),
            ).group_by(stays.c.stage)
        ).all()
        by_stage = {
            stage: (int(done or 0), avg, int(current or 0), avg_now) for stage, done, avg, current, avg_now in rows
        }
        ever = (
            select(
                Customer.id,
                func.max(
                    case(
                        (StageChange.to_stage == "potential", 1),
                        (StageChange.from_stage == "potential", 1),
                        (Customer.lifecycle_stage == "potential", 1),
                        else_=0,
                    )
                ).label("potential"),
                func.max(
                    case(
                        (StageChange.to_stage == "intent", 1),
                        (StageChange.from_stage == "intent", 1),
                        (Customer.lifecycle_stage == "intent", 1),
                        else_=0,
                    )
                ).label("intent"),
                func.max(
                    case(
                        (StageChange.to_stage == "signed", 1),
                        (StageChange.from_stage == "signed", 1),
                        (Customer.lifecycle_stage == "signed", 1),
                        else_=0,
                    )
                ).label("signed"),
                func.max(
                    case(
                        (StageChange.to_stage == "churned", 1),
                        (StageChange.from_stage == "churned", 1),
                        (Customer.lifecycle_stage == "churned", 1),
                        else_=0,
                    )
                ).label("churned"),
            )
            .outerjoin(StageChange, StageChange.customer_id == Customer.id)
            .where(*conditions)
            .group_by(Customer.id)
            .subquery()
        )
        totals = session.execute(
            select(
                func.coalesce(func.sum(ever.c.potential), 0),
                func.coalesce(func.sum(ever.c.intent), 0),
                func.coalesce(func.sum(ever.c.signed), 0),
                func.coalesce(func.sum(ever.c.churned), 0),
                func.coalesce(func.sum(ever.c.potential * ever.c.signed), 0),
            )
        ).one()
    times = []
    for stage in STAGES:
        done, avg_done, current, avg_current = by_stage.get(stage, (0, None, 0, None))
        times.append(StageTime(stage, done, _float(avg_done), current, _float(avg_current)))
    potential, signed_from_potential = int(totals[0]), int(totals[4])
    return StageStatistics(
        times=times,
        ever_potential=potential,
        ever_signed_from_potential=signed_from_potential,
        conversion=signed_from_potential / potential if potential else None,
        reached=dict(zip(STAGES, (int(v) for v in totals[:4]), strict=True)),
    )


def _float(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)
