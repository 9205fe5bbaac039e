"""The sign-in form answers alike for an account and an unknown name, through the lockout."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from crm.platform.auth import MAX_FAILED_LOGINS
from crm.platform.i18n import t
from db.engine import Sessions
from tests.app.conftest import APP, TIMEOUT, sign_in


def _answers(username: str) -> list[list[str]]:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    answers = []
    for _ in range(MAX_FAILED_LOGINS + 1):
        sign_in(at, username, "not-the-password")
        assert not at.exception
        answers.append([error.value for error in at.error])
    return answers


def test_five_wrong_passwords_answer_the_same_for_an_account_and_an_unknown_name(role_accounts: Sessions) -> None:
    """As someone guessing names, I cannot tell from the answers whether `viewer` or `nobody-here` exists."""
    viewer, nobody = _answers("viewer"), _answers("nobody-here")
    assert viewer == nobody
    assert viewer == [[t("auth.invalid_credentials")]] * (MAX_FAILED_LOGINS - 1) + [[t("auth.locked")]] * 2
