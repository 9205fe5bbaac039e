"""Benchmark of the classification run: bulk-generate N customers with ~10 orders each, then time recompute."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, func, insert, select, text, update

from crm.classification.service import RecomputeResult, recompute
from crm.platform.permissions import SYSTEM
from db.engine import Sessions
from db.models import ClassChange, Customer, Order

INSERT_CHUNK = 100_000
BENCH_CODE_PREFIX = "B"


@dataclass(frozen=True)
class BenchRun:
    label: str
    result: RecomputeResult
    wall_seconds: float
    cpu_seconds: float  # this process only: on a busy machine, closer to what an idle one would take


@dataclass(frozen=True)
class BenchReport:
    customers: int
    orders: int
    generated_seconds: float
    runs: list[BenchRun]


def generate(sessions: Sessions, *, customers: int, orders_per_customer: float = 10.0, seed: int = 7,
             as_of: dt.date, progress: Callable[[str], None] = lambda _: None) -> tuple[int, int]:
    """Insert customers B0000001.. and their orders (Core bulk inserts, numpy-generated) into an empty database."""
    rng = np.random.default_rng(seed)
    now = dt.datetime.now(dt.UTC)
    with sessions.begin() as session:
        connection = session.connection()
        for start in range(0, customers, INSERT_CHUNK):
            stop = min(customers, start + INSERT_CHUNK)
            connection.execute(insert(Customer), [
                {"id": i, "code": f"{BENCH_CODE_PREFIX}{i:07d}", "name": f"Bench customer {i}",
                 "name_key": f"bench customer {i}", "customer_type": "company", "lifecycle_stage": "signed",
                 "share_consent": False, "version": 1, "created_at": now, "updated_at": now}
                for i in range(start + 1, stop + 1)])
            progress(f"customers {stop:,}")
    # Heavy-tailed order counts (a few customers order a lot), ~5 % never order; dates over three years.
    counts = rng.negative_binomial(1.2, 1.2 / (1.2 + orders_per_customer), size=customers)
    counts[rng.random(customers) < 0.05] = 0
    total = int(counts.sum())
    customer_ids = np.repeat(np.arange(1, customers + 1), counts)
    base = as_of.toordinal()
    days = base - rng.integers(0, 3 * 365, size=total)
    order = np.argsort(days, kind="stable")  # orders arrive in date order, customers interleaved
    customer_ids, days = customer_ids[order], days[order]
    cents = (np.clip(np.exp(rng.normal(np.log(8_000), 1.1, size=total)), 100, 5_000_000) * 100).astype(np.int64)
    with sessions.begin() as session:
        connection = session.connection()
        for start in range(0, total, INSERT_CHUNK):
            stop = min(total, start + INSERT_CHUNK)
            connection.execute(insert(Order), [
                {"id": start + k + 1, "customer_id": int(c), "order_date": dt.date.fromordinal(int(d)),
                 "amount": f"{a // 100}.{a % 100:02d}", "currency": "CNY", "version": 1, "created_at": now,
                 "updated_at": now}
                for k, (c, d, a) in enumerate(zip(customer_ids[start:stop].tolist(), days[start:stop].tolist(),
                                                  cents[start:stop].tolist(), strict=True))])
            progress(f"orders {stop:,} / {total:,}")
    return customers, total


def run(sessions: Sessions, *, customers: int, orders_per_customer: float = 10.0, as_of: dt.date | None = None,
        progress: Callable[[str], None] = print) -> BenchReport:
    """Generate the data if the database has no customers yet, then time a first run and a next-day run."""
    as_of = as_of or dt.date.today()
    with sessions.read() as session:
        existing = session.scalar(select(func.count()).select_from(Customer)) or 0
    started = time.perf_counter()
    if existing == 0:
        generate(sessions, customers=customers, orders_per_customer=orders_per_customer, as_of=as_of,
                 progress=progress)
        if sessions.dialect == "sqlite":
            with sessions.engine.connect() as connection:
                connection.execute(text("ANALYZE"))
    generated = time.perf_counter() - started
    with sessions.read() as session:
        n_customers = session.scalar(select(func.count()).select_from(Customer)) or 0
        n_orders = session.scalar(select(func.count()).select_from(Order)) or 0
    if existing:
        _forget_classes(sessions)  # so that the first run classifies everybody from scratch again
    runs = []
    for label, day in (("first run (every class new)", as_of), ("next day (recency moves)", as_of + dt.timedelta(1)),
                       ("same day again (nothing changes)", as_of + dt.timedelta(1))):
        wall, cpu = time.perf_counter(), time.process_time()
        result = recompute(sessions, actor=SYSTEM, as_of=day)
        run_ = BenchRun(label, result, time.perf_counter() - wall, time.process_time() - cpu)
        progress(f"{label}: {run_.wall_seconds:.1f} s wall, {run_.cpu_seconds:.1f} s CPU, "
                 f"{result.rows_written:,} customers written, class changes {sum(result.changed.values()):,}")
        runs.append(run_)
    return BenchReport(int(n_customers), int(n_orders), generated, runs)


def _forget_classes(sessions: Sessions) -> None:
    with sessions.begin() as session:
        session.execute(update(Customer).values(
            value_tier=None, size_class=None, relationship=None, credit_risk=None, rfm_recency_days=None,
            rfm_frequency=None, rfm_monetary=None, rfm_r=None, rfm_f=None, rfm_m=None, classified_at=None,
            updated_at=Customer.updated_at))
        session.execute(delete(ClassChange))
