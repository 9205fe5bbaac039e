"""The catalogue of hostile and bad input (issue 18): one table, each case with the exact outcome expected.

Every case is run through the services, and the text cases also through the customer import and the new-customer
form (tests/reliability/test_hostile_input.py, tests/app/test_hostile_forms.py). An outcome is either an error
(the field and the catalog key the user reads, in their language) or the exact value stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Refused:
    field: str
    key: str


@dataclass(frozen=True)
class Stored:
    value: Any


@dataclass(frozen=True)
class Case:
    id: str
    target: str  # customer.name, customer.notes, contact.phone, contact.email, order.amount, order.order_date, ...
    value: Any
    expect: Refused | Stored


def _name(case_id: str, value: str, expect: Refused | Stored) -> Case:
    return Case(case_id, "customer.name", value, expect)


REQUIRED = Refused("name", "validation.required")
BIDI = Refused("name", "validation.bidi")

CASES: tuple[Case, ...] = (
    # --- empty and invisible names ---
    _name("empty", "", REQUIRED),
    _name("spaces", "   ", REQUIRED),
    _name("tab and newline", "\t\n", REQUIRED),
    _name("ideographic space", "\u3000\u3000", REQUIRED),
    _name("no-break space", "\u00a0", REQUIRED),
    _name("zero-width space", "\u200b", REQUIRED),
    _name("zero-width joiners and BOM", "\u200b\u200c\u200d\ufeff", REQUIRED),
    _name("word joiner", "\u2060", REQUIRED),
    # --- lengths ---
    _name("at the limit", "x" * 200, Stored("x" * 200)),
    _name("one past the limit", "x" * 201, Refused("name", "validation.too_long")),
    _name("10,000 characters", "长" * 10_000, Refused("name", "validation.too_long")),
    Case("notes at 10,000", "customer.notes", "x" * 10_000, Stored("x" * 10_000)),
    Case("CJK notes at 10,000", "customer.notes", "中" * 10_000, Stored("中" * 10_000)),
    Case("emoji notes at 10,000", "customer.notes", "😀" * 10_000, Stored("😀" * 10_000)),
    Case("notes past 10,000", "customer.notes", "x" * 10_001, Refused("notes", "validation.too_long")),
    Case("notes keep lines and tabs", "customer.notes", "line 1\nline 2\ttab", Stored("line 1\nline 2\ttab")),
    # --- SQL-looking, Markdown, HTML and JS: stored as typed, shown inert ---
    _name("SQL drop", "Robert'); DROP TABLE customers;--", Stored("Robert'); DROP TABLE customers;--")),
    _name("SQL tautology", "' OR '1'='1", Stored("' OR '1'='1")),
    _name("SQL comment", "admin'/*", Stored("admin'/*")),
    _name(
        "SQL union", "x' UNION SELECT password_hash FROM users--", Stored("x' UNION SELECT password_hash FROM users--")
    ),
    _name("Markdown", "**bold** [link](http://evil.example)", Stored("**bold** [link](http://evil.example)")),
    _name("HTML script", "<script>alert(1)</script>", Stored("<script>alert(1)</script>")),
    _name("HTML img onerror", '<img src=x onerror="alert(1)">', Stored('<img src=x onerror="alert(1)">')),
    _name("javascript URL", "javascript:alert(document.cookie)", Stored("javascript:alert(document.cookie)")),
    _name("template braces", "{{7*7}} ${7*7} {name}", Stored("{{7*7}} ${7*7} {name}")),
    _name("percent format", "%s%s%n %(x)s", Stored("%s%s%n %(x)s")),
    _name("backslashes", "C:\\new\\table\\x00", Stored("C:\\new\\table\\x00")),
    # --- scripts, emoji, rare CJK, right to left ---
    _name("emoji", "😀 Café 👨‍👩‍👧", Stored("😀 Café 👨‍👩‍👧")),
    _name("rare CJK (plane 2)", "𠀀𠀁𪚥 有限公司", Stored("𠀀𠀁𪚥 有限公司")),
    _name("Arabic", "شركة الأمل", Stored("شركة الأمل")),
    _name("Hebrew", "חברת שלום", Stored("חברת שלום")),
    _name("mixed directions", "ABC شركة 123", Stored("ABC شركة 123")),
    _name("combining accents", "Cafe\u0301 Zoe\u0308", Stored("Cafe\u0301 Zoe\u0308")),
    _name("full-width letters", "ＡＢＣ１２３有限公司", Stored("ＡＢＣ１２３有限公司")),
    _name("right-to-left override", "invoice\u202etxt.exe", BIDI),
    _name("left-to-right embedding", "a\u202ab", BIDI),
    _name("bidi isolate", "\u2066name\u2069", BIDI),
    # --- control characters ---
    _name("NUL", "Acme\x00Ltd", Refused("name", "validation.nul")),
    _name("bell", "Acme\x07Ltd", Refused("name", "validation.control")),
    _name("escape sequence", "\x1b[31mRed\x1b[0m", Refused("name", "validation.control")),
    _name("vertical tab", "Acme\x0bLtd", Refused("name", "validation.control")),
    _name("DEL", "Acme\x7fLtd", Refused("name", "validation.control")),
    # --- formula-looking names: stored, defused in every export (test_exports / test_hostile_input) ---
    _name("formula", "=1+1", Stored("=1+1")),
    _name(
        "HYPERLINK formula", '=HYPERLINK("http://evil.example","x")', Stored('=HYPERLINK("http://evil.example","x")')
    ),
    _name("at formula", "@SUM(A1:A9)", Stored("@SUM(A1:A9)")),
    _name("DDE", "-2+3+cmd|' /C calc'!A0", Stored("-2+3+cmd|' /C calc'!A0")),
    _name("full-width formula", "＝1+1", Stored("＝1+1")),
    # --- phones and emails ---
    Case("mobile", "contact.phone", "13812345678", Stored("13812345678")),
    Case("full-width mobile", "contact.phone", "１３８１２３４５６７８", Stored("13812345678")),
    Case("mobile with +86", "contact.phone", "+86 138 1234 5678", Stored("13812345678")),
    Case("landline", "contact.phone", "010-12345678", Stored("010-12345678")),
    Case("too short phone", "contact.phone", "12345", Refused("phone", "validation.phone")),
    Case("SQL phone", "contact.phone", "1' OR '1'='1", Refused("phone", "validation.phone")),
    Case("letters phone", "contact.phone", "138-CALL-NOW", Refused("phone", "validation.phone")),
    Case("email", "contact.email", "li.lei@example.com", Stored("li.lei@example.com")),
    Case("email without at", "contact.email", "not-an-email", Refused("email", "validation.email")),
    Case("email with script", "contact.email", "a@b.co<script>", Refused("email", "validation.email")),
    Case("email with spaces", "contact.email", "li lei@example.com", Refused("email", "validation.email")),
    Case("email too long", "contact.email", "a" * 250 + "@b.co", Refused("email", "validation.email")),
    # --- amounts ---
    Case("amount", "order.amount", "1234.50", Stored(Decimal("1234.50"))),
    Case("amount with yuan sign and commas", "order.amount", "¥1,234.50", Stored(Decimal("1234.50"))),
    Case("full-width amount", "order.amount", "１２３", Stored(Decimal("123.00"))),
    Case("largest amount", "order.amount", "999999999999.99", Stored(Decimal("999999999999.99"))),
    Case("amount too large", "order.amount", "1000000000000", Refused("amount", "validation.amount")),
    Case("negative amount", "order.amount", "-1", Refused("amount", "validation.amount")),
    Case("three decimals", "order.amount", "0.001", Refused("amount", "validation.amount")),
    Case("NaN", "order.amount", "NaN", Refused("amount", "validation.amount")),
    Case("infinity", "order.amount", "Infinity", Refused("amount", "validation.amount")),
    Case("overflowing exponent", "order.amount", "1e309", Refused("amount", "validation.amount")),
    Case("huge exponent", "order.amount", "9e999999999", Refused("amount", "validation.amount")),
    Case("SQL amount", "order.amount", "1; DROP TABLE orders", Refused("amount", "validation.amount")),
    # --- dates ---
    Case("order on 1900-01-01", "order.order_date", dt.date(1900, 1, 1), Stored(dt.date(1900, 1, 1))),
    Case(
        "order on 2999-12-31",
        "order.order_date",
        dt.date(2999, 12, 31),
        Refused("order_date", "validation.future_date"),
    ),
    Case("birthday 1900-01-01", "contact.birthday", dt.date(1900, 1, 1), Stored(dt.date(1900, 1, 1))),
    Case(
        "birthday 2999-12-31", "contact.birthday", dt.date(2999, 12, 31), Refused("birthday", "validation.future_date")
    ),
)

# The name cases, as text for the importer and the form (the others need their own records first).
NAME_CASES = tuple(case for case in CASES if case.target == "customer.name")
