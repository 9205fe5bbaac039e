"""stage move rollups: the dashboard's figures about stage moves (churned, converted and days to sign, moved on,
entered potential/intent) per company-local month and per UTC hour, customer segment, kind and `since_at`

kpi_stage_move_months and kpi_stage_move_hours (crm/kpis/moves.py) count each move with the instant before it a
period must start after to count it, so that a period counts each customer once without reading its stage changes;
days: a conversion's whole days from the customer's creation. Size class and importance always '' (nothing filters
the moves by them). Filled by the application on its next read: the kpi_rollups setting is removed here, so every
rollup is rebuilt (crm.platform.rollups.ensure_built) and kept in step with every write from then on.

Revision ID: 0022
Revises: 0021_revenue_windows
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0022"
down_revision: str | None = "0021_revenue_windows"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Naive UTC, with microseconds on MariaDB (as db.models.UTCDateTime stores it).
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
MOVE_KEYS = ("kind", "since_at", "days", "owner_id", "department_id", "value_tier", "size_class", "importance")


def _columns() -> list[sa.Column]:
    return [
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("since_at", TIMESTAMP, nullable=False),
        sa.Column("days", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("owner_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("department_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value_tier", sa.String(8), nullable=False),
        sa.Column("size_class", sa.String(8), nullable=False),
        sa.Column("importance", sa.String(16), nullable=False),
        sa.Column("industry", sa.String(64), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
    ]


def _forget_built_rollups() -> None:
    settings = sa.table("settings", sa.column("key", sa.String(64)))
    op.execute(settings.delete().where(settings.c.key == "kpi_rollups"))


def upgrade() -> None:
    op.create_table(
        "kpi_stage_move_months",
        sa.Column("month", sa.Date(), nullable=False),
        *_columns(),
        sa.PrimaryKeyConstraint("month", *MOVE_KEYS, "industry", "region", name="pk_kpi_stage_move_months"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "kpi_stage_move_hours",
        sa.Column("hour", TIMESTAMP, nullable=False),
        *_columns(),
        sa.PrimaryKeyConstraint("kind", "hour", *MOVE_KEYS[1:], "industry", "region", name="pk_kpi_stage_move_hours"),
        sqlite_with_rowid=False,
    )
    _forget_built_rollups()


def downgrade() -> None:
    op.drop_table("kpi_stage_move_hours")
    op.drop_table("kpi_stage_move_months")
