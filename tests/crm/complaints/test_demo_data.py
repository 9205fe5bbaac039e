"""The demo's complaints, inquiries and suggestions are what crm/complaints itself would have written."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

import pytest
from sqlalchemy import select

from crm.complaints import (
    QueueFilter,
    complaint_queue,
    file_complaint,
    get_complaint,
    list_departments,
    period_figures,
    transition,
)
from crm.complaints.intake import ComplaintInput
from crm.complaints.states import is_edge
from crm.demo.service import load_demo
from crm.platform.permissions import Actor
from crm.platform.users import get_user
from db.engine import Sessions
from db.models import Complaint, ComplaintEvent, Inquiry, ReferenceCounter, Suggestion, User

TODAY = dt.date(2026, 12, 7)
NOW = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def demo(sessions: Sessions, monkeypatch: pytest.MonkeyPatch) -> Sessions:
    monkeypatch.setenv("CRM_BCRYPT_ROUNDS", "4")
    load_demo(sessions, customers=400, seed=3, today=TODAY)
    return sessions


def actor(sessions: Sessions, username: str) -> Actor:
    user = get_user(sessions, username=username)
    assert user is not None
    return user.as_actor()


def test_demo_complaints_follow_the_workflow_and_are_numbered_without_gaps(demo: Sessions, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the demo's shape is the same on every database; tests/crm/demo loads it on all three")
    with demo.read() as session:
        complaints = session.scalars(select(Complaint)).all()
        events = session.scalars(select(ComplaintEvent).order_by(ComplaintEvent.at, ComplaintEvent.id)).all()
        counters = {(c.kind, c.year): c.last_number for c in session.scalars(select(ReferenceCounter))}
        inquiries = session.scalars(select(Inquiry)).all()
        suggestions = session.scalars(select(Suggestion)).all()
        assert complaints and inquiries and suggestions
        numbers: dict[int, list[int]] = defaultdict(list)
        for complaint in complaints:
            match = re.fullmatch(r"C-(\d{4})-(\d{6})", complaint.code)
            assert match, complaint.code
            numbers[int(match.group(1))].append(int(match.group(2)))
            assert complaint.department_id is not None and complaint.assignee_id is not None
            assert complaint.respond_due_at and complaint.resolve_due_at
            assert (complaint.next_due_at is None) == (
                complaint.status not in ("new", "acknowledged", "in_progress", "reopened")
            )
            if complaint.status == "closed":
                assert complaint.customer_satisfied is True and complaint.confirmed_by
        for year, drawn in numbers.items():
            assert sorted(drawn) == list(range(1, len(drawn) + 1))
            assert counters[("C", year)] == len(drawn)
        by_complaint: dict[int, list[ComplaintEvent]] = defaultdict(list)
        for event in events:
            by_complaint[event.complaint_id].append(event)
        for complaint in complaints:
            moves = [e for e in by_complaint[complaint.id] if e.kind == "transition"]
            assert moves[0].to_status == "new" and moves[-1].to_status == complaint.status
            assert all(is_edge(e.from_status, e.to_status) for e in moves[1:]), [
                (e.from_status, e.to_status) for e in moves
            ]
        assert {s.status for s in suggestions} <= {"new", "evaluated", "informed"}
        assert all((s.evaluation_result is None) == (s.adopted is None) for s in suggestions)


def test_the_demo_departments_have_heads_among_their_members(demo: Sessions, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("shape only")
    manager = actor(demo, "manager")
    departments = list_departments(demo, actor=manager)
    assert {d.code for d in departments} >= {"service", "product", "tech"}
    with demo.read() as session:
        for department in departments:
            assert department.name_zh and department.head_id is not None
            if department.code in ("service", "product", "tech"):
                assert session.scalar(select(User.department_id).where(User.id == department.head_id)) == department.id


def test_the_services_work_on_the_demo_data(demo: Sessions) -> None:
    manager = actor(demo, "manager")
    page = complaint_queue(demo, actor=manager, flt=QueueFilter(queue="all"), now=NOW)
    assert page.total > 0 and page.rows
    figures = period_figures(demo, actor=manager, start=TODAY - dt.timedelta(days=365), end=TODAY)
    assert figures.overall.received > 0 and figures.overall.on_time_rate is not None
    open_row = complaint_queue(
        demo, actor=manager, flt=QueueFilter(queue="all", statuses=("in_progress",)), now=NOW
    ).rows[0]
    detail = get_complaint(demo, actor=manager, complaint_id=open_row.id, now=NOW)
    assert detail.allowed_actions == ("wait_for_customer", "resolve", "reject")
    moved = transition(
        demo, actor=manager, complaint_id=open_row.id, version=open_row.version, action="wait_for_customer", now=NOW
    )
    assert moved.status == "waiting_customer"
    new = open_row
    with demo.read() as session:
        last = session.scalar(
            select(ReferenceCounter.last_number).where(ReferenceCounter.kind == "C", ReferenceCounter.year == 2026)
        )
    filed = file_complaint(
        demo,
        actor=manager,
        now=NOW,
        data=ComplaintInput(customer_id=new.customer_id, channel="email", description="Another fault", severity="low"),
    )
    assert filed.code == f"C-2026-{last + 1:06d}"
