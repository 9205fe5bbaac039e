"""Computed classification (value, size, relationship, credit risk): recompute, threshold preview/apply, explanations.

One run reads the customers (one table scan) and their order aggregates (one GROUP BY over the covering index
ix_orders_customer_rfm), scores the whole base at once with numpy (crm/rfm.py, crm/credit.py), applies the active
manual overrides, and writes back only the customers whose cached columns changed (crm/classification_batch.py:
staging tables, INSERT ... SELECT for the class history, UPDATE ... FROM). Each class that changed gets a
class_changes row with its explanation (message key + parameters, as JSON) and the run itself one audit row.
Nothing here loops over customers issuing queries; explain_customer() runs the same rules for one customer.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from crm.classification import credit, rfm
from crm.classification.batch import CACHED_COLUMNS, differs, new_cached, write_changes
from crm.classification.rfm import COMPUTED_DIMENSIONS, Bands, Thresholds, validate_thresholds
from crm.follow_ups import company_today as company_today  # re-exported for the classification modules
from crm.platform.access import load_readable
from crm.platform.audit import audit_row, write_audit
from crm.platform.clock import utcnow
from crm.platform.errors import CrmError
from crm.platform.i18n import format_date, format_money, format_number, format_percent, t
from crm.platform.permissions import SYSTEM, Actor, require
from crm.platform.uow import transaction
from crm.platform.vocab import urgency_of
from db.engine import Sessions
from db.models import ClassOverride, Customer, Order, Setting, User

THRESHOLDS_KEY = "classification.thresholds"
LAST_RUN_KEY = "classification.last_run"
CHUNK = 50_000
DIMENSION_LABEL_PREFIX = {
    "value_tier": "tier",
    "size_class": "size_class",
    "relationship": "relationship",
    "credit_risk": "credit_risk",
    "lifecycle_stage": "stage",
    "need_type": "need_type",
    "importance": "importance",
    "urgency": "urgency",
}
DIMENSION_CLASSES: dict[str, tuple[str, ...]] = {
    "value_tier": ("high", "medium", "low"),
    "size_class": ("key", "small"),
    "relationship": ("new", "established"),
    "credit_risk": ("high", "medium", "low"),
}


# --- settings ------------------------------------------------------------------------------------


def load_thresholds(session: Session) -> Thresholds:
    """Return the stored thresholds (defaults where none are stored)."""
    return Thresholds.from_json(session.scalar(select(Setting.value).where(Setting.key == THRESHOLDS_KEY)))


def read_thresholds(sessions: Sessions, *, actor: Actor) -> Thresholds:
    """Return the thresholds in force."""
    require(actor, "customers.view")
    with sessions.read() as session:
        return load_thresholds(session)


def _store_setting(session: Session, actor: Actor, key: str, value: Any, *, audited: bool) -> None:
    row = session.get(Setting, key)
    old = row.value if row else None
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
    session.flush()
    if audited and old != value:
        write_audit(
            session,
            [
                audit_row(
                    actor,
                    "update",
                    "settings",
                    key,
                    field=key,
                    old=json.dumps(old, sort_keys=True) if old is not None else None,
                    new=json.dumps(value, sort_keys=True),
                )
            ],
        )


def last_run(session: Session) -> dict[str, Any] | None:
    """Return the facts of the last run (as-of date, bands used, size cutoff, revenue), or None."""
    value = session.scalar(select(Setting.value).where(Setting.key == LAST_RUN_KEY))
    return value if isinstance(value, dict) else None


def read_last_run(sessions: Sessions, *, actor: Actor) -> dict[str, Any] | None:
    """Return the facts of the last run for display (as-of date, time, mode, bands, customers)."""
    require(actor, "customers.view")
    with sessions.read() as session:
        return last_run(session)


# --- computation ---------------------------------------------------------------------------------

_CATEGORIES = {dim: pd.CategoricalDtype(list(classes)) for dim, classes in DIMENSION_CLASSES.items()}


def _fetch_rows(session: Session, stmt: Select[*tuple[Any, ...]], width: int) -> Iterator[np.ndarray]:
    """Run a read through the driver's own cursor and yield its rows in chunks, as 2-D object arrays.

    A classification run reads a million rows: going around SQLAlchemy's row objects and type processing saves
    most of the Python time (values come as the driver gives them: dates as text on SQLite, Decimal on the
    servers). The cursor is a server-side one where the driver has them, so rows stream in chunks; callers turn
    each chunk into typed arrays before the next one, which keeps the memory down.
    """
    connection = session.connection()
    sql = str(stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    raw = connection.connection.dbapi_connection
    assert raw is not None
    dialect = connection.dialect.name
    if dialect == "postgresql":
        cursor = raw.cursor(name=f"crm_classify_{uuid.uuid4().hex[:8]}")
    elif dialect in ("mysql", "mariadb"):
        import pymysql.cursors

        cursor = raw.cursor(pymysql.cursors.SSCursor)
    else:
        cursor = raw.cursor()
    try:
        cursor.execute(sql)
        yielded = False
        while rows := cursor.fetchmany(CHUNK):
            chunk = np.empty((len(rows), width), dtype=object)
            chunk[:] = rows
            yielded = True
            yield chunk
        if not yielded:
            yield np.empty((0, width), dtype=object)
    finally:
        cursor.close()


def _dates(values: np.ndarray) -> np.ndarray:
    """Driver dates (ISO text on SQLite, date objects elsewhere, None) as datetime64[D]."""
    if len(values) and any(isinstance(v, str) for v in values[:100]):
        return pd.to_datetime(pd.Series(values, dtype=object), format="%Y-%m-%d").to_numpy().astype("datetime64[D]")
    return np.array(
        [np.datetime64("NaT") if v is None else np.datetime64(v, "D") for v in values], dtype="datetime64[D]"
    )


def _cents(values: np.ndarray) -> np.ndarray:
    """Driver amounts (float, Decimal or None) as float cents, NaN where missing."""
    numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)
    return np.round(numbers * 100)


def _classes(values: np.ndarray, dimension: str) -> pd.Categorical:
    """Class codes as a categorical (anything outside the vocabulary counts as missing)."""
    categories = DIMENSION_CLASSES[dimension]
    codes = np.full(len(values), -1, dtype=np.int8)
    for index, category in enumerate(categories):
        codes[values == category] = index
    return pd.Categorical.from_codes(codes, categories=categories)


def _base_frame(session: Session, as_of: dt.date, customer_ids: Collection[int] | None) -> pd.DataFrame:
    """Read one row per live customer: its cached class columns, and its order aggregates up to as_of.

    Two plain reads (the customers table scanned, the orders aggregated from the covering index
    ix_orders_customer_rfm), joined here by id: cheaper than a join in SQL on every database.
    """
    customers = select(
        Customer.id,
        Customer.code,
        Customer.archived_at.is_(None),
        *(getattr(Customer, name) for name in CACHED_COLUMNS),
    )
    orders = (
        select(
            Order.customer_id,
            func.max(Order.order_date),
            func.min(Order.order_date),
            func.count(),
            func.sum(Order.amount),
        )
        .where(Order.order_date <= as_of, Order.archived_at.is_(None))
        .group_by(Order.customer_id)
    )
    if customer_ids is not None:
        ids = [int(i) for i in customer_ids]
        customers = customers.where(Customer.id.in_(ids))
        orders = orders.where(Order.customer_id.in_(ids))
    parts = []
    for rows in _fetch_rows(session, customers, 3 + len(CACHED_COLUMNS)):
        rows = rows[rows[:, 2].astype(bool)]  # live customers only
        part = pd.DataFrame({"id": rows[:, 0].astype(np.int64)})
        part["code"] = pd.Series(rows[:, 1], dtype=object)
        for index, name in enumerate(CACHED_COLUMNS, start=3):
            if name in COMPUTED_DIMENSIONS:
                part[f"cur_{name}"] = _classes(rows[:, index], name)
            elif name == "rfm_monetary":
                part[f"cur_{name}"] = pd.array(_cents(rows[:, index]), dtype="Int64")
            else:
                part[f"cur_{name}"] = pd.array(rows[:, index], dtype="Int64")
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    last = np.full(len(frame), np.datetime64("NaT"), dtype="datetime64[D]")
    first = last.copy()
    orders_count = np.zeros(len(frame), dtype=np.int64)
    total = np.zeros(len(frame), dtype=np.int64)
    index_of = pd.Index(frame["id"])
    for aggregates in _fetch_rows(session, orders, 5):
        position = index_of.get_indexer(aggregates[:, 0].astype(np.int64))
        known = position >= 0  # orders of archived customers are left out
        at, aggregates = position[known], aggregates[known]
        if len(at):
            last[at] = _dates(aggregates[:, 1])
            first[at] = _dates(aggregates[:, 2])
            orders_count[at] = aggregates[:, 3].astype(np.int64)
            total[at] = np.nan_to_num(_cents(aggregates[:, 4])).astype(np.int64)
    frame["last_order"], frame["first_order"] = last, first
    frame["orders"], frame["total_cents"] = orders_count, total
    return rfm.prepare(frame, as_of)


def _active_overrides(session: Session, as_of: dt.date, customer_ids: Collection[int] | None) -> pd.DataFrame:
    """Return the overrides in force on as_of (not removed, not expired): one row per customer and dimension."""
    stmt = (
        select(
            ClassOverride.customer_id,
            ClassOverride.dimension,
            ClassOverride.value,
            ClassOverride.id,
            ClassOverride.reason,
            ClassOverride.expires_on,
            User.username,
        )
        .outerjoin(User, User.id == ClassOverride.created_by_id)
        .where(
            ClassOverride.archived_at.is_(None),
            (ClassOverride.expires_on.is_(None)) | (ClassOverride.expires_on >= as_of),
        )
        .order_by(ClassOverride.id)
    )
    if customer_ids is not None:
        stmt = stmt.where(ClassOverride.customer_id.in_(list(customer_ids)))
    frame = pd.DataFrame(
        session.execute(stmt).all(),
        columns=["customer_id", "dimension", "value", "id", "reason", "expires_on", "username"],
    )
    # Only one is live per customer and dimension (setting one removes the previous); the latest wins anyway.
    return frame.drop_duplicates(["customer_id", "dimension"], keep="last")


@dataclass
class Computation:
    """The classes of a set of customers as of a date: computed, overridden, and what is cached now."""

    as_of: dt.date
    thresholds: Thresholds
    bands: Bands
    facts: dict[str, Any]
    frame: pd.DataFrame
    evidence: pd.DataFrame
    overrides: pd.DataFrame


def compute(
    session: Session, *, as_of: dt.date, thresholds: Thresholds, customer_ids: Collection[int] | None = None
) -> Computation:
    """Classify every live customer (or only customer_ids) as of a date, without writing anything.

    For a subset, the quintile bands and the size cutoff come from the last run (they depend on the whole base);
    if there was none, they are computed over the whole base.
    """
    frame = _base_frame(session, as_of, customer_ids)
    snapshot = last_run(session) if customer_ids is not None else None
    if customer_ids is None:
        bands = rfm.bands_for(thresholds, frame)
        size, preceding, facts = rfm.size_classes(frame, thresholds.key_share_percent)
        frame["size_computed"] = size
        frame["preceding_share"] = preceding
    else:
        if snapshot is None or (thresholds.mode == "quantile" and not snapshot.get("bands", {}).get("quantile")):
            whole = compute(session, as_of=as_of, thresholds=thresholds)
            bands, facts = whole.bands, whole.facts
        else:
            bands = Bands.from_json(snapshot["bands"]) if thresholds.mode == "quantile" else rfm.fixed_bands(thresholds)
            facts = {key: snapshot.get(key) for key in ("total_revenue_cents", "key_share_percent", "cutoff", "as_of")}
        frame["size_computed"] = [
            rfm.size_from_cutoff(int(total), code, facts.get("cutoff"))
            for total, code in zip(frame["total_cents"], frame["code"], strict=True)
        ]
        frame["preceding_share"] = np.nan
    scored = rfm.score(frame, thresholds, bands)
    scored["value_computed"] = scored.pop("value_tier")
    scored["relationship_computed"] = rfm.relationships(scored, thresholds)
    found = credit.evidence(session, as_of=as_of, thresholds=thresholds, customer_ids=customer_ids)
    points = credit.points_by_customer(found)
    scored["credit_points"] = scored["id"].map(points).fillna(0.0).to_numpy(dtype=float)
    scored["credit_events"] = (
        scored["id"]
        .map(found.groupby("customer_id").size() if not found.empty else pd.Series(dtype=int))
        .fillna(0)
        .astype(int)
    )
    scored["credit_computed"] = credit.grades(scored["credit_points"].to_numpy(), thresholds)
    overrides = _active_overrides(session, as_of, customer_ids)
    _apply_overrides(scored, overrides)
    facts = {**facts, "as_of": as_of.isoformat()}
    return Computation(as_of, thresholds, bands, facts, scored, found, overrides)


COMPUTED_COLUMN = {
    "value_tier": "value_computed",
    "size_class": "size_computed",
    "relationship": "relationship_computed",
    "credit_risk": "credit_computed",
}


def _apply_overrides(frame: pd.DataFrame, overrides: pd.DataFrame) -> None:
    """Set each dimension's class in force: the override where one is active, else the computed class."""
    position = pd.Series(np.arange(len(frame)), index=frame["id"].to_numpy())
    for dim in COMPUTED_DIMENSIONS:
        effective = frame[COMPUTED_COLUMN[dim]].astype(object).to_numpy(copy=True)
        chosen = overrides[overrides["dimension"] == dim]
        if not chosen.empty:
            hits = chosen[chosen["customer_id"].isin(position.index)]
            effective[position[hits["customer_id"]].to_numpy()] = hits["value"].to_numpy()
        frame[dim] = effective
        frame[f"{dim}_overridden"] = frame["id"].isin(chosen["customer_id"])


