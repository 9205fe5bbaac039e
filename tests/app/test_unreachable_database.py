"""The app shows its "cannot reach the database" page promptly when the database host never answers."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

import db.engine
from crm.platform.i18n import t
from tests.app.conftest import APP


@pytest.fixture
def silent_port() -> Iterator[int]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield int(listener.getsockname()[1])
    listener.close()


@pytest.mark.parametrize("scheme", ["postgresql", "mysql"])
def test_a_database_host_that_never_answers_shows_the_error_page_within_seconds(
    silent_port: int, scheme: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As anyone opening the app while the database host hangs, I see what to check within seconds."""
    monkeypatch.setattr(db.engine, "CONNECT_TIMEOUT_SECONDS", 2)
    monkeypatch.setenv("CRM_DATABASE_URL", f"{scheme}://crm:secret@127.0.0.1:{silent_port}/crm")
    at = AppTest.from_file(APP, default_timeout=30)
    started = time.monotonic()
    at.run()
    assert time.monotonic() - started < 10
    assert not at.exception
    assert [title.value for title in at.title] == [t("app.db_error_title")]
    assert "secret" not in at.error[0].value and f"127.0.0.1:{silent_port}" in at.error[0].value
