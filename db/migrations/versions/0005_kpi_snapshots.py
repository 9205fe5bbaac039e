"""kpi snapshots: figures frozen under a key with the instant they were computed (team view, managers' KPIs)

The initial schema had a kpi_snapshots stub (id, period, kpi, scope, value, created_at) that no code ever
wrote. It becomes one row per key: computed_at and a JSON payload, which holds a single monthly KPI value as
well as the team view's table. Readers use a row while it is younger than their max age and computed for the
same period; otherwise they compute live and upsert. Any rows of the stub are carried over as
key "kpi:<kpi>:<period>:<scope>", payload {"value": "<decimal>"}, and back again on downgrade.

Revision ID: 0005_kpi_snapshots
Revises: 0004_customer_search
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0005_kpi_snapshots"
down_revision: str | None = "0004_customer_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Naive UTC, with microseconds on MariaDB (as db.models.UTCDateTime stores it).
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
OLD_COLUMNS = ("id", "period", "kpi", "scope", "value", "created_at")


def _old_table() -> sa.TableClause:
    return sa.table("kpi_snapshots", *(sa.column(name) for name in OLD_COLUMNS))


def _new_table() -> sa.TableClause:
    return sa.table("kpi_snapshots", sa.column("key"), sa.column("computed_at"), sa.column("payload", sa.JSON()))


def upgrade() -> None:
    bind = op.get_bind()
    old_rows = bind.execute(sa.select(*_old_table().c)).all()
    op.drop_table("kpi_snapshots")
    op.create_table(
        "kpi_snapshots",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("computed_at", TIMESTAMP, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_kpi_snapshots")),
    )
    if old_rows:
        op.bulk_insert(_new_table(), [
            {"key": f"kpi:{row.kpi}:{row.period}:{row.scope}", "computed_at": row.created_at,
             "payload": {"value": None if row.value is None else str(row.value)}} for row in old_rows])


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(*_new_table().c)).all()
    op.drop_table("kpi_snapshots")
    op.create_table(
        "kpi_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("kpi", sa.String(length=48), nullable=False),
        sa.Column("scope", sa.String(length=120), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_snapshots")),
        sa.UniqueConstraint("period", "kpi", "scope", name=op.f("uq_kpi_snapshots_period_kpi_scope")),
    )
    # Only the monthly KPI values have a place in the old shape; the other snapshots are recomputable caches.
    old = []
    for key, computed_at, payload in rows:
        parts = key.split(":", 3)
        if len(parts) == 4 and parts[0] == "kpi" and isinstance(payload, dict):
            old.append({"period": parts[2], "kpi": parts[1], "scope": parts[3], "value": payload.get("value"),
                        "created_at": computed_at})
    if old:
        op.bulk_insert(_old_table(), old)
