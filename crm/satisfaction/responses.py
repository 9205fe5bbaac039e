"""Survey responses: checking and recording one (form, command line, import), reading and listing them.

Recording a response is one transaction: the response and the scores of the dimensions answered (any may be left
out), the alert flag (NPS <= nps_max or overall <= csat_max, the low_survey rule's parameters, so that the flag
and the rule agree), the campaign member it answers, the survey tasks it completes (the one it was recorded from,
the campaign's, the check after the complaint it names), and the low_survey rule run for the customer, which
gives the owner one callback task for an alert (never a second one while one is open).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from sqlalchemy import Select, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from crm.follow_ups import close_task, rule_settings, run_rules_for_customers
from crm.platform import clock
from crm.platform.access import load_readable
from crm.platform.audit import audit_row, write_audit
from crm.platform.errors import NotFound, ValidationCollector
from crm.platform.permissions import Actor, require
from crm.platform.uow import check_version, transaction
from crm.platform.validation import TEXT_MAX, check_choice, check_length
from crm.satisfaction.templates import dimension_label, scored_dimensions
from crm.satisfaction.vocab import (
    ALERT_NPS_MAX,
    ALERT_OVERALL_MAX,
    ANSWERABLE_PURPOSES,
    CHANNELS,
    DETRACTOR_MAX,
    EARLIEST_RESPONSE,
    LOW_OVERALL_MAX,
    NPS_MAX,
    NPS_MIN,
    PROMOTER_MIN,
    SCORE_BANDS,
    SCORE_MAX,
    SCORE_MIN,
)
from db.engine import Sessions
from db.models import (
    Activity,
    AuditLog,
    Complaint,
    Contact,
    Customer,
    FollowUpTask,
    SurveyCampaign,
    SurveyCampaignMember,
    SurveyResponse,
    SurveyScore,
    SurveyTemplate,
    User,
)

ALERT_RULE = "low_survey"
ALERT_NOTE_FIELD = "alert_note"  # close_alert keeps its note in the audit trail, on the response
# The record form offers the complaints closed this many days ago or less that no response answers yet.
CHECK_WINDOW_DAYS = 90
CUSTOMER_RESPONSES_LIMIT = 200
PAGE_SIZE_MAX = 500


@dataclass(frozen=True)
class ResponseInput:
    """One response as a form, the command line or an import row gives it."""

    customer_id: int
    responded_on: dt.date
    channel: str
    template_id: int
    scores: Mapping[str, int | None]  # dimension code -> 1..5, None (or left out) when unanswered
    overall: int | None
    nps: int | None
    comment: str | None = None
    contact_id: int | None = None
    complaint_id: int | None = None
    campaign_id: int | None = None
    task_id: int | None = None


@dataclass(frozen=True)
class ResponseFilters:
    """What the responses list is narrowed to; every field optional. start / end are company days, inclusive."""

    start: dt.date | None = None
    end: dt.date | None = None
    channel: str | None = None
    template_family_id: int | None = None
    campaign_id: int | None = None
    owner_id: int | None = None
    department_id: int | None = None
    value_tier: str | None = None
    lifecycle_stage: str | None = None
    industry: str | None = None
    region: str | None = None
    score_band: str | None = None  # detractor (NPS 0-6), passive (7-8), promoter (9-10), low_overall (1-2)
    alert_only: bool = False
    customer_id: int | None = None


@dataclass(frozen=True)
class ResponseRow:
    """A response as the lists show it (the responses table, the customer 360)."""

    id: int
    version: int
    responded_at: dt.datetime
    customer_id: int
    customer_code: str
    customer_name: str
    owner_id: int | None
    owner_name: str | None
    channel: str
    overall: int | None
    nps: int | None
    comment: str | None
    template_id: int | None
    template_name: str | None
    template_revision: int | None
    campaign_id: int | None
    complaint_id: int | None
    complaint_code: str | None
    alert: bool
    alert_open: bool  # flagged, not closed, and nobody has logged a contact with the customer since
    scores: dict[str, int] = field(default_factory=dict)  # answered dimensions only


@dataclass(frozen=True)
class ScoreView:
    """A dimension of the response's template and its score (None: left unanswered)."""

    code: str
    label_en: str
    label_zh: str
    score: int | None

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass(frozen=True)
class TaskRef:
    """A follow-up task as a response or an alert shows it."""

    id: int
    purpose: str
    status: str
    owner_id: int | None
    owner_name: str | None
    due_at: dt.datetime
    completed_at: dt.datetime | None
    version: int


