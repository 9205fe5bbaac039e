"""Follow-up use cases (DOMAIN.md section 3): log a contact; plan, complete, reschedule, reassign, cancel tasks.

Every write is one transaction that also keeps the customer's cached follow-up columns exact
(customers.last_contact_at = latest activity, customers.next_follow_up_at = earliest open task) and runs
the automatic rules for that customer. See crm/follow_up_core.py for what "today" and "overdue" mean.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from crm.follow_ups.automation import cancel_open_tasks as cancel_open_tasks  # the archive / merge hook, re-exported
from crm.follow_ups.automation import run_rules_for_customers
from crm.follow_ups.cadence import follow_up_state, load_cadences
from crm.follow_ups.core import (
    company_timezone,
    day_windows,
    load_customer,
    local_date,
    may_manage_customer,
    may_read_customer,
    note_contact,
    open_key,
    refresh_follow_up_columns,
    to_utc,
)
from crm.platform import clock
from crm.platform.clock import utcnow
from crm.platform.errors import NotFound, PermissionDenied, ValidationCollector
from crm.platform.masking import mask_phone
from crm.platform.names import normalise_name
from crm.platform.permissions import Actor, require
from crm.platform.stages import apply_stage_change
from crm.platform.uow import check_version, transaction
from crm.platform.validation import check_choice, check_length, check_required
from crm.platform.vocab import CHURN_REASONS, CONTACT_CHANNELS, OUTCOMES, STAGES, TASK_PRIORITIES, TASK_PURPOSES
from db.engine import Sessions
from db.models import Activity, Contact, Customer, FollowUpTask, User

AUTO_STAGE = "auto"
# What an outcome says about the stage when the user lets the contact move it ("automatic").
STAGE_BY_OUTCOME: dict[tuple[str, str], str] = {
    ("potential", "interested"): "intent",
    ("potential", "deal"): "signed",
    ("intent", "deal"): "signed",
    ("churned", "interested"): "intent",
    ("churned", "deal"): "signed",
}
SUMMARY_MAX = 4000
NEXT_STEP_MAX = 300
NOTE_MAX = 2000
REASON_MAX = 300
RECURRENCE_MAX_DAYS = 730
# A contact logged "now" from a clock a little ahead of the server's is not in the future.
CLOCK_SKEW = dt.timedelta(minutes=5)
ASSIGNABLE_ROLES = ("admin", "manager", "staff")
PICKER_LIMIT = 50


# --- views -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskView:
    id: int
    customer_id: int
    customer_code: str
    customer_name: str
    contact_id: int | None
    contact_name: str | None
    contact_phone: str | None
    owner_id: int | None
    owner_name: str | None
    due_at: dt.datetime
    priority: str
    purpose: str
    channel: str | None
    note: str | None
    status: str
    recurrence_days: int | None
    created_by_rule: str | None
    reschedule_reason: str | None
    completed_at: dt.datetime | None
    version: int


@dataclass(frozen=True)
class ActivityView:
    id: int
    customer_id: int
    contact_id: int | None
    contact_name: str | None
    owner_id: int | None
    owner_name: str | None
    channel: str
    occurred_at: dt.datetime
    summary: str
    outcome: str | None
    next_step: str | None
    next_due_at: dt.datetime | None
    task_id: int | None
    stage_before: str | None
    stage_after: str | None


@dataclass(frozen=True)
class ContactLogged:
    """What logging a contact did: the activity, the task it completed, the next task, the stage move."""

    activity_id: int
    customer_id: int
    completed_task_id: int | None
    next_task_id: int | None
    stage_before: str | None
    stage_after: str | None
    rules_created: dict[str, int]


@dataclass(frozen=True)
class Option:
    id: int
    label: str


@dataclass(frozen=True)
class LogContext:
    """What the log-a-contact form needs for one customer."""

    customer_id: int
    customer_code: str
    customer_name: str
    lifecycle_stage: str
    owner_id: int | None
    may_log: bool
    contacts: tuple[Option, ...]
    primary_contact_id: int | None
    open_tasks: tuple[TaskView, ...]
    owners: tuple[Option, ...]
    timezone: str


@dataclass(frozen=True)
class CustomerFollowUp:
    """The follow-up panel of the customer 360 view."""

    customer_id: int
    state: str
    last_contact_at: dt.datetime | None
    next_follow_up_at: dt.datetime | None
    cadence_days: int
    open_tasks: tuple[TaskView, ...]
    recent_activities: tuple[ActivityView, ...]
    activity_count: int
    timezone: str


# --- reading -----------------------------------------------------------------------------------------

_TaskOwner = aliased(User)
_TASK_COLUMNS = (
    FollowUpTask.id,
    FollowUpTask.customer_id,
    Customer.code.label("customer_code"),
    Customer.name.label("customer_name"),
    FollowUpTask.contact_id,
    Contact.name.label("contact_name"),
    Contact.phone.label("contact_phone"),
    FollowUpTask.owner_id,
    _TaskOwner.display_name.label("owner_name"),
    FollowUpTask.due_at,
    FollowUpTask.priority,
    FollowUpTask.purpose,
    FollowUpTask.channel,
    FollowUpTask.note,
    FollowUpTask.status,
    FollowUpTask.recurrence_days,
    FollowUpTask.created_by_rule,
    FollowUpTask.reschedule_reason,
    FollowUpTask.completed_at,
    FollowUpTask.version,
)


def task_select() -> Any:
    """SELECT of TaskView columns: tasks with their customer, contact and owner names."""
    return (
        select(*_TASK_COLUMNS)
        .join(Customer, Customer.id == FollowUpTask.customer_id)
        .outerjoin(Contact, Contact.id == FollowUpTask.contact_id)
        .outerjoin(_TaskOwner, _TaskOwner.id == FollowUpTask.owner_id)
    )


def task_view(row: Any, actor: Actor) -> TaskView:
    """Build a TaskView from a task_select() row, masking the phone for actors who may not see it."""
    values = dict(row._mapping)
    if not actor.can("contacts.unmasked"):
        values["contact_phone"] = mask_phone(values["contact_phone"])
    return TaskView(**values)


_ActivityOwner = aliased(User)
_ACTIVITY_COLUMNS = (
    Activity.id,
    Activity.customer_id,
    Activity.contact_id,
    Contact.name.label("contact_name"),
    Activity.owner_id,
    _ActivityOwner.display_name.label("owner_name"),
    Activity.channel,
    Activity.occurred_at,
    Activity.summary,
    Activity.outcome,
    Activity.next_step,
    Activity.next_due_at,
    Activity.task_id,
    Activity.stage_before,
    Activity.stage_after,
)


def _activity_select() -> Any:
    return (
        select(*_ACTIVITY_COLUMNS)
        .outerjoin(Contact, Contact.id == Activity.contact_id)
        .outerjoin(_ActivityOwner, _ActivityOwner.id == Activity.owner_id)
    )


def _readable_customer(session: Session, actor: Actor, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None or customer.archived_at is not None:
        raise NotFound(entity="customers", id=customer_id)
    if not may_read_customer(session, actor, customer.owner_id):
        raise PermissionDenied(permission="customers.view")
    return customer


def _open_tasks(session: Session, actor: Actor, customer_id: int) -> tuple[TaskView, ...]:
    rows = session.execute(
        task_select()
        .where(FollowUpTask.customer_id == customer_id, FollowUpTask.status == "open")
        .order_by(FollowUpTask.due_at)
    )
    return tuple(task_view(row, actor) for row in rows)


def assignable_users(sessions: Sessions, *, actor: Actor) -> list[Option]:
    """People a follow-up can be given to: every active non-viewer for managers, oneself for staff."""
    require(actor, "follow_ups.log")
    with sessions.read() as session:
        return _assignable(session, actor)


def _assignable(session: Session, actor: Actor) -> list[Option]:
    stmt = select(User.id, User.display_name).where(User.is_active.is_(True), User.role.in_(ASSIGNABLE_ROLES))
    if not actor.can("follow_ups.team"):
        stmt = stmt.where(User.id == actor.id)
    return [Option(uid, name) for uid, name in session.execute(stmt.order_by(User.display_name))]


def find_customers(sessions: Sessions, *, actor: Actor, text: str = "", limit: int = PICKER_LIMIT) -> list[Option]:
    """Search the customers the actor may log contacts for, by name or code; at most `limit` matches."""
    require(actor, "follow_ups.log")
    stmt = select(Customer.id, Customer.code, Customer.name).where(Customer.archived_at.is_(None))
    if not actor.can("customers.edit_all"):
        stmt = stmt.where(Customer.owner_id == actor.id)
    text = (text or "").strip()
    if text:
        pattern = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        key = normalise_name(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions = [Customer.name.ilike(f"%{pattern}%", escape="\\"), Customer.code.ilike(f"{pattern}%", escape="\\")]
        if key:
            conditions.append(Customer.name_key.like(f"{key}%", escape="\\"))
        stmt = stmt.where(or_(*conditions))
    with sessions.read() as session:
        rows = session.execute(stmt.order_by(Customer.name, Customer.id).limit(limit))
        return [Option(cid, f"{name} · {code}") for cid, code, name in rows]


def log_context(sessions: Sessions, *, actor: Actor, customer_id: int) -> LogContext:
    """Return what the log-a-contact form shows for a customer (contacts, open tasks, assignable owners)."""
    require(actor, "customers.view")
    with sessions.read() as session:
        customer = _readable_customer(session, actor, customer_id)
        contacts = session.execute(
            select(Contact.id, Contact.name, Contact.title, Contact.is_primary)
            .where(Contact.customer_id == customer_id, Contact.archived_at.is_(None))
            .order_by(Contact.is_primary.desc(), Contact.name)
            .limit(200)
        ).all()
        may_log = actor.can("follow_ups.log") and (
            may_manage_customer(actor, customer.owner_id)
            or (
                session.scalar(
                    select(func.count())
                    .select_from(FollowUpTask)
                    .where(
                        FollowUpTask.customer_id == customer_id,
                        FollowUpTask.status == "open",
                        FollowUpTask.owner_id == actor.id,
                    )
                )
                or 0
            )
            > 0
        )
        return LogContext(
            customer_id=customer.id,
            customer_code=customer.code,
            customer_name=customer.name,
            lifecycle_stage=customer.lifecycle_stage,
            owner_id=customer.owner_id,
            may_log=bool(may_log),
            contacts=tuple(Option(cid, f"{name} · {title}" if title else name) for cid, name, title, _ in contacts),
            primary_contact_id=next((cid for cid, _, _, primary in contacts if primary), None),
            open_tasks=_open_tasks(session, actor, customer_id),
            owners=tuple(_assignable(session, actor)) if actor.can("follow_ups.log") else (),
            timezone=company_timezone(session).key,
        )


def customer_follow_up(
    sessions: Sessions, *, actor: Actor, customer_id: int, activities: int = 10, now: dt.datetime | None = None
) -> CustomerFollowUp:
    """Return a customer's follow-up state, open tasks and latest contacts (for the customer 360 view)."""
    require(actor, "customers.view")
    now = now or utcnow()
    with sessions.read() as session:
        customer = _readable_customer(session, actor, customer_id)
        cadences = load_cadences(session)
        state = session.scalar(select(follow_up_state(cadences, now)).where(Customer.id == customer_id))
        recent = session.execute(
            _activity_select()
            .where(Activity.customer_id == customer_id, Activity.archived_at.is_(None))
            .order_by(Activity.occurred_at.desc(), Activity.id.desc())
            .limit(activities)
        )
        count = session.scalar(
            select(func.count())
            .select_from(Activity)
            .where(Activity.customer_id == customer_id, Activity.archived_at.is_(None))
        )
        return CustomerFollowUp(
            customer_id=customer_id,
            state=str(state),
            last_contact_at=customer.last_contact_at,
            next_follow_up_at=customer.next_follow_up_at,
            cadence_days=cadences.for_customer(customer.value_tier, customer.importance),
            open_tasks=_open_tasks(session, actor, customer_id),
            recent_activities=tuple(ActivityView(**dict(row._mapping)) for row in recent),
            activity_count=int(count or 0),
            timezone=company_timezone(session).key,
        )


