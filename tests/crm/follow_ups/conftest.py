"""Fixtures of the follow-up tests: the staff member "wangfang" and the manager "lina", whose names they check."""

from __future__ import annotations

import pytest

from crm.platform.permissions import Actor
from db.engine import Sessions
from tests.crm.follow_ups.follow_up_factories import make_user


@pytest.fixture
def staff(sessions: Sessions) -> Actor:
    return make_user(sessions, "wangfang", "staff")


@pytest.fixture
def manager(sessions: Sessions) -> Actor:
    """The follow-ups' manager, "lina" (tests/crm/conftest.py's is "boss")."""
    return make_user(sessions, "lina", "manager")
