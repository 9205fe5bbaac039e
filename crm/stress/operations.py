"""One stress worker: a process that reads a record through the services, then saves it with the version it read.

Each operation is what a user does on a page: open the record (the service's read), change it, save (the
service's write with the version the page showed and a fresh form token). Its outcome says what the save did
(accepted, refused as a conflict, refused by a rule, failed) and what the worker read and wrote, so that the
checks (crm/stress/checks.py) can find each accepted write in the audit trail and compare its old values with
what the writer had read.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select

from crm.complaints import Confirmation, get_complaint, hand_off, transition
from crm.customers import get_customer, update_customer
from crm.follow_ups import complete_follow_up, get_task, reschedule_follow_up, today_for
from crm.platform.clock import utcnow
from crm.platform.errors import (
    CrmError,
    DatabaseBusy,
    DatabaseFull,
    DatabaseReadOnly,
    DatabaseUnavailable,
    VersionConflict,
)
from crm.platform.permissions import Actor
from crm.platform.uow import retry_when_busy
from crm.satisfaction import ResponseInput, close_alert, list_templates, open_alerts, record_response
from db.engine import Sessions, make_engine, make_session_factory
from db.models import Complaint, Customer, FollowUpTask, SurveyResponse

# The kinds of operation and how often a worker picks each (a kind with nothing to act on falls back to another).
KINDS: tuple[tuple[str, int], ...] = (
    ("customer.fields", 20),
    ("customer.tags", 15),
    ("follow_up.complete", 15),
    ("follow_up.reschedule", 15),
    ("complaint.transition", 25),
    ("complaint.hand_off", 10),
    ("survey.response", 10),
    ("survey.close_alert", 5),
)
FALLBACK = "customer.fields"  # always possible: every worker has customers it may edit
# The customer fields the workers edit: free text, so that each save writes a value nobody wrote before.
TEXT_FIELDS = ("needs", "products_in_use", "decision_process", "competitors", "preferences", "notes")
TAG_PREFIX = "stress-"
STRESS_TAGS_KEPT = 3  # a customer keeps at most this many of the workers' tags (one goes when one comes)
CHANNELS = ("phone", "email", "wechat", "visit", "meeting", "online")
OUTCOMES = ("reached", "no_answer", "interested", "issue_raised")
CONFIRMATION_CHANNELS = ("phone", "email", "online", "visit", "wechat")
SURVEY_CHANNELS = ("phone", "questionnaire", "online", "visit")
SURVEY_TASK_PURPOSES = ("satisfaction_survey", "survey")
LIVE_COMPLAINT = ("new", "acknowledged", "in_progress", "waiting_customer", "resolved", "reopened")
# A resolved complaint: how often the customer is satisfied (closes it for good) rather than not (reopens it).
SATISFIED_SHARE = 0.15

ACCEPTED, CONFLICT, REFUSED, ERROR = "accepted", "conflict", "refused", "error"


@dataclass(frozen=True)
class WorkerSpec:
    """What one worker does: as whom, on which records, how many operations, from which seed."""

    index: int
    url: str
    ops: int
    seed: int
    actor: Actor
    customer_ids: tuple[int, ...]  # the pool's customers this actor may edit
    department_ids: tuple[int, ...]  # where a complaint can be handed off to


@dataclass(frozen=True)
class Outcome:
    """One operation: what was read, what the save did, and how long the read and the save took."""

    worker: int
    seq: int
    kind: str
    username: str
    result: str  # accepted / conflict / refused / error
    entity: str  # the table of the record saved
    record_id: int
    read_version: int
    new_version: int | None = None  # accepted: the version the save left the record at
    read_values: dict[str, str | None] = field(default_factory=dict)  # field -> value read, as the audit keeps it
    written: dict[str, str | None] = field(default_factory=dict)  # field -> value saved
    read_ms: float = 0.0
    save_ms: float = 0.0
    key: str = ""  # the catalog key of a conflict or refusal; the exception's type for an error
    params: dict[str, Any] = field(default_factory=dict)  # a conflict's or refusal's parameters (who, fields...)
    changes: tuple[dict[str, Any], ...] = ()  # a conflict's changes: who changed which field from what to what
    detail: str = ""  # an error's message and where it was raised
    language: str = "en"  # the actor's: a conflict's message names the state in it
    # The record whose version the save relied on, (table, id, version read): the record saved, or the survey task
    # a response answers (a refusal on a page out of date is one where it has changed since).
    watch: tuple[str, int, int] | None = None
    closes: tuple[str, int] | None = None  # the record the save closed for good (a task done): once only, ever
    retries: int = 0  # times the save was run again after the database gave it up as a deadlock victim
    explained: bool | None = None  # refused: was the page out of date (the record changed, or no longer offered)?


@dataclass
class Context:
    """A worker's state: its sessions, its random stream and its counters."""

    spec: WorkerSpec
    sessions: Sessions
    rng: random.Random
    seq: int = 0

    @property
    def actor(self) -> Actor:
        return self.spec.actor

    def token(self) -> str:
        return uuid.uuid4().hex


