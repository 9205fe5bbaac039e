"""The dashboard's rollups (db/models/rollups.py), kept in step by crm.platform.rollups, and how the KPIs read them.

- kpi_order_months: orders and revenue per month and segment (kpi_order_days: per day, for a period's partial
  months);
- kpi_new_customer_months: customers whose first order falls in the month, per segment (kpi_new_customer_days:
  per day, for a period's partial months);
- kpi_stage_months: customers per lifecycle stage at each month's start, per segment, as crm/kpis/scope.py reads a
  customer's stage at an instant (the stage held at T is the from_stage of its first change at or after T, or the
  current stage; a customer counts from its creation on); an instant inside a month adds the month's events
  before it, read from the records.

A period rarely starts and ends on month boundaries in every figure (the last 12 months end today; a year ago
today for the previous one; custom dates anywhere), so a figure is read as the rollup's whole months plus, for a
partial month, the records of the part of that month that counts (or the whole month's rollup less the records
of the part that does not, whichever part is shorter).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, literal_column, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from crm.platform.clock import company_zone, local_midnight
from crm.platform.parallel import shared
from crm.platform.rollups import (
    CALENDAR_FIRST_YEAR,
    CALENDAR_LAST_YEAR,
    SEGMENT,
    Rollup,
    SegmentFilter,
    customer_ids_of,
    live_customers,
    month_after,
    plan,
    register,
    segment_group,
    segment_of,
)
from crm.platform.sql_time import date_of_day, first_of_month, local_day_of
from db.models import Customer, Order, StageChange
from db.models.rollups import (
    NO_CLASS,
    NO_ID,
    KpiMonth,
    KpiNewCustomerDay,
    KpiNewCustomerMonth,
    KpiOrderDay,
    KpiOrderMonth,
    KpiStageDay,
    KpiStageMonth,
)

# --- contributions -------------------------------------------------------------------------------------------


def _in_calendar(day: Any) -> ColumnElement[bool]:
    return and_(day >= dt.date(CALENDAR_FIRST_YEAR, 1, 1), day < dt.date(CALENDAR_LAST_YEAR + 1, 1, 1))


def _grouped_by_date(dated: Any, *measures: Any, date_key: str = "month") -> Select[Any]:
    keys = [dated.c[date_key], *(dated.c[name] for name in SEGMENT)]
    return select(*keys, *measures).group_by(*keys)


def order_contributions(condition: ColumnElement[bool] | None, *, daily: bool = False) -> Select[Any]:
    """The orders and their revenue per month (daily: per day) of their date, and segment."""
    date_key = "day" if daily else "month"
    dated = (
        select(
            (Order.order_date if daily else first_of_month(Order.order_date)).label(date_key),
            *segment_of(),
            Order.amount.label("amount"),
        )
        .join(Customer, Customer.id == Order.customer_id)
        .where(*live_customers(condition), Order.archived_at.is_(None), _in_calendar(Order.order_date))
        .subquery("dated")
    )
    return _grouped_by_date(
        dated, func.count().label("orders"), func.sum(dated.c.amount).label("revenue"), date_key=date_key
    )


def first_order_dates(condition: ColumnElement[bool] | None) -> Any:
    """Subquery: customer_id, first_order (the first not archived order's date) of the live customers picked."""
    return (
        select(Order.customer_id.label("customer_id"), func.min(Order.order_date).label("first_order"))
        .join(Customer, Customer.id == Order.customer_id)
        .where(*live_customers(condition), Order.archived_at.is_(None))
        .group_by(Order.customer_id)
        .subquery()
    )


def new_customer_contributions(condition: ColumnElement[bool] | None, *, daily: bool = False) -> Select[Any]:
    """The customers per month (daily: per day) of their first order, and segment."""
    first = first_order_dates(condition)
    date_key = "day" if daily else "month"
    dated = (
        select((first.c.first_order if daily else first_of_month(first.c.first_order)).label(date_key), *segment_of())
        .select_from(first)
        .join(Customer, Customer.id == first.c.customer_id)
        .where(_in_calendar(first.c.first_order))
        .subquery("dated")
    )
    return _grouped_by_date(dated, func.count().label("customers"), date_key=date_key)


def stage_events(condition: ColumnElement[bool] | None, *, days: Callable[[Any], Any] | None = None) -> Any:
    """Subquery: customer_id, at, stage, next_at: each live customer's creation (into the stage it first holds) and
    each later stage change (into the stage held after it), with the time of its next event (None: the last).
    The stage an event leads to holds at the instants after `at` up to `next_at` included, as crm/kpis/scope.py
    reads a stage at an instant: from_stage of the first change at or after it, else the current stage; changes
    at or before the creation never count."""
    ordering = (StageChange.changed_at, StageChange.id)
    window: dict[str, Any] = {"partition_by": StageChange.customer_id, "order_by": ordering}
    changes = (
        select(
            StageChange.customer_id.label("customer_id"),
            StageChange.changed_at.label("changed_at"),
            StageChange.id.label("id"),
            StageChange.from_stage.label("from_stage"),
            func.lead(StageChange.from_stage).over(**window).label("next_from"),
            func.lead(StageChange.id).over(**window).label("next_id"),
            func.row_number().over(**window).label("rn"),
        )
        .join(Customer, Customer.id == StageChange.customer_id)
        .where(*live_customers(condition), StageChange.changed_at > Customer.created_at)
        .subquery()
    )
    moves = select(
        changes.c.customer_id.label("customer_id"),
        changes.c.changed_at.label("at"),
        changes.c.id.label("seq"),
        case((changes.c.next_id.is_(None), Customer.lifecycle_stage), else_=changes.c.next_from).label("stage"),
    ).join(Customer, Customer.id == changes.c.customer_id)
    first = aliased(changes)
    creations = (
        select(
            Customer.id.label("customer_id"),
            Customer.created_at.label("at"),
            literal(-1).label("seq"),
            case((first.c.customer_id.is_(None), Customer.lifecycle_stage), else_=first.c.from_stage).label("stage"),
        )
        .select_from(Customer)
        .outerjoin(first, and_(first.c.customer_id == Customer.id, first.c.rn == 1))
        .where(*live_customers(condition))
    )
    events = union_all(moves, creations).subquery()
    following: dict[str, Any] = {"partition_by": events.c.customer_id, "order_by": (events.c.at, events.c.seq)}
    # days(instant) -> the local day number: given, each event's day and next event's day are computed here, once
    # per event (in a query above, merged into its joins, they were computed for every row pair).
    on_days = (
        []
        if days is None
        else [days(events.c.at).label("day"), func.lead(days(events.c.at)).over(**following).label("next_day")]
    )
    return select(
        events.c.customer_id,
        events.c.at,
        events.c.stage,
        func.lead(events.c.at).over(**following).label("next_at"),
        *on_days,
    ).subquery()


def stage_month_contributions(condition: ColumnElement[bool] | None) -> Select[Any]:
    events = stage_events(condition)
    return (
        select(
            KpiMonth.month.label("month"),
            *segment_of(),
            events.c.stage.label("stage"),
            func.count().label("customers"),
        )
        .select_from(events)
        .join(Customer, Customer.id == events.c.customer_id)
        .join(
            KpiMonth,
            and_(
                KpiMonth.stage_counted,
                KpiMonth.start_at > events.c.at,
                or_(events.c.next_at.is_(None), KpiMonth.start_at <= events.c.next_at),
            ),
        )
        .where(events.c.stage.is_not(None))
        .group_by(KpiMonth.month, *segment_group(), events.c.stage)
    )


def _signed_events(events: Any, when: Callable[[ColumnElement[bool]], Any], name: str) -> Any:
    """Subquery: `name` (when(entering): the day or month a flow counts at), the customer's segment, stage and
    sign: each stage event of `events` (stage_events) twice, +1 into its stage at its instant (entering true), -1
    out of it at its next event's (none for a customer's last event)."""
    sign = union_all(select(literal(1).label("sign")), select(literal(-1).label("sign"))).subquery()
    return (
        select(
            when(sign.c.sign == 1).label(name),
            *segment_of(),
            events.c.stage.label("stage"),
            sign.c.sign.label("sign"),
        )
        .select_from(events)
        .join(sign, literal(True))
        .join(Customer, Customer.id == events.c.customer_id)
        .where(events.c.stage.is_not(None), or_(sign.c.sign == 1, events.c.next_at.is_not(None)))
        .subquery("moved")
    )


def stage_day_contributions(condition: ColumnElement[bool] | None) -> Select[Any]:
    """The net change in customers per company-local day, segment and stage: +1 on the day of each event into the
    stage it leads to, -1 on the day of the customer's next event (as stage_month_contributions counts them: a
    count at T holds the events with at < T <= next_at)."""
    events = stage_events(condition, days=local_day_of)
    moved = _signed_events(
        events, lambda entering: case((entering, events.c.day), else_=events.c.next_day), "day_number"
    )
    keys = [moved.c.day_number, *(moved.c[k] for k in SEGMENT), moved.c.stage]
    total = func.sum(moved.c.sign)
    flows = (
        select(*keys, total.label("customers"))
        .where(moved.c.day_number.is_not(None))
        .group_by(*keys)
        .having(total != 0)
        .subquery("flows")
    )
    return select(date_of_day(flows.c.day_number).label("day"), *(flows.c[k] for k in (*SEGMENT, "stage", "customers")))


def stage_months_rebuilt() -> Select[Any]:
    """Every row of kpi_stage_months at once, from each month's flows rather than customers x months (which grows
    past an hour at a million customers): an event adds its customer to its stage at the start of the month after
    the one it falls in and removes it at the start of the month after the one its next event falls in (as
    stage_month_contributions counts it: start_at > at and start_at <= next_at); the running sum of the flows per
    segment and stage, held from each flow's month up to the next, is the count."""
    events = stage_events(None)
    keys = [*SEGMENT, "stage"]
    moved = _signed_events(
        events, lambda entering: month_after(case((entering, events.c.at), else_=events.c.next_at)), "month"
    )
    flow_keys = [moved.c.month, *(moved.c[k] for k in keys)]
    flows = (
        select(*flow_keys, func.sum(moved.c.sign).label("flow"))
        .where(moved.c.month.is_not(None))
        .group_by(*flow_keys)
        .subquery("flows")
    )
    per_key: dict[str, Any] = {"partition_by": [flows.c[k] for k in keys], "order_by": flows.c.month}
    running = select(
        *(flows.c[k] for k in keys),
        flows.c.month,
        func.sum(flows.c.flow).over(**per_key).label("customers"),
        func.lead(flows.c.month).over(**per_key).label("until"),
    ).subquery()
    return (
        select(KpiMonth.month.label("month"), *(running.c[k] for k in keys), running.c.customers)
        .join(
            KpiMonth,
            and_(
                KpiMonth.stage_counted,
                KpiMonth.month >= running.c.month,
                # COALESCE, not OR: a range of the calendar's key for each row (with OR the planners test every
                # month against every row).
                KpiMonth.month < func.coalesce(running.c.until, dt.date(CALENDAR_LAST_YEAR + 1, 1, 1)),
            ),
        )
        .where(running.c.customers != 0)
    )


ORDERS = register(
    Rollup(
        "order_months",
        KpiOrderMonth,
        ("orders", "revenue"),
        order_contributions,
        lambda session: customer_ids_of(session, Order),
    )
)
ORDER_DAYS = register(
    Rollup(
        "order_days",
        KpiOrderDay,
        ("orders", "revenue"),
        partial(order_contributions, daily=True),
        lambda session: customer_ids_of(session, Order),
    )
)
NEW_CUSTOMERS = register(
    Rollup(
        "new_customer_months",
        KpiNewCustomerMonth,
        ("customers",),
        new_customer_contributions,
        lambda session: customer_ids_of(session, Order),
    )
)
NEW_CUSTOMER_DAYS = register(
    Rollup(
        "new_customer_days",
        KpiNewCustomerDay,
        ("customers",),
        partial(new_customer_contributions, daily=True),
        lambda session: customer_ids_of(session, Order),
    )
)
STAGE_DAYS = register(
    Rollup(
        "stage_days",
        KpiStageDay,
        ("customers",),
        stage_day_contributions,
        lambda session: customer_ids_of(session, StageChange),
    )
)
STAGE_MONTHS = register(
    Rollup(
        "stage_months",
        KpiStageMonth,
        ("customers",),
        stage_month_contributions,
        lambda session: customer_ids_of(session, StageChange),
        rebuilt=stage_months_rebuilt,
    )
)


# --- reading -----------------------------------------------------------------------------------------------


def segment_filter(owner_id: int | None, filters: Any) -> SegmentFilter:
    """The dashboard's filters (KpiFilters) and staff's own scope as a rollup SegmentFilter."""
    owners = tuple(o for o in (owner_id, filters.owner_id) if o is not None)
    return SegmentFilter(owners, filters.department_id, filters.value_tier, filters.industry, filters.region)


def segment_conditions(model: Any, owner_id: int | None, filters: Any) -> list[ColumnElement[bool]]:
    """Conditions on a rollup's segment columns for an owner (staff's own figures) and the dashboard's filters."""
    return segment_filter(owner_id, filters).on(model)


def month_containing(session: Session, instant: dt.datetime) -> tuple[dt.date, dt.datetime, dt.datetime]:
    """(first day, start instant, end instant) of the company-local month the instant falls in."""
    row = session.execute(
        select(KpiMonth.month, KpiMonth.start_at, KpiMonth.end_at)
        .where(KpiMonth.start_at <= instant)
        .order_by(KpiMonth.start_at.desc())
        .limit(1)
    ).one()
    return row[0], row[1], row[2]


def _months_around(session: Session, instant: dt.datetime) -> tuple[dt.date, dt.datetime, dt.datetime, dt.date | None]:
    """month_containing's, and the next month's first day when its stage counts are kept (else None)."""
    month, start_at, end_at = month_containing(session, instant)
    following = session.scalar(select(KpiMonth.month).where(KpiMonth.start_at == end_at, KpiMonth.stage_counted))
    return month, start_at, end_at, following


def _next_from(customer_id: Any, at: Any, change_id: Any | None) -> Any:
    """SQL: the from_stage of the customer's first change after (at, change_id) in (changed_at, id) order (after
    `at` itself when change_id is None: a creation), '~' standing for a NULL one; NULL when there is none."""
    later = aliased(StageChange)
    after = later.changed_at > at
    if change_id is not None:
        after = or_(after, and_(later.changed_at == at, later.id > change_id))
    return (
        select(func.coalesce(later.from_stage, "~"))
        .where(later.customer_id == customer_id, after)
        .order_by(later.changed_at, later.id)
        .limit(1)
        .scalar_subquery()
    )


def _held_after(next_from: Any) -> Any:
    return case((next_from.is_(None), Customer.lifecycle_stage), (next_from == "~", None), else_=next_from)


_ID_COLUMNS = ("owner_id", "department_id")


def grouped_counts(session: Session, query: Any, width: int) -> Counter[tuple[Any, ...]]:
    """{the first `width` columns: the last column summed} of a grouped query's rows."""
    counts: Counter[tuple[Any, ...]] = Counter()
    for row in session.execute(query):
        counts[tuple(row[:width])] += int(row[width] or 0)
    return counts


def customer_terms(by: tuple[str, ...]) -> list[Any]:
    """The customer's segment columns named, NULL read as the rollups' "not set" (0 / "", inline: see
    crm.platform.rollups.segment_of)."""
    return [
        func.coalesce(getattr(Customer, name), literal_column(str(NO_ID) if name in _ID_COLUMNS else "''"))
        for name in by
    ]


def raw_stage_events(
    session: Session,
    start: dt.datetime,
    end: dt.datetime,
    conditions: list[ColumnElement[bool]],
    by: tuple[str, ...] = ("value_tier",),
) -> Counter[tuple[Any, ...]]:
    """The stage events of [start, end) read from the records: {(from_stage, to_stage, *segment columns `by`):
    customers} ("" for none), for the customers the conditions (on customers) pick."""
    flows: Counter[tuple[Any, ...]] = Counter()
    terms = customer_terms(by)
    held = _held_after(_next_from(StageChange.customer_id, StageChange.changed_at, StageChange.id))
    moves = (
        select(StageChange.from_stage, held, *terms, func.count())
        .join(Customer, Customer.id == StageChange.customer_id)
        # SQLite otherwise walks every live customer (archived_at IS NULL looks selective) and each one's changes:
        # the period's range of the changes' time index, then each change's customer by its key, is the short way.
        .with_hint(StageChange, "INDEXED BY ix_stage_changes_kpi_at", "sqlite")
        .with_hint(Customer, "NOT INDEXED", "sqlite")
        .where(
            *conditions,
            StageChange.changed_at >= start,
            StageChange.changed_at < end,
            StageChange.changed_at > Customer.created_at,
        )
        .group_by(StageChange.from_stage, held, *terms)
    )
    # Changes at or before the creation are not moves (changed_at > created_at above), as in the rollup.
    first = _held_after(_next_from(Customer.id, Customer.created_at, None))
    creations = (
        select(literal(None), first, *terms, func.count())
        # SQLite otherwise walks every live customer by the archived_at index.
        .with_hint(Customer, "INDEXED BY ix_customers_created_at", "sqlite")
        .where(*conditions, Customer.created_at >= start, Customer.created_at < end)
        .group_by(first, *terms)
    )
    for query in (moves, creations):
        for from_stage, to_stage, *keys, n in session.execute(query):
            if (from_stage or NO_CLASS) != (to_stage or NO_CLASS):
                flows[(from_stage or NO_CLASS, to_stage or NO_CLASS, *keys)] += int(n)
    return flows


def stage_counts_by(
    session: Session,
    instant: dt.datetime,
    *,
    owner_id: int | None,
    filters: Any,
    customer_conditions: list[ColumnElement[bool]],
    by: tuple[str, ...] = ("value_tier",),
    now: dt.datetime | None = None,
) -> Counter[tuple[Any, ...]]:
    """Customers existing at the instant per (stage then, *segment columns `by` now; 0 / "" when not set): the
    counts kept at the start of the instant's month moved by the month's events before the instant, or those at
    the next month's start moved back by the events after it when that reads fewer days (with `now` given, the
    time after now has no events yet: the running month is read from the next month's counts)."""
    # The page asks about the same few instants a dozen times.
    month, start_at, end_at, following = shared(("months around", instant), lambda: _months_around(session, instant))
    forward = instant - start_at
    backward = max(min(end_at, now or end_at) - instant, dt.timedelta(0))
    if instant > start_at and backward < forward and following is not None:
        return _stage_counts_moved(session, following, end_at, instant, -1, owner_id, filters, customer_conditions, by)
    return _stage_counts_moved(session, month, start_at, instant, 1, owner_id, filters, customer_conditions, by)


def _stage_counts_moved(
    session: Session,
    month: dt.date,
    month_start: dt.datetime,
    instant: dt.datetime,
    sign: int,
    owner_id: int | None,
    filters: Any,
    customer_conditions: list[ColumnElement[bool]],
    by: tuple[str, ...],
) -> Counter[tuple[Any, ...]]:
    """The month's kept counts per (stage, *by) moved to the instant by the events between its start and the
    instant: sign 1, the instant after the start (the events played forward); -1, before it (played back)."""
    kept = KpiStageMonth
    columns = [getattr(kept, name) for name in by]
    # Summed up to `by` in SQL, once per page for each month and `by` (the page asks for the same months by the
    # same columns from several charts): fetching the month's rows at the segment's grain (some 14,000) and
    # summing them here cost ten times the SQL.
    kept_counts = shared(
        ("stage month", month, owner_id, filters, by),
        lambda: grouped_counts(
            session,
            select(kept.stage, *columns, func.sum(kept.customers))
            .where(kept.month == month, *segment_conditions(kept, owner_id, filters))
            .group_by(kept.stage, *columns),
            1 + len(by),
        ),
    )
    picked = [SEGMENT.index(name) for name in by]
    counts = Counter(kept_counts)
    lo, hi = (month_start, instant) if sign > 0 else (instant, month_start)
    if lo < hi:
        # The flows read once per page at the segment's finest grain and summed up to `by` here: the page asks for
        # the same instants by several columns.
        flows = shared(
            ("stage flows", lo, hi, owner_id, filters),
            lambda: stage_flows(session, lo, hi, owner_id, filters, customer_conditions),
        )
        for (stage, *keys), n in flows.items():
            counts[(stage, *(keys[i] for i in picked))] += sign * n
    return Counter({key: n for key, n in counts.items() if n})


def stage_flows(
    session: Session,
    lo: dt.datetime,
    hi: dt.datetime,
    owner_id: int | None,
    filters: Any,
    customer_conditions: list[ColumnElement[bool]],
) -> Counter[tuple[Any, ...]]:
    """The net change in customers per (stage, *SEGMENT) over the instants of [lo, hi): the whole company-local days
    in it from kpi_stage_days, the parts of a day at either end from the records (none when both are midnights)."""
    zone = company_zone(session)
    first = lo.astimezone(zone).date()
    if local_midnight(first, zone) < lo:
        first += dt.timedelta(days=1)
    last = hi.astimezone(zone).date()  # the whole days are [first, last)
    flows: Counter[tuple[Any, ...]] = Counter()
    ends = [(lo, hi)]
    if first < last:
        kept = KpiStageDay
        columns = [getattr(kept, name) for name in SEGMENT]
        for stage, *keys, n in session.execute(
            select(kept.stage, *columns, func.sum(kept.customers))
            .where(kept.day >= first, kept.day < last, *segment_conditions(kept, owner_id, filters))
            .group_by(kept.stage, *columns)
        ):
            flows[(stage, *keys)] += int(n or 0)
        ends = [(lo, local_midnight(first, zone)), (local_midnight(last, zone), hi)]
    for a, b in ends:
        if a < b:
            for (from_stage, to_stage, *keys), n in raw_stage_events(
                session, a, b, customer_conditions, SEGMENT
            ).items():
                if from_stage:
                    flows[(from_stage, *keys)] -= n
                if to_stage:
                    flows[(to_stage, *keys)] += n
    return flows


def stage_counts_at(
    session: Session,
    instant: dt.datetime,
    *,
    owner_id: int | None,
    filters: Any,
    customer_conditions: list[ColumnElement[bool]],
    now: dt.datetime | None = None,
) -> dict[tuple[str, str], int]:
    """Customers existing at the instant per (stage then, value tier now: "none" when not rated)."""
    counts = stage_counts_by(
        session, instant, owner_id=owner_id, filters=filters, customer_conditions=customer_conditions, now=now
    )
    return {(stage, tier or "none"): n for (stage, tier), n in counts.items()}


def date_rollup(
    session: Session,
    model: Any,
    measures: tuple[str, ...],
    start: dt.date,
    end: dt.date,
    conditions: list[ColumnElement[bool]],
    by: tuple[str, ...],
    raw: Any,
    today: dt.date | None = None,
) -> dict[tuple[Any, ...], list[Any]]:
    """A date-keyed rollup's measures summed over the days [start, end] per segment columns `by`: whole months
    from the rollup (its rows picked by the conditions on its columns), the other days from raw(lo, hi) -> rows of
    (*by values, *measures) (a daily rollup's), added or subtracted as crm.platform.rollups.plan splits them (the
    days after `today` counted as free)."""
    totals: dict[tuple[Any, ...], list[Any]] = {}

    def add(row: Any, sign: int) -> None:
        key, values = tuple(row[: len(by)]), list(row[len(by) :])
        current = totals.setdefault(key, [0] * len(measures))
        for index, value in enumerate(values):
            current[index] += sign * (value or 0)

    split = plan(start, end, today)
    if split.whole:
        columns = [getattr(model, name) for name in by]
        for row in session.execute(
            select(*columns, *(func.sum(getattr(model, m)) for m in measures))
            .where(model.month.in_(split.whole), *conditions)
            .group_by(*columns)
        ):
            add(row, 1)
    for part in split.parts:
        for row in raw(part.first, part.last):
            add(row, part.sign)
    return totals


def _sum(values: list[Any]) -> Decimal:
    return sum((Decimal(v or 0) for v in values), Decimal(0))


__all__ = [
    "NEW_CUSTOMERS",
    "NEW_CUSTOMER_DAYS",
    "NO_CLASS",
    "NO_ID",
    "ORDERS",
    "ORDER_DAYS",
    "STAGE_DAYS",
    "STAGE_MONTHS",
    "month_containing",
    "raw_stage_events",
    "segment_conditions",
    "segment_filter",
    "customer_terms",
    "date_rollup",
    "stage_counts_at",
    "stage_counts_by",
]
