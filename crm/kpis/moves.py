"""The stage-move rollups (kpi_stage_move_months and _hours, db/models/rollups.py): the dashboard's figures about
moves in a period (churned, converted and their days to sign, moved on, entered potential/intent) counted as
distinct customers without reading the period's stage changes.

A figure counts the customers with a move of some kind in the period [S, E), each once. Each move e of a customer
is stored with an instant `since_at` before it, and a period counts the rows with since_at < S <= e < E; the rows
are made so that this counts each customer once:

- a move of a plain kind (to churned; from potential or intent to signed; potential -> intent or signed; intent ->
  signed): since_at = the customer's previous move of the kind (NO_INSTANT: none). The moves of [S, E) whose
  previous one lies before S are each customer's first of the period: one per customer. A conversion's row also
  holds its `days` (whole days from the customer's creation), so the median is read from the first conversions.
- "entered" a set of stages T (the conversion rate's and the funnel's denominators, added to the customers in T
  at S): a customer counts when it has a change into T in [S, E) and at S was not yet created (S <= created_at)
  or held a stage outside T, its stage at S read as crm/kpis/scope.py reads it: the from_stage of its first
  change at or after S in (changed_at, id) order (NULL: outside T). Through which change e into T, and for which
  S? With p the customer's change into T before e, S must lie in (p, e] (e is then its first change into T from
  S on), and the change ck that is the first at or after S (it is for the S in (c(k-1), ck]) must leave S open:
  its from_stage outside T, or S <= created_at. So each change ck after p up to e opens (c(k-1), ck], or (c(k-1),
  min(ck, created_at)] when its from_stage is in T, and an interval (a, b] is stored under e as +1 at since a and
  -1 at since b (since_at < S <= e counts it exactly when a < S <= b). In a regular history (each from_stage the
  stage before) the rows cancel down to one, since_at = the change right after p (NO_INSTANT without p; then only
  a customer created in T without a change recording it gets a -1 at its creation). The sums are exact for any
  history: moves merged from another customer, several at one instant, changes at or before the creation.

The months hold whole local months; the hours (UTC hours, whatever the zone) the rest of a period, and the
minutes around a period's ends that are not whole hours (a running period ends now) are read from the records
with the same rows (`move_rows`) for the few customers changed in them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from crm.kpis.rollups import segment_filter
from crm.kpis.scope import Scope, Window
from crm.platform.rollups import (
    CHUNK,
    NOT_FILTERED,
    SEGMENT,
    Rollup,
    SegmentFilter,
    customer_ids_of,
    filter_segment_of,
    live_customers,
    month_of,
    register,
)
from crm.platform.sql_time import Instant, hour_of, whole_days
from db.models import Customer, KpiMonth, StageChange
from db.models.rollups import NO_INSTANT, KpiStageMoveHour, KpiStageMoveMonth

CHURNED = "churned"
SIGNED = "signed"  # from potential or intent to signed (a conversion), with its days to sign
POTENTIAL_ON = "potential_on"  # potential -> intent or signed
INTENT_ON = "intent_on"  # intent -> signed
PROSPECT_STAGES = ("potential", "intent")
# kind -> the set of stages T entered
ENTERED = {
    "entered_prospect": PROSPECT_STAGES,
    "entered_potential": ("potential",),
    "entered_intent": ("intent",),
}
ENTERED_KIND = {stages: kind for kind, stages in ENTERED.items()}
KINDS = (CHURNED, SIGNED, POTENTIAL_ON, INTENT_ON, *ENTERED)
HOUR = dt.timedelta(hours=1)
DAY_MICROS = 86_400_000_000

Counts = Counter[tuple[str, int]]  # (kind, days) -> customers


# --- each customer's move rows ------------------------------------------------------------------------------


def _plain_kinds(from_stage: Any, to_stage: Any) -> dict[str, ColumnElement[bool]]:
    return {
        CHURNED: to_stage == "churned",
        SIGNED: and_(to_stage == "signed", from_stage.in_(PROSPECT_STAGES)),
        POTENTIAL_ON: and_(from_stage == "potential", to_stage.in_(("intent", "signed"))),
        INTENT_ON: and_(from_stage == "intent", to_stage == "signed"),
    }


def _changes(condition: ColumnElement[bool] | None, ids: list[int] | None = None) -> Any:
    """Subquery: every change of the live customers picked (or of those ids), with its customer's segment and
    creation, the instant of the change before it, of the customer's previous move of each plain kind, and of its
    next change into each set T (at or after it), in (changed_at, id) order."""
    change = StageChange
    window: dict[str, Any] = {"partition_by": change.customer_id, "order_by": (change.changed_at, change.id)}
    columns: list[Any] = [
        change.customer_id.label("customer_id"),
        change.changed_at.label("at"),
        change.from_stage.label("from_stage"),
        change.to_stage.label("to_stage"),
        func.lag(change.changed_at).over(**window).label("previous_at"),
    ]
    for kind, move in _plain_kinds(change.from_stage, change.to_stage).items():
        last = func.max(case((move, change.changed_at))).over(**window, rows=(None, -1))
        columns.append(last.label(f"last_{kind}"))
    for kind, stages in ENTERED.items():
        following = func.min(case((change.to_stage.in_(stages), change.changed_at))).over(**window, rows=(0, None))
        columns.append(following.label(f"next_{kind}"))
    customer = [Customer.created_at.label("created_at"), *filter_segment_of()]
    if ids is None:
        return (
            select(*columns, *customer)
            .join(Customer, Customer.id == change.customer_id)
            .where(*live_customers(condition))
            .subquery("changes")
        )
    # The ids' changes first, their customers after: a query over both lets SQLite (without statistics) walk every
    # live customer by its archived_at index for a few ids.
    theirs = select(*columns).where(change.customer_id.in_(ids)).subquery("theirs")
    return (
        select(theirs, *customer)
        .join(Customer, Customer.id == theirs.c.customer_id)
        .where(*live_customers(condition))
        .subquery("changes")
    )


@dataclass(frozen=True)
class _Part:
    """One kind of row a change may give: when, at which move, since when, with what days and sign."""

    kind: str
    when: Any
    at: Any
    since: Any
    days: Any
    sign: int


def _parts(changes: Any) -> list[_Part]:
    c = changes.c
    never = literal(NO_INSTANT, type_=Instant())
    zero = literal_column("0", Integer())
    parts = []
    for kind, move in _plain_kinds(c.from_stage, c.to_stage).items():
        days = whole_days(c.created_at, c.at) if kind == SIGNED else zero
        parts.append(_Part(kind, move, c.at, func.coalesce(c[f"last_{kind}"], never), days, 1))
    previous = func.coalesce(c.previous_at, never)
    for kind, stages in ENTERED.items():
        entered = c[f"next_{kind}"]
        outside = or_(c.from_stage.is_(None), c.from_stage.not_in(stages))
        # The S in (previous change, this change] are open when this change's from_stage lies outside T; when it
        # lies inside, only those up to the creation are.
        opens = and_(entered.is_not(None), or_(outside, c.created_at > previous))
        closes = case((outside, c.at), (c.at < c.created_at, c.at), else_=c.created_at)
        parts.append(_Part(kind, opens, entered, previous, zero, 1))
        parts.append(_Part(kind, opens, entered, closes, zero, -1))
    return parts


def move_rows(condition: ColumnElement[bool] | None, ids: list[int] | None = None) -> Any:
    """Subquery: customer_id, kind, at (the move's instant), since_at, days, sign, and the customer's segment
    (labelled as the rollups' columns): the rows each move of the live customers picked contributes, in one pass
    over their changes (each change crossed with the few kinds of row it may give). A row with since_at >= at
    never counts: left out."""
    changes = _changes(condition, ids)
    parts = _parts(changes)
    # Constants inline, not bound: the statement is built for every flush that moves stage changes.
    numbers = union_all(*(select(literal_column(str(i), Integer()).label("part")) for i in range(len(parts))))
    numbered = numbers.subquery("parts")
    is_part = [numbered.c.part == literal_column(str(i), Integer()) for i in range(len(parts))]

    def pick(values: Iterable[Any], type_: Any) -> Any:
        return type_coerce(case(*zip(is_part, values, strict=True)), type_)

    expanded = (
        select(
            changes.c.customer_id,
            pick((literal_column(f"'{p.kind}'") for p in parts), String()).label("kind"),
            pick((p.at for p in parts), Instant()).label("at"),
            pick((p.since for p in parts), Instant()).label("since_at"),
            pick((p.days for p in parts), Integer()).label("days"),
            pick((literal_column(str(p.sign)) for p in parts), Integer()).label("sign"),
            *(changes.c[name] for name in SEGMENT),
        )
        .select_from(changes)
        .join(numbered, literal_column("1") == literal_column("1"))
        .where(or_(*(and_(is_part[i], p.when) for i, p in enumerate(parts))))
        .subquery("expanded")
    )
    return select(expanded).where(expanded.c.since_at < expanded.c.at).subquery("moves")


# --- contributions and the rollups -------------------------------------------------------------------------


def _summed(moves: Any, period: Any, name: str) -> Select[Any]:
    """The move rows summed per `period` (an expression of the move's instant, labelled `name`) and the keys."""
    keyed = select(period.label(name), *(moves.c[k] for k in ("kind", "since_at", "days", *SEGMENT, "sign")))
    rows = keyed.subquery("keyed")
    keys = [rows.c[k] for k in (name, "kind", "since_at", "days", *SEGMENT) if k not in NOT_FILTERED]
    blanks = [rows.c[k] for k in NOT_FILTERED]
    total = func.sum(rows.c.sign)
    return (
        select(*keys, *blanks, total.label("customers"))
        .where(rows.c[name].is_not(None))
        .group_by(*keys, *blanks)
        .having(total != 0)
    )


def month_contributions(condition: ColumnElement[bool] | None) -> Select[Any]:
    moves = move_rows(condition)
    return _summed(moves, month_of(moves.c.at), "month")


def hour_contributions(condition: ColumnElement[bool] | None) -> Select[Any]:
    moves = move_rows(condition)
    return _summed(moves, hour_of(moves.c.at), "hour")


def _touched(session: Session) -> set[int]:
    return customer_ids_of(session, StageChange)


MOVE_MONTHS = register(Rollup("stage_move_months", KpiStageMoveMonth, ("customers",), month_contributions, _touched))
MOVE_HOURS = register(Rollup("stage_move_hours", KpiStageMoveHour, ("customers",), hour_contributions, _touched))


# --- reading -------------------------------------------------------------------------------------------------


def _add(counts: Counts, rows: Iterable[Any], sign: int) -> None:
    for kind, days, n in rows:
        counts[(str(kind), int(days))] += sign * int(n or 0)


def _floor_hour(instant: dt.datetime) -> dt.datetime:
    return instant.replace(minute=0, second=0, microsecond=0)


def _ceil_hour(instant: dt.datetime) -> dt.datetime:
    floor = _floor_hour(instant)
    return floor if floor == instant else floor + HOUR


def _from_records(
    session: Session,
    kinds: tuple[str, ...],
    lo: dt.datetime,
    hi: dt.datetime,
    since_before: dt.datetime,
    conditions: list[ColumnElement[bool]],
) -> list[Any]:
    """(kind, days, customers) of the moves at [lo, hi) with since_at < since_before, from the records: the rows of
    the customers changed in [lo, hi) (a short stretch: the minutes at a period's ends that are no whole hour; most
    often none), read like the rollups' contributions, by their ids."""
    changed = session.scalars(
        select(StageChange.customer_id)
        .where(StageChange.changed_at >= lo, StageChange.changed_at < hi)
        .distinct()
        .order_by(StageChange.customer_id)
    ).all()
    rows: list[Any] = []
    for start in range(0, len(changed), CHUNK):
        moves = move_rows(and_(*conditions), list(changed[start : start + CHUNK]))
        rows += session.execute(
            select(moves.c.kind, moves.c.days, func.sum(moves.c.sign))
            .where(moves.c.kind.in_(kinds), moves.c.at >= lo, moves.c.at < hi, moves.c.since_at < since_before)
            .group_by(moves.c.kind, moves.c.days)
        ).all()
    return rows


def _from_hours(
    session: Session,
    kinds: tuple[str, ...],
    lo: dt.datetime,
    hi: dt.datetime,
    since_before: dt.datetime,
    segment: SegmentFilter,
    conditions: list[ColumnElement[bool]],
) -> Counts:
    """The moves at [lo, hi) with since_at < since_before: its whole UTC hours from kpi_stage_move_hours, the
    minutes around them from the records."""
    counts: Counts = Counter()
    first, last = _ceil_hour(lo), _floor_hour(hi)
    if first >= last:
        _add(counts, _from_records(session, kinds, lo, hi, since_before, conditions), 1)
        return counts
    kept = KpiStageMoveHour
    _add(
        counts,
        session.execute(
            select(kept.kind, kept.days, func.sum(kept.customers))
            .where(
                kept.hour >= first,
                kept.hour < last,
                kept.kind.in_(kinds),
                kept.since_at < since_before,
                *segment.on(kept),
            )
            .group_by(kept.kind, kept.days)
        ),
        1,
    )
    for a, b in ((lo, first), (last, hi)):
        if a < b:
            _add(counts, _from_records(session, kinds, a, b, since_before, conditions), 1)
    return counts


def count_moves(
    session: Session,
    kinds: Iterable[str],
    start: dt.datetime,
    end: dt.datetime,
    *,
    segment: SegmentFilter,
    conditions: list[ColumnElement[bool]],
) -> Counts:
    """{(kind, days): customers} for the moves of [start, end): each customer with a move of the kind in it once
    (entered: those not in the set at start), days the whole days to sign of its first conversion (0 for the other
    kinds); the customers counted picked by the segment (the rollups) and the same conditions on customers (the
    records read for the minutes at the ends that are no whole hour).

    Whole local months from kpi_stage_move_months; a part month from kpi_stage_move_hours, or the whole month less
    the hours outside the period when those are fewer."""
    wanted = tuple(kinds)
    counts: Counts = Counter()
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    if start >= end:
        return counts
    months = session.execute(
        select(KpiMonth.month, KpiMonth.start_at, KpiMonth.end_at)
        .where(KpiMonth.end_at > start, KpiMonth.start_at < end)
        .order_by(KpiMonth.start_at)
    ).all()
    whole: list[dt.date] = []
    parts: list[tuple[dt.datetime, dt.datetime, int]] = []
    for month, month_start, month_end in months:
        lo, hi = max(start, month_start), min(end, month_end)
        if (lo, hi) == (month_start, month_end):
            whole.append(month)
        elif (month_end - month_start) - (hi - lo) < hi - lo:
            whole.append(month)
            parts += [(a, b, -1) for a, b in ((month_start, lo), (hi, month_end)) if a < b]
        else:
            parts.append((lo, hi, 1))
    if whole:
        kept = KpiStageMoveMonth
        _add(
            counts,
            session.execute(
                select(kept.kind, kept.days, func.sum(kept.customers))
                .where(kept.month.in_(whole), kept.kind.in_(wanted), kept.since_at < start, *segment.on(kept))
                .group_by(kept.kind, kept.days)
            ),
            1,
        )
    for lo, hi, sign in parts:
        for key, n in _from_hours(session, wanted, lo, hi, start, segment, conditions).items():
            counts[key] += sign * n
    return Counter({key: n for key, n in counts.items() if n})


def count_moves_each(
    session: Session,
    kinds: Iterable[str],
    parts: list[tuple[dt.datetime, dt.datetime]],
    *,
    segment: SegmentFilter,
    conditions: list[ColumnElement[bool]],
) -> list[Counts]:
    """count_moves for each [start, end) of the list (a period's months): those that are whole local months in one
    statement (each month's rows with since_at before its own start), the others one by one."""
    wanted = tuple(kinds)
    found: list[Counts] = [Counter() for _ in parts]
    bounds = [(a.astimezone(dt.UTC), b.astimezone(dt.UTC)) for a, b in parts]
    starts = [a for a, b in bounds if a < b]
    months = {}
    if starts:
        months = {
            (start_at, end_at): month
            for month, start_at, end_at in session.execute(
                select(KpiMonth.month, KpiMonth.start_at, KpiMonth.end_at).where(KpiMonth.start_at.in_(starts))
            )
        }
    whole = {months[bound]: i for i, bound in enumerate(bounds) if bound in months}
    if whole:
        kept = KpiStageMoveMonth
        rows = session.execute(
            select(kept.month, kept.kind, kept.days, func.sum(kept.customers))
            .join(KpiMonth, KpiMonth.month == kept.month)
            .where(
                kept.month.in_(sorted(whole)),
                kept.kind.in_(wanted),
                kept.since_at < KpiMonth.start_at,
                *segment.on(kept),
            )
            .group_by(kept.month, kept.kind, kept.days)
        )
        for month, kind, days, n in rows:
            found[whole[month]][(str(kind), int(days))] += int(n or 0)
    for i, (a, b) in enumerate(bounds):
        if (a, b) not in months:
            found[i] = count_moves(session, wanted, a, b, segment=segment, conditions=conditions)
    return [Counter({key: n for key, n in counts.items() if n}) for counts in found]


def customers_of(counts: Counts, kind: str) -> int:
    """How many customers the counts hold for the kind."""
    return sum(n for (k, _days), n in counts.items() if k == kind)


def days_of(counts: Counts, kind: str = SIGNED) -> Counter[int]:
    """{days: customers} of the kind (the conversions' whole days to sign)."""
    return Counter({days: n for (k, days), n in counts.items() if k == kind and n})


def median_of(values: Counter[int]) -> float | None:
    """The median of the values counted (None: none), as statistics.median."""
    total = sum(values.values())
    if total <= 0:
        return None
    ordered = sorted(values.items())

    def nth(index: int) -> int:
        seen = 0
        for value, n in ordered:
            seen += n
            if index < seen:
                return value
        raise IndexError(index)

    middle = total // 2
    if total % 2:
        return float(nth(middle))
    return (nth(middle - 1) + nth(middle)) / 2


def moves_in(session: Session, w: Window, scope: Scope, kinds: Iterable[str]) -> Counts:
    """count_moves for the period, [start, as_of), and the scope's customers."""
    return count_moves(
        session,
        kinds,
        w.start_at,
        w.as_of,
        segment=segment_filter(scope.owner_id, scope.filters),
        conditions=list(scope.conditions),
    )


def moves_each(
    session: Session, scope: Scope, kinds: Iterable[str], parts: list[tuple[dt.datetime, dt.datetime]]
) -> list[Counts]:
    """count_moves_each for the parts of a period and the scope's customers."""
    return count_moves_each(
        session,
        kinds,
        parts,
        segment=segment_filter(scope.owner_id, scope.filters),
        conditions=list(scope.conditions),
    )
