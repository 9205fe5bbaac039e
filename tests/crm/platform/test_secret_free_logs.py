"""No password, password hash or contact detail in any log line, even with every logger at DEBUG."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from crm.platform.auth import authenticate
from crm.platform.errors import AuthenticationFailed
from crm.platform.permissions import SYSTEM
from crm.platform.users import change_own_password, create_user
from db.engine import Sessions
from db.models import User

PASSWORD = "Fang-secret-2026"
NEW_PASSWORD = "Fang-renewed-2027"
WRONG = "Fang-wrong-guess-9"
EMAIL = "wang.fang.private@example.cn"


def _everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    lines = []
    for record in caplog.records:
        lines.append(record.getMessage())
        if record.exc_info:
            lines.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(lines)


def test_no_secret_or_contact_detail_is_logged_by_sign_ins_and_account_changes(
    sessions: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool", "crm", "db"):
        caplog.set_level(logging.DEBUG, logger=name)
    user = create_user(
        sessions,
        actor=SYSTEM,
        username="wang.fang",
        display_name="王芳",
        email=EMAIL,
        password=PASSWORD,
        role="staff",
    )
    with sessions.read() as session:
        first_hash = session.scalar(select(User.password_hash).where(User.id == user.id))
    assert authenticate(sessions, username="wang.fang", password=PASSWORD).id == user.id
    with pytest.raises(AuthenticationFailed):
        authenticate(sessions, username="wang.fang", password=WRONG)
    with pytest.raises(AuthenticationFailed):
        authenticate(sessions, username="nobody.here", password=WRONG)
    change_own_password(sessions, actor=user.as_actor(), current_password=PASSWORD, new_password=NEW_PASSWORD)
    with sessions.read() as session:
        new_hash = session.scalar(select(User.password_hash).where(User.id == user.id))

    logged = _everything_logged(caplog)
    # The statements themselves were logged (so a leak would have shown), each fetched row without its values.
    assert "SELECT users.id" in logged and "INSERT INTO users" in logged
    assert "Row (values hidden)" in logged
    for secret in (PASSWORD, NEW_PASSWORD, WRONG, first_hash, new_hash, EMAIL, "$2b$"):
        assert secret not in logged, secret
