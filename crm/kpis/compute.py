"""The KPIs computed in SQL for a period and filters (definitions.py names them, README "KPIs" gives each formula).

compute_kpis reads everything of its own in one read transaction with a statement or two per family of
figures (GROUP BY, window functions, EXISTS), so its cost follows the indexes, not the tables' sizes; the
complaint figures come from crm.complaints.period_figures and the satisfaction figures from crm.satisfaction,
each limited to the same customers. Figures "at the period's end" are read at min(end, now): a period not yet
over reads the current columns (stage, last contact, open follow-ups), an ended one the history (stage changes,
logged contacts, when each follow-up was done).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from crm.complaints import period_figures
from crm.kpis.cadence import cadence_rows as cadence_rows
from crm.kpis.cadence import in_cadence_at
from crm.kpis.definitions import (
    CODES,
    COMPLAINT_CODES,
    CUSTOMER_CODES,
    NO_FILTERS,
    REVENUE_CODES,
    SATISFACTION_CODES,
    KpiFilters,
    KpiValue,
)
from crm.kpis.moves import CHURNED, ENTERED_KIND, SIGNED, Counts, customers_of, days_of, median_of, moves_in
from crm.kpis.periods import Period
from crm.kpis.rollups import (
    NO_ID,
    date_rollup,
    segment_filter,
    stage_counts_at,
    stage_counts_by,
)
from crm.kpis.scope import (
    Scope,
    Window,
    reading_now,
    scope_for,
    window,
)
from crm.kpis.windows import Concentration, concentration, revenue_window
from crm.platform.parallel import shared
from crm.platform.permissions import Actor, require
from crm.platform.rollups import SEGMENT, SegmentFilter, ensure_built
from crm.satisfaction import SatisfactionFilters, satisfaction_figures
from db.engine import Sessions
from db.models import (
    Customer,
    FollowUpTask,
    KpiNewCustomerDay,
    KpiNewCustomerMonth,
    KpiOrderDay,
    KpiOrderMonth,
    Order,
    StageChange,
)

STAGES = ("potential", "intent", "signed", "churned")
TIERS = ("high", "medium", "low", "none")
PROSPECT_STAGES = ("potential", "intent")
TOP_SHARE = 0.2  # revenue_top20_share: the top 20% of buying customers
REVENUE_SHARE = Decimal("0.8")  # customers_making_80: the customers making 80% of revenue


def _rate(numerator: int | Decimal, denominator: int | Decimal) -> float | None:
    return float(numerator) / float(denominator) if denominator else None


def available_codes(actor: Actor, codes: Iterable[str] | None = None) -> list[str]:
    """The KPI codes the actor gets, in display order: the complaint figures need kpi.view (staff have their
    own start page; their other figures count their own customers)."""
    require(actor, "customers.view")
    wanted = set(CODES if codes is None else codes)
    unknown = wanted - set(CODES)
    if unknown:
        raise ValueError(f"unknown KPI codes {sorted(unknown)}")
    if not actor.can("kpi.view"):
        wanted -= COMPLAINT_CODES
    return [code for code in CODES if code in wanted]


def compute_kpis(
    sessions: Sessions,
    *,
    actor: Actor,
    period: Period,
    filters: KpiFilters = NO_FILTERS,
    codes: Iterable[str] | None = None,
) -> dict[str, KpiValue]:
    """Compute the KPIs (all, or those codes) for the period and filters, in display order.

    Staff get their own customers' figures, other roles the company's; a rate without a denominator is None.
    """
    wanted = available_codes(actor, codes)
    ensure_built(sessions)
    now = reading_now()
    scope = scope_for(actor, filters)
    values: dict[str, KpiValue] = {}
    window_id = revenue_window(sessions, period.start, period.end) if REVENUE_CODES & set(wanted) else None
    with sessions.read() as session:
        w = window(session, period, now)
        for family, reader in _FAMILIES:
            if family & set(wanted):
                values.update(reader(session, w, scope))
        if window_id is not None:
            values.update(_revenue(session, window_id, scope))
    if COMPLAINT_CODES & set(wanted):
        values.update(_complaint_values(sessions, actor, w, filters))
    if SATISFACTION_CODES & set(wanted):
        values.update(_satisfaction_values(sessions, actor, w, filters))
    return {code: values[code] for code in wanted if code in values}


# --- customers and stages -----------------------------------------------------------------------------


def stage_counts(session: Session, instant: dt.datetime, now: dt.datetime, scope: Scope) -> dict[tuple[str, str], int]:
    """Customers existing (created) at the instant, per (stage then, value tier now: "none" when not rated).

    Read from the stage counts kept at each month's start (crm/kpis/rollups.py), moved by the events of the
    instant's month before it: the cost of a month of changes at most, whatever the number of customers."""
    return stage_counts_at(
        session,
        _instant(instant, now),
        owner_id=scope.owner_id,
        filters=scope.filters,
        customer_conditions=list(scope.conditions),
        now=now,
    )


