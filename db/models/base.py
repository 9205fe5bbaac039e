"""What every model shares: Base and its one metadata, UTC datetimes, money types, timestamp and version mixins."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import DateTime, Integer, MetaData, Numeric, Table, TypeDecorator
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Store naive UTC in the database, hand out aware UTC datetimes (MariaDB has no time zones)."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        # MariaDB's DATETIME drops fractions of a second unless asked; session checks need them.
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


def utcnow() -> dt.datetime:
    """Return the current time as an aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


# One amount (an order, a contract, a payment): at most crm.platform.validation.MAX_AMOUNT, 999,999,999,999.99.
Money = Numeric(14, 2)
# A sum of amounts (a customer's revenue, a revenue target) has room for the largest amount on every order the
# orders table can number (INTEGER ids on PostgreSQL and MariaDB): (2**31 - 1) * 10**12 < 10**22.
MAX_ORDERS = 2**31 - 1
MONEY_SUM_DIGITS = 24
MoneySum = Numeric(MONEY_SUM_DIGITS, 2)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime(), Decimal: Money}
    if TYPE_CHECKING:
        # Every model maps one table. SQLAlchemy types __table__ as any FromClause (a model may map a join),
        # which Core's insert(), update() and delete() do not take.
        __table__: ClassVar[Table]


class Timestamped:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Versioned(Timestamped):
    """A record staff edit: optimistic locking by version, soft delete by archived_at, audited."""

    audited: ClassVar[bool] = True
    if TYPE_CHECKING:  # every concrete model defines these
        id: Mapped[int]
        __tablename__: str
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    archived_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]
