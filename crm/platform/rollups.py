"""Rollups kept in step with the records they sum, in the same transaction as every write.

A rollup (db/models/rollups.py) holds measures per company-local month and customer segment (what the dashboard
filters by). Each one is defined by the query of what some customers contribute to it (`contributions`, grouped by
the rollup's keys) and by which customers a flush's pending changes touch (`touched`). Around every flush, the
contributions of the touched customers are read before (the database still holds the old records) and after (it
holds the new ones), and the difference is added to the stored rows as `measure = measure + delta` upserts in key
order: concurrent transactions serialise on the rows they share and never lose an increment. A customer whose
segment, stage, creation time or archiving changes is touched for every rollup, so its whole history moves with it.

So there is one rule to keep, not one per write path: ORM writes are covered by the listeners below; Core writes
that move records between customers or change customers' classes wrap themselves in `moving(...)`; bulk loads
(demo data, benchmarks, restores) and tests that insert raw rows call `rebuild`. A change of the company's time
zone moves the months: the calendar and every rollup are rebuilt in that transaction. `check` compares the stored
rows with a recount (tests, `python -m crm kpi rollups check`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    bindparam,
    delete,
    event,
    func,
    insert,
    inspect,
    literal_column,
    select,
)
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from crm.platform.clock import company_today, company_zone, local_midnight, today, zone_named
from crm.platform.parallel import shared
from crm.platform.sql_time import first_of_month, latest, offset_rows
from db.models import Base, Customer, Setting
from db.models.cadence_rollups import KpiZoneOffset
from db.models.rollups import NO_CLASS, NO_ID, KpiMonth

SEGMENT = ("owner_id", "department_id", "value_tier", "size_class", "importance", "industry", "region")
# A change to any of these moves the customer's contributions to every rollup.
CUSTOMER_ATTRIBUTES = (*SEGMENT, "archived_at", "lifecycle_stage", "created_at")
CALENDAR_FIRST_YEAR = 1900
CALENDAR_LAST_YEAR = 2200
STAGE_YEARS_AHEAD = 2  # stage counts are kept up to January of the year this many years after today's: the
# calendar and the stage counts are rebuilt once a year to move it
CHUNK = 1_000  # customers per contributions query (an IN list every database takes)
BATCH = 2_000  # rows per upsert statement

Key = tuple[Any, ...]


@dataclass(frozen=True)
class Rollup:
    """One rollup table: its model, its measure columns, what customers contribute, who a flush touches."""

    name: str
    model: type[Base]
    measures: tuple[str, ...]
    # SELECT <key columns..., measure columns...> (labelled as the table's) of the live customers the condition
    # picks (None: every customer), grouped by the keys.
    contributions: Callable[[ColumnElement[bool] | None], Select[Any]]
    # The customer ids whose contributions the session's pending changes (new, dirty, deleted) may move.
    touched: Callable[[Session], set[int]]
    # Run before the contributions are read for a write (e.g. share-lock rows a rebuild of part of the rollup
    # takes exclusively, so the two never interleave).
    lock: Callable[[Connection], None] | None = None
    # SELECT of the whole table's rows like ordered(rollup, None), for a rollup whose contributions query is too
    # slow over every customer at once (rebuild only: check still recounts with the contributions).
    rebuilt: Callable[[], Select[Any]] | None = None
    # Models whose rows the contributions read as settings (e.g. the service policies' cadences): a flush that
    # writes one rebuilds the rollup.
    rebuilt_on: tuple[type[Base], ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.model.__table__.primary_key.columns)


_ROLLUPS: dict[str, Rollup] = {}
_PENDING = "crm_rollups_pending"


def register(rollup: Rollup) -> Rollup:
    """Keep this rollup in step from now on (module import time)."""
    _ROLLUPS[rollup.name] = rollup
    return rollup


def rollups() -> list[Rollup]:
    return list(_ROLLUPS.values())


@dataclass(frozen=True)
class SegmentFilter:
    """The customers a figure read from a rollup counts, as conditions on the rollup's segment columns: the
    dashboard's filters (value_tier "none": not rated), and owners (a filter and staff's own scope may both
    name one: owner_ids holds them all)."""

    owner_ids: tuple[int, ...] = ()
    department_id: int | None = None
    value_tier: str | None = None
    industry: str | None = None
    region: str | None = None

    def on(self, model: Any) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [model.owner_id == owner for owner in sorted(set(self.owner_ids))]
        if self.department_id is not None:
            conditions.append(model.department_id == self.department_id)
        if self.value_tier is not None:
            conditions.append(model.value_tier == (NO_CLASS if self.value_tier == "none" else self.value_tier))
        if self.industry is not None:
            conditions.append(model.industry == self.industry)
        if self.region is not None:
            conditions.append(model.region == self.region)
        return conditions


# --- what a rollup's contributions query builds on -----------------------------------------------------------


def _segment_terms() -> list[Any]:
    # The defaults inline (not bound parameters): PostgreSQL takes GROUP BY coalesce(x, $2) for another
    # expression than SELECT coalesce(x, $1).
    ids = [func.coalesce(getattr(Customer, name), literal_column(str(NO_ID))) for name in SEGMENT[:2]]
    classes = [func.coalesce(getattr(Customer, name), literal_column(f"'{NO_CLASS}'")) for name in SEGMENT[2:]]
    return [*ids, *classes]


def segment_of() -> list[Any]:
    """The customer's segment as rollup keys (labelled): 0 / "" where not set."""
    return [term.label(name) for term, name in zip(_segment_terms(), SEGMENT, strict=True)]


