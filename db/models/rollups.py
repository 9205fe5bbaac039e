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
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Computed,
    Date,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    UniqueConstraint,
    case,
    cast,
    column,
    literal_column,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import MONEY_SUM_DIGITS, Base, MoneySum, UTCDateTime

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


class SegmentKeys:
    """The segment every rollup row is keyed by (after the model's own keys: a mixin's columns come last)."""

    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value_tier: Mapped[str] = mapped_column(String(8), primary_key=True)
    size_class: Mapped[str] = mapped_column(String(8), primary_key=True)
    importance: Mapped[str] = mapped_column(String(16), primary_key=True)
    industry: Mapped[str] = mapped_column(String(64), primary_key=True)
    region: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Stored in key order on SQLite (migration 0027): a period's rows are a range of the key, read in place.
    __table_args__: Any = {"sqlite_with_rowid": False}


class Segmented(SegmentKeys):
    """The month and the segment every monthly rollup row is keyed by."""

    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)


class KpiOrderMonth(Segmented, Base):
    """Orders dated in the month (not archived, of live customers): how many and their sum."""

    __tablename__ = "kpi_order_months"
    orders: Mapped[int] = mapped_column(BigInteger, default=0)
    revenue: Mapped[Decimal] = mapped_column(MoneySum, default=Decimal(0))


class KpiOrderDay(SegmentKeys, Base):
    """Orders dated on the company-local day (not archived, of live customers): a period's partial months, which
    kpi_order_months cannot give (read from the orders they cost a pass over those days' orders and their
    customers: 0.6 s for six days at a million customers; the days' rows here are a tenth as many)."""

    __tablename__ = "kpi_order_days"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    orders: Mapped[int] = mapped_column(BigInteger, default=0)
    revenue: Mapped[Decimal] = mapped_column(MoneySum, default=Decimal(0))


class KpiNewCustomerMonth(Segmented, Base):
    """Live customers whose first (not archived) order is dated in the month."""

    __tablename__ = "kpi_new_customer_months"
    customers: Mapped[int] = mapped_column(Integer, default=0)


class KpiNewCustomerDay(SegmentKeys, Base):
    """Live customers whose first (not archived) order is dated on the day: the new customers of a period's partial
    months, which kpi_new_customer_months cannot give (read from the orders they cost a scan of those days' orders
    and a probe for an earlier order per buyer: seconds at a million customers)."""

    __tablename__ = "kpi_new_customer_days"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    customers: Mapped[int] = mapped_column(Integer, default=0)


class KpiStageMonth(Segmented, Base):
    """Customers in each lifecycle stage at the instant the month starts (company-local midnight of its first
    day), as the KPIs read a customer's stage at an instant (crm/kpis/scope.py). Kept for every month of the
    calendar up to its stage horizon (kpi_months.stage_counted), future months included: they hold the current
    stages, so a month that begins needs no step of its own."""

    __tablename__ = "kpi_stage_months"
    stage: Mapped[str] = mapped_column(String(16), primary_key=True)
    customers: Mapped[int] = mapped_column(Integer, default=0)


class KpiStageDay(SegmentKeys, Base):
    """The net change in the customers per lifecycle stage at each company-local day's instants, per segment: +1
    where a customer's event (its creation or a stage change) starts a stage, -1 where its next event ends it,
    as kpi_stage_months counts them. The stage counts at an instant inside a month are the month's (or the next
    month's) counts moved by the whole days between, from a few rows here where the records cost a pass over the
    days' stage changes with a lookup of each one's next (seconds for a week at a million customers)."""

    __tablename__ = "kpi_stage_days"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
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


def revenue_bucket(revenue: Any) -> ColumnElement[int]:
    """SQL: the bucket of a positive revenue, 100 x the digits of its whole amount + its first two digits (a
    single-digit amount: itself; one more where the database rounds the division: 99.50 may give 300), 0 for none
    or less. A larger revenue never lies in a lower bucket on any database (rounding or truncating, the division
    is monotonic, and d00 + 100 stays below every amount of d + 1 digits); no amount below 10**22 overflows."""
    steps = [
        (revenue >= literal_column(str(10 ** (digits - 1))), digits * 100 + cast(revenue / 10 ** (digits - 2), Integer))
        for digits in range(MONEY_SUM_DIGITS - 2, 1, -1)
    ]
    return case(*steps, (revenue > 0, 100 + cast(revenue, Integer)), else_=literal_column("0"))


class KpiWindowRevenue(SegmentKeys, Base):
    """Each live customer's orders and revenue in each window, under its segment (a key: a customer changing
    segment leaves a row of zeros behind and adds one under the new segment), and its revenue's bucket (kept by
    the database), so the concentration groups by a small integer and finds a bucket's rows in revenue order by
    the index (crm/kpis/windows.py)."""

    __tablename__ = "kpi_window_revenue"
    window_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    customer_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    orders: Mapped[int] = mapped_column(BigInteger, default=0)
    revenue: Mapped[Decimal] = mapped_column(MoneySum, default=Decimal(0))
    bucket: Mapped[int] = mapped_column(SmallInteger, Computed(revenue_bucket(column("revenue")), persisted=True))
    # The filters' segment columns in the index too: a filtered concentration reads the index alone (0028).
    __table_args__ = (
        Index(
            "ix_kpi_window_revenue_bucket_segment",
            "window_id",
            "bucket",
            "revenue",
            "orders",
            *("owner_id", "department_id", "value_tier", "industry", "region"),
        ),
    )


# A stage move's `since_at` when the customer has no earlier instant that bounds it: before every record.
NO_INSTANT = dt.datetime(1000, 1, 1, tzinfo=dt.UTC)
MOVE_KEYS = ("kind", "since_at", "days", "owner_id", "department_id", "value_tier", "size_class", "importance")


class KpiStageMoveMonth(Segmented, Base):
    """Stage moves per company-local month of the move, kind and segment (size class and importance kept blank:
    nothing reads them), counted so that a period counts each customer once (crm/kpis/moves.py).

    Each row stands for moves e of one kind (churned; signed from potential or intent, with `days`, the whole days
    from the customer's creation to it; potential or intent moved on; entered into {potential, intent},
    {potential} or {intent}) and an instant `since_at` before them: a period [S, E) counts the row's `customers`
    (a signed sum) when since_at < S <= e < E. For a plain kind (churned, signed, moved on) since_at is the
    customer's previous move of the kind (NO_INSTANT: none), so a period counts each customer's first move of the
    kind in it; an entered kind's rows add and take off the instants S the customer was outside the set at."""

    __tablename__ = "kpi_stage_move_months"
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    since_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), primary_key=True)
    days: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    customers: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (
        PrimaryKeyConstraint("month", *MOVE_KEYS, "industry", "region"),
        {"sqlite_with_rowid": False},
    )


class KpiStageMoveHour(SegmentKeys, Base):
    """The rows of kpi_stage_move_months per UTC hour of the move instead of its local month: the part of a period
    outside its whole months is read from here (whole hours; the minutes around them from the records)."""

    __tablename__ = "kpi_stage_move_hours"
    hour: Mapped[dt.datetime] = mapped_column(UTCDateTime(), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    since_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), primary_key=True)
    days: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    customers: Mapped[int] = mapped_column(Integer, default=0)
    # The kind first: a figure reads a range of hours of each kind it counts.
    __table_args__ = (
        PrimaryKeyConstraint("kind", "hour", *MOVE_KEYS[1:], "industry", "region"),
        {"sqlite_with_rowid": False},
    )
