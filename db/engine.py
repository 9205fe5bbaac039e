"""Engine and session creation for SQLite, PostgreSQL and MariaDB from one URL, and migrations."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "crm.db"
SQLITE_BUSY_TIMEOUT_MS = 15_000
# A PostgreSQL or MariaDB host that does not answer is given up after this long (README), instead of the
# operating system's TCP timeout (minutes), so the "cannot reach the database" page shows promptly.
CONNECT_TIMEOUT_SECONDS = 5
# The values a database quotes back in its error messages: PostgreSQL's DETAIL (a failing row, a key) and its
# "invalid input syntax", MariaDB's "Duplicate entry '...'" / "Incorrect ... value: '...'". Hidden like the
# statement's parameters.
_READ_ONLY_MARKERS = ("attempt to write a readonly database", "read-only transaction", "--read-only option")
_QUOTED_VALUES = (
    (re.compile(r"(Failing row contains )\(.*?\)(\.?)(?=\n[A-Z]+:|\s*$)", re.DOTALL), r"\1(values hidden)\2"),
    (
        re.compile(r"(Key \([^)]*\))=\(.*?\)( already exists| is (?:not present|still referenced))", re.DOTALL),
        r"\1=(values hidden)\2",
    ),
    (re.compile(r'(invalid input [^:\n]*: )"[^\n]*"'), r"\1(value hidden)"),
    (re.compile(r"(Duplicate entry |value: )'.*?'( for )", re.DOTALL), r"\1(value hidden)\2"),
)


def _sqlite_table_hint(_compiler: SQLiteCompiler, _table: Any, text: str | None) -> str | None:
    return text


# SQLAlchemy's SQLite compiler drops table hints; SQLite's are INDEXED BY / NOT INDEXED after the table name, and a
# few KPI reads need them where the planner walks the wrong index (crm/kpis: `with_hint(..., "sqlite")`).
SQLiteCompiler.get_from_hint_text = _sqlite_table_hint  # type: ignore[method-assign,assignment]


def database_url() -> str:
    """Return the configured database URL: CRM_DATABASE_URL, else a SQLite file under data/."""
    url = os.environ.get("CRM_DATABASE_URL", "").strip()
    if url:
        return normalise_url(url)
    DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def normalise_url(url: str) -> str:
    """Pick our drivers for bare postgresql:// and mysql:// URLs (psycopg 3, PyMySQL)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif parsed.drivername in ("mysql", "mariadb"):
        parsed = parsed.set(drivername="mysql+pymysql")
    if parsed.drivername.startswith("mysql") and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return parsed.render_as_string(hide_password=False)


def masked_url(url: str) -> str:
    """Return the URL with its password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown as "invalid"
        return "<invalid URL>"


class _HiddenRows(logging.Filter):
    """SQLAlchemy logs each row it fetches once its logger is at DEBUG: a user's row holds their password hash
    and email, a contact's their phone. The line stays, without the values."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == "Row %r":
            record.msg, record.args = "Row (values hidden)", ()
        return True