def segment_group() -> list[Any]:
    """GROUP BY terms matching segment_of."""
    return _segment_terms()


# Segment columns a rollup read only through the dashboard's filters and owner breakdowns can leave blank (""):
# they multiply the rows a period reads (the 1,000,000 customers: 7,867 segments, 2,188 without them).
NOT_FILTERED = ("size_class", "importance")


def blank_segment(name: str) -> Any:
    """A segment column left blank, labelled as the column."""
    blank: ColumnElement[str] = literal_column(f"'{NO_CLASS}'")
    return blank.label(name)


def filter_segment_of() -> list[Any]:
    """segment_of with size class and importance blank."""
    return [blank_segment(term.name) if term.name in NOT_FILTERED else term for term in segment_of()]


def filter_segment_group() -> list[Any]:
    """GROUP BY terms matching filter_segment_of (the blank columns are constants: not grouped)."""
    return [term for term, name in zip(segment_group(), SEGMENT, strict=True) if name not in NOT_FILTERED]


class calendar_value(FunctionElement[dt.date]):  # noqa: N801 (an SQL function)
    """SQL: a column of the calendar's row (kpi_months) for the company-local month the stored instant falls in:
    NULL outside the calendar (or before it is built)."""

    inherit_cache = True

    def __init__(self, value: Any, instant: Any) -> None:
        super().__init__(value, instant)
        self.type = value.type

    @property
    def _from_objects(self) -> list[Any]:
        return list(self.clauses.clauses[1]._from_objects)


@compiles(calendar_value)
def _calendar_value_default(element: calendar_value, compiler: Any, **kw: Any) -> str:
    # One backwards probe of the start_at index (SQLite, PostgreSQL).
    value, instant = element.clauses.clauses
    return str(compiler.process(latest(value, KpiMonth.start_at, instant, KpiMonth.end_at > instant), **kw))


