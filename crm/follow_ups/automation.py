"""Automatic follow-ups: rules managers switch on and off, run set-based, never duplicating an open task.

Rules run when the data they watch changes (the follow-up services call `run_rules_for_customers` for the
customer they touched; other features call it after a churn, a survey response or a closed complaint) and
in bulk by `python -m crm follow-ups generate` (daily, from cron: a customer also falls out of cadence by
the mere passing of time). Duplicates are impossible rather than merely avoided: every open task carries
``open_key = "<customer>:<purpose>"`` under a unique index, and inserts that collide with a concurrent run
are skipped one by one inside savepoints.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, func, insert, or_, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from crm.follow_ups.cadence import Cadences, cadence_due_since, load_cadences
from crm.follow_ups.calendar_counts import apply_changes
from crm.follow_ups.core import (
    DayWindows,
    company_timezone,
    day_windows,
    local_date,
    open_key,
    refresh_follow_up_columns,
    to_utc,
)
from crm.platform.audit import audit_row, write_audit
from crm.platform.clock import utcnow, working_time
from crm.platform.errors import ValidationCollector
from crm.platform.permissions import Actor, require
from crm.platform.uow import transaction
from db.engine import Sessions, refresh_statistics
from db.models import AutomationRule, Complaint, Contact, Customer, FollowUpTask, SurveyResponse

CHUNK = 2_000
ANALYZE_AFTER = 20_000  # new tasks after which the planner's statistics of follow_up_tasks are refreshed
DEADLOCK_RETRIES = 3


@dataclass(frozen=True)
class RuleSpec:
    """A rule: the purpose of the tasks it creates and its parameters with their defaults and bounds."""

    code: str
    purpose: str
    defaults: dict[str, int]
    bounds: dict[str, tuple[int, int]] = field(default_factory=dict)


RULE_SPECS: dict[str, RuleSpec] = {
    spec.code: spec
    for spec in (
        RuleSpec("cadence_revisit", "regular_revisit", {"due_in_days": 0}, {"due_in_days": (0, 30)}),
        RuleSpec("churn_win_back", "win_back", {"days_after_churn": 30}, {"days_after_churn": (0, 365)}),
        RuleSpec(
            "low_survey",
            "survey",
            {"nps_max": 6, "csat_max": 2, "due_in_days": 3, "within_days": 30},
            {"nps_max": (0, 10), "csat_max": (1, 5), "due_in_days": (0, 30), "within_days": (1, 365)},
        ),
        RuleSpec(
            "closed_complaint",
            "complaint",
            {"due_in_days": 3, "within_days": 30},
            {"due_in_days": (0, 30), "within_days": (1, 365)},
        ),
    )
}
RULE_CODES: tuple[str, ...] = tuple(RULE_SPECS)


@dataclass(frozen=True)
class RuleView:
    code: str
    purpose: str
    enabled: bool
    params: dict[str, int]
    last_run_at: dt.datetime | None


@dataclass(frozen=True)
class _Run:
    """What one run of the rules needs to know: the instant, the company's day and the cadences."""

    now: dt.datetime
    windows: DayWindows
    cadences: Cadences
    work_time: dt.time = dt.time(9)

    @property
    def end_of_today(self) -> dt.datetime:
        return to_utc(self.windows.today, None, self.windows.tz)

    def end_of_day_after(self, days: int, base: dt.datetime | None = None) -> dt.datetime:
        """When a rule's task for the local day `days` after base (or today) is due.

        At the company's working time on that day (the follow_up_default_time setting), as a person would plan
        it; a task for a day whose working time has already passed is due by the end of today instead, so a
        rule never creates a task that is overdue the moment it exists.
        """
        tz = self.windows.tz
        day = (local_date(base, tz) if base else self.windows.today) + dt.timedelta(days=days)
        at_work = to_utc(day, self.work_time, tz)
        return at_work if at_work > self.now else self.end_of_today


def _start(session: Session, now: dt.datetime | None) -> _Run:
    now = now or utcnow()
    return _Run(
        now=now,
        windows=day_windows(now, company_timezone(session)),
        cadences=load_cadences(session),
        work_time=working_time(session),
    )


