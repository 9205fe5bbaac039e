"""Fixtures several features' tests share: accounts by role, and customers made through the customer service."""

from __future__ import annotations

from typing import Any

import pytest

from crm.customers.records import ContactInput
from crm.customers.service import CustomerInput, CustomerView, create_customer
from crm.platform.permissions import SYSTEM, Actor
from crm.platform.users import create_user
from db.engine import Sessions
from tests.crm.customers.customer_fixtures import MakeCustomer, Team


@pytest.fixture
def team(sessions: Sessions) -> Team:
    """One account per role, and a second staff member (olivia)."""

    def make(username: str, role: str, name: str) -> Actor:
        return create_user(
            sessions, actor=SYSTEM, username=username, display_name=name, password="password-1", role=role
        ).as_actor()

    return Team(
        admin=make("admin", "admin", "Ada Admin"),
        manager=make("manager", "manager", "李娜 Li Na"),
        staff=make("staff", "staff", "张伟 Zhang Wei"),
        other_staff=make("olivia", "staff", "Olivia Other"),
        viewer=make("viewer", "viewer", "Victor Viewer"),
    )


@pytest.fixture
def make_customer(sessions: Sessions, team: Team) -> MakeCustomer:
    """Create a customer through the service (duplicates confirmed), as the manager unless told otherwise."""

    def make(
        name: str, *, actor: Actor | None = None, contact: dict[str, Any] | None = None, **fields: Any
    ) -> CustomerView:
        return create_customer(
            sessions,
            actor=actor or team.manager,
            data=CustomerInput(name=name, **fields),
            contact=ContactInput(**contact) if contact else None,
            confirm_duplicates=True,
        )

    return make


@pytest.fixture
def admin(sessions: Sessions) -> Actor:
    """An administrator, "root"."""
    return create_user(
        sessions, actor=SYSTEM, username="root", display_name="Root", password="root-pass-1", role="admin"
    ).as_actor()


@pytest.fixture
def manager(sessions: Sessions) -> Actor:
    """A manager, "boss" (the follow-up tests' conftest has its own: "lina")."""
    return create_user(
        sessions, actor=SYSTEM, username="boss", display_name="Boss", password="boss-pass-123", role="manager"
    ).as_actor()
