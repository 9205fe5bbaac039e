"""A read-only database (a SQLite file the app may not write): sign-in still works for reading, saves say why not."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from crm.customers.service import CustomerInput, create_customer
from crm.platform.auth import authenticate
from crm.platform.errors import AuthenticationFailed, DatabaseReadOnly
from crm.platform.i18n import t
from crm.platform.permissions import SYSTEM
from crm.platform.snapshots import read_snapshot, store_snapshot
from crm.platform.users import create_user
from db.engine import Sessions, make_engine, make_session_factory
from db.models import User, utcnow


def read_only_url(path: Path) -> str:
    """The file opened read-only, as SQLite opens a file the app may not write (tests run as root: chmod won't do)."""
    return f"sqlite:///file:{path}?mode=ro&uri=true"


@pytest.fixture
def read_only(tmp_path: Path, migrated_sqlite_file: Callable[[Path], Path]) -> Iterator[Sessions]:
    """A migrated SQLite file with one staff account, then opened read-only."""
    path = migrated_sqlite_file(tmp_path / "crm.db")
    writable = make_engine(f"sqlite:///{path}")
    create_user(
        make_session_factory(writable),
        actor=SYSTEM,
        username="alice",
        display_name="Alice",
        password="alice-pass-1",
        role="manager",
    )
    writable.dispose()
    engine = make_engine(read_only_url(path))
    yield make_session_factory(engine)
    engine.dispose()


def test_the_right_password_signs_in_on_a_read_only_database(read_only: Sessions) -> None:
    assert authenticate(read_only, username="alice", password="alice-pass-1").username == "alice"
    with read_only.read() as session:
        assert session.scalar(select(User.last_login_at)) is None  # nothing could be recorded


def test_a_wrong_password_or_an_unknown_name_is_refused_not_crashed(read_only: Sessions) -> None:
    for username in ("alice", "nobody-here"):
        with pytest.raises(AuthenticationFailed):
            authenticate(read_only, username=username, password="wrong")


def test_a_save_says_the_database_is_read_only_in_the_users_language(read_only: Sessions) -> None:
    actor = authenticate(read_only, username="alice", password="alice-pass-1").as_actor()
    with pytest.raises(DatabaseReadOnly) as refused:
        create_customer(read_only, actor=actor, data=CustomerInput(name="北京星辰科技有限公司"))
    assert "read-only" in t(refused.value.key, "en") and "只读" in t(refused.value.key, "zh")


def test_figures_are_still_returned_when_their_snapshot_cannot_be_stored(read_only: Sessions) -> None:
    snapshot = store_snapshot(read_only, key="follow_ups.team:week", payload={"rows": []}, computed_at=utcnow())
    assert snapshot.payload == {"rows": []}
    with read_only.read() as session:
        assert read_snapshot(session, "follow_ups.team:week") is None