# --- rule settings ---------------------------------------------------------------------------------


def rule_settings(session: Session) -> dict[str, tuple[bool, dict[str, int]]]:
    """Return each rule's (enabled, params); a rule never stored is on with its defaults."""
    stored = {row.code: row for row in session.scalars(select(AutomationRule))}
    settings: dict[str, tuple[bool, dict[str, int]]] = {}
    for code, spec in RULE_SPECS.items():
        row = stored.get(code)
        params = dict(spec.defaults)
        if row is not None and isinstance(row.params, dict):
            params.update({k: int(v) for k, v in row.params.items() if k in spec.defaults})
        settings[code] = (True if row is None else bool(row.enabled), params)
    return settings


def list_rules(sessions: Sessions, *, actor: Actor) -> list[RuleView]:
    """List the automatic follow-up rules with their switches (managers)."""
    require(actor, "follow_ups.manage")
    with sessions.read() as session:
        settings = rule_settings(session)
        runs = dict(session.execute(select(AutomationRule.code, AutomationRule.last_run_at)).all())
    return [
        RuleView(
            code=code,
            purpose=RULE_SPECS[code].purpose,
            enabled=settings[code][0],
            params=settings[code][1],
            last_run_at=runs.get(code),
        )
        for code in RULE_CODES
    ]


def update_rules(
    sessions: Sessions,
    *,
    actor: Actor,
    enabled: dict[str, bool],
    params: dict[str, dict[str, int]] | None = None,
    token: str | None = None,
) -> list[RuleView]:
    """Switch rules on or off and set their parameters, audited, in one transaction."""
    require(actor, "follow_ups.manage")
    params = params or {}
    errors = ValidationCollector()
    for code in (*enabled, *params):
        if code not in RULE_SPECS:
            errors.add(code, "validation.choice")
    for code, values in params.items():
        spec = RULE_SPECS.get(code)
        for name, value in values.items():
            low, high = spec.bounds.get(name, (0, 3650)) if spec else (0, 0)
            if spec is None or name not in spec.defaults or not isinstance(value, int) or not low <= value <= high:
                errors.add(f"{code}.{name}", "follow_ups.error.rule_param", low=low, high=high)
    errors.raise_if_any()
    with transaction(sessions, actor=actor, token=token, operation="follow_ups.rules") as session:
        current = rule_settings(session)
        audit: list[dict[str, Any]] = []
        for code in RULE_CODES:
            old_enabled, old_params = current[code]
            new_enabled = enabled.get(code, old_enabled)
            new_params = {**old_params, **params.get(code, {})}
            if new_enabled == old_enabled and new_params == old_params:
                continue
            row = session.get(AutomationRule, code)
            if row is None:
                session.add(AutomationRule(code=code, enabled=new_enabled, params=new_params))
            else:
                row.enabled, row.params = new_enabled, new_params
            if new_enabled != old_enabled:
                audit.append(
                    audit_row(
                        actor, "update", "automation_rules", code, field="enabled", old=old_enabled, new=new_enabled
                    )
                )
            if new_params != old_params:
                audit.append(
                    audit_row(actor, "update", "automation_rules", code, field="params", old=old_params, new=new_params)
                )
        session.flush()
        write_audit(session, audit)
    return list_rules(sessions, actor=actor)


# --- candidates: which customers each rule would give a task now ----------------------------------

Candidate = tuple[int, dict[str, Any]]  # (keyset position, follow_up_tasks row)
Finder = Callable[[Session, _Run, dict[str, int], Sequence[int] | None, int | None, int | None], list[Candidate]]


def _primary_contact(customer_id_column: Any) -> Any:
    return (
        select(func.min(Contact.id))
        .where(Contact.customer_id == customer_id_column, Contact.is_primary.is_(True), Contact.archived_at.is_(None))
        .scalar_subquery()
    )


