"""A PostgreSQL or MariaDB host that does not answer is given up after a few seconds, not the TCP timeout."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

import db.engine
from db.engine import CONNECT_TIMEOUT_SECONDS, make_engine


@pytest.fixture
def silent_host() -> Iterator[str]:
    """A local port that accepts connections (the kernel completes them) and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield f"127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def _seconds_to_fail(url: str, limit: float) -> float:
    """Try to connect in a thread; return how long until it failed (the test fails if it hangs past limit)."""
    outcome: list[BaseException | None] = []

    def connect() -> None:
        try:
            with make_engine(url).connect():
                outcome.append(None)
        except BaseException as error:  # noqa: BLE001 - the failure is what we wait for
            outcome.append(error)

    started = time.monotonic()
    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(limit)
    assert outcome, f"still connecting after {limit} s"
    assert outcome[0] is not None, "connected to a host that never answers"
    return time.monotonic() - started


def test_the_connect_timeout_is_a_few_seconds() -> None:
    assert 1 <= CONNECT_TIMEOUT_SECONDS <= 10


@pytest.mark.parametrize("scheme", ["postgresql", "mysql"])
def test_a_host_that_never_answers_is_given_up_after_the_connect_timeout(
    silent_host: str, scheme: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db.engine, "CONNECT_TIMEOUT_SECONDS", 1)
    assert _seconds_to_fail(f"{scheme}://crm@{silent_host}/crm", limit=20) < 5


def test_mariadb_queries_may_run_longer_than_the_connect_timeout(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The handshake's read timeout is lifted once connected: a long statement is not cut off by it."""
    if engine.dialect.name not in ("mysql", "mariadb"):
        pytest.skip("MariaDB only")
    monkeypatch.setattr(db.engine, "CONNECT_TIMEOUT_SECONDS", 1)
    fresh = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with fresh.connect() as connection:
            assert connection.execute(text("SELECT SLEEP(2)")).scalar() == 0
    finally:
        fresh.dispose()