@dataclass(frozen=True)
class ResponseDetail:
    """Everything the page shows of one response."""

    id: int
    version: int
    customer_id: int
    customer_code: str
    customer_name: str
    owner_id: int | None
    owner_name: str | None
    contact_id: int | None
    contact_name: str | None
    channel: str
    responded_at: dt.datetime
    overall: int | None
    nps: int | None
    comment: str | None
    template_id: int | None
    template_family_id: int | None
    template_name: str | None
    template_revision: int | None
    scores: tuple[ScoreView, ...]  # every dimension of the template, answered or not, then any others scored
    campaign_id: int | None
    campaign_name: str | None
    complaint_id: int | None
    complaint_code: str | None
    recorded_by_id: int | None
    recorded_by_name: str | None
    import_key: str | None
    alert: bool
    alert_open: bool
    alert_closed_at: dt.datetime | None
    alert_closed_by_name: str | None
    alert_note: str | None  # what the person who closed the alert wrote
    contacted_at: dt.datetime | None  # the first contact logged with the customer after the response
    task: TaskRef | None  # the callback task the alert created (or the customer's open one covering it)
    archived: bool


class ClosedComplaint(NamedTuple):
    """A recently closed complaint of the customer that no response answers yet (the form offers it)."""

    id: int
    code: str
    closed_at: dt.datetime


# --- who may record, the alert thresholds -----------------------------------------------------------------


def may_record_for(actor: Actor, owner_id: int | None) -> bool:
    """Managers and admins record for every customer, staff for their own, viewers never."""
    if not actor.can("satisfaction.record"):
        return False
    return actor.can("customers.edit_all") or (actor.id is not None and owner_id == actor.id)


def alert_thresholds(session: Session) -> tuple[int, int]:
    """Return (nps_max, overall_max) as the low_survey rule is configured (its defaults: 6 and 2)."""
    _enabled, params = rule_settings(session).get(ALERT_RULE, (True, {}))
    return int(params.get("nps_max", ALERT_NPS_MAX)), int(params.get("csat_max", ALERT_OVERALL_MAX))


def is_alert(overall: int | None, nps: int | None, thresholds: tuple[int, int]) -> bool:
    nps_max, overall_max = thresholds
    return (nps is not None and nps <= nps_max) or (overall is not None and overall <= overall_max)


def staff_scope(actor: Actor) -> list[Any]:
    """WHERE conditions of the lists: staff see their own customers' responses, the other roles all."""
    require(actor, "satisfaction.view")
    if actor.can("customers.view_all"):
        return []
    return [Customer.owner_id == actor.id]


def contacted_since(customer_column: Any, since_column: Any) -> Any:
    """SQL: a contact was logged with the customer after the instant (read through ix_activities_customer_at)."""
    return exists().where(
        Activity.customer_id == customer_column, Activity.occurred_at > since_column, Activity.archived_at.is_(None)
    )


def callback_done(response_column: Any) -> Any:
    """SQL: the callback task the alert created is done (a contact logged from the follow-up queue completes it;
    the contact's time is what the user entered, rounded to five minutes, so it may read before the response)."""
    return exists().where(FollowUpTask.source_survey_id == response_column, FollowUpTask.status == "done")


