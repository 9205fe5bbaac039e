"""new customers per day: the customers whose first order falls on each company-local day, per segment

kpi_new_customer_days gives the new customers of a period's partial months (kpi_new_customer_months holds the
whole months): read from the orders they cost a scan of those days' orders and a probe for an earlier order per
buyer, seconds at a million customers. Filled by the application on its next read: the kpi_rollups setting lists
the rollups built, and this one is not in it yet, so it alone is built (crm.platform.rollups.ensure_built).

Revision ID: 0024_new_customer_days
Revises: 0023_cadence_rollups
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_new_customer_days"
down_revision: str | None = "0023_cadence_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEGMENT = ("owner_id", "department_id", "value_tier", "size_class", "importance", "industry", "region")


def upgrade() -> None:
    op.create_table(
        "kpi_new_customer_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("owner_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("department_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value_tier", sa.String(8), nullable=False),
        sa.Column("size_class", sa.String(8), nullable=False),
        sa.Column("importance", sa.String(16), nullable=False),
        sa.Column("industry", sa.String(64), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", *SEGMENT, name="pk_kpi_new_customer_days"),
    )


def downgrade() -> None:
    op.drop_table("kpi_new_customer_days")
