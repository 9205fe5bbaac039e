"""Survey campaigns: who is asked (a target over the customer base), the survey tasks a run puts in the owners'
queues, and the response rate.

A run adds every live customer matching the target who is not a member yet, and gives each new member's owner one
open "satisfaction_survey" follow-up, due `due_in_days` after the run at the company's working time. Running again,
or two people running at once, adds nobody twice: members have the primary key (campaign, customer), the run locks
the campaign's row for each chunk (so a second run of the same campaign waits and then finds the members the first
added), and an open task carries `open_key = "<customer>:satisfaction_survey"` under a unique index, so a customer
who already has an open survey task (from another campaign) becomes a member without a second task. Customers are
read and written set-based, CHUNK at a time, one transaction per chunk; the run is audited as one entry.

A member has answered when a response recorded for the campaign exists for the customer, or the member's
response_id is set (crm/satisfaction/responses.py sets it). Response rate = members who answered ÷ members, None
("no data") for a campaign without members.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, case, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from crm.follow_ups import insert_open_tasks, open_key
from crm.platform import vocab
from crm.platform.access import visibility
from crm.platform.audit import audit_row, write_audit
from crm.platform.clock import company_zone, local_date, to_utc, utcnow, working_time
from crm.platform.errors import CrmError, NotFound, ValidationCollector
from crm.platform.permissions import Actor, require
from crm.platform.uow import check_version, transaction
from crm.platform.validation import check_length, column_limit
from db.engine import Sessions
from db.models import (
    Complaint,
    Contact,
    Customer,
    Department,
    FollowUpTask,
    SurveyCampaign,
    SurveyCampaignMember,
    SurveyResponse,
    SurveyTemplate,
    User,
)

PURPOSE = "satisfaction_survey"
CREATED_BY = "satisfaction_campaign"  # follow_up_tasks.created_by_rule of the tasks a run creates
CHUNK = 2_000
DEADLOCK_RETRIES = 3
DUE_DAYS = (0, 365)
WITHIN_DAYS = (1, 3650)
NAME_MAX = column_limit(SurveyCampaign, "name") or 120
_MEMBERS = SurveyCampaignMember.__table__


# --- inputs and views --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignInput:
    """What the campaign form holds: a name, the template asked, when it runs, the task's delay and the target."""

    name: str
    template_id: int
    starts_on: dt.date
    ends_on: dt.date | None
    due_in_days: int
    value_tiers: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    owner_ids: tuple[int, ...] = ()
    department_ids: tuple[int, ...] = ()
    complaint_closed_within_days: int | None = None

    def target(self) -> dict[str, Any]:
        """Return the stored target: only the criteria chosen, values sorted (see SurveyCampaign.target)."""
        target: dict[str, Any] = {}
        for key, values in (
            ("value_tier", self.value_tiers),
            ("lifecycle_stage", self.stages),
            ("owner_id", self.owner_ids),
            ("department_id", self.department_ids),
        ):
            if values:
                target[key] = sorted(set(values))
        if self.complaint_closed_within_days is not None:
            target["complaint_closed_within_days"] = self.complaint_closed_within_days
        return target

    @classmethod
    def of(cls, campaign: CampaignView) -> CampaignInput:
        """Return the form's values for an existing campaign (to edit it)."""
        target = campaign.target
        return cls(
            name=campaign.name,
            template_id=campaign.template_id,
            starts_on=campaign.starts_on,
            ends_on=campaign.ends_on,
            due_in_days=campaign.due_in_days,
            value_tiers=tuple(target.get("value_tier", ())),
            stages=tuple(target.get("lifecycle_stage", ())),
            owner_ids=tuple(target.get("owner_id", ())),
            department_ids=tuple(target.get("department_id", ())),
            complaint_closed_within_days=target.get("complaint_closed_within_days"),
        )


@dataclass(frozen=True)
class RunResult:
    """What a run did: customers added, survey tasks created, customers already members, customers skipped
    because nobody owns them (they are added by a later run once they have an owner)."""

    added: int
    tasks_created: int
    already_members: int
    skipped_no_owner: int