class Skip(Exception):
    """The page, as read, offers nothing of the kind (the record moved on since the queue listed it): pick again."""


@dataclass(frozen=True)
class Read:
    """What a page showed before the save: the record's version, the values the save will overwrite."""

    version: int
    values: dict[str, str | None]
    state: Any = None
    watch: tuple[str, int, int] | None = None  # default: the record saved, at the version read
    still_offered: Callable[[], bool] | None = None  # would the page still offer the save (after a refusal)?
    closes: tuple[str, int] | None = None  # the record an accepted save closes for good


@dataclass(frozen=True)
class Saved:
    """What an accepted save left: the record's version, the values written, the id of a record it created."""

    version: int | None
    written: dict[str, str | None]
    record_id: int | None = None


def as_text(value: Any) -> str | None:
    """A value as the audit trail writes it (crm.platform.audit): ISO times, ids as digits, None kept."""
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def tags_text(tags: Any) -> str | None:
    """A customer's set of tags as the audit trail keeps it ('a, b'; None for none)."""
    return ", ".join(sorted(tags)) or None


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def _run(
    ctx: Context,
    kind: str,
    entity: str,
    record_id: int,
    read: Callable[[], Read],
    save: Callable[[Read], Saved],
) -> Outcome | None:
    """Read, then save with the version read; classify what happened (None: nothing to do on it after all)."""
    outcome = Outcome(
        worker=ctx.spec.index,
        seq=ctx.seq,
        kind=kind,
        username=ctx.actor.username,
        result=ERROR,
        entity=entity,
        record_id=record_id,
        read_version=0,
        language=ctx.actor.language,
    )
    started = time.perf_counter()
    try:
        seen = read()
    except Skip:
        return None
    except Exception as error:  # noqa: BLE001 - a failed read is an outcome the checks count
        key, detail = _failure(error, "read")
        return replace(outcome, read_ms=_ms(started), key=key, detail=detail)
    watch = seen.watch or ((entity, record_id, seen.version) if record_id else None)
    outcome = replace(outcome, read_version=seen.version, read_values=seen.values, read_ms=_ms(started), watch=watch)
    started = time.perf_counter()
    retries: list[DatabaseBusy] = []
    try:
        saved = retry_when_busy(lambda: save(seen), on_retry=retries.append)  # as the pages' run_action does
    except Skip:
        return None
    except (DatabaseBusy, DatabaseFull, DatabaseReadOnly, DatabaseUnavailable) as failure:
        # Handled (the page says nothing was saved), but the save failed for the database's sake, not the user's.
        save_ms = _ms(started)
        return replace(outcome, save_ms=save_ms, key=failure.key, detail=str(failure), retries=len(retries))
    except VersionConflict as conflict:
        return replace(
            outcome,
            result=CONFLICT,
            save_ms=_ms(started),
            key=conflict.key,
            params=_plain(conflict.params),
            changes=tuple(_plain(c) for c in conflict.changes),
            retries=len(retries),
        )
    except CrmError as refusal:
        save_ms = _ms(started)
        return replace(
            outcome,
            result=REFUSED,
            save_ms=save_ms,
            key=refusal.key,
            params=_plain(refusal.params),
            detail=str(refusal),
            explained=_out_of_date(ctx, watch, seen.still_offered),
            retries=len(retries),
        )
    except Exception as error:  # noqa: BLE001 - an unhandled error is what the run exists to find
        save_ms = _ms(started)
        key, detail = _failure(error, "save")
        return replace(outcome, save_ms=save_ms, key=key, detail=detail, retries=len(retries))
    return replace(
        outcome,
        result=ACCEPTED,
        save_ms=_ms(started),
        new_version=saved.version,
        written=saved.written,
        record_id=saved.record_id or record_id,
        closes=seen.closes,
        retries=len(retries),
    )


