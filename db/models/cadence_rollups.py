"""The cadence compliance rollups (crm/kpis/cadence.py) and the zone offsets that place instants in local days.

Cadence compliance at an instant counts the customers (with an owner, existing and not churned then) whose last
contact before it lies within their class's cadence. Read from the activities that is each customer's last contact
before the instant: a million index seeks at the issue's scale. Kept here instead: for every company-local day,
how the number of customers in cadence at its midnight changes from the day before (kpi_cadence_days), and the
number at each month's first midnight (kpi_cadence_months); a midnight's figure is its month's plus the days'
changes up to it. Size class and importance are not kept (""): nothing filters or breaks cadence down by them.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base
from db.models.rollups import Segmented, SegmentKeys


class KpiZoneOffset(Base):
    """The company time zone's UTC offset (seconds) from each instant (seconds since 1970-01-01 UTC) until the
    next row's: rebuilt with the calendar (kpi_months)."""

    __tablename__ = "kpi_zone_offsets"
    from_epoch: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    offset_seconds: Mapped[int] = mapped_column(Integer)


class KpiCadenceDay(SegmentKeys, Base):
    """Per company-local day (days since 1970-01-01) and segment: customers in cadence at the day's midnight less
    those at the previous day's."""

    __tablename__ = "kpi_cadence_days"
    day: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    customers: Mapped[int] = mapped_column(Integer, default=0)


class KpiCadenceMonth(Segmented, Base):
    """Per month and segment: customers in cadence at the month's first midnight."""

    __tablename__ = "kpi_cadence_months"
    customers: Mapped[int] = mapped_column(Integer, default=0)