@dataclass(frozen=True)
class CampaignView:
    """A campaign with its figures. response_rate None: no members yet ("no data", never 0%)."""

    id: int
    name: str
    template_id: int
    template_name: str | None
    starts_on: dt.date
    ends_on: dt.date | None
    due_in_days: int
    target: dict[str, Any]
    state: str  # scheduled / running / ended, on the company's today
    last_run_at: dt.datetime | None
    version: int
    members: int
    responded: int
    response_rate: float | None
    tasks_open: int
    tasks_done: int


@dataclass(frozen=True)
class MemberRow:
    """A customer a campaign asks: its survey task (None when one was already open) and whether it answered."""

    customer_id: int
    customer_code: str
    customer_name: str
    owner_id: int | None
    owner_name: str | None
    added_at: dt.datetime
    task_id: int | None
    task_status: str | None  # open / done / cancelled
    task_due_at: dt.datetime | None
    answered: bool
    response_id: int | None  # the member's response, else the latest response recorded for the campaign


# --- validation --------------------------------------------------------------------------------------


def _check_days(errors: ValidationCollector, name: str, value: Any, bounds: tuple[int, int]) -> None:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.add(name, "satisfaction.campaign.days_range", low=low, high=high)


def _check(
    session: Session, data: CampaignInput, *, campaign_id: int | None = None, old_template_id: int | None = None
) -> str:
    """Check the form; raise ValidationError naming each bad field. Return the name, trimmed."""
    errors = ValidationCollector()
    name = (data.name or "").strip()
    if not name:
        errors.add("name", "validation.required")
    else:
        check_length(errors, "name", name, NAME_MAX)
    if "name" not in errors.fields:
        taken = select(SurveyCampaign.id).where(SurveyCampaign.name == name, SurveyCampaign.archived_at.is_(None))
        if campaign_id is not None:
            taken = taken.where(SurveyCampaign.id != campaign_id)
        if session.scalar(taken.limit(1)) is not None:
            errors.add("name", "satisfaction.campaign.name_taken")
    template = session.get(SurveyTemplate, data.template_id) if isinstance(data.template_id, int) else None
    if template is None:
        errors.add("template_id", "validation.choice")
    elif data.template_id != old_template_id and (not template.is_active or template.archived_at is not None):
        errors.add("template_id", "satisfaction.campaign.template_retired")
    if not isinstance(data.starts_on, dt.date):
        errors.add("starts_on", "validation.required")
    elif data.ends_on is not None and data.ends_on < data.starts_on:
        errors.add("ends_on", "satisfaction.campaign.ends_before_start")
    _check_days(errors, "due_in_days", data.due_in_days, DUE_DAYS)
    if data.complaint_closed_within_days is not None:
        _check_days(errors, "complaint_closed_within_days", data.complaint_closed_within_days, WITHIN_DAYS)
    if any(v not in vocab.VALUE_TIERS for v in data.value_tiers):
        errors.add("value_tiers", "validation.choice")
    if any(v not in vocab.STAGES for v in data.stages):
        errors.add("stages", "validation.choice")
    for field_name, model, ids in (
        ("owner_ids", User, data.owner_ids),
        ("department_ids", Department, data.department_ids),
    ):
        wanted = set(ids)
        if wanted and len(set(session.scalars(select(model.id).where(model.id.in_(wanted))))) != len(wanted):
            errors.add(field_name, "validation.choice")
    errors.raise_if_any()
    return name


# --- the target as SQL -------------------------------------------------------------------------------


