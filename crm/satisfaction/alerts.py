"""Alerts: low responses (NPS <= 6 or overall <= 2 as the low_survey rule is set) nobody has followed up yet.

An alert is open until a contact with the customer is logged after the response (the follow-ups log; nothing is
written for that, the list reads it) or someone closes it with a note, which also completes its callback task.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from crm.follow_ups import close_task
from crm.platform import clock
from crm.platform.audit import audit_row, write_audit
from crm.platform.errors import NotFound, PermissionDenied, ValidationCollector
from crm.platform.permissions import Actor, require
from crm.platform.uow import check_version, transaction
from crm.platform.validation import TEXT_MAX, check_required
from crm.satisfaction.responses import (
    ALERT_NOTE_FIELD,
    PAGE_SIZE_MAX,
    TaskRef,
    alert_open_condition,
    contacted_since,
    may_record_for,
    staff_scope,
)
from crm.satisfaction.templates import scored_dimensions
from db.engine import Sessions
from db.models import Customer, FollowUpTask, SurveyResponse, User


@dataclass(frozen=True)
class AlertRow:
    """An open alert: the response, its customer and owner, and the callback task that follows it up."""

    response_id: int
    version: int
    responded_at: dt.datetime
    customer_id: int
    customer_code: str
    customer_name: str
    owner_id: int | None
    owner_name: str | None
    department_id: int | None
    channel: str
    overall: int | None
    nps: int | None
    comment: str | None
    scores: dict[str, int] = field(default_factory=dict)
    task: TaskRef | None = None  # created for this response, else the customer's open callback covering it


def _task_ref(row: Any) -> TaskRef:
    """A TaskRef from a row (key, task columns...)."""
    return TaskRef(*tuple(row)[1:])


def _tasks(session: Session, rows: list[tuple[int, int]]) -> dict[int, TaskRef]:
    """The callback task of each (response, customer): its own, else the customer's open one (two queries)."""
    if not rows:
        return {}
    owner = aliased(User)
    columns = (
        FollowUpTask.id,
        FollowUpTask.purpose,
        FollowUpTask.status,
        FollowUpTask.owner_id,
        owner.display_name,
        FollowUpTask.due_at,
        FollowUpTask.completed_at,
        FollowUpTask.version,
    )
    found: dict[int, TaskRef] = {}
    for row in session.execute(
        select(FollowUpTask.source_survey_id, *columns)
        .outerjoin(owner, owner.id == FollowUpTask.owner_id)
        .where(FollowUpTask.source_survey_id.in_([r for r, _ in rows]))
        .order_by(FollowUpTask.id)
    ):
        found[int(row[0] or 0)] = _task_ref(row)
    missing = {customer for response, customer in rows if response not in found}
    if missing:
        open_by_customer = {
            int(row[0]): _task_ref(row)
            for row in session.execute(
                select(FollowUpTask.customer_id, *columns)
                .outerjoin(owner, owner.id == FollowUpTask.owner_id)
                .where(
                    FollowUpTask.customer_id.in_(sorted(missing)),
                    FollowUpTask.purpose == "survey",
                    FollowUpTask.status == "open",
                )
            )
        }
        for response, customer in rows:
            if response not in found and customer in open_by_customer:
                found[response] = open_by_customer[customer]
    return found


