"""The dashboard issue's data set (`bench --issue-scale`): the demo at a base of 100,000 customers, multiplied in
SQL (INSERT ... SELECT, never through Python) to exact totals of customers, orders, logged contacts, complaints and
survey responses.

How the copies are made:

- Customer copies k = 1, 2, ... of every base customer (the last copy of only the first customers by id when the
  target is not a multiple of the base), id + k * offset (offset: the table's largest id rounded up), same owner,
  department, stage, tier, industry, region, dates; the code gets "-k" (C000001-3). With each customer go its
  contacts, stage changes, orders, complaints (and their events), suggestions, survey responses (and their
  scores), follow-ups, logged contacts and search index rows (text and grams), every reference to one of them
  moved to the same copy; unique values get "-k" (order numbers, complaint codes) or are made anew (open_key
  "customer:purpose", import keys). Not copied (the dashboard reads none of them): contracts and their payments,
  credit events, tags, care dates, inquiries, complaint attachments, campaign members, class history.
- Then, to reach the exact totals, extra copies of orders and logged contacts (rounds r = 1, 2, ... of every row,
  the last round of a spread pick of them): same customer, dates moved back 5 * r days, never before the
  customer's created_at (nor later than the row's own date, so never after today); order numbers get "+r"; an
  extra logged contact completes no follow-up (task_id NULL). Complaints and survey responses get extra copies
  the same way at the same dates (codes "+r", with their events and scores), or copies are removed from the last
  ones when the customer copies brought more than the target.
- Afterwards, as the demo loader ends: the follow-up calendar's counts are rebuilt, the search grams counted
  again, the KPI rollups (crm.platform.rollups) rebuilt, the classification's last-run record written again,
  the PostgreSQL sequences moved past the ids, and the planner's statistics refreshed (ANALYZE).

Derived columns: the copies are copies of consistent rows (last_contact_at, next_follow_up_at, the classes and
RFM figures are their original's and true of the copy). The extra orders and logged contacts lie at or before
the original ones, so last_contact_at and rfm_recency_days stay true; rfm_frequency and rfm_monetary are counted
again in SQL. Approximate: the RFM scores and the classes (rfm_r/f/m, value_tier, size_class, relationship) stay
the base's, computed from the orders before the extra copies (`python -m crm classify` would move some customers
up a tier); the search grams of a copy's code suffix ("-3") are added, except where an email or phone of the
same customer already holds that gram.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Date, bindparam, text
from sqlalchemy.orm import Session

from crm.classification import company_today, record_loaded_run
from crm.follow_ups import rebuild as rebuild_calendar_counts
from crm.platform.rollups import rebuild_all as rebuild_rollups
from db.engine import Sessions, move_sequences_past_ids, refresh_statistics
from db.models import Base
from db.search_grams import SEPARATOR, count_grams

Progress = Callable[[str], None]
GENERATOR = "issue-scale"
SQLITE_CACHE_KIB = 4_194_304  # 4 GiB: the pages a copy writes stay in memory until its commit
SHIFT_DAYS = 5  # extra copies of orders and logged contacts: this many days back per round
# Ordering by this spreads a partial round's pick over every customer copy rather than the lowest ids.
_SPREAD = "((s.id * 2654435761) % 4294967296)"


@dataclass(frozen=True)
class Targets:
    """The totals the replication reaches exactly, from a base of `base` demo customers."""

    customers: int
    orders: int
    activities: int
    complaints: int
    survey_responses: int
    base: int = 100_000


# The dashboard issue's scale (issue 17): what `python -m crm bench --issue-scale` builds.
ISSUE_SCALE = Targets(
    customers=1_000_000, orders=10_000_000, activities=10_000_000, complaints=200_000, survey_responses=500_000
)
# The rows whose totals the build prints (and the benchmark's data set reports).
COUNTED = (
    "customers",
    "contacts",
    "orders",
    "activities",
    "follow_up_tasks",
    "stage_changes",
    "complaints",
    "complaint_events",
    "suggestions",
    "survey_responses",
    "survey_scores",
    "customer_search_grams",
)
# Where copies go, parents first; each table's filter column picks a customer's rows (through a parent where the
# table has no customer_id).
_WITH_CUSTOMERS = (
    "customers",
    "contacts",
    "stage_changes",
    "orders",
    "complaints",
    "complaint_events",
    "suggestions",
    "survey_responses",
    "survey_scores",
    "follow_up_tasks",
    "activities",
    "customer_search_texts",
    "customer_search_grams",
)
_PARENT = {"complaint_events": ("complaints", "complaint_id"), "survey_scores": ("survey_responses", "response_id")}
# References to copied tables, moved to the same copy (column -> the table it refers to).
_REFERENCES = {
    "customer_id": "customers",
    "contact_id": "contacts",
    "complaint_id": "complaints",
    "response_id": "survey_responses",
    "task_id": "follow_up_tasks",
    "source_complaint_id": "complaints",
    "source_survey_id": "survey_responses",
}
_SORT_KEYS = {
    "survey_scores": "s.response_id, s.dimension",
    "customer_search_texts": "s.customer_id",
    "customer_search_grams": "s.gram, s.customer_name, s.customer_id, s.kinds",
}
_STATISTICS = (*_WITH_CUSTOMERS, "customer_search_gram_counts", "follow_up_day_counts")


def offset_for(largest_id: int) -> int:
    """Round an id up to its leading digit's next step (100,000 stays; 123 -> 200): the copies' id offset."""
    if largest_id <= 0:
        return 1
    step = 10 ** (len(str(largest_id)) - 1)
    return math.ceil(largest_id / step) * step


class _Sql:
    """The few expressions that differ between SQLite, PostgreSQL and MariaDB."""

    def __init__(self, connection: Connection) -> None:
        self.dialect = connection.dialect.name
        self.quote = connection.dialect.identifier_preparer.quote
        self.mysql = self.dialect in ("mysql", "mariadb")

    def cat(self, *parts: str) -> str:
        return f"CONCAT({', '.join(parts)})" if self.mysql else " || ".join(parts)

    def as_text(self, expression: str) -> str:
        return f"CAST({expression} AS {'CHAR' if self.mysql else 'TEXT'})"

    def chars(self, expression: str) -> str:
        return f"length({expression})" if self.dialect == "sqlite" else f"char_length({expression})"

    def right(self, expression: str, n: int) -> str:
        return f"substr({expression}, -{n})" if self.dialect == "sqlite" else f"right({expression}, {n})"

    def larger(self, a: str, b: str) -> str:
        return f"max({a}, {b})" if self.dialect == "sqlite" else f"GREATEST({a}, {b})"

    def smaller(self, a: str, b: str) -> str:
        return f"min({a}, {b})" if self.dialect == "sqlite" else f"LEAST({a}, {b})"

    def days_back(self, expression: str, days: int, *, date: bool) -> str:
        """The date or timestamp `days` days earlier, in the form the column stores."""
        if self.dialect == "sqlite":
            # UTCDateTime's stored form keeps six digits of fraction; strftime gives three.
            if date:
                return f"date({expression}, '-{days} days')"
            return f"(strftime('%Y-%m-%d %H:%M:%f', {expression}, '-{days} days') || '000')"
        if self.mysql:
            return f"DATE_SUB({expression}, INTERVAL {days} DAY)"
        return f"({expression} - {days})" if date else f"({expression} - INTERVAL '{days} days')"

    def date_of(self, stamp: str) -> str:
        return f"substr({stamp}, 1, 10)" if self.dialect == "sqlite" else f"CAST({stamp} AS DATE)"


@dataclass
class _Table:
    """A copied table's figures before the copies: its rows, largest id and the copies' id offset."""

    name: str
    rows: int
    largest: int
    offset: int


def _count(connection: Connection, table: str) -> int:
    return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _largest_id(connection: Connection, table: str) -> int:
    return int(connection.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar_one())


def _columns(table: str) -> list[str]:
    return [column.name for column in Base.metadata.tables[table].columns]


def _insert(
    connection: Connection,
    sql: _Sql,
    table: str,
    values: dict[str, str],
    source: str,
    order: str,
    params: dict[str, object] | None = None,
) -> int:
    """INSERT INTO table (every column) SELECT (values' expression, else the source row's s.column) FROM source."""
    columns = _columns(table)
    select = ", ".join(values.get(column, f"s.{sql.quote(column)}") for column in columns)
    names = ", ".join(sql.quote(column) for column in columns)
    result = connection.execute(
        text(f"INSERT INTO {table} ({names}) SELECT {select} FROM {source} ORDER BY {order}"), params or {}
    )
    return int(result.rowcount or 0)


@contextmanager
def _step(progress: Progress, label: str) -> Iterator[None]:
    started = time.perf_counter()
    progress(f"{label} ...")
    yield
    progress(f"{label}: {time.perf_counter() - started:.1f} s")


class _Replication:
    """The replication's state: the tables' figures before the copies, and the connection of the running step."""

    def __init__(self, sessions: Sessions, connection: Connection, targets: Targets, progress: Progress) -> None:
        self.sessions = sessions
        self.connection = connection
        self.sql = _Sql(connection)
        self.targets = targets
        self.progress = progress
        self.tables: dict[str, _Table] = {}
        for name in _WITH_CUSTOMERS:
            rows = _count(connection, name)
            largest = _largest_id(connection, name) if "id" in Base.metadata.tables[name].c else 0
            self.tables[name] = _Table(name, rows, largest, offset_for(largest))
        # The search index's tables have no id: their rows move with the customers' offset.
        self.customers = self.tables["customers"]

    # --- customer copies -------------------------------------------------------------------------------------

    def _moved(self, column: str, k: int) -> str:
        return f"s.{column} + {k * self.tables[_REFERENCES[column]].offset}"

    def _copy_values(self, table: str, k: int) -> dict[str, str]:
        sql, columns = self.sql, _columns(table)
        values = {column: self._moved(column, k) for column in columns if column in _REFERENCES}
        if "id" in columns:
            values["id"] = f"s.id + {k * self.tables[table].offset}"
        suffix = f"'-{k}'"
        if table in ("customers", "complaints"):
            values["code"] = sql.cat("s.code", suffix)
        elif table == "orders":
            values["order_no"] = sql.cat("s.order_no", suffix)  # NULL stays NULL
        elif table == "survey_responses":
            values["import_key"] = self._new_import_key(values["id"])
        elif table == "follow_up_tasks":
            # "customer:purpose" while open: the copy's own customer id before the colon.
            moved_id = sql.as_text(values["customer_id"])
            rest = f"substr(s.open_key, {sql.chars(sql.as_text('s.customer_id'))} + 1)"
            values["open_key"] = f"CASE WHEN s.open_key IS NULL THEN NULL ELSE {sql.cat(moved_id, rest)} END"
        elif table == "customer_search_texts":
            # The code's line in the text: the copy's code (normalised: lower case).
            old, new = sql.cat(":sep", "lower(c.code)", ":sep"), sql.cat(":sep", "lower(c.code)", suffix, ":sep")
            moved = f"REPLACE({sql.cat(':sep', 's.visible', ':sep')}, {old}, {new})"
            values["visible"] = f"substr({moved}, 2, {sql.chars(moved)} - 2)"
        return values

    def _new_import_key(self, new_id: str) -> str:
        key = self.sql.cat("'copy-'", self.sql.as_text(new_id))
        return f"CASE WHEN s.import_key IS NULL THEN NULL ELSE {key} END"

    def copy_customers(self) -> None:
        base = self.customers
        copies = math.ceil(self.targets.customers / base.rows) - 1
        for k in range(1, copies + 1):
            wanted = min(base.rows, self.targets.customers - k * base.rows)
            started, seconds = time.perf_counter(), {}
            with _writing(self.sessions, self):  # a transaction per copy: SQLite's WAL stays a copy's size
                cutoff = base.largest
                if wanted < base.rows:  # the last copy: the first `wanted` customers by id
                    cutoff = int(
                        self.connection.execute(
                            text("SELECT id FROM customers WHERE id <= :largest ORDER BY id LIMIT 1 OFFSET :skip"),
                            {"largest": base.largest, "skip": wanted - 1},
                        ).scalar_one()
                    )
                for table in _WITH_CUSTOMERS:
                    table_started = time.perf_counter()
                    self._copy_table(table, k, cutoff)
                    seconds[table] = time.perf_counter() - table_started
            slowest = ", ".join(f"{t} {n:.1f}" for t, n in sorted(seconds.items(), key=lambda i: -i[1])[:3])
            self.progress(
                f"customer copy {k} of {copies} ({wanted:,} customers): "
                f"{time.perf_counter() - started:.1f} s (slowest: {slowest})"
            )

    def _copy_table(self, table: str, k: int, cutoff: int) -> None:
        sql = self.sql
        values = self._copy_values(table, k)
        order = _SORT_KEYS.get(table, "s.id")
        if table == "customers":
            source, where = "customers s", "s.id <= :cutoff"
        elif table in _PARENT:
            parent, column = _PARENT[table]
            source, where = f"{table} s JOIN {parent} p ON p.id = s.{column}", "p.customer_id <= :cutoff"
        elif table == "customer_search_texts":
            source, where = (
                "customer_search_texts s JOIN customers c ON c.id = s.customer_id",
                "s.customer_id <= :cutoff",
            )
        else:
            source, where = f"{table} s", "s.customer_id <= :cutoff"
        params: dict[str, object] = {"cutoff": cutoff}
        if table == "customer_search_texts":
            params["sep"] = SEPARATOR
        _insert(self.connection, sql, table, values, f"{source} WHERE {where}", order, params)
        if table == "customer_search_grams":
            self._code_grams(k, cutoff)

    def _code_grams(self, k: int, cutoff: int) -> None:
        """Add the copies' code grams the suffix brings: the last two trigrams of "c000001-3" ("01-", "1-3")."""
        sql = self.sql
        offset = k * self.customers.offset
        code = "lower(c.code)"
        grams = " UNION ALL ".join(
            f"SELECT c.id AS customer_id, c.name AS customer_name, {gram} AS gram FROM customers c "
            f"WHERE c.id > {offset} AND c.id <= {offset} + :cutoff AND {sql.chars('c.code')} >= 4"
            for gram in (f"substr({code}, {sql.chars(code)} - 3, 3)", sql.right(code, 3))
        )
        self.connection.execute(
            text(
                "INSERT INTO customer_search_grams (gram, customer_name, customer_id, kinds) "
                f"SELECT g.gram, g.customer_name, g.customer_id, 1 FROM ({grams}) g WHERE NOT EXISTS ("
                "SELECT 1 FROM customer_search_grams x WHERE x.gram = g.gram AND x.customer_name = g.customer_name "
                "AND x.customer_id = g.customer_id)"
            ),
            {"cutoff": cutoff},
        )

    # --- exact totals ----------------------------------------------------------------------------------------

    def extra_rows(self, table: str, target: int, children: Sequence[str] = ()) -> None:
        """Copy the table's rows (as they are after the customer copies) round after round up to target; or remove
        copies from the last ones down to it. A transaction per round."""
        base = self.tables[table]
        if target < base.rows:
            raise ValueError(f"{table}: the target {target:,} is below the base's {base.rows:,} rows")
        with _writing(self.sessions, self) as (_session, connection):
            have = _count(connection, table)
            largest = _largest_id(connection, table)
            if have > target:
                with _step(self.progress, f"{table}: removing {have - target:,} copies"):
                    self._trim(table, have - target)
                return
        offset = offset_for(largest)
        rounds = math.ceil((target - have) / have) if target > have else 0
        for r in range(1, rounds + 1):
            wanted = min(have, target - have * r)
            pick = (
                f"(SELECT s.id FROM {table} s WHERE s.id <= {largest} ORDER BY {_SPREAD}, s.id LIMIT {wanted})"
                if wanted < have
                else f"(SELECT s.id FROM {table} s WHERE s.id <= {largest})"
            )
            with (
                _writing(self.sessions, self),
                _step(self.progress, f"{table}: extra round {r} of {rounds} ({wanted:,} rows)"),
            ):
                self._extra_round(table, r, offset, pick)
                for child in children:
                    self._extra_children(child, table, r, offset, pick)

    def _extra_round(self, table: str, r: int, offset: int, pick: str) -> None:
        sql = self.sql
        values: dict[str, str] = {"id": f"s.id + {r * offset}"}
        source = f"{table} s JOIN {pick} pick ON pick.id = s.id"
        if table in ("orders", "activities"):
            column, date = ("order_date", True) if table == "orders" else ("occurred_at", False)
            created = sql.date_of("c.created_at") if date else "c.created_at"
            shifted = sql.days_back(f"s.{column}", SHIFT_DAYS * r, date=date)
            values[column] = sql.larger(shifted, sql.smaller(f"s.{column}", created))
            source += " JOIN customers c ON c.id = s.customer_id"
        suffix = f"'+{r}'"
        if table == "orders":
            values["order_no"] = sql.cat("s.order_no", suffix)
        elif table == "activities":
            values["task_id"] = "NULL"  # the follow-up was completed by the original
        elif table == "complaints":
            values["code"] = sql.cat("s.code", suffix)
        elif table == "survey_responses":
            values["import_key"] = self._new_import_key(values["id"])
        _insert(self.connection, sql, table, values, source, "s.id")

    def _extra_children(self, child: str, parent: str, r: int, offset: int, pick: str) -> None:
        _, column = _PARENT[child]
        values = {column: f"s.{column} + {r * offset}"}
        if "id" in _columns(child):
            values["id"] = f"s.id + {r * offset_for(_largest_id(self.connection, child))}"
        source = f"{child} s JOIN {pick} pick ON pick.id = s.{column}"
        _insert(self.connection, self.sql, child, values, source, _SORT_KEYS.get(child, "s.id"))

    def _trim(self, table: str, excess: int) -> None:
        """Remove the `excess` rows of highest id (copies only), and what refers to them."""
        connection = self.connection
        cutoff = int(
            connection.execute(
                text(f"SELECT id FROM {table} ORDER BY id DESC LIMIT 1 OFFSET :skip"), {"skip": excess - 1}
            ).scalar_one()
        )
        if cutoff <= self.tables[table].largest:
            raise ValueError(f"{table}: removing {excess:,} rows would remove the base's own")
        referring = {
            "complaints": [("follow_up_tasks", "source_complaint_id"), ("survey_responses", "complaint_id")],
            "survey_responses": [("follow_up_tasks", "source_survey_id")],
        }
        for other, column in referring.get(table, []):
            connection.execute(
                text(f"UPDATE {other} SET {column} = NULL WHERE {column} >= :cutoff"), {"cutoff": cutoff}
            )
        for child, (parent, column) in _PARENT.items():
            if parent == table:
                connection.execute(text(f"DELETE FROM {child} WHERE {column} >= :cutoff"), {"cutoff": cutoff})
        connection.execute(text(f"DELETE FROM {table} WHERE id >= :cutoff"), {"cutoff": cutoff})

    # --- derived columns and caches --------------------------------------------------------------------------

    def recount_rfm(self, today: dt.date) -> None:
        """Count again each customer's orders and their sum (rfm_frequency, rfm_monetary), as of today."""
        orders = (
            "SELECT customer_id, COUNT(*) AS n, SUM(amount) AS total FROM orders "
            "WHERE archived_at IS NULL AND order_date <= :today GROUP BY customer_id"
        )
        if self.sql.mysql:
            statement = (
                f"UPDATE customers JOIN ({orders}) o ON o.customer_id = customers.id "
                "SET customers.rfm_frequency = o.n, customers.rfm_monetary = o.total"
            )
        else:
            statement = (
                f"UPDATE customers SET rfm_frequency = o.n, rfm_monetary = o.total FROM ({orders}) o "
                "WHERE o.customer_id = customers.id"
            )
        self.connection.execute(text(statement).bindparams(bindparam("today", type_=Date)), {"today": today})