logging.getLogger("sqlalchemy.engine.Engine").addFilter(_HiddenRows())


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout, foreign keys and BEGIN IMMEDIATE writes.

    A failed statement's error never shows the values it was given (a password hash, a phone number): neither
    its parameters nor the values the database quotes back in its message.
    """
    url = normalise_url(url) if url else database_url()
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        sqlite_file = make_url(url).database
        if sqlite_file and sqlite_file != ":memory:" and not sqlite_file.startswith("file:"):
            Path(sqlite_file).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}, **kwargs
        )
        _configure_sqlite(engine)
        event.listen(engine, "handle_error", _hide_quoted_values)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    connect_args = dict(kwargs.pop("connect_args", {}))
    connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
    kwargs["connect_args"] = connect_args
    if url.startswith("postgresql"):
        # No JIT: its compile time (up to 200 ms) outweighs what it saves on the app's short, LIMITed queries,
        # whose cost PostgreSQL overestimates when a LIMIT stops a long index walk early.
        connect_args.setdefault("options", "-c jit=off")
    if url.startswith("mysql"):
        # READ COMMITTED, PostgreSQL's default, which the app's concurrency rules (version checks) are written
        # for. Under InnoDB's REPEATABLE READ a DELETE locks the gaps it scanned and every row inserted there
        # later inherits a lock: rebuilding the search index of a million customers (60 million rows) needs
        # more locks than the default 128 MB buffer pool holds (error 1206).
        kwargs.setdefault("isolation_level", "READ COMMITTED")
        # PyMySQL's connect_timeout covers the TCP connection only: a host that accepts it and never answers
        # (a hung server, a proxy in front of a dead one) is given up by a read timeout on the handshake,
        # lifted once connected (_lift_read_timeout), since a full search reindex runs for minutes.
        connect_args.setdefault("read_timeout", CONNECT_TIMEOUT_SECONDS)
    engine = create_engine(url, **kwargs)
    if url.startswith("mysql"):
        event.listen(engine, "connect", _lift_read_timeout)
    event.listen(engine, "handle_error", _hide_quoted_values)
    return engine


def _lift_read_timeout(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection._read_timeout = None  # PyMySQL applies it again before its next read


def is_read_only_error(error: BaseException) -> bool:
    """Tell whether a database error says the database takes no writes.

    SQLite: the file (or its folder, or the disk) cannot be written by the app, or it was opened with mode=ro.
    PostgreSQL: a standby, or default_transaction_read_only. MariaDB: a server started with --read-only.
    """
    seen: BaseException | None = error
    for _ in range(5):  # the error, the driver's error inside it, what caused them
        if seen is None:
            return False
        if any(marker in str(seen) for marker in _READ_ONLY_MARKERS):
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


# The database (or its disk) has no room left: SQLite, PostgreSQL (ENOSPC), MariaDB (a full table or disk).
_FULL_MARKERS = ("database or disk is full", "No space left on device", "could not extend file", "is full")


def _messages(error: BaseException) -> Iterator[str]:
    seen: BaseException | None = error
    for _ in range(5):  # the error, the driver's error inside it, what caused them
        if seen is None:
            return
        yield str(seen)
        seen = getattr(seen, "orig", None) or seen.__cause__


def is_disk_full_error(error: BaseException) -> bool:
    """Tell whether a database error says there is no room left to write."""
    return any(marker in message for message in _messages(error) for marker in _FULL_MARKERS)


def is_connection_lost(error: BaseException) -> bool:
    """Tell whether a database error means the connection was lost or the server cannot be reached.

    SQLAlchemy marks an error it recognises as a disconnect (connection_invalidated; the pool then replaces the
    connection, so a retry opens a fresh one); a server that refuses new connections raises OperationalError
    before any statement ran.
    """
    if getattr(error, "connection_invalidated", False):
        return True
    return isinstance(error, OperationalError) and any(
        marker in message
        for message in _messages(error)
        for marker in ("Connection refused", "could not connect", "Can't connect", "Lost connection", "server closed")
    )


def hide_values(message: str) -> str:
    """Return a database error message with the values it quotes (a failing row, a duplicate key) hidden."""
    for pattern, replacement in _QUOTED_VALUES:
        message = pattern.sub(replacement, message)
    return message


def _hide_quoted_values(context: Any) -> None:
    # The driver's exception (logged as the cause) and SQLAlchemy's (whose text was built from it) both quote
    # the database's message: rewrite both before anything logs or shows them.
    for error in (context.original_exception, context.sqlalchemy_exception):
        if error is not None and error.args:
            error.args = tuple(hide_values(a) if isinstance(a, str) else a for a in error.args)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself so that writes can start with BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A deferred transaction that reads then writes fails at once with "database is locked";
        # IMMEDIATE takes the write lock up front and so waits out the busy timeout instead.
        options = connection.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            # No transaction at all: SQLAlchemy never commits one here, so ANALYZE or VACUUM run in it were
            # rolled back when the connection went back to the pool.
            return
        if options.get("crm_read_only"):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


class Sessions:
    """The session factory the services receive: `begin()` for a write, `read()` for reads only."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._write = sessionmaker(bind=engine, expire_on_commit=False)
        self._read = sessionmaker(bind=engine.execution_options(crm_read_only=True), expire_on_commit=False)

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """Open one write transaction: committed on success, rolled back on any exception."""
        with self._write.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """Open a read transaction that never writes (rolled back at the end)."""
        session = self._read()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


