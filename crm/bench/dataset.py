"""The benchmark's one data set: the demo's customer base (every module's rows, the demo accounts), loaded into a
database of the benchmark's own, never the configured one, and reused while it is the same scale and seed; or the
dashboard issue's scale, the demo multiplied in SQL (crm/bench/scale.py, `--issue-scale`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from crm.bench.scale import GENERATOR as SCALED
from crm.bench.scale import Targets, replicate
from crm.demo import load_demo
from crm.platform.rollups import ensure_built as ensure_rollups
from crm.platform.rollups import is_built as rollups_built
from db.engine import (
    PROJECT_ROOT,
    Sessions,
    database_url,
    make_engine,
    make_session_factory,
    masked_url,
    normalise_url,
    upgrade_database,
)
from db.models import Customer, Setting, User

# The settings row that says the database was filled by the benchmark, and with what.
MARKER = "bench_data"
DEFAULT_URL = f"sqlite:///{PROJECT_ROOT / 'data'}/bench_{{customers}}.db"
ISSUE_SCALE_URL = f"sqlite:///{PROJECT_ROOT / 'data'}/bench_issue.db"  # --issue-scale's default
_COUNTED = ("customers", "contacts", "orders", "activities", "follow_up_tasks", "complaints", "survey_responses")


@dataclass(frozen=True)
class DataSet:
    """The data set a scale's sections run on."""

    customers: int
    seed: int
    reused: bool
    built_seconds: float
    rows: dict[str, int] = field(default_factory=dict)


def _same_database(a: str, b: str) -> bool:
    first, second = make_url(normalise_url(a)), make_url(normalise_url(b))
    if first.get_backend_name() == second.get_backend_name() == "sqlite":
        if not first.database or not second.database:
            return False
        return Path(first.database).resolve() == Path(second.database).resolve()
    return first.set(password=None) == second.set(password=None)


def open_bench_database(url: str) -> Sessions:
    """Open (and migrate) the benchmark database; refuse the configured one (CRM_DATABASE_URL)."""
    if _same_database(url, database_url()):
        raise SystemExit(f"refusing to benchmark on the configured database ({masked_url(url)}): give another --url")
    if make_url(normalise_url(url)).get_backend_name() == "sqlite":
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    upgrade_database(engine)
    return make_session_factory(engine)


def prepare(
    sessions: Sessions,
    *,
    customers: int,
    seed: int = 42,
    fresh: bool = False,
    progress: Callable[[str], None] = lambda _line: None,
    scaled: Targets | None = None,
) -> DataSet:
    """Load the demo data set of `customers` customers, or reuse the one there from an earlier run.

    An empty database is filled; one the benchmark filled before is reused when its scale and seed match (and not
    `fresh`), else replaced; any other database is refused, so real data is never touched.

    scaled: build the demo at scaled.base customers and multiply it to the targets in SQL (`customers` is then
    scaled.customers); a database holding that very base (an earlier run at that scale and seed) is multiplied
    in place rather than loaded again.
    """
    wanted = {"customers": customers, "seed": seed, "generator": SCALED if scaled else "demo"}
    with sessions.read() as session:
        marker = session.scalar(select(Setting.value).where(Setting.key == MARKER))
        holds_data = (
            session.scalar(select(Customer.id).limit(1)) is not None
            or session.scalar(select(User.id).limit(1)) is not None
        )
    if marker is None and holds_data:
        raise SystemExit(
            f"refusing to benchmark on {masked_url(str(sessions.engine.url))}: it holds data the "
            "benchmark did not load; give an empty database (--url)"
        )
    reused = marker == wanted and not fresh
    seconds = 0.0
    if not reused:
        started = time.perf_counter()
        demo = scaled.base if scaled else customers
        base = {"customers": demo, "seed": seed, "generator": "demo"}
        if marker != base or fresh:
            progress(f"loading the demo data set: {demo:,} customers, seed {seed}")
            load_demo(sessions, customers=demo, seed=seed, delete_everything=marker is not None)
            _mark(sessions, base)
            progress(f"loaded in {time.perf_counter() - started:.1f} s")
        if scaled:
            progress(f"multiplying it to {scaled.customers:,} customers")
            _mark(sessions, {**wanted, "generator": f"{SCALED} (unfinished)"})  # a stopped build is loaded again
            replicate(sessions, targets=scaled, progress=progress)
            _mark(sessions, wanted)
        seconds = round(time.perf_counter() - started, 1)
        progress(f"data set ready in {seconds:.1f} s")
    with sessions.read() as session:
        built = rollups_built(session.connection())
    if not built:  # a migration asked for them again: built here, not inside the first timed read
        progress("building the KPI rollups")
        started = time.perf_counter()
        ensure_rollups(sessions)
        progress(f"KPI rollups built in {time.perf_counter() - started:.1f} s")
    with sessions.read() as session:
        rows = {table: int(session.scalar(text(f"SELECT count(*) FROM {table}")) or 0) for table in _COUNTED}
        rows["open follow-ups"] = int(
            session.scalar(text("SELECT count(*) FROM follow_up_tasks WHERE status = 'open'")) or 0
        )
        rows["users"] = int(session.scalar(select(func.count()).select_from(User)) or 0)
    return DataSet(customers, seed, reused, seconds, rows)


def _mark(sessions: Sessions, value: dict[str, object]) -> None:
    """Write the marker: what the benchmark database holds."""
    with sessions.begin() as session:
        session.merge(Setting(key=MARKER, value=value))