def alert_open_condition() -> Any:
    """SQL: the response is an alert nobody has followed up yet (closed by hand, by a contact after it, or by its
    callback task done)."""
    return (
        (SurveyResponse.alert.is_(True))
        & SurveyResponse.alert_closed_at.is_(None)
        & ~contacted_since(SurveyResponse.customer_id, SurveyResponse.responded_at)
        & ~callback_done(SurveyResponse.id)
    )


# --- checking --------------------------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _in_range(value: object, low: int, high: int) -> bool:
    return _is_int(value) and low <= int(value) <= high  # type: ignore[call-overload]


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = str(text).strip()
    return text or None


def check_response(session: Session, actor: Actor, data: ResponseInput, errors: ValidationCollector) -> None:
    """Add every problem of the response to errors, each on its field with a catalog key.

    Fields: customer_id, contact_id, template_id, channel, scores.<dimension>, overall, nps, answers (nothing
    answered at all), responded_on, complaint_id, campaign_id, task_id, comment.
    """
    customer = session.get(Customer, data.customer_id) if _is_int(data.customer_id) else None
    if customer is None or customer.archived_at is not None:
        errors.add("customer_id", "satisfaction.error.unknown_customer")
        customer = None
    elif not may_record_for(actor, customer.owner_id):
        errors.add("customer_id", "satisfaction.error.not_your_customer")
    if data.contact_id is not None and customer is not None:
        found = session.scalar(
            select(Contact.id).where(
                Contact.id == data.contact_id, Contact.customer_id == customer.id, Contact.archived_at.is_(None)
            )
        )
        if found is None:
            errors.add("contact_id", "satisfaction.error.contact_not_customers")
    check_choice(errors, "channel", data.channel, CHANNELS, required=True)
    dimensions = _check_template(session, data.template_id, errors)
    for code, value in (data.scores or {}).items():
        if value is None:
            continue
        if dimensions is not None and code not in dimensions:
            errors.add(f"scores.{code}", "satisfaction.error.dimension_not_in_template")
        elif not _in_range(value, SCORE_MIN, SCORE_MAX):
            errors.add(f"scores.{code}", "satisfaction.error.score_range", low=SCORE_MIN, high=SCORE_MAX)
    if data.overall is not None and not _in_range(data.overall, SCORE_MIN, SCORE_MAX):
        errors.add("overall", "satisfaction.error.score_range", low=SCORE_MIN, high=SCORE_MAX)
    if data.nps is not None and not _in_range(data.nps, NPS_MIN, NPS_MAX):
        errors.add("nps", "satisfaction.error.nps_range", low=NPS_MIN, high=NPS_MAX)
    if data.overall is None and data.nps is None and all(v is None for v in (data.scores or {}).values()):
        errors.add("answers", "satisfaction.error.nothing_answered")
    _check_date(session, data.responded_on, errors)
    if data.complaint_id is not None:
        complaint = session.get(Complaint, data.complaint_id) if _is_int(data.complaint_id) else None
        if complaint is None or complaint.archived_at is not None or complaint.customer_id != data.customer_id:
            errors.add("complaint_id", "satisfaction.error.complaint_not_customers")
    if data.campaign_id is not None:
        campaign = session.get(SurveyCampaign, data.campaign_id) if _is_int(data.campaign_id) else None
        if campaign is None or campaign.archived_at is not None:
            errors.add("campaign_id", "satisfaction.error.unknown_campaign")
    if data.task_id is not None:
        _check_task(session, data, errors)
    check_length(errors, "comment", _clean(data.comment), TEXT_MAX)


def _check_template(session: Session, template_id: int, errors: ValidationCollector) -> set[str] | None:
    """Any revision of a template in force may be named; a retired template takes no more responses."""
    template = session.get(SurveyTemplate, template_id) if _is_int(template_id) else None
    if template is None or template.archived_at is not None:
        errors.add("template_id", "satisfaction.error.unknown_template")
        return None
    if not template.is_active:
        in_force = session.scalar(
            select(SurveyTemplate.id).where(
                SurveyTemplate.family_id == (template.family_id or template.id),
                SurveyTemplate.is_active.is_(True),
                SurveyTemplate.archived_at.is_(None),
            )
        )
        if in_force is None:
            errors.add("template_id", "satisfaction.error.template_retired")
    return {str(code) for code in (template.dimensions or [])}