def _override_key(overrides: pd.DataFrame) -> set[tuple[int, str, str, int]]:
    return {(int(o.customer_id), str(o.dimension), str(o.value), int(o.id)) for o in overrides.itertuples()}


# --- explanations ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """A translatable sentence: a catalog key and its parameters (see describe())."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"key": self.key, "params": self.params}, ensure_ascii=False, default=str, sort_keys=True)


@dataclass(frozen=True)
class Explanation:
    """Why a customer is in its class for one dimension."""

    dimension: str
    value: str | None  # the class in force as of the date (override included)
    computed: str | None  # what the rules give (None for judged dimensions)
    cached: str | None  # what the customer record shows now
    reason: Reason
    evidence: tuple[Reason, ...] = ()
    override: Reason | None = None


MONEY_PARAMS = frozenset({"monetary", "total", "amount", "cutoff_total", "revenue"})
DATE_PARAMS = frozenset({"as_of", "first", "date", "expires", "since", "close", "run_as_of"})
PERCENT_PARAMS = frozenset({"share", "limit"})


def describe(reason: Reason, lang: str) -> str:
    """Render a reason in the language: money, dates, shares and class labels formatted by parameter name."""
    params: dict[str, Any] = {}
    for name, value in reason.params.items():
        if value is None:
            params[name] = t("common.none", lang)
        elif name.endswith("_label"):
            params[name] = t(str(value), lang)
        elif name in MONEY_PARAMS:
            params[name] = format_money(Decimal(str(value)), lang)
        elif name in DATE_PARAMS:
            params[name] = format_date(dt.date.fromisoformat(str(value)), lang)
        elif name in PERCENT_PARAMS:
            params[name] = format_percent(float(value), lang)
        elif isinstance(value, float):
            params[name] = format_number(Decimal(str(value)), lang)
        else:
            params[name] = value
    return t(reason.key, lang, **params).strip()