@contextmanager
def _writing(sessions: Sessions, replication: _Replication | None = None) -> Iterator[tuple[Session, Connection]]:
    """One step's transaction; on SQLite with a page cache that holds the indexes being written."""
    with sessions.begin() as session:
        connection = session.connection()
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        if replication is not None:
            replication.connection = connection
        yield session, connection


def replicate(sessions: Sessions, *, targets: Targets, progress: Progress = lambda _line: None) -> dict[str, int]:
    """Multiply the demo data set in the database (its `targets.base` customers) to the targets; return row counts.

    Each copy and each round is its own transaction: a build stopped half way leaves a database the caller must
    load again (crm.bench.dataset marks it unfinished first).
    """
    started = time.perf_counter()
    with _writing(sessions) as (session, connection):
        replication = _Replication(sessions, connection, targets, progress)
        if replication.customers.rows != targets.base:
            raise ValueError(f"the base holds {replication.customers.rows:,} customers, not {targets.base:,}")
        today = company_today(session)
    replication.copy_customers()
    for table, target, children in (
        ("orders", targets.orders, ()),
        ("activities", targets.activities, ()),
        ("complaints", targets.complaints, ("complaint_events",)),
        ("survey_responses", targets.survey_responses, ("survey_scores",)),
    ):
        replication.extra_rows(table, target, children)
    with _writing(sessions, replication) as (session, connection):
        with _step(progress, "rfm_frequency and rfm_monetary counted again"):
            replication.recount_rfm(today)
        with _step(progress, "follow-up calendar counts rebuilt"):
            rebuild_calendar_counts(connection)
        with _step(progress, "search grams counted again"):
            count_grams(connection)
        with _step(progress, "KPI rollups rebuilt"):
            rebuild_rollups(connection)
        with _step(progress, "classification's last run recorded again"):
            record_loaded_run(session, as_of=today)
        if connection.dialect.name == "postgresql":
            move_sequences_past_ids(
                connection, [table for table in _WITH_CUSTOMERS if "id" in Base.metadata.tables[table].c]
            )
    with _step(progress, "ANALYZE"):
        refresh_statistics(sessions.engine, _STATISTICS)
    with sessions.read() as session:
        rows = {table: _count(session.connection(), table) for table in COUNTED}
    progress(
        f"replicated in {time.perf_counter() - started:.1f} s: " + ", ".join(f"{t} {n:,}" for t, n in rows.items())
    )
    return rows