def _check_date(session: Session, day: dt.date | None, errors: ValidationCollector) -> None:
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        errors.add("responded_on", "validation.required")
    elif day > clock.company_today(session):
        errors.add("responded_on", "validation.future_date")
    elif day < EARLIEST_RESPONSE:
        errors.add("responded_on", "satisfaction.error.date_too_early", earliest=EARLIEST_RESPONSE.isoformat())


def _check_task(session: Session, data: ResponseInput, errors: ValidationCollector) -> None:
    # Locked, so that a task another save is closing right now is read as that save leaves it: two people answering
    # one survey task at once record one response, not two (found by python -m crm stress on PostgreSQL).
    task = session.get(FollowUpTask, data.task_id, with_for_update=True) if _is_int(data.task_id) else None
    if task is None or task.archived_at is not None or task.customer_id != data.customer_id:
        errors.add("task_id", "satisfaction.error.task_not_customers")
    elif task.status != "open":
        errors.add("task_id", "satisfaction.error.task_closed")
    elif task.purpose not in ANSWERABLE_PURPOSES:
        errors.add("task_id", "satisfaction.error.task_purpose")


# --- recording -------------------------------------------------------------------------------------------


def responded_at_of(session: Session, day: dt.date) -> dt.datetime:
    """When a response given on a company day happened: now for today, else the working time that day.

    Today's is the moment it is recorded, so that a contact logged earlier today is not taken for the follow-up
    of an alert raised later; an earlier day's is the company's working time (09:00 by default).
    """
    zone = clock.company_zone(session)
    now = clock.utcnow()
    if day >= clock.today(zone):
        return now
    return clock.to_utc(day, clock.working_time(session), zone)


def insert_response(
    session: Session, actor: Actor, data: ResponseInput, *, import_key: str | None = None, run_rules: bool = True
) -> SurveyResponse:
    """Write a checked response inside the caller's transaction, with everything it sets off (module docstring).

    run_rules=False leaves the low_survey rule to the caller, who runs it once for many responses (the import).
    """
    now = clock.utcnow()
    if data.campaign_id is None and data.complaint_id is None:
        # Recorded without naming the campaign that asked: it answers the customer's open membership anyway,
        # so the campaign's response rate and its survey task do not wait for someone to pick it.
        data = replace(data, campaign_id=_open_membership(session, data.customer_id, data.responded_on))
    alert = is_alert(data.overall, data.nps, alert_thresholds(session))
    response = SurveyResponse(
        customer_id=data.customer_id,
        contact_id=data.contact_id,
        template_id=data.template_id,
        campaign_id=data.campaign_id,
        complaint_id=data.complaint_id,
        channel=data.channel,
        responded_at=responded_at_of(session, data.responded_on),
        overall_score=data.overall,
        nps=data.nps,
        comment=_clean(data.comment),
        recorded_by_id=actor.id,
        import_key=import_key,
        alert=alert,
    )
    session.add(response)
    session.flush()
    answered = {code: int(score) for code, score in (data.scores or {}).items() if score is not None}
    session.add_all(SurveyScore(response_id=response.id, dimension=code, score=s) for code, s in answered.items())
    audit = [
        audit_row(actor, "create", "survey_responses", response.id, field=f"score.{code}", new=s, version=1)
        for code, s in answered.items()
    ]
    tasks = _tasks_answered(session, data)
    if data.campaign_id is not None:
        audit.extend(_answer_member(session, actor, data.campaign_id, data.customer_id, response.id))
    write_audit(session, audit)
    for task_id in sorted(tasks):
        close_task(session, task_id=task_id, status="done", at=now)
    if alert and run_rules:
        run_rules_for_customers(session, actor=actor, customer_ids=[data.customer_id], codes=[ALERT_RULE])
    return response


