"""A save whose database connection dies in the middle: the form says nothing was saved, keeps what was typed,
and the same click saves once the database answers again (PostgreSQL and MariaDB: a server connection to kill)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from crm.customers.service import CustomerInput, create_customer
from crm.platform.i18n import t
from crm.platform.permissions import SYSTEM
from crm.platform.users import create_user
from db.engine import Sessions, make_session_factory
from db.models import Customer
from tests.app.conftest import APP, PASSWORDS, TIMEOUT, sign_in
from tests.reliability.faults import connection_killed_before


@pytest.fixture
def app_sessions(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sessions]:
    monkeypatch.setenv("CRM_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("CRM_COOKIE_KEY", "test-cookie-key-that-is-long-enough-for-hs256")
    sessions = make_session_factory(engine)
    create_user(
        sessions, actor=SYSTEM, username="manager", display_name="M", password=PASSWORDS["manager"], role="manager"
    )
    yield sessions


@pytest.mark.parametrize("backend", ["postgresql", "mariadb"])
def test_a_profile_save_that_loses_its_connection_keeps_the_input_and_saves_on_retry(
    engine: Engine, app_sessions: Sessions
) -> None:
    customer_id = create_customer(app_sessions, actor=SYSTEM, data=CustomerInput(name="Echo Labs")).id
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    sign_in(at, "manager", PASSWORDS["manager"])
    at.switch_page("pages/customers.py").run()
    at.query_params["customer"] = str(customer_id)
    at.run()
    assert not at.exception, at.exception
    at.text_input(key="customers_edit_address").input("9 Harbour Road")
    with connection_killed_before(engine, "UPDATE CUSTOMERS", target=Engine) as killed:
        at.button(key="customers_edit_submit").click().run()
    assert killed and not at.exception, at.exception
    assert t("error.database_unavailable", "en") in [e.value for e in at.error]
    assert at.text_input(key="customers_edit_address").value == "9 Harbour Road"
    with app_sessions.read() as session:
        assert session.scalar(select(Customer.address).where(Customer.id == customer_id)) in (None, "")
    at.button(key="customers_edit_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with app_sessions.read() as session:
        assert session.scalar(select(Customer.address).where(Customer.id == customer_id)) == "9 Harbour Road"
