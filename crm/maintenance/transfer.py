"""Reading every table from a consistent snapshot, and writing them into an empty database in batches.

The source is read in one transaction that sees the database as it was at its first read whatever the app
writes meanwhile (REPEATABLE READ on PostgreSQL and MariaDB, a deferred read transaction on SQLite's WAL),
table by table in foreign-key order, each streamed in batches (server-side cursors): memory holds one batch.
The target is written in one transaction, parents before children, and read back before it commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Connection, Engine, Table, bindparam, exists, insert, inspect, select, update
from sqlalchemy.schema import ForeignKeyConstraint, sort_tables_and_constraints

from crm.maintenance.codec import (
    ColumnSpec,
    TableDigest,
    decode_row,
    encode_row,
    row_line,
    selected_columns,
    table_spec,
)
from db.engine import move_sequences_past_ids
from db.models import Base

BATCH_ROWS = 1_000
# A batch's INSERT is sent as one statement: MariaDB refuses one longer than max_allowed_packet (16 MB by
# default), and complaint attachments may be 5 MB each.
BATCH_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class TableCheck:
    """A table's row count and checksum, as the source had it and as the target holds it."""

    name: str
    rows: int
    checksum: str
    target_rows: int | None = None
    target_checksum: str | None = None

    @property
    def matches(self) -> bool:
        return self.rows == self.target_rows and self.checksum == self.target_checksum


@dataclass
class TablePlan:
    """One table to copy: its columns, and the foreign keys filled in after every table is loaded (cycles)."""

    table: Table
    specs: tuple[ColumnSpec, ...]
    deferred: tuple[str, ...] = ()  # columns inserted as NULL, then set once the tables they point at are loaded
    pending: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)  # (primary key, values)


def plan_tables(tables: Sequence[Table] | None = None) -> list[TablePlan]:
    """Order the tables parents first; a foreign key in a cycle is loaded after both its tables are.

    Today's models have no cycle (activities.task_id points at follow_up_tasks, which points nowhere back),
    but a model that adds one must not make a restore fail on the order of its inserts.
    """
    tables = list(tables if tables is not None else Base.metadata.sorted_tables)
    ordered: list[Table] = []
    cyclic: list[ForeignKeyConstraint] = []
    for table, constraints in sort_tables_and_constraints(tables):
        if table is not None:
            ordered.append(table)
        else:
            cyclic.extend(c for c in constraints if isinstance(c, ForeignKeyConstraint))
    deferred: dict[str, set[str]] = {}
    for constraint in cyclic:
        assert constraint.table is not None
        deferred.setdefault(constraint.table.name, set()).update(column.name for column in constraint.columns)
    return [TablePlan(t, table_spec(t), tuple(sorted(deferred.get(t.name, ())))) for t in ordered]


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """Open one read transaction that sees every table as it was at its first read."""
    with engine.connect() as connection:
        dialect = engine.dialect.name
        if dialect == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        elif dialect in ("mysql", "mariadb"):
            # The app's connections run READ COMMITTED (db/engine.py); InnoDB's REPEATABLE READ keeps the
            # snapshot its first read took for the whole transaction.
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        else:
            connection = connection.execution_options(crm_read_only=True)  # BEGIN, not BEGIN IMMEDIATE
        with connection.begin():
            yield connection


def read_rows(connection: Connection, plan: TablePlan) -> Iterator[list[Any]]:
    """Stream a table's rows, encoded, in primary-key order, a batch at a time."""
    table = plan.table
    statement = select(*selected_columns(table)).order_by(*table.primary_key.columns)
    streaming = connection.execution_options(stream_results=True, yield_per=BATCH_ROWS)
    with streaming.execute(statement) as result:
        for partition in result.partitions():
            for row in partition:
                yield encode_row(plan.specs, row)


def table_names_with_rows(connection: Connection, tables: Sequence[Table]) -> list[str]:
    """Name the tables that hold at least one row."""
    return [t.name for t in tables if connection.scalar(select(exists().select_from(t)))]