def _instant(instant: dt.datetime, now: dt.datetime) -> dt.datetime:
    # At (or after) now, everything recorded up to now counts, a change stamped this very instant included.
    return instant if instant < now else now + dt.timedelta(microseconds=1)


def customers_at_by(
    session: Session, instant: dt.datetime, now: dt.datetime, scope: Scope, by: tuple[str, ...]
) -> Counter[tuple[Any, ...]]:
    """Customers existing at the instant (any stage) per segment columns `by` ("" / 0 when not set)."""
    counts = stage_counts_by(
        session,
        _instant(instant, now),
        owner_id=scope.owner_id,
        filters=scope.filters,
        customer_conditions=list(scope.conditions),
        by=by,
        now=now,
    )
    totals: Counter[tuple[Any, ...]] = Counter()
    for (_stage, *keys), n in counts.items():
        totals[tuple(keys)] += n
    return totals


def revenue_by(session: Session, w: Window, scope: Scope, by: tuple[str, ...]) -> dict[tuple[Any, ...], list[Any]]:
    """The period's orders and revenue per segment columns `by`: {keys: [orders, revenue]}, its whole months from
    kpi_order_months and the other days from kpi_order_days."""
    picked = [SEGMENT.index(name) for name in by]
    daily = KpiOrderDay
    terms = [getattr(daily, name) for name in SEGMENT]

    def orders_of(lo: dt.date, hi: dt.date) -> list[Any]:
        return list(
            session.execute(
                select(*terms, func.sum(daily.orders), func.sum(daily.revenue))
                .where(daily.day >= lo, daily.day <= hi, *scope.on(daily))
                .group_by(*terms)
            )
        )

    def days(lo: dt.date, hi: dt.date) -> Any:
        # The days read once per page at the segment's finest grain and summed up to `by` here: the page asks for
        # the same days by several columns (crm/platform/parallel.py).
        rows = shared(("order days", lo, hi, scope.owner_id, scope.filters), lambda: orders_of(lo, hi))
        return [(*(row[i] for i in picked), *row[len(SEGMENT) :]) for row in rows]

    return date_rollup(
        session,
        KpiOrderMonth,
        ("orders", "revenue"),
        w.period.start,
        w.period.end,
        scope.on(KpiOrderMonth),
        by,
        days,
        w.today,
    )


def stage_totals(counts: dict[tuple[str, str], int]) -> dict[str, int]:
    """Customers per stage, from stage_counts."""
    return {s: sum(n for (stage, _), n in counts.items() if stage == s) for s in STAGES}