@compiles(calendar_value, "mysql")
@compiles(calendar_value, "mariadb")
def _calendar_value_mysql(element: calendar_value, compiler: Any, **kw: Any) -> str:
    # MariaDB seeks an index from a correlated subquery on equality only (a range on start_at <= t walks it): the
    # local month is the instant's UTC month or one of its neighbours (offsets are under a day), each one a
    # lookup of the calendar's key.
    value, instant = element.clauses.clauses
    at = compiler.process(instant, **kw)
    utc_month = compiler.process(first_of_month(func.date(instant)), **kw)
    months = (utc_month, f"({utc_month} - INTERVAL 1 MONTH)", f"({utc_month} + INTERVAL 1 MONTH)")
    lookups = ", ".join(
        f"(SELECT probed_month.{value.name} FROM kpi_months AS probed_month WHERE probed_month.month = {month} "
        f"AND probed_month.start_at <= {at} AND probed_month.end_at > {at})"
        for month in months
    )
    return f"COALESCE({lookups})"


def month_of(instant: Any) -> Any:
    """SQL: the company-local month (its first day) the stored instant falls in, from the calendar (NULL outside
    it): one index lookup per record. Joined on start_at <= t < end_at instead, the planners walked the calendar's
    3,600 months per record (a rebuild of 500,000 survey responses on PostgreSQL: 200 s, 12 s this way)."""
    return calendar_value(KpiMonth.month, instant)


def month_after(instant: Any) -> Any:
    """SQL: the first month starting after the instant: the one after the month it falls in."""
    return calendar_value(KpiMonth.next_month, instant)


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


@dataclass(frozen=True)
class Part:
    """Days [first, last] of `month` read from the records, added (sign 1) or subtracted (-1)."""

    month: dt.date
    first: dt.date
    last: dt.date
    sign: int


@dataclass(frozen=True)
class Plan:
    months: tuple[dt.date, ...]  # every company month the period touches, in order
    whole: tuple[dt.date, ...]  # those read from the rollups
    parts: tuple[Part, ...]


def plan(start: dt.date, end: dt.date, today: dt.date | None = None) -> Plan:
    """Split the days [start, end]: months read whole from the rollups, and days read from the records. A month
    covered in part is read as its days (sign 1), or as the whole month less the days outside (sign -1) when those
    cost less to read. With `today` given, the days after it count as free (records dated in the future are few):
    a running month is read whole less its days to come."""
    months: list[dt.date] = []
    whole: list[dt.date] = []
    parts: list[Part] = []

    def cost(first: dt.date, last: dt.date) -> int:
        if today is not None:
            last = min(last, today)
        return max((last - first).days + 1, 0)

    month = start.replace(day=1)
    while month <= end:
        following = _next_month(month)
        last_day = following - dt.timedelta(days=1)
        lo, hi = max(start, month), min(end, last_day)
        months.append(month)
        outside = [
            (a, b) for a, b in ((month, lo - dt.timedelta(days=1)), (hi + dt.timedelta(days=1), last_day)) if a <= b
        ]
        if not outside:
            whole.append(month)
        elif sum(cost(a, b) for a, b in outside) < cost(lo, hi):
            whole.append(month)
            parts += [Part(month, a, b, -1) for a, b in outside]
        else:
            parts.append(Part(month, lo, hi, 1))
        month = following
    return Plan(tuple(months), tuple(whole), tuple(parts))


