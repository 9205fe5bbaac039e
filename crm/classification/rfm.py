"""Value (RFM), size and relationship rules: thresholds, and scoring vectorised over per-customer order aggregates.

Everything here works on one row per customer (a pandas DataFrame), never one query per customer:

- **RFM**: recency = days from the last order to the as-of date, frequency = number of orders, monetary =
  total amount. Each scores 1-5 by bands (``recency_days`` upper bounds, ``frequency`` / ``monetary`` lower
  bounds, best first). In quantile mode the bands are the quintile cut points of the customers with orders
  (nearest rank: the value at position ceil(p * n) of the sorted values), so equal values always share a score.
  Tier from R+F+M: >= ``tier_high`` high, >= ``tier_medium`` medium, else low. No order: no score, tier low.
- **Size**: see :func:`size_classes`.
- **Relationship**: new if the first order is at most ``new_within_days`` before the as-of date or the customer
  has fewer than ``new_below_orders`` orders; established otherwise; no order: none (NULL).

Money is handled in integer cents so that bands and revenue shares are exact on every database.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from crm.platform.errors import ValidationCollector

COMPUTED_DIMENSIONS = ("value_tier", "size_class", "relationship", "credit_risk")
SCORING_MODES = ("bands", "quantile")
COMPLAINT_SEVERITIES = ("low", "medium", "high", "critical")
QUINTILES = (0.2, 0.4, 0.6, 0.8)


@dataclass(frozen=True)
class Thresholds:
    """Every editable threshold of the computed dimensions (stored as JSON in the settings table)."""

    mode: str = "bands"
    recency_days: tuple[int, int, int, int] = (30, 90, 180, 365)
    frequency: tuple[int, int, int, int] = (20, 10, 5, 2)
    monetary: tuple[int, int, int, int] = (500_000, 100_000, 20_000, 5_000)
    tier_high: int = 12
    tier_medium: int = 8
    key_share_percent: float = 80.0
    new_within_days: int = 180
    new_below_orders: int = 2
    credit_high: float = 5.0
    credit_medium: float = 2.0
    credit_window_days: int = 365
    complaint_points: tuple[float, float, float, float] = field(default=(0.5, 1.0, 2.0, 3.0))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {key: list(value) if isinstance(value, tuple) else value for key, value in data.items()}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Thresholds:
        """Build from stored JSON; unknown keys are ignored and missing ones take their default."""
        defaults = cls()
        if not isinstance(data, dict):
            return defaults
        values: dict[str, Any] = {}
        for name, default in asdict(defaults).items():
            if name not in data:
                continue
            value = data[name]
            try:
                if isinstance(default, tuple):
                    kind = type(default[0])
                    values[name] = tuple(kind(v) for v in value)
                else:
                    values[name] = type(default)(value)
            except (TypeError, ValueError):
                continue
        return replace(defaults, **values)

    def complaint_weight(self, severity: str) -> float:
        return dict(zip(COMPLAINT_SEVERITIES, self.complaint_points, strict=True)).get(severity, 0.0)


def validate_thresholds(thresholds: Thresholds) -> None:
    """Raise ValidationError naming each threshold that makes no sense."""
    errors = ValidationCollector()
    if thresholds.mode not in SCORING_MODES:
        errors.add("mode", "validation.choice")
    _check_bands(errors, "recency_days", thresholds.recency_days, ascending=True, minimum=0)
    _check_bands(errors, "frequency", thresholds.frequency, ascending=False, minimum=1)
    _check_bands(errors, "monetary", thresholds.monetary, ascending=False, minimum=0)
    if not 3 < thresholds.tier_high <= 15:
        errors.add("tier_high", "classification.error.tier_range")
    if not 3 < thresholds.tier_medium < thresholds.tier_high:
        errors.add("tier_medium", "classification.error.tier_order")
    if not 0 < thresholds.key_share_percent < 100:
        errors.add("key_share_percent", "classification.error.percent")
    if thresholds.new_within_days < 0:
        errors.add("new_within_days", "classification.error.not_negative")
    if thresholds.new_below_orders < 1:
        errors.add("new_below_orders", "classification.error.positive")
    if not 0 < thresholds.credit_medium < thresholds.credit_high:
        errors.add("credit_medium", "classification.error.credit_order")
    if thresholds.credit_window_days < 1:
        errors.add("credit_window_days", "classification.error.positive")
    if any(p < 0 or not math.isfinite(p) for p in thresholds.complaint_points):
        errors.add("complaint_points", "classification.error.not_negative")
    errors.raise_if_any()


def _check_bands(
    errors: ValidationCollector, name: str, bands: tuple[Any, ...], *, ascending: bool, minimum: float
) -> None:
    if len(bands) != 4 or any(b < minimum for b in bands):
        errors.add(name, "classification.error.bands")
        return
    pairs = zip(bands, bands[1:], strict=False)
    if not all((a < b) if ascending else (a > b) for a, b in pairs):
        errors.add(name, f"classification.error.bands_order_{'up' if ascending else 'down'}")


@dataclass(frozen=True)
class Bands:
    """The score bands one computation used: fixed from the thresholds, or quintiles of the data.

    recency: upper bounds in days for scores 5, 4, 3, 2; frequency and monetary (cents): lower bounds for 5..2.
    """

    recency: tuple[float, ...]
    frequency: tuple[float, ...]
    monetary_cents: tuple[int, ...]
    quantile: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "recency": list(self.recency),
            "frequency": list(self.frequency),
            "monetary_cents": list(self.monetary_cents),
            "quantile": self.quantile,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Bands:
        return cls(
            tuple(float(v) for v in data["recency"]),
            tuple(float(v) for v in data["frequency"]),
            tuple(int(v) for v in data["monetary_cents"]),
            bool(data.get("quantile")),
        )


def fixed_bands(thresholds: Thresholds) -> Bands:
    return Bands(
        tuple(float(v) for v in thresholds.recency_days),
        tuple(float(v) for v in thresholds.frequency),
        tuple(int(round(v * 100)) for v in thresholds.monetary),
    )


def nearest_rank(sorted_values: np.ndarray, p: float) -> float:
    """Return the value at position ceil(p * n) (1-based) of ascending values: the nearest-rank quantile."""
    n = len(sorted_values)
    return float(sorted_values[max(0, math.ceil(p * n) - 1)])


def bands_for(thresholds: Thresholds, frame: pd.DataFrame) -> Bands:
    """Return the bands to score with: the fixed ones, or in quantile mode the quintiles of the buyers in frame."""
    if thresholds.mode != "quantile":
        return fixed_bands(thresholds)
    buyers = frame[frame["orders"] > 0]
    if buyers.empty:
        return replace(fixed_bands(thresholds), quantile=True)
    recency = np.sort(buyers["recency_days"].to_numpy(dtype=float))
    # Best first: the top 20 % get 5. For "higher is better" measures, rank in descending order.
    frequency = np.sort(buyers["orders"].to_numpy(dtype=float))[::-1]
    monetary = np.sort(buyers["total_cents"].to_numpy(dtype=np.int64))[::-1]
    return Bands(
        tuple(nearest_rank(recency, p) for p in QUINTILES),
        tuple(nearest_rank(frequency, p) for p in QUINTILES),
        tuple(int(nearest_rank(monetary, p)) for p in QUINTILES),
        quantile=True,
    )


def prepare(frame: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Add recency_days and first_order_days to aggregates with columns last_order, first_order, orders, total_cents."""
    frame = frame.copy()
    as_of_ts = pd.Timestamp(as_of)
    last = pd.to_datetime(frame["last_order"], errors="coerce")
    first = pd.to_datetime(frame["first_order"], errors="coerce")
    frame["recency_days"] = (as_of_ts - last).dt.days.astype("Int64")
    frame["first_order_days"] = (as_of_ts - first).dt.days.astype("Int64")
    frame["orders"] = frame["orders"].fillna(0).astype(np.int64)
    frame["total_cents"] = frame["total_cents"].fillna(0).astype(np.int64)
    return frame


