"""The KPIs the naive way: whole tables loaded with pandas.read_sql, every figure computed in pandas.

Two uses: the dashboard benchmark's baseline (what the SQL in crm/kpis is measured against), and the KPI tests'
second computation (tests/crm/kpis compare compute_kpis with it on the three databases). Written from the
formulas in the README's "KPIs" section, sharing nothing with crm/kpis but the cadence per class
(crm.follow_ups.Cadences.for_customer) and the company's local midnight.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import Connection, select

from crm.follow_ups import DEFAULT_CADENCES, Cadences
from crm.kpis import KpiFilters, Period
from crm.platform.clock import local_midnight, zone_named
from db.models import (
    Activity,
    Complaint,
    Customer,
    FollowUpTask,
    Order,
    ServicePolicy,
    Setting,
    StageChange,
    Suggestion,
    SurveyResponse,
)

TABLES = {
    "customers": Customer,
    "stage_changes": StageChange,
    "orders": Order,
    "activities": Activity,
    "tasks": FollowUpTask,
    "complaints": Complaint,
    "suggestions": Suggestion,
    "responses": SurveyResponse,
    "policies": ServicePolicy,
}
PROSPECTS = ("potential", "intent")


@dataclass
class Raw:
    frames: dict[str, pd.DataFrame]
    zone: Any
    cadences: Cadences


def load(connection: Connection) -> Raw:
    """Read every table the KPIs use, whole."""
    frames = {}
    for name, model in TABLES.items():
        frame = pd.read_sql(select(model.__table__), connection)
        for column in model.__table__.columns:
            if column.name in frame and str(column.type).startswith(("DATETIME", "TIMESTAMP")):
                frame[column.name] = pd.to_datetime(frame[column.name], utc=True)
        frames[name] = frame
    zone = zone_named(connection.scalar(select(Setting.value).where(Setting.key == "timezone")))
    days = dict(DEFAULT_CADENCES)
    policies = frames["policies"]
    for row in policies[policies.archived_at.isna()].itertuples():
        days[(row.dimension, row.class_value)] = row.cadence_days
    return Raw(frames, zone, Cadences(days))


def _ts(value: dt.datetime) -> pd.Timestamp:
    return pd.Timestamp(value).tz_convert("UTC")


def _picked(raw: Raw, filters: KpiFilters, staff_id: int | None) -> pd.DataFrame:
    c = raw.frames["customers"]
    c = c[c.archived_at.isna()]
    if staff_id is not None:
        c = c[c.owner_id == staff_id]
    if filters.owner_id is not None:
        c = c[c.owner_id == filters.owner_id]
    if filters.department_id is not None:
        c = c[c.department_id == filters.department_id]
    if filters.value_tier is not None:
        c = c[c.value_tier.isna()] if filters.value_tier == "none" else c[c.value_tier == filters.value_tier]
    if filters.industry is not None:
        c = c[c.industry == filters.industry]
    if filters.region is not None:
        c = c[c.region == filters.region]
    return c


def _stage_at(raw: Raw, customers: pd.DataFrame, instant: pd.Timestamp) -> pd.Series:
    """Each customer's stage at the instant (None: not created yet)."""
    changes = raw.frames["stage_changes"]
    later = changes[changes.changed_at >= instant].sort_values(["customer_id", "changed_at", "id"])
    first = later.drop_duplicates("customer_id").set_index("customer_id").from_stage
    stage = customers.set_index("id").lifecycle_stage.astype(object).copy()
    has = stage.index.isin(first.index)
    stage[has] = first.reindex(stage.index[has]).values
    created = customers.set_index("id").created_at < instant
    stage[~created] = None
    return stage