def live_customers(condition: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
    """The customers a contributions query counts: live ones, those the condition picks."""
    return [Customer.archived_at.is_(None), *([] if condition is None else [condition])]


def customer_ids_of(session: Session, model: type[Base], attribute: str = "customer_id") -> set[int]:
    """`touched` for a record kind: the customer (old and new) of each new, changed or deleted record."""
    ids: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(obj, model):
            continue
        value = getattr(obj, attribute, None)
        if value is not None:
            ids.add(int(value))
        if obj in session.dirty or obj in session.deleted:
            history = inspect(obj).attrs[attribute].history
            ids.update(int(v) for v in (*history.deleted, *history.unchanged) if v is not None)
    return ids


# --- reading and applying contributions ----------------------------------------------------------------


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def contributions(connection: Connection, rollup: Rollup, customer_ids: Iterable[int]) -> dict[Key, list[Any]]:
    """What those customers contribute now: {keys: [measures]}."""
    found: dict[Key, list[Any]] = {}
    for chunk in _chunks(customer_ids):
        for key, values in _rows(connection, rollup, _for_customers(rollup), {"customer_ids": chunk}):
            if key in found:
                found[key] = [a + b for a, b in zip(found[key], values, strict=True)]
            else:
                found[key] = values
    return found


@cache
def _for_customers(rollup: Rollup) -> Select[Any]:
    """The contributions query of the customers whose ids are bound as `customer_ids`: built once per rollup (every
    flush reads it twice per rollup; building the statement cost four times its execution on SQLite)."""
    return ordered(rollup, Customer.id.in_(bindparam("customer_ids", expanding=True)))


def ordered(rollup: Rollup, condition: ColumnElement[bool] | None) -> Select[Any]:
    """The contributions query with its columns in the table's order (keys, then measures)."""
    return in_table_order(rollup, rollup.contributions(condition))


def in_table_order(rollup: Rollup, query: Select[Any]) -> Select[Any]:
    """The query's columns (labelled as the table's) in the table's order: keys, then measures."""
    rows = query.subquery()
    return select(*(rows.c[name] for name in (*rollup.keys, *rollup.measures)))


def _rows(
    connection: Connection, rollup: Rollup, query: Select[Any], parameters: dict[str, Any] | None = None
) -> Iterator[tuple[Key, list[Any]]]:
    """(keys, [measures]) of each row of a query in the table's order (ordered, _for_customers)."""
    width = len(rollup.keys)
    for row in connection.execute(query, parameters or {}):
        yield tuple(row[:width]), list(row[width:])


def _difference(before: dict[Key, list[Any]], after: dict[Key, list[Any]]) -> dict[Key, list[Any]]:
    deltas: dict[Key, list[Any]] = {}
    for key in before.keys() | after.keys():
        old, new = before.get(key), after.get(key)
        if old is None:
            delta = list(new or [])
        elif new is None:
            delta = [-v for v in old]
        else:
            delta = [b - a for a, b in zip(old, new, strict=True)]
        if any(delta):
            deltas[key] = delta
    return deltas


def apply(connection: Connection, rollup: Rollup, deltas: dict[Key, list[Any]]) -> None:
    """Add the deltas to the stored rows (a row is created at its first delta), in key order."""
    if not deltas:
        return
    table = rollup.model.__table__
    names = (*rollup.keys, *rollup.measures)
    rows = [dict(zip(names, (*key, *values), strict=True)) for key, values in sorted(deltas.items(), key=_order)]
    dialect = connection.dialect.name
    statement: Any
    if dialect in ("mysql", "mariadb"):
        statement = mysql.insert(table)
        statement = statement.on_duplicate_key_update(
            {m: table.c[m] + getattr(statement.inserted, m) for m in rollup.measures}
        )
    else:
        statement = (postgresql if dialect == "postgresql" else sqlite).insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c[k] for k in rollup.keys],
            set_={m: table.c[m] + statement.excluded[m] for m in rollup.measures},
        )
    for start in range(0, len(rows), BATCH):
        connection.execute(statement, rows[start : start + BATCH])


def _lock(connection: Connection, chosen: Iterable[Rollup]) -> None:
    for rollup in chosen:
        if rollup.lock is not None:
            rollup.lock(connection)


def _order(item: tuple[Key, list[Any]]) -> tuple[str, ...]:
    return tuple(str(part) for part in item[0])


@contextmanager
def moving(connection: Connection, customer_ids: Iterable[int]) -> Iterator[None]:
    """Around Core writes that change those customers' records or classes: their contributions before and after
    the block, the difference applied to every rollup (inside the caller's transaction)."""
    ids = set(customer_ids)
    if ids:
        _lock(connection, rollups())
    before = {r.name: contributions(connection, r, ids) for r in rollups()} if ids else {}
    yield
    for rollup in rollups() if ids else []:
        apply(connection, rollup, _difference(before[rollup.name], contributions(connection, rollup, ids)))