def score(frame: pd.DataFrame, thresholds: Thresholds, bands: Bands) -> pd.DataFrame:
    """Add rfm_r, rfm_f, rfm_m, rfm_score (nullable ints) and value_tier to a prepared frame."""
    has = (frame["orders"] > 0).to_numpy()
    recency = frame["recency_days"].fillna(0).to_numpy(dtype=float)
    r = 5 - np.searchsorted(np.asarray(bands.recency, dtype=float), recency, side="left")
    f = 1 + np.searchsorted(
        np.sort(np.asarray(bands.frequency, dtype=float)), frame["orders"].to_numpy(dtype=float), side="right"
    )
    m = 1 + np.searchsorted(
        np.sort(np.asarray(bands.monetary_cents, dtype=np.int64)),
        frame["total_cents"].to_numpy(dtype=np.int64),
        side="right",
    )
    total = r + f + m
    tier = np.where(total >= thresholds.tier_high, "high", np.where(total >= thresholds.tier_medium, "medium", "low"))
    frame = frame.copy()
    for name, values in (("rfm_r", r), ("rfm_f", f), ("rfm_m", m), ("rfm_score", total)):
        frame[name] = pd.Series(values, index=frame.index, dtype="Int64").where(has, pd.NA)
    frame["value_tier"] = np.where(has, tier, "low")
    return frame