def customer_activities(
    sessions: Sessions, *, actor: Actor, customer_id: int, page: int = 0, page_size: int = 20
) -> tuple[list[ActivityView], int]:
    """Return one page of a customer's contact log, newest first, with the total."""
    require(actor, "customers.view")
    with sessions.read() as session:
        _readable_customer(session, actor, customer_id)
        live = (Activity.customer_id == customer_id, Activity.archived_at.is_(None))
        total = session.scalar(select(func.count()).select_from(Activity).where(*live)) or 0
        rows = session.execute(
            _activity_select()
            .where(*live)
            .order_by(Activity.occurred_at.desc(), Activity.id.desc())
            .limit(page_size)
            .offset(page * page_size)
        )
        return [ActivityView(**dict(row._mapping)) for row in rows], int(total)


def get_task(sessions: Sessions, *, actor: Actor, task_id: int) -> TaskView:
    """Return one task the actor may see."""
    require(actor, "customers.view")
    with sessions.read() as session:
        row = session.execute(task_select().where(FollowUpTask.id == task_id)).first()
        if row is None:
            raise NotFound(entity="follow_up_tasks", id=task_id)
        view = task_view(row, actor)
        owner = session.scalar(select(Customer.owner_id).where(Customer.id == view.customer_id))
        if view.owner_id != actor.id and not may_read_customer(session, actor, owner):
            raise PermissionDenied(permission="customers.view")
        return view


