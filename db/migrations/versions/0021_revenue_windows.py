"""revenue windows: each customer's revenue in a period, kept in step, for the concentration KPIs

kpi_revenue_windows names a period (first and last day; built once its rows are recounted); kpi_window_revenue
holds each live customer's orders and revenue in it per segment (crm/kpis/windows.py). Both start empty: the
dashboard makes a window on first use of a period and the daily run makes the usual periods' ones. Also
stage_changes (to_stage, changed_at, from_stage, customer_id): one target stage's moves in a period, index-only;
customers (created_at): the customers created in part of a month.

Revision ID: 0021_revenue_windows
Revises: 0020_satisfaction_rollups
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0021_revenue_windows"
down_revision: str | None = "0020_satisfaction_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Naive UTC, with microseconds on MariaDB (as db.models.UTCDateTime stores it).
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "kpi_revenue_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("built", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_kpi_revenue_windows"),
        sa.UniqueConstraint("first_day", "last_day", name="uq_kpi_revenue_windows_first_day_last_day"),
    )
    op.create_table(
        "kpi_window_revenue",
        sa.Column("window_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("customer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("owner_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("department_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value_tier", sa.String(8), nullable=False),
        sa.Column("size_class", sa.String(8), nullable=False),
        sa.Column("importance", sa.String(16), nullable=False),
        sa.Column("industry", sa.String(64), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("orders", sa.BigInteger(), nullable=False),
        sa.Column("revenue", sa.Numeric(24, 2), nullable=False),
        sa.PrimaryKeyConstraint(
            "window_id",
            "customer_id",
            "owner_id",
            "department_id",
            "value_tier",
            "size_class",
            "importance",
            "industry",
            "region",
            name="pk_kpi_window_revenue",
        ),
    )
    op.create_index("ix_kpi_window_revenue_rank", "kpi_window_revenue", ["window_id", "revenue"])
    op.create_index(
        "ix_stage_changes_kpi_to", "stage_changes", ["to_stage", "changed_at", "from_stage", "customer_id"]
    )
    op.create_index("ix_customers_created_at", "customers", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_customers_created_at", table_name="customers")
    op.drop_index("ix_stage_changes_kpi_to", table_name="stage_changes")
    op.drop_index("ix_kpi_window_revenue_rank", table_name="kpi_window_revenue")
    op.drop_table("kpi_window_revenue")
    op.drop_table("kpi_revenue_windows")