def _out_of_date(ctx: Context, watch: tuple[str, int, int] | None, still_offered: Callable[[], bool] | None) -> bool:
    """After a refusal: had the record changed since it was read, or would the page no longer offer the save?"""
    if watch is not None and current_version(ctx.sessions, watch[0], watch[1]) != watch[2]:
        return True
    try:
        return still_offered is not None and not still_offered()
    except Exception:  # noqa: BLE001 - unexplained, then
        return False


def _plain(mapping: Any) -> dict[str, Any]:
    """A dict of picklable values the parent can print (anything else becomes its text)."""
    plain = (str, int, float, bool, type(None), dt.datetime, dt.date)
    return {str(k): v if isinstance(v, plain) else str(v) for k, v in mapping.items()}


def _failure(error: BaseException, stage: str) -> tuple[str, str]:
    """The error's type, and its message with the stage and the line that raised it."""
    frames = traceback.extract_tb(error.__traceback__)
    where = next((f"{f.filename.rsplit('/', 2)[-2:]}:{f.lineno}" for f in reversed(frames)), "?")
    message = " ".join(str(error).split())[:400]
    return f"{type(error).__module__}.{type(error).__name__}", f"{stage}: {message} ({where})"


_VERSIONED: dict[str, type[Customer] | type[FollowUpTask] | type[Complaint] | type[SurveyResponse]] = {
    "customers": Customer,
    "follow_up_tasks": FollowUpTask,
    "complaints": Complaint,
    "survey_responses": SurveyResponse,
}


def current_version(sessions: Sessions, entity: str, record_id: int) -> int | None:
    """The record's version now (for a refusal: did someone change it since it was read?)."""
    table = _VERSIONED[entity].__table__
    try:
        with sessions.read() as session:
            return session.scalar(select(table.c.version).where(table.c.id == record_id))
    except Exception:  # noqa: BLE001 - the refusal is reported either way
        return None


# --- the operations ------------------------------------------------------------------------------------


def _customer(ctx: Context) -> int:
    return ctx.rng.choice(ctx.spec.customer_ids)


def edit_customer_fields(ctx: Context) -> Outcome | None:
    """Open a customer's profile, change one or two text fields, save."""
    customer_id = _customer(ctx)
    names = ctx.rng.sample(TEXT_FIELDS, ctx.rng.choice((1, 1, 2)))

    def read() -> Read:
        view = get_customer(ctx.sessions, actor=ctx.actor, customer_id=customer_id)
        return Read(view.version, {name: as_text(getattr(view, name)) for name in names})

    def save(seen: Read) -> Saved:
        changes = {name: f"stress {ctx.actor.username} #{ctx.spec.index}.{ctx.seq} {name} 压力测试" for name in names}
        view = update_customer(
            ctx.sessions,
            actor=ctx.actor,
            customer_id=customer_id,
            version=seen.version,
            changes=changes,
            token=ctx.token(),
        )
        return Saved(view.version, dict(changes))

    return _run(ctx, "customer.fields", "customers", customer_id, read, save)


def edit_customer_tags(ctx: Context) -> Outcome | None:
    """Open a customer's profile, add a tag (dropping the oldest of the run's own when there are enough), save."""
    customer_id = _customer(ctx)

    def read() -> Read:
        view = get_customer(ctx.sessions, actor=ctx.actor, customer_id=customer_id)
        return Read(view.version, {"tags": tags_text(view.tags)}, view.tags)

    def save(seen: Read) -> Saved:
        tags = list(seen.state)
        ours = [tag for tag in tags if tag.startswith(TAG_PREFIX)]
        if len(ours) >= STRESS_TAGS_KEPT:
            tags.remove(ctx.rng.choice(ours))
        tags.append(f"{TAG_PREFIX}{ctx.spec.index}-{ctx.seq}")
        view = update_customer(
            ctx.sessions,
            actor=ctx.actor,
            customer_id=customer_id,
            version=seen.version,
            changes={"tags": tuple(tags)},
            token=ctx.token(),
        )
        return Saved(view.version, {"tags": tags_text(view.tags)})

    return _run(ctx, "customer.tags", "customers", customer_id, read, save)


