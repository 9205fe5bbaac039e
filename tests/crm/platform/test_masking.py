"""Masking of phones and emails for viewers: the Python functions and their SQL twins agree on every database."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import String, cast, literal, null, select

from crm.platform.masking import mask_email, mask_email_sql, mask_phone, mask_phone_sql
from db.engine import Sessions
from tests.crm.customers.customer_fixtures import MakeCustomer, Team

PHONES = [
    "13812345678",
    "+86 138 1234 5678",
    "+86 13812345678",
    "+8613812345678",
    "+86 138****5678",
    "+86 1234",
    "010-12345678",
    "+44 20 7946 0958",
    "12345",
    "",
    None,
    "138****5678",
]
EMAILS = ["john@example.com", "wang.fang@公司.中国", "x", "", None, "j***@example.com"]


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("010-12345678", "010****5678"),
        ("+86 13812345678", "+86 138****5678"),
        ("+8613812345678", "+86138****5678"),
        ("+86 138 1234 5678", "+86 138****5678"),
        ("+86 10 8765 4321", "+86 10 ****4321"),
        ("+44 20 7946 0958", "+44****0958"),
        ("12345", "****"),
        (None, None),
    ],
)
def test_phones_keep_only_their_first_three_and_last_four_characters(phone: str | None, masked: str | None) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("john@example.com", "j***@example.com"),
        ("王芳@例子.中国", "王***@例子.中国"),
        ("no-at-sign", "n***"),
        (None, None),
    ],
)
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


def test_every_personal_contact_field_has_a_mask() -> None:
    from crm.platform.masking import PERSONAL_FIELDS, mask_date, mask_field, mask_record, mask_wechat

    assert {"phone", "mobile", "email", "wechat", "birthday"} <= PERSONAL_FIELDS
    assert mask_wechat("zhang6090_530") == "z***" == mask_wechat("z***")
    assert mask_date(dt.date(1980, 5, 17)) == "****" and mask_date(None) is None
    assert mask_field("notes", "kept") == "kept"
    assert mask_record(
        {
            "name": "张三",
            "mobile": "13812345678",
            "email": "zhang@example.com",
            "wechat": "zhang6090_530",
            "birthday": dt.date(1980, 5, 17),
        }
    ) == {"name": "张三", "mobile": "138****5678", "email": "z***@example.com", "wechat": "z***", "birthday": "****"}


def test_a_viewer_sees_no_contacts_wechat_id_or_birthday_in_the_360_view_or_its_timeline(
    sessions: Sessions, team: Team, make_customer: MakeCustomer
) -> None:
    """The 360 Contacts tab and the timeline read masked values from the service, so no screen can forget."""
    from crm.customers.records import ContactInput, add_contact, update_contact
    from crm.customers.service import get_customer_360
    from crm.customers.timeline import customer_timeline

    customer = make_customer("Zhihang Ltd")
    contact = add_contact(
        sessions,
        actor=team.manager,
        customer_id=customer.id,
        data=ContactInput(
            name="张六",
            phone="13812345678",
            email="zhang@zhihang.cn",
            wechat="zhang6090_530",
            birthday=dt.date(1980, 5, 17),
        ),
    )
    update_contact(
        sessions,
        actor=team.manager,
        contact_id=contact.id,
        version=contact.version,
        data=ContactInput(
            name="张六",
            phone="13812345678",
            email="zhang@zhihang.cn",
            wechat="zhang6090_999",
            birthday=dt.date(1981, 5, 17),
        ),
    )
    shown = get_customer_360(sessions, actor=team.viewer, customer_id=customer.id).contacts
    assert [(c.phone, c.email, c.wechat, c.birthday) for c in shown] == [
        ("138****5678", "z***@zhihang.cn", "z***", None)
    ]
    changes = [
        e
        for e in customer_timeline(sessions, actor=team.viewer, customer_id=customer.id).entries
        if e.kind == "change" and e.field in ("wechat", "birthday")
    ]
    assert changes and all(e.old in ("z***", "****", None) and e.new in ("z***", "****", None) for e in changes)
    full = get_customer_360(sessions, actor=team.staff, customer_id=customer.id).contacts
    assert [(c.wechat, c.birthday) for c in full] == [("zhang6090_999", dt.date(1981, 5, 17))]


def test_a_viewer_sees_neither_a_persons_own_birthday_nor_their_home_address(
    sessions: Sessions, team: Team, make_customer: MakeCustomer
) -> None:
    """A customer who is a person has a birthday and a home address as personal as a contact's."""
    from crm.customers.service import get_customer

    person = make_customer(
        "王小明", customer_type="individual", birthday=dt.date(1990, 3, 4), address="上海市徐汇区漕溪北路 88 号 1201 室"
    )
    company = make_customer("Zhihang Ltd", customer_type="company", address="1 Science Park Road")
    seen = get_customer(sessions, actor=team.viewer, customer_id=person.id)
    assert (seen.birthday, seen.address) == (None, "****")
    assert get_customer(sessions, actor=team.viewer, customer_id=company.id).address == "1 Science Park Road"
    full = get_customer(sessions, actor=team.staff, customer_id=person.id)
    assert (full.birthday, full.address) == (dt.date(1990, 3, 4), "上海市徐汇区漕溪北路 88 号 1201 室")
