"""Cadence compliance (the follow-up issue's definition) at an instant, from rollups kept in step with the records.

A customer counts at instant T when it has an owner, exists at T with a stage other than churned, and its last
contact before T (activities not archived) is at or after T less its class's cadence (crm.follow_ups.cadence).
Read from the records, that is each customer's last contact before T: a million index seeks at the issue's scale.

The rollups (db/models/cadence_rollups.py) keep, per company-local day and segment, how the number in cadence at
the day's midnight changes from the previous day's, and the number at each month's first midnight. A customer is
in cadence at the midnights of the days after each contact up to the day the cadence runs out (or the next
contact's day), while it exists with a stage other than churned; those day ranges give +1 where one starts and
-1 the day after it ends. A figure at a midnight is its month's plus the days' changes up to it (or the next
month's less those after it: the shorter way). Every period that has ended is read at a midnight (its end).
A running period is read at now: this morning's midnight from the rollups, moved by the few customers whose state
can have changed since (a contact, a stage change or a creation today, a cadence running out today), read from
the records before and after.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal_column, or_, select, union, union_all
from sqlalchemy.orm import Session

from crm.follow_ups import cadence_days_sql, cadence_due_since, load_cadences
from crm.kpis.rollups import customer_terms, grouped_counts, stage_events
from crm.kpis.scope import customers_at
from crm.platform.clock import company_zone, local_midnight
from crm.platform.rollups import (
    CALENDAR_LAST_YEAR,
    Rollup,
    SegmentFilter,
    customer_ids_of,
    filter_segment_group,
    filter_segment_of,
    live_customers,
    register,
)
from crm.platform.sql_time import DAY_SECONDS, date_of_day, day_number, epoch_seconds, local_day, local_day_of
from db.models import Activity, Customer, KpiCadenceDay, KpiCadenceMonth, KpiMonth, ServicePolicy, StageChange
from db.models.rollups import NO_ID

FAR_DAY = 10_000_000  # a day number after every calendar day: "no end"
AFTER_CALENDAR = day_number(dt.date(CALENDAR_LAST_YEAR + 1, 1, 1))  # the same, as a date every database holds
CHURNED = "churned"

# --- contributions -------------------------------------------------------------------------------------------


def _greater(a: Any, b: Any) -> Any:
    return case((a > b, a), else_=b)


def _smaller(a: Any, b: Any) -> Any:
    return case((a < b, a), else_=b)


def in_cadence_days(condition: ColumnElement[bool] | None) -> Any:
    """Subquery: customer_id, first, last: the day ranges (day numbers, inclusive) at whose midnights the customer
    counts in cadence, for the live customers the condition picks. Disjoint per customer: each contact covers the
    days up to the next contact's, each stage period its own. The local days are computed in the windowed
    queries, once per contact and stage event."""
    at = epoch_seconds(Activity.occurred_at)
    day = local_day(at)
    contacts = (
        select(
            Activity.customer_id.label("customer_id"),
            day.label("day"),
            # In cadence at midnight M after contact a while a < M <= a + cadence, and M <= the next contact (after
            # it, the next one counts).
            local_day(at + cadence_days_sql() * DAY_SECONDS).label("due_day"),
            func.lead(day)
            .over(partition_by=Activity.customer_id, order_by=(Activity.occurred_at, Activity.id))
            .label("next_day"),
        )
        .join(Customer, Customer.id == Activity.customer_id)
        .where(*live_customers(condition), Activity.archived_at.is_(None))
        .subquery("contacts")
    )
    covered = select(
        contacts.c.customer_id,
        (contacts.c.day + 1).label("first"),
        _smaller(contacts.c.due_day, func.coalesce(contacts.c.next_day, FAR_DAY)).label("last"),
    ).subquery("covered")
    events = stage_events(condition, days=local_day_of)
    # The stage an event leads to holds at midnight M when at < M <= next_at (crm/kpis/rollups.py stage_events).
    held = (
        select(
            events.c.customer_id,
            (events.c.day + 1).label("first"),
            func.coalesce(events.c.next_day, FAR_DAY).label("last"),
        )
        .where(events.c.stage.is_not(None), events.c.stage != CHURNED)
        .subquery("held")
    )
    first, last = _greater(covered.c.first, held.c.first), _smaller(covered.c.last, held.c.last)
    return (
        select(covered.c.customer_id, first.label("first"), last.label("last"))
        .join(held, held.c.customer_id == covered.c.customer_id)
        .where(first <= last)
        .subquery("in_cadence")
    )


def day_contributions(condition: ColumnElement[bool] | None) -> Select[Any]:
    """+1 at each range's first day, -1 the day after its last: each range read once (two rows of `sides`)."""
    ranges = in_cadence_days(condition)
    sides = union_all(select(literal_column("1").label("flow")), select(literal_column("-1").label("flow"))).subquery(
        "sides"
    )
    day = case((sides.c.flow == literal_column("1"), ranges.c.first), else_=ranges.c.last + 1)
    return (
        select(day.label("day"), *filter_segment_of(), func.sum(sides.c.flow).label("customers"))
        .select_from(ranges)
        .join(sides, literal_column("1") == literal_column("1"))
        .join(Customer, Customer.id == ranges.c.customer_id)
        .group_by(day, *filter_segment_group())
    )


