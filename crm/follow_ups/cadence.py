"""Contact cadence from the service policies, and each customer's follow-up state, as SQL expressions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, select
from sqlalchemy.orm import Session

from db.models import Customer, ServicePolicy, UTCDateTime

# Contact cadence per class (DOMAIN.md section 2: the highest classes are visited most often): high value 30 days,
# medium 60, low 120; strategic importance 14.
DEFAULT_CADENCES: dict[tuple[str, str], int] = {
    ("value_tier", "high"): 30,
    ("value_tier", "medium"): 60,
    ("value_tier", "low"): 120,
    ("importance", "strategic"): 14,
}
# A customer not yet rated is treated as low value (no orders means tier "low").
UNRATED_TIER = "low"
CHURNED = "churned"  # the stage that has no contact cadence
FOLLOW_UP_STATES = ("none", "planned", "overdue", "out_of_cadence")


@dataclass(frozen=True)
class Cadences:
    """Cadence in days per (dimension, class); a customer's effective cadence is the shortest that applies."""

    days: dict[tuple[str, str], int]

    def for_customer(self, value_tier: str | None, importance: str | None) -> int:
        tier_days = self.days.get(
            ("value_tier", value_tier or UNRATED_TIER), self.days.get(("value_tier", UNRATED_TIER), 120)
        )
        importance_days = self.days.get(("importance", importance or ""))
        return min(tier_days, importance_days) if importance_days else tier_days


def load_cadences(session: Session) -> Cadences:
    """Read the service policies' cadences (defaults where none is stored)."""
    days = dict(DEFAULT_CADENCES)
    for dimension, class_value, cadence in session.execute(
        select(ServicePolicy.dimension, ServicePolicy.class_value, ServicePolicy.cadence_days).where(
            ServicePolicy.archived_at.is_(None)
        )
    ):
        days[(dimension, class_value)] = cadence
    return Cadences(days)


def cadence_due_since(cadences: Cadences, now: dt.datetime) -> ColumnElement[dt.datetime]:
    """SQL: the instant before which a customer's last contact is out of cadence (now - effective cadence).

    Built as a CASE over the few (importance, tier) combinations with bound datetimes, so it needs no
    dialect-specific date arithmetic and works the same on SQLite, PostgreSQL and MariaDB.
    """
    tiers = sorted({c for d, c in cadences.days if d == "value_tier"} | {UNRATED_TIER})
    importances = sorted({c for d, c in cadences.days if d == "importance"})
    tier = Customer.value_tier
    whens = []
    for importance in importances:
        for tier_value in tiers:
            days = cadences.for_customer(tier_value, importance)
            whens.append((and_(Customer.importance == importance, tier == tier_value), _instant(now, days)))
        whens.append(
            (
                and_(Customer.importance == importance, tier.is_(None)),
                _instant(now, cadences.for_customer(None, importance)),
            )
        )
    for tier_value in tiers:
        whens.append((tier == tier_value, _instant(now, cadences.for_customer(tier_value, None))))
    return case(*whens, else_=_instant(now, cadences.for_customer(None, None)))


def _policy_days(dimension: str, class_value: Any) -> Any:
    return (
        select(ServicePolicy.cadence_days)
        .where(
            ServicePolicy.dimension == dimension,
            ServicePolicy.class_value == class_value,
            ServicePolicy.archived_at.is_(None),
        )
        .limit(1)
        .scalar_subquery()
    )


def _default_days(dimension: str, class_value: Any) -> Any:
    whens = [(class_value == value, days) for (kind, value), days in DEFAULT_CADENCES.items() if kind == dimension]
    return case(*whens, else_=None)


def cadence_days_sql() -> ColumnElement[int]:
    """SQL: the customer's effective cadence in days, read from the service policies as Cadences.for_customer
    reads load_cadences (for queries that cannot take the cadences as parameters: rollup contributions)."""
    tier = func.coalesce(Customer.value_tier, UNRATED_TIER)
    tier_days = func.coalesce(
        _policy_days("value_tier", tier),
        _default_days("value_tier", tier),
        _policy_days("value_tier", UNRATED_TIER),
        _default_days("value_tier", literal(UNRATED_TIER)),
        120,
    )
    importance = func.coalesce(Customer.importance, "")
    importance_days = func.coalesce(_policy_days("importance", importance), _default_days("importance", importance))
    shorter = and_(importance_days.is_not(None), importance_days != 0, importance_days < tier_days)
    return case((shorter, importance_days), else_=tier_days)


def _instant(now: dt.datetime, days_before: int) -> ColumnElement[dt.datetime]:
    return literal(now - dt.timedelta(days=days_before), type_=UTCDateTime())


def follow_up_state(cadences: Cadences, now: dt.datetime) -> ColumnElement[str]:
    """SQL: 'overdue', 'planned', 'out_of_cadence' (nothing planned, no contact within cadence) or 'none'.

    A churned customer has no cadence (the queue and the revisit rule leave it out; the win-back rule plans
    its follow-up), so with nothing planned it is 'none', never 'out_of_cadence'.
    """
    return case(
        (and_(Customer.next_follow_up_at.is_not(None), Customer.next_follow_up_at < now), "overdue"),
        (Customer.next_follow_up_at.is_not(None), "planned"),
        (Customer.lifecycle_stage == CHURNED, "none"),
        (Customer.last_contact_at.is_(None), "out_of_cadence"),
        (Customer.last_contact_at < cadence_due_since(cadences, now), "out_of_cadence"),
        else_="none",
    )