def _open_task(ctx: Context) -> int | None:
    """An open follow-up of one of the worker's customers (what the follow-up queue would list)."""
    with ctx.sessions.read() as session:
        ids = session.scalars(
            select(FollowUpTask.id).where(
                FollowUpTask.customer_id.in_(ctx.spec.customer_ids), FollowUpTask.status == "open"
            )
        ).all()
    return ctx.rng.choice(ids) if ids else None


def _read_task(ctx: Context, task_id: int, name: str, *, closes: bool = False) -> Read:
    view = get_task(ctx.sessions, actor=ctx.actor, task_id=task_id)
    done = ("follow_up_tasks", task_id) if closes else None
    return Read(view.version, {name: as_text(getattr(view, name))}, view, closes=done)


def _still_open(seen: Read) -> None:
    """The queue listed the task, but it was closed before its page opened: the page offers no save."""
    if seen.state.status != "open":
        raise Skip()


def _future(ctx: Context, days: tuple[int, int]) -> dt.datetime:
    moment = utcnow() + dt.timedelta(days=ctx.rng.randint(*days), minutes=ctx.rng.randint(0, 600))
    return moment.replace(second=0, microsecond=0)


def complete_task(ctx: Context) -> Outcome | None:
    """Open a planned follow-up, log the contact that completes it (often planning the next one), save."""
    task_id = _open_task(ctx)
    if task_id is None:
        return None

    def save(seen: Read) -> Saved:
        _still_open(seen)
        plan_next = ctx.rng.random() < 0.7
        complete_follow_up(
            ctx.sessions,
            actor=ctx.actor,
            task_id=task_id,
            version=seen.version,
            channel=ctx.rng.choice(CHANNELS),
            occurred_at=utcnow(),
            summary=f"stress {ctx.actor.username} #{ctx.spec.index}.{ctx.seq} 回访",
            outcome=ctx.rng.choice(OUTCOMES),
            next_step="stress: call again / 再次回访" if plan_next else None,
            next_due_at=_future(ctx, (1, 30)) if plan_next else None,
            token=ctx.token(),
        )
        # A done task is never changed again by any operation here: its version now is the one this save left.
        return Saved(current_version(ctx.sessions, "follow_up_tasks", task_id), {"status": "done"})

    return _run(
        ctx,
        "follow_up.complete",
        "follow_up_tasks",
        task_id,
        lambda: _read_task(ctx, task_id, "status", closes=True),
        save,
    )


def reschedule_task(ctx: Context) -> Outcome | None:
    """Open a planned follow-up, move it to another day with a reason, save."""
    task_id = _open_task(ctx)
    if task_id is None:
        return None

    def save(seen: Read) -> Saved:
        _still_open(seen)
        view = reschedule_follow_up(
            ctx.sessions,
            actor=ctx.actor,
            task_id=task_id,
            version=seen.version,
            due_at=_future(ctx, (0, 45)) + dt.timedelta(days=1),
            reason=f"stress #{ctx.spec.index}.{ctx.seq}: customer asked / 客户要求改期",
            token=ctx.token(),
        )
        return Saved(view.version, {"due_at": as_text(view.due_at)})

    return _run(
        ctx, "follow_up.reschedule", "follow_up_tasks", task_id, lambda: _read_task(ctx, task_id, "due_at"), save
    )


def _live_complaint(ctx: Context) -> int | None:
    """A complaint of one of the worker's customers that is not closed or rejected (what a queue would list)."""
    with ctx.sessions.read() as session:
        ids = session.scalars(
            select(Complaint.id).where(
                Complaint.customer_id.in_(ctx.spec.customer_ids),
                Complaint.status.in_(LIVE_COMPLAINT),
                Complaint.archived_at.is_(None),
            )
        ).all()
    return ctx.rng.choice(ids) if ids else None