def describe_stored(explanation: str | None, lang: str) -> str:
    """Render a class_changes explanation (JSON written by this module; other text is shown as it is)."""
    if not explanation:
        return ""
    try:
        data = json.loads(explanation)
        return describe(Reason(str(data["key"]), dict(data.get("params") or {})), lang)
    except (ValueError, KeyError, TypeError):
        return explanation


def _money_text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _value_reason(row: Any, thresholds: Thresholds, as_of: dt.date) -> Reason:
    if row.orders == 0:
        return Reason("classification.why.value.none", {"as_of": as_of.isoformat()})
    tier = row.value_computed
    bound = thresholds.tier_high if tier == "high" else thresholds.tier_medium
    return Reason(
        f"classification.why.value.{tier}",
        {
            "recency": int(row.recency_days),
            "r": int(row.rfm_r),
            "frequency": int(row.orders),
            "f": int(row.rfm_f),
            "monetary": _money_text(int(row.total_cents)),
            "m": int(row.rfm_m),
            "score": int(row.rfm_score),
            "bound": bound,
            "high": thresholds.tier_high,
        },
    )


def _size_reason(row: Any, facts: dict[str, Any]) -> Reason:
    share = facts.get("key_share_percent") or 0
    if row.total_cents <= 0:
        return Reason("classification.why.size.no_orders", {})
    if not np.isnan(row.preceding_share):
        return Reason(
            f"classification.why.size.{row.size_computed}",
            {
                "total": _money_text(int(row.total_cents)),
                "share": float(np.round(row.preceding_share, 4)),
                "limit": round(share / 100, 4),
            },
        )
    cutoff = facts.get("cutoff") or {"total_cents": 0}
    return Reason(
        f"classification.why.size.{row.size_computed}_cutoff",
        {
            "total": _money_text(int(row.total_cents)),
            "cutoff_total": _money_text(int(cutoff["total_cents"])),
            "limit": round(share / 100, 4),
            "run_as_of": facts.get("as_of"),
        },
    )