def _none_of_the_customers_tasks(customer_id_column: Any, *conditions: Any) -> Any:
    """SQL: the customer has no task matching the conditions, probed per customer through its index.

    Written as a correlated COUNT rather than NOT EXISTS on purpose: with an OR over outer columns the
    anti-join cannot be hashed, and PostgreSQL with stale statistics (right after a big run) materialised
    every win-back task and compared it with every churned customer: minutes instead of milliseconds.
    A scalar subquery is always a per-row probe of (customer_id, status, due_at).
    """
    return (
        select(func.count()).where(FollowUpTask.customer_id == customer_id_column, *conditions).scalar_subquery() == 0
    )


def _task_row(
    run: _Run,
    *,
    code: str,
    customer_id: int,
    owner_id: int,
    due_at: dt.datetime,
    priority: str,
    contact_id: int | None = None,
    recurrence_days: int | None = None,
    complaint_id: int | None = None,
    survey_id: int | None = None,
) -> dict[str, Any]:
    purpose = RULE_SPECS[code].purpose
    return {
        "customer_id": customer_id,
        "contact_id": contact_id,
        "owner_id": owner_id,
        "due_at": due_at,
        "priority": priority,
        "purpose": purpose,
        "channel": None,
        "note": None,
        "status": "open",
        "open_key": open_key(customer_id, purpose),
        "recurrence_days": recurrence_days,
        "created_by_rule": code,
        "reschedule_reason": None,
        "completed_at": None,
        "source_complaint_id": complaint_id,
        "source_survey_id": survey_id,
        "version": 1,
        "archived_at": None,
        "created_at": run.now,
        "updated_at": run.now,
    }


def _scoped(
    stmt: Any, key: Any, customer_column: Any, customer_ids: Sequence[int] | None, after: int | None, limit: int | None
) -> Any:
    if customer_ids is not None:
        stmt = stmt.where(customer_column.in_(list(customer_ids)))
    if after is not None:
        stmt = stmt.where(key > after)
    stmt = stmt.order_by(key)
    return stmt.limit(limit) if limit else stmt


def _cadence_revisit(
    session: Session,
    run: _Run,
    params: dict[str, int],
    customer_ids: Sequence[int] | None,
    after: int | None,
    limit: int | None,
) -> list[Candidate]:
    """Live, non-churned customers with an owner, nothing planned, and no contact within their cadence."""
    stmt = select(
        Customer.id, Customer.owner_id, Customer.value_tier, Customer.importance, _primary_contact(Customer.id)
    ).where(
        Customer.archived_at.is_(None),
        Customer.owner_id.is_not(None),
        Customer.lifecycle_stage != "churned",
        Customer.next_follow_up_at.is_(None),
        or_(Customer.last_contact_at.is_(None), Customer.last_contact_at < cadence_due_since(run.cadences, run.now)),
        ~exists().where(FollowUpTask.customer_id == Customer.id, FollowUpTask.status == "open"),
    )
    due_at = run.end_of_day_after(params["due_in_days"])
    candidates = []
    for cid, owner, tier, importance, contact in session.execute(
        _scoped(stmt, Customer.id, Customer.id, customer_ids, after, limit)
    ):
        candidates.append(
            (
                cid,
                _task_row(
                    run,
                    code="cadence_revisit",
                    customer_id=cid,
                    owner_id=owner,
                    due_at=due_at,
                    contact_id=contact,
                    priority="high" if tier == "high" or importance == "strategic" else "normal",
                    recurrence_days=run.cadences.for_customer(tier, importance),
                ),
            )
        )
    return candidates


def _churn_win_back(
    session: Session,
    run: _Run,
    params: dict[str, int],
    customer_ids: Sequence[int] | None,
    after: int | None,
    limit: int | None,
) -> list[Candidate]:
    """Churned customers with an owner and no win-back task since they churned: one due N days after churn."""
    stmt = select(
        Customer.id, Customer.owner_id, Customer.value_tier, Customer.stage_changed_at, _primary_contact(Customer.id)
    ).where(
        Customer.archived_at.is_(None),
        Customer.owner_id.is_not(None),
        Customer.lifecycle_stage == "churned",
        _none_of_the_customers_tasks(
            Customer.id,
            FollowUpTask.purpose == "win_back",
            or_(
                FollowUpTask.status == "open",
                Customer.stage_changed_at.is_(None),
                FollowUpTask.created_at >= Customer.stage_changed_at,
            ),
        ),
    )
    candidates = []
    for cid, owner, tier, churned_at, contact in session.execute(
        _scoped(stmt, Customer.id, Customer.id, customer_ids, after, limit)
    ):
        candidates.append(
            (
                cid,
                _task_row(
                    run,
                    code="churn_win_back",
                    customer_id=cid,
                    owner_id=owner,
                    contact_id=contact,
                    due_at=run.end_of_day_after(params["days_after_churn"], churned_at or run.now),
                    priority="high" if tier == "high" else "normal",
                ),
            )
        )
    return candidates


