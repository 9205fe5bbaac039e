"""What the stress run checks once the workers are done, and the figures it reports.

- every accepted write is in the audit trail: a row by its writer at the version the save left the record at;
- no lost update: between the version a writer read and the one its save left, only its own changes are audited,
  and each field's old value there equals what the writer had read; and nothing is closed twice (a follow-up done
  by a logged contact and by a survey response, a survey alert closed by two people);
- each conflict names who changed the record and which fields;
- a save refused by a rule (the task was closed, the alert was handled) happened on a page out of date: the record
  changed since it was read, or the page would no longer offer the save;
- there are no other errors (database is locked, deadlock, integrity);
- the derived figures equal a recount: the calendar's day counts (crm.follow_ups' calendar counts) and each
  customer's cached next follow-up and last contact (refresh_follow_up_columns' formulas).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from crm.follow_ups import recount_day_counts, stored_day_counts
from crm.platform.change_display import describe_conflict
from crm.stress.operations import ACCEPTED, CONFLICT, ERROR, REFUSED, Outcome
from db.engine import Sessions
from db.models import Activity, AuditLog, Customer, FollowUpTask

SAMPLES = 5  # examples kept per failed check
CHUNK = 500  # record ids per audit query


@dataclass(frozen=True)
class KindFigures:
    """One kind of operation: how many, what became of them, and how long reads and saves took (ms)."""

    kind: str
    operations: int
    accepted: int
    conflicts: int
    refused: int
    errors: int
    retried: int  # saves run again after the database gave them up as deadlock victims (then saved or refused)
    read_p50_ms: float | None
    read_p95_ms: float | None
    save_p50_ms: float | None
    save_p95_ms: float | None


@dataclass(frozen=True)
class Report:
    """The run's figures and checks; `passed` when every check holds."""

    database: str
    dialect: str
    workers: int
    ops: int
    seed: int
    seconds: float
    pool: int
    kinds: tuple[KindFigures, ...]
    total: KindFigures
    conflicts_unnamed: int
    refusals_unexplained: int
    errors: int
    audit_missing: int
    lost_updates: int
    calendar_drift: int  # (owner, day) counts that differ from a recount
    next_follow_up_drift: int  # customers whose cached next follow-up differs from their open tasks'
    last_contact_drift: int  # customers whose cached last contact differs from their activities'
    worker_failures: tuple[str, ...]
    samples: dict[str, list[str]] = field(default_factory=dict)
    conflict_example: str = ""
    refusal_keys: dict[str, int] = field(default_factory=dict)
    error_keys: dict[str, int] = field(default_factory=dict)
    load: tuple[float, float] | None = None  # the machine's 1-minute load average before and after the workers
    cpus: int | None = None

    @property
    def failed_checks(self) -> list[str]:
        """The names of the checks that failed (empty: the run passed)."""
        counts = {
            "conflicts_unnamed": self.conflicts_unnamed,
            "refusals_unexplained": self.refusals_unexplained,
            "errors": self.errors,
            "audit_missing": self.audit_missing,
            "lost_updates": self.lost_updates,
            "calendar_drift": self.calendar_drift,
            "next_follow_up_drift": self.next_follow_up_drift,
            "last_contact_drift": self.last_contact_drift,
            "worker_failures": len(self.worker_failures),
        }
        failed = [name for name, count in counts.items() if count]
        if self.total.operations != self.workers * self.ops:
            failed.append("operations_missing")
        return failed

    @property
    def passed(self) -> bool:
        return not self.failed_checks


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (share 0.5 is the median); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(share * len(ordered)) - 1)], 1)


def figures(kind: str, outcomes: Sequence[Outcome]) -> KindFigures:
    """Count one kind's outcomes and time its reads and saves."""
    results = Counter(o.result for o in outcomes)
    reads = [o.read_ms for o in outcomes]
    saves = [o.save_ms for o in outcomes if o.result != ERROR or o.save_ms]
    return KindFigures(
        kind=kind,
        operations=len(outcomes),
        accepted=results[ACCEPTED],
        conflicts=results[CONFLICT],
        refused=results[REFUSED],
        errors=results[ERROR],
        retried=sum(1 for o in outcomes if o.retries),
        read_p50_ms=percentile(reads, 0.5),
        read_p95_ms=percentile(reads, 0.95),
        save_p50_ms=percentile(saves, 0.5),
        save_p95_ms=percentile(saves, 0.95),
    )