def _relationship_reason(row: Any, thresholds: Thresholds) -> Reason:
    if row.orders == 0:
        return Reason("classification.why.relationship.none", {})
    first = {
        "first": pd.Timestamp(row.first_order).date().isoformat(),
        "days": int(row.first_order_days),
        "orders": int(row.orders),
        "limit_days": thresholds.new_within_days,
        "min": thresholds.new_below_orders,
    }
    if row.relationship_computed == "established":
        return Reason("classification.why.relationship.established", first)
    if row.first_order_days <= thresholds.new_within_days:
        return Reason("classification.why.relationship.new_recent", first)
    return Reason("classification.why.relationship.new_few", first)


def _credit_reason(row: Any, thresholds: Thresholds) -> Reason:
    grade = row.credit_computed
    bound = thresholds.credit_high if grade == "high" else thresholds.credit_medium
    return Reason(
        f"classification.why.credit.{grade}",
        {
            "points": round(float(row.credit_points), 2),
            "bound": float(bound),
            "events": int(row.credit_events),
            "window": thresholds.credit_window_days,
        },
    )


def _override_reason(dimension: str, override: Mapping[str, Any]) -> Reason:
    """Explain an override from its value, reason, expires_on and username."""
    params = {
        "value_label": f"{DIMENSION_LABEL_PREFIX[dimension]}.{override['value']}",
        "reason": override["reason"],
        "by": override.get("username") or "system",
    }
    expires = override.get("expires_on")
    if expires is not None and not pd.isna(expires):
        params["expires"] = pd.Timestamp(expires).date().isoformat()
        return Reason("classification.why.override_until", params)
    return Reason("classification.why.override", params)