def _low_survey(
    session: Session,
    run: _Run,
    params: dict[str, int],
    customer_ids: Sequence[int] | None,
    after: int | None,
    limit: int | None,
) -> list[Candidate]:
    """Recent responses scoring NPS ≤ n or CSAT ≤ m that no survey follow-up has answered yet."""
    response = SurveyResponse
    stmt = (
        select(response.id, response.customer_id, Customer.owner_id, response.contact_id)
        .join(Customer, Customer.id == response.customer_id)
        .where(
            response.archived_at.is_(None),
            Customer.archived_at.is_(None),
            Customer.owner_id.is_not(None),
            response.responded_at >= run.now - dt.timedelta(days=params["within_days"]),
            or_(response.nps <= params["nps_max"], response.overall_score <= params["csat_max"]),
            ~exists().where(FollowUpTask.source_survey_id == response.id),
            _none_of_the_customers_tasks(
                response.customer_id,
                FollowUpTask.purpose == "survey",
                or_(FollowUpTask.status == "open", FollowUpTask.created_at >= response.responded_at),
            ),
        )
    )
    due_at = run.end_of_day_after(params["due_in_days"])
    return [
        (
            rid,
            _task_row(
                run,
                code="low_survey",
                customer_id=cid,
                owner_id=owner,
                due_at=due_at,
                contact_id=contact,
                priority="high",
                survey_id=rid,
            ),
        )
        for rid, cid, owner, contact in session.execute(
            _scoped(stmt, response.id, response.customer_id, customer_ids, after, limit)
        )
    ]


def _closed_complaint(
    session: Session,
    run: _Run,
    params: dict[str, int],
    customer_ids: Sequence[int] | None,
    after: int | None,
    limit: int | None,
) -> list[Candidate]:
    """Complaints closed recently with no follow-up since: a check with the customer N days later."""
    stmt = (
        select(Complaint.id, Complaint.customer_id, Customer.owner_id, Complaint.contact_id, Complaint.closed_at)
        .join(Customer, Customer.id == Complaint.customer_id)
        .where(
            Complaint.archived_at.is_(None),
            Customer.archived_at.is_(None),
            Customer.owner_id.is_not(None),
            Complaint.status == "closed",
            Complaint.closed_at.is_not(None),
            Complaint.closed_at >= run.now - dt.timedelta(days=params["within_days"]),
            ~exists().where(FollowUpTask.source_complaint_id == Complaint.id),
            _none_of_the_customers_tasks(
                Complaint.customer_id,
                FollowUpTask.purpose == "complaint",
                FollowUpTask.created_at >= Complaint.closed_at,
            ),
        )
    )
    return [
        (
            kid,
            _task_row(
                run,
                code="closed_complaint",
                customer_id=cid,
                owner_id=owner,
                contact_id=contact,
                due_at=run.end_of_day_after(params["due_in_days"], closed_at),
                priority="high",
                complaint_id=kid,
            ),
        )
        for kid, cid, owner, contact, closed_at in session.execute(
            _scoped(stmt, Complaint.id, Complaint.customer_id, customer_ids, after, limit)
        )
    ]


FINDERS: dict[str, Finder] = {
    "cadence_revisit": _cadence_revisit,
    "churn_win_back": _churn_win_back,
    "low_survey": _low_survey,
    "closed_complaint": _closed_complaint,
}


# --- inserting without duplicates --------------------------------------------------------------------