def refresh_statistics(engine: Engine, tables: Sequence[str], *, vacuum: bool = False) -> None:
    """Let the planner see what a bulk write changed: sample these tables again (outside any transaction).

    vacuum: on PostgreSQL, also clear the dead rows a bulk delete left and mark the pages all-visible, so
    index-only scans stop visiting the table (they did for every gram after a full search index rebuild).
    """
    dialect = engine.dialect.name
    names = ", ".join(tables)
    if dialect == "postgresql":
        statements = [f"{'VACUUM ' if vacuum else ''}ANALYZE {names}"]
    elif dialect in ("mysql", "mariadb"):
        statements = [f"ANALYZE TABLE {names}"]
    else:
        statements = [f"ANALYZE {table}" for table in tables]
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        for statement in statements:
            connection.exec_driver_sql(statement).close()


def move_sequences_past_ids(connection: Connection, tables: Sequence[str]) -> None:
    """PostgreSQL: move each table's id sequence past the ids a bulk load wrote itself."""
    for table in tables:
        connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
        )


def make_session_factory(engine: Engine) -> Sessions:
    """Return the Sessions factory for an engine."""
    return Sessions(engine)


def alembic_config(url: str) -> Any:
    """Build the Alembic configuration for this project's migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "db" / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def compare_column_types(
    context: Any, inspected_column: Any, metadata_column: Any, inspected_type: Any, metadata_type: Any
) -> bool | None:
    """Alembic's type comparison, except that SQLite's NUMERIC precision is no difference.

    SQLite keeps any number whatever the declared precision, and 0013_money_sums leaves its declarations as
    they were: a migration autogenerated on SQLite must not widen them again.
    """
    from sqlalchemy import Numeric

    if context.dialect.name == "sqlite" and isinstance(inspected_type, Numeric) and isinstance(metadata_type, Numeric):
        return False
    return None  # Alembic's own comparison


class UnsupportedCharset(Exception):
    """A MariaDB/MySQL database whose tables do not store utf8mb4 (Chinese names would be refused)."""

    def __init__(self, charset: str) -> None:
        super().__init__(f"the database's character set is {charset}, not utf8mb4")
        self.charset = charset


def upgrade_database(engine: Engine) -> None:
    """Apply every Alembic migration up to head (idempotent)."""
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        if connection.dialect.name in ("mysql", "mariadb"):
            _ensure_utf8mb4(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _ensure_utf8mb4(connection: Connection) -> None:
    """Make an empty MariaDB database store utf8mb4; refuse one that already holds tables in another charset.

    Tables take the database's default character set, and a server's own default may be latin1 (upstream
    MariaDB's), which refuses every Chinese character: such a database is switched before the first table.
    """
    charset = str(connection.exec_driver_sql("SELECT @@character_set_database").scalar())
    if charset == "utf8mb4":
        return
    tables = connection.exec_driver_sql(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"
    ).scalar()
    if tables:
        raise UnsupportedCharset(charset)
    connection.exec_driver_sql("ALTER DATABASE CHARACTER SET utf8mb4")


def current_revision(engine: Engine) -> str | None:
    """Return the database's Alembic revision, or None if it has none."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
