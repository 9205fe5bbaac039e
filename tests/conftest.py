"""Shared fixtures: a migrated database per backend (SQLite file always; PostgreSQL and MariaDB when set)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, Table, inspect, text

from crm.follow_ups import calendar_counts
from db.engine import Sessions, make_engine, make_session_factory, upgrade_database
from db.models import Base

os.environ.setdefault("CRM_BCRYPT_ROUNDS", "4")  # bcrypt's cost only slows the suite down

SERVER_BACKENDS = {"postgresql": "CRM_TEST_POSTGRES_URL", "mariadb": "CRM_TEST_MARIADB_URL"}


def _require_all() -> bool:
    # .ci/run sets this: a skipped PostgreSQL or MariaDB run is then a failure, not a skip.
    return os.environ.get("CRM_REQUIRE_ALL_DATABASES") == "1"


def drop_everything(engine: Engine) -> None:
    """Drop every table (ours and Alembic's) so a migration can start from empty."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        elif engine.dialect.name in ("mysql", "mariadb"):
            connection.execute(text("SET FOREIGN_KEY_CHECKS=0"))
            for table in inspect(connection).get_table_names():
                connection.execute(text(f"DROP TABLE `{table}`"))
            connection.execute(text("SET FOREIGN_KEY_CHECKS=1"))
        else:
            Base.metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _tables_with_rows(connection: Connection) -> list[Table]:
    tables = Base.metadata.sorted_tables
    quote = connection.dialect.identifier_preparer.quote
    has_rows = connection.execute(
        text("SELECT " + ", ".join(f"EXISTS (SELECT 1 FROM {quote(t.name)})" for t in tables))
    ).one()
    return [t for t, rows in zip(tables, has_rows, strict=True) if rows]


def empty_tables(engine: Engine) -> None:
    """Delete every row, children first, and restart the ids, keeping the schema.

    Only the tables a test wrote to are touched: TRUNCATE ... CASCADE of all 38 tables took 0.5 to 1 s on
    PostgreSQL (twice per test, longer than most tests' bodies), and TRUNCATE of each 80 to 600 ms on MariaDB.
    """
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            dirty = _tables_with_rows(connection)
            if any(t.name == "activities" for t in dirty):
                connection.execute(text("UPDATE activities SET task_id = NULL"))
            for table in reversed(dirty):
                connection.execute(table.delete())
            # What TRUNCATE ... RESTART IDENTITY did: ids start at 1 again (a failed insert uses one up too).
            used = connection.execute(
                text(
                    "SELECT sequencename FROM pg_sequences "
                    "WHERE schemaname = current_schema() AND last_value IS NOT NULL"
                )
            )
            for sequence in used.scalars().all():
                connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
            return
        if engine.dialect.name in ("mysql", "mariadb"):
            dirty = {t.name for t in _tables_with_rows(connection)} | set(
                connection.execute(
                    text(
                        "SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = DATABASE() AND auto_increment > 1"
                    )
                )
                .scalars()
                .all()
            )
            connection.execute(text("SET FOREIGN_KEY_CHECKS=0"))
            for name in sorted(dirty & set(Base.metadata.tables)):
                connection.execute(text(f"TRUNCATE TABLE `{name}`"))
            connection.execute(text("SET FOREIGN_KEY_CHECKS=1"))
            return
        connection.execute(text("UPDATE activities SET task_id = NULL"))
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


def _server_engine(backend: str) -> Engine:
    url = os.environ.get(SERVER_BACKENDS[backend])
    if not url:
        if _require_all():
            pytest.fail(f"{SERVER_BACKENDS[backend]} is not set but CRM_REQUIRE_ALL_DATABASES=1")
        pytest.skip(f"{SERVER_BACKENDS[backend]} not set")
    engine = make_engine(url)
    try:
        with engine.connect():
            pass
    except Exception as exc:  # noqa: BLE001
        if _require_all():
            pytest.fail(f"{backend} at {SERVER_BACKENDS[backend]} unreachable: {exc}")
        pytest.skip(f"{backend} unreachable: {exc}")
    return engine


@pytest.fixture(scope="session")
def server_engines() -> Iterator[dict[str, Engine]]:
    engines: dict[str, Engine] = {}
    yield engines
    for engine in engines.values():
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session: tests copy it rather than run every migration each time.

    Migrating takes longer than most tests' bodies (some 90 ms of Alembic and DDL); copying the file, about 2 ms.
    Tests of the migrations themselves still migrate for real (they drop, downgrade and upgrade their copy).
    """
    path = tmp_path_factory.mktemp("template") / "crm.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_database(engine)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM")  # drop the pages the table-rebuilding migrations freed: smaller copies
    engine.dispose()  # the last connection to close writes the WAL back into the file and deletes it
    assert not path.with_name(f"{path.name}-wal").exists(), "a connection to the template is still open"
    return path


@pytest.fixture
def migrated_sqlite_file(sqlite_template: Path) -> Callable[[Path], Path]:
    """Return a function that puts a migrated, empty SQLite file at the given path (a copy of the template)."""

    def copy(path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sqlite_template, path)
        return path

    return copy


@pytest.fixture
def engine(
    backend: str, tmp_path: Path, server_engines: dict[str, Engine], migrated_sqlite_file: Callable[[Path], Path]
) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    if backend == "sqlite":
        sqlite_engine = make_engine(f"sqlite:///{migrated_sqlite_file(tmp_path / 'crm.db')}")
        yield sqlite_engine
        assert_calendar_counts_in_step(sqlite_engine)
        sqlite_engine.dispose()
        return
    if backend not in server_engines:
        server_engine = _server_engine(backend)
        drop_everything(server_engine)
        upgrade_database(server_engine)
        server_engines[backend] = server_engine
    server_engine = server_engines[backend]
    empty_tables(server_engine)
    yield server_engine
    try:
        assert_calendar_counts_in_step(server_engine)
    finally:
        empty_tables(server_engine)


def assert_calendar_counts_in_step(engine: Engine) -> None:
    """Whatever a test did through the app's code, the calendar's maintained counts equal a recount."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("follow_up_day_counts"):
            return  # a migration test left the schema elsewhere
        assert calendar_counts.stored(connection) == calendar_counts.recount(connection), (
            "follow_up_day_counts drifted from the open follow-ups"
        )


@pytest.fixture
def sessions(engine: Engine) -> Sessions:
    return make_session_factory(engine)


@pytest.fixture
def sqlite_sessions(tmp_path: Path, migrated_sqlite_file: Callable[[Path], Path]) -> Iterator[Sessions]:
    """A migrated SQLite file database only, for tests of SQLite-specific behaviour."""
    sqlite_engine = make_engine(f"sqlite:///{migrated_sqlite_file(tmp_path / 'crm.db')}")
    yield make_session_factory(sqlite_engine)
    sqlite_engine.dispose()
