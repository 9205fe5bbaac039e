"""Masking of personal contact data (phones, emails) for actors who may not see it in full (viewers).

The Python functions and their SQL twins give the same result, so a list masked in SQL and a detail
or an export masked in Python show a number the same way: 13812345678 -> 138****5678,
+86 13812345678 -> +86 138****5678,
john@example.com -> j***@example.com. Masking an already masked value changes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Integer, String, and_, case, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

MASK = "****"
EMAIL_MASK = "***"
_SHORT = 8  # a phone shorter than this keeps nothing readable
# China's country code stays in front and the number behind it is masked as a national one, so that
# "+86 13812345678" reads "+86 138****5678" like "13812345678" reads "138****5678" (longest prefix first).
_COUNTRY_PREFIXES = ("+86 ", "+86")


def mask_phone(phone: str | None) -> str | None:
    """Return the phone with all but its first three and last four characters hidden: 138****5678.

    Behind a +86 prefix the national number is masked: +86 138****5678.
    """
    if phone is None or phone == "":
        return phone
    for prefix in _COUNTRY_PREFIXES:
        if phone.startswith(prefix) and len(phone) - len(prefix) >= _SHORT:
            national = phone[len(prefix):]
            return prefix + national[:3] + MASK + national[-4:]
    if len(phone) < _SHORT:
        return MASK
    return phone[:3] + MASK + phone[-4:]


def mask_email(email: str | None) -> str | None:
    """Return the email with its local part hidden but the first character: j***@example.com."""
    if email is None or email == "":
        return email
    local, at, domain = email.partition("@")
    if not at:
        return email[:1] + EMAIL_MASK
    return f"{email[:1]}{EMAIL_MASK}@{domain}"


def mask_phone_sql(column: Any) -> ColumnElement[str]:
    """SQL twin of mask_phone (same result on SQLite, PostgreSQL and MariaDB)."""
    length = _CharLength(column)
    last_four = func.substr(column, length - 3)
    prefixed = [
        (and_(func.substr(column, 1, len(prefix)) == prefix, length - len(prefix) >= _SHORT),
         literal(prefix, String) + func.substr(column, len(prefix) + 1, 3) + literal(MASK, String) + last_four)
        for prefix in _COUNTRY_PREFIXES
    ]
    return case(
        (column.is_(None), None),
        (column == "", ""),
        *prefixed,
        (length < _SHORT, literal(MASK, String)),
        else_=func.substr(column, 1, 3) + literal(MASK, String) + last_four,
    )


def mask_email_sql(column: Any) -> ColumnElement[str]:
    """SQL twin of mask_email."""
    at = _Position(literal("@", String), column)
    first = func.substr(column, 1, 1)
    return case(
        (column.is_(None), None),
        (column == "", ""),
        (at > 0, first + literal(EMAIL_MASK + "@", String) + func.substr(column, at + 1)),
        else_=first + literal(EMAIL_MASK, String),
    )


class _CharLength(FunctionElement[int]):
    """Length in characters (MariaDB's LENGTH counts bytes)."""

    type = Integer()
    inherit_cache = True


@compiles(_CharLength)
def _char_length_default(element: _CharLength, compiler: Any, **kw: Any) -> str:
    return f"length({compiler.process(element.clauses, **kw)})"


@compiles(_CharLength, "mysql")
@compiles(_CharLength, "mariadb")
def _char_length_mysql(element: _CharLength, compiler: Any, **kw: Any) -> str:
    return f"char_length({compiler.process(element.clauses, **kw)})"


class _Position(FunctionElement[int]):
    """1-based position of a substring (0 if absent): _Position(needle, haystack)."""

    type = Integer()
    inherit_cache = True


@compiles(_Position)
def _position_default(element: _Position, compiler: Any, **kw: Any) -> str:
    needle, haystack = list(element.clauses)
    return f"instr({compiler.process(haystack, **kw)}, {compiler.process(needle, **kw)})"


@compiles(_Position, "postgresql")
def _position_postgresql(element: _Position, compiler: Any, **kw: Any) -> str:
    needle, haystack = list(element.clauses)
    return f"strpos({compiler.process(haystack, **kw)}, {compiler.process(needle, **kw)})"