def evidence_reason(item: Any) -> Reason:
    """Turn one evidence row (crm.classification.credit.evidence) into a sentence."""
    params = {
        "date": pd.Timestamp(item.date).date().isoformat(),
        "weight": round(float(item.weight), 2),
        "note": item.note or "",
        "amount": None,
        "days": None,
    }
    if item.amount is not None and not pd.isna(item.amount):
        params["amount"] = f"{float(item.amount):.2f}"
    if item.days_late is not None and not pd.isna(item.days_late):
        params["days"] = int(item.days_late)
    if item.source == "complaint":
        params["severity_label"] = f"severity.{item.kind.removeprefix('complaint_')}"
        return Reason("classification.evidence.complaint", params)
    return Reason(f"classification.evidence.{item.kind}", params)


def _computed_reason(dimension: str, row: Any, comp: Computation) -> Reason:
    if dimension == "value_tier":
        return _value_reason(row, comp.thresholds, comp.as_of)
    if dimension == "size_class":
        return _size_reason(row, comp.facts)
    if dimension == "relationship":
        return _relationship_reason(row, comp.thresholds)
    return _credit_reason(row, comp.thresholds)


def explain_customer(
    sessions: Sessions, *, actor: Actor, customer_id: int, as_of: dt.date | None = None
) -> list[Explanation]:
    """Explain every dimension of one customer as of a date: computed classes with their reasons, then judged ones."""
    with sessions.read() as session:
        customer = load_readable(session, actor, customer_id)
        as_of = as_of or company_today(session)
        comp = compute(session, as_of=as_of, thresholds=load_thresholds(session), customer_ids=[customer_id])
        row = next(comp.frame.itertuples(index=False))
        explanations: list[Explanation] = []
        for dim in COMPUTED_DIMENSIONS:
            computed_value = getattr(
                row,
                {
                    "value_tier": "value_computed",
                    "size_class": "size_computed",
                    "relationship": "relationship_computed",
                    "credit_risk": "credit_computed",
                }[dim],
            )
            override = comp.overrides[comp.overrides["dimension"] == dim]
            evidence: tuple[Reason, ...] = ()
            if dim == "credit_risk":
                evidence = tuple(evidence_reason(item) for item in comp.evidence.itertuples(index=False))
            explanations.append(
                Explanation(
                    dimension=dim,
                    value=getattr(row, dim),
                    computed=computed_value,
                    cached=getattr(customer, dim),
                    reason=_computed_reason(dim, row, comp),
                    evidence=evidence,
                    override=_override_reason(dim, override.iloc[0].to_dict()) if not override.empty else None,
                )
            )
        explanations.extend(_judged_explanations(customer, as_of))
        return explanations


