"""The complaint rollups: complaint and suggestion counts, and resolve / acknowledge times, per company-local month
of receipt and customer segment, kept in step by crm.platform.rollups (registered in crm/complaints/rollups.py), so
the dashboard's complaint figures read a few thousand rows where the complaints are hundreds of thousands.

Keys are NOT NULL like every rollup's (db/models/rollups.py): "not set" is 0 for ids and "" for classes. Each
primary key starts with what the reads range over and group by (so they read it in order, without a sort), and
SQLite stores the rows in it (WITHOUT ROWID): a read of twelve months is one range of the table, not a lookup
of each row.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base
from db.models.complaints import Complaint
from db.models.rollups import Segmented

SEGMENT_KEYS = ("owner_id", "department_id", "value_tier", "size_class", "importance", "industry", "region")


class ComplaintMonth(Segmented, Base):
    """Complaints (not archived, of live customers) received in the month, per category ("" for none), with the
    counts behind each rate of crm.complaints.figures; and the suggestions received in the month, under category ""
    (their own categories are another list: only the suggestion columns of those rows count them)."""

    __tablename__ = "complaint_months"
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    received: Mapped[int] = mapped_column(Integer, default=0)
    closed_satisfied: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)  # resolved or closed now (resolved_at set)
    resolved_on_time: Mapped[int] = mapped_column(Integer, default=0)  # resolved_at <= resolve_due_at
    ever_resolved: Mapped[int] = mapped_column(Integer, default=0)  # first_resolved_at set
    reopened: Mapped[int] = mapped_column(Integer, default=0)  # ever resolved and reopened at least once
    acknowledged: Mapped[int] = mapped_column(Integer, default=0)  # responded_at set
    suggestions_evaluated: Mapped[int] = mapped_column(Integer, default=0)
    suggestions_adopted: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (PrimaryKeyConstraint("month", "category", *SEGMENT_KEYS), {"sqlite_with_rowid": False})


class ComplaintTimeMonth(Segmented, Base):
    """How many complaints received in the month took exactly `micros` microseconds to be acknowledged
    (responded_at - received_at) or resolved (resolved_at - received_at - paused time): a histogram whose exact
    keys give the exact median. Durations repeat little in real data, so the medians walk it in buckets first and
    read the exact keys of the middle bucket only (a range of micros per month of the primary key)."""

    __tablename__ = "complaint_time_months"
    timing: Mapped[str] = mapped_column(String(12), primary_key=True)  # acknowledge / resolve
    micros: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    complaints: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (
        PrimaryKeyConstraint("timing", "month", "micros", *SEGMENT_KEYS),
        {"sqlite_with_rowid": False},
    )


# A period's first and last days are read from the complaints themselves (the rest of their months from the
# rollups): this index holds every column those reads need, in received_at order, so they never visit the table.
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
Index("ix_complaints_received_figures", *(Complaint.__table__.c[name] for name in FIGURE_COLUMNS))
