"""cadence rollups: cadence compliance per company-local day and month, and the zone offsets placing instants in days

kpi_zone_offsets holds the company time zone's UTC offset from each instant on (rebuilt with the calendar:
kpi_months is emptied here so that the next read rebuilds both); kpi_cadence_days the change per day and segment
in the customers in cadence at midnight, kpi_cadence_months their number at each month's first midnight
(crm/kpis/cadence.py). activities (occurred_at, customer_id): the contacts of a range of time, for the customers
whose cadence runs out today. Filled by the application on its next read: the kpi_rollups setting is removed.

Revision ID: 0023_cadence_rollups
Revises: 0022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_cadence_rollups"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEGMENT = ("owner_id", "department_id", "value_tier", "size_class", "importance", "industry", "region")


def _segment_columns() -> list[sa.Column]:
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
        "kpi_zone_offsets",
        sa.Column("from_epoch", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("offset_seconds", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("from_epoch", name="pk_kpi_zone_offsets"),
    )
    op.create_table(
        "kpi_cadence_days",
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        *_segment_columns(),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", *SEGMENT, name="pk_kpi_cadence_days"),
    )
    op.create_table(
        "kpi_cadence_months",
        sa.Column("month", sa.Date(), nullable=False),
        *_segment_columns(),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", *SEGMENT, name="pk_kpi_cadence_months"),
    )
    op.create_index("ix_activities_occurred_at", "activities", ["occurred_at", "customer_id"])
    op.execute(sa.table("kpi_months").delete())
    settings = sa.table("settings", sa.column("key", sa.String(64)))
    op.execute(settings.delete().where(settings.c.key == "kpi_rollups"))


def downgrade() -> None:
    op.drop_index("ix_activities_occurred_at", table_name="activities")
    op.drop_table("kpi_cadence_months")
    op.drop_table("kpi_cadence_days")
    op.drop_table("kpi_zone_offsets")
