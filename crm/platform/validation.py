"""Field validators shared by forms and imports: phones, emails, money, dates, lengths, codes, NUL characters."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import String

from crm.platform.errors import ValidationCollector

EMAIL_PATTERN = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")
CN_LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")  # area code 0xx / 0xxx + 7-8 digit number
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
# The largest amount (README "Amounts"; named in the validation.amount message); sums have room for it on every order.
MAX_AMOUNT = Decimal("999999999999.99")  # Numeric(14, 2)
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
# The one limit of every Text column (notes, needs, summaries, ...), on every path: forms, services, imports.
# MariaDB's TEXT holds 65,535 bytes, i.e. about 21,000 CJK characters; 10,000 leaves room for any script.
TEXT_MAX = 10_000
NUL = "\x00"  # PostgreSQL cannot store it in text at all; no form or file has a reason to hold one
# Control characters no typed text holds (tab, newline and carriage return are text): Excel refuses them in a
# cell, so one of them would break every later export of the record.
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Bidirectional overrides, embeddings and isolates: they reorder what follows on screen (a name that reads
# "invoice.pdf" but is "fdp.exe..."). Right-to-left text itself (Arabic, Hebrew) needs none of them.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def column_limit(model: Any, column: str) -> int | None:
    """Return the most characters a model's text column takes: its String length, or TEXT_MAX for Text."""
    kind = model.__table__.c[column].type
    if isinstance(kind, String) and kind.length:
        return int(kind.length)
    if isinstance(kind, String):
        return TEXT_MAX  # Text (a String without a length)
    return None


def has_nul(value: object) -> bool:
    return isinstance(value, str) and NUL in value


def is_blank(value: object) -> bool:
    """True for None and for text with nothing visible: spaces of any kind, zero-width and format characters."""
    if value is None:
        return True
    return all(ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc", "Zs", "Zl", "Zp") for ch in str(value))


def normalise_phone(raw: str) -> str | None:
    """Return the phone in a canonical form (mainland numbers without +86), or None if invalid.

    Accepts 13812345678, +86 138 1234 5678, 0086-138..., landlines 010-12345678 / 0755 1234 5678,
    and international numbers in E.164 (+44 20 7946 0958).
    """
    text = _PHONE_SEPARATORS.sub("", raw.strip().replace("＋", "+"))
    text = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if text.startswith("0086"):
        text = "+86" + text[4:]
    if text.startswith("+86"):
        national = text[3:]
        if CN_MOBILE.match(national):
            return national
        if national and not national.startswith("0") and CN_LANDLINE.match("0" + national):
            return _landline("0" + national)
        return None
    if CN_MOBILE.match(text):
        return text
    if CN_LANDLINE.match(text):
        return _landline(text)
    if E164.match(text):
        return text
    return None


def _landline(digits: str) -> str:
    # Beijing (010) and the 02x cities have three-digit area codes; the rest have four.
    area = 3 if digits[1] in "12" else 4
    return f"{digits[:area]}-{digits[area:]}"


def is_email(raw: str) -> bool:
    return len(raw) <= 254 and EMAIL_PATTERN.match(raw) is not None


def parse_amount(raw: object) -> Decimal | None:
    """Parse a non-negative amount with at most two decimals (¥, commas and spaces allowed)."""
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int | float):
        value = Decimal(str(raw))
    else:
        text = str(raw).strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").replace(" ", "")
        if not text:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            return None
    if not value.is_finite() or value < 0 or value > MAX_AMOUNT:
        return None
    if value != value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP):
        return None
    return value.quantize(Decimal("0.01"))


def check_required(errors: ValidationCollector, field: str, value: str | None, max_length: int) -> None:
    """Refuse an empty or invisible text (only spaces or zero-width characters), then check it as any text."""
    if is_blank(value):
        errors.add(field, "validation.required")
    else:
        check_length(errors, field, value, max_length)


def check_length(errors: ValidationCollector, field: str, value: str | None, max_length: int) -> None:
    """Refuse a text longer than max_length, or holding a NUL, another control character or a bidirectional
    override (every text check goes through here)."""
    if value is None:
        return
    text = str(value)
    if check_characters(errors, field, text) and len(text) > max_length:
        errors.add(field, "validation.too_long", max=max_length)


def check_characters(errors: ValidationCollector, field: str, text: str) -> bool:
    """Refuse a NUL, another control character or a bidirectional override; return whether the text passed."""
    if has_nul(text):
        errors.add(field, "validation.nul")
    elif _CONTROL.search(text):
        errors.add(field, "validation.control")
    elif _BIDI_CONTROLS.search(text):
        errors.add(field, "validation.bidi")
    else:
        return True
    return False


def check_phone(errors: ValidationCollector, field: str, value: str | None) -> str | None:
    """Validate an optional phone; return its canonical form."""
    if value is None or not value.strip():
        return None
    if has_nul(value):
        errors.add(field, "validation.nul")
        return None
    phone = normalise_phone(value)
    if phone is None:
        errors.add(field, "validation.phone")
    return phone


def check_email(errors: ValidationCollector, field: str, value: str | None) -> str | None:
    """Validate an optional email; return it trimmed."""
    if value is None or not value.strip():
        return None
    email = value.strip()
    if has_nul(email):
        errors.add(field, "validation.nul")
    elif not is_email(email):
        errors.add(field, "validation.email")
    return email


def check_amount(errors: ValidationCollector, field: str, value: object, *, required: bool = True) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(field, "validation.required")
        return None
    amount = parse_amount(value)
    if amount is None:
        errors.add(field, "validation.amount")
    return amount


def check_not_future(errors: ValidationCollector, field: str, value: dt.date | None, today: dt.date) -> None:
    if value is not None and value > today:
        errors.add(field, "validation.future_date")


def check_code(errors: ValidationCollector, field: str, value: str | None) -> None:
    if value is None or not value.strip():
        errors.add(field, "validation.required")
    elif has_nul(value):
        errors.add(field, "validation.nul")
    elif not CODE_PATTERN.match(value.strip()):
        errors.add(field, "validation.code_format")


def check_choice(
    errors: ValidationCollector,
    field: str,
    value: str | None,
    choices: tuple[str, ...] | frozenset[str],
    *,
    required: bool = False,
) -> None:
    if value is None or value == "":
        if required:
            errors.add(field, "validation.required")
    elif has_nul(value):
        errors.add(field, "validation.nul")
    elif value not in choices:
        errors.add(field, "validation.choice")