def _judged_explanations(customer: Customer, as_of: dt.date) -> list[Explanation]:
    stage = customer.lifecycle_stage
    since = customer.stage_changed_at.date().isoformat() if customer.stage_changed_at else None
    if stage == "churned":
        stage_reason = Reason(
            "classification.why.stage_churned",
            {"since": since, "reason_label": f"churn_reason.{customer.churn_reason or 'other'}"},
        )
    else:
        stage_reason = Reason(
            "classification.why.stage" if since else "classification.why.stage_initial",
            {"since": since, "stage_label": f"stage.{stage}"},
        )
    urgency = urgency_of(customer.expected_close_date, as_of) if stage in ("potential", "intent") else None
    judged = [
        Explanation("lifecycle_stage", stage, None, stage, stage_reason),
        Explanation(
            "need_type",
            customer.need_type,
            None,
            customer.need_type,
            Reason("classification.why.judged_owner" if customer.need_type else "classification.why.unset"),
        ),
        Explanation(
            "importance",
            customer.importance,
            None,
            customer.importance,
            Reason("classification.why.judged_management" if customer.importance else "classification.why.unset"),
        ),
    ]
    close = customer.expected_close_date  # set whenever urgency is (urgency_of)
    if urgency is None or close is None:
        urgency_reason = Reason("classification.why.urgency_none")
    else:
        urgency_reason = Reason(f"classification.why.urgency.{urgency}", {"close": close.isoformat()})
    judged.append(Explanation("urgency", urgency, urgency, urgency, urgency_reason))
    return judged


# --- writing a run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecomputeResult:
    """What a run did: how many customers are in each class, how many classes changed, and how long it took."""

    as_of: dt.date
    customers: int
    counts: dict[str, dict[str, int]]
    changed: dict[str, int]  # class changes per dimension: a customer who moves in two dimensions counts in both
    rows_written: int
    seconds: float
    bands: Bands
    reclassified: int = 0  # customers whose class changed in at least one dimension

    @property
    def class_changes(self) -> int:
        """Class changes across the dimensions (at least `reclassified`: one per dimension a customer moves in)."""
        return sum(self.changed.values())


def _counts(frame: pd.DataFrame, prefix: str = "") -> dict[str, dict[str, int]]:
    counts = {}
    for dim in COMPUTED_DIMENSIONS:
        column = frame[f"{prefix}{dim}"]
        values = column.astype(object).where(column.notna(), "none").value_counts()
        counts[dim] = {str(k): int(v) for k, v in values.items()}
    return counts