def missing_tables(connection: Connection, tables: Sequence[Table]) -> list[str]:
    """Name the tables of the models the database lacks (a database behind the app's schema)."""
    present = set(inspect(connection).get_table_names())
    return [t.name for t in tables if t.name not in present]


def insert_statement(table: Table) -> Any:
    """INSERT of every column; a JSON column binds None as SQL NULL and JSON.NULL as JSON null."""
    statement = insert(table)
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    if json_columns:
        statement = statement.values(
            {name: bindparam(name, type_=JSON(none_as_null=True)) for name in sorted(json_columns)}
        )
    return statement


class TableWriter:
    """Insert one table's rows in batches, counting and summing them as they go."""

    def __init__(self, connection: Connection, plan: TablePlan) -> None:
        self.connection = connection
        self.plan = plan
        self.digest = TableDigest()
        self._statement = insert_statement(plan.table)
        self._batch: list[dict[str, Any]] = []
        self._bytes = 0
        self._keys = [c.name for c in plan.table.primary_key.columns]

    def add(self, encoded: list[Any]) -> bytes:
        """Queue one encoded row; return its line (what an archive writes and the checksum is taken of)."""
        line = row_line(encoded)
        self.digest.add(line)
        values = decode_row(self.plan.specs, encoded)
        for name in self.plan.deferred:
            if values[name] is not None:
                self.plan.pending.append(({k: values[k] for k in self._keys}, {name: values[name]}))
                values[name] = None
        self._batch.append(values)
        self._bytes += len(line)
        if len(self._batch) >= BATCH_ROWS or self._bytes >= BATCH_BYTES:
            self.flush()
        return line

    def flush(self) -> None:
        if self._batch:
            self.connection.execute(self._statement, self._batch)
            self._batch, self._bytes = [], 0


def fill_deferred(connection: Connection, plans: Sequence[TablePlan]) -> None:
    """Set the foreign keys held back for cycles, now that every row they point at exists."""
    for plan in plans:
        table = plan.table
        for key, values in plan.pending:
            condition = [table.c[name] == value for name, value in key.items()]
            connection.execute(update(table).where(*condition).values(values))
        plan.pending.clear()


def move_sequences(connection: Connection, plans: Sequence[TablePlan]) -> None:
    """PostgreSQL: let new rows take ids after the copied ones (MariaDB and SQLite move past them themselves)."""
    if connection.dialect.name != "postgresql":
        return
    with_ids = [
        p.table.name
        for p in plans
        if [c.name for c in p.table.primary_key.columns] == ["id"] and p.table.c.id.autoincrement in (True, "auto")
    ]
    move_sequences_past_ids(connection, with_ids)


def digest_table(connection: Connection, plan: TablePlan) -> TableDigest:
    """Count and sum a table's rows as the database holds them now."""
    digest = TableDigest()
    for encoded in read_rows(connection, plan):
        digest.add(row_line(encoded))
    return digest


def load_tables(
    connection: Connection,
    plans: Sequence[TablePlan],
    rows_of: Callable[[TablePlan], Iterator[list[Any]]],
    *,
    after_table: Callable[[TablePlan, TableDigest], None] = lambda _plan, _digest: None,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, TableDigest]:
    """Insert every table's rows into the (empty) target, then the deferred keys; return what was written.

    after_table sees each table's count and checksum as soon as it is written (and may stop the load).
    """
    written: dict[str, TableDigest] = {}
    for plan in plans:
        writer = TableWriter(connection, plan)
        for encoded in rows_of(plan):
            writer.add(encoded)
        writer.flush()
        written[plan.table.name] = writer.digest
        after_table(plan, writer.digest)
        progress(f"{plan.table.name}: {writer.digest.rows:,}")
    fill_deferred(connection, plans)
    move_sequences(connection, plans)
    return written