def insert_open_tasks(session: Session, actor: Actor, rows: list[dict[str, Any]]) -> list[int]:
    """Insert open tasks in bulk, skipping any whose open_key is taken (by an earlier or a concurrent run).

    The whole chunk goes in one statement inside a savepoint; if the unique open_key refuses it, each row
    is retried in its own savepoint, so only the colliding rows are skipped. Writes the audit rows that
    Core inserts bypass and refreshes the customers' cached next follow-up. Returns the new task ids.
    """
    unique: dict[str, dict[str, Any]] = {}
    for row in rows:
        unique.setdefault(row["open_key"], row)
    rows = list(unique.values())
    if not rows:
        return []
    table = FollowUpTask.__table__
    try:
        with session.begin_nested():
            session.execute(insert(table), rows)
        inserted = rows
    except IntegrityError:
        inserted = []
        for row in rows:
            try:
                with session.begin_nested():
                    session.execute(insert(table), [row])
            except IntegrityError:
                continue
            inserted.append(row)
    if not inserted:
        return []
    apply_changes(session.connection(), ((row["owner_id"], row["due_at"], +1) for row in inserted))
    by_key = {row["open_key"]: row for row in inserted}
    keys = list(by_key)
    found: list[tuple[int, str]] = []
    for start in range(0, len(keys), 1000):
        found.extend(
            session.execute(
                select(FollowUpTask.id, FollowUpTask.open_key).where(
                    FollowUpTask.open_key.in_(keys[start : start + 1000])
                )
            )
        )
    # The creations first, then the rule of each: the ORM's bulk insert sends consecutive rows with the same
    # columns set as one statement, so alternating the two kinds sent one statement per row (6,000 tasks: 9.8 s
    # on PostgreSQL instead of 0.3).
    audit = [audit_row(actor, "create", "follow_up_tasks", task_id, version=1) for task_id, _key in found]
    audit.extend(
        audit_row(
            actor,
            "create",
            "follow_up_tasks",
            task_id,
            field="created_by_rule",
            new=by_key[key]["created_by_rule"],
            version=1,
        )
        for task_id, key in found
    )
    write_audit(session, audit)
    refresh_follow_up_columns(session, (row["customer_id"] for row in inserted))
    return sorted(task_id for task_id, _ in found)


# --- archived customers ---------------------------------------------------------------------------


def cancel_open_tasks(session: Session, *, actor: Actor, customer_ids: Sequence[int], reason: str | None = None) -> int:
    """Cancel every open follow-up of these customers inside the caller's transaction (archive and merge hook).

    Archived customers keep no open follow-ups, which lets the queues count tasks from their indexes alone.
    Audited through the ORM (the session's actor); refreshes the customers' next follow-up.
    """
    ids = sorted(set(customer_ids))
    if not ids:
        return 0
    if actor is not None:
        session.info.setdefault("actor", actor)
    tasks: list[FollowUpTask] = []
    for start in range(0, len(ids), 1000):
        tasks.extend(
            session.scalars(
                select(FollowUpTask).where(
                    FollowUpTask.customer_id.in_(ids[start : start + 1000]), FollowUpTask.status == "open"
                )
            )
        )
    for task in tasks:
        task.status, task.open_key = "cancelled", None
        if reason:
            task.reschedule_reason = reason[:300]
    refresh_follow_up_columns(session, ids)
    return len(tasks)


def _sweep_archived(sessions: Sessions, actor: Actor) -> int:
    """Cancel open follow-ups left on archived customers (by a bulk archive that did not call the hook)."""
    with transaction(sessions, actor=actor, operation="follow_ups.generate") as session:
        ids = list(
            session.scalars(
                select(Customer.id).where(
                    Customer.archived_at.is_not(None),
                    exists().where(FollowUpTask.customer_id == Customer.id, FollowUpTask.status == "open"),
                )
            )
        )
        return cancel_open_tasks(session, actor=actor, customer_ids=ids)


# --- running the rules ----------------------------------------------------------------------------


