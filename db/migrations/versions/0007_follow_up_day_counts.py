"""follow-up day counts: open follow-ups per owner and company-local day, for the calendar

The calendar counted each day's open follow-ups from follow_up_tasks, which reads every one of them: a week per
owner took 183 ms at 1,000,000 customers against 7 ms at 1,000. follow_up_day_counts keeps those counts,
moved in the same transaction as every task change (crm/calendar_counts.py). This migration fills it from the
open tasks, by the day their due time falls on in the company's time zone (the "timezone" setting).

Revision ID: 0007_follow_up_day_counts
Revises: 0006_follow_up_queue_index
"""

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "0007_follow_up_day_counts"
down_revision: str | None = "0006_follow_up_queue_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_TIMEZONE = "Asia/Shanghai"
BATCH = 5_000


def _company_timezone(bind: sa.Connection) -> ZoneInfo:
    settings = sa.table("settings", sa.column("key", sa.String()), sa.column("value", sa.JSON()))
    value = bind.execute(sa.select(settings.c.value).where(settings.c.key == "timezone")).scalar()
    try:
        return ZoneInfo(str(value or DEFAULT_TIMEZONE))
    except (KeyError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def upgrade() -> None:
    table = op.create_table(
        "follow_up_day_counts",
        sa.Column("owner_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("open_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("owner_id", "day", name=op.f("pk_follow_up_day_counts")),
    )
    op.create_index("ix_follow_up_day_counts_day", "follow_up_day_counts", ["day", "owner_id"])
    bind = op.get_bind()
    tz = _company_timezone(bind)
    counts: Counter[tuple[int, dt.date]] = Counter()
    for owner_id, due_at in bind.execute(sa.text("SELECT owner_id, due_at FROM follow_up_tasks "
                                                 "WHERE status = 'open'")):
        if isinstance(due_at, str):  # SQLite hands back text
            due_at = dt.datetime.fromisoformat(due_at)
        counts[(owner_id or 0, due_at.replace(tzinfo=dt.UTC).astimezone(tz).date())] += 1
    rows = [{"owner_id": owner, "day": day, "open_count": n} for (owner, day), n in sorted(counts.items())]
    for start in range(0, len(rows), BATCH):
        op.bulk_insert(table, rows[start:start + BATCH])


def downgrade() -> None:
    op.drop_index("ix_follow_up_day_counts_day", table_name="follow_up_day_counts")
    op.drop_table("follow_up_day_counts")