def entered_count(session: Session, w: Window, scope: Scope, stages: tuple[str, ...]) -> int:
    """Customers moved (or created) into one of the stages in the period who were not in one of them at its start:
    with the customers in them at the start, the customers in them at some moment of the period. Read from the
    stage-move rollups (crm/kpis/moves.py), not the period's stage changes."""
    kind = ENTERED_KIND[tuple(s for s in STAGES if s in stages)]
    return customers_of(moves_in(session, w, scope, (kind,)), kind)


def _customers(session: Session, w: Window, scope: Scope) -> dict[str, KpiValue]:
    end = stage_counts(session, w.as_of, w.now, scope)
    start = stage_counts(session, w.start_at, w.now, scope)
    at_end, at_start = stage_totals(end), stage_totals(start)
    by_tier = {tier: sum(n for (_, t), n in end.items() if t == tier) for tier in TIERS}
    total = sum(at_end.values())
    # Each customer churned, converted (its first conversion, with its days to sign) or entered potential/intent
    # in the period once, from the stage-move rollups (crm/kpis/moves.py): no stage change of the period is read.
    prospects = ENTERED_KIND[PROSPECT_STAGES]
    moves = moves_in(session, w, scope, (CHURNED, SIGNED, prospects))
    churned = customers_of(moves, CHURNED)
    days = _days_to_sign(moves)
    converted = sum(days.values())
    signed_at_start = at_start["signed"]
    prospects_at_start = at_start["potential"] + at_start["intent"]
    # Every customer in potential or intent at some moment of the period: every one converted in it is one of
    # them, so the rate never passes 100% (prospects at the start alone: 117% for a year of the demo's data).
    prospect_count = prospects_at_start + customers_of(moves, prospects)
    return {
        "customers": KpiValue("customers", total, total, None, {"by_stage": at_end, "by_tier": by_tier}),
        "churned_customers": KpiValue("churned_customers", churned, churned, None),
        "churn_rate": KpiValue(
            "churn_rate",
            _rate(churned, signed_at_start),
            churned,
            signed_at_start,
            {"signed_at_start": signed_at_start},
        ),
        "conversion_rate": KpiValue(
            "conversion_rate",
            _rate(converted, prospect_count),
            converted,
            prospect_count,
            {"by_stage_at_start": at_start, "prospects_at_start": prospects_at_start},
        ),
        "median_days_to_sign": KpiValue(
            "median_days_to_sign", median_of(days), None, converted, {"customers": converted}
        ),
    }


def conversions(w: Window, conditions: list[ColumnElement[bool]]) -> Any:
    """SELECT customer_id, signed_at (the first move from potential or intent to signed in the period), created_at."""
    return (
        select(
            StageChange.customer_id.label("customer_id"),
            func.min(StageChange.changed_at).label("signed_at"),
            Customer.created_at.label("created_at"),
        )
        .join(Customer, Customer.id == StageChange.customer_id)
        .where(
            *conditions,
            StageChange.to_stage == "signed",
            StageChange.from_stage.in_(PROSPECT_STAGES),
            StageChange.changed_at >= w.start_at,
            StageChange.changed_at < w.as_of,
        )
        .group_by(StageChange.customer_id, Customer.created_at)
    )


def _days_to_sign(moves: Counts) -> Counter[int]:
    """{whole days from creation to signing: customers} of the conversions counted (each one's first)."""
    return days_of(moves, SIGNED)


# --- orders -------------------------------------------------------------------------------------------


def new_customer_condition(w: Window) -> list[ColumnElement[bool]]:
    """Customers whose first (non-archived) order is dated in the period (conditions on customers, for lists)."""
    order = aliased(Order)  # its own name: the conditions may sit in a query over orders
    in_period = select(order.customer_id).where(
        order.archived_at.is_(None), order.order_date >= w.period.start, order.order_date <= w.period.end
    )
    return [Customer.id.in_(in_period), ~_earlier_order(w, Customer.id)]


def _earlier_order(w: Window, customer_id: Any) -> Any:
    order = aliased(Order)
    return (
        select(order.id)
        .where(order.customer_id == customer_id, order.archived_at.is_(None), order.order_date < w.period.start)
        .exists()
    )