def run_rules_for_customers(
    session: Session,
    *,
    actor: Actor,
    customer_ids: Sequence[int],
    now: dt.datetime | None = None,
    codes: Sequence[str] | None = None,
) -> dict[str, int]:
    """Run the enabled rules for these customers inside the caller's transaction; return tasks created per rule.

    The hook for every change a rule watches: a contact logged, a task completed, a stage change to
    churned, a survey response, a complaint closed. Call it after the change, before the commit.
    """
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    session.flush()
    run = _start(session, now)
    settings = rule_settings(session)
    created: dict[str, int] = {}
    for code in codes or RULE_CODES:
        enabled, params = settings[code]
        if not enabled:
            continue
        count = 0
        for start in range(0, len(ids), CHUNK):
            candidates = FINDERS[code](session, run, params, ids[start : start + CHUNK], None, None)
            count += len(insert_open_tasks(session, actor, [row for _, row in candidates]))
        created[code] = count
    return created


def generate_follow_ups(
    sessions: Sessions,
    *,
    actor: Actor,
    codes: Sequence[str] | None = None,
    now: dt.datetime | None = None,
    chunk: int = CHUNK,
) -> dict[str, int]:
    """Run every enabled rule over all customers, a chunk per transaction; return tasks created per rule.

    Safe to run twice at once: a chunk that collides with the other run skips the colliding rows.
    """
    require(actor, "follow_ups.manage")
    _sweep_archived(sessions, actor)
    with sessions.read() as session:
        settings = rule_settings(session)
    created: dict[str, int] = {}
    for code in codes or RULE_CODES:
        if code not in RULE_SPECS:
            raise ValueError(f"unknown rule {code!r}")
        enabled, params = settings[code]
        if not enabled:
            continue
        total, after, unanalysed = 0, None, 0
        while True:
            scanned, last, count = _generate_chunk(sessions, actor, code, params, now, after, chunk)
            total += count
            unanalysed += count
            if unanalysed >= ANALYZE_AFTER:
                # A first run on a big base adds tasks by the hundred thousand; planners that still believe
                # the table small pick a wrong index for the per-customer probes of the next chunks.
                _refresh_statistics(sessions)
                unanalysed = 0
            if scanned < chunk or last is None:
                break
            after = last
        created[code] = total
        if unanalysed >= ANALYZE_AFTER // 10:
            _refresh_statistics(sessions)
        _stamp_last_run(sessions, actor, code, params)
    return created


def _stamp_last_run(sessions: Sessions, actor: Actor, code: str, params: Any) -> None:
    """Record when a rule last ran; a concurrent run may create the rule's row first, then we update it."""
    try:
        with transaction(sessions, actor=actor, operation="follow_ups.generate") as session:
            row = session.get(AutomationRule, code)
            if row is None:
                session.add(AutomationRule(code=code, enabled=True, params=params, last_run_at=utcnow()))
            else:
                row.last_run_at = utcnow()
    except IntegrityError:
        with transaction(sessions, actor=actor, operation="follow_ups.generate") as session:
            row = session.get(AutomationRule, code)
            if row is not None:
                row.last_run_at = utcnow()


def _generate_chunk(
    sessions: Sessions,
    actor: Actor,
    code: str,
    params: dict[str, int],
    now: dt.datetime | None,
    after: int | None,
    chunk: int,
) -> tuple[int, int | None, int]:
    for attempt in range(DEADLOCK_RETRIES):
        try:
            with transaction(sessions, actor=actor, operation="follow_ups.generate") as session:
                run = _start(session, now)
                candidates = FINDERS[code](session, run, params, None, after, chunk)
                ids = insert_open_tasks(session, actor, [row for _, row in candidates])
            last = candidates[-1][0] if candidates else None
            return len(candidates), last, len(ids)
        except OperationalError:
            # A deadlock between two concurrent runs (MariaDB's gap locks, PostgreSQL's detector):
            # the chunk was rolled back as a whole, so running it again is safe.
            if attempt == DEADLOCK_RETRIES - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def _refresh_statistics(sessions: Sessions) -> None:
    """Let the planner see the tasks a big run just added (PostgreSQL and MariaDB sample; cheap)."""
    if sessions.dialect != "sqlite":
        refresh_statistics(sessions.engine, ["follow_up_tasks"])
