"""rollups per day: orders and stage changes per company-local day, per segment

kpi_order_days gives the orders of a period's partial months (kpi_order_months holds the whole months); read from
the orders they cost a pass over those days' orders and their customers, 0.6 s for six days at a million
customers. kpi_stage_days gives the net change in customers per stage on each day, so the stage counts at an
instant inside a month are the month's counts moved by whole days from a few rows; read from the stage changes
they cost seconds for a week at a million customers. Both filled by the application on its next read: the
kpi_rollups setting lists the rollups built, and these are not in it yet, so they alone are built
(crm.platform.rollups.ensure_built).

Revision ID: 0026_day_rollups
Revises: 0025_window_revenue_buckets
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0026_day_rollups"
down_revision: str | None = "0025_window_revenue_buckets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEGMENT = ("owner_id", "department_id", "value_tier", "size_class", "importance", "industry", "region")


def _segment_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("owner_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("department_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value_tier", sa.String(8), nullable=False),
        sa.Column("size_class", sa.String(8), nullable=False),
        sa.Column("importance", sa.String(16), nullable=False),
        sa.Column("industry", sa.String(64), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "kpi_order_days",
        sa.Column("day", sa.Date(), nullable=False),
        *_segment_columns(),
        sa.Column("orders", sa.BigInteger(), nullable=False),
        sa.Column("revenue", sa.Numeric(24, 2), nullable=False),
        sa.PrimaryKeyConstraint("day", *SEGMENT, name="pk_kpi_order_days"),
    )
    op.create_table(
        "kpi_stage_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        *_segment_columns(),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "stage", *SEGMENT, name="pk_kpi_stage_days"),
    )


def downgrade() -> None:
    op.drop_table("kpi_stage_days")
    op.drop_table("kpi_order_days")
