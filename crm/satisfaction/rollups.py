"""The satisfaction rollups (db/models/satisfaction_rollups.py): what each customer's responses contribute to them,
registered with crm.platform.rollups so they are kept in step with every write of a response.

- satisfaction_months: per month of responded_at (company-local) and segment, the responses and the counts CSAT
  and NPS are made of, by the rules of crm/satisfaction/figures.py;
- satisfaction_alert_months: per month and segment, the customers alerted in it, split by the month of their
  latest alert before it, with what followed their first alert of the month (the recovery's "next response").

crm/satisfaction/figures.py reads them for the dashboard's figures (no dimensions) and the monthly trend: whole
months from here, the rest of a period from the responses.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Dialect,
    Select,
    and_,
    func,
    inspect,
    literal,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.types import TypeDecorator

from crm.platform.rollups import (
    NOT_FILTERED,
    SEGMENT,
    Rollup,
    blank_segment,
    filter_segment_group,
    filter_segment_of,
    live_customers,
    month_of,
    register,
)
from crm.satisfaction.figures import PASSIVE_MIN, PROMOTER_MIN, SATISFIED_MIN, _count_if
from db.models import Customer, SurveyResponse
from db.models.satisfaction_rollups import NO_MONTH, SatisfactionAlertMonth, SatisfactionMonth

# What a response's contribution depends on: a change to anything else (an alert closed, a comment) moves nothing.
COUNTED = ("customer_id", "responded_at", "overall_score", "nps", "alert", "archived_at")
# The segment columns kept: size class and importance stay blank (no satisfaction figure is filtered or broken
# down by them).
KEPT = tuple(name for name in SEGMENT if name not in NOT_FILTERED)


class _Month(TypeDecorator[dt.date]):
    """A date computed in SQL: MariaDB returns COALESCE(a date, a date parameter) as text."""

    impl = Date
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.date | None:
        return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _by_month(columns: list[Any], condition: ColumnElement[bool] | None, *where: Any) -> Any:
    """Subquery: month (of responded_at), the segment, the columns given, of the live customers' responses picked
    that are not archived and fall in the calendar."""
    response = SurveyResponse
    dated = (
        select(month_of(response.responded_at).label("month"), *filter_segment_of(), *columns)
        .join(Customer, Customer.id == response.customer_id)
        .where(*live_customers(condition), response.archived_at.is_(None), *where)
        .subquery("dated")
    )
    return dated


def month_contributions(condition: ColumnElement[bool] | None) -> Select[Any]:
    dated = _by_month([SurveyResponse.overall_score, SurveyResponse.nps], condition)
    overall, nps = dated.c.overall_score, dated.c.nps
    keys = [dated.c.month, *(dated.c[name] for name in KEPT)]
    return (
        select(
            dated.c.month,
            *(dated.c[name] if name in KEPT else blank_segment(name) for name in SEGMENT),
            func.count().label("responses"),
            func.count(overall).label("csat_responses"),
            func.coalesce(func.sum(overall), 0).label("csat_score_sum"),
            _count_if(overall >= SATISFIED_MIN).label("satisfied"),
            _count_if(nps >= PROMOTER_MIN).label("promoters"),
            _count_if(and_(nps >= PASSIVE_MIN, nps < PROMOTER_MIN)).label("passives"),
            _count_if(nps < PASSIVE_MIN).label("detractors"),
        )
        .where(dated.c.month.is_not(None))
        .group_by(*keys)
    )


def alert_contributions(condition: ColumnElement[bool] | None) -> Select[Any]:
    response = SurveyResponse
    # Each customer's first alert of each month where they had one...
    alerts = _by_month(
        [response.customer_id.label("customer_id"), response.responded_at.label("at")],
        condition,
        response.alert == true(),
    )
    firsts = (
        select(alerts.c.customer_id, alerts.c.month, func.min(alerts.c.at).label("first_at"))
        .where(alerts.c.month.is_not(None))
        .group_by(alerts.c.customer_id, alerts.c.month)
        .subquery("firsts")
    )
    # ...the month of their alert before it...
    previous = func.lag(firsts.c.month).over(partition_by=firsts.c.customer_id, order_by=firsts.c.month)
    later = aliased(SurveyResponse, name="later")
    # ...and the response that followed it (the first strictly later one, archived ones left out).
    next_id = (
        select(later.id)
        .where(
            later.customer_id == firsts.c.customer_id,
            later.archived_at.is_(None),
            later.responded_at > firsts.c.first_at,
        )
        .order_by(later.responded_at, later.id)
        .limit(1)
        .correlate(firsts)
        .scalar_subquery()
    )
    months = select(
        firsts.c.customer_id,
        firsts.c.month,
        type_coerce(func.coalesce(previous, literal(NO_MONTH, Date)), _Month).label("previous_alert"),
        next_id.label("next_id"),
    ).subquery("alerted")
    following = aliased(SurveyResponse, name="following")
    return (
        select(
            months.c.month.label("month"),
            *filter_segment_of(),
            months.c.previous_alert.label("previous_alert"),
            func.count().label("customers"),
            func.count(following.id).label("followed"),
            _count_if(or_(following.nps >= PASSIVE_MIN, following.overall_score >= SATISFIED_MIN)).label("recovered"),
        )
        .select_from(months)
        .join(Customer, Customer.id == months.c.customer_id)
        .outerjoin(following, following.id == months.c.next_id)
        .group_by(months.c.month, *filter_segment_group(), months.c.previous_alert)
    )


def touched(session: Session) -> set[int]:
    """The customers (before and after) of the responses added, deleted, or changed in what they count for."""
    ids: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(obj, SurveyResponse):
            continue
        state = inspect(obj)
        if obj in session.dirty and not any(state.attrs[name].history.has_changes() for name in COUNTED):
            continue
        if obj.customer_id is not None:
            ids.add(int(obj.customer_id))
        if obj not in session.new:
            history = state.attrs["customer_id"].history
            ids.update(int(v) for v in (*history.deleted, *history.unchanged) if v is not None)
    return ids


MONTHS = register(
    Rollup(
        "satisfaction_months",
        SatisfactionMonth,
        (
            "responses",
            "csat_responses",
            "csat_score_sum",
            "satisfied",
            "promoters",
            "passives",
            "detractors",
        ),
        month_contributions,
        touched,
    )
)
ALERT_MONTHS = register(
    Rollup(
        "satisfaction_alert_months",
        SatisfactionAlertMonth,
        ("customers", "followed", "recovered"),
        alert_contributions,
        touched,
    )
)
