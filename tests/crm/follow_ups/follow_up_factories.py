"""Small builders for the follow-up tests: users, customers, contacts, tasks (through the ORM, audited)."""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from crm.platform.names import normalise_name
from crm.platform.permissions import SYSTEM, Actor
from crm.platform.uow import transaction
from crm.platform.users import create_user
from db.engine import Sessions
from db.models import Contact, Customer, FollowUpTask, Setting

_codes = itertools.count(1)


def make_user(sessions: Sessions, username: str, role: str = "staff") -> Actor:
    return create_user(
        sessions, actor=SYSTEM, username=username, display_name=username.title(), password="secret-pass-1", role=role
    ).as_actor()


def make_customer(sessions: Sessions, *, owner: Actor | None, name: str | None = None, **fields: Any) -> int:
    number = next(_codes)
    name = name or f"Customer {number}"
    with transaction(sessions, actor=SYSTEM) as session:
        customer = Customer(
            code=f"C{number:06d}",
            name=name,
            name_key=normalise_name(name),
            owner_id=owner.id if owner else None,
            **fields,
        )
        session.add(customer)
        session.flush()
        return customer.id


def make_contact(sessions: Sessions, customer_id: int, name: str = "Li Lei", **fields: Any) -> int:
    with transaction(sessions, actor=SYSTEM) as session:
        contact = Contact(customer_id=customer_id, name=name, **fields)
        session.add(contact)
        session.flush()
        return contact.id


def set_timezone(sessions: Sessions, zone: str) -> None:
    with transaction(sessions, actor=SYSTEM) as session:
        row = session.get(Setting, "timezone")
        if row is None:
            session.add(Setting(key="timezone", value=zone))
        else:
            row.value = zone


def _snapshot(obj: Any) -> SimpleNamespace:
    return SimpleNamespace(**{c.key: getattr(obj, c.key) for c in obj.__table__.columns})


def tasks_of(sessions: Sessions, customer_id: int) -> list[SimpleNamespace]:
    """The customer's tasks, oldest first, as plain snapshots of their columns."""
    with sessions.read() as session:
        return [
            _snapshot(t)
            for t in session.scalars(
                select(FollowUpTask).where(FollowUpTask.customer_id == customer_id).order_by(FollowUpTask.id)
            )
        ]


def customer_row(sessions: Sessions, customer_id: int) -> SimpleNamespace:
    with sessions.read() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        return _snapshot(customer)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)
