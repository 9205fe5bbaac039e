"""Fault injection for tests: kill a database connection from outside, just before a chosen statement."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, text

from db.engine import make_engine


def _backend_id(dbapi_connection: Any, dialect: str) -> int:
    cursor = dbapi_connection.cursor()
    cursor.execute("SELECT pg_backend_pid()" if dialect == "postgresql" else "SELECT CONNECTION_ID()")
    (backend_id,) = cursor.fetchone()
    cursor.close()
    return int(backend_id)


@contextmanager
def connection_killed_before(engine: Engine, statement_start: str, *, target: Any = None) -> Iterator[list[str]]:
    """Kill the server connection of the first statement starting with statement_start, just before it runs,
    from another connection (as a restarted server or a dropped network would). Yields the statements killed."""
    killed: list[str] = []
    dialect = engine.dialect.name
    killer = make_engine(engine.url.render_as_string(hide_password=False))

    def kill(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if killed or not statement.lstrip().upper().startswith(statement_start):
            return
        backend_id = _backend_id(conn.connection.dbapi_connection, dialect)
        with killer.begin() as other:
            if dialect == "postgresql":
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend_id})
            else:
                other.exec_driver_sql(f"KILL CONNECTION {backend_id}")
        killed.append(statement)

    listened = engine if target is None else target  # target=Engine: every engine, the app's own included
    event.listen(listened, "before_cursor_execute", kill)
    try:
        yield killed
    finally:
        event.remove(listened, "before_cursor_execute", kill)
        killer.dispose()
