"""Fixtures of the satisfaction tests: one account per role, customers of two staff members, a template in force."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from crm.platform import clock
from crm.platform.names import normalise_name
from crm.platform.permissions import SYSTEM, Actor
from crm.platform.uow import transaction
from crm.platform.users import create_user
from crm.satisfaction import DEFAULT_DIMENSIONS, ResponseInput, TemplateInput, create_template
from db.engine import Sessions
from db.models import Complaint, Contact, Customer, FollowUpTask

_numbers = itertools.count(1)


@dataclass(frozen=True)
class SurveyWorld:
    admin: Actor
    manager: Actor
    staff: Actor  # owns `customer`
    other_staff: Actor  # owns `other_customer`
    viewer: Actor
    customer_id: int
    contact_id: int
    other_customer_id: int
    template_id: int
    today: dt.date  # the company's today


def make_user(sessions: Sessions, username: str, role: str, name: str | None = None) -> Actor:
    return create_user(
        sessions,
        actor=SYSTEM,
        username=username,
        display_name=name or username.title(),
        password="secret-pass-1",
        role=role,
    ).as_actor()


def make_customer(sessions: Sessions, *, owner_id: int | None, **fields: Any) -> tuple[int, int]:
    """A customer with a primary contact, written directly (the customer service is not under test here)."""
    number = next(_numbers)
    name = fields.pop("name", f"Customer {number}")
    with transaction(sessions, actor=SYSTEM) as session:
        customer = Customer(
            code=f"S{number:06d}", name=name, name_key=normalise_name(name), owner_id=owner_id, **fields
        )
        session.add(customer)
        session.flush()
        contact = Contact(customer_id=customer.id, name="Li Lei", is_primary=True)
        session.add(contact)
        session.flush()
        return customer.id, contact.id


def make_closed_complaint(sessions: Sessions, customer_id: int, *, days_ago: int = 2) -> int:
    """A complaint closed days_ago, as the complaints workflow leaves it."""
    number = next(_numbers)
    closed_at = clock.utcnow() - dt.timedelta(days=days_ago)
    with transaction(sessions, actor=SYSTEM) as session:
        complaint = Complaint(
            code=f"C-2026-{number:06d}",
            customer_id=customer_id,
            channel="phone",
            received_at=closed_at - dt.timedelta(days=3),
            description="Late delivery",
            severity="medium",
            status="closed",
            closed_at=closed_at,
        )
        session.add(complaint)
        session.flush()
        return complaint.id


def answer(world: SurveyWorld, **fields: Any) -> ResponseInput:
    """A valid response of the world's customer, answered today by phone; fields override."""
    values: dict[str, Any] = {
        "customer_id": world.customer_id,
        "responded_on": world.today,
        "channel": "phone",
        "template_id": world.template_id,
        "scores": {"product_quality": 4, "service_attitude": 5},
        "overall": 4,
        "nps": 9,
    }
    values.update(fields)
    return ResponseInput(**values)


def tasks_of(sessions: Sessions, customer_id: int, purpose: str | None = None) -> list[Any]:
    """The customer's follow-up tasks as rows (id, purpose, owner_id, status, ... by name), oldest first."""
    task = FollowUpTask
    with sessions.read() as session:
        stmt = (
            select(
                task.id,
                task.purpose,
                task.owner_id,
                task.status,
                task.priority,
                task.open_key,
                task.completed_at,
                task.source_survey_id,
                task.source_complaint_id,
            )
            .where(task.customer_id == customer_id)
            .order_by(task.id)
        )
        if purpose is not None:
            stmt = stmt.where(task.purpose == purpose)
        return list(session.execute(stmt).all())


@pytest.fixture
def survey_world(sessions: Sessions) -> SurveyWorld:
    admin = make_user(sessions, "ada", "admin")
    manager = make_user(sessions, "lina", "manager", "李娜 Li Na")
    staff = make_user(sessions, "wei", "staff", "张伟 Zhang Wei")
    other_staff = make_user(sessions, "olivia", "staff")
    viewer = make_user(sessions, "victor", "viewer")
    customer_id, contact_id = make_customer(sessions, owner_id=staff.id, name="北京星辰科技有限公司")
    other_customer_id, _ = make_customer(sessions, owner_id=other_staff.id)
    template_id = create_template(
        sessions, actor=manager, data=TemplateInput(name="Annual survey 年度调查", dimensions=DEFAULT_DIMENSIONS)
    )
    with sessions.read() as session:
        today = clock.company_today(session)
    return SurveyWorld(
        admin=admin,
        manager=manager,
        staff=staff,
        other_staff=other_staff,
        viewer=viewer,
        customer_id=customer_id,
        contact_id=contact_id,
        other_customer_id=other_customer_id,
        template_id=template_id,
        today=today,
    )
