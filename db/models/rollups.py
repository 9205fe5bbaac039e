"""The KPI rollups: figures summed per company-local month and customer segment, kept in step with the records they
count in the same transaction (crm/platform/rollups.py), so the managers' dashboard reads a few thousand rows
where the records are millions.

A segment is what the dashboard filters and breaks customers down by: owner, department, value tier, size class,
importance, industry and region, as the customer holds them now. Keys are NOT NULL so that one upsert finds its
row on every database: "not set" is 0 for the ids and "" for the classes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, MoneySum, UTCDateTime

NO_ID = 0
NO_CLASS = ""


class KpiMonth(Base):
    """The company-local calendar: each month's first day, the next month's, and the UTC instants they start at
    (rebuilt when the company's time zone changes), so a timestamp finds its month on every database."""

    __tablename__ = "kpi_months"
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    next_month: Mapped[dt.date] = mapped_column(Date)
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), unique=True)
    end_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # Months whose start the stage counts are kept for: up to a few years past today (crm.platform.rollups).
    stage_counted: Mapped[bool] = mapped_column(Boolean, default=False)


class Segmented:
    """The month and the segment every rollup row is keyed by."""

    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value_tier: Mapped[str] = mapped_column(String(8), primary_key=True)
    size_class: Mapped[str] = mapped_column(String(8), primary_key=True)
    importance: Mapped[str] = mapped_column(String(16), primary_key=True)
    industry: Mapped[str] = mapped_column(String(64), primary_key=True)
    region: Mapped[str] = mapped_column(String(64), primary_key=True)


class KpiOrderMonth(Segmented, Base):
    """Orders dated in the month (not archived, of live customers): how many and their sum."""

    __tablename__ = "kpi_order_months"
    orders: Mapped[int] = mapped_column(BigInteger, default=0)
    revenue: Mapped[Decimal] = mapped_column(MoneySum, default=Decimal(0))


class KpiNewCustomerMonth(Segmented, Base):
    """Live customers whose first (not archived) order is dated in the month."""

    __tablename__ = "kpi_new_customer_months"
    customers: Mapped[int] = mapped_column(Integer, default=0)


class KpiStageMonth(Segmented, Base):
    """Customers in each lifecycle stage at the instant the month starts (company-local midnight of its first
    day), as the KPIs read a customer's stage at an instant (crm/kpis/scope.py). Kept for every month of the
    calendar up to its stage horizon (kpi_months.stage_counted), future months included: they hold the current
    stages, so a month that begins needs no step of its own."""

    __tablename__ = "kpi_stage_months"
    stage: Mapped[str] = mapped_column(String(16), primary_key=True)
    customers: Mapped[int] = mapped_column(Integer, default=0)


class KpiRevenueWindow(Base):
    """A period (first and last day) whose revenue per customer is kept (kpi_window_revenue), for the revenue
    concentration KPIs: the daily run prepares the dashboard's usual periods, another period gets its window on
    first use. Readers use a window once built (its rows recounted after the row was committed, so every write
    since is in it)."""

    __tablename__ = "kpi_revenue_windows"
    id: Mapped[int] = mapped_column(primary_key=True)
    first_day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)
    built: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    __table_args__ = (UniqueConstraint("first_day", "last_day"),)


class KpiWindowRevenue(Base):
    """Each live customer's orders and revenue in each window, under its segment (a key: a customer changing
    segment leaves a row of zeros behind and adds one under the new segment)."""

    __tablename__ = "kpi_window_revenue"
    window_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    customer_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value_tier: Mapped[str] = mapped_column(String(8), primary_key=True)
    size_class: Mapped[str] = mapped_column(String(8), primary_key=True)
    importance: Mapped[str] = mapped_column(String(16), primary_key=True)
    industry: Mapped[str] = mapped_column(String(64), primary_key=True)
    region: Mapped[str] = mapped_column(String(64), primary_key=True)
    orders: Mapped[int] = mapped_column(BigInteger, default=0)
    revenue: Mapped[Decimal] = mapped_column(MoneySum, default=Decimal(0))
    __table_args__ = (Index("ix_kpi_window_revenue_rank", "window_id", "revenue"),)
