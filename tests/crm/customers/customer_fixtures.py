"""Fixtures for the customer-records tests: one account per role, and customers made through the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from crm.customers.records import ContactInput
from crm.customers.service import CustomerInput, CustomerView, create_customer
from crm.platform.i18n import DEFAULT_TIMEZONE
from crm.platform.permissions import SYSTEM, Actor
from crm.platform.users import create_user
from db.engine import Sessions


@dataclass(frozen=True)
class Team:
    admin: Actor
    manager: Actor
    staff: Actor
    other_staff: Actor
    viewer: Actor


@pytest.fixture
def team(sessions: Sessions) -> Team:
    def make(username: str, role: str, name: str) -> Actor:
        return create_user(sessions, actor=SYSTEM, username=username, display_name=name, password="password-1",
                           role=role).as_actor()

    return Team(admin=make("admin", "admin", "Ada Admin"), manager=make("manager", "manager", "李娜 Li Na"),
                staff=make("staff", "staff", "张伟 Zhang Wei"), other_staff=make("olivia", "staff", "Olivia Other"),
                viewer=make("viewer", "viewer", "Victor Viewer"))


MakeCustomer = Callable[..., CustomerView]


@pytest.fixture
def make_customer(sessions: Sessions, team: Team) -> MakeCustomer:
    """Create a customer through the service (duplicates confirmed), as the manager unless told otherwise."""
    def make(name: str, *, actor: Actor | None = None, contact: dict[str, Any] | None = None,
             **fields: Any) -> CustomerView:
        return create_customer(sessions, actor=actor or team.manager, data=CustomerInput(name=name, **fields),
                               contact=ContactInput(**contact) if contact else None, confirm_duplicates=True)
    return make


@contextmanager
def count_statements(sessions: Sessions) -> Iterator[list[str]]:
    """Collect every SQL statement sent on the engine inside the block."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(sessions.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(sessions.engine, "before_cursor_execute", record)


COMPANY_TODAY = dt.datetime.now(ZoneInfo(DEFAULT_TIMEZONE)).date()  # validation's "today" (company time zone)
YESTERDAY = COMPANY_TODAY - dt.timedelta(days=1)
TOMORROW = COMPANY_TODAY + dt.timedelta(days=1)
