"""Fixtures of the KPI tests: the demo data set at a small size, the clock standing at its today."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from crm.demo.service import load_demo
from crm.platform.clock import frozen_at
from crm.platform.permissions import Actor
from crm.platform.users import get_user
from db.engine import Sessions

TODAY = dt.date(2026, 12, 7)
# Monday 7 December 2026, 11:00 in Shanghai: the demo's today.
NOW = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> Iterator[dt.datetime]:
    """The clock standing at NOW."""
    with frozen_at(NOW):
        yield NOW


@pytest.fixture
def demo(sessions: Sessions, clock: dt.datetime) -> Sessions:
    """The demo data (200 customers, seed 3) anchored at TODAY: orders, stage history, follow-ups, complaints,
    suggestions, surveys."""
    load_demo(sessions, customers=200, seed=3, today=TODAY)
    return sessions


def account(sessions: Sessions, username: str) -> Actor:
    """A demo account as an actor."""
    user = get_user(sessions, username=username)
    assert user is not None
    return user.as_actor()