def _target_conditions(target: dict[str, Any], now: dt.datetime) -> list[Any]:
    """SQL conditions on Customer for a campaign's target: criteria combine with AND, values with OR."""
    conditions: list[Any] = [Customer.archived_at.is_(None)]
    if target.get("value_tier"):
        conditions.append(Customer.value_tier.in_(list(target["value_tier"])))
    if target.get("lifecycle_stage"):
        conditions.append(Customer.lifecycle_stage.in_(list(target["lifecycle_stage"])))
    if target.get("owner_id"):
        conditions.append(Customer.owner_id.in_([int(i) for i in target["owner_id"]]))
    if target.get("department_id"):
        ids = [int(i) for i in target["department_id"]]
        # The customer's own department; one kept without a department belongs to its owner's.
        conditions.append(
            or_(
                Customer.department_id.in_(ids),
                and_(
                    Customer.department_id.is_(None),
                    Customer.owner_id.in_(select(User.id).where(User.department_id.in_(ids))),
                ),
            )
        )
    days = target.get("complaint_closed_within_days")
    if days is not None:
        conditions.append(
            exists().where(
                Complaint.customer_id == Customer.id,
                Complaint.status == "closed",
                Complaint.archived_at.is_(None),
                Complaint.closed_at >= now - dt.timedelta(days=int(days)),
            )
        )
    return conditions


def _is_member(campaign_id: int) -> Any:
    return exists().where(
        SurveyCampaignMember.campaign_id == campaign_id, SurveyCampaignMember.customer_id == Customer.id
    )


def _answered(member: Any = SurveyCampaignMember) -> Any:
    """SQL: the member answered (its response_id, or any live response recorded for the campaign)."""
    return or_(
        member.response_id.is_not(None),
        exists().where(
            SurveyResponse.campaign_id == member.campaign_id,
            SurveyResponse.customer_id == member.customer_id,
            SurveyResponse.archived_at.is_(None),
        ),
    )


# --- use cases ---------------------------------------------------------------------------------------


def create_campaign(sessions: Sessions, *, actor: Actor, data: CampaignInput, token: str | None = None) -> int:
    """Create a campaign (managers); return its id. Nobody is asked until it is run."""
    require(actor, "satisfaction.manage")
    with transaction(sessions, actor=actor, token=token, operation="satisfaction.campaign.create") as session:
        name = _check(session, data)
        campaign = SurveyCampaign(
            name=name,
            template_id=data.template_id,
            target=data.target(),
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            due_in_days=data.due_in_days,
        )
        session.add(campaign)
        session.flush()
        return campaign.id


def edit_campaign(
    sessions: Sessions, *, actor: Actor, campaign_id: int, version: int, data: CampaignInput, token: str | None = None
) -> int:
    """Change a campaign (managers) as of the version shown; members already added stay. Return its version."""
    require(actor, "satisfaction.manage")
    with transaction(sessions, actor=actor, token=token, operation="satisfaction.campaign.edit") as session:
        campaign = session.get(SurveyCampaign, campaign_id, with_for_update=True)
        if campaign is None or campaign.archived_at is not None:
            raise NotFound(entity="survey_campaigns", id=campaign_id)
        check_version(session, campaign, version)
        name = _check(session, data, campaign_id=campaign_id, old_template_id=campaign.template_id)
        values = {
            "name": name,
            "template_id": data.template_id,
            "target": data.target(),
            "starts_on": data.starts_on,
            "ends_on": data.ends_on,
            "due_in_days": data.due_in_days,
        }
        for column, value in values.items():
            if getattr(campaign, column) != value:
                setattr(campaign, column, value)
        session.flush()
        return campaign.version


def get_campaign(sessions: Sessions, *, actor: Actor, campaign_id: int, now: dt.datetime | None = None) -> CampaignView:
    """Return one campaign with its figures."""
    require(actor, "satisfaction.view")
    with sessions.read() as session:
        views = _views(session, now or utcnow(), campaign_id=campaign_id)
    if not views:
        raise NotFound(entity="survey_campaigns", id=campaign_id)
    return views[0]


def list_campaigns(sessions: Sessions, *, actor: Actor, now: dt.datetime | None = None) -> list[CampaignView]:
    """List the campaigns, newest start first, with members, answers, response rate and their tasks' state."""
    require(actor, "satisfaction.view")
    with sessions.read() as session:
        return _views(session, now or utcnow())


