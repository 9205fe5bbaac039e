"""The complaint rollups (db/models/complaint_rollups.py), kept in step by crm.platform.rollups, and how the
complaint figures read them for a customer segment.

- complaint_months: per month of receipt, segment and category, the counts behind every rate of
  crm.complaints.figures (and the suggestions evaluated / adopted, under category "");
- complaint_time_months: per month, segment and exact duration in microseconds, how many complaints took that long
  to be acknowledged or resolved, so the medians are exact: the histogram is walked in buckets of BUCKET_MICROS
  (one query, a few hundred rows), then only the middle bucket's exact durations are read (an index range).

A period is read as its whole company months from the rollups plus, for a month it covers in part, the records of
the days it covers (or the whole month from the rollups less the records of the days it does not cover, whichever
is fewer days), as crm/kpis/rollups.py does for the KPI rollups. Durations are whole microseconds computed by the
database (micros_between), the same expression for the rollup and for the records.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, and_, case, cast, func, literal_column, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from crm.platform.clock import local_midnight
from crm.platform.rollups import (
    SEGMENT,
    Part,
    Plan,
    Rollup,
    SegmentFilter,
    customer_ids_of,
    live_customers,
    plan,
    register,
    segment_of,
)
from crm.platform.sql_time import micros_between
from db.models import Complaint, ComplaintMonth, ComplaintTimeMonth, Customer, Suggestion
from db.models.rollups import NO_CLASS, KpiMonth

COMPLAINT_MEASURES = (
    "received",
    "closed_satisfied",
    "resolved",
    "resolved_on_time",
    "ever_resolved",
    "reopened",
    "acknowledged",
)
SUGGESTION_MEASURES = ("suggestions_evaluated", "suggestions_adopted")
MONTH_MEASURES = (*COMPLAINT_MEASURES, *SUGGESTION_MEASURES)
TIMINGS = ("acknowledge", "resolve")
BUCKET_MICROS = 600 * 1_000_000  # ten minutes: the medians' first walk
# Added before the integer division so that a (nonsensical) negative duration still floors: ~19 years of buckets.
_SHIFT_BUCKETS = 1_000_000


class _bucket_of(FunctionElement[int]):  # noqa: N801
    """SQL: floor(micros / BUCKET_MICROS) as an integer division (MariaDB's `/` is a decimal one)."""

    type = BigInteger()
    inherit_cache = True
    name = "bucket_of"


@compiles(_bucket_of)
def _bucket_default(element: Any, compiler: Any, **kw: Any) -> str:
    (micros,) = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(({micros} + {_SHIFT_BUCKETS * BUCKET_MICROS}) / {BUCKET_MICROS} - {_SHIFT_BUCKETS})"


@compiles(_bucket_of, "mysql")
@compiles(_bucket_of, "mariadb")
def _bucket_mysql(element: Any, compiler: Any, **kw: Any) -> str:
    (micros,) = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(({micros} + {_SHIFT_BUCKETS * BUCKET_MICROS}) DIV {BUCKET_MICROS} - {_SHIFT_BUCKETS})"


class _unindexed(FunctionElement[Any]):  # noqa: N801
    """The column hidden from the planner's choice of index (SQLite `+column`, MariaDB `IFNULL(column, NULL)`): the
    records of a few days are found by their received_at, never by scanning every not archived complaint (which
    SQLite picks without statistics)."""

    inherit_cache = True
    name = "unindexed"

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(_unindexed)
def _unindexed_default(element: Any, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(_unindexed, "sqlite")
def _unindexed_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"


@compiles(_unindexed, "mysql")
@compiles(_unindexed, "mariadb")
def _unindexed_mysql(element: Any, compiler: Any, **kw: Any) -> str:
    return f"IFNULL({compiler.process(element.clauses, **kw)}, NULL)"


def bucket(micros: int) -> int:
    return micros // BUCKET_MICROS


def duration(timing: str) -> Any:
    """SQL: a complaint's time to be acknowledged or resolved in microseconds (pauses left out of the latter)."""
    if timing == "acknowledge":
        return micros_between(Complaint.received_at, Complaint.responded_at)
    paused = cast(func.coalesce(Complaint.paused_seconds, 0), BigInteger) * literal_column("1000000", BigInteger)
    return micros_between(Complaint.received_at, Complaint.resolved_at) - paused


def timed(timing: str) -> ColumnElement[bool]:
    return (Complaint.responded_at if timing == "acknowledge" else Complaint.resolved_at).is_not(None)


# --- contributions ---------------------------------------------------------------------------------------


def _month_of(instant: Any) -> Any:
    return and_(instant >= KpiMonth.start_at, instant < KpiMonth.end_at)


def _flag(condition: Any) -> Any:
    return case((condition, 1), else_=0)


def complaint_flags() -> dict[str, Any]:
    """SQL per complaint: 1 / 0 for each of COMPLAINT_MEASURES (as crm.complaints.figures defines them)."""
    resolved = Complaint.resolved_at.is_not(None)
    ever = Complaint.first_resolved_at.is_not(None)
    return {
        "received": literal_column("1"),
        "closed_satisfied": _flag((Complaint.status == "closed") & Complaint.customer_satisfied.is_(True)),
        "resolved": _flag(resolved),
        "resolved_on_time": _flag(resolved & (Complaint.resolved_at <= Complaint.resolve_due_at)),
        "ever_resolved": _flag(ever),
        "reopened": _flag(ever & (Complaint.reopen_count > 0)),
        "acknowledged": _flag(Complaint.responded_at.is_not(None)),
    }


def suggestion_flags() -> dict[str, Any]:
    return {
        "suggestions_evaluated": _flag(Suggestion.evaluation_result.is_not(None)),
        "suggestions_adopted": _flag(Suggestion.evaluation_result.in_(("adopt", "adopt_partly"))),
    }


def _category() -> Any:
    # Inline default, as segment_of's: PostgreSQL groups by the same expression only without bound parameters.
    return func.coalesce(Complaint.category, literal_column(f"'{NO_CLASS}'"))


def month_contributions(condition: ColumnElement[bool] | None) -> Select[Any]:
    zero: Any = literal_column("0")
    complaints = complaint_flags()
    suggestions = suggestion_flags()
    rows = union_all(
        select(
            KpiMonth.month.label("month"),
            *segment_of(),
            _category().label("category"),
            *(complaints[m].label(m) for m in COMPLAINT_MEASURES),
            *(zero.label(m) for m in SUGGESTION_MEASURES),
        )
        .select_from(Complaint)
        .join(Customer, Customer.id == Complaint.customer_id)
        .join(KpiMonth, _month_of(Complaint.received_at))
        .where(*live_customers(condition), Complaint.archived_at.is_(None)),
        select(
            KpiMonth.month.label("month"),
            *segment_of(),
            literal_column(f"'{NO_CLASS}'").label("category"),
            *(zero.label(m) for m in COMPLAINT_MEASURES),
            *(suggestions[m].label(m) for m in SUGGESTION_MEASURES),
        )
        .select_from(Suggestion)
        .join(Customer, Customer.id == Suggestion.customer_id)
        .join(KpiMonth, _month_of(Suggestion.received_at))
        .where(*live_customers(condition), Suggestion.archived_at.is_(None)),
    ).subquery()
    keys = [rows.c.month, *(rows.c[name] for name in SEGMENT), rows.c.category]
    return select(*keys, *(func.sum(rows.c[m]).label(m) for m in MONTH_MEASURES)).group_by(*keys)


def time_contributions(condition: ColumnElement[bool] | None) -> Select[Any]:
    parts = [
        select(
            KpiMonth.month.label("month"),
            *segment_of(),
            literal_column(f"'{timing}'").label("timing"),
            duration(timing).label("micros"),
        )
        .select_from(Complaint)
        .join(Customer, Customer.id == Complaint.customer_id)
        .join(KpiMonth, _month_of(Complaint.received_at))
        .where(*live_customers(condition), Complaint.archived_at.is_(None), timed(timing))
        for timing in TIMINGS
    ]
    rows = union_all(*parts).subquery()
    keys = [rows.c.month, *(rows.c[name] for name in SEGMENT), rows.c.timing, rows.c.micros]
    return select(*keys, func.count().label("complaints")).group_by(*keys)


def _touched(session: Session) -> set[int]:
    return customer_ids_of(session, Complaint) | customer_ids_of(session, Suggestion)


MONTHS = register(Rollup("complaint_months", ComplaintMonth, MONTH_MEASURES, month_contributions, _touched))
TIMES = register(Rollup("complaint_time_months", ComplaintTimeMonth, ("complaints",), time_contributions, _touched))


# --- reading ---------------------------------------------------------------------------------------------


def customer_conditions(segment: SegmentFilter) -> list[ColumnElement[bool]]:
    """The segment as conditions on customers (live ones), for the records read beside the rollups."""
    conditions: list[ColumnElement[bool]] = [Customer.archived_at.is_(None)]
    conditions += [Customer.owner_id == owner for owner in sorted(set(segment.owner_ids))]
    if segment.department_id is not None:
        conditions.append(Customer.department_id == segment.department_id)
    if segment.value_tier is not None:
        tier = segment.value_tier
        conditions.append(Customer.value_tier.is_(None) if tier == "none" else Customer.value_tier == tier)
    if segment.industry is not None:
        conditions.append(Customer.industry == segment.industry)
    if segment.region is not None:
        conditions.append(Customer.region == segment.region)
    return conditions


def _of_customers(customer_id: Any, segment: SegmentFilter) -> ColumnElement[bool]:
    if segment == SegmentFilter():
        # Every live customer: NOT IN the (few) archived ones, rather than a lookup of each record's customer.
        archived = select(Customer.id).where(Customer.archived_at.is_not(None)).correlate_except(Customer)
        return customer_id.not_in(archived)
    # EXISTS per record (a key lookup), the customers table the subquery's own even where the outer query joins it.
    return (
        select(Customer.id)
        .where(Customer.id == customer_id, *customer_conditions(segment))
        .correlate_except(Customer)
        .exists()
    )


def _bounds(part: Part, zone: Any) -> tuple[dt.datetime, dt.datetime]:
    return local_midnight(part.first, zone), local_midnight(part.last + dt.timedelta(days=1), zone)


Key = tuple[dt.date | None, str | None]


@dataclass
class Records:
    """What the parts of a plan hold, read from the records once (each sign applied): MONTH_MEASURES per (month or
    None, category or None), and the exact durations {micros: complaints} per timing."""

    counts: dict[Key, list[int]]
    durations: dict[str, Counter[int]]


def _add(totals: dict[Key, list[int]], key: Key, values: Iterable[Any], sign: int, offset: int = 0) -> None:
    current = totals.setdefault(key, [0] * len(MONTH_MEASURES))
    for index, value in enumerate(values, start=offset):
        current[index] += sign * int(value or 0)


def read_records(
    session: Session,
    zone: Any,
    period: Plan,
    segment: SegmentFilter,
    *,
    by_month: bool,
    by_category: bool,
    suggestions: bool = True,
    timings: tuple[str, ...] = (),
) -> Records:
    """The parts' complaints in one query (their counts, and their durations grouped by value), and their
    suggestions in another; nothing when the plan has no part."""
    found = Records({}, {timing: Counter() for timing in timings})
    if not period.parts:
        return found
    flags = complaint_flags()
    selects = []
    for index, part in enumerate(period.parts):
        since, until = _bounds(part, zone)
        selects.append(
            select(
                literal_column(str(index)).label("part"),
                _category().label("category"),
                *(flags[m].label(m) for m in COMPLAINT_MEASURES),
                *(case((timed(t), duration(t)), else_=None).label(t) for t in timings),
            ).where(
                _unindexed(Complaint.archived_at).is_(None),
                Complaint.received_at >= since,
                Complaint.received_at < until,
                _of_customers(Complaint.customer_id, segment),
            )
        )
    rows = union_all(*selects).subquery()
    keys = [rows.c.part, *([rows.c.category] if by_category else []), *(rows.c[t] for t in timings)]
    for row in session.execute(select(*keys, *(func.sum(rows.c[m]) for m in COMPLAINT_MEASURES)).group_by(*keys)):
        part = period.parts[int(row[0])]
        key: Any = (part.month if by_month else None, str(row[1]) if by_category else None)
        values = row[len(keys) :]
        _add(found.counts, key, values, part.sign)
        for position, timing in enumerate(timings, start=len(keys) - len(timings)):
            if row[position] is not None:
                found.durations[timing][int(row[position])] += part.sign * int(values[0] or 0)
    if suggestions:
        flagged = suggestion_flags()
        chosen = []
        for index, part in enumerate(period.parts):
            since, until = _bounds(part, zone)
            chosen.append(
                select(
                    literal_column(str(index)).label("part"), *(flagged[m].label(m) for m in SUGGESTION_MEASURES)
                ).where(
                    _unindexed(Suggestion.archived_at).is_(None),
                    Suggestion.received_at >= since,
                    Suggestion.received_at < until,
                    _of_customers(Suggestion.customer_id, segment),
                )
            )
        picked = union_all(*chosen).subquery()
        for row in session.execute(
            select(picked.c.part, *(func.sum(picked.c[m]) for m in SUGGESTION_MEASURES)).group_by(picked.c.part)
        ):
            part = period.parts[int(row[0])]
            key = (part.month if by_month else None, NO_CLASS if by_category else None)
            _add(found.counts, key, row[1:], part.sign, len(COMPLAINT_MEASURES))
    return found


def counts(
    session: Session,
    period: Plan,
    segment: SegmentFilter,
    records: Records,
    *,
    by_month: bool,
    by_category: bool,
    suggestions: bool = True,
) -> dict[Key, list[int]]:
    """MONTH_MEASURES summed per (month or None, category or None) over the plan: the rollup's whole months plus
    or minus the records of the parts (read_records, with the same by_month and by_category)."""
    totals: dict[Key, list[int]] = {}
    kept = ComplaintMonth
    if period.whole:
        keys = [*([kept.month] if by_month else []), *([kept.category] if by_category else [])]
        measures = MONTH_MEASURES if suggestions else COMPLAINT_MEASURES
        for row in session.execute(
            select(*keys, *(func.sum(getattr(kept, m)) for m in measures))
            .where(kept.month.in_(period.whole), *segment.on(kept))
            .group_by(*keys)
        ):
            key: Any = (row[0] if by_month else None, row[len(keys) - 1] if by_category else None)
            _add(totals, key, row[len(keys) :], 1)
    for key, values in records.counts.items():
        _add(totals, key, values, 1)
    return totals


def median_micros(
    session: Session, period: Plan, segment: SegmentFilter, timing: str, records: Counter[int]
) -> float | None:
    """The exact median duration (microseconds; the mean of the two middle ones for an even count), None when no
    complaint of the period and segment has one: the histogram walked in buckets, then the middle buckets' exact
    durations read. records: the parts' durations (read_records)."""
    kept = ComplaintTimeMonth
    scope = [kept.timing == timing, kept.month.in_(period.whole), *segment.on(kept)]
    buckets: Counter[int] = Counter()
    if period.whole:
        slot = _bucket_of(kept.micros)
        inner = select(slot.label("slot"), kept.complaints).where(*scope).subquery()
        for slot_value, n in session.execute(select(inner.c.slot, func.sum(inner.c.complaints)).group_by(inner.c.slot)):
            buckets[int(slot_value)] += int(n or 0)
    for value, n in records.items():
        buckets[bucket(value)] += n
    total = sum(buckets.values())
    if total <= 0:
        return None
    ranks = sorted({(total - 1) // 2, total // 2})  # 0-based ranks of the middle one(s)
    wanted: dict[int, int] = {}  # bucket -> complaints in the buckets before it
    seen = 0
    for slot_value in sorted(buckets):
        n = buckets[slot_value]
        if any(seen <= rank < seen + n for rank in ranks):
            wanted[slot_value] = seen
        seen += n
    values: dict[int, int] = {}
    for slot_value, before in wanted.items():
        exact: Counter[int] = Counter()
        lo, hi = slot_value * BUCKET_MICROS, (slot_value + 1) * BUCKET_MICROS
        if period.whole:
            for value, n in session.execute(
                select(kept.micros, func.sum(kept.complaints))
                .where(*scope, kept.micros >= lo, kept.micros < hi)
                .group_by(kept.micros)
            ):
                exact[int(value)] += int(n or 0)
        for value, n in records.items():
            if lo <= value < hi:
                exact[value] += n
        position = before
        for value in sorted(exact):
            n = exact[value]
            for rank in ranks:
                if position <= rank < position + n:
                    values[rank] = value
            position += n
    return sum(values[rank] for rank in ranks) / len(ranks)


__all__ = [
    "BUCKET_MICROS",
    "COMPLAINT_MEASURES",
    "MONTHS",
    "MONTH_MEASURES",
    "SUGGESTION_MEASURES",
    "TIMES",
    "Part",
    "Plan",
    "Records",
    "counts",
    "customer_conditions",
    "duration",
    "median_micros",
    "micros_between",
    "plan",
    "read_records",
]
