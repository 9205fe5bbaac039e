"""AppTest fixtures: a file SQLite database with one account per role, and a signed-in app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from crm.platform.permissions import SYSTEM
from crm.platform.users import create_user
from db.engine import Sessions, make_engine, make_session_factory

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PASSWORDS = {role: f"{role}-secret-1" for role in ("admin", "manager", "staff", "viewer")}
TIMEOUT = 30


@pytest.fixture(autouse=True)
def _navigation_not_legacy_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run app.py on every AppTest run, as the server does once st.navigation has been called.

    AppTest resets PagesManager.uses_pages_directory before each run; because a pages/ folder
    exists, Streamlit would then treat the app as a legacy v1 multipage app and run the current
    page script alone, skipping app.py (sign-in check, sidebar). The real server clears that flag
    for good on the first st.navigation call.
    """
    from streamlit.runtime.pages_manager import PagesManager

    original_init = PagesManager.__init__

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture(autouse=True)
def _fresh_streamlit_caches() -> Iterator[None]:
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def app_sessions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrated_sqlite_file: Callable[[Path], Path]
) -> Iterator[Sessions]:
    """An empty, migrated SQLite file database that the app under test uses."""
    url = f"sqlite:///{migrated_sqlite_file(tmp_path / 'app.db')}"
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    monkeypatch.setenv("CRM_COOKIE_KEY", "test-cookie-key-that-is-long-enough-for-hs256")
    engine = make_engine(url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def role_accounts(app_sessions: Sessions) -> Sessions:
    """The database with one account per role (username = role)."""
    for role, password in PASSWORDS.items():
        create_user(
            app_sessions, actor=SYSTEM, username=role, display_name=f"{role.title()} User", password=password, role=role
        )
    return app_sessions


def sign_in(at: AppTest, username: str, password: str) -> AppTest:
    """Fill and submit the real sign-in form, then rerun as the cookie component would."""
    boxes = at.text_input
    boxes[0].input(username)
    boxes[1].input(password)
    at.button[0].click().run(timeout=TIMEOUT)
    return at.run(timeout=TIMEOUT)


@pytest.fixture
def signed_in(role_accounts: Sessions) -> Callable[[str], AppTest]:
    """Return a function that starts the app and signs in as the given role."""

    def start(role: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.run()
        assert not at.exception, at.exception
        sign_in(at, role, PASSWORDS[role])
        assert not at.exception, at.exception
        return at

    return start
