"""Benchmark of the follow-up queues: generate N customers with ~10 logged contacts each (set-based SQL), then
time what the follow-up page asks for (my queue, team view from its snapshot and refreshed live, calendar,
planned list, logging a contact). 1,000,000 customers make 10,000,000 contacts: give it its own database."""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from crm.follow_ups.automation import generate_follow_ups
from crm.follow_ups.calendar_counts import rebuild as rebuild_calendar_counts
from crm.follow_ups.queues import (
    calendar_counts,
    calendar_range,
    calendar_tasks,
    my_queue,
    refresh_team_snapshots,
    team_basis,
    team_compliance,
    team_overview,
    team_period_counts,
)
from crm.follow_ups.service import list_tasks, log_contact
from crm.platform.permissions import SYSTEM
from db.engine import Sessions, move_sequences_past_ids, refresh_statistics
from db.models import Customer, User, utcnow

OWNERS = 50
BENCH_USER_PREFIX = "bench_owner_"
WARM_RUNS = 5
REVISIT_KEY_SUFFIX = "'\\:regular_revisit'"  # text() would read ":regular_revisit" as a bind parameter


@dataclass(frozen=True)
class Timing:
    name: str
    cold_ms: float
    warm_ms: float  # median of the warm runs


@dataclass(frozen=True)
class BenchReport:
    dialect: str
    customers: int
    activities: int
    open_tasks: int
    generated_seconds: float
    timings: list[Timing]


# --- set-based generation, one SQL statement per table --------------------------------------------------


