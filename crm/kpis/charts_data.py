"""The dashboard charts' data, computed in SQL, as plain rows (lists of dicts: a DataFrame or a CSV each).

Each function takes (sessions, *, actor, period, filters) and counts the same customers as compute_kpis; the keys
of a row are what a chart encodes and what a bar's drill key (crm/kpis/drill.py parse_key) narrows by.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.complaints import monthly_figures, root_causes
from crm.kpis.compute import (
    PROSPECT_STAGES,
    STAGES,
    cadence_by,
    customers_at_by,
    kpi_segment,
    new_customer_count,
    revenue_by,
    revenue_figures,
    satisfaction_filters,
    stage_counts,
    stage_totals,
)
from crm.kpis.definitions import NO_FILTERS, KpiFilters
from crm.kpis.moves import CHURNED, ENTERED_KIND, INTENT_ON, POTENTIAL_ON, customers_of, moves_each, moves_in
from crm.kpis.periods import Period, month_end
from crm.kpis.scope import Scope, Window, month_starts, reading_now, scope_for, window
from crm.kpis.windows import revenue_window
from crm.platform.permissions import Actor, require
from crm.platform.rollups import ensure_built
from crm.satisfaction import monthly_trend
from db.engine import Sessions
from db.models import User

CURVE_POINTS = 100
CLASS_DIMENSIONS = ("value_tier", "size_class", "importance")


def _setup(session: Session, actor: Actor, period: Period, filters: KpiFilters) -> tuple[Window, Scope]:
    return window(session, period, reading_now()), scope_for(actor, filters)


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


# --- funnel -------------------------------------------------------------------------------------------


def funnel(
    sessions: Sessions, *, actor: Actor, period: Period, filters: KpiFilters = NO_FILTERS
) -> list[dict[str, Any]]:
    """The lifecycle funnel: per stage, the customers in it at the period's end ("customers"); for potential and
    intent also the customers in it at some moment of the period ("in_period"), those who moved on to a later
    stage in the period ("moved_on": potential -> intent or signed, intent -> signed) and conversion = moved_on ÷
    in_period (None without a denominator). Drill key: the stage."""
    ensure_built(sessions)
    with sessions.read() as session:
        w, scope = _setup(session, actor, period, filters)
        at_end = stage_totals(stage_counts(session, w.as_of, w.now, scope))
        at_start = stage_totals(stage_counts(session, w.start_at, w.now, scope))
        # Each customer moved on from, or entered, potential and intent in the period once, from the stage-move
        # rollups (crm/kpis/moves.py).
        moved_on = {"potential": POTENTIAL_ON, "intent": INTENT_ON}
        entered = {s: ENTERED_KIND[(s,)] for s in PROSPECT_STAGES}
        moves = moves_in(session, w, scope, (*moved_on.values(), *entered.values()))
        in_period = {s: at_start[s] + customers_of(moves, entered[s]) for s in PROSPECT_STAGES}
    result = []
    for s in STAGES:
        row: dict[str, Any] = {"stage": s, "customers": at_end.get(s, 0)}
        if s in PROSPECT_STAGES:
            moved = customers_of(moves, moved_on[s])
            row.update(in_period=in_period[s], moved_on=moved, conversion=_rate(moved, in_period[s]))
        result.append(row)
    return result


# --- classes, concentration, region and industry -------------------------------------------------------


def _customers_and_revenue(
    sessions: Sessions, actor: Actor, period: Period, filters: KpiFilters, by: tuple[str, ...]
) -> dict[tuple[Any, ...], list[Any]]:
    """{(*segment values `by`): [customers at the period's end, the period's revenue]}, from the rollups."""
    ensure_built(sessions)
    with sessions.read() as session:
        w, scope = _setup(session, actor, period, filters)
        counted = customers_at_by(session, w.as_of, w.now, scope, by)
        earned = revenue_by(session, w, scope, by)
    totals: dict[tuple[Any, ...], list[Any]] = {}
    for key, n in counted.items():
        totals.setdefault(key, [0, Decimal(0)])[0] += n
    for key, (_orders, revenue) in earned.items():
        totals.setdefault(key, [0, Decimal(0)])[1] += Decimal(revenue or 0)
    return {key: value for key, value in totals.items() if value[0] or value[1]}


def by_class(
    sessions: Sessions, *, actor: Actor, period: Period, filters: KpiFilters = NO_FILTERS
) -> list[dict[str, Any]]:
    """Customers at the period's end and the period's revenue per class: rows {dimension (value_tier, size_class,
    importance), class ("none": not classed), customers, revenue (Decimal)}. Drill key: "dimension:class"."""
    totals: dict[tuple[str, str], list[Any]] = {}
    for classes, (n, revenue) in _customers_and_revenue(sessions, actor, period, filters, CLASS_DIMENSIONS).items():
        for dimension, class_value in zip(CLASS_DIMENSIONS, classes, strict=True):
            entry = totals.setdefault((dimension, class_value or "none"), [0, Decimal(0)])
            entry[0] += n
            entry[1] += revenue
    return [
        {"dimension": d, "class": c, "customers": n, "revenue": r.quantize(Decimal("0.01"))}
        for (d, c), (n, r) in sorted(totals.items())
    ]


def concentration_curve(
    sessions: Sessions, *, actor: Actor, period: Period, filters: KpiFilters = NO_FILTERS
) -> list[dict[str, Any]]:
    """The Lorenz-style curve of the period's revenue: rows {customer_share, revenue_share, customers} from (0, 0) to
    (1, 1), buying customers largest first, at most about 100 points: exact cumulative shares at the ends of the
    revenue buckets the period's window is read in (crm/kpis/windows.py)."""
    ensure_built(sessions)
    window_id = revenue_window(sessions, period.start, period.end)
    with sessions.read() as session:
        _w, scope = _setup(session, actor, period, filters)
        figures = revenue_figures(session, window_id, scope)
    if not figures.buying or figures.positive <= 0:
        return []
    points = figures.curve
    step = max(1, len(points) // CURVE_POINTS)
    kept = [*points[step - 1 :: step]]
    if kept[-1] != points[-1]:
        kept.append(points[-1])
    curve: list[dict[str, Any]] = [{"customer_share": 0.0, "revenue_share": 0.0, "customers": 0}]
    for customers, revenue in kept:
        curve.append(
            {
                "customer_share": customers / figures.buying,
                "revenue_share": float(revenue / figures.positive),
                "customers": customers,
            }
        )
    return curve


def by_region_and_industry(
    sessions: Sessions, *, actor: Actor, period: Period, filters: KpiFilters = NO_FILTERS
) -> list[dict[str, Any]]:
    """Customers at the period's end and the period's revenue per region and industry: rows {region, industry
    ("none" when not recorded), customers, revenue}. Drill key: "region:x,industry:y"."""
    totals = _customers_and_revenue(sessions, actor, period, filters, ("region", "industry"))
    return [
        {"region": r or "none", "industry": i or "none", "customers": n, "revenue": a.quantize(Decimal("0.01"))}
        for (r, i), (n, a) in sorted(totals.items())
    ]


# --- by month -----------------------------------------------------------------------------------------


def new_vs_churned_by_month(
    sessions: Sessions, *, actor: Actor, period: Period, filters: KpiFilters = NO_FILTERS
) -> list[dict[str, Any]]:
    """New customers (first order in the month) and churned customers (moved to churned in the month) per month
    of the period: rows {month (its first day), new, churned}. Drill: new_customers / churned_customers with the
    key "YYYY-MM"."""
    months = period.months()
    ensure_built(sessions)
    with sessions.read() as session:
        w, scope = _setup(session, actor, period, filters)
        new = {
            i: new_customer_count(session, max(period.start, m), min(period.end, month_end(m)), scope, w.today)
            for i, m in enumerate(months)
        }
        # Each month's churned customers (each once) from the stage-move rollups (crm/kpis/moves.py): the month's
        # part of [start, as_of).
        starts = [max(w.start_at, s) for s in month_starts(session, months)]
        ends = [*starts[1:], w.as_of]
        parts = [(a, min(b, w.as_of)) for a, b in zip(starts, ends, strict=True)]
        churned = {
            i: customers_of(moves, CHURNED) for i, moves in enumerate(moves_each(session, scope, (CHURNED,), parts))
        }
    return [{"month": m, "new": int(new.get(i, 0)), "churned": int(churned.get(i, 0))} for i, m in enumerate(months)]


@dataclass(frozen=True)
class ComplaintsByMonth:
    """bars: {month, category ("none": not categorised), complaints}; line: {month, received, resolved, on_time,
    on_time_rate (None: nothing resolved)}. Drill: complaints_received with "YYYY-MM,category:x"; on_time_rate
    with "YYYY-MM"."""

    bars: list[dict[str, Any]] = field(default_factory=list)
    line: list[dict[str, Any]] = field(default_factory=list)


def complaints_by_month_and_category(
    sessions: Sessions, *, actor: Actor, period: Period, filters: KpiFilters = NO_FILTERS
) -> ComplaintsByMonth:
    """Complaints received per month and category (crm.complaints.root_causes) and the on-time handling rate of
    each month's complaints (crm.complaints.monthly_figures), both for the same customers, from the complaint
    rollups."""
    require(actor, "kpi.view")
    segment = kpi_segment(actor, filters)
    causes = root_causes(
        sessions, actor=actor, start=period.start, end=period.end, top=0, segment=segment, departments=False
    )
    bars = [
        {"month": month, "category": category or "none", "complaints": n}
        for (month, category), n in sorted(causes.by_category.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
    ]
    line = [
        {
            "month": month,
            "received": figures.received,
            "resolved": figures.resolved,
            "on_time": figures.resolved_on_time,
            "on_time_rate": figures.on_time_rate,
        }
        for month, figures in monthly_figures(
            sessions, actor=actor, start=period.start, end=period.end, segment=segment
        )
    ]
    return ComplaintsByMonth(bars=bars, line=line)


# --- follow-ups ---------------------------------------------------------------------------------------


def cadence_by_owner(
    sessions: Sessions, *, actor: Actor, period: Period, filters: KpiFilters = NO_FILTERS
) -> list[dict[str, Any]]:
    """Cadence compliance per owner at the period's end: rows {owner_id, owner, customers, in_cadence, compliance},
    lowest compliance first. Drill: cadence_compliance with the key "owner:ID"."""
    ensure_built(sessions)
    with sessions.read() as session:
        w, scope = _setup(session, actor, period, filters)
        counted = [(owner, n, k) for (owner,), (n, k) in cadence_by(session, w, scope, ("owner_id",)).items() if n]
        names = dict(
            session.execute(
                select(User.id, User.display_name).where(User.id.in_([r[0] for r in counted if r[0] is not None]))
            ).all()
        )
    result = [
        {
            "owner_id": int(owner_id),
            "owner": names.get(owner_id, f"#{owner_id}"),
            "customers": int(n),
            "in_cadence": int(k or 0),
            "compliance": _rate(int(k or 0), int(n)),
        }
        for owner_id, n, k in counted
    ]
    return sorted(result, key=lambda r: (r["compliance"] if r["compliance"] is not None else 2, r["owner"]))


# --- satisfaction -------------------------------------------------------------------------------------


def satisfaction_trend(
    sessions: Sessions, *, actor: Actor, period: Period, filters: KpiFilters = NO_FILTERS
) -> list[dict[str, Any]]:
    """CSAT and NPS per month of the period (crm.satisfaction's monthly trend): rows {month, csat, csat_responses,
    nps, nps_low, nps_high, nps_responses, small_sample, responses}; None where a month has no data. Drill: csat or
    nps with the key "YYYY-MM"."""
    months = monthly_trend(
        sessions, actor=actor, start=period.start, end=period.end, filters=satisfaction_filters(filters)
    )
    return [
        {
            "month": m.month,
            "csat": m.csat.mean,
            "csat_responses": m.csat.responses,
            "nps": m.nps.score,
            "nps_low": m.nps.low,
            "nps_high": m.nps.high,
            "nps_responses": m.nps.responses,
            "small_sample": m.nps.small_sample,
            "responses": m.responses,
        }
        for m in months
    ]


# Every chart's data, in the page's order (the benchmark and the tests read them all).
EVERY_CHART = (
    funnel,
    by_class,
    concentration_curve,
    new_vs_churned_by_month,
    complaints_by_month_and_category,
    satisfaction_trend,
    cadence_by_owner,
    by_region_and_industry,
)