def list_tasks(
    sessions: Sessions,
    *,
    actor: Actor,
    owner_id: int | None = None,
    all_owners: bool = False,
    status: str = "open",
    purpose: str | None = None,
    page: int = 0,
    page_size: int = 20,
) -> tuple[list[TaskView], int]:
    """Return one page of tasks of an owner (oneself unless allowed the team) with the total count."""
    require(actor, "follow_ups.log")
    if all_owners or (owner_id is not None and owner_id != actor.id):
        require(actor, "follow_ups.team")
    errors = ValidationCollector()
    check_choice(errors, "status", status, ("open", "done", "cancelled"), required=True)
    check_choice(errors, "purpose", purpose, TASK_PURPOSES)
    errors.raise_if_any()
    conditions = [FollowUpTask.status == status]
    if not all_owners:
        conditions.append(FollowUpTask.owner_id == (owner_id if owner_id is not None else actor.id))
    if purpose:
        conditions.append(FollowUpTask.purpose == purpose)
    order = {
        "open": (FollowUpTask.due_at, FollowUpTask.id),
        "done": (FollowUpTask.completed_at.desc(), FollowUpTask.id.desc()),
        "cancelled": (FollowUpTask.updated_at.desc(), FollowUpTask.id.desc()),
    }[status]
    with sessions.read() as session:
        # Counted from the task indexes alone (archived customers have no open tasks: see cancel_open_tasks).
        total = session.scalar(select(func.count()).select_from(FollowUpTask).where(*conditions)) or 0
        rows = session.execute(
            task_select()
            .where(*conditions, Customer.archived_at.is_(None))
            .order_by(*order)
            .limit(page_size)
            .offset(page * page_size)
        )
        return [task_view(row, actor) for row in rows], int(total)