def _views(session: Session, now: dt.datetime, campaign_id: int | None = None) -> list[CampaignView]:
    today = local_date(now, company_zone(session))
    member = SurveyCampaignMember
    figures = (
        select(
            member.campaign_id,
            func.count().label("members"),
            func.sum(case((_answered(member), 1), else_=0)).label("responded"),
            func.sum(case((FollowUpTask.status == "open", 1), else_=0)).label("open"),
            func.sum(case((FollowUpTask.status == "done", 1), else_=0)).label("done"),
        )
        .outerjoin(FollowUpTask, FollowUpTask.id == member.task_id)
        .group_by(member.campaign_id)
    )
    if campaign_id is not None:
        figures = figures.where(member.campaign_id == campaign_id)
    counts = {row.campaign_id: row for row in session.execute(figures)}
    statement = (
        select(SurveyCampaign, SurveyTemplate.name)
        .outerjoin(SurveyTemplate, SurveyTemplate.id == SurveyCampaign.template_id)
        .where(SurveyCampaign.archived_at.is_(None))
        .order_by(SurveyCampaign.starts_on.desc(), SurveyCampaign.id.desc())
    )
    if campaign_id is not None:
        statement = statement.where(SurveyCampaign.id == campaign_id)
    views = []
    for campaign, template_name in session.execute(statement):
        row = counts.get(campaign.id)
        members = int(row.members) if row else 0
        responded = int(row.responded or 0) if row else 0
        views.append(
            CampaignView(
                id=campaign.id,
                name=campaign.name,
                template_id=campaign.template_id,
                template_name=template_name,
                starts_on=campaign.starts_on,
                ends_on=campaign.ends_on,
                due_in_days=campaign.due_in_days,
                target=dict(campaign.target or {}),
                state=_state(campaign.starts_on, campaign.ends_on, today),
                last_run_at=campaign.last_run_at,
                version=campaign.version,
                members=members,
                responded=responded,
                response_rate=responded / members if members else None,
                tasks_open=int(row.open or 0) if row else 0,
                tasks_done=int(row.done or 0) if row else 0,
            )
        )
    return views


def _state(starts_on: dt.date, ends_on: dt.date | None, today: dt.date) -> str:
    if today < starts_on:
        return "scheduled"
    if ends_on is not None and today > ends_on:
        return "ended"
    return "running"


def campaign_members(
    sessions: Sessions,
    *,
    actor: Actor,
    campaign_id: int,
    page: int = 0,
    page_size: int = 50,
    answered: bool | None = None,
) -> tuple[list[MemberRow], int]:
    """Return one page of a campaign's members (by customer name) and how many there are; staff who may read
    only their own customers see only those. answered: only those who answered (True) or not (False)."""
    require(actor, "satisfaction.view")
    member = SurveyCampaignMember
    with sessions.read() as session:
        if session.get(SurveyCampaign, campaign_id) is None:
            raise NotFound(entity="survey_campaigns", id=campaign_id)
        conditions = [member.campaign_id == campaign_id, *visibility(session, actor)]
        if answered is not None:
            conditions.append(_answered(member) if answered else ~_answered(member))
        total = session.scalar(
            select(func.count())
            .select_from(member)
            .join(Customer, Customer.id == member.customer_id)
            .where(*conditions)
        )
        latest = (
            select(func.max(SurveyResponse.id))
            .where(
                SurveyResponse.campaign_id == member.campaign_id,
                SurveyResponse.customer_id == member.customer_id,
                SurveyResponse.archived_at.is_(None),
            )
            .scalar_subquery()
        )
        statement = (
            select(
                member.customer_id,
                Customer.code,
                Customer.name,
                Customer.owner_id,
                User.display_name,
                member.added_at,
                member.task_id,
                FollowUpTask.status,
                FollowUpTask.due_at,
                func.coalesce(member.response_id, latest).label("response_id"),
            )
            .join(Customer, Customer.id == member.customer_id)
            .outerjoin(User, User.id == Customer.owner_id)
            .outerjoin(FollowUpTask, FollowUpTask.id == member.task_id)
            .where(*conditions)
            .order_by(Customer.name, Customer.id)
            .offset(max(page, 0) * page_size)
            .limit(page_size)
        )
        rows = [
            MemberRow(
                customer_id=r.customer_id,
                customer_code=r.code,
                customer_name=r.name,
                owner_id=r.owner_id,
                owner_name=r.display_name,
                added_at=r.added_at,
                task_id=r.task_id,
                task_status=r.status,
                task_due_at=r.due_at,
                answered=r.response_id is not None,
                response_id=r.response_id,
            )
            for r in session.execute(statement)
        ]
    return rows, int(total or 0)


