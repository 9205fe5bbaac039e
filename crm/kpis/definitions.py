"""Every KPI of the managers' dashboard, defined once: its code, unit, direction, drill-down and formula.

The formulas (README "KPIs", and each card's tooltip from messages.py) are computed in SQL by
crm/kpis/compute.py and the rows behind them listed by crm/kpis/drill.py; compute_kpis and drill_down here hand
over to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from crm.kpis.periods import Period
    from crm.platform.permissions import Actor
    from db.engine import Sessions

Unit = Literal["count", "rate", "money", "days", "hours", "score", "nps"]
Drill = Literal["customers", "complaints", "responses", "tasks"]

# The filters' names in the dashboard's URL query string.
QUERY_KEYS = {
    "owner_id": "owner",
    "department_id": "department",
    "value_tier": "tier",
    "industry": "industry",
    "region": "region",
}


@dataclass(frozen=True)
class KpiFilters:
    """Which customers the figures count (their owner, department, value tier, industry and region now).

    Every figure counts the records of the customers these pick: complaints, follow-ups, orders and survey
    responses belong to their customer, so a department filter is the customer's department.
    """

    owner_id: int | None = None
    department_id: int | None = None
    value_tier: str | None = None  # high / medium / low / "none" (not yet rated)
    industry: str | None = None
    region: str | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in QUERY_KEYS)

    def to_query(self) -> dict[str, str]:
        """The filters set, as URL query parameters (owner, department, tier, industry, region)."""
        return {key: str(getattr(self, name)) for name, key in QUERY_KEYS.items() if getattr(self, name) is not None}

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> KpiFilters:
        """Read the filters from URL query parameters; an id that is not a number is ignored (a mangled link)."""

        def text(key: str) -> str | None:
            value = query.get(key)
            if isinstance(value, list | tuple):
                value = value[-1] if value else None
            value = None if value is None else str(value).strip()
            return value or None

        def number(key: str) -> int | None:
            value = text(key)
            return int(value) if value is not None and value.isdigit() else None

        return cls(
            owner_id=number("owner"),
            department_id=number("department"),
            value_tier=text("tier"),
            industry=text("industry"),
            region=text("region"),
        )

    def key(self) -> str:
        """A stable text for the filters (snapshot keys, caches): "all", "owner=3", "owner=3,tier=high"."""
        parts = [f"{key}={getattr(self, name)}" for name, key in QUERY_KEYS.items() if getattr(self, name) is not None]
        return ",".join(parts) or "all"

    @classmethod
    def from_key(cls, text: str) -> KpiFilters:
        """Read what key() wrote."""
        if text in ("", "all"):
            return cls()
        return cls.from_query(dict(part.split("=", 1) for part in text.split(",") if "=" in part))


NO_FILTERS: KpiFilters = KpiFilters()


@dataclass(frozen=True)
class KpiDefinition:
    """One KPI: `label_key` names it and `formula_key` explains it (tooltip) in the catalog, both languages.

    unit: count, rate (a share, 0..1), money (CNY), days, hours, score (CSAT 1-5), nps (-100..100).
    drill: what a click on it lists (customers, complaints, responses, tasks), None when nothing is listed.
    """

    code: str
    unit: Unit
    higher_is_better: bool
    drill: Drill | None
    label_key: str
    formula_key: str


def _kpi(code: str, unit: Unit, higher_is_better: bool, drill: Drill | None) -> KpiDefinition:
    return KpiDefinition(code, unit, higher_is_better, drill, f"kpis.kpi.{code}", f"kpis.formula.{code}")


# In display order.
KPIS: tuple[KpiDefinition, ...] = (
    _kpi("customers", "count", True, "customers"),
    _kpi("new_customers", "count", True, "customers"),
    _kpi("churned_customers", "count", False, "customers"),
    _kpi("churn_rate", "rate", False, "customers"),
    _kpi("conversion_rate", "rate", True, "customers"),
    _kpi("median_days_to_sign", "days", False, "customers"),
    _kpi("revenue", "money", True, "customers"),
    _kpi("revenue_top20_share", "rate", False, "customers"),
    _kpi("customers_making_80", "count", True, "customers"),
    _kpi("cadence_compliance", "rate", True, "customers"),
    _kpi("overdue_follow_ups", "count", False, "tasks"),
    _kpi("complaints_received", "count", False, "complaints"),
    _kpi("resolution_rate", "rate", True, "complaints"),
    _kpi("on_time_rate", "rate", True, "complaints"),
    _kpi("reopen_rate", "rate", False, "complaints"),
    _kpi("median_hours_to_resolve", "hours", False, "complaints"),
    _kpi("suggestion_adoption_rate", "rate", True, None),
    _kpi("csat", "score", True, "responses"),
    _kpi("nps", "nps", True, "responses"),
    _kpi("survey_responses", "count", True, "responses"),
    _kpi("recovery_rate", "rate", True, "responses"),
)
KPI_BY_CODE: dict[str, KpiDefinition] = {k.code: k for k in KPIS}
CODES: tuple[str, ...] = tuple(KPI_BY_CODE)
COMPLAINT_CODES = frozenset(
    {
        "complaints_received",
        "resolution_rate",
        "on_time_rate",
        "reopen_rate",
        "median_hours_to_resolve",
        "suggestion_adoption_rate",
    }
)
SATISFACTION_CODES = frozenset({"csat", "nps", "survey_responses", "recovery_rate"})
CUSTOMER_CODES = frozenset({"customers", "churned_customers", "churn_rate", "conversion_rate", "median_days_to_sign"})
REVENUE_CODES = frozenset({"revenue", "revenue_top20_share", "customers_making_80"})
# The KPIs in groups that share their reads (crm/kpis/compute.py reads each group apart): compute_kpis(codes=group)
# costs that group's reads alone, so a page can read the groups at once (ui/kpis/reads.py).
KPI_GROUPS: tuple[frozenset[str], ...] = (
    CUSTOMER_CODES,
    frozenset({"new_customers"}),
    frozenset({"cadence_compliance"}),
    frozenset({"overdue_follow_ups"}),
    REVENUE_CODES,
    COMPLAINT_CODES,
    SATISFACTION_CODES,
)


@dataclass(frozen=True)
class KpiValue:
    """A KPI's figure: value None means "no data" (a rate without a denominator), never 0.

    numerator / denominator: what the value was computed from (None where the figure is a plain count or sum).
    extra: more detail, e.g. by_stage / by_tier for customers, low / high for NPS's interval, small_sample.
    """

    code: str
    value: Decimal | float | int | None
    numerator: Decimal | float | int | None = None
    denominator: Decimal | float | int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def no_data(self) -> bool:
        return self.value is None

    def as_json(self) -> dict[str, Any]:
        """The value as JSON (Decimals as strings, so a snapshot keeps every cent)."""
        return {
            "code": self.code,
            "value": _json(self.value),
            "numerator": _json(self.numerator),
            "denominator": _json(self.denominator),
            "extra": {k: _json(v) for k, v in self.extra.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KpiValue:
        """Read what as_json wrote (money comes back as Decimal)."""
        return cls(
            code=str(data["code"]),
            value=_unjson(data.get("value")),
            numerator=_unjson(data.get("numerator")),
            denominator=_unjson(data.get("denominator")),
            extra={k: _unjson(v) for k, v in (data.get("extra") or {}).items()},
        )


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


def _unjson(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"decimal"}:
            return Decimal(value["decimal"])
        return {k: _unjson(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unjson(v) for v in value]
    return value


def compute_kpis(
    sessions: Sessions,
    *,
    actor: Actor,
    period: Period,
    filters: KpiFilters = NO_FILTERS,
    codes: Iterable[str] | None = None,
) -> dict[str, KpiValue]:
    """Compute the KPIs (all, or those codes) for the period and filters, in display order (crm/kpis/compute.py)."""
    from crm.kpis.compute import compute_kpis as compute

    return compute(sessions, actor=actor, period=period, filters=filters, codes=codes)


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
    """List one page of the rows behind a figure or a chart's bar, with the total (crm/kpis/drill.py)."""
    from crm.kpis.drill import drill_down as drill

    return drill(
        sessions, actor=actor, code=code, period=period, filters=filters, page=page, page_size=page_size, key=key
    )