def added(connection: Connection, customer_ids: Iterable[int]) -> None:
    """Customers inserted by Core (with their records): their contributions added to every rollup."""
    ids = set(customer_ids)
    for rollup in rollups() if ids else []:
        apply(connection, rollup, contributions(connection, rollup, ids))


# --- the calendar, rebuilding and checking ---------------------------------------------------------------


def stage_horizon(today: dt.date) -> dt.date:
    """The last month whose stage counts a calendar built today keeps."""
    return dt.date(today.year + STAGE_YEARS_AHEAD, 1, 1)


def calendar_rows(zone: ZoneInfo) -> list[dict[str, Any]]:
    horizon = stage_horizon(today(zone))
    rows = []
    for year in range(CALENDAR_FIRST_YEAR, CALENDAR_LAST_YEAR + 1):
        for month in range(1, 13):
            first = dt.date(year, month, 1)
            following = dt.date(year + month // 12, month % 12 + 1, 1)
            rows.append(
                {
                    "month": first,
                    "next_month": following,
                    "start_at": local_midnight(first, zone),
                    "end_at": local_midnight(following, zone),
                    "stage_counted": first <= horizon,
                }
            )
    return rows


def rebuild_calendar(connection: Connection, zone: ZoneInfo | None = None) -> None:
    """The company-local months, from the time zone setting (or the one given), stage counts kept up to the
    horizon from today."""
    zone = zone or company_zone(connection)
    rows = calendar_rows(zone)
    connection.execute(delete(KpiMonth))
    for start in range(0, len(rows), BATCH):
        connection.execute(insert(KpiMonth), rows[start : start + BATCH])
    connection.execute(delete(KpiZoneOffset))
    connection.execute(insert(KpiZoneOffset), offset_rows(zone, CALENDAR_FIRST_YEAR, CALENDAR_LAST_YEAR))


def horizon_due(connection: Connection) -> bool:
    """True when the calendar is empty or its stage horizon is less than a year away."""
    horizon = connection.scalar(select(func.max(KpiMonth.month)).where(KpiMonth.stage_counted))
    return horizon is None or horizon < company_today(connection) + dt.timedelta(days=366)


# The records the rollups are counted from.
SOURCE_TABLES = (
    "customers",
    "orders",
    "stage_changes",
    "activities",
    "complaints",
    "complaint_events",
    "survey_responses",
    "survey_scores",
)


def _sample_sources(connection: Connection, *, every: bool) -> None:
    """SQLite keeps no planner statistics by itself, and without them the recount's lookups per customer take the
    wrong index: the stage days of 100,000 customers took 9 s with them and had not ended after 10 minutes without.
    Sampled here, inside the caller's transaction: every record table for a rebuild of everything (a bulk load
    changed them wholesale: statistics left from 100,000 customers sent the 1,000,000-customer build's recount
    into a plan that read for an hour), only those never sampled for a rebuild a save runs (a service policy, the
    time zone), which must not pay for a full ANALYZE when the daily run keeps them. (PostgreSQL's autovacuum
    and MariaDB keep theirs; MariaDB's ANALYZE would commit.)"""
    if connection.dialect.name != "sqlite":
        return
    sampled: set[str] = set()
    if not every and connection.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
        sampled = set(connection.exec_driver_sql("SELECT DISTINCT tbl FROM sqlite_stat1").scalars())
    for source in SOURCE_TABLES:
        if source not in sampled:
            connection.exec_driver_sql(f"ANALYZE {source}")


def rebuild(
    connection: Connection, names: Iterable[str] | None = None, *, zone: ZoneInfo | None = None, resample: bool = False
) -> dict[str, int]:
    """Recount the rollups (all, or those named) from the records, inside the caller's transaction: {table: rows}.

    The calendar is rebuilt first when it is empty, a zone is given (the zone changed) or its stage horizon is
    less than a year away. resample: sample every record table first on SQLite (after a bulk write), not only
    those never sampled."""
    _sample_sources(connection, every=resample)
    if zone is not None or horizon_due(connection):
        rebuild_calendar(connection, zone)
    chosen = [r for r in rollups() if names is None or r.name in set(names)]
    counts = {}
    for rollup in chosen:
        table = rollup.model.__table__
        connection.execute(delete(table))
        columns = [table.c[name] for name in (*rollup.keys, *rollup.measures)]
        query = ordered(rollup, None) if rollup.rebuilt is None else in_table_order(rollup, rollup.rebuilt())
        connection.execute(insert(table).from_select(columns, query))
        counts[table.name] = int(connection.scalar(select(func.count()).select_from(table)) or 0)
    return counts


def stored(connection: Connection, rollup: Rollup) -> dict[Key, list[Any]]:
    """The stored rows, rows of zeros left out."""
    table = rollup.model.__table__
    width = len(rollup.keys)
    rows: dict[Key, list[Any]] = {}
    for row in connection.execute(select(*(table.c[n] for n in (*rollup.keys, *rollup.measures)))):
        values = list(row[width:])
        if any(values):
            rows[tuple(row[:width])] = values
    return rows


def recount(connection: Connection, rollup: Rollup) -> dict[Key, list[Any]]:
    """What the rows should be, from the records (reads them all: for checks)."""
    return {key: values for key, values in _rows(connection, rollup, ordered(rollup, None)) if any(values)}


def check(connection: Connection, names: Iterable[str] | None = None) -> dict[str, int]:
    """How many keys of each rollup (all, or those named) differ from a recount (0 everywhere: in step)."""
    differences = {}
    for rollup in [r for r in rollups() if names is None or r.name in set(names)]:
        have, want = stored(connection, rollup), recount(connection, rollup)
        differences[rollup.name] = sum(
            1 for key in have.keys() | want.keys() if _normal(have.get(key)) != _normal(want.get(key))
        )
    return differences


def _normal(values: list[Any] | None) -> list[Any] | None:
    if values is None:
        return None
    return [Decimal(v) if isinstance(v, Decimal | float) else v for v in values]


# --- keeping the rollups in step with ORM flushes ----------------------------------------------------------


def _customer_changes(session: Session) -> tuple[set[int], list[Customer]]:
    """(existing customers whose segment, stage, creation or archiving change in this flush, new customers)."""
    changed: set[int] = set()
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, Customer) and obj.id is not None:
            state = inspect(obj)
            if obj in session.deleted or any(state.attrs[n].history.has_changes() for n in CUSTOMER_ATTRIBUTES):
                changed.add(int(obj.id))
    created = [obj for obj in session.new if isinstance(obj, Customer)]
    return changed, created


