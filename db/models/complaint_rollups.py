"""The complaint rollups: complaint and suggestion counts, and resolve / acknowledge times, per company-local month
of receipt and customer segment, kept in step by crm.platform.rollups (registered in crm/complaints/rollups.py), so
the dashboard's complaint figures read a few thousand rows where the complaints are hundreds of thousands.

Keys are NOT NULL like every rollup's (db/models/rollups.py): "not set" is 0 for ids and "" for classes.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base
from db.models.rollups import Segmented


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


class ComplaintTimeMonth(Segmented, Base):
    """How many complaints received in the month took exactly `micros` microseconds to be acknowledged
    (responded_at - received_at) or resolved (resolved_at - received_at - paused time): a histogram whose exact
    keys give the exact median. Durations repeat little in real data, so the medians walk it in buckets first and
    read the exact keys of the middle bucket only (ix_complaint_time_months_micros)."""

    __tablename__ = "complaint_time_months"
    timing: Mapped[str] = mapped_column(String(12), primary_key=True)  # acknowledge / resolve
    micros: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    complaints: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (Index("ix_complaint_time_months_micros", "timing", "micros", "month"),)
