"""Alembic environment: runs on the connection handed in by db.engine, or on the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, pool

from db.engine import compare_column_types, database_url, make_engine
from db.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=compare_column_types,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    url = config.get_main_option("sqlalchemy.url") or database_url()
    engine = make_engine(url, poolclass=pool.NullPool)  # values hidden from errors, as the app's engine
    with engine.connect() as conn:
        run_migrations(conn)
        conn.commit()
