"""Pinned SQL statement counts for page renders and saves: an N+1 query shows up here as a failure."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event
from streamlit.testing.v1 import AppTest

from crm.platform.permissions import SYSTEM
from crm.platform.users import create_user
from db.engine import Sessions


@contextmanager
def counting_statements() -> Iterator[list[str]]:
    """Collect every SQL statement any engine executes inside the block."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if not statement.startswith(("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def test_a_rerun_of_the_overview_costs_a_fixed_number_of_queries(signed_in: Callable[[str], AppTest]) -> None:
    """As a manager clicking around, each rerun of the overview costs the same few queries."""
    at = signed_in("manager")
    at.run()
    with counting_statements() as statements:
        at.run()
    assert not at.exception
    # has_users, the session check, and the data version the cached figures key on (two index reads of the audit
    # trail, once per run); the figures themselves come from the cache
    version = [s for s in statements if "audit_log" in s]
    assert len(statements) - len(version) == 2, statements
    assert len(version) == 2, statements


def test_the_admin_users_tab_does_not_grow_with_the_number_of_users(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As an admin with many colleagues, the user list is read in one query, not one per user."""
    at = signed_in("admin")
    at.switch_page("pages/admin.py").run()
    with counting_statements() as few:
        at.run()
    for i in range(15):
        create_user(
            role_accounts,
            actor=SYSTEM,
            username=f"user{i:02d}",
            display_name=f"User {i}",
            password="pass-word-1",
            role="staff",
        )
    with counting_statements() as many:
        at.run()
    assert not at.exception
    assert len(many) == len(few), (few, many)
