"""Text rules on every write path: no NUL character anywhere, and one set of length limits (crm.platform.validation)."""

from __future__ import annotations

import datetime as dt

import pytest

from crm.customers.records import ContactInput, OrderInput, add_contact, add_order
from crm.customers.service import CustomerInput, bulk_tag, create_customer, update_customer
from crm.follow_ups.care import HolidayChanges, save_holidays
from crm.follow_ups.service import log_contact
from crm.platform.errors import ValidationError
from crm.platform.permissions import SYSTEM, Actor
from crm.platform.users import create_user
from crm.platform.validation import TEXT_MAX, column_limit
from db.engine import Sessions
from db.models import Activity, Contact, Customer, Order

NOW = dt.datetime(2024, 6, 30, 3, 0, tzinfo=dt.UTC)
TODAY = dt.date(2024, 6, 30)


def refused(call: object) -> dict[str, str]:
    """Run the call, expecting a ValidationError; return field -> message key."""
    with pytest.raises(ValidationError) as caught:
        call()  # type: ignore[operator]
    return {name: key for name, (key, _params) in caught.value.fields.items()}


def test_text_columns_share_one_limit_and_string_columns_keep_their_length() -> None:
    assert (
        column_limit(Customer, "notes")
        == column_limit(Contact, "notes")
        == column_limit(Order, "notes")
        == column_limit(Activity, "summary")
        == TEXT_MAX
    )
    assert (column_limit(Customer, "name"), column_limit(Contact, "wechat"), column_limit(Order, "product")) == (
        200,
        64,
        120,
    )


def test_a_nul_character_in_a_customers_text_is_refused_next_to_the_field(sessions: Sessions, manager: Actor) -> None:
    fields = refused(
        lambda: create_customer(
            sessions,
            actor=manager,
            today=TODAY,
            data=CustomerInput(name="Acme\x00", notes="a\x00b", address="x\x00", tags=("vip\x00",)),
        )
    )
    assert fields == {
        "name": "validation.nul",
        "notes": "validation.nul",
        "address": "validation.nul",
        "tags": "validation.nul",
    }
    view = create_customer(sessions, actor=manager, today=TODAY, data=CustomerInput(name="Acme"))
    assert refused(
        lambda: update_customer(
            sessions, actor=manager, customer_id=view.id, version=view.version, changes={"needs": "\x00"}, today=TODAY
        )
    ) == {"needs": "validation.nul"}
    assert refused(lambda: bulk_tag(sessions, actor=manager, customer_ids=[view.id], tag="a\x00")) == {
        "tag": "validation.nul"
    }


def test_a_nul_character_in_a_contact_an_order_or_a_logged_contact_is_refused(
    sessions: Sessions, manager: Actor
) -> None:
    view = create_customer(sessions, actor=manager, today=TODAY, data=CustomerInput(name="Acme"))
    assert refused(
        lambda: add_contact(
            sessions,
            actor=manager,
            customer_id=view.id,
            data=ContactInput(
                name="Li\x00",
                title="t\x00",
                wechat="w\x00",
                notes="n\x00",
                phone="138\x0012345678",
                email="a\x00@b.com",
            ),
        )
    ) == {
        "name": "validation.nul",
        "title": "validation.nul",
        "wechat": "validation.nul",
        "notes": "validation.nul",
        "phone": "validation.nul",
        "email": "validation.nul",
    }
    assert refused(
        lambda: add_order(
            sessions,
            actor=manager,
            customer_id=view.id,
            data=OrderInput(order_date=TODAY, amount="10", product="p\x00", notes="n\x00"),
        )
    ) == {"product": "validation.nul", "notes": "validation.nul"}
    assert refused(
        lambda: log_contact(
            sessions,
            actor=manager,
            customer_id=view.id,
            channel="phone",
            occurred_at=NOW,
            summary="called\x00",
            next_step="x\x00",
            next_due_at=NOW + dt.timedelta(days=1),
            now=NOW,
        )
    ) == {"summary": "validation.nul", "next_step": "validation.nul"}


def test_a_nul_character_in_a_users_display_name_or_email_or_a_holiday_name_is_refused(
    sessions: Sessions, manager: Actor
) -> None:
    assert refused(
        lambda: create_user(
            sessions,
            actor=SYSTEM,
            username="lili",
            display_name="Li\x00",
            email="li\x00@example.com",
            password="li-pass-1234",
            role="staff",
        )
    ) == {"display_name": "validation.nul", "email": "validation.email"}
    assert refused(
        lambda: save_holidays(sessions, actor=manager, changes=HolidayChanges(added=((TODAY, "Day\x00"),)))
    ) == {"name": "validation.nul"}


def test_the_forms_text_limit_is_the_one_of_the_column(sessions: Sessions, manager: Actor) -> None:
    assert refused(
        lambda: create_customer(
            sessions, actor=manager, today=TODAY, data=CustomerInput(name="Acme", notes="n" * (TEXT_MAX + 1))
        )
    ) == {"notes": "validation.too_long"}
    create_customer(sessions, actor=manager, today=TODAY, data=CustomerInput(name="Acme", notes="n" * TEXT_MAX))
