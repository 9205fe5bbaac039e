"""kpi rollups: the dashboard's figures summed per company-local month and customer segment

kpi_months is the company-local calendar (each month's first day and the UTC instants it starts and ends at, and
whether stage counts are kept for it); kpi_order_months (orders, revenue), kpi_new_customer_months (customers
whose first order falls in the month) and kpi_stage_months (customers per stage at the month's start) are keyed
by month and segment (owner, department, value tier, size class, importance, industry, region; 0 or "" where not
set). They are filled by the application on its first start after this migration (crm.platform.rollups.rebuild,
as the kpi_rollups setting is missing) and kept in step with every write from then on.

Revision ID: 0018_kpi_rollups
Revises: 0017_kpi_indexes
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0018_kpi_rollups"
down_revision: str | None = "0017_kpi_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Naive UTC, with microseconds on MariaDB (as db.models.UTCDateTime stores it).
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
MONEY_SUM = sa.Numeric(24, 2)


def _segment() -> list[sa.Column]:
    return [
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("owner_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("department_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value_tier", sa.String(8), nullable=False),
        sa.Column("size_class", sa.String(8), nullable=False),
        sa.Column("importance", sa.String(16), nullable=False),
        sa.Column("industry", sa.String(64), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
    ]


KEYS = ["month", "owner_id", "department_id", "value_tier", "size_class", "importance", "industry", "region"]


def upgrade() -> None:
    op.create_table(
        "kpi_months",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("next_month", sa.Date(), nullable=False),
        sa.Column("start_at", TIMESTAMP, nullable=False),
        sa.Column("end_at", TIMESTAMP, nullable=False),
        sa.Column("stage_counted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("month", name="pk_kpi_months"),
        sa.UniqueConstraint("start_at", name="uq_kpi_months_start_at"),
    )
    op.create_table(
        "kpi_order_months",
        *_segment(),
        sa.Column("orders", sa.BigInteger(), nullable=False),
        sa.Column("revenue", MONEY_SUM, nullable=False),
        sa.PrimaryKeyConstraint(*KEYS, name="pk_kpi_order_months"),
    )
    op.create_table(
        "kpi_new_customer_months",
        *_segment(),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*KEYS, name="pk_kpi_new_customer_months"),
    )
    op.create_table(
        "kpi_stage_months",
        *_segment(),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*KEYS, "stage", name="pk_kpi_stage_months"),
    )


def downgrade() -> None:
    for table in ("kpi_stage_months", "kpi_new_customer_months", "kpi_order_months", "kpi_months"):
        op.drop_table(table)
