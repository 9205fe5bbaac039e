"""Instants and days as integers in SQL, the same on SQLite, PostgreSQL and MariaDB.

Rollups keyed by the company-local day (crm/kpis/cadence.py) need, for a stored instant, the local day it falls in,
and an instant some days later. Timestamps are stored as naive UTC (db.models.base.UTCDateTime); each database
has its own date arithmetic, so the instant is turned into whole seconds since 1970-01-01 UTC (`epoch_seconds`),
where adding days is adding 86,400s, and the local day is found from the zone's UTC offsets
(kpi_zone_offsets, built with the calendar: `local_day`). Day numbers count days since 1970-01-01.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Date, Dialect, Float, Integer, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.util import ClauseAdapter

from db.models.base import UTCDateTime
from db.models.cadence_rollups import KpiZoneOffset

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
DAY_SECONDS = 86_400
DAY_MICROSECONDS = 86_400_000_000
# Added before the integer division and taken off after it: every database then divides non-negative numbers,
# where truncation is the floor (instants back to 1860 stay positive).
_SHIFT_DAYS = 40_000


class epoch_seconds(FunctionElement[int]):  # noqa: N801 (an SQL function)
    """SQL: whole seconds from 1970-01-01 UTC to a stored instant (fractions dropped)."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"CAST(floor(extract(epoch FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


@compiles(epoch_seconds, "mysql")
@compiles(epoch_seconds, "mariadb")
def _epoch_mysql(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', {compiler.process(element.clauses, **kw)})"


class date_of_day(FunctionElement[dt.date]):  # noqa: N801 (an SQL function)
    """SQL: the date of a day number (days since 1970-01-01)."""

    type = Date()
    inherit_cache = True


@compiles(date_of_day, "sqlite")
def _date_sqlite(element: date_of_day, compiler: Any, **kw: Any) -> str:
    return f"date(({compiler.process(element.clauses, **kw)}) * 86400, 'unixepoch')"


@compiles(date_of_day, "postgresql")
def _date_postgresql(element: date_of_day, compiler: Any, **kw: Any) -> str:
    return f"(DATE '1970-01-01' + CAST({compiler.process(element.clauses, **kw)} AS INTEGER))"


@compiles(date_of_day, "mysql")
@compiles(date_of_day, "mariadb")
def _date_mysql(element: date_of_day, compiler: Any, **kw: Any) -> str:
    return f"DATE_ADD(DATE '1970-01-01', INTERVAL ({compiler.process(element.clauses, **kw)}) DAY)"


class latest(FunctionElement[Any]):  # noqa: N801 (an SQL function)
    """SQL: `value` (a column) of the row of its table with the greatest `key` (a unique indexed column of the same
    table) not after `probe`, among the rows that also meet the conditions on the table given; NULL when none.

    One probe of the key's index per value on every database, written per dialect: SQLite and PostgreSQL walk the
    key backwards (ORDER BY key DESC LIMIT 1); MariaDB scans the whole index that way for each value, so there a
    MAX() subquery finds the key (a MAX() subquery nested in computed instants gave SQLite wrong rows)."""

    inherit_cache = True

    def __init__(self, value: Any, key: Any, probe: Any, *also: Any) -> None:
        super().__init__(value, key, probe, *also)
        self.type = value.type

    @property
    def _from_objects(self) -> list[Any]:
        # What the enclosing query selects from is the probe's: the looked-up table stays inside the subquery.
        return list(self.clauses.clauses[2]._from_objects)


def _parts(element: latest) -> tuple[Any, Any, Any, Any, list[Any]]:
    value, key, probe, *also = element.clauses.clauses
    # Aliased, so that the lookup never correlates with the same table in the enclosing query.
    own = key.table.alias()
    adapt = ClauseAdapter(own).traverse
    return own, adapt(value), adapt(key), probe, [adapt(condition) for condition in also]


@compiles(latest)
def _latest_default(element: latest, compiler: Any, **kw: Any) -> str:
    own, value, key, probe, also = _parts(element)
    found = select(value).where(key <= probe, *also).order_by(key.desc()).limit(1).correlate_except(own)
    return str(compiler.process(found.scalar_subquery(), **kw))


@compiles(latest, "mysql")
@compiles(latest, "mariadb")
def _latest_mysql(element: latest, compiler: Any, **kw: Any) -> str:
    own, value, key, probe, also = _parts(element)
    earlier = key.table.alias()
    greatest = select(func.max(earlier.c[key.name])).where(earlier.c[key.name] <= probe).correlate_except(earlier)
    found = select(value).where(key == greatest.scalar_subquery(), *also).correlate_except(own)
    return str(compiler.process(found.scalar_subquery(), **kw))


class first_of_month(FunctionElement[dt.date]):  # noqa: N801 (an SQL function)
    """SQL: the first day of the date's month, by date arithmetic (a lookup of the calendar's greatest month not
    after the date is one index probe on SQLite and PostgreSQL, a walk of the whole index on MariaDB)."""

    type = Date()
    inherit_cache = True


@compiles(first_of_month, "sqlite")
def _first_sqlite(element: first_of_month, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, 'start of month')"


@compiles(first_of_month, "postgresql")
def _first_postgresql(element: first_of_month, compiler: Any, **kw: Any) -> str:
    return f"CAST(date_trunc('month', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(first_of_month, "mysql")
@compiles(first_of_month, "mariadb")
def _first_mysql(element: first_of_month, compiler: Any, **kw: Any) -> str:
    day = compiler.process(element.clauses, **kw)
    return f"DATE_SUB({day}, INTERVAL DAYOFMONTH({day}) - 1 DAY)"


def offset_at(epoch: Any) -> Any:
    """SQL: the company's UTC offset in seconds at the instant (seconds since the epoch), from kpi_zone_offsets."""
    return latest(KpiZoneOffset.offset_seconds, KpiZoneOffset.from_epoch, epoch)


def local_day(epoch: Any) -> Any:
    """SQL: the number of the company-local day the instant (seconds since the epoch) falls in."""
    shifted = epoch + offset_at(epoch) + literal(_SHIFT_DAYS * DAY_SECONDS, BigInteger)
    return (shifted // DAY_SECONDS).cast(Integer) - _SHIFT_DAYS


def local_day_of(instant: Any) -> Any:
    """SQL: the number of the company-local day a stored instant falls in (NULL outside the zone's offsets)."""
    return local_day(epoch_seconds(instant))


class Instant(UTCDateTime):
    """A stored instant computed in SQL (MariaDB returns some as text), handed out as aware UTC."""

    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if isinstance(value, bytes):
            value = value.decode()
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return super().process_result_value(value, dialect)


class hour_of(FunctionElement[dt.datetime]):  # noqa: N801  (an SQL function)
    """SQL: the stored instant truncated to its UTC hour."""

    type = Instant()
    inherit_cache = True


@compiles(hour_of, "sqlite")
def _hour_sqlite(element: hour_of, compiler: Any, **kw: Any) -> str:
    # Stored as text 'YYYY-MM-DD HH:MM:SS.ffffff' (SQLAlchemy's format, also what bound instants compare as).
    return f"strftime('%Y-%m-%d %H:00:00.000000', {compiler.process(element.clauses, **kw)})"


@compiles(hour_of, "postgresql")
def _hour_postgresql(element: hour_of, compiler: Any, **kw: Any) -> str:
    return f"date_trunc('hour', {compiler.process(element.clauses, **kw)})"


@compiles(hour_of, "mysql")
@compiles(hour_of, "mariadb")
def _hour_mysql(element: hour_of, compiler: Any, **kw: Any) -> str:
    # The format as a parameter: its percent signs are the driver's to escape.
    layout = compiler.process(literal("%Y-%m-%d %H:00:00"), **kw)
    return f"CAST(DATE_FORMAT({compiler.process(element.clauses, **kw)}, {layout}) AS DATETIME(6))"


class micros_between(FunctionElement[int]):  # noqa: N801  (a SQL function's name)
    """SQL: end - start in whole microseconds (BIGINT), exactly, on every database."""

    type = BigInteger()
    inherit_cache = True
    name = "micros_between"


@compiles(micros_between)
def _micros_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    # Timestamps are text 'YYYY-MM-DD HH:MM:SS.ffffff' (the fraction may be shorter or missing: padded with zeros).
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)

    def seconds(value: str) -> str:
        return f"CAST(strftime('%s', {value}) AS INTEGER)"

    def fraction(value: str) -> str:
        return f"CAST(substr({value} || '000000', 21, 6) AS INTEGER)"

    return f"(({seconds(end)} - {seconds(start)}) * 1000000 + {fraction(end)} - {fraction(start)})"


@compiles(micros_between, "postgresql")
def _micros_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    # EXTRACT(EPOCH FROM interval) is numeric (exact) since PostgreSQL 14.
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) * 1000000 AS BIGINT)"


@compiles(micros_between, "mysql")
@compiles(micros_between, "mariadb")
def _micros_mysql(element: Any, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"TIMESTAMPDIFF(MICROSECOND, {start}, {end})"


class whole_days(FunctionElement[int]):  # noqa: N801  (an SQL function)
    """SQL: whole days elapsed from the first instant to the second (the floor), 0 when negative."""

    type = Integer()
    inherit_cache = True


@compiles(whole_days)
def _days_default(element: whole_days, compiler: Any, **kw: Any) -> str:
    # Integer division of a non-negative count: the floor (SQLite, PostgreSQL).
    micros = compiler.process(micros_between(*element.clauses), **kw)
    return f"(CASE WHEN {micros} < 0 THEN 0 ELSE {micros} / {DAY_MICROSECONDS} END)"


@compiles(whole_days, "mysql")
@compiles(whole_days, "mariadb")
def _days_mysql(element: whole_days, compiler: Any, **kw: Any) -> str:
    micros = compiler.process(micros_between(*element.clauses), **kw)
    return f"GREATEST(0, {micros} DIV {DAY_MICROSECONDS})"


def days_between(start: dt.datetime, end: dt.datetime) -> int:
    """Whole days elapsed from start to end (the floor), 0 when negative: whole_days in Python."""
    return max(0, (end - start) // dt.timedelta(days=1))


class elapsed_days(FunctionElement[float]):  # noqa: N801  (an SQL function)
    """SQL: the days (with their fraction) from the first instant to the second."""

    type = Float()
    inherit_cache = True


@compiles(elapsed_days, "sqlite")
def _elapsed_sqlite(element: elapsed_days, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(julianday({end}) - julianday({start}))"


@compiles(elapsed_days, "postgresql")
def _elapsed_postgresql(element: elapsed_days, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)"


@compiles(elapsed_days, "mysql")
@compiles(elapsed_days, "mariadb")
def _elapsed_mysql(element: elapsed_days, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(CAST(TIMESTAMPDIFF(SECOND, {start}, {end}) AS DOUBLE) / 86400.0)"


def day_number(day: dt.date) -> int:
    return (day - EPOCH.date()).days


def day_of_number(number: int) -> dt.date:
    return EPOCH.date() + dt.timedelta(days=number)


@lru_cache(maxsize=16)
def zone_offsets(zone_key: str, first_year: int, last_year: int) -> tuple[tuple[int, int], ...]:
    """((from_epoch, offset_seconds), ...): the zone's UTC offset from each instant on, first_year to last_year.

    zoneinfo does not list its transitions: each day's offset is compared with the previous day's, and a change is
    narrowed down to its second."""
    zone = ZoneInfo(zone_key)

    def offset(epoch: int) -> int:
        delta = (EPOCH + dt.timedelta(seconds=epoch)).astimezone(zone).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    start = int((dt.datetime(first_year, 1, 1, tzinfo=dt.UTC) - EPOCH).total_seconds())
    end = int((dt.datetime(last_year + 1, 1, 1, tzinfo=dt.UTC) - EPOCH).total_seconds())
    rows = [(-(10**13), offset(start))]  # every earlier instant: the first year's offset
    previous = start
    for moment in range(start + DAY_SECONDS, end + 1, DAY_SECONDS):
        if offset(moment) != rows[-1][1]:
            low, high = previous, moment  # offset(low) is the old one, offset(high) the new
            while high - low > 1:
                middle = (low + high) // 2
                if offset(middle) == rows[-1][1]:
                    low = middle
                else:
                    high = middle
            rows.append((high, offset(high)))
        previous = moment
    return tuple(rows)


def offset_rows(zone: ZoneInfo, first_year: int, last_year: int) -> list[dict[str, int]]:
    return [
        {"from_epoch": from_epoch, "offset_seconds": seconds}
        for from_epoch, seconds in zone_offsets(zone.key, first_year, last_year)
    ]