def month_contributions(condition: ColumnElement[bool] | None) -> Select[Any]:
    ranges = in_cadence_days(condition)
    return (
        select(KpiMonth.month.label("month"), *filter_segment_of(), func.count().label("customers"))
        .select_from(ranges)
        .join(Customer, Customer.id == ranges.c.customer_id)
        .join(
            KpiMonth,
            and_(KpiMonth.month >= date_of_day(ranges.c.first), KpiMonth.month <= date_of_day(ranges.c.last)),
        )
        .group_by(KpiMonth.month, *filter_segment_group())
    )


def months_rebuilt() -> Select[Any]:
    """Every row of kpi_cadence_months from kpi_cadence_days (rebuilt just before): the running sum of the days'
    changes per segment, held from each change's day up to the next, at each month's first day."""
    keys = [c.name for c in KpiCadenceDay.__table__.primary_key.columns if c.name != "day"]
    days = KpiCadenceDay.__table__
    per_key: dict[str, Any] = {"partition_by": [days.c[k] for k in keys], "order_by": days.c.day}
    running = select(
        *(days.c[k] for k in keys),
        days.c.day,
        func.sum(days.c.customers).over(**per_key).label("customers"),
        func.lead(days.c.day).over(**per_key).label("until"),
    ).subquery("running")
    return (
        select(KpiMonth.month.label("month"), *(running.c[k] for k in keys), running.c.customers)
        .join(
            KpiMonth,
            and_(
                KpiMonth.month >= date_of_day(running.c.day),
                KpiMonth.month < date_of_day(func.coalesce(running.c.until, AFTER_CALENDAR)),
            ),
        )
        .where(running.c.customers != 0)
    )


def _touched(session: Session) -> set[int]:
    return customer_ids_of(session, Activity) | customer_ids_of(session, StageChange)


CADENCE_DAYS = register(
    Rollup("cadence_days", KpiCadenceDay, ("customers",), day_contributions, _touched, rebuilt_on=(ServicePolicy,))
)
CADENCE_MONTHS = register(
    Rollup(
        "cadence_months",
        KpiCadenceMonth,
        ("customers",),
        month_contributions,
        _touched,
        rebuilt=months_rebuilt,
        rebuilt_on=(ServicePolicy,),
    )
)


# --- reading -------------------------------------------------------------------------------------------------


def _next_month(first: dt.date) -> dt.date:
    return dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)


def in_cadence_at_midnight(
    session: Session, day: dt.date, segment: SegmentFilter, by: tuple[str, ...] = ()
) -> Counter[tuple[Any, ...]]:
    """Customers in cadence at the company-local midnight starting `day`, per segment columns `by` (with an owner:
    owner 0 is not counted)."""
    month = day.replace(day=1)
    following = _next_month(month)
    forward = day_number(day) - day_number(month)
    backward = day_number(following) - day_number(day)
    start_month, sign = (month, 1) if forward <= backward else (following, -1)
    wanted = [KpiCadenceMonth.owner_id != NO_ID, *segment.on(KpiCadenceMonth)]
    columns = [getattr(KpiCadenceMonth, name) for name in by]
    counts = grouped_counts(
        session,
        select(*columns, func.sum(KpiCadenceMonth.customers))
        .where(KpiCadenceMonth.month == start_month, *wanted)
        .group_by(*columns),
        len(by),
    )
    if forward and backward:
        lo, hi = (day_number(month) + 1, day_number(day)) if sign == 1 else (day_number(day) + 1, day_number(following))
        day_columns = [getattr(KpiCadenceDay, name) for name in by]
        changes = grouped_counts(
            session,
            select(*day_columns, func.sum(KpiCadenceDay.customers))
            .where(
                KpiCadenceDay.day >= lo,
                KpiCadenceDay.day <= hi,
                KpiCadenceDay.owner_id != NO_ID,
                *segment.on(KpiCadenceDay),
            )
            .group_by(*day_columns),
            len(by),
        )
        for key, n in changes.items():
            counts[key] += sign * n
    return Counter({key: n for key, n in counts.items() if n})


def cadence_rows(
    session: Session, as_of: dt.datetime, now: dt.datetime, conditions: list[ColumnElement[bool]]
) -> tuple[Any, Any, list[Any]]:
    """(FROM, in-cadence expression (1/0), conditions) over the customers cadence compliance counts at as_of, read
    from the records: with an owner, not churned then; contacted within their class's cadence before that instant
    (at or after now: the current columns). For lists (drill-down) and the few customers of a day."""
    cadences = load_cadences(session)
    if as_of >= now:
        last_contact: Any = Customer.last_contact_at
        in_cadence = case((last_contact >= cadence_due_since(cadences, now), 1), else_=0)
        where = [*conditions, Customer.owner_id.is_not(None), Customer.lifecycle_stage != CHURNED]
        return Customer, in_cadence, where
    from_, stage, exist = customers_at(as_of, now)
    last_contact = (
        select(func.max(Activity.occurred_at))
        .where(Activity.customer_id == Customer.id, Activity.archived_at.is_(None), Activity.occurred_at < as_of)
        .scalar_subquery()
    )
    in_cadence = case((last_contact >= cadence_due_since(cadences, as_of), 1), else_=0)
    where = [*conditions, *exist, Customer.owner_id.is_not(None), stage != CHURNED]
    return from_, in_cadence, where