def _open_membership(session: Session, customer_id: int, responded_on: dt.date) -> int | None:
    """The latest campaign running on that day of which the customer is a member that has not answered yet."""
    return session.scalar(
        select(SurveyCampaign.id)
        .join(SurveyCampaignMember, SurveyCampaignMember.campaign_id == SurveyCampaign.id)
        .where(
            SurveyCampaignMember.customer_id == customer_id,
            SurveyCampaignMember.response_id.is_(None),
            SurveyCampaign.archived_at.is_(None),
            SurveyCampaign.starts_on <= responded_on,
            or_(SurveyCampaign.ends_on.is_(None), SurveyCampaign.ends_on >= responded_on),
        )
        .order_by(SurveyCampaign.starts_on.desc(), SurveyCampaign.id.desc())
        .limit(1)
    )


def _tasks_answered(session: Session, data: ResponseInput) -> set[int]:
    """The open tasks the response does: the one it was recorded from, its campaign's, its complaint's check."""
    tasks = {data.task_id} if data.task_id is not None else set()
    if data.campaign_id is not None:
        member_task = session.scalar(
            select(SurveyCampaignMember.task_id).where(
                SurveyCampaignMember.campaign_id == data.campaign_id,
                SurveyCampaignMember.customer_id == data.customer_id,
                SurveyCampaignMember.response_id.is_(None),
            )
        )
        if member_task is not None:
            tasks.add(member_task)
    if data.complaint_id is not None:
        tasks.update(
            session.scalars(
                select(FollowUpTask.id).where(
                    FollowUpTask.source_complaint_id == data.complaint_id,
                    FollowUpTask.customer_id == data.customer_id,
                    FollowUpTask.purpose == "complaint",
                    FollowUpTask.created_by_rule == "closed_complaint",
                    FollowUpTask.status == "open",
                )
            )
        )
    return {int(t) for t in tasks}


def _answer_member(
    session: Session, actor: Actor, campaign_id: int, customer_id: int, response_id: int
) -> list[dict[str, Any]]:
    """Mark the customer's membership of the campaign answered (the first response only); its audit rows."""
    table = SurveyCampaignMember.__table__
    result = session.execute(
        update(table)
        .where(table.c.campaign_id == campaign_id, table.c.customer_id == customer_id, table.c.response_id.is_(None))
        .values(response_id=response_id)
    )
    if not getattr(result, "rowcount", 0):
        return []
    return [
        audit_row(
            actor,
            "update",
            "survey_campaign_members",
            f"{campaign_id}:{customer_id}",
            field="response_id",
            new=response_id,
        )
    ]


def record_response(sessions: Sessions, *, actor: Actor, data: ResponseInput, token: str | None = None) -> int:
    """Check and record a response in one transaction; raise ValidationError with every field's problem."""
    require(actor, "satisfaction.record")
    with transaction(sessions, actor=actor, token=token, operation="satisfaction.record") as session:
        errors = ValidationCollector()
        check_response(session, actor, data, errors)
        errors.raise_if_any()
        return insert_response(session, actor, data).id


def archive_response(
    sessions: Sessions, *, actor: Actor, response_id: int, version: int, token: str | None = None
) -> None:
    """Archive a response entered by mistake (managers): it leaves the lists and figures, its open callback
    task is cancelled and a campaign member it answered counts as unanswered again."""
    require(actor, "satisfaction.manage")
    with transaction(sessions, actor=actor, token=token, operation="satisfaction.archive") as session:
        response = session.get(SurveyResponse, response_id, with_for_update=True)
        if response is None or response.archived_at is not None:
            raise NotFound(entity="survey_responses", id=response_id)
        check_version(session, response, version)
        now = clock.utcnow()
        response.archived_at = now
        session.flush()
        for task_id in session.scalars(
            select(FollowUpTask.id).where(FollowUpTask.source_survey_id == response_id, FollowUpTask.status == "open")
        ).all():
            close_task(session, task_id=task_id, status="cancelled", at=now, reason="survey response archived")
        table = SurveyCampaignMember.__table__
        members = session.execute(
            select(table.c.campaign_id, table.c.customer_id).where(table.c.response_id == response_id)
        ).all()
        if members:
            session.execute(update(table).where(table.c.response_id == response_id).values(response_id=None))
            write_audit(
                session,
                [
                    audit_row(
                        actor, "update", "survey_campaign_members", f"{c}:{k}", field="response_id", old=response_id
                    )
                    for c, k in members
                ],
            )