def _write_run(session: Session, actor: Actor, comp: Computation, started: float) -> RecomputeResult:
    now = utcnow()
    override_reasons = {
        (int(o["customer_id"]), str(o["dimension"])): _override_reason(o["dimension"], o).to_json()
        for o in comp.overrides.to_dict("records")
    }
    written, changed, reclassified = write_changes(
        session.connection(),
        frame=comp.frame,
        thresholds=comp.thresholds,
        facts=comp.facts,
        as_of=comp.as_of,
        override_reasons=override_reasons,
        actor_id=actor.id,
        now=now,
    )
    counts = _counts(comp.frame)
    facts = {
        **comp.facts,
        "bands": comp.bands.to_json(),
        "at": now.isoformat(),
        "customers": len(comp.frame),
        "counts": counts,
        "mode": comp.thresholds.mode,
    }
    _store_setting(session, actor, LAST_RUN_KEY, facts, audited=False)
    write_audit(
        session,
        [
            audit_row(
                actor,
                "recompute",
                "classification",
                comp.as_of.isoformat(),
                new=json.dumps({"changed": changed, "rows": written}, sort_keys=True),
            )
        ],
    )
    return RecomputeResult(
        comp.as_of, len(comp.frame), counts, changed, written, time.perf_counter() - started, comp.bands, reclassified
    )


def record_loaded_run(session: Session, *, as_of: dt.date) -> None:
    """Record classes a bulk load wrote itself (the demo data) as the last run, inside the load's transaction.

    The load classified every customer by the thresholds in force as a run would; without this record the
    classification page would say the classes were never computed, and an explanation for one customer would
    recompute the whole base for the size cutoff. The facts are the ones a run keeps, read from the loaded data.
    """
    thresholds = load_thresholds(session)
    frame = _base_frame(session, as_of, None)
    _, _, facts = rfm.size_classes(frame, thresholds.key_share_percent)
    # When the load stamped its classes (the same for every load of a seed and day, as the rest of its data).
    at = session.scalar(select(func.max(Customer.classified_at)).where(Customer.archived_at.is_(None))) or utcnow()
    _store_setting(
        session,
        SYSTEM,
        LAST_RUN_KEY,
        {
            **facts,
            "as_of": as_of.isoformat(),
            "bands": rfm.bands_for(thresholds, frame).to_json(),
            "at": at.isoformat(),
            "customers": len(frame),
            "counts": _counts(frame, "cur_"),
            "mode": thresholds.mode,
        },
        audited=False,
    )


def _compute_then_write(
    sessions: Sessions,
    *,
    actor: Actor,
    as_of: dt.date | None,
    thresholds: Thresholds | None,
    token: str | None,
    operation: str,
    before_write: Callable[[Session], None] | None = None,
) -> RecomputeResult:
    """Classify in a read transaction, then write in a short write transaction.

    The write lock is held only while writing (on SQLite other users' saves wait for it, up to the busy timeout).
    Overrides are read again inside the write transaction, so one set or removed in between still counts.
    """
    started = time.perf_counter()
    with sessions.read() as session:
        as_of = as_of or company_today(session)
        comp = compute(session, as_of=as_of, thresholds=thresholds or load_thresholds(session))
    with transaction(sessions, actor=actor, token=token, operation=operation) as session:
        if before_write is not None:
            before_write(session)
        current = _active_overrides(session, comp.as_of, None)
        if _override_key(current) != _override_key(comp.overrides):
            _apply_overrides(comp.frame, current)
            comp.overrides = current
        return _write_run(session, actor, comp, started)


def recompute(
    sessions: Sessions, *, actor: Actor, as_of: dt.date | None = None, token: str | None = None
) -> RecomputeResult:
    """Recompute every live customer's computed classes as of a date (default today); one audited write."""
    require(actor, "classification.manage")
    return _compute_then_write(
        sessions, actor=actor, as_of=as_of, thresholds=None, token=token, operation="classification.recompute"
    )


def recompute_after_import(sessions: Sessions, *, actor: Actor, as_of: dt.date | None = None) -> RecomputeResult:
    """Recompute after an import of customers or orders (needs the import permission, not classification.manage)."""
    require(actor, "customers.import")
    return _compute_then_write(
        sessions, actor=actor, as_of=as_of, thresholds=None, token=None, operation="classification.recompute"
    )


# --- thresholds: preview and apply -------------------------------------------------------------------