def conflict_named(outcome: Outcome) -> bool:
    """Tell whether a conflict says who changed the record (a known user) and which fields."""
    who = str(outcome.params.get("who") or "")
    fields = str(outcome.params.get("fields") or "")
    return bool(who) and "?" not in who.split(", ") and bool(fields)


def same_value(audited: str | None, read: str | None) -> bool:
    """Tell whether an audited old value is the value read (times compared as instants, whatever their notation)."""
    if audited == read:
        return True
    if audited is None or read is None:
        return False
    try:
        first, second = dt.datetime.fromisoformat(audited), dt.datetime.fromisoformat(read)
    except ValueError:
        return False
    if first.tzinfo is None:
        first = first.replace(tzinfo=dt.UTC)
    if second.tzinfo is None:
        second = second.replace(tzinfo=dt.UTC)
    return first == second


AuditRows = dict[tuple[str, int], list[Any]]  # (entity id, version) -> audit rows, per table


def _audit_rows(sessions: Sessions, entity: str, ids: Iterable[int]) -> AuditRows:
    rows: AuditRows = defaultdict(list)
    wanted = sorted({str(i) for i in ids})
    with sessions.read() as session:
        for start in range(0, len(wanted), CHUNK):
            for row in session.execute(
                select(
                    AuditLog.entity_id,
                    AuditLog.entity_version,
                    AuditLog.username,
                    AuditLog.field,
                    AuditLog.old_value,
                    AuditLog.new_value,
                )
                .where(
                    AuditLog.entity_type == entity,
                    AuditLog.entity_id.in_(wanted[start : start + CHUNK]),
                    AuditLog.entity_version.is_not(None),
                )
                .order_by(AuditLog.id)
            ):
                rows[(row.entity_id, int(row.entity_version))].append(row)
    return rows


def audit_problems(outcome: Outcome, rows: AuditRows) -> tuple[str | None, str | None]:
    """(why the write is missing from the audit trail, why it is a lost update); None for each that holds."""
    record = str(outcome.record_id)
    label = f"{outcome.kind} {outcome.entity} #{outcome.record_id} by {outcome.username}"
    if outcome.new_version is None or outcome.new_version <= outcome.read_version:
        return f"{label}: read v{outcome.read_version}, saved at v{outcome.new_version}", None
    mine = [r for r in rows.get((record, outcome.new_version), []) if r.username == outcome.username]
    missing = None if mine else f"{label}: no audit row by its writer at v{outcome.new_version}"
    between = [r for v in range(outcome.read_version + 1, outcome.new_version + 1) for r in rows.get((record, v), [])]
    others = sorted({r.username for r in between if r.username != outcome.username})
    if others:
        return missing, (
            f"{label}: read v{outcome.read_version}, saved v{outcome.new_version}, "
            f"but {', '.join(str(o) for o in others)} changed it in between"
        )
    for name, value in outcome.read_values.items():
        first = next((r for r in between if r.field == name), None)
        if first is not None and not same_value(first.old_value, value):
            return missing, f"{label}: {name} was {value!r} when read, the audit says {first.old_value!r}"
    return missing, None


def closed_twice(accepted: Iterable[Outcome]) -> list[str]:
    """One line per accepted save that closed a record another accepted save had already closed."""
    closings: dict[tuple[str, int], list[Outcome]] = defaultdict(list)
    for outcome in accepted:
        if outcome.closes is not None:
            closings[outcome.closes].append(outcome)
    found = []
    for (entity, record_id), saves in sorted(closings.items()):
        who = ", ".join(f"{o.kind} by {o.username} (read v{o.read_version})" for o in saves)
        found += [f"{entity} #{record_id} closed {len(saves)} times: {who}"] * (len(saves) - 1)
    return found


