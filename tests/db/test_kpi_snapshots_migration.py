"""Migration 0005: the unused kpi_snapshots stub becomes key + payload, carrying any stored KPI values both ways."""

from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import Engine, select, text

from db.engine import alembic_config, upgrade_database
from db.models import KpiSnapshot

STAMP = dt.datetime(2026, 11, 1, 8, 30)


def _migrate(engine: Engine, target: str, *, down: bool) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, target)


def test_a_stored_monthly_kpi_value_survives_the_upgrade_and_the_downgrade(engine: Engine) -> None:
    _migrate(engine, "0004_customer_search", down=True)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO kpi_snapshots (period, kpi, scope, value, created_at) "
                "VALUES ('2026-10', 'churn_rate', 'all', 0.0425, :at)"
            ),
            {"at": STAMP},
        )
    upgrade_database(engine)
    with engine.connect() as connection:
        snapshot = connection.execute(select(KpiSnapshot.key, KpiSnapshot.computed_at, KpiSnapshot.payload)).one()
    assert snapshot == ("kpi:churn_rate:2026-10:all", STAMP.replace(tzinfo=dt.UTC), {"value": "0.0425"})
    _migrate(engine, "0004_customer_search", down=True)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT period, kpi, scope, value FROM kpi_snapshots")).one()
    assert (row.period, row.kpi, row.scope, float(row.value)) == ("2026-10", "churn_rate", "all", 0.0425)
    upgrade_database(engine)