def move_complaint(ctx: Context) -> Outcome | None:
    """Open a complaint, take one of the actions the page offers (never reject), save."""
    complaint_id = _live_complaint(ctx)
    if complaint_id is None:
        return None

    def read() -> Read:
        detail = get_complaint(ctx.sessions, actor=ctx.actor, complaint_id=complaint_id)
        view = detail.complaint
        return Read(view.version, {"status": view.status}, detail.allowed_actions)

    def save(seen: Read) -> Saved:
        actions = [a for a in seen.state if a != "reject"]
        if not actions:  # nothing to offer (e.g. closed by someone since the queue was read): the page shows none
            raise Skip()
        if "confirm_satisfied" in actions:
            action = "confirm_satisfied" if ctx.rng.random() < SATISFIED_SHARE else "confirm_not_satisfied"
        else:
            action = ctx.rng.choice(actions)
        confirmation = None
        if action.startswith("confirm_"):
            confirmation = Confirmation(
                confirmed_by="客户 stress",
                channel=ctx.rng.choice(CONFIRMATION_CHANNELS),
                satisfied=action == "confirm_satisfied",
            )
        view = transition(
            ctx.sessions,
            actor=ctx.actor,
            complaint_id=complaint_id,
            version=seen.version,
            action=action,
            note=f"stress #{ctx.spec.index}.{ctx.seq} {action}",
            confirmation=confirmation,
            token=ctx.token(),
        )
        return Saved(view.version, {"status": view.status})

    return _run(ctx, "complaint.transition", "complaints", complaint_id, read, save)


def hand_off_complaint(ctx: Context) -> Outcome | None:
    """Open a complaint still being handled, hand it off to another department, save."""
    complaint_id = _live_complaint(ctx)
    if complaint_id is None:
        return None

    def read() -> Read:
        detail = get_complaint(ctx.sessions, actor=ctx.actor, complaint_id=complaint_id)
        view = detail.complaint
        values = {"department_id": as_text(view.department_id), "assignee_id": as_text(view.assignee_id)}
        return Read(view.version, values, (detail.may_hand_off, view.department_id))

    def save(seen: Read) -> Saved:
        may_hand_off, current = seen.state
        if not may_hand_off:
            raise Skip()
        department_id = ctx.rng.choice([d for d in ctx.spec.department_ids if d != current])
        view = hand_off(
            ctx.sessions,
            actor=ctx.actor,
            complaint_id=complaint_id,
            version=seen.version,
            department_id=department_id,
            assignee_id=None,
            note=f"stress #{ctx.spec.index}.{ctx.seq} hand-off / 移交",
            token=ctx.token(),
        )
        return Saved(view.version, {"department_id": as_text(view.department_id), "assignee_id": None})

    return _run(ctx, "complaint.hand_off", "complaints", complaint_id, read, save)


def _open_survey_task(ctx: Context, customer_id: int) -> int | None:
    """An open task of the customer a survey response answers (a campaign's survey call, a complaint's check)."""
    with ctx.sessions.read() as session:
        return session.scalar(
            select(FollowUpTask.id)
            .where(
                FollowUpTask.customer_id == customer_id,
                FollowUpTask.status == "open",
                FollowUpTask.purpose.in_(SURVEY_TASK_PURPOSES),
            )
            .order_by(FollowUpTask.id)
            .limit(1)
        )