def derived_drift(sessions: Sessions) -> tuple[int, int, int, list[str]]:
    """Compare the maintained figures with a recount: calendar day counts, next follow-up, last contact."""
    samples: list[str] = []
    with sessions.engine.connect() as connection:
        stored, recounted = stored_day_counts(connection), recount_day_counts(connection)
    calendar = sorted(k for k in set(stored) | set(recounted) if stored.get(k, 0) != recounted.get(k, 0))
    samples += [f"day count {k}: stored {stored.get(k, 0)}, recount {recounted.get(k, 0)}" for k in calendar[:SAMPLES]]
    next_due = (
        select(func.min(FollowUpTask.due_at))
        .where(FollowUpTask.customer_id == Customer.id, FollowUpTask.status == "open")
        .scalar_subquery()
    )
    last_contact = (
        select(func.max(Activity.occurred_at))
        .where(Activity.customer_id == Customer.id, Activity.archived_at.is_(None))
        .scalar_subquery()
    )
    with sessions.read() as session:
        rows = session.execute(
            select(Customer.id, Customer.next_follow_up_at, next_due, Customer.last_contact_at, last_contact)
        ).all()
    next_drift = [r for r in rows if r[1] != r[2]]
    last_drift = [r for r in rows if r[3] != r[4]]
    samples += [f"customer #{r[0]} next follow-up: cached {r[1]}, recount {r[2]}" for r in next_drift[:SAMPLES]]
    samples += [f"customer #{r[0]} last contact: cached {r[3]}, recount {r[4]}" for r in last_drift[:SAMPLES]]
    return len(calendar), len(next_drift), len(last_drift), samples


def check(
    sessions: Sessions,
    outcomes: Sequence[Outcome],
    *,
    database: str,
    workers: int,
    ops: int,
    seed: int,
    seconds: float,
    pool: int,
    worker_failures: Sequence[str] = (),
    load: tuple[float, float] | None = None,
    cpus: int | None = None,
) -> Report:
    """Run every check on the outcomes and the database after the run; return the report."""
    samples: dict[str, list[str]] = defaultdict(list)

    def note(check_name: str, text: str) -> None:
        if len(samples[check_name]) < SAMPLES:
            samples[check_name].append(text)

    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_kind[outcome.kind].append(outcome)
    conflicts = [o for o in outcomes if o.result == CONFLICT]
    unnamed = [o for o in conflicts if not conflict_named(o)]
    for o in unnamed:
        note("conflicts_unnamed", f"{o.kind} #{o.record_id}: {o.key} {o.params}")
    refused = [o for o in outcomes if o.result == REFUSED]
    unexplained = [o for o in refused if not o.explained]
    for o in unexplained:
        note("refusals_unexplained", f"{o.kind} #{o.record_id} v{o.read_version} by {o.username}: {o.detail}")
    errors = [o for o in outcomes if o.result == ERROR]
    for o in errors:
        note("errors", f"{o.kind} #{o.record_id} by {o.username}: {o.key}: {o.detail}")

    accepted = [o for o in outcomes if o.result == ACCEPTED]
    missing = lost = 0
    for text in closed_twice(accepted):
        lost += 1
        note("lost_updates", text)
    for entity in sorted({o.entity for o in accepted}):
        mine = [o for o in accepted if o.entity == entity]
        rows = _audit_rows(sessions, entity, (o.record_id for o in mine))
        for outcome in mine:
            why_missing, why_lost = audit_problems(outcome, rows)
            if why_missing:
                missing += 1
                note("audit_missing", why_missing)
            if why_lost:
                lost += 1
                note("lost_updates", why_lost)
    calendar, next_drift, last_drift, drift_samples = derived_drift(sessions)
    for text in drift_samples:
        note("derived_counts", text)
    example = ""
    if conflicts:
        first = next((o for o in conflicts if conflict_named(o)), conflicts[0])
        example = describe_conflict(first.changes, first.language, key=first.key, params=first.params)
        example = example.split("\n\n")[0]
    return Report(
        database=database,
        dialect=sessions.dialect,
        workers=workers,
        ops=ops,
        seed=seed,
        seconds=seconds,
        pool=pool,
        kinds=tuple(figures(kind, by_kind[kind]) for kind in sorted(by_kind)),
        total=figures("all", outcomes),
        conflicts_unnamed=len(unnamed),
        refusals_unexplained=len(unexplained),
        errors=len(errors),
        audit_missing=missing,
        lost_updates=lost,
        calendar_drift=calendar,
        next_follow_up_drift=next_drift,
        last_contact_drift=last_drift,
        worker_failures=tuple(worker_failures),
        samples=dict(samples),
        conflict_example=example,
        refusal_keys=dict(Counter(o.key for o in refused).most_common()),
        error_keys=dict(Counter(o.key for o in errors).most_common()),
        load=load,
        cpus=cpus,
    )