def preview_campaign(
    sessions: Sessions,
    *,
    actor: Actor,
    data: CampaignInput,
    campaign_id: int | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Count the customers a run would ask now: live, matching the target, with an owner, not yet members (of
    campaign_id, when the campaign exists)."""
    require(actor, "satisfaction.manage")
    now = now or utcnow()
    with sessions.read() as session:
        conditions = [*_target_conditions(data.target(), now), Customer.owner_id.is_not(None)]
        if campaign_id is not None:
            conditions.append(~_is_member(campaign_id))
        return int(session.scalar(select(func.count()).select_from(Customer).where(*conditions)) or 0)


def run_campaign(
    sessions: Sessions, *, actor: Actor, campaign_id: int, now: dt.datetime | None = None, chunk: int = CHUNK
) -> RunResult:
    """Add the customers the target matches now and give each new member's owner a survey task (managers)."""
    require(actor, "satisfaction.manage")
    now = now or utcnow()
    with sessions.read() as session:
        campaign = session.get(SurveyCampaign, campaign_id)
        if campaign is None or campaign.archived_at is not None:
            raise NotFound(entity="survey_campaigns", id=campaign_id)
        today = local_date(now, company_zone(session))
        if today < campaign.starts_on:
            raise CrmError("satisfaction.campaign.not_started", starts_on=campaign.starts_on.isoformat())
        if campaign.ends_on is not None and today > campaign.ends_on:
            raise CrmError("satisfaction.campaign.ended", ends_on=campaign.ends_on.isoformat())
    added = tasks = no_owner = 0
    after: int | None = None
    while True:
        scanned, last, chunk_added, chunk_tasks, chunk_no_owner = _run_chunk(
            sessions, actor, campaign_id, now, after, chunk
        )
        added += chunk_added
        tasks += chunk_tasks
        no_owner += chunk_no_owner
        if scanned < chunk or last is None:
            break
        after = last
    with transaction(sessions, actor=actor, operation="satisfaction.campaign.run") as session:
        campaign = session.get(SurveyCampaign, campaign_id, with_for_update=True)
        assert campaign is not None
        members = session.scalar(
            select(func.count())
            .select_from(SurveyCampaignMember)
            .join(Customer, Customer.id == SurveyCampaignMember.customer_id)
            .where(SurveyCampaignMember.campaign_id == campaign_id, *_target_conditions(campaign.target or {}, now))
        )
        result = RunResult(
            added=added,
            tasks_created=tasks,
            already_members=max(int(members or 0) - added, 0),
            skipped_no_owner=no_owner,
        )
        # The time of the last run is bookkeeping, not an edit: a form open on the campaign stays current.
        session.execute(update(SurveyCampaign).where(SurveyCampaign.id == campaign_id).values(last_run_at=now))
        write_audit(
            session,
            [audit_row(actor, "run", "survey_campaigns", campaign_id, new=dict(result.__dict__))],
        )
    return result


def _run_chunk(
    sessions: Sessions, actor: Actor, campaign_id: int, now: dt.datetime, after: int | None, chunk: int
) -> tuple[int, int | None, int, int, int]:
    """Add one chunk of candidates in one transaction: (scanned, last id, added, tasks created, no owner)."""
    for attempt in range(DEADLOCK_RETRIES):
        try:
            with transaction(sessions, actor=actor, operation="satisfaction.campaign.run") as session:
                return _add_members(session, actor, campaign_id, now, after, chunk)
        except OperationalError:
            # A deadlock with another run (of another campaign: runs of one campaign wait on its row lock);
            # the chunk was rolled back as a whole, so running it again is safe.
            if attempt == DEADLOCK_RETRIES - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def _add_members(
    session: Session, actor: Actor, campaign_id: int, now: dt.datetime, after: int | None, chunk: int
) -> tuple[int, int | None, int, int, int]:
    # Runs of one campaign take turns chunk by chunk: the second reads the members the first committed.
    campaign = session.execute(
        select(SurveyCampaign).where(SurveyCampaign.id == campaign_id).with_for_update()
    ).scalar_one()
    primary_contact = (
        select(func.min(Contact.id))
        .where(Contact.customer_id == Customer.id, Contact.is_primary.is_(True), Contact.archived_at.is_(None))
        .scalar_subquery()
    )
    has_open_task = exists().where(
        FollowUpTask.customer_id == Customer.id, FollowUpTask.status == "open", FollowUpTask.purpose == PURPOSE
    )
    statement = select(Customer.id, Customer.owner_id, primary_contact, has_open_task).where(
        *_target_conditions(campaign.target or {}, now), ~_is_member(campaign_id)
    )
    if after is not None:
        statement = statement.where(Customer.id > after)
    candidates = session.execute(statement.order_by(Customer.id).limit(chunk)).all()
    if not candidates:
        return 0, None, 0, 0, 0
    owned = [c for c in candidates if c[1] is not None]
    members = _insert_members(
        session, [{"campaign_id": campaign_id, "customer_id": c[0], "task_id": None, "added_at": now} for c in owned]
    )
    due_at = _due_at(session, now, campaign.due_in_days)
    task_rows = [
        _task_row(customer_id, owner_id, contact_id, due_at, now, campaign.name)
        for customer_id, owner_id, contact_id, open_already in owned
        if customer_id in members and not open_already
    ]
    task_ids = insert_open_tasks(session, actor, task_rows)
    if task_ids:
        task_of = [
            {"b_customer": customer_id, "b_task": task_id}
            for task_id, customer_id in session.execute(
                select(FollowUpTask.id, FollowUpTask.customer_id).where(FollowUpTask.id.in_(task_ids))
            )
        ]
        session.execute(
            update(_MEMBERS)
            .where(_MEMBERS.c.campaign_id == campaign_id, _MEMBERS.c.customer_id == bindparam("b_customer"))
            .values(task_id=bindparam("b_task")),
            task_of,
        )
    return len(candidates), candidates[-1][0], len(members), len(task_ids), len(candidates) - len(owned)


def _insert_members(session: Session, rows: list[dict[str, Any]]) -> set[int]:
    """Insert members in one statement; if one was added meanwhile, one by one skipping those. Return the added."""
    if not rows:
        return set()
    try:
        with session.begin_nested():
            session.execute(insert(_MEMBERS), rows)
        return {row["customer_id"] for row in rows}
    except IntegrityError:
        added = set()
        for row in rows:
            try:
                with session.begin_nested():
                    session.execute(insert(_MEMBERS), [row])
            except IntegrityError:
                continue
            added.add(row["customer_id"])
        return added


def _due_at(session: Session, now: dt.datetime, days: int) -> dt.datetime:
    """When a run's survey task is due: the company's working time `days` after today, as the automatic rules
    plan theirs; a time already past (days = 0 after the working time) is the end of today instead."""
    zone = company_zone(session)
    today = local_date(now, zone)
    at_work = to_utc(today + dt.timedelta(days=days), working_time(session), zone)
    return at_work if at_work > now else to_utc(today, None, zone)


def _task_row(
    customer_id: int, owner_id: int, contact_id: int | None, due_at: dt.datetime, now: dt.datetime, note: str
) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "contact_id": contact_id,
        "owner_id": owner_id,
        "due_at": due_at,
        "priority": "normal",
        "purpose": PURPOSE,
        "channel": None,
        "note": note,
        "status": "open",
        "open_key": open_key(customer_id, PURPOSE),
        "recurrence_days": None,
        "created_by_rule": CREATED_BY,
        "reschedule_reason": None,
        "completed_at": None,
        "source_complaint_id": None,
        "source_survey_id": None,
        "version": 1,
        "archived_at": None,
        "created_at": now,
        "updated_at": now,
    }