def first_orders(w: Window, scope: Scope) -> Any:
    """Subquery: customer_id, first_order, of the customers counted whose first order is dated in the period (each
    buying customer of the period, then an EXISTS for an earlier order: a key lookup per customer)."""
    buyers = (
        select(Order.customer_id.label("customer_id"), func.min(Order.order_date).label("first_order"))
        .where(Order.archived_at.is_(None), Order.order_date >= w.period.start, Order.order_date <= w.period.end)
        .group_by(Order.customer_id)
        .subquery()
    )
    return (
        select(buyers.c.customer_id, buyers.c.first_order)
        .where(~_earlier_order(w, buyers.c.customer_id), scope.records(buyers.c.customer_id))
        .subquery()
    )


def new_customer_count(
    session: Session, start: dt.date, end: dt.date, scope: Scope, today: dt.date | None = None
) -> int:
    """Customers counted whose first order is dated in [start, end]: whole months from the monthly rollup, the
    other days from the daily one (crm/kpis/rollups.py date_rollup)."""
    daily = KpiNewCustomerDay

    def days(lo: dt.date, hi: dt.date) -> list[tuple[Any]]:
        where = [daily.day >= lo, daily.day <= hi, *scope.on(daily)]
        return [(session.scalar(select(func.sum(daily.customers)).where(*where)),)]

    monthly = KpiNewCustomerMonth
    totals = date_rollup(session, monthly, ("customers",), start, end, scope.on(monthly), (), days, today)
    return int(totals.get((), [0])[0])


def _new_customers(session: Session, w: Window, scope: Scope) -> dict[str, KpiValue]:
    count = new_customer_count(session, w.period.start, w.period.end, scope, w.today)
    return {"new_customers": KpiValue("new_customers", count, count, None)}


def revenue_by_customer(w: Window, scope: Scope | None) -> Any:
    """Subquery: customer_id, revenue (sum of the period's orders), orders, per customer counted (all with an order
    in the period when scope is None: the caller joins its customers) with an order in it."""
    grouped = (
        select(
            Order.customer_id.label("customer_id"),
            func.sum(Order.amount).label("revenue"),
            func.count().label("orders"),
        )
        .where(Order.archived_at.is_(None), Order.order_date >= w.period.start, Order.order_date <= w.period.end)
        .group_by(Order.customer_id)
        .subquery()
    )
    if scope is None:
        return grouped
    return select(grouped).where(scope.records(grouped.c.customer_id)).subquery()


def ranked_revenue(revenue: Any) -> Any:
    """Subquery over the customers of revenue_by_customer, largest first: customer_id, revenue, orders, rn (rank),
    cum (running total), and over the buying ones (revenue > 0, who come first) n (how many) and total (their
    revenue). Lists and curves keep `revenue > 0`."""
    order = (revenue.c.revenue.desc(), revenue.c.customer_id)
    buying = revenue.c.revenue > 0
    return select(
        revenue.c.customer_id,
        revenue.c.revenue,
        revenue.c.orders,
        func.row_number().over(order_by=order).label("rn"),
        func.sum(revenue.c.revenue).over(order_by=order, rows=(None, 0)).label("cum"),
        func.sum(case((buying, 1), else_=0)).over().label("n"),
        func.sum(case((buying, revenue.c.revenue), else_=0)).over().label("total"),
    ).subquery()


def revenue_figures(session: Session, window_id: int, scope: Scope) -> Concentration:
    """The period's revenue and its concentration for the customers counted, from the period's revenue window."""
    segment = segment_filter(scope.owner_id, scope.filters)
    # The cards and the concentration curve read the same window alike: once per page (crm/platform/parallel.py).
    return shared(
        ("concentration", window_id, segment), lambda: concentration(session.connection(), window_id, segment)
    )