def _raw_in_cadence(
    session: Session,
    as_of: dt.datetime,
    now: dt.datetime,
    conditions: list[ColumnElement[bool]],
    by: tuple[str, ...],
    *,
    restricted: bool = False,
) -> Counter[tuple[Any, ...]]:
    from_, in_cadence, where = cadence_rows(session, as_of, now, conditions)
    terms = customer_terms(by)
    rows = select(*(t.label(n) for t, n in zip(terms, by, strict=True)), in_cadence.label("k")).select_from(from_)
    if restricted:
        # The few customers picked by id: SQLite otherwise walks every live customer by the archived_at index
        # (NOT INDEXED still looks rows up by their id).
        rows = rows.with_hint(Customer, "NOT INDEXED", "sqlite")
    counted = rows.where(*where).subquery()
    return grouped_counts(
        session,
        select(*(counted.c[n] for n in by), func.sum(counted.c.k)).group_by(*(counted.c[n] for n in by)),
        len(by),
    )


def _touched_today(midnight: dt.datetime, now: dt.datetime) -> Any:
    """SELECT of the customer ids with a contact, a stage change or a creation since midnight (up to now included:
    the current columns already hold a contact logged this very instant)."""
    return union(
        select(Activity.customer_id).where(Activity.occurred_at >= midnight, Activity.occurred_at <= now),
        select(StageChange.customer_id).where(StageChange.changed_at >= midnight, StageChange.changed_at <= now),
        select(Customer.id).where(Customer.created_at >= midnight, Customer.created_at <= now),
    )


def _run_out_today(
    session: Session,
    midnight: dt.datetime,
    now: dt.datetime,
    conditions: list[ColumnElement[bool]],
    by: tuple[str, ...],
) -> Counter[tuple[Any, ...]]:
    """Per segment columns `by`: the customers not touched today whose cadence ran out between midnight and now.
    Untouched, a customer's last contact before midnight is its last contact (customers.last_contact_at) and its
    stage is the current one, so it leaves cadence exactly when that contact lies in [due(midnight), due(now)):
    read from the customers alone, one range of their last-contact index per cadence length."""
    cadences = load_cadences(session)
    contact = Customer.last_contact_at
    ranges = [
        and_(contact >= midnight - dt.timedelta(days=days), contact < now - dt.timedelta(days=days))
        for days in sorted(set(cadences.days.values()) | {cadences.for_customer(None, None)})
    ]
    terms = customer_terms(by)
    return grouped_counts(
        session,
        select(*terms, func.count())
        .where(
            *conditions,
            or_(*ranges),
            contact >= cadence_due_since(cadences, midnight),
            contact < cadence_due_since(cadences, now),
            Customer.owner_id.is_not(None),
            Customer.lifecycle_stage != CHURNED,
            Customer.id.not_in(_touched_today(midnight, now)),
        )
        .group_by(*terms),
        len(by),
    )


def in_cadence_at(
    session: Session,
    as_of: dt.datetime,
    now: dt.datetime,
    segment: SegmentFilter,
    conditions: list[ColumnElement[bool]],
    by: tuple[str, ...] = (),
) -> Counter[tuple[Any, ...]]:
    """Customers in cadence at as_of (an ended period's end: a company-local midnight; a running one's: now, or
    later) per segment columns `by`, for the customers the segment filter picks (the same customers the
    conditions on customers pick). A running period: this morning's count from the rollups, less the customers
    whose cadence ran out since, and the few touched today read from the records before and after."""
    zone = company_zone(session)
    if as_of < now:
        local = as_of.astimezone(zone)
        if local_midnight(local.date(), zone) == as_of:
            return in_cadence_at_midnight(session, local.date(), segment, by)
        return _raw_in_cadence(session, as_of, now, conditions, by)
    today = now.astimezone(zone).date()
    midnight = local_midnight(today, zone)
    counts = in_cadence_at_midnight(session, today, segment, by)
    for key, n in _run_out_today(session, midnight, now, conditions, by).items():
        counts[key] -= n
    touched = [*conditions, Customer.id.in_(_touched_today(midnight, now))]
    for key, n in _raw_in_cadence(session, midnight, now, touched, by, restricted=True).items():
        counts[key] -= n
    for key, n in _raw_in_cadence(session, now, now, touched, by, restricted=True).items():
        counts[key] += n
    return Counter({key: n for key, n in counts.items() if n})


__all__ = ["CADENCE_DAYS", "CADENCE_MONTHS", "cadence_rows", "in_cadence_at", "in_cadence_at_midnight"]
