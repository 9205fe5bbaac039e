"""The satisfaction rollups: the dashboard's survey figures summed per company-local month (of responded_at) and
customer segment (db/models/rollups.py), kept in step with the responses by crm.platform.rollups, so CSAT, NPS and
the recovery of a year read a few thousand rows where the responses are hundreds of thousands.

Only live customers' responses that are not archived count, as in crm/satisfaction/figures.py. Size class and
importance are not kept (always ""): no satisfaction figure is filtered or broken down by them, and they multiply
the rows a period reads.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Integer, PrimaryKeyConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base
from db.models.rollups import Segmented

# previous_alert of a customer's first alert ever: before every month of the calendar.
NO_MONTH = dt.date(1000, 1, 1)
SEGMENT_KEYS = ("month", "owner_id", "department_id", "value_tier", "size_class", "importance", "industry", "region")


class SatisfactionMonth(Segmented, Base):
    """The responses given in the month: how many; CSAT's (those with an overall score, its sum, how many scored
    4-5); NPS's (promoters 9-10, passives 7-8, detractors 0-6)."""

    __tablename__ = "satisfaction_months"
    responses: Mapped[int] = mapped_column(Integer, default=0)
    csat_responses: Mapped[int] = mapped_column(Integer, default=0)
    csat_score_sum: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    promoters: Mapped[int] = mapped_column(Integer, default=0)
    passives: Mapped[int] = mapped_column(Integer, default=0)
    detractors: Mapped[int] = mapped_column(Integer, default=0)


class SatisfactionAlertMonth(Segmented, Base):
    """Customers alerted in the month (an alert response in it), per the month of their latest alert before it
    (previous_alert; NO_MONTH: none), with what their first alert of the month was followed by: a later response
    (strictly after it, at any time) and whether that one recovered (NPS 7+ or overall 4+).

    A period starting on a month's first day counts a customer alerted in it once: in the first of its months
    where they were alerted, which is the one whose previous_alert lies before the period."""

    __tablename__ = "satisfaction_alert_months"
    previous_alert: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    customers: Mapped[int] = mapped_column(Integer, default=0)
    followed: Mapped[int] = mapped_column(Integer, default=0)
    recovered: Mapped[int] = mapped_column(Integer, default=0)
    # The month first, as in every rollup: a period's months are a range of the key.
    __table_args__ = (PrimaryKeyConstraint(*SEGMENT_KEYS, "previous_alert"), {"sqlite_with_rowid": False})