# --- validation helpers ---------------------------------------------------------------------------


def _check_owner(session: Session, actor: Actor, owner_id: int | None, field: str, errors: ValidationCollector) -> None:
    if owner_id is None:
        return
    if not actor.can("follow_ups.team") and owner_id != actor.id:
        errors.add(field, "follow_ups.error.owner_not_allowed")
        return
    user = session.get(User, owner_id)
    if user is None or not user.is_active or user.role not in ASSIGNABLE_ROLES:
        errors.add(field, "follow_ups.error.owner_inactive")


def _check_contact(session: Session, customer_id: int, contact_id: int | None, errors: ValidationCollector) -> None:
    if contact_id is None:
        return
    contact = session.get(Contact, contact_id)
    if contact is None or contact.customer_id != customer_id or contact.archived_at is not None:
        errors.add("contact_id", "follow_ups.error.contact_not_of_customer")


def _check_due(
    errors: ValidationCollector, field: str, due_at: dt.datetime | None, today_start: dt.datetime, *, required: bool
) -> None:
    if due_at is None:
        if required:
            errors.add(field, "validation.required")
    elif due_at.tzinfo is None:
        errors.add(field, "validation.date")
    elif due_at < today_start:
        errors.add(field, "follow_ups.error.due_in_past")


def _check_recurrence(errors: ValidationCollector, recurrence_days: int | None) -> None:
    if recurrence_days is not None and not 1 <= recurrence_days <= RECURRENCE_MAX_DAYS:
        errors.add("recurrence_days", "follow_ups.error.recurrence", high=RECURRENCE_MAX_DAYS)


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def _load_task(session: Session, task_id: int, *, lock: bool = True) -> FollowUpTask:
    task = session.get(FollowUpTask, task_id, with_for_update=lock)
    if task is None or task.archived_at is not None:
        raise NotFound(entity="follow_up_tasks", id=task_id)
    return task


