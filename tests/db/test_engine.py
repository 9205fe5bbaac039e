"""Engine set-up: SQLite pragmas, BEGIN IMMEDIATE writes, URL handling."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text, update

from crm.customers.service import CustomerInput, create_customer
from crm.platform.permissions import SYSTEM
from db.engine import (
    UnsupportedCharset,
    make_engine,
    make_session_factory,
    masked_url,
    normalise_url,
    refresh_statistics,
    upgrade_database,
)
from db.models import Setting


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_sqlite_write_transactions_begin_immediate(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    statements: list[str] = []
    from sqlalchemy import event

    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    sessions = make_session_factory(engine)
    upgrade_database(engine)
    statements.clear()
    with sessions.begin() as session:
        session.execute(text("SELECT 1"))
    with sessions.read() as session:
        session.execute(text("SELECT 1"))
    begins = [s for s in statements if s.startswith("BEGIN")]
    assert begins == ["BEGIN IMMEDIATE", "BEGIN"]


def test_concurrent_read_then_write_transactions_wait_instead_of_failing(tmp_path: Path) -> None:
    """Two writers that each read then write: with BEGIN IMMEDIATE neither gets 'database is locked'."""
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    upgrade_database(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        session.add(Setting(key="counter", value=0))
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(20):
                with sessions.begin() as session:
                    value = session.scalar(select(Setting.value).where(Setting.key == "counter"))
                    session.execute(update(Setting).where(Setting.key == "counter").values(value=value + 1))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with sessions.read() as session:
        assert session.scalar(select(Setting.value).where(Setting.key == "counter")) == 80


def test_statistics_refreshed_outside_a_transaction_stay_on_sqlite(tmp_path: Path) -> None:
    """ANALYZE under AUTOCOMMIT used to run inside a BEGIN the engine opened itself and never committed: the
    planner kept no statistics at all and picked its indexes blind."""
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    upgrade_database(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        session.add(Setting(key="counter", value=0))
    refresh_statistics(engine, ["settings"])
    engine.dispose()
    with make_engine(f"sqlite:///{tmp_path / 'x.db'}").connect() as connection:
        tables = connection.exec_driver_sql("SELECT DISTINCT tbl FROM sqlite_stat1").scalars().all()
    assert tables == ["settings"]


def test_bare_urls_get_our_drivers_and_passwords_are_masked() -> None:
    assert normalise_url("postgresql://u:p@h/db").startswith("postgresql+psycopg://")
    assert normalise_url("mysql://u:p@h/db").startswith("mysql+pymysql://")
    assert "charset=utf8mb4" in normalise_url("mysql://u:p@h/db")
    assert "secret" not in masked_url("postgresql://user:secret@host/db")
    assert "***" in masked_url("postgresql://user:secret@host/db")


def test_postgresql_connections_run_without_jit(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    with engine.connect() as connection:
        assert connection.scalar(text("SHOW jit")) == "off"


@pytest.fixture
def mariadb_database() -> Iterator[Callable[[str], Engine]]:
    """Make databases of a given character set on the MariaDB test server (dropped afterwards)."""
    from tests.conftest import _server_engine

    server = _server_engine("mariadb")
    made: list[tuple[str, Engine]] = []

    def make(charset: str) -> Engine:
        name = f"crm_charset_{charset}_{len(made)}"
        with server.begin() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
            connection.exec_driver_sql(f"CREATE DATABASE {name} CHARACTER SET {charset}")
        engine = make_engine(server.url.set(database=name).render_as_string(hide_password=False))
        made.append((name, engine))
        return engine

    yield make
    for name, engine in made:
        engine.dispose()
        with server.begin() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
    server.dispose()


def test_mariadb_connections_run_read_committed(mariadb_database: Callable[[str], Engine]) -> None:
    engine = mariadb_database("utf8mb4")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT @@tx_isolation").scalar() == "READ-COMMITTED"


def test_an_empty_latin1_mariadb_database_is_switched_to_utf8mb4_before_the_first_table(
    mariadb_database: Callable[[str], Engine],
) -> None:
    engine = mariadb_database("latin1")  # upstream MariaDB's default: it refuses every Chinese character
    upgrade_database(engine)
    with engine.connect() as connection:
        charsets = set(
            connection.exec_driver_sql(
                "SELECT DISTINCT character_set_name FROM information_schema.columns "
                "WHERE table_schema = DATABASE() AND character_set_name IS NOT NULL"
            ).scalars()
        )
    assert charsets == {"utf8mb4"}
    created = create_customer(make_session_factory(engine), actor=SYSTEM, data=CustomerInput(name="华为技术有限公司"))
    assert created.name == "华为技术有限公司"


def test_a_mariadb_database_with_tables_in_another_charset_is_refused_with_the_reason(
    mariadb_database: Callable[[str], Engine],
) -> None:
    engine = mariadb_database("latin1")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE legacy (id INTEGER PRIMARY KEY)")
    with pytest.raises(UnsupportedCharset) as refused:
        upgrade_database(engine)
    assert refused.value.charset == "latin1"
    with engine.connect() as connection:  # nothing of ours was created
        tables = set(connection.exec_driver_sql("SHOW TABLES").scalars())
    assert tables == {"legacy"}
