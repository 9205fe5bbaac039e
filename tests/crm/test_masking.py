"""Masking of phones and emails for viewers: the Python functions and their SQL twins agree on every database."""

from __future__ import annotations

import pytest
from sqlalchemy import String, cast, literal, null, select

from crm.masking import mask_email, mask_email_sql, mask_phone, mask_phone_sql
from db.engine import Sessions

PHONES = ["13812345678", "+86 138 1234 5678", "+86 13812345678", "+8613812345678", "+86 138****5678", "+86 1234",
           "010-12345678", "+44 20 7946 0958", "12345", "", None, "138****5678"]
EMAILS = ["john@example.com", "wang.fang@公司.中国", "x", "", None, "j***@example.com"]


@pytest.mark.parametrize(("phone", "masked"), [
    ("13812345678", "138****5678"),
    ("010-12345678", "010****5678"),
    ("+86 13812345678", "+86 138****5678"),
    ("+8613812345678", "+86138****5678"),
    ("+86 138 1234 5678", "+86 138****5678"),
    ("+86 10 8765 4321", "+86 10 ****4321"),
    ("+44 20 7946 0958", "+44****0958"),
    ("12345", "****"),
    (None, None),
])
def test_phones_keep_only_their_first_three_and_last_four_characters(phone: str | None, masked: str | None) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(("email", "masked"), [
    ("john@example.com", "j***@example.com"),
    ("王芳@例子.中国", "王***@例子.中国"),
    ("no-at-sign", "n***"),
    (None, None),
])
def test_emails_keep_only_their_first_character_and_domain(email: str | None, masked: str | None) -> None:
    assert mask_email(email) == masked


def test_masking_twice_changes_nothing() -> None:
    assert mask_phone(mask_phone("13812345678")) == "138****5678"
    assert mask_phone(mask_phone("+86 13812345678")) == "+86 138****5678"
    assert mask_email(mask_email("john@example.com")) == "j***@example.com"


def _text(value: str | None):  # type: ignore[no-untyped-def]
    return cast(null(), String) if value is None else cast(literal(value, String), String)


def test_sql_masking_gives_the_same_result_as_python(sessions: Sessions) -> None:
    with sessions.read() as session:
        for phone in PHONES:
            assert session.scalar(select(mask_phone_sql(_text(phone)))) == mask_phone(phone), phone
        for email in EMAILS:
            assert session.scalar(select(mask_email_sql(_text(email)))) == mask_email(email), email
