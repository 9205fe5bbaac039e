"""Migrations: from empty to head on every backend, reversible, and in step with the models."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from db.engine import alembic_config, current_revision, upgrade_database
from db.models import Base
from tests.conftest import drop_everything


def _head() -> str:
    from alembic.script import ScriptDirectory

    from db.engine import alembic_config as cfg

    return str(ScriptDirectory.from_config(cfg("sqlite://")).get_current_head())


def test_migrations_build_every_table_from_empty(engine: Engine) -> None:
    drop_everything(engine)
    upgrade_database(engine)
    assert current_revision(engine) == _head()
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_upgrade_twice_is_harmless(engine: Engine) -> None:
    upgrade_database(engine)
    upgrade_database(engine)
    assert current_revision(engine) == _head()


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = [
            d
            for d in compare_metadata(context, Base.metadata)
            if not (
                isinstance(d, tuple)
                and d[0] in ("add_index", "remove_index")
                and engine.dialect.name in ("mysql", "mariadb")
            )
        ]
    assert differences == []


def test_downgrade_to_base_and_back(engine: Engine) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert not (set(Base.metadata.tables) & set(inspect(engine).get_table_names()))
    upgrade_database(engine)
    assert current_revision(engine) == _head()


def test_every_revision_id_fits_alembic_version_column() -> None:
    """alembic_version.version_num is VARCHAR(32): a longer id fails the upgrade on PostgreSQL and MariaDB."""
    from alembic.script import ScriptDirectory

    from db.engine import alembic_config

    revisions = list(ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions())
    assert revisions and all(len(r.revision) <= 32 for r in revisions)


def test_tables_stored_in_key_order_on_sqlite_are_those_the_models_name(engine: Engine) -> None:
    """WITHOUT ROWID is a table option autogenerate does not compare: checked here."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    wanted = {t.name for t in Base.metadata.tables.values() if t.dialect_options["sqlite"].get("with_rowid") is False}
    with engine.connect() as connection:
        made = {
            name
            for name, sql in connection.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
            if sql.rstrip().upper().endswith("WITHOUT ROWID")
        }
    assert made == wanted