def _require_open(task: FollowUpTask) -> None:
    if task.status != "open":
        errors = ValidationCollector()
        errors.add("task", "follow_ups.error.task_closed", status=task.status)
        errors.raise_if_any()


def close_task(
    session: Session, *, task_id: int, status: str, at: dt.datetime, reason: str | None = None
) -> FollowUpTask | None:
    """Close an open task inside the caller's transaction, when another feature's work did it or voided it.

    status "done" (a survey response answered it) or "cancelled" (the response it came from was archived);
    audited by the ORM like any task change, and the customer's next follow-up refreshed. Returns the task,
    or None when it is no longer open (nothing to do).
    """
    if status not in ("done", "cancelled"):
        raise ValueError(f"a task closes as done or cancelled, not {status!r}")
    task = session.get(FollowUpTask, task_id, with_for_update=True)
    if task is None or task.archived_at is not None or task.status != "open":
        return None
    task.status, task.open_key = status, None
    if status == "done":
        task.completed_at = at
    elif reason:
        task.reschedule_reason = reason[:REASON_MAX]
    session.flush()
    refresh_follow_up_columns(session, [task.customer_id])
    return task


def _add_open_task(session: Session, task: FollowUpTask) -> FollowUpTask:
    """Add an open task; if one of that purpose is already open for the customer, refuse with a field error."""
    try:
        with session.begin_nested():
            session.add(task)
            session.flush()
    except IntegrityError:
        # The savepoint's rollback expunged the pending task; the open one of that purpose stays.
        errors = ValidationCollector()
        errors.add("purpose", "follow_ups.error.duplicate_open")
        errors.raise_if_any()
    return task


def _existing_open(session: Session, customer_id: int, purpose: str) -> FollowUpTask | None:
    return session.scalar(
        select(FollowUpTask).where(FollowUpTask.open_key == open_key(customer_id, purpose)).with_for_update()
    )


# --- logging a contact ------------------------------------------------------------------------------


def stage_after_contact(current: str, outcome: str | None, move_stage: str | None) -> str:
    """The stage a contact leaves the customer in: an explicit choice, the outcome's (automatic), or unchanged."""
    if move_stage == AUTO_STAGE:
        return STAGE_BY_OUTCOME.get((current, outcome or ""), current)
    return move_stage or current


