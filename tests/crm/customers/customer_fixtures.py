"""Helpers for the customer tests (their fixtures, team and make_customer, are in tests/crm/conftest.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event

from crm.customers.service import CustomerView
from crm.platform.i18n import DEFAULT_TIMEZONE
from crm.platform.permissions import Actor
from db.engine import Sessions


@dataclass(frozen=True)
class Team:
    admin: Actor
    manager: Actor
    staff: Actor
    other_staff: Actor
    viewer: Actor


MakeCustomer = Callable[..., CustomerView]


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
