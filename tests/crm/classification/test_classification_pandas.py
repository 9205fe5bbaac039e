"""An independent pandas computation of RFM, tiers, size and relationship agrees with the service, on every database."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import insert, select, update

from crm.classification.rfm import Thresholds
from crm.classification.service import apply_thresholds, recompute
from crm.platform.permissions import SYSTEM
from db.engine import Sessions
from db.models import Customer, Order, utcnow
from tests.crm.classification.classification_data import AS_OF


def _generate(sessions: Sessions, *, customers: int = 160, seed: int = 11) -> None:
    """Customers with 0-30 orders over three years, a few orders after the as-of date and a few archived."""
    rng = np.random.default_rng(seed)
    now = utcnow()
    with sessions.begin() as session:
        session.execute(
            insert(Customer),
            [
                {
                    "code": f"G{i:04d}",
                    "name": f"Generated {i}",
                    "name_key": f"generated {i}",
                    "customer_type": "company",
                    "lifecycle_stage": "signed",
                    "share_consent": False,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in rng.permutation(customers)
            ],
        )
        ids = session.scalars(select(Customer.id)).all()
        rows = []
        for customer_id in ids:
            count = int(
                rng.choice([0, 1, 2, 3, 5, 8, 12, 20, 30], p=[0.1, 0.15, 0.15, 0.15, 0.15, 0.1, 0.1, 0.05, 0.05])
            )
            for _ in range(count):
                day = AS_OF - dt.timedelta(days=int(rng.integers(-20, 1100)))
                # Round amounts often, so that equal totals (ties) and exact band bounds occur.
                cents = int(
                    rng.choice([500_000, 2_000_000, 10_000_000])
                    if rng.random() < 0.2
                    else rng.integers(100, 40_000_000)
                )
                rows.append(
                    {
                        "customer_id": customer_id,
                        "order_date": day,
                        "amount": Decimal(cents).scaleb(-2),
                        "currency": "CNY",
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                        "archived_at": now if rng.random() < 0.03 else None,
                    }
                )
        session.execute(insert(Order), rows)


def _orders(sessions: Sessions) -> tuple[pd.DataFrame, pd.DataFrame]:
    with sessions.read() as session:
        customers = pd.DataFrame(session.execute(select(Customer.id, Customer.code)).all(), columns=["id", "code"])
        orders = pd.DataFrame(
            session.execute(select(Order.customer_id, Order.order_date, Order.amount, Order.archived_at)).all(),
            columns=["customer_id", "order_date", "amount", "archived_at"],
        )
    return customers, orders


def _expected(customers: pd.DataFrame, orders: pd.DataFrame, thresholds: Thresholds) -> pd.DataFrame:
    """Classify with plain pandas and per-row Python rules, written from the rules' text (DOMAIN.md) alone."""
    live = orders[orders["archived_at"].isna() & (orders["order_date"] <= AS_OF)].copy()
    live["cents"] = [int(Decimal(a) * 100) for a in live["amount"]]
    agg = live.groupby("customer_id").agg(
        last=("order_date", "max"), first=("order_date", "min"), n=("order_date", "size"), cents=("cents", "sum")
    )
    frame = customers.set_index("id").join(agg)
    frame["n"] = frame["n"].fillna(0).astype(int)
    frame["cents"] = frame["cents"].fillna(0).astype(int)
    frame["recency"] = [None if pd.isna(d) else (AS_OF - d).days for d in frame["last"]]
    buyers = frame[frame["n"] > 0]
    if thresholds.mode == "quantile":

        def rank(values: list[float], p: float) -> float:
            return sorted(values)[math.ceil(p * len(values)) - 1]

        r_bounds = [rank(list(buyers["recency"]), p) for p in (0.2, 0.4, 0.6, 0.8)]
        f_bounds = [-rank([-v for v in buyers["n"]], p) for p in (0.2, 0.4, 0.6, 0.8)]
        m_bounds = [-rank([-v for v in buyers["cents"]], p) for p in (0.2, 0.4, 0.6, 0.8)]
    else:
        r_bounds = list(thresholds.recency_days)
        f_bounds = list(thresholds.frequency)
        m_bounds = [v * 100 for v in thresholds.monetary]

    def r_score(days: int) -> int:
        return next((5 - i for i, bound in enumerate(r_bounds) if days <= bound), 1)

    def at_least(value: float, bounds: list[float]) -> int:
        return next((5 - i for i, bound in enumerate(bounds) if value >= bound), 1)

    rows = {}
    total_revenue = int(frame["cents"].sum())
    running = 0
    ranked = sorted(frame.itertuples(), key=lambda c: (-c.cents, c.code))
    for c in ranked:
        key = c.cents > 0 and running / total_revenue < thresholds.key_share_percent / 100
        running += c.cents
        if c.n == 0:
            rows[c.Index] = {
                "value_tier": "low",
                "rfm_r": None,
                "rfm_f": None,
                "rfm_m": None,
                "rfm_recency_days": None,
                "rfm_frequency": None,
                "rfm_monetary": None,
                "size_class": "small",
                "relationship": None,
            }
            continue
        r, f, m = r_score(c.recency), at_least(c.n, f_bounds), at_least(c.cents, m_bounds)
        score = r + f + m
        new = (AS_OF - c.first).days <= thresholds.new_within_days or c.n < thresholds.new_below_orders
        rows[c.Index] = {
            "value_tier": "high"
            if score >= thresholds.tier_high
            else "medium"
            if score >= thresholds.tier_medium
            else "low",
            "rfm_r": r,
            "rfm_f": f,
            "rfm_m": m,
            "rfm_recency_days": c.recency,
            "rfm_frequency": c.n,
            "rfm_monetary": Decimal(c.cents).scaleb(-2),
            "size_class": "key" if key else "small",
            "relationship": "new" if new else "established",
        }
    return pd.DataFrame.from_dict(rows, orient="index").sort_index()


