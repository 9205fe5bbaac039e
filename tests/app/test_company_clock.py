"""Every page shows times and days in the company's time zone, read from the settings, not from a session."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select, update
from streamlit.testing.v1 import AppTest

from crm.exchange.exports import export_file_name
from crm.platform import clock
from crm.platform.i18n import format_datetime
from db.engine import Sessions
from db.models import AuditLog, Customer
from tests.app.conftest import TIMEOUT
from tests.crm.follow_ups.follow_up_factories import make_customer, set_timezone, tasks_of, utc

ONE_AM_SHANGHAI = utc(2026, 3, 4, 17, 30)  # 01:30 on 5 March in Shanghai, still 4 March in UTC


def _audit_times(at: AppTest) -> list[str]:
    for frame in at.dataframe:
        value = frame.value
        if "When" in value.columns:
            return [str(v) for v in value["When"]]
    raise AssertionError("no audit table on the page")


def _open_admin_tab(at: AppTest, label: str) -> AppTest:
    """Open one of the administration page's lazy tabs, as a click on it does."""
    at.session_state["admin_tab"] = label
    at.run()
    assert not at.exception, at.exception
    return at


def _latest_audit_at(sessions: Sessions) -> dt.datetime:
    with sessions.read() as session:
        at = session.scalar(select(AuditLog.at).order_by(AuditLog.id.desc()).limit(1))
    assert at is not None
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def test_the_audit_trail_shows_the_company_zone_set_to_new_york(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As an admin of a New York company, I read the audit trail in New York time, as every other page shows it."""
    set_timezone(role_accounts, "America/New_York")
    at = signed_in("admin")
    at.switch_page("pages/admin.py").run()
    assert not at.exception, at.exception
    _open_admin_tab(at, "Audit trail")
    latest = _latest_audit_at(role_accounts)
    times = _audit_times(at)
    assert format_datetime(latest, "en", "America/New_York") in times
    assert format_datetime(latest, "en", "Asia/Shanghai") not in times


def test_saving_the_zone_shows_it_at_once_on_every_page(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As an admin, I switch the company to New York and the times on the page follow at once."""
    at = signed_in("admin")
    at.switch_page("pages/admin.py").run()
    _open_admin_tab(at, "Settings")
    at.selectbox(key="admin_settings_timezone").set_value("America/New_York")
    at.button(key="FormSubmitter:admin_settings-Save").click().run()
    assert not at.exception, at.exception
    at.switch_page("pages/admin.py").run()
    _open_admin_tab(at, "Audit trail")
    latest = _latest_audit_at(role_accounts)
    assert format_datetime(latest, "en", "America/New_York") in _audit_times(at)
    # Another browser (a new session) reads the same zone: it is the company's, not this admin's session's.
    other = signed_in("manager")
    other.switch_page("pages/admin.py").run()
    assert format_datetime(latest, "en", "America/New_York") in _audit_times(other)


def test_the_working_time_is_a_setting_in_both_languages(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As an admin, I set when follow-ups planned without a time are due."""
    at = signed_in("admin")
    at.switch_page("pages/admin.py").run()
    _open_admin_tab(at, "Settings")
    box = at.time_input(key="admin_settings_working_time")
    assert box.label == "Follow-ups without a time are due at" and box.value == dt.time(9)
    box.set_value(dt.time(8, 30))
    at.button(key="FormSubmitter:admin_settings-Save").click().run()
    assert not at.exception, at.exception
    with role_accounts.read() as session:
        assert clock.working_time(session) == dt.time(8, 30)
    at.session_state["lang"] = "zh"
    at.run()
    assert at.time_input(key="admin_settings_working_time").label == "未指定时间的跟进截止于"


def test_a_customer_created_at_one_in_the_morning_in_shanghai_shows_that_day(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a manager in China, a customer created at 01:30 today reads "created today", in the list and the 360."""
    import ui.customers.import_panel

    named: list[str] = []

    def file_name(kind: str, fmt: str, today: dt.date) -> str:
        named.append(export_file_name(kind, fmt, today))
        return named[-1]

    monkeypatch.setattr(ui.customers.import_panel, "export_file_name", file_name)
    customer = make_customer(role_accounts, owner=None, name="Early Bird Trading")
    with role_accounts.begin() as session:
        session.execute(update(Customer).where(Customer.id == customer).values(created_at=ONE_AM_SHANGHAI))
    with clock.frozen_at(ONE_AM_SHANGHAI + dt.timedelta(minutes=5)):
        at = signed_in("manager")
        at.switch_page("pages/customers.py").run()
        for picker in [box for box in at.multiselect if box.key == "customers_columns"]:
            picker.select("created").run()  # where the list's columns are picked, show Created
        assert not at.exception, at.exception
        [frame] = [f.value for f in at.dataframe if "Created" in f.value.columns]
        assert list(frame["Created"]) == ["5 Mar 2026"]
        assert set(named) == {"customers-2026-03-05.csv", "customers-2026-03-05.xlsx"}  # the export files
        at.query_params["customer"] = str(customer)
        at.run()
        assert not at.exception, at.exception
        assert any("Created: 5 Mar 2026" in c.value for c in at.caption), [c.value for c in at.caption]


def test_a_next_step_without_a_time_is_due_at_the_working_time(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff logging a call at 01:30 in Shanghai, the next step I plan for tomorrow is due at 09:00, not 23:59."""
    from crm.platform.users import get_user

    staff = get_user(role_accounts, username="staff")
    assert staff is not None
    customer = make_customer(role_accounts, owner=staff.as_actor(), name="Delta Logistics")
    with clock.frozen_at(ONE_AM_SHANGHAI):
        at = signed_in("staff")
        at.query_params["customer"] = str(customer)
        at.switch_page("pages/customers.py").run(timeout=TIMEOUT)
        assert not at.exception, at.exception
        form = next(box.key for box in at.text_area if box.key and box.key.endswith("_summary"))[: -len("_summary")]
        at.text_area(key=f"{form}_summary").input("Called about the renewal")
        at.date_input(key=f"{form}_next_date").set_value(dt.date(2026, 3, 6))
        at.button(key=f"{form}_submit").click().run(timeout=TIMEOUT)
        assert not at.exception, at.exception
    [task] = tasks_of(role_accounts, customer)
    assert task.due_at.replace(tzinfo=dt.UTC) == utc(2026, 3, 6, 1, 0)  # 09:00 in Shanghai
