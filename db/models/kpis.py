"""KPIs (DOMAIN.md section 6): the targets KPIs are measured against."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import MONEY_SUM_DIGITS, Base, Versioned


class KpiTarget(Versioned, Base):
    __tablename__ = "kpi_targets"
    id: Mapped[int] = mapped_column(primary_key=True)
    kpi: Mapped[str] = mapped_column(String(48))
    period: Mapped[str] = mapped_column(String(7))
    target: Mapped[Decimal] = mapped_column(Numeric(MONEY_SUM_DIGITS + 2, 4))  # may be a sum: revenue
    __table_args__ = (UniqueConstraint("kpi", "period"),)
