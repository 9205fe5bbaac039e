"""Benchmark section `classification`: a classification run on the data set from scratch (every class new), the
next day's run (recency moves) and the same day again (nothing changes)."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import delete, update

from crm.bench.runner import Context, Measurement
from crm.classification.service import recompute
from crm.platform.permissions import SYSTEM
from db.engine import Sessions
from db.models import ClassChange, Customer


def measure(ctx: Context) -> list[Measurement]:
    """Forget every class, then time three runs (each once: a run is a batch job, not a read to repeat)."""
    _forget_classes(ctx.sessions)
    as_of = dt.date.today()
    rows = []
    for label, day in (
        ("first run (every class new)", as_of),
        ("next day (recency moves)", as_of + dt.timedelta(1)),
        ("same day again (nothing changes)", as_of + dt.timedelta(1)),
    ):
        wall, cpu = time.perf_counter(), time.process_time()
        result = recompute(ctx.sessions, actor=SYSTEM, as_of=day)
        wall_ms, cpu_s = (time.perf_counter() - wall) * 1000, time.process_time() - cpu
        # CPU of this process only: on a busy machine, closer to what an idle one would take.
        rows.append(
            Measurement(
                "classification",
                label,
                round(wall_ms, 1),
                None,
                f"CPU {cpu_s:.1f} s; {result.rows_written:,} customers written, "
                f"{sum(result.changed.values()):,} class changes",
            )
        )
    return rows


def _forget_classes(sessions: Sessions) -> None:
    with sessions.begin() as session:
        session.execute(
            update(Customer).values(
                value_tier=None,
                size_class=None,
                relationship=None,
                credit_risk=None,
                rfm_recency_days=None,
                rfm_frequency=None,
                rfm_monetary=None,
                rfm_r=None,
                rfm_f=None,
                rfm_m=None,
                classified_at=None,
                updated_at=Customer.updated_at,
            )
        )
        session.execute(delete(ClassChange))