@dataclass(frozen=True)
class ThresholdPreview:
    """What applying thresholds would change: per dimension a transition matrix, and the customers who move."""

    as_of: dt.date
    thresholds: Thresholds
    bands: Bands
    customers: int
    transitions: dict[str, list[dict[str, Any]]]  # dimension -> [{"from": old, "to": new, "customers": n}]
    movers: list[dict[str, Any]]  # the first movers by code: id, code, name, owner, and old/new per dimension
    movers_total: int  # customers whose class would change in at least one dimension

    @property
    def class_changes(self) -> int:
        """Class changes across the dimensions, as the run would count them (a customer per dimension it moves in)."""
        return sum(row["customers"] for rows in self.transitions.values() for row in rows if row["from"] != row["to"])


def _transitions(frame: pd.DataFrame, new: dict[str, pd.Series]) -> dict[str, list[dict[str, Any]]]:
    result = {}
    for dim in COMPUTED_DIMENSIONS:
        old = frame[f"cur_{dim}"].astype(object).where(frame[f"cur_{dim}"].notna(), "none")
        now = new[dim].astype(object).where(new[dim].notna(), "none")
        table = pd.DataFrame({"from": old.to_numpy(), "to": now.to_numpy()}).value_counts().reset_index()
        result[dim] = [
            {"from": str(r["from"]), "to": str(r["to"]), "customers": int(r["count"])}
            for r in table.sort_values(["from", "to"]).to_dict("records")
        ]
    return result


def preview_thresholds(
    sessions: Sessions, *, actor: Actor, thresholds: Thresholds, as_of: dt.date | None = None, movers_limit: int = 200
) -> ThresholdPreview:
    """Show what applying the thresholds would do to the cached classes, without writing anything."""
    require(actor, "classification.manage")
    validate_thresholds(thresholds)
    with sessions.read() as session:
        as_of = as_of or company_today(session)
        comp = compute(session, as_of=as_of, thresholds=thresholds)
        frame = comp.frame
        new = new_cached(frame)
        moved = np.zeros(len(frame), dtype=bool)
        for dim in COMPUTED_DIMENSIONS:
            moved |= differs(new[dim], frame[f"cur_{dim}"])
        movers_frame = frame[moved].sort_values("code").head(movers_limit)
        names = (
            dict(
                session.execute(
                    select(Customer.id, Customer.name).where(Customer.id.in_(movers_frame["id"].tolist()))
                ).all()
            )
            if len(movers_frame)
            else {}
        )
        owners = (
            dict(
                session.execute(
                    select(Customer.id, User.display_name)
                    .join(User, User.id == Customer.owner_id)
                    .where(Customer.id.in_(movers_frame["id"].tolist()))
                ).all()
            )
            if len(movers_frame)
            else {}
        )
        movers = []
        for row in movers_frame.itertuples(index=False):
            entry: dict[str, Any] = {
                "id": int(row.id),
                "code": row.code,
                "name": names.get(int(row.id), ""),
                "owner": owners.get(int(row.id)),
            }
            for dim in COMPUTED_DIMENSIONS:
                old = getattr(row, f"cur_{dim}")
                entry[f"{dim}_from"] = None if pd.isna(old) else str(old)
                entry[f"{dim}_to"] = getattr(row, dim)
            movers.append(entry)
        return ThresholdPreview(
            as_of, thresholds, comp.bands, len(frame), _transitions(frame, new), movers, int(moved.sum())
        )


def apply_thresholds(
    sessions: Sessions,
    *,
    actor: Actor,
    thresholds: Thresholds,
    as_of: dt.date | None = None,
    base: Thresholds | None = None,
    token: str | None = None,
) -> RecomputeResult:
    """Save new thresholds and recompute with them, as one audited transaction.

    ``base`` is the thresholds the preview was made against: if another manager saved different ones since,
    nothing is written and CrmError("classification.thresholds_changed") is raised.
    """
    require(actor, "classification.manage")
    validate_thresholds(thresholds)

    def save_thresholds(session: Session) -> None:
        if base is not None and load_thresholds(session) != base:
            raise CrmError("classification.thresholds_changed")
        _store_setting(session, actor, THRESHOLDS_KEY, thresholds.to_json(), audited=True)

    return _compute_then_write(
        sessions,
        actor=actor,
        as_of=as_of,
        thresholds=thresholds,
        token=token,
        operation="classification.thresholds",
        before_write=save_thresholds,
    )