def _new_zone(session: Session) -> ZoneInfo | None:
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Setting) and obj.key == "timezone" and inspect(obj).attrs["value"].history.has_changes():
            return zone_named(obj.value)
    return None


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    if not _ROLLUPS:
        return
    changed, created = _customer_changes(session)
    touched: dict[str, set[int]] = {r.name: r.touched(session) | changed for r in rollups()}
    if not created and not any(touched.values()):
        return
    connection = session.connection()
    _lock(connection, [r for r in rollups() if touched[r.name] or created])
    before = {r.name: contributions(connection, r, touched[r.name]) for r in rollups() if touched[r.name]}
    session.info[_PENDING] = (touched, created, before)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    zone = _new_zone(session)
    pending = session.info.pop(_PENDING, None)
    if zone is not None:
        rebuild(session.connection(), zone=zone)
        return
    if pending is None:
        _rebuild_on_settings(session)
        return
    touched, created, before = pending
    connection = session.connection()
    new_ids = {int(c.id) for c in created if c.id is not None}
    for rollup in rollups():
        ids = touched[rollup.name] | new_ids
        if ids:
            after = contributions(connection, rollup, ids)
            apply(connection, rollup, _difference(before.get(rollup.name, {}), after))
    _rebuild_on_settings(session)


def _rebuild_on_settings(session: Session) -> None:
    written = {type(obj) for obj in (*session.new, *session.dirty, *session.deleted)}
    stale = [r.name for r in rollups() if written & set(r.rebuilt_on)]
    if stale:
        rebuild(session.connection(), stale)