def size_classes(frame: pd.DataFrame, key_share_percent: float) -> tuple[pd.Series, pd.Series, dict[str, Any]]:
    """Return (size class, preceding revenue share, run facts) for every row of frame (columns code, total_cents).

    Definition: rank customers by total order amount, largest first, ties broken by code (ascending). A
    customer's *preceding share* is the revenue of the customers ranked before it divided by all revenue. It is a
    key account iff it has revenue and its preceding share is below ``key_share_percent`` %: the key accounts are
    the fewest top customers that together reach that share (the one that crosses it is included). With revenue
    50/30/20 and 80 %, the third customer's preceding share is exactly 80 %, so it is small.
    """
    cents = frame["total_cents"].to_numpy(dtype=np.int64)
    codes = frame["code"].to_numpy().astype(str)  # fixed-width unicode: compared by code point, in C
    code_rank = np.empty(len(codes), dtype=np.int64)
    code_rank[np.argsort(codes, kind="stable")] = np.arange(len(codes))
    order = np.lexsort((code_rank, -cents))
    ranked = cents[order]
    if len(ranked) and int(ranked.max()) * len(ranked) >= 2**63:
        # The sum of every revenue could wrap int64 (past ¥92 quadrillion): add up as Python integers.
        ranked = ranked.astype(object)
    total = int(ranked.sum())
    preceding_ranked = np.cumsum(ranked) - ranked
    # Exact integer comparison: preceding / total < percent / 100  <=>  preceding * 10000 < percent*100 * total.
    # int64 stays exact up to ~9e14 cents of revenue (¥9 trillion); beyond that, compare as Python integers.
    limit = int(round(key_share_percent * 100))
    scaled = preceding_ranked if total < 9 * 10**14 else preceding_ranked.astype(object)
    key_ranked = (
        ((ranked > 0) & (scaled * 10_000 < limit * total)).astype(bool)
        if total > 0
        else np.zeros(len(ranked), dtype=bool)
    )
    key = np.zeros(len(cents), dtype=bool)
    key[order] = key_ranked
    preceding = np.zeros(len(cents), dtype=float)
    preceding[order] = preceding_ranked / total if total > 0 else 0.0
    facts: dict[str, Any] = {"total_revenue_cents": total, "key_share_percent": key_share_percent, "cutoff": None}
    if key_ranked.any():
        last = int(np.flatnonzero(key_ranked)[-1])
        facts["cutoff"] = {"total_cents": int(ranked[last]), "code": str(frame["code"].to_numpy()[order[last]])}
    return (pd.Series(np.where(key, "key", "small"), index=frame.index), pd.Series(preceding, index=frame.index), facts)


def size_from_cutoff(total_cents: int, code: str, cutoff: dict[str, Any] | None) -> str:
    """Classify one customer against the smallest key account of a run (same result as the run itself)."""
    if cutoff is None or total_cents <= 0:
        return "small"
    if total_cents != cutoff["total_cents"]:
        return "key" if total_cents > cutoff["total_cents"] else "small"
    return "key" if code <= cutoff["code"] else "small"


def relationships(frame: pd.DataFrame, thresholds: Thresholds) -> pd.Series:
    """Return 'new', 'established' or None for every row of a prepared frame."""
    has = frame["orders"] > 0
    recent = frame["first_order_days"].fillna(10**9) <= thresholds.new_within_days
    few = frame["orders"] < thresholds.new_below_orders
    values = np.where(recent | few, "new", "established")
    return pd.Series(values, index=frame.index, dtype=object).where(has.to_numpy(), None)
