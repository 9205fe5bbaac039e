"""The app on a read-only SQLite file: sign-in works for reading, and a save says the database is read-only."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from crm.platform.i18n import t
from crm.platform.permissions import SYSTEM
from crm.platform.users import create_user
from db.engine import make_engine, make_session_factory, upgrade_database
from tests.app.conftest import APP, TIMEOUT, sign_in


def test_an_admin_signs_in_on_a_read_only_database_and_a_save_says_why_it_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As an admin whose database file the app may not write, I can sign in and read, and a save tells me why not."""
    path = tmp_path / "app.db"
    writable = make_engine(f"sqlite:///{path}")
    upgrade_database(writable)
    sessions = make_session_factory(writable)
    create_user(sessions, actor=SYSTEM, username="admin", display_name="Admin", password="admin-secret-1", role="admin")
    from crm.platform.settings import cookie_key

    cookie_key(sessions)  # generated while the file was writable, as on any database used before
    writable.dispose()
    monkeypatch.setenv("CRM_DATABASE_URL", f"sqlite:///file:{path}?mode=ro&uri=true")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    sign_in(at, "admin", "wrong-password")
    assert not at.exception
    assert t("auth.invalid_credentials") in [e.value for e in at.error]
    sign_in(at, "admin", "admin-secret-1")
    assert not at.exception
    at.switch_page("pages/admin.py").run()
    assert not at.exception
    at.text_input(key="admin_new_username").input("newbie")
    at.text_input(key="admin_new_display_name").input("New Bie")
    at.text_input(key="admin_new_password").input("newbie-pass-1")
    at.button(key="FormSubmitter:admin_new_user-" + t("admin.create_user")).click().run()
    assert not at.exception
    assert t("error.database_read_only") in [e.value for e in at.error]
