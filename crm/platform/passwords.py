"""Password rules: long enough, not the username, not one of the 30,000 most common passwords (common_passwords.txt)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_BYTES = 72  # bcrypt ignores every byte past the 72nd
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    """Return the shipped list of common passwords, lower case (read once)."""
    with COMMON_PASSWORDS_FILE.open(encoding="utf-8") as lines:
        return frozenset(line.rstrip("\n") for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, *, username: str | None = None) -> tuple[str, dict[str, Any]] | None:
    """Return what is wrong with a new password, as (message key, parameters), or None when it may be used.

    The username counts as it is and backwards, in any case ("Alice" may not use "ecila"); a password that
    merely contains it ("manager-demo-1") is long enough for that not to help a guesser much.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return "validation.password_short", {"min": MIN_PASSWORD_LENGTH}
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        return "validation.too_long", {"max": MAX_PASSWORD_BYTES}
    folded = password.casefold()
    name = (username or "").strip().casefold()
    if name and folded in (name, name[::-1]):
        return "validation.password_username", {}
    if folded in common_passwords():
        return "validation.password_common", {}
    return None
