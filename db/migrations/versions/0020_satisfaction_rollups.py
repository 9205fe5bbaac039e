"""satisfaction rollups: the dashboard's survey figures summed per company-local month and customer segment

satisfaction_months (responses; CSAT's answers, score sum and satisfied; NPS's promoters, passives, detractors) and
satisfaction_alert_months (customers alerted in the month per the month of their previous alert, with what
followed their first alert of the month) are keyed by month and segment like the kpi_* rollups (0018; size class
and importance always '': no satisfaction figure reads them). They are
filled by the application on its next read: the kpi_rollups setting is removed here, so every rollup is rebuilt
(crm.platform.rollups.ensure_built) and kept in step with every write from then on.

Revision ID: 0020_satisfaction_rollups
Revises: 0019_complaint_rollups
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_satisfaction_rollups"
down_revision: str | None = "0019_complaint_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = ["month", "owner_id", "department_id", "value_tier", "size_class", "importance", "industry", "region"]
MONTH_MEASURES = ("responses", "csat_responses", "csat_score_sum", "satisfied", "promoters", "passives", "detractors")
ALERT_MEASURES = ("customers", "followed", "recovered")


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


def _measures(names: Sequence[str]) -> list[sa.Column]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


def _forget_built_rollups() -> None:
    settings = sa.table("settings", sa.column("key", sa.String(64)))
    op.execute(settings.delete().where(settings.c.key == "kpi_rollups"))


def upgrade() -> None:
    op.create_table(
        "satisfaction_months",
        *_segment(),
        *_measures(MONTH_MEASURES),
        sa.PrimaryKeyConstraint(*KEYS, name="pk_satisfaction_months"),
    )
    op.create_table(
        "satisfaction_alert_months",
        *_segment(),
        sa.Column("previous_alert", sa.Date(), nullable=False),
        *_measures(ALERT_MEASURES),
        sa.PrimaryKeyConstraint(*KEYS, "previous_alert", name="pk_satisfaction_alert_months"),
    )
    _forget_built_rollups()


def downgrade() -> None:
    op.drop_table("satisfaction_alert_months")
    op.drop_table("satisfaction_months")