def record_survey(ctx: Context) -> Outcome | None:
    """Open the survey form of a customer (from their open survey task when there is one), record the answers.

    A quarter of the answers are low (NPS 0-6 or overall 1-2): an alert, and the owner's callback task.
    """
    customer_id = _customer(ctx)
    task_id = _open_survey_task(ctx, customer_id) if ctx.rng.random() < 0.6 else None

    def read() -> Read:
        templates = list_templates(ctx.sessions, actor=ctx.actor)
        if not templates:
            raise Skip()
        watch = closes = None
        if task_id is not None:
            task = get_task(ctx.sessions, actor=ctx.actor, task_id=task_id)
            if task.status != "open":
                raise Skip()
            watch, closes = ("follow_up_tasks", task_id, task.version), ("follow_up_tasks", task_id)
        return Read(0, {}, (templates[0], today_for(ctx.sessions)), watch=watch, closes=closes)

    def save(seen: Read) -> Saved:
        template, today = seen.state
        low = ctx.rng.random() < 0.25
        scores = {code: ctx.rng.randint(1, 2) if low else ctx.rng.randint(3, 5) for code in template.dimension_codes}
        overall, nps = (
            (ctx.rng.randint(1, 2), ctx.rng.randint(0, 6)) if low else (ctx.rng.randint(3, 5), ctx.rng.randint(7, 10))
        )
        response_id = record_response(
            ctx.sessions,
            actor=ctx.actor,
            data=ResponseInput(
                customer_id=customer_id,
                responded_on=today,
                channel=ctx.rng.choice(SURVEY_CHANNELS),
                template_id=template.id,
                scores=scores,
                overall=overall,
                nps=nps,
                comment=f"stress #{ctx.spec.index}.{ctx.seq} 满意度",
                task_id=task_id,
            ),
            token=ctx.token(),
        )
        return Saved(1, {"overall_score": str(overall), "nps": str(nps)}, record_id=response_id)

    return _run(ctx, "survey.response", "survey_responses", 0, read, save)


def close_survey_alert(ctx: Context) -> Outcome | None:
    """Open the alerts tab, close an alert of one of the worker's customers with a note saying how it was handled."""

    def listed() -> dict[int, int]:
        rows, _total = open_alerts(ctx.sessions, actor=ctx.actor, page_size=500)
        mine = set(ctx.spec.customer_ids)
        return {row.response_id: row.version for row in rows if row.customer_id in mine}

    alerts = listed()
    if not alerts:
        return None
    response_id = ctx.rng.choice(sorted(alerts))

    def read() -> Read:
        version = listed().get(response_id)
        if version is None:
            raise Skip()
        return Read(
            version,
            {"alert_closed_at": None},
            still_offered=lambda: response_id in listed(),
            closes=("survey_alerts", response_id),
        )

    def save(seen: Read) -> Saved:
        close_alert(
            ctx.sessions,
            actor=ctx.actor,
            response_id=response_id,
            version=seen.version,
            note=f"stress #{ctx.spec.index}.{ctx.seq}: called back / 已回访",
            token=ctx.token(),
        )
        # A closed alert is never changed again by any operation here: its version now is the one this save left.
        return Saved(current_version(ctx.sessions, "survey_responses", response_id), {"alert_closed_at": "set"})

    return _run(ctx, "survey.close_alert", "survey_responses", response_id, read, save)


OPERATIONS: dict[str, Callable[[Context], Outcome | None]] = {
    "customer.fields": edit_customer_fields,
    "customer.tags": edit_customer_tags,
    "follow_up.complete": complete_task,
    "follow_up.reschedule": reschedule_task,
    "complaint.transition": move_complaint,
    "complaint.hand_off": hand_off_complaint,
    "survey.response": record_survey,
    "survey.close_alert": close_survey_alert,
}


def run_operations(spec: WorkerSpec, sessions: Sessions, start: Callable[[], Any] = lambda: None) -> list[Outcome]:
    """Do the spec's operations one after the other; return their outcomes."""
    ctx = Context(spec=spec, sessions=sessions, rng=random.Random(f"{spec.seed}:{spec.index}"))
    names = [name for name, _ in KINDS]
    weights = [weight for _, weight in KINDS]
    outcomes: list[Outcome] = []
    start()
    for seq in range(spec.ops):
        ctx.seq = seq
        kind = ctx.rng.choices(names, weights)[0]
        outcome = OPERATIONS[kind](ctx) or OPERATIONS[FALLBACK](ctx)
        assert outcome is not None
        outcomes.append(outcome)
    return outcomes


def worker_main(spec: WorkerSpec, barrier: Any, results: Any) -> None:
    """A worker process: its own engine, the start barrier shared with the others, its outcomes sent back."""
    engine = make_engine(spec.url)
    try:
        outcomes = run_operations(spec, make_session_factory(engine), start=lambda: barrier.wait(120))
        results.put((spec.index, outcomes, None))
    except BaseException as error:  # noqa: BLE001 - the parent reports a worker that died
        results.put((spec.index, [], "".join(traceback.format_exception(error))[-2000:]))
    finally:
        engine.dispose()