def log_contact(
    sessions: Sessions,
    *,
    actor: Actor,
    customer_id: int,
    channel: str,
    occurred_at: dt.datetime,
    summary: str,
    outcome: str | None = None,
    contact_id: int | None = None,
    owner_id: int | None = None,
    next_step: str | None = None,
    next_due_at: dt.datetime | None = None,
    next_owner_id: int | None = None,
    next_purpose: str | None = None,
    move_stage: str | None = None,
    churn_reason: str | None = None,
    task_id: int | None = None,
    task_version: int | None = None,
    token: str | None = None,
    now: dt.datetime | None = None,
) -> ContactLogged:
    """Log a contact in one transaction: the activity, the task it completes, the next step, the stage move.

    move_stage: None keeps the stage, AUTO_STAGE lets the outcome decide (interested moves a prospect to
    intent, a deal signs it), or a stage code. A next due date plans the next follow-up (moving the open
    one of the same purpose rather than duplicating it); completing a recurring task without a next step
    plans its next occurrence.
    """
    require(actor, "follow_ups.log")
    now = now or utcnow()
    summary = (summary or "").strip()
    next_step = _clean(next_step)
    errors = ValidationCollector()
    check_choice(errors, "channel", channel, CONTACT_CHANNELS, required=True)
    check_choice(errors, "outcome", outcome, OUTCOMES)
    check_required(errors, "summary", summary, SUMMARY_MAX)
    check_length(errors, "next_step", next_step, NEXT_STEP_MAX)
    check_choice(errors, "next_purpose", next_purpose, TASK_PURPOSES)
    check_choice(errors, "lifecycle_stage", None if move_stage == AUTO_STAGE else move_stage, STAGES)
    check_choice(errors, "churn_reason", churn_reason, CHURN_REASONS)
    if occurred_at is None or occurred_at.tzinfo is None:
        errors.add("occurred_at", "validation.required")
    elif occurred_at > now + CLOCK_SKEW:
        errors.add("occurred_at", "validation.future_date")
    if next_step and next_due_at is None:
        errors.add("next_due_at", "follow_ups.error.next_step_needs_due")
    if owner_id is not None and owner_id != actor.id and not actor.can("follow_ups.team"):
        errors.add("owner_id", "follow_ups.error.owner_not_allowed")
    errors.raise_if_any()

    with transaction(sessions, actor=actor, token=token, operation="follow_ups.log_contact") as session:
        task = _load_task(session, task_id) if task_id is not None else None
        if task is not None and task.customer_id != customer_id:
            raise NotFound(entity="follow_up_tasks", id=task_id)
        customer = load_customer(session, actor, customer_id, task_owner_id=task.owner_id if task else None)
        windows = day_windows(now, company_timezone(session))
        _check_due(errors, "next_due_at", next_due_at, windows.today_start, required=False)
        if next_due_at is not None and occurred_at is not None and next_due_at < occurred_at:
            errors.add("next_due_at", "follow_ups.error.due_before_contact")
        _check_contact(session, customer_id, contact_id, errors)
        _check_owner(session, actor, owner_id, "owner_id", errors)
        _check_owner(session, actor, next_owner_id, "next_owner_id", errors)
        if task is not None:
            if task_version is not None:
                check_version(session, task, task_version)
            _require_open(task)
        errors.raise_if_any()

        stage_before = customer.lifecycle_stage
        target = stage_after_contact(stage_before, outcome, move_stage)
        moved = apply_stage_change(
            session, actor=actor, customer=customer, to_stage=target, reason=summary[:200], churn_reason=churn_reason
        )
        activity = Activity(
            customer_id=customer_id,
            contact_id=contact_id,
            owner_id=owner_id or actor.id,
            channel=channel,
            occurred_at=occurred_at,
            summary=summary,
            outcome=outcome,
            next_step=next_step,
            next_due_at=next_due_at,
            task_id=task.id if task else None,
            stage_before=stage_before if moved else None,
            stage_after=target if moved else None,
        )
        session.add(activity)
        if task is not None:
            task.status, task.open_key, task.completed_at = "done", None, occurred_at
            if task.channel is None:
                task.channel = channel
        session.flush()

        next_task = _plan_next(
            session,
            actor,
            customer,
            task,
            windows.tz,
            occurred_at=occurred_at,
            next_step=next_step,
            next_due_at=next_due_at,
            next_purpose=next_purpose,
            next_owner_id=next_owner_id,
            contact_id=contact_id,
        )
        note_contact(session, customer_id, occurred_at)
        refresh_follow_up_columns(session, [customer_id])
        created = run_rules_for_customers(session, actor=actor, customer_ids=[customer_id], now=now)
        return ContactLogged(
            activity_id=activity.id,
            customer_id=customer_id,
            completed_task_id=task.id if task else None,
            next_task_id=next_task.id if next_task else None,
            stage_before=stage_before if moved else None,
            stage_after=target if moved else None,
            rules_created={k: v for k, v in created.items() if v},
        )


