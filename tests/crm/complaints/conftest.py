"""Fixtures of the complaint tests: a small company with two departments, their heads and members, a customer."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import pytest

from crm.complaints import ComplaintInput, DepartmentInput, file_complaint, save_department, set_user_department
from crm.complaints.views import ComplaintView
from crm.platform.names import normalise_name
from crm.platform.permissions import SYSTEM, Actor
from crm.platform.uow import transaction
from crm.platform.users import create_user
from db.engine import Sessions
from db.models import Contact, Customer

_codes = itertools.count(1)
# Monday 7 December 2026, 10:00 in Shanghai.
NOW = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class World:
    admin: Actor
    manager: Actor
    agent: Actor  # staff in customer service
    engineer: Actor  # staff in engineering
    outsider: Actor  # staff in sales, owns no customer of these tests
    head: Actor  # heads customer service
    viewer: Actor
    service_id: int
    tech_id: int
    customer_id: int
    contact_id: int


def make_user(sessions: Sessions, username: str, role: str) -> Actor:
    return create_user(
        sessions, actor=SYSTEM, username=username, display_name=username.title(), password="secret-pass-1", role=role
    ).as_actor()


def make_customer(sessions: Sessions, *, owner_id: int | None, name: str | None = None) -> tuple[int, int]:
    number = next(_codes)
    name = name or f"Customer {number}"
    with transaction(sessions, actor=SYSTEM) as session:
        customer = Customer(code=f"K{number:06d}", name=name, name_key=normalise_name(name), owner_id=owner_id)
        session.add(customer)
        session.flush()
        contact = Contact(customer_id=customer.id, name="Li Lei", is_primary=True)
        session.add(contact)
        session.flush()
        return customer.id, contact.id


@pytest.fixture
def world(sessions: Sessions) -> World:
    admin = make_user(sessions, "ada", "admin")
    manager = make_user(sessions, "lina", "manager")
    agent = make_user(sessions, "agent", "staff")
    engineer = make_user(sessions, "engineer", "staff")
    outsider = make_user(sessions, "outsider", "staff")
    head = make_user(sessions, "head", "staff")
    viewer = make_user(sessions, "viewer", "viewer")
    service = save_department(
        sessions,
        actor=admin,
        data=DepartmentInput(
            code="service", name_en="Customer Service", name_zh="客服部", function="service", head_id=head.id
        ),
    )
    tech = save_department(
        sessions,
        actor=admin,
        data=DepartmentInput(code="tech", name_en="Engineering", name_zh="技术部", function="tech"),
    )
    sales = save_department(
        sessions, actor=admin, data=DepartmentInput(code="sales", name_en="Sales", name_zh="销售部", function="sales")
    )
    set_user_department(sessions, actor=admin, user_id=agent.id, department_id=service.id)
    set_user_department(sessions, actor=admin, user_id=engineer.id, department_id=tech.id)
    set_user_department(sessions, actor=admin, user_id=outsider.id, department_id=sales.id)
    customer_id, contact_id = make_customer(sessions, owner_id=manager.id, name="上海远景科技有限公司")
    return World(
        admin=admin,
        manager=manager,
        agent=agent,
        engineer=engineer,
        outsider=outsider,
        head=head,
        viewer=viewer,
        service_id=service.id,
        tech_id=tech.id,
        customer_id=customer_id,
        contact_id=contact_id,
    )


def file(
    sessions: Sessions, world: World, *, actor: Actor | None = None, now: dt.datetime = NOW, **fields: Any
) -> ComplaintView:
    """File a complaint for the world's customer, routed to customer service unless told otherwise."""
    values: dict[str, Any] = {
        "customer_id": world.customer_id,
        "channel": "phone",
        "severity": "high",
        "description": "The delivered units fail on start-up.",
        "category": "product_quality",
        "contact_id": world.contact_id,
        "department_id": world.service_id,
        "assignee_id": world.agent.id,
        "received_at": now,
    }
    values.update(fields)
    return file_complaint(sessions, actor=actor or world.agent, data=ComplaintInput(**values), now=now)