def _rate(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def reference(
    raw: Raw, period: Period, filters: KpiFilters, now: dt.datetime, staff_id: int | None = None
) -> dict[str, tuple[Any, Any, Any]]:
    """code -> (value, numerator, denominator), as the README defines each KPI."""
    f = raw.frames
    start_at = _ts(local_midnight(period.start, raw.zone))
    end_at = _ts(local_midnight(period.end + dt.timedelta(days=1), raw.zone))
    now_ts = _ts(now)
    as_of = min(end_at, now_ts)
    live = as_of >= now_ts
    c = _picked(raw, filters, staff_id)
    ids = set(c.id)
    out: dict[str, tuple[Any, Any, Any]] = {}

    at_end = _stage_at(raw, c, as_of).dropna()
    at_start = _stage_at(raw, c, start_at).dropna()
    out["customers"] = (len(at_end), len(at_end), None)
    sc = f["stage_changes"]
    window = sc[(sc.changed_at >= start_at) & (sc.changed_at < as_of) & sc.customer_id.isin(ids)]
    churned = window[window.to_stage == "churned"].customer_id.nunique()
    signed_at_start = int((at_start == "signed").sum())
    out["churned_customers"] = (churned, churned, None)
    out["churn_rate"] = (_rate(churned, signed_at_start), churned, signed_at_start)
    conversions = window[(window.to_stage == "signed") & window.from_stage.isin(PROSPECTS)]
    converted = conversions.customer_id.nunique()
    prospects = set(at_start[at_start.isin(PROSPECTS)].index) | set(window[window.to_stage.isin(PROSPECTS)].customer_id)
    out["conversion_rate"] = (_rate(converted, len(prospects)), converted, len(prospects))
    first_signed = conversions.groupby("customer_id").changed_at.min()
    created = c.set_index("id").created_at
    # Whole days elapsed (the floor), never negative.
    days = [max(0, (first_signed[i] - created[i]) // pd.Timedelta(days=1)) for i in first_signed.index]
    out["median_days_to_sign"] = (float(pd.Series(days).median()) if days else None, None, len(days))

    orders = f["orders"]
    orders = orders[orders.archived_at.isna() & orders.customer_id.isin(ids)]
    first_order = orders.groupby("customer_id").order_date.min()
    new = int(((first_order >= period.start) & (first_order <= period.end)).sum())
    out["new_customers"] = (new, new, None)
    in_period = orders[(orders.order_date >= period.start) & (orders.order_date <= period.end)]
    total = sum((Decimal(str(a)) for a in in_period.amount), Decimal(0))
    out["revenue"] = (total, total, None)
    per_customer = in_period.assign(amount=in_period.amount.map(lambda a: Decimal(str(a))))
    sums = per_customer.groupby("customer_id").amount.sum()
    sums = sums[sums > 0]
    ranked = sorted(sums.items(), key=lambda kv: (-kv[1], kv[0]))
    n = len(ranked)
    positive = sum((v for _, v in ranked), Decimal(0))
    top = sum((v for _, v in ranked[: math.ceil(n / 5)]), Decimal(0))
    making, cumulative = 0, Decimal(0)
    for _, v in ranked:
        if cumulative < positive * Decimal("0.8"):
            making += 1
        cumulative += v
    out["revenue_top20_share"] = (_rate(float(top), float(positive)), top, positive)
    out["customers_making_80"] = (making if n else None, making, n)

    cust = c.set_index("id")
    if live:
        pool = cust[cust.owner_id.notna() & (cust.lifecycle_stage != "churned")]
        last = pool.last_contact_at
        instant = now_ts
    else:
        stage = at_end
        pool = cust[cust.owner_id.notna() & cust.index.isin(stage[stage != "churned"].index)]
        acts = f["activities"]
        acts = acts[acts.archived_at.isna() & (acts.occurred_at < as_of)]
        last = acts.groupby("customer_id").occurred_at.max().reindex(pool.index)
        instant = as_of
    tiers = pool.value_tier.astype(object).where(pool.value_tier.notna(), None)
    importances = pool.importance.astype(object).where(pool.importance.notna(), None)
    allowed = pd.Series(
        [raw.cadences.for_customer(t, i) for t, i in zip(tiers, importances, strict=True)], index=pool.index
    )
    since = instant - pd.to_timedelta(allowed, unit="D")
    in_cadence = int((last.reindex(pool.index) >= since).sum())
    out["cadence_compliance"] = (_rate(in_cadence, len(pool)), in_cadence, len(pool))

    tasks = f["tasks"]
    tasks = tasks[tasks.archived_at.isna() & tasks.customer_id.isin(ids)]
    if live:
        open_ = tasks[tasks.status == "open"]
    else:
        open_ = tasks[
            (tasks.created_at < as_of)
            & (
                (tasks.status == "open")
                | ((tasks.status == "done") & (tasks.completed_at >= as_of))
                | ((tasks.status == "cancelled") & (tasks.updated_at >= as_of))
            )
        ]
    overdue = int((open_.due_at < as_of).sum())
    out["overdue_follow_ups"] = (overdue, overdue, None)

    k = f["complaints"]
    k = k[k.archived_at.isna() & (k.received_at >= start_at) & (k.received_at < end_at) & k.customer_id.isin(ids)]
    received = len(k)
    satisfied = int(((k.status == "closed") & (k.customer_satisfied == True)).sum())  # noqa: E712
    resolved = k[k.resolved_at.notna()]
    on_time = int((resolved.resolved_at <= resolved.resolve_due_at).sum())
    ever = k[k.first_resolved_at.notna()]
    reopened = int((ever.reopen_count > 0).sum())
    out["complaints_received"] = (received, received, None)
    out["resolution_rate"] = (_rate(satisfied, received), satisfied, received)
    out["on_time_rate"] = (_rate(on_time, len(resolved)), on_time, len(resolved))
    out["reopen_rate"] = (_rate(reopened, len(ever)), reopened, len(ever))
    hours = (
        (resolved.resolved_at - resolved.received_at).dt.total_seconds() - resolved.paused_seconds.fillna(0)
    ) / 3600
    out["median_hours_to_resolve"] = (float(hours.median()) if len(hours) else None, None, len(hours))
    s = f["suggestions"]
    s = s[s.archived_at.isna() & (s.received_at >= start_at) & (s.received_at < end_at) & s.customer_id.isin(ids)]
    evaluated = int(s.evaluation_result.notna().sum())
    adopted = int(s.evaluation_result.isin(["adopt", "adopt_partly"]).sum())
    out["suggestion_adoption_rate"] = (_rate(adopted, evaluated), adopted, evaluated)

    r = f["responses"]
    r = r[r.archived_at.isna() & r.customer_id.isin(ids)]
    period_r = r[(r.responded_at >= start_at) & (r.responded_at < end_at)]
    scored = period_r[period_r.overall_score.notna()]
    out["csat"] = (
        float(scored.overall_score.mean()) if len(scored) else None,
        int(scored.overall_score.sum()),
        len(scored),
    )
    rated = period_r[period_r.nps.notna()]
    promoters, detractors = int((rated.nps >= 9).sum()), int((rated.nps <= 6).sum())
    out["nps"] = (
        100 * (promoters - detractors) / len(rated) if len(rated) else None,
        promoters - detractors,
        len(rated),
    )
    out["survey_responses"] = (len(period_r), len(period_r), None)
    alerts = period_r[period_r.alert == True].sort_values(["responded_at", "id"])  # noqa: E712
    firsts = alerts.drop_duplicates("customer_id")[["customer_id", "responded_at"]].sort_values("responded_at")
    everything = r[r.responded_at <= now_ts].sort_values("responded_at")
    following = everything[["customer_id", "responded_at", "nps", "overall_score"]].rename(
        columns={"responded_at": "next_at"}
    )
    following = following.sort_values(["next_at"]).assign(at=following.next_at)
    paired = pd.merge_asof(
        firsts.rename(columns={"responded_at": "at"}),
        following.sort_values("at"),
        on="at",
        by="customer_id",
        direction="forward",
        allow_exact_matches=False,
    )
    answered_rows = paired[paired.next_at.notna()]
    answered = len(answered_rows)
    recovered = int(((answered_rows.nps >= 7) | (answered_rows.overall_score >= 4)).sum())
    out["recovery_rate"] = (_rate(recovered, answered), recovered, answered)
    return out