def open_alerts(
    sessions: Sessions,
    *,
    actor: Actor,
    page: int = 0,
    page_size: int = 25,
    owner_id: int | None = None,
    department_id: int | None = None,
) -> tuple[list[AlertRow], int]:
    """Return a page (0-based) of the open alerts, longest waiting first, and how many there are.

    Staff see their own customers'.
    """
    page_size = max(1, min(page_size, PAGE_SIZE_MAX))
    owner = aliased(User)
    with sessions.read() as session:
        conditions = [
            *staff_scope(actor),
            SurveyResponse.archived_at.is_(None),
            Customer.archived_at.is_(None),
            alert_open_condition(),
        ]
        if owner_id is not None:
            conditions.append(Customer.owner_id == owner_id)
        if department_id is not None:
            conditions.append(Customer.department_id == department_id)
        base = select(SurveyResponse.id).join(Customer, Customer.id == SurveyResponse.customer_id).where(*conditions)
        total = int(session.scalar(select(func.count()).select_from(base.subquery())) or 0)
        page = max(0, min(page, max(0, (total - 1) // page_size)))
        found = session.execute(
            select(
                SurveyResponse.id,
                SurveyResponse.version,
                SurveyResponse.responded_at,
                Customer.id,
                Customer.code,
                Customer.name,
                Customer.owner_id,
                owner.display_name,
                Customer.department_id,
                SurveyResponse.channel,
                SurveyResponse.overall_score,
                SurveyResponse.nps,
                SurveyResponse.comment,
            )
            .join(Customer, Customer.id == SurveyResponse.customer_id)
            .outerjoin(owner, owner.id == Customer.owner_id)
            .where(*conditions)
            .order_by(SurveyResponse.responded_at, SurveyResponse.id)
            .offset(page * page_size)
            .limit(page_size)
        ).all()
        ids = [int(r[0]) for r in found]
        scores = scored_dimensions(session, ids)
        tasks = _tasks(session, [(int(r[0]), int(r[3])) for r in found])
        rows = [
            AlertRow(
                response_id=r[0],
                version=r[1],
                responded_at=r[2],
                customer_id=r[3],
                customer_code=r[4],
                customer_name=r[5],
                owner_id=r[6],
                owner_name=r[7],
                department_id=r[8],
                channel=r[9],
                overall=r[10],
                nps=r[11],
                comment=r[12],
                scores=scores.get(int(r[0]), {}),
                task=tasks.get(int(r[0])),
            )
            for r in found
        ]
        return rows, total


def close_alert(
    sessions: Sessions, *, actor: Actor, response_id: int, version: int, note: str, token: str | None = None
) -> None:
    """Close an open alert with a note saying how it was followed up; its callback task is done with it.

    The customer's owner, the callback task's owner, managers and admins may; audited (the note included).
    """
    require(actor, "satisfaction.record")
    note = (note or "").strip()
    errors = ValidationCollector()
    check_required(errors, "note", note, TEXT_MAX)
    errors.raise_if_any()
    with transaction(sessions, actor=actor, token=token, operation="satisfaction.close_alert") as session:
        response = session.get(SurveyResponse, response_id, with_for_update=True)
        if response is None or response.archived_at is not None:
            raise NotFound(entity="survey_responses", id=response_id)
        customer = session.get(Customer, response.customer_id)
        assert customer is not None
        task_ids = list(
            session.scalars(
                select(FollowUpTask.id).where(
                    FollowUpTask.source_survey_id == response.id, FollowUpTask.status == "open"
                )
            )
        )
        task_owners = set(
            session.scalars(select(FollowUpTask.owner_id).where(FollowUpTask.source_survey_id == response.id))
        )
        if not (may_record_for(actor, customer.owner_id) or (actor.id is not None and actor.id in task_owners)):
            raise PermissionDenied(permission="satisfaction.record")
        check_version(session, response, version)
        contacted = session.scalar(select(contacted_since(response.customer_id, response.responded_at)))
        if not response.alert or response.alert_closed_at is not None or contacted:
            errors.add("alert", "satisfaction.error.alert_not_open")
            errors.raise_if_any()
        now = clock.utcnow()
        response.alert_closed_at = now
        response.alert_closed_by_id = actor.id
        session.flush()
        write_audit(
            session,
            [
                audit_row(
                    actor,
                    "update",
                    "survey_responses",
                    response.id,
                    field=ALERT_NOTE_FIELD,
                    new=note,
                    version=response.version,
                )
            ],
        )
        for task_id in task_ids:
            close_task(session, task_id=task_id, status="done", at=now)