def _actual(sessions: Sessions) -> pd.DataFrame:
    columns = [
        "value_tier",
        "rfm_r",
        "rfm_f",
        "rfm_m",
        "rfm_recency_days",
        "rfm_frequency",
        "rfm_monetary",
        "size_class",
        "relationship",
    ]
    with sessions.read() as session:
        rows = session.execute(select(Customer.id, *(getattr(Customer, c) for c in columns))).all()
    return pd.DataFrame(rows, columns=["id", *columns]).set_index("id").sort_index()


def _compare(expected: pd.DataFrame, actual: pd.DataFrame) -> None:
    for column in expected.columns:
        want = [None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in expected[column]]
        got = [None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in actual[column]]
        mismatches = [(i, w, g) for i, w, g in zip(expected.index, want, got, strict=True) if w != g]
        assert mismatches == [], f"{column}: {mismatches[:5]}"


def test_fixed_band_rfm_agrees_with_an_independent_pandas_computation(sessions: Sessions) -> None:
    _generate(sessions)
    result = recompute(sessions, actor=SYSTEM, as_of=AS_OF)
    customers, orders = _orders(sessions)
    expected = _expected(customers, orders, Thresholds())
    _compare(expected, _actual(sessions))
    assert result.counts["value_tier"] == expected["value_tier"].value_counts().to_dict()


@pytest.mark.parametrize(
    "thresholds",
    [
        Thresholds(mode="quantile"),
        Thresholds(mode="quantile", tier_high=13, key_share_percent=65.0),
        Thresholds(
            recency_days=(10, 60, 200, 400),
            frequency=(25, 12, 6, 3),
            monetary=(300_000, 50_000, 10_000, 1_000),
            new_within_days=90,
            new_below_orders=3,
        ),
    ],
)
def test_other_thresholds_and_quantile_mode_agree_with_pandas(sessions: Sessions, thresholds: Thresholds) -> None:
    _generate(sessions, seed=23)
    apply_thresholds(sessions, actor=SYSTEM, thresholds=thresholds, as_of=AS_OF)
    customers, orders = _orders(sessions)
    _compare(_expected(customers, orders, thresholds), _actual(sessions))


def test_an_archived_customer_is_not_classified_and_does_not_count_for_size(sessions: Sessions) -> None:
    _generate(sessions, customers=40, seed=5)
    with sessions.begin() as session:
        session.execute(update(Customer).where(Customer.code == "G0001").values(archived_at=utcnow()))
    recompute(sessions, actor=SYSTEM, as_of=AS_OF)
    customers, orders = _orders(sessions)
    with sessions.read() as session:
        archived = session.scalar(select(Customer.id).where(Customer.code == "G0001"))
    live_orders = orders[orders["customer_id"] != archived]
    expected = _expected(customers[customers["id"] != archived], live_orders, Thresholds())
    _compare(expected, _actual(sessions).drop(index=archived))
    assert pd.isna(_actual(sessions).loc[archived, "value_tier"])


def test_reading_and_writing_in_small_chunks_gives_the_same_classes(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run streams rows and writes history in chunks; chunk edges must not lose or repeat anybody."""
    import crm.classification.batch
    import crm.classification.service

    monkeypatch.setattr(crm.classification.service, "CHUNK", 7)
    monkeypatch.setattr(crm.classification.batch, "CHUNK", 7)
    _generate(sessions, customers=60, seed=3)
    result = recompute(sessions, actor=SYSTEM, as_of=AS_OF)
    customers, orders = _orders(sessions)
    _compare(_expected(customers, orders, Thresholds()), _actual(sessions))
    assert result.customers == 60 and result.rows_written == 60
    from sqlalchemy import func

    from db.models import ClassChange

    with sessions.read() as session:
        history = session.scalar(select(func.count()).select_from(ClassChange))
    assert history == sum(result.changed.values())
