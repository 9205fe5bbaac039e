"""The rows behind a KPI or a chart's bar: the customers, complaints, follow-ups or survey responses it counts,
one page at a time (ORDER BY, LIMIT and OFFSET in SQL, the total counted by the database)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session, aliased

from crm.kpis.compute import (
    REVENUE_SHARE,
    available_codes,
    cadence_rows,
    conversions,
    new_customer_condition,
    open_task_conditions,
    ranked_revenue,
    revenue_by_customer,
)
from crm.kpis.definitions import KPI_BY_CODE, NO_FILTERS, KpiFilters
from crm.kpis.periods import Period
from crm.kpis.scope import Window, customer_conditions, customers_at, window
from crm.platform.clock import utcnow
from crm.platform.errors import ValidationError
from crm.platform.permissions import Actor
from crm.platform.sql_time import days_between
from db.engine import Sessions
from db.models import Activity, Complaint, Customer, FollowUpTask, StageChange, SurveyResponse, User

MAX_PAGE_SIZE = 500
_MONTH_KEY = re.compile(r"^\d{4}-\d{2}$")
# key "dimension:value" -> the customer column it narrows (chart bars: a tier, a size, a region, an owner...)
CUSTOMER_DIMENSIONS: dict[str, Any] = {
    "value_tier": Customer.value_tier,
    "tier": Customer.value_tier,
    "size_class": Customer.size_class,
    "size": Customer.size_class,
    "importance": Customer.importance,
    "region": Customer.region,
    "industry": Customer.industry,
    "owner": Customer.owner_id,
    "department": Customer.department_id,
}
COMPLAINT_DIMENSIONS: dict[str, Any] = {"category": Complaint.category, "severity": Complaint.severity}


def _drill_error() -> ValidationError:
    return ValidationError({"code": ("kpis.error.drill", {})})


def parse_key(key: str | None, period: Period) -> tuple[Period, dict[str, str]]:
    """Read a drill key: comma-separated parts, "YYYY-MM" narrowing the period to that month, "dimension:value"
    narrowing the rows (stage, value_tier, size_class, importance, region, industry, owner, department, category,
    severity; the value "none" is an empty one)."""
    parts: dict[str, str] = {}
    for part in (key or "").split(","):
        part = part.strip()
        if not part:
            continue
        if _MONTH_KEY.match(part):
            month = Period.parse(part)
            start, end = max(period.start, month.start), min(period.end, month.end)
            if start > end:
                raise _drill_error()
            period = Period.custom(start, end) if (start, end) != (month.start, month.end) else month
        elif ":" in part:
            dimension, value = part.split(":", 1)
            if dimension not in CUSTOMER_DIMENSIONS and dimension not in COMPLAINT_DIMENSIONS and dimension != "stage":
                raise _drill_error()
            parts[dimension] = value
        else:
            parts["stage"] = part  # a funnel stage
    return period, parts


def _narrow(column: Any, value: str) -> ColumnElement[bool]:
    if value in ("none", ""):
        return column.is_(None)
    if column in (Customer.owner_id, Customer.department_id):
        return column == int(value) if value.isdigit() else column.is_(None)
    return column == value


def drill_down(
    sessions: Sessions,
    *,
    actor: Actor,
    code: str,
    period: Period,
    filters: KpiFilters = NO_FILTERS,
    page: int = 0,
    page_size: int = 50,
    key: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """List one page of the customers, complaints, responses or tasks behind a figure (or a chart's bar, see
    parse_key), with the total. Every row has kind, id, customer_id, code, name and owner, and the columns of
    its figure (revenue, signed_at and days, last_contact and in_cadence, due_at, received_at and on_time...)."""
    definition = KPI_BY_CODE.get(code)
    if definition is None or definition.drill is None or code not in available_codes(actor, [code]):
        raise _drill_error()
    period, parts = parse_key(key, period)
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    conditions = customer_conditions(actor, filters)
    conditions += [_narrow(CUSTOMER_DIMENSIONS[d], v) for d, v in parts.items() if d in CUSTOMER_DIMENSIONS]
    with sessions.read() as session:
        w = window(session, period, utcnow())
        query = _QUERIES[definition.drill](session, w, code, conditions, parts)
        total = int(session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)
        rows = [dict(r._mapping) for r in session.execute(query.limit(page_size).offset(max(0, page) * page_size))]
    for row in rows:
        if row.get("cumulative_share") is not None:
            row["cumulative_share"] = float(row["cumulative_share"])
        if "signed_at" in row and "created_at" in row:
            row["days"] = days_between(row.pop("created_at"), row["signed_at"])
    return rows, total


def _customer_columns() -> tuple[Any, ...]:
    owner = aliased(User)
    return (
        owner,
        (
            Customer.id.label("customer_id"),
            Customer.code.label("code"),
            Customer.name.label("name"),
            owner.display_name.label("owner"),
            Customer.lifecycle_stage.label("stage"),
            Customer.value_tier.label("value_tier"),
        ),
    )


def _customers(
    session: Session, w: Window, code: str, conditions: list[ColumnElement[bool]], parts: dict[str, str]
) -> Select[Any]:
    owner, columns = _customer_columns()
    order: tuple[Any, ...] = (Customer.name, Customer.id)
    if code == "customers":
        from_, stage, exist = customers_at(w.as_of, w.now)
        query = select(*columns[:4], stage.label("stage"), columns[5]).select_from(from_)
        query = query.where(*exist)
        if "stage" in parts:
            query = query.where(stage == parts["stage"])
    elif code == "new_customers":
        query = select(*columns).where(*new_customer_condition(w))
    elif code in ("churned_customers", "churn_rate"):
        churns = (
            select(StageChange.customer_id, func.min(StageChange.changed_at).label("churned_at"))
            .where(
                StageChange.to_stage == "churned",
                StageChange.changed_at >= w.start_at,
                StageChange.changed_at < w.as_of,
            )
            .group_by(StageChange.customer_id)
            .subquery()
        )
        query = select(*columns, churns.c.churned_at, Customer.churn_reason.label("churn_reason")).join(
            churns, churns.c.customer_id == Customer.id
        )
        order = (churns.c.churned_at.desc(), Customer.id)
    elif code in ("conversion_rate", "median_days_to_sign"):
        signed = conversions(w, []).subquery()
        query = select(*columns, signed.c.signed_at, signed.c.created_at).join(
            signed, signed.c.customer_id == Customer.id
        )
        order = (signed.c.signed_at.desc(), Customer.id)
    elif code in ("revenue", "revenue_top20_share", "customers_making_80"):
        revenue = revenue_by_customer(w, None)
        ranked = ranked_revenue(revenue)
        query = select(
            *columns,
            ranked.c.revenue,
            ranked.c.rn.label("rank"),
            (ranked.c.cum / ranked.c.total).label("cumulative_share"),
        ).join(ranked, and_(ranked.c.customer_id == Customer.id, ranked.c.revenue > 0))
        if code == "revenue_top20_share":
            query = query.where(ranked.c.rn * 5 <= ranked.c.n + 4)
        elif code == "customers_making_80":
            query = query.where(ranked.c.cum - ranked.c.revenue < ranked.c.total * REVENUE_SHARE)
        order = (ranked.c.rn,)
    elif code == "cadence_compliance":
        from_, in_cadence, where = cadence_rows(session, w.as_of, w.now, [])
        if w.live:
            last_contact: Any = Customer.last_contact_at
        else:
            last_contact = (
                select(func.max(Activity.occurred_at))
                .where(
                    Activity.customer_id == Customer.id,
                    Activity.archived_at.is_(None),
                    Activity.occurred_at < w.as_of,
                )
                .scalar_subquery()
            )
        query = (
            select(*columns, last_contact.label("last_contact"), in_cadence.label("in_cadence"))
            .select_from(from_)
            .where(*where)
        )
        order = (in_cadence, Customer.name, Customer.id)
    else:
        raise _drill_error()
    if "stage" in parts and code != "customers":
        query = query.where(Customer.lifecycle_stage == parts["stage"])
    query = query.outerjoin(owner, owner.id == Customer.owner_id).where(*conditions)
    return query.add_columns(Customer.id.label("id")).order_by(*order)


def _complaints(
    session: Session, w: Window, code: str, conditions: list[ColumnElement[bool]], parts: dict[str, str]
) -> Select[Any]:
    owner, columns = _customer_columns()
    on_time = and_(Complaint.resolved_at.is_not(None), Complaint.resolved_at <= Complaint.resolve_due_at)
    query = (
        select(
            Complaint.id.label("id"),
            Complaint.code.label("complaint_code"),
            *columns[:4],
            Complaint.received_at.label("received_at"),
            Complaint.category.label("category"),
            Complaint.severity.label("severity"),
            Complaint.status.label("status"),
            Complaint.resolved_at.label("resolved_at"),
            on_time.label("on_time"),
            Complaint.reopen_count.label("reopen_count"),
            Complaint.customer_satisfied.label("customer_satisfied"),
        )
        .join(Customer, Customer.id == Complaint.customer_id)
        .outerjoin(owner, owner.id == Customer.owner_id)
        .where(
            *conditions,
            Complaint.archived_at.is_(None),
            Complaint.received_at >= w.start_at,
            Complaint.received_at < w.end_at,
        )
    )
    if code in ("on_time_rate", "median_hours_to_resolve"):
        query = query.where(Complaint.resolved_at.is_not(None))
    elif code == "reopen_rate":
        query = query.where(Complaint.first_resolved_at.is_not(None))
    for dimension, column in COMPLAINT_DIMENSIONS.items():
        if dimension in parts:
            query = query.where(_narrow(column, parts[dimension]))
    if "stage" in parts:
        query = query.where(Customer.lifecycle_stage == parts["stage"])
    return query.order_by(Complaint.received_at.desc(), Complaint.id.desc())


def _tasks(
    session: Session, w: Window, code: str, conditions: list[ColumnElement[bool]], parts: dict[str, str]
) -> Select[Any]:
    owner, columns = _customer_columns()
    assignee = aliased(User)
    return (
        select(
            FollowUpTask.id.label("id"),
            *columns[:4],
            assignee.display_name.label("assignee"),
            FollowUpTask.due_at.label("due_at"),
            FollowUpTask.purpose.label("purpose"),
            FollowUpTask.status.label("status"),
        )
        .join(Customer, Customer.id == FollowUpTask.customer_id)
        .outerjoin(owner, owner.id == Customer.owner_id)
        .outerjoin(assignee, assignee.id == FollowUpTask.owner_id)
        .where(*conditions, *open_task_conditions(w), FollowUpTask.due_at < w.as_of)
        .order_by(FollowUpTask.due_at, FollowUpTask.id)
    )


def _responses(
    session: Session, w: Window, code: str, conditions: list[ColumnElement[bool]], parts: dict[str, str]
) -> Select[Any]:
    owner, columns = _customer_columns()
    query = (
        select(
            SurveyResponse.id.label("id"),
            *columns[:4],
            SurveyResponse.responded_at.label("responded_at"),
            SurveyResponse.channel.label("channel"),
            SurveyResponse.overall_score.label("overall_score"),
            SurveyResponse.nps.label("nps"),
            SurveyResponse.alert.label("alert"),
        )
        .join(Customer, Customer.id == SurveyResponse.customer_id)
        .outerjoin(owner, owner.id == Customer.owner_id)
        .where(
            *conditions,
            SurveyResponse.archived_at.is_(None),
            SurveyResponse.responded_at >= w.start_at,
            SurveyResponse.responded_at < w.end_at,
        )
    )
    if code == "csat":
        query = query.where(SurveyResponse.overall_score.is_not(None))
    elif code == "nps":
        query = query.where(SurveyResponse.nps.is_not(None))
    elif code == "recovery_rate":
        query = query.where(SurveyResponse.alert.is_(True))
    return query.order_by(SurveyResponse.responded_at.desc(), SurveyResponse.id.desc())


_QUERIES: dict[str, Any] = {
    "customers": _customers,
    "complaints": _complaints,
    "tasks": _tasks,
    "responses": _responses,
}