# --- reading ---------------------------------------------------------------------------------------------

_Owner = aliased(User)


def _row_select() -> Any:
    return (
        select(
            SurveyResponse.id,
            SurveyResponse.version,
            SurveyResponse.responded_at,
            Customer.id,
            Customer.code,
            Customer.name,
            Customer.owner_id,
            _Owner.display_name,
            SurveyResponse.channel,
            SurveyResponse.overall_score,
            SurveyResponse.nps,
            SurveyResponse.comment,
            SurveyResponse.template_id,
            SurveyTemplate.name,
            SurveyTemplate.revision,
            SurveyResponse.campaign_id,
            SurveyResponse.complaint_id,
            Complaint.code,
            SurveyResponse.alert,
            alert_open_condition().label("alert_open"),
        )
        .select_from(SurveyResponse)
        .join(Customer, Customer.id == SurveyResponse.customer_id)
        .outerjoin(_Owner, _Owner.id == Customer.owner_id)
        .outerjoin(SurveyTemplate, SurveyTemplate.id == SurveyResponse.template_id)
        .outerjoin(Complaint, Complaint.id == SurveyResponse.complaint_id)
    )


def _rows(session: Session, stmt: Select[Any]) -> list[ResponseRow]:
    found = session.execute(stmt).all()
    scores = scored_dimensions(session, [int(r[0]) for r in found])
    return [
        ResponseRow(
            id=r[0],
            version=r[1],
            responded_at=r[2],
            customer_id=r[3],
            customer_code=r[4],
            customer_name=r[5],
            owner_id=r[6],
            owner_name=r[7],
            channel=r[8],
            overall=r[9],
            nps=r[10],
            comment=r[11],
            template_id=r[12],
            template_name=r[13],
            template_revision=r[14],
            campaign_id=r[15],
            complaint_id=r[16],
            complaint_code=r[17],
            alert=bool(r[18]),
            alert_open=bool(r[19]),
            scores=scores.get(int(r[0]), {}),
        )
        for r in found
    ]


def _filter_conditions(session: Session, filters: ResponseFilters) -> list[Any]:
    conditions: list[Any] = [SurveyResponse.archived_at.is_(None)]
    zone = clock.company_zone(session)
    if filters.start is not None:
        conditions.append(SurveyResponse.responded_at >= clock.local_midnight(filters.start, zone))
    if filters.end is not None:
        conditions.append(SurveyResponse.responded_at < clock.local_midnight(filters.end + dt.timedelta(days=1), zone))
    for column, value in (
        (SurveyResponse.channel, filters.channel),
        (SurveyResponse.campaign_id, filters.campaign_id),
        (SurveyResponse.customer_id, filters.customer_id),
        (Customer.owner_id, filters.owner_id),
        (Customer.department_id, filters.department_id),
        (Customer.value_tier, filters.value_tier),
        (Customer.lifecycle_stage, filters.lifecycle_stage),
        (Customer.industry, filters.industry),
        (Customer.region, filters.region),
    ):
        if value is not None and value != "":
            conditions.append(column == value)
    if filters.template_family_id is not None:
        conditions.append(
            SurveyResponse.template_id.in_(
                select(SurveyTemplate.id).where(SurveyTemplate.family_id == filters.template_family_id)
            )
        )
    band = filters.score_band
    if band == "detractor":
        conditions.append(SurveyResponse.nps <= DETRACTOR_MAX)
    elif band == "passive":
        conditions.append(SurveyResponse.nps.between(DETRACTOR_MAX + 1, PROMOTER_MIN - 1))
    elif band == "promoter":
        conditions.append(SurveyResponse.nps >= PROMOTER_MIN)
    elif band == "low_overall":
        conditions.append(SurveyResponse.overall_score <= LOW_OVERALL_MAX)
    elif band:
        raise ValueError(f"score_band must be one of {SCORE_BANDS}, not {band!r}")
    if filters.alert_only:
        conditions.append(SurveyResponse.alert.is_(True))
    return conditions


