"""Targets per KPI and month or quarter (managers set them), and a figure's status against its target.

Status: green when the figure meets the target (at least it when higher is better, at most it otherwise), amber
when it misses by no more than 10% of the target, red beyond. A month without a target of its own takes its
quarter's: as it is for a rate, a score or a level (customers, overdue follow-ups), a third of it for a sum over
the period (revenue, new and churned customers, complaints received, survey responses).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from sqlalchemy import select

from crm.kpis.definitions import KPI_BY_CODE
from crm.kpis.periods import Period
from crm.platform.errors import ValidationCollector
from crm.platform.permissions import Actor, require
from crm.platform.uow import check_version, transaction
from db.engine import Sessions
from db.models import KpiTarget

Status = Literal["green", "amber", "red"]
AMBER_BAND = Decimal("0.1")  # amber: within 10% of the target
# Figures summed over the period: a month's share of a quarter's target is a third of it.
SUMMED = frozenset({"new_customers", "churned_customers", "revenue", "complaints_received", "survey_responses"})
_PERIOD_KEY = re.compile(r"^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))$")
_BOUNDS: dict[str, tuple[Decimal | None, Decimal | None]] = {
    "rate": (Decimal(0), Decimal(1)),
    "score": (Decimal(1), Decimal(5)),
    "nps": (Decimal(-100), Decimal(100)),
    "count": (Decimal(0), None),
    "money": (Decimal(0), Decimal("9" * 22)),
    "days": (Decimal(0), None),
    "hours": (Decimal(0), None),
}


@dataclass(frozen=True)
class TargetView:
    kpi: str
    period: str  # "YYYY-MM" or "YYYY-Qn"
    target: Decimal
    version: int


def quarter_key(period_key: str) -> str | None:
    """The quarter a month key falls in ("2026-11" -> "2026-Q4"); None for a quarter key."""
    match = _PERIOD_KEY.match(period_key)
    if not match or not match[2]:
        return None
    return f"{match[1]}-Q{(int(match[2]) - 1) // 3 + 1}"


def set_target(
    sessions: Sessions,
    *,
    actor: Actor,
    kpi: str,
    period_key: str,
    value: Any,
    version: int | None = None,
    token: str | None = None,
) -> TargetView:
    """Set (or change) the target of a KPI for a month "YYYY-MM" or a quarter "YYYY-Qn"; managers and admins.

    Audited and versioned: pass the version the form showed to refuse a save over someone else's change.
    A rate is a share (0.9 for 90%), a score 1-5, an NPS -100..100, a count or an amount 0 or more.
    """
    require(actor, "kpi.targets")
    errors = ValidationCollector()
    definition = KPI_BY_CODE.get(kpi)
    if definition is None:
        errors.add("kpi", "kpis.error.kpi")
    key = (period_key or "").strip().upper()
    if not _PERIOD_KEY.match(key):
        errors.add("period", "kpis.error.target_period")
    target = _decimal(value)
    if target is None or (definition is not None and not _within(target, definition.unit)):
        errors.add("target", "kpis.error.target_value")
    errors.raise_if_any()
    assert target is not None and definition is not None
    target = target.quantize(Decimal("0.0001"))
    with transaction(sessions, actor=actor, token=token, operation="kpis.target") as session:
        row = session.scalar(select(KpiTarget).where(KpiTarget.kpi == kpi, KpiTarget.period == key))
        if row is None:
            row = KpiTarget(kpi=kpi, period=key, target=target)
            session.add(row)
        else:
            if version is not None:
                check_version(session, row, version)
            row.target = target
        session.flush()
        return TargetView(row.kpi, row.period, Decimal(row.target), row.version)


def _decimal(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value).strip().replace(",", "")) if value is not None else None
    except InvalidOperation:
        return None
    return number if number is not None and number.is_finite() else None


def _within(value: Decimal, unit: str) -> bool:
    low, high = _BOUNDS.get(unit, (None, None))
    return (low is None or value >= low) and (high is None or value <= high)


def list_targets(sessions: Sessions, *, actor: Actor, period_key: str | None = None) -> list[TargetView]:
    """Every target set (of one period key if given), by period then KPI display order."""
    require(actor, "kpi.view")
    order = {code: i for i, code in enumerate(KPI_BY_CODE)}
    with sessions.read() as session:
        query = select(KpiTarget).where(KpiTarget.archived_at.is_(None))
        if period_key:
            query = query.where(KpiTarget.period == period_key)
        rows = [TargetView(r.kpi, r.period, Decimal(r.target), r.version) for r in session.scalars(query)]
    return sorted(rows, key=lambda r: (r.period, order.get(r.kpi, 99)))


def targets_for(sessions: Sessions, period: Period) -> dict[str, Decimal]:
    """The targets a period's figures are held to: a month's own, else its quarter's (a third of it for a sum);
    a quarter's own; none for a year, the last 12 months or custom dates."""
    if period.kind == "month":
        own = period.key()
        quarter = quarter_key(own)
        keys = [own, quarter] if quarter else [own]
    elif period.kind == "quarter":
        keys = [period.key()]
    else:
        return {}
    with sessions.read() as session:
        rows = session.execute(
            select(KpiTarget.kpi, KpiTarget.period, KpiTarget.target).where(
                KpiTarget.period.in_(keys), KpiTarget.archived_at.is_(None)
            )
        ).all()
    found: dict[str, Decimal] = {}
    for kpi, key, target in sorted(rows, key=lambda r: keys.index(r[1]), reverse=True):
        value = Decimal(target)
        if period.kind == "month" and key != keys[0] and kpi in SUMMED:
            value = (value / 3).quantize(Decimal("0.0001"))
        found[kpi] = value  # the month's own row comes last and wins
    return {code: found[code] for code in KPI_BY_CODE if code in found}


def status(value: Any, target: Any, higher_is_better: bool) -> Status | None:
    """green (meets the target), amber (misses it by at most 10% of it), red (misses it by more); None without a
    value or a target."""
    if value is None or target is None:
        return None
    figure, goal = Decimal(str(value)), Decimal(str(target))
    band = abs(goal) * AMBER_BAND
    if higher_is_better:
        if figure >= goal:
            return "green"
        return "amber" if figure >= goal - band else "red"
    if figure <= goal:
        return "green"
    return "amber" if figure <= goal + band else "red"
