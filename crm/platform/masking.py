"""Masking of personal contact data (phones, emails, WeChat IDs, birthdays) for actors who may not see it (viewers).

The Python functions and their SQL twins give the same result, so a list masked in SQL and a detail
or an export masked in Python show a number the same way: 13812345678 -> 138****5678,
+86 13812345678 -> +86 138****5678,
john@example.com -> j***@example.com, zhang6090_530 -> z***. A birthday is hidden whole (****).
Masking an already masked value changes nothing.

PERSONAL_FIELDS names every such field, and mask_field masks any of them by name, so a new read
(a screen, a file, the timeline) masks them all by looping over the fields instead of listing them again.
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
            national = phone[len(prefix) :]
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


def mask_wechat(wechat: str | None) -> str | None:
    """Return the WeChat ID with all but its first character hidden: z***."""
    if wechat is None or wechat == "":
        return wechat
    return wechat[:1] + EMAIL_MASK


def mask_date(value: Any) -> Any:
    """Hide a personal date (a birthday) whole: **** (None stays None)."""
    if value is None or value == "":
        return value
    return MASK


# Personal contact fields, by the names the records, exports and audit trail give them; a viewer sees none in full.
_MASKERS: dict[str, Any] = {
    "phone": mask_phone,
    "mobile": mask_phone,
    "contact_phone": mask_phone,
    "email": mask_email,
    "contact_email": mask_email,
    "wechat": mask_wechat,
    "contact_wechat": mask_wechat,
    "birthday": mask_date,
    "contact_birthday": mask_date,
}
PERSONAL_FIELDS = frozenset(_MASKERS)


def mask_field(field: str, value: Any) -> Any:
    """Return the value masked as its personal field is (unchanged when the field is not personal)."""
    masker = _MASKERS.get(field)
    return value if masker is None else masker(value)


def mask_record(values: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of the record with every personal field in it masked."""
    return {name: mask_field(name, value) for name, value in values.items()}


def mask_phone_sql(column: Any) -> ColumnElement[str]:
    """SQL twin of mask_phone (same result on SQLite, PostgreSQL and MariaDB)."""
    length = _CharLength(column)
    last_four = func.substr(column, length - 3)
    prefixed = [
        (
            and_(func.substr(column, 1, len(prefix)) == prefix, length - len(prefix) >= _SHORT),
            literal(prefix, String) + func.substr(column, len(prefix) + 1, 3) + literal(MASK, String) + last_four,
        )
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