def list_responses(
    sessions: Sessions, *, actor: Actor, filters: ResponseFilters, page: int = 0, page_size: int = 25
) -> tuple[list[ResponseRow], int]:
    """Return a page (0-based) of the responses matching the filters, newest first, and how many match in all.

    Staff see their own customers' responses only.
    """
    page_size = max(1, min(page_size, PAGE_SIZE_MAX))
    with sessions.read() as session:
        conditions = [*staff_scope(actor), *_filter_conditions(session, filters)]
        total = int(
            session.scalar(
                select(func.count())
                .select_from(SurveyResponse)
                .join(Customer, Customer.id == SurveyResponse.customer_id)
                .where(*conditions)
            )
            or 0
        )
        page = max(0, min(page, max(0, (total - 1) // page_size)))
        stmt = (
            _row_select()
            .where(*conditions)
            .order_by(SurveyResponse.responded_at.desc(), SurveyResponse.id.desc())
            .offset(page * page_size)
            .limit(page_size)
        )
        return _rows(session, stmt), total


def customer_responses(
    sessions: Sessions, *, actor: Actor, customer_id: int, limit: int = CUSTOMER_RESPONSES_LIMIT
) -> list[ResponseRow]:
    """Return the customer's responses, newest first (the customer 360; whoever may read the customer)."""
    require(actor, "satisfaction.view")
    with sessions.read() as session:
        load_readable(session, actor, customer_id)
        stmt = (
            _row_select()
            .where(SurveyResponse.customer_id == customer_id, SurveyResponse.archived_at.is_(None))
            .order_by(SurveyResponse.responded_at.desc(), SurveyResponse.id.desc())
            .limit(limit)
        )
        return _rows(session, stmt)


def alert_task(session: Session, response_id: int, customer_id: int) -> TaskRef | None:
    """The callback task an alert created, else the customer's open callback task that covers it."""
    owner = aliased(User)
    base = select(
        FollowUpTask.id,
        FollowUpTask.purpose,
        FollowUpTask.status,
        FollowUpTask.owner_id,
        owner.display_name,
        FollowUpTask.due_at,
        FollowUpTask.completed_at,
        FollowUpTask.version,
    ).outerjoin(owner, owner.id == FollowUpTask.owner_id)
    row = session.execute(
        base.where(FollowUpTask.source_survey_id == response_id).order_by(FollowUpTask.id.desc()).limit(1)
    ).first()
    if row is None:
        row = session.execute(
            base.where(
                FollowUpTask.customer_id == customer_id,
                FollowUpTask.purpose == "survey",
                FollowUpTask.status == "open",
            ).limit(1)
        ).first()
    return TaskRef(*row) if row is not None else None


def response_detail(sessions: Sessions, *, actor: Actor, response_id: int) -> ResponseDetail:
    """Return one response with its scores, links, alert and the follow-up it led to (whoever reads the customer)."""
    require(actor, "satisfaction.view")
    with sessions.read() as session:
        response = session.get(SurveyResponse, response_id)
        if response is None:
            raise NotFound(entity="survey_responses", id=response_id)
        customer = load_readable(session, actor, response.customer_id)
        template = session.get(SurveyTemplate, response.template_id) if response.template_id else None
        scored = scored_dimensions(session, [response.id])[response.id]
        codes = [str(c) for c in (template.dimensions or [])] if template else []
        codes += [c for c in scored if c not in codes]
        labels = template.labels if template else None
        scores = tuple(
            ScoreView(c, dimension_label(c, labels, "en"), dimension_label(c, labels, "zh"), scored.get(c))
            for c in codes
        )

        def name_of(user_id: int | None) -> str | None:
            return session.scalar(select(User.display_name).where(User.id == user_id)) if user_id else None

        contact_name = (
            session.scalar(select(Contact.name).where(Contact.id == response.contact_id))
            if response.contact_id
            else None
        )
        campaign_name = (
            session.scalar(select(SurveyCampaign.name).where(SurveyCampaign.id == response.campaign_id))
            if response.campaign_id
            else None
        )
        complaint_code = (
            session.scalar(select(Complaint.code).where(Complaint.id == response.complaint_id))
            if response.complaint_id
            else None
        )
        contacted_at = session.scalar(
            select(func.min(Activity.occurred_at)).where(
                Activity.customer_id == response.customer_id,
                Activity.occurred_at > response.responded_at,
                Activity.archived_at.is_(None),
            )
        )
        task = alert_task(session, response.id, response.customer_id) if response.alert else None
        task_done = task is not None and task.status == "done"
        alert_open = bool(response.alert) and response.alert_closed_at is None and contacted_at is None
        alert_open = alert_open and not task_done
        return ResponseDetail(
            id=response.id,
            version=response.version,
            customer_id=customer.id,
            customer_code=customer.code,
            customer_name=customer.name,
            owner_id=customer.owner_id,
            owner_name=name_of(customer.owner_id),
            contact_id=response.contact_id,
            contact_name=contact_name,
            channel=response.channel,
            responded_at=response.responded_at,
            overall=response.overall_score,
            nps=response.nps,
            comment=response.comment,
            template_id=response.template_id,
            template_family_id=(template.family_id or template.id) if template else None,
            template_name=template.name if template else None,
            template_revision=template.revision if template else None,
            scores=scores,
            campaign_id=response.campaign_id,
            campaign_name=campaign_name,
            complaint_id=response.complaint_id,
            complaint_code=complaint_code,
            recorded_by_id=response.recorded_by_id,
            recorded_by_name=name_of(response.recorded_by_id),
            import_key=response.import_key,
            alert=bool(response.alert),
            alert_open=alert_open,
            alert_closed_at=response.alert_closed_at,
            alert_closed_by_name=name_of(response.alert_closed_by_id),
            alert_note=_alert_note(session, response.id) if response.alert_closed_at else None,
            contacted_at=contacted_at,
            task=task,
            archived=response.archived_at is not None,
        )


def _alert_note(session: Session, response_id: int) -> str | None:
    """The note the alert was closed with (kept in the audit trail, on the response)."""
    return session.scalar(
        select(AuditLog.new_value)
        .where(
            AuditLog.entity_type == "survey_responses",
            AuditLog.entity_id == str(response_id),
            AuditLog.field == ALERT_NOTE_FIELD,
        )
        .order_by(AuditLog.id.desc())
        .limit(1)
    )


def closed_complaints_to_check(sessions: Sessions, *, actor: Actor, customer_id: int) -> list[ClosedComplaint]:
    """The customer's complaints closed in the last CHECK_WINDOW_DAYS days with no response linked yet."""
    require(actor, "satisfaction.view")
    with sessions.read() as session:
        load_readable(session, actor, customer_id)
        since = clock.utcnow() - dt.timedelta(days=CHECK_WINDOW_DAYS)
        rows = session.execute(
            select(Complaint.id, Complaint.code, Complaint.closed_at)
            .where(
                Complaint.customer_id == customer_id,
                Complaint.status == "closed",
                Complaint.closed_at >= since,
                Complaint.archived_at.is_(None),
                ~exists().where(SurveyResponse.complaint_id == Complaint.id, SurveyResponse.archived_at.is_(None)),
            )
            .order_by(Complaint.closed_at.desc())
        ).all()
        return [ClosedComplaint(int(i), str(c), at) for i, c, at in rows if at is not None]