def _plan_next(
    session: Session,
    actor: Actor,
    customer: Customer,
    completed: FollowUpTask | None,
    tz: Any,
    *,
    occurred_at: dt.datetime,
    next_step: str | None,
    next_due_at: dt.datetime | None,
    next_purpose: str | None,
    next_owner_id: int | None,
    contact_id: int | None,
) -> FollowUpTask | None:
    """Plan the follow-up after a contact: the given next step, or the next occurrence of a recurring task."""
    purpose = next_purpose or (completed.purpose if completed else "regular_revisit")
    recurrence = completed.recurrence_days if completed is not None and completed.purpose == purpose else None
    if next_due_at is None:
        if completed is None or not completed.recurrence_days:
            return None
        purpose, recurrence = completed.purpose, completed.recurrence_days
        next_day = local_date(occurred_at, tz) + dt.timedelta(days=recurrence)
        next_due_at = to_utc(next_day, clock.working_time(session), tz)
        next_step = completed.note
    owner = next_owner_id or (completed.owner_id if completed else None) or customer.owner_id or actor.id
    existing = _existing_open(session, customer.id, purpose)
    if existing is not None:
        # One open task per purpose: the next step moves it instead of adding a second one.
        existing.due_at = next_due_at
        if next_step:
            existing.note = next_step
        if next_owner_id:
            existing.owner_id = next_owner_id
        session.flush()
        return existing
    task = FollowUpTask(
        customer_id=customer.id,
        contact_id=contact_id or (completed.contact_id if completed else None),
        owner_id=owner,
        due_at=next_due_at,
        priority=completed.priority if completed else "normal",
        purpose=purpose,
        note=next_step,
        status="open",
        open_key=open_key(customer.id, purpose),
        recurrence_days=recurrence,
    )
    return _add_open_task(session, task)


def complete_follow_up(
    sessions: Sessions,
    *,
    actor: Actor,
    task_id: int,
    version: int,
    channel: str,
    occurred_at: dt.datetime,
    summary: str,
    outcome: str | None = None,
    **contact: Any,
) -> ContactLogged:
    """Complete a planned follow-up by logging the contact that fulfilled it (one transaction)."""
    with sessions.read() as session:
        customer_id = session.scalar(select(FollowUpTask.customer_id).where(FollowUpTask.id == task_id))
    if customer_id is None:
        raise NotFound(entity="follow_up_tasks", id=task_id)
    return log_contact(
        sessions,
        actor=actor,
        customer_id=customer_id,
        channel=channel,
        occurred_at=occurred_at,
        summary=summary,
        outcome=outcome,
        task_id=task_id,
        task_version=version,
        **contact,
    )


# --- planned follow-ups -----------------------------------------------------------------------------


