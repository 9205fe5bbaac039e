"""Fixtures of the backup tests: a source holding the demo data and awkward values, and empty targets."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, Engine, Table, insert, select

from crm.demo import load_demo
from db.engine import make_engine, make_session_factory, upgrade_database
from db.models import Base
from tests.conftest import SERVER_BACKENDS, _server_engine, empty_tables

TODAY = dt.date(2025, 6, 15)
# Bytes no text encoding survives: NUL, every byte value, a PNG signature.
ATTACHMENT = b"\x89PNG\r\n\x1a\n\x00" + bytes(range(256)) * 3
EDGE_TEXT = "华为技术 𠀀 emoji 😀 RTL \u202eevil\u202c 'quoted' \"double\" \\ back\nline\ttab " + "长" * 3000
MICROSECONDS = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC)


def add_awkward_values(engine: Engine) -> None:
    """Rows whose values a careless backup would change: extreme amounts, microseconds, bytes, JSON null."""
    with engine.begin() as connection:
        customer_id = connection.scalar(select(Base.metadata.tables["customers"].c.id).order_by("id").limit(1))
        complaint_id = connection.scalar(select(Base.metadata.tables["complaints"].c.id).order_by("id").limit(1))
        tables = Base.metadata.tables
        connection.execute(
            insert(tables["orders"]),
            [
                {"customer_id": customer_id, "order_date": dt.date(1900, 1, 1), "amount": Decimal("999999999999.99"),
                 "notes": EDGE_TEXT, "created_at": MICROSECONDS, "updated_at": MICROSECONDS},
                {"customer_id": customer_id, "order_date": dt.date(2999, 12, 31), "amount": Decimal("0.01"),
                 "notes": None, "product": "", "created_at": MICROSECONDS, "updated_at": MICROSECONDS},
            ],
        )  # fmt: skip
        connection.execute(
            insert(tables["kpi_targets"]),
            [{"kpi": "revenue", "period": "2026-01", "target": Decimal("12345678901234567890.1234")}],
        )
        connection.execute(
            insert(tables["settings"]),
            [
                {"key": "edge_json", "value": {"中文": "值", "list": [1, 2.5, None, True, "𠀀"], "big": 2**62}},
                {"key": "edge_json_null", "value": JSON.NULL},
                {"key": "edge_json_text", "value": "a JSON string, not an object"},
            ],
        )
        if complaint_id is None:  # too few demo customers to have complaints
            return
        connection.execute(
            insert(tables["complaint_attachments"]),
            [
                {
                    "complaint_id": complaint_id,
                    "filename": "扫描件 scan.png",
                    "content_type": "image/png",
                    "size": len(ATTACHMENT),
                    "sha256": "0" * 64,
                    "content": ATTACHMENT,
                    "uploaded_at": MICROSECONDS,
                }
            ],
        )


def load_source(engine: Engine, customers: int = 25) -> None:
    """The demo data at a small size, and the awkward values."""
    load_demo(make_session_factory(engine), customers=customers, seed=7, today=TODAY)
    add_awkward_values(engine)


def table_rows(engine: Engine, table: Table) -> list[tuple[Any, ...]]:
    """Every row of the table as typed Python values (JSON columns with whether they hold SQL NULL), sorted."""
    json_nulls = [c.is_(None) for c in table.columns if isinstance(c.type, JSON)]
    with engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(select(*table.columns, *json_nulls))]
    keys = [list(table.columns).index(c) for c in table.primary_key.columns]
    return sorted(rows, key=lambda row: tuple(repr(row[i]) for i in keys))


def assert_identical(source: Engine, target: Engine) -> int:
    """Every table of the target equals the source's, row by row and value by value; return the rows compared."""
    compared = 0
    for table in Base.metadata.sorted_tables:
        expected, found = table_rows(source, table), table_rows(target, table)
        assert len(found) == len(expected), table.name
        for old, new in zip(expected, found, strict=True):
            assert old == new, table.name
            # == holds between 1.5 and Decimal("1.50") or 1 and True: the types must agree too
            assert [type(v) for v in old] == [type(v) for v in new], table.name
        compared += len(expected)
    return compared


def _database_url(backend: str, suffix: str) -> str | None:
    url = os.environ.get(SERVER_BACKENDS[backend])
    if not url:
        return None
    from sqlalchemy import make_url

    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{suffix}").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def restore_servers() -> Iterator[dict[str, Engine]]:
    """A second database on each server (<test database>_restore), migrated once, emptied before each use."""
    made: dict[str, Engine] = {}
    yield made
    for backend, engine in made.items():
        engine.dispose()
        server = _server_engine(backend)
        name = engine.url.database
        with server.connect() as connection:
            autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
            autocommit.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        server.dispose()


def _server_target(backend: str, made: dict[str, Engine]) -> Engine:
    if backend not in made:
        server = _server_engine(backend)  # skips (or fails under CRM_REQUIRE_ALL_DATABASES) when not set
        url = _database_url(backend, "restore")
        assert url is not None
        name = server.url.database and f"{server.url.database}_restore"
        charset = " CHARACTER SET utf8mb4" if backend == "mariadb" else ""
        with server.connect() as connection:
            autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
            autocommit.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
            autocommit.exec_driver_sql(f"CREATE DATABASE {name}{charset}")
        server.dispose()
        made[backend] = make_engine(url)
        upgrade_database(made[backend])  # once: MariaDB's migrations take some 17 s
    target = made[backend]
    empty_tables(target)
    return target


@pytest.fixture
def make_target(tmp_path: Path, restore_servers: dict[str, Engine]) -> Iterator[Callable[[str], Engine]]:
    """Return a function giving an empty database: SQLite without any table, a server's migrated and empty."""
    sqlite_engines: list[Engine] = []
    used: list[Engine] = []

    def make(backend: str) -> Engine:
        if backend == "sqlite":
            engine = make_engine(f"sqlite:///{tmp_path / f'target{len(sqlite_engines)}.db'}")
            sqlite_engines.append(engine)
            return engine
        engine = _server_target(backend, restore_servers)
        used.append(engine)
        return engine

    yield make
    for engine in sqlite_engines:
        engine.dispose()
    for engine in used:
        empty_tables(engine)
