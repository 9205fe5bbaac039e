"""complaint rollups: the dashboard's complaint figures summed per company-local month and customer segment

complaint_months (per category: complaints received, closed satisfied, resolved, resolved on time, ever resolved,
reopened, acknowledged; suggestions evaluated and adopted under category "") and complaint_time_months (how many
complaints took exactly so many microseconds to be acknowledged or resolved: the exact medians) are keyed by the
month of receipt and the segment like the kpi_* rollups (0018); ix_complaints_received_figures covers the reads of
the complaints of a period's partial months. They are filled by the application on its next
read: the kpi_rollups setting is removed here, so every rollup is rebuilt (crm.platform.rollups.ensure_built) and
kept in step with every write from then on.

Revision ID: 0019_complaint_rollups
Revises: 0018_kpi_rollups
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_complaint_rollups"
down_revision: str | None = "0018_kpi_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEGMENT_KEYS = ["owner_id", "department_id", "value_tier", "size_class", "importance", "industry", "region"]
MONTH_MEASURES = (
    "received",
    "closed_satisfied",
    "resolved",
    "resolved_on_time",
    "ever_resolved",
    "reopened",
    "acknowledged",
    "suggestions_evaluated",
    "suggestions_adopted",
)
FIGURE_COLUMNS = (
    "received_at",
    "archived_at",
    "customer_id",
    "category",
    "status",
    "customer_satisfied",
    "resolved_at",
    "resolve_due_at",
    "first_resolved_at",
    "reopen_count",
    "responded_at",
    "paused_seconds",
)


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


def _forget_built_rollups() -> None:
    settings = sa.table("settings", sa.column("key", sa.String(64)))
    op.execute(settings.delete().where(settings.c.key == "kpi_rollups"))


def upgrade() -> None:
    # Each primary key starts with what the reads range over and group by; SQLite keeps the rows in it.
    op.create_table(
        "complaint_months",
        *_segment(),
        sa.Column("category", sa.String(32), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in MONTH_MEASURES),
        sa.PrimaryKeyConstraint("month", "category", *SEGMENT_KEYS, name="pk_complaint_months"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "complaint_time_months",
        *_segment(),
        sa.Column("timing", sa.String(12), nullable=False),
        sa.Column("micros", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("complaints", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("timing", "month", "micros", *SEGMENT_KEYS, name="pk_complaint_time_months"),
        sqlite_with_rowid=False,
    )
    # The partial months' reads of the complaints themselves, from this index alone.
    op.create_index("ix_complaints_received_figures", "complaints", list(FIGURE_COLUMNS))
    _forget_built_rollups()


def downgrade() -> None:
    op.drop_index("ix_complaints_received_figures", table_name="complaints")
    op.drop_table("complaint_time_months")
    op.drop_table("complaint_months")