# --- built once, on the first read after the migration ---------------------------------------------------

MARKER = "kpi_rollups"
# Raise when a rollup's definition changes: every database rebuilds its rollups on its next read.
DEFINITION = 1
# The rollups a marker without a list of its own holds (written before the marker named them, up to migration 0023).
UNLISTED = (
    "complaint_months",
    "complaint_time_months",
    "order_months",
    "new_customer_months",
    "stage_months",
    "cadence_days",
    "cadence_months",
    "stage_move_months",
    "stage_move_hours",
    "window_revenue",
    "satisfaction_months",
    "satisfaction_alert_months",
)


def unbuilt(connection: Connection) -> list[str] | None:
    """The rollups this database has not built yet (a rollup added since: its migration leaves the marker as it
    is), or None when it has none to trust (no marker, or one of an older definition: every rollup is rebuilt)."""
    value = connection.scalar(select(Setting.value).where(Setting.key == MARKER))
    if not isinstance(value, dict) or value.get("definition") != DEFINITION:
        return None
    built = set(value.get("rollups", UNLISTED))
    return [r.name for r in rollups() if r.name not in built]


def is_built(connection: Connection) -> bool:
    return unbuilt(connection) == []


def mark_built(connection: Connection) -> None:
    """Record that every rollup holds every record (after a rebuild inside the same transaction)."""
    connection.execute(delete(Setting).where(Setting.key == MARKER))
    value = {"definition": DEFINITION, "rollups": sorted(r.name for r in rollups())}
    connection.execute(insert(Setting).values(key=MARKER, value=value))


def rebuild_all(connection: Connection, *, zone: ZoneInfo | None = None) -> dict[str, int]:
    """Rebuild the calendar's horizon if due, every rollup, and mark them built (bulk loads, restores, tests)."""
    counts = rebuild(connection, zone=zone, resample=True)
    mark_built(connection)
    return counts


def ensure_built(sessions: Any) -> None:
    """Build the rollups if this database has never had them (the first read after migration 0018, or after their
    definition changed), or those added since it built them (only those). Two servers doing it at once: the second
    waits on the first's marker row, then finds the work done."""
    # Asked by every read of a page: once per sharing() block (crm/platform/parallel.py) is enough.
    shared(("rollups built", id(sessions.engine)), lambda: _ensure_built(sessions))


def _ensure_built(sessions: Any) -> None:
    with sessions.read() as session:
        if is_built(session.connection()):
            return
    try:
        with sessions.begin() as session:
            if session.scalar(select(Setting.key).where(Setting.key == MARKER)) is None:
                # A marker row to wait on, holding no definition (every rollup is built): with none to lock, two
                # builders of a database that never had the rollups (two servers, or a page's reads at once) would
                # both build, and the second one's calendar would collide with the first's.
                session.execute(insert(Setting).values(key=MARKER, value={"definition": None}))
    except IntegrityError:
        pass  # another builder made it at the same moment: wait on it below
    with sessions.begin() as session:
        connection = session.connection()
        # The marker row locked first: a concurrent builder waits here (SQLite: the write lock) and then sees it.
        connection.execute(select(Setting.key).where(Setting.key == MARKER).with_for_update())
        missing = unbuilt(connection)
        if missing is None:
            rebuild_all(connection)
        elif missing:
            rebuild(connection, missing)
            mark_built(connection)
