"""Every page, for every role, on demo data in SQLite, PostgreSQL and MariaDB: the pages' own queries run on
each database (a query PostgreSQL refuses fails here, not in front of a manager), in English and Chinese."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select, update
from streamlit.testing.v1 import AppTest

import ui.i18n
from crm.demo.service import DEMO_ACCOUNTS, load_demo
from crm.platform.permissions import PERMISSIONS, ROLES
from db.engine import Sessions, make_session_factory
from db.models import Customer, User
from tests.app.conftest import APP, TIMEOUT, sign_in
from ui.navigation import PAGES, PROJECT_ROOT

DEMO_PASSWORDS = {account.username: account.password for account in DEMO_ACCOUNTS}


@pytest.fixture
def demo_database(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sessions]:
    """The backend's migrated database with a small demo data set, used by the app under test."""
    monkeypatch.setenv("CRM_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("CRM_COOKIE_KEY", "test-cookie-key-that-is-long-enough-for-hs256")
    sessions = make_session_factory(engine)
    load_demo(sessions, customers=40, seed=3)
    yield sessions


@pytest.mark.parametrize("role", ROLES)
def test_every_page_and_a_customer_360_render_for_each_role_on_each_database(
    demo_database: Sessions, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with demo_database.read() as session:
        customer_id = session.scalar(select(Customer.id).order_by(Customer.id).limit(1))
    for language in ("en", "zh"):
        # The account's saved language opens the app in it. AppTest formats widget values (format_func) outside
        # the script run, where session state reads empty and t() falls back to English: pin the language.
        monkeypatch.setattr(ui.i18n, "lang", lambda language=language: language)
        with demo_database.begin() as session:
            session.execute(update(User).where(User.username == role).values(language=language))
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.run()
        sign_in(at, role, DEMO_PASSWORDS[role])
        assert not at.exception, at.exception
        assert at.selectbox(key="sidebar_language").value == language
        for spec in PAGES:
            if not (PROJECT_ROOT / spec.path).exists() or role not in PERMISSIONS[spec.permission]:
                continue
            at.switch_page(spec.path).run()
            assert not at.exception, (language, spec.path, at.exception)
            assert not at.error, (language, spec.path, [e.value for e in at.error])
        at.query_params["customer"] = str(customer_id)
        at.switch_page("pages/customers.py").run()
        assert not at.exception, (language, "360", at.exception)
        assert at.title[0].value != ("Customers" if language == "en" else "客户"), "the 360 view did not open"