def _revenue(session: Session, window_id: int, scope: Scope) -> dict[str, KpiValue]:
    figures = revenue_figures(session, window_id, scope)
    total = figures.revenue.quantize(Decimal("0.01"))
    n, positive, top, making = figures.buying, figures.positive, figures.top20, figures.making80
    return {
        "revenue": KpiValue("revenue", total, total, None, {"orders": figures.orders, "customers": figures.customers}),
        "revenue_top20_share": KpiValue(
            "revenue_top20_share",
            _rate(top, positive),
            top.quantize(Decimal("0.01")),
            positive.quantize(Decimal("0.01")),
            {"buying_customers": n, "top_customers": (n + 4) // 5},
        ),
        "customers_making_80": KpiValue(
            "customers_making_80",
            making if n else None,
            making,
            n,
            {"share_of_customers": _rate(making, n)},
        ),
    }


# --- follow-ups ---------------------------------------------------------------------------------------


def cadence_by(session: Session, w: Window, scope: Scope, by: tuple[str, ...] = ()) -> dict[tuple[Any, ...], list[int]]:
    """Cadence compliance at the period's end per segment columns `by`: {keys: [customers counted, in cadence]}.
    Customers counted: with an owner, existing and not churned then (the stage counts); in cadence: the cadence
    rollups (crm/kpis/cadence.py)."""
    pool = stage_counts_by(
        session,
        _instant(w.as_of, w.now),
        owner_id=scope.owner_id,
        filters=scope.filters,
        customer_conditions=list(scope.conditions),
        by=("owner_id", *by),
        now=w.now,
    )
    figures: dict[tuple[Any, ...], list[int]] = {}
    for (stage, owner, *keys), n in pool.items():
        if stage != "churned" and owner != NO_ID:
            figures.setdefault(tuple(keys), [0, 0])[0] += n
    segment = segment_filter(scope.owner_id, scope.filters)
    for key, n in in_cadence_at(session, w.as_of, w.now, segment, list(scope.conditions), by).items():
        figures.setdefault(key, [0, 0])[1] += n
    return figures


def _cadence(session: Session, w: Window, scope: Scope) -> dict[str, KpiValue]:
    customers, contacted = cadence_by(session, w, scope).get((), [0, 0])
    return {
        "cadence_compliance": KpiValue("cadence_compliance", _rate(contacted, customers), contacted, customers),
    }


def open_task_conditions(w: Window) -> list[ColumnElement[bool]]:
    """Follow-ups open at the period's end: created before it and not yet done or cancelled then (a cancelled
    follow-up keeps no cancellation time: its last change stands for it)."""
    if w.live:
        return [FollowUpTask.status == "open", FollowUpTask.archived_at.is_(None)]
    return [
        FollowUpTask.archived_at.is_(None),
        FollowUpTask.created_at < w.as_of,
        or_(
            FollowUpTask.status == "open",
            and_(FollowUpTask.status == "done", FollowUpTask.completed_at >= w.as_of),
            and_(FollowUpTask.status == "cancelled", FollowUpTask.updated_at >= w.as_of),
        ),
    ]


def _overdue(session: Session, w: Window, scope: Scope) -> dict[str, KpiValue]:
    # Only the overdue ones are counted: each status is then a range of (status, due_at) (SQLite reads them as a
    # MULTI-INDEX OR), where counting every follow-up open at a past instant read the whole table.
    due = [*open_task_conditions(w), FollowUpTask.due_at < w.as_of]
    if scope.everyone or not w.live:
        counted = select(func.count()).select_from(FollowUpTask).where(scope.records(FollowUpTask.customer_id), *due)
    else:
        # Now, every open task past due counts (a third of them): joined, so the planner can start from the
        # filtered customers and read their open tasks by the (customer, status, due) index, where walking those
        # tasks with a lookup of each one's customer took 1.0 s at a million customers (SQLite, three filters:
        # 0.4 s now). At a past instant the tasks open then are read by status and due time, which stays faster.
        counted = (
            select(func.count())
            .select_from(Customer)
            .join(FollowUpTask, FollowUpTask.customer_id == Customer.id)
            .where(*scope.conditions, *due)
        )
    overdue = int(session.scalar(counted) or 0)
    return {"overdue_follow_ups": KpiValue("overdue_follow_ups", overdue, overdue, None)}


_FAMILIES: tuple[tuple[frozenset[str], Any], ...] = (
    (CUSTOMER_CODES, _customers),
    (frozenset({"new_customers"}), _new_customers),
    (frozenset({"cadence_compliance"}), _cadence),
    (frozenset({"overdue_follow_ups"}), _overdue),
)


# --- complaints and satisfaction (their features' figures, limited to the same customers) -------------


def _complaint_values(sessions: Sessions, actor: Actor, w: Window, filters: KpiFilters) -> dict[str, KpiValue]:
    figures = period_figures(
        sessions,
        actor=actor,
        start=w.period.start,
        end=w.period.end,
        segment=kpi_segment(actor, filters),
    ).overall
    resolve_hours = None if figures.median_resolve_seconds is None else figures.median_resolve_seconds / 3600
    return {
        "complaints_received": KpiValue("complaints_received", figures.received, figures.received, None),
        "resolution_rate": KpiValue(
            "resolution_rate", figures.resolution_rate, figures.closed_satisfied, figures.received
        ),
        "on_time_rate": KpiValue("on_time_rate", figures.on_time_rate, figures.resolved_on_time, figures.resolved),
        "reopen_rate": KpiValue("reopen_rate", figures.reopen_rate, figures.reopened, figures.ever_resolved),
        "median_hours_to_resolve": KpiValue("median_hours_to_resolve", resolve_hours, None, figures.resolved),
        "suggestion_adoption_rate": KpiValue(
            "suggestion_adoption_rate",
            figures.adoption_rate,
            figures.suggestions_adopted,
            figures.suggestions_evaluated,
        ),
    }


def _satisfaction_values(sessions: Sessions, actor: Actor, w: Window, filters: KpiFilters) -> dict[str, KpiValue]:
    figures = satisfaction_figures(
        sessions,
        actor=actor,
        start=w.period.start,
        end=w.period.end,
        filters=satisfaction_filters(filters),
        now=w.now,
        dimensions=False,
    )
    csat, nps, recovery = figures.csat, figures.nps, figures.recovery
    return {
        "csat": KpiValue("csat", csat.mean, csat.score_sum, csat.responses, {"satisfied_share": csat.satisfied_share}),
        "nps": KpiValue(
            "nps",
            nps.score,
            nps.promoters - nps.detractors,
            nps.responses,
            {
                "low": nps.low,
                "high": nps.high,
                "small_sample": nps.small_sample,
                "promoters": nps.promoters,
                "passives": nps.passives,
                "detractors": nps.detractors,
            },
        ),
        "survey_responses": KpiValue("survey_responses", figures.responses, figures.responses, None),
        "recovery_rate": KpiValue(
            "recovery_rate",
            recovery.rate,
            recovery.recovered,
            recovery.with_later_response,
            {"alerted_customers": recovery.alerted_customers},
        ),
    }


def kpi_segment(actor: Actor, filters: KpiFilters) -> SegmentFilter:
    """The customers the actor's figures count under the filters, as a rollup SegmentFilter."""
    scope = scope_for(actor, filters)
    return segment_filter(scope.owner_id, filters)


def satisfaction_filters(filters: KpiFilters) -> SatisfactionFilters:
    """The dashboard's filters as crm.satisfaction's."""
    return SatisfactionFilters(
        owner_id=filters.owner_id,
        department_id=filters.department_id,
        value_tier=filters.value_tier,
        industry=filters.industry,
        region=filters.region,
    )
