"""Browser fixtures: a prepared database, the real Streamlit server on a free port, and Debian's Chromium."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import sync_playwright

from crm.platform.permissions import SYSTEM
from crm.platform.users import UserView, create_user
from db.engine import Sessions, make_engine, make_session_factory, upgrade_database

if TYPE_CHECKING:
    from playwright.sync_api import Browser

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
COOKIE_KEY = "e2e-test-cookie-signing-key-not-a-secret"  # >= 32 bytes, as HS256 wants
PASSWORDS = {"admin": "admin-secret-1", "staff": "staff-secret-1"}
SERVER_START_TIMEOUT = 60.0
SERVER_STOP_TIMEOUT = 10.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: real browser tests")


@dataclass(frozen=True)
class E2eDatabase:
    url: str
    sessions: Sessions
    users: dict[str, UserView]


@dataclass(frozen=True)
class CrmServer:
    base_url: str
    database: E2eDatabase
    log_path: Path

    def log_tail(self, chars: int = 4000) -> str:
        """Return the end of the server's output, for failure messages."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "<no server log>"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    # The server runs in its own process group: signal the group so no child outlives the test.
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, SERVER_STOP_TIMEOUT), (signal.SIGKILL, SERVER_STOP_TIMEOUT)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium; skip the browser tests without it (fail instead when CRM_REQUIRE_E2E=1)."""
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        reason = f"end-to-end tests need Chromium at {CHROMIUM}"
        if os.environ.get("CRM_REQUIRE_E2E") == "1":
            pytest.fail(f"{reason} (CRM_REQUIRE_E2E=1)")
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[Browser]:
    """One headless Chromium for the session; every test opens its own contexts in it."""
    with sync_playwright() as playwright:
        # executable_path: Playwright drives the system Chromium and never downloads a browser.
        chromium = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def e2e_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[E2eDatabase]:
    """A migrated SQLite file with an admin and a staff account, made before the server starts."""
    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    monkeypatch.setenv("CRM_BCRYPT_ROUNDS", "4")
    engine = make_engine(url)
    upgrade_database(engine)
    sessions = make_session_factory(engine)
    users = {
        "admin": create_user(
            sessions,
            actor=SYSTEM,
            username="admin",
            display_name="Ada Admin",
            password=PASSWORDS["admin"],
            role="admin",
        ),
        "staff": create_user(
            sessions,
            actor=SYSTEM,
            username="staff",
            display_name="Sam Staff",
            password=PASSWORDS["staff"],
            role="staff",
        ),
    }
    yield E2eDatabase(url=url, sessions=sessions, users=users)
    engine.dispose()


@contextmanager
def running_servers(database: E2eDatabase, tmp_path: Path, names: Sequence[str]) -> Iterator[list[CrmServer]]:
    """`streamlit run app.py` once per name, each on a free loopback port against the database (all starting at once,
    logging to tmp_path / f"{name}.log"), yielded once every one is healthy; always stopped."""
    env = dict(os.environ, CRM_DATABASE_URL=database.url, CRM_COOKIE_KEY=COOKIE_KEY, CRM_BCRYPT_ROUNDS="4")
    started: list[tuple[subprocess.Popen[bytes], CrmServer]] = []
    try:
        for name in names:
            port = _free_port()
            log_path = tmp_path / f"{name}.log"
            command = [
                *(sys.executable, "-m", "streamlit", "run", "app.py"),
                *("--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1"),
                *("--browser.gatherUsageStats", "false"),
            ]
            with log_path.open("wb") as log:
                process = subprocess.Popen(
                    command,
                    cwd=PROJECT_ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            started.append((process, CrmServer(f"http://127.0.0.1:{port}", database, log_path)))
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        for process, server in started:
            while not _healthy(server.base_url):
                if process.poll() is not None:
                    pytest.fail(f"streamlit exited with code {process.returncode}:\n{server.log_tail()}")
                if time.monotonic() > deadline:
                    pytest.fail(f"streamlit not healthy after {SERVER_START_TIMEOUT:.0f}s:\n{server.log_tail()}")
                time.sleep(0.25)
        yield [server for _process, server in started]
    finally:
        for process, _server in started:
            _stop(process)


@pytest.fixture
def crm_server(e2e_database: E2eDatabase, tmp_path: Path, chromium_path: Path) -> Iterator[CrmServer]:
    """`streamlit run app.py` on a free loopback port against the prepared database; always stopped."""
    with running_servers(e2e_database, tmp_path, ["streamlit"]) as (server,):
        yield server
