"""The administration page: a bad audit filter is explained next to it and leaves the other tabs alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from crm.follow_ups.core import today_for
from db.engine import Sessions

PAGE = "pages/admin.py"


def _open_tab(at: AppTest, label: str) -> AppTest:
    """Open one of the page's lazy tabs, as a click on it does."""
    at.session_state["admin_tab"] = label
    at.run()
    assert not at.exception, at.exception
    return at


def test_an_inverted_audit_date_range_is_explained_and_the_settings_tab_still_shows(
    role_accounts: Sessions, signed_in: Callable[[str], AppTest]
) -> None:
    """As an admin who picks a start date after the end date I see why, and the Settings tab still works."""
    at = signed_in("admin")
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    today = today_for(role_accounts)
    _open_tab(at, "Audit trail")
    at.date_input(key="admin_audit_from").set_value(today + dt.timedelta(days=5))
    at.date_input(key="admin_audit_to").set_value(today).run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["The start date is after the end date."]
    _open_tab(at, "Settings")
    assert at.checkbox(key="admin_settings_staff_read_all").label.startswith("Staff may view customers owned")
    assert [b for b in at.button if b.label == "Save"], "the settings form's Save button is missing"


def test_a_manager_with_an_inverted_audit_range_sees_the_reason_not_a_blank_page(
    role_accounts: Sessions, signed_in: Callable[[str], AppTest]
) -> None:
    """As a manager reading the audit trail, a start date after the end date is explained under the filter."""
    at = signed_in("manager")
    at.switch_page(PAGE).run()
    today = today_for(role_accounts)
    at.date_input(key="admin_audit_from").set_value(today + dt.timedelta(days=1)).run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["The start date is after the end date."]
    at.date_input(key="admin_audit_from").set_value(today - dt.timedelta(days=1)).run()
    assert not at.exception, at.exception
    assert not at.error