class _Sql:
    """The few dialect differences the generator needs: a number series, date arithmetic, concatenation."""

    def __init__(self, dialect: str, base: dt.datetime) -> None:
        self.dialect = dialect
        self.base = base.astimezone(dt.UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S")

    def series(self, n: int) -> tuple[str, str]:
        """(WITH prefix, FROM clause) producing the integers 1..n as column n."""
        if self.dialect == "postgresql":
            return "", f"generate_series(1::bigint, {n}) AS g(n)"
        if self.dialect in ("mysql", "mariadb"):
            return "", f"(SELECT seq AS n FROM seq_1_to_{n}) AS g"
        return f"WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {n}) ", "g"

    def before(self, days: str, seconds: str = "0") -> str:
        """SQL for the base instant minus `days` days and `seconds` seconds (either may be negative)."""
        if self.dialect == "postgresql":
            return f"(TIMESTAMP '{self.base}' - ({days}) * INTERVAL '1 day' - ({seconds}) * INTERVAL '1 second')"
        if self.dialect in ("mysql", "mariadb"):
            return f"(TIMESTAMP '{self.base}' - INTERVAL ({days}) DAY - INTERVAL ({seconds}) SECOND)"
        return (f"(strftime('%Y-%m-%d %H:%M:%S', '{self.base}', printf('%+d days', -({days})), "
                f"printf('%+d seconds', -({seconds}))) || '.000000')")

    def concat(self, *parts: str) -> str:
        if self.dialect in ("mysql", "mariadb"):
            return f"CONCAT({', '.join(parts)})"
        return " || ".join(parts)

    def text_of(self, expr: str) -> str:
        return f"CAST({expr} AS CHAR(20))" if self.dialect in ("mysql", "mariadb") else f"CAST({expr} AS TEXT)"


def _owners(session: Session, now: dt.datetime) -> int:
    """Insert the bench owners; return the first one's id."""
    session.execute(insert(User), [{
        "username": f"{BENCH_USER_PREFIX}{i:02d}", "display_name": f"Bench owner {i:02d}",
        "password_hash": "!", "role": "staff", "language": "en", "is_active": True, "failed_login_count": 0,
        "sessions_valid_after": now, "version": 1, "created_at": now, "updated_at": now} for i in range(OWNERS)])
    return int(session.scalar(select(func.min(User.id)).where(User.username.like(f"{BENCH_USER_PREFIX}%"))) or 0)


def generate(sessions: Sessions, *, customers: int, contacts_per_customer: int = 10,
             progress: Callable[[str], None] = lambda _: None) -> tuple[int, int, int]:
    """Fill an empty database: owners, customers, ~10 contacts each, one open revisit for 4 in 5, one done task."""
    now = utcnow()
    sql = _Sql(sessions.dialect, now)
    n_activities = customers * contacts_per_customer
    with sessions.begin() as session:
        first_owner = _owners(session, now)
    owner = f"({first_owner} + n % {OWNERS})"
    stamp = f"'{sql.base}'" if sessions.dialect != "sqlite" else f"'{sql.base}.000000'"
    statements = [
        ("customers", customers, f"""
            INSERT INTO customers (id, code, name, name_key, customer_type, owner_id, lifecycle_stage,
                stage_changed_at, value_tier, importance, share_consent, version, created_at, updated_at)
            SELECT n, {sql.concat("'B'", sql.text_of("n"))}, {sql.concat("'Bench customer '", sql.text_of("n"))},
                {sql.concat("'benchcustomer'", sql.text_of("n"))}, 'company', {owner},
                CASE n % 10 WHEN 0 THEN 'churned' WHEN 1 THEN 'potential' WHEN 2 THEN 'intent' ELSE 'signed' END,
                {sql.before("n % 400")},
                CASE n % 4 WHEN 0 THEN 'high' WHEN 1 THEN 'medium' WHEN 2 THEN 'low' ELSE NULL END,
                CASE WHEN n % 20 = 0 THEN 'strategic' ELSE NULL END, {_false(sessions)}, 1, {stamp}, {stamp}
            FROM {{series}}"""),
        ("activities", n_activities, f"""
            INSERT INTO activities (customer_id, owner_id, channel, occurred_at, summary, outcome, version,
                created_at, updated_at)
            SELECT 1 + n % {customers}, {first_owner} + (1 + n % {customers}) % {OWNERS},
                CASE n % 6 WHEN 0 THEN 'phone' WHEN 1 THEN 'email' WHEN 2 THEN 'wechat' WHEN 3 THEN 'visit'
                    WHEN 4 THEN 'meeting' ELSE 'online' END,
                {sql.before("(n * 37) % 730", "(n * 7919) % 86400")}, 'Bench contact',
                CASE n % 3 WHEN 0 THEN 'reached' WHEN 1 THEN 'no_answer' ELSE 'interested' END, 1, {stamp}, {stamp}
            FROM {{series}}"""),
        ("open tasks", customers, f"""
            INSERT INTO follow_up_tasks (customer_id, owner_id, due_at, priority, purpose, status, open_key,
                recurrence_days, created_by_rule, version, created_at, updated_at)
            SELECT n, {owner}, {sql.before("20 - n % 60", "(n * 13) % 86400")}, 'normal', 'regular_revisit',
                'open', {sql.concat(sql.text_of("n"), REVISIT_KEY_SUFFIX)}, 30, 'cadence_revisit', 1, {stamp},
                {stamp}
            FROM {{series}} WHERE n % 5 <> 0"""),
        ("done tasks", customers, f"""
            INSERT INTO follow_up_tasks (customer_id, owner_id, due_at, priority, purpose, status, completed_at,
                version, created_at, updated_at)
            SELECT n, {owner}, {sql.before("1 + n % 365")}, 'normal', 'regular_revisit', 'done',
                {sql.before("1 + n % 365")}, 1, {stamp}, {stamp}
            FROM {{series}}"""),
    ]
    for label, count, statement in statements:
        started = time.perf_counter()
        with_prefix, source = sql.series(count)
        with sessions.begin() as session:
            _big_cache(session, sessions)
            result = session.execute(text(with_prefix + statement.replace("{series}", source)))
            written = getattr(result, "rowcount", -1)
        rows = f"{written:,} rows" if written >= 0 else "done"  # SQLite reports no count after WITH
        progress(f"{label}: {rows} in {time.perf_counter() - started:.1f} s")
    fill_cached_columns(sessions, progress=progress)
    started = time.perf_counter()
    with sessions.begin() as session:
        rows = rebuild_calendar_counts(session.connection())
    progress(f"calendar counts: {rows:,} rows in {time.perf_counter() - started:.1f} s")
    _after_bulk_load(sessions)
    with sessions.read() as session:
        open_tasks = session.scalar(text("SELECT count(*) FROM follow_up_tasks WHERE status = 'open'"))
    return customers, n_activities, int(open_tasks or 0)


_CACHE_SOURCES = {
    "last_contact_at": "SELECT customer_id, max(occurred_at) AS v FROM activities GROUP BY customer_id",
    "next_follow_up_at": "SELECT customer_id, min(due_at) AS v FROM follow_up_tasks WHERE status = 'open' "
                         "GROUP BY customer_id",
}


def fill_cached_columns(sessions: Sessions, progress: Callable[[str], None] = lambda _: None) -> None:
    """Set customers.last_contact_at / next_follow_up_at from the generated rows in one pass per column."""
    for column, source in _CACHE_SOURCES.items():
        started = time.perf_counter()
        if sessions.dialect in ("mysql", "mariadb"):
            statement = f"UPDATE customers JOIN ({source}) s ON s.customer_id = customers.id SET {column} = s.v"
        else:
            statement = f"UPDATE customers SET {column} = s.v FROM ({source}) AS s WHERE s.customer_id = customers.id"
        with sessions.begin() as session:
            _big_cache(session, sessions)
            session.execute(text(statement))
        progress(f"customers.{column} in {time.perf_counter() - started:.1f} s")


def _big_cache(session: Session, sessions: Sessions) -> None:
    # SQLite's default 2 MB page cache makes bulk index maintenance seek-bound; the bench can spare 2 GB.
    if sessions.dialect == "sqlite":
        session.execute(text("PRAGMA cache_size = -2000000"))


def _false(sessions: Sessions) -> str:
    return "false" if sessions.dialect == "postgresql" else "0"


def _after_bulk_load(sessions: Sessions) -> None:
    """Move PostgreSQL's sequences past the explicit ids and refresh every planner's statistics."""
    tables = ("customers", "activities", "follow_up_tasks", "users")
    if sessions.dialect == "postgresql":
        with sessions.engine.begin() as connection:
            move_sequences_past_ids(connection, tables)
    refresh_statistics(sessions.engine, tables, vacuum=True)


# --- timing -------------------------------------------------------------------------------------------


def _time(name: str, call: Callable[[], object], warm_runs: int = WARM_RUNS,
          progress: Callable[[str], None] = lambda _: None) -> Timing:
    started = time.perf_counter()
    call()
    cold = (time.perf_counter() - started) * 1000
    runs = []
    for _ in range(warm_runs):
        started = time.perf_counter()
        call()
        runs.append((time.perf_counter() - started) * 1000)
    timing = Timing(name, round(cold, 1), round(statistics.median(runs), 1))
    progress(f"{name:<46} {timing.cold_ms:>10.1f} {timing.warm_ms:>10.1f}")
    return timing


def measure(sessions: Sessions, *, with_generate: bool = True,
            progress: Callable[[str], None] = lambda _: None) -> list[Timing]:
    """Time each read the follow-up page makes for the busiest owner, a contact logged, and a rules run."""
    with sessions.read() as session:
        owner_id, customer_id = session.execute(
            select(Customer.owner_id, func.min(Customer.id)).where(Customer.owner_id.is_not(None))
            .group_by(Customer.owner_id).order_by(func.count().desc()).limit(1)).one()
    today = dt.date.today()
    start, days = calendar_range("month", today)
    every_page = {section: 19 for section in ("overdue", "today", "week", "out_of_cadence")}
    counter = iter(range(1, 10_000))

    def _live_part(part: str) -> object:
        now = utcnow()
        with sessions.read() as session:
            basis, cadences, tz = team_basis(session, "week" if part == "compliance" else part, now)
            if part == "compliance":
                return team_compliance(session, cadences, now)
            owners = sorted({int(o) for o in session.scalars(select(User.id).where(
                User.username.like(f"{BENCH_USER_PREFIX}%")))})
            return team_period_counts(session, owners, basis, tz, now)

    cases: list[tuple[str, Callable[[], object], int]] = [
        ("my queue (4 sections, counts + first page)",
         lambda: my_queue(sessions, actor=SYSTEM, owner_id=owner_id), WARM_RUNS),
        ("my queue, page 20 of each section",
         lambda: my_queue(sessions, actor=SYSTEM, owner_id=owner_id, pages=every_page), WARM_RUNS),
        ("planned list (owner, open, page 1)",
         lambda: list_tasks(sessions, actor=SYSTEM, owner_id=owner_id), WARM_RUNS),
        # The page's path: the snapshot while it is fresh (the cold run may compute and store it).
        ("team view (this week), from the snapshot",
         lambda: team_overview(sessions, actor=SYSTEM, period="week"), WARM_RUNS),
        ("team view (this month), from the snapshot",
         lambda: team_overview(sessions, actor=SYSTEM, period="month"), WARM_RUNS),
        # The Refresh button / a stale snapshot: everything computed live, then stored.
        ("team view refresh (this week), live + store",
         lambda: team_overview(sessions, actor=SYSTEM, period="week", refresh=True), WARM_RUNS),
        ("team view refresh (this month), live + store",
         lambda: team_overview(sessions, actor=SYSTEM, period="month", refresh=True), WARM_RUNS),
        ("  of which: compliance by owner and tier", lambda: _live_part("compliance"), WARM_RUNS),
        ("  of which: open/overdue/done/contacts (week)", lambda: _live_part("week"), WARM_RUNS),
        ("  of which: open/overdue/done/contacts (month)", lambda: _live_part("month"), WARM_RUNS),
        ("daily run's snapshot refresh (both periods)",
         lambda: refresh_team_snapshots(sessions, actor=SYSTEM), 1),
        ("calendar month (42 days), all owners",
         lambda: calendar_counts(sessions, actor=SYSTEM, start=start, days=days, by_owner=False), WARM_RUNS),
        ("calendar week per owner, all owners",
         lambda: calendar_counts(sessions, actor=SYSTEM, start=start, days=7), WARM_RUNS),
        ("calendar month, one owner",
         lambda: calendar_counts(sessions, actor=SYSTEM, start=start, days=days, owner_id=owner_id), WARM_RUNS),
        ("calendar day list, all owners", lambda: calendar_tasks(sessions, actor=SYSTEM, day=today), WARM_RUNS),
        ("log a contact (write + cache + rules)", lambda: log_contact(
            sessions, actor=SYSTEM, customer_id=customer_id, channel="phone",
            occurred_at=utcnow() - dt.timedelta(minutes=next(counter)), summary="Bench call"), WARM_RUNS),
    ]
    if with_generate:
        # The first run creates every task the rules find on the generated data; the second is a daily run.
        cases.append(("generate: first run, then the daily run",
                      lambda: generate_follow_ups(sessions, actor=SYSTEM), 1))
    progress(f"{'operation':<46} {'cold ms':>10} {'warm ms':>10}")
    return [_time(name, call, runs, progress) for name, call, runs in cases]


def run(sessions: Sessions, *, customers: int, contacts_per_customer: int = 10, with_generate: bool = True,
        progress: Callable[[str], None] = print) -> BenchReport:
    """Generate the data into an empty database (or reuse earlier bench data), then time the page's reads."""
    with sessions.read() as session:
        existing = session.scalar(select(func.count()).select_from(Customer)) or 0
        bench_users = session.scalar(select(func.count()).select_from(User).where(
            User.username.like(f"{BENCH_USER_PREFIX}%"))) or 0
    started = time.perf_counter()
    if existing == 0:
        generate(sessions, customers=customers, contacts_per_customer=contacts_per_customer, progress=progress)
    elif not bench_users:
        raise SystemExit("refusing to benchmark on a database with real customers: give an empty one (--url)")
    generated = time.perf_counter() - started
    with sessions.read() as session:
        count = int(session.scalar(select(func.count()).select_from(Customer)) or 0)
        activities = int(session.scalar(text("SELECT count(*) FROM activities")) or 0)
        open_tasks = int(session.scalar(text("SELECT count(*) FROM follow_up_tasks WHERE status = 'open'")) or 0)
    timings = measure(sessions, with_generate=with_generate, progress=progress)
    return BenchReport(sessions.dialect, count, activities, open_tasks, round(generated, 1), timings)
