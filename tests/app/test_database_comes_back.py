"""The database is down when the app starts: the clear error page, promptly; once the database is back, the
next rerun opens the app by itself (no restart), as a page reload would."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from crm.platform.i18n import t
from tests.app.conftest import APP, TIMEOUT


class Forwarder:
    """A TCP port that refuses connections until started, then forwards each to the real database server."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = int(probe.getsockname()[1])
        probe.close()  # nothing listens here until start(): connections are refused
        self._listener: socket.socket | None = None

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()


@pytest.fixture
def forwarder(engine: Engine) -> Iterator[Forwarder]:
    url = engine.url
    proxy = Forwarder((url.host or "127.0.0.1", int(url.port or 5432)))
    yield proxy
    proxy.stop()


@pytest.mark.parametrize("backend", ["postgresql", "mariadb"])
def test_the_app_opens_by_itself_once_the_database_is_back(
    engine: Engine, forwarder: Forwarder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_DATABASE_URL", engine.url.set(port=forwarder.port).render_as_string(hide_password=False))
    monkeypatch.setenv("CRM_COOKIE_KEY", "test-cookie-key-that-is-long-enough-for-hs256")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    started = time.monotonic()
    at.run()
    assert time.monotonic() - started < 10
    assert not at.exception, at.exception
    assert [title.value for title in at.title] == [t("app.db_error_title")]
    forwarder.start()
    at.run()
    assert not at.exception, at.exception
    assert t("app.db_error_title") not in [title.value for title in at.title]
    assert at.button, "the first-run screen (an empty database) should offer its buttons"