def plan_follow_up(
    sessions: Sessions,
    *,
    actor: Actor,
    customer_id: int,
    due_at: dt.datetime,
    purpose: str = "regular_revisit",
    priority: str = "normal",
    owner_id: int | None = None,
    contact_id: int | None = None,
    channel: str | None = None,
    note: str | None = None,
    recurrence_days: int | None = None,
    token: str | None = None,
    now: dt.datetime | None = None,
) -> TaskView:
    """Plan a follow-up for a customer; refused if one of the same purpose is already open."""
    require(actor, "follow_ups.log")
    now = now or utcnow()
    note = _clean(note)
    errors = ValidationCollector()
    check_choice(errors, "purpose", purpose, TASK_PURPOSES, required=True)
    check_choice(errors, "priority", priority, TASK_PRIORITIES, required=True)
    check_choice(errors, "channel", channel, CONTACT_CHANNELS)
    check_length(errors, "note", note, NOTE_MAX)
    _check_recurrence(errors, recurrence_days)
    errors.raise_if_any()
    with transaction(sessions, actor=actor, token=token, operation="follow_ups.plan") as session:
        customer = load_customer(session, actor, customer_id)
        windows = day_windows(now, company_timezone(session))
        _check_due(errors, "due_at", due_at, windows.today_start, required=True)
        _check_contact(session, customer_id, contact_id, errors)
        _check_owner(session, actor, owner_id, "owner_id", errors)
        errors.raise_if_any()
        task = _add_open_task(
            session,
            FollowUpTask(
                customer_id=customer_id,
                contact_id=contact_id,
                owner_id=owner_id or customer.owner_id or actor.id,
                due_at=due_at,
                priority=priority,
                purpose=purpose,
                channel=channel,
                note=note,
                status="open",
                open_key=open_key(customer_id, purpose),
                recurrence_days=recurrence_days,
            ),
        )
        refresh_follow_up_columns(session, [customer_id])
        task_id = task.id
    return get_task(sessions, actor=actor, task_id=task_id)


def _edit_task(session: Session, actor: Actor, task_id: int, version: int) -> FollowUpTask:
    task = _load_task(session, task_id)
    load_customer(session, actor, task.customer_id, task_owner_id=task.owner_id)
    check_version(session, task, version)
    _require_open(task)
    return task


def reschedule_follow_up(
    sessions: Sessions,
    *,
    actor: Actor,
    task_id: int,
    version: int,
    due_at: dt.datetime,
    reason: str,
    token: str | None = None,
    now: dt.datetime | None = None,
) -> TaskView:
    """Move a planned follow-up to another time, with the reason why."""
    require(actor, "follow_ups.log")
    now = now or utcnow()
    reason = (reason or "").strip()
    errors = ValidationCollector()
    check_required(errors, "reason", reason, REASON_MAX)
    errors.raise_if_any()
    with transaction(sessions, actor=actor, token=token, operation="follow_ups.reschedule") as session:
        task = _edit_task(session, actor, task_id, version)
        _check_due(errors, "due_at", due_at, day_windows(now, company_timezone(session)).today_start, required=True)
        errors.raise_if_any()
        task.due_at, task.reschedule_reason = due_at, reason
        refresh_follow_up_columns(session, [task.customer_id])
    return get_task(sessions, actor=actor, task_id=task_id)


def reassign_follow_up(
    sessions: Sessions,
    *,
    actor: Actor,
    task_id: int,
    version: int,
    owner_id: int,
    token: str | None = None,
) -> TaskView:
    """Give a planned follow-up to another person (managers)."""
    require(actor, "follow_ups.team")
    errors = ValidationCollector()
    with transaction(sessions, actor=actor, token=token, operation="follow_ups.reassign") as session:
        task = _edit_task(session, actor, task_id, version)
        _check_owner(session, actor, owner_id, "owner_id", errors)
        errors.raise_if_any()
        task.owner_id = owner_id
    return get_task(sessions, actor=actor, task_id=task_id)


def cancel_follow_up(
    sessions: Sessions,
    *,
    actor: Actor,
    task_id: int,
    version: int,
    reason: str | None = None,
    token: str | None = None,
) -> TaskView:
    """Cancel a planned follow-up (the reason is kept in reschedule_reason, the trail in the audit log)."""
    require(actor, "follow_ups.log")
    reason = _clean(reason)
    errors = ValidationCollector()
    check_length(errors, "reason", reason, REASON_MAX)
    errors.raise_if_any()
    with transaction(sessions, actor=actor, token=token, operation="follow_ups.cancel") as session:
        task = _edit_task(session, actor, task_id, version)
        task.status, task.open_key = "cancelled", None
        if reason:
            task.reschedule_reason = reason
        refresh_follow_up_columns(session, [task.customer_id])
    return get_task(sessions, actor=actor, task_id=task_id)
