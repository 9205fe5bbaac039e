"""A customer's contacts, orders, contracts and payments: validation, versions, permissions, audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.customers.records import (
    ContactInput,
    ContractInput,
    OrderInput,
    PaymentInput,
    add_contact,
    add_contract,
    add_order,
    add_payment,
    set_contact_archived,
    set_order_archived,
    update_contact,
    update_contract,
    update_order,
    update_payment,
)
from crm.customers.service import get_customer_360
from crm.platform.errors import PermissionDenied, ValidationError, VersionConflict
from db.engine import Sessions
from db.models import AuditLog
from tests.crm.customers.customer_fixtures import COMPANY_TODAY, TOMORROW, YESTERDAY, MakeCustomer, Team


@pytest.fixture
def customer_id(make_customer: MakeCustomer, team: Team) -> int:
    return make_customer("Records Co", actor=team.staff).id


# --- contacts ---------------------------------------------------------------------------------------


def test_contacts_are_stored_normalised_and_the_first_becomes_primary(
    sessions: Sessions, team: Team, customer_id: int
) -> None:
    first = add_contact(
        sessions,
        actor=team.staff,
        customer_id=customer_id,
        data=ContactInput(name="李雷", phone="+86 139-0000-1111", email="Li.Lei@Example.CN"),
    )
    assert (first.phone, first.email, first.is_primary) == ("13900001111", "li.lei@example.cn", True)
    second = add_contact(
        sessions,
        actor=team.staff,
        customer_id=customer_id,
        data=ContactInput(name="韩梅梅", phone="0755 1234 5678", is_primary=True),
    )
    assert second.phone == "0755-12345678" and second.is_primary
    contacts = get_customer_360(sessions, actor=team.staff, customer_id=customer_id).contacts
    assert [(c.name, c.is_primary) for c in contacts] == [("韩梅梅", True), ("李雷", False)]


def test_a_contact_is_validated_field_by_field(sessions: Sessions, team: Team, customer_id: int) -> None:
    with pytest.raises(ValidationError) as caught:
        add_contact(
            sessions,
            actor=team.staff,
            customer_id=customer_id,
            data=ContactInput(name="", phone="555", email="a@b", birthday=TOMORROW, wechat="w" * 65),
        )
    assert set(caught.value.fields) == {"name", "phone", "email", "birthday", "wechat"}


def test_contact_edits_are_versioned_and_audited(sessions: Sessions, team: Team, customer_id: int) -> None:
    contact = add_contact(sessions, actor=team.staff, customer_id=customer_id, data=ContactInput(name="Jo"))
    changed = update_contact(
        sessions,
        actor=team.staff,
        contact_id=contact.id,
        version=contact.version,
        data=ContactInput(name="Jo", title="CTO", is_primary=True),
    )
    assert (changed.title, changed.version) == ("CTO", contact.version + 1)
    with pytest.raises(VersionConflict):
        update_contact(
            sessions, actor=team.manager, contact_id=contact.id, version=contact.version, data=ContactInput(name="Jo B")
        )
    with sessions.read() as session:
        assert ("staff", "title", None, "CTO") in [
            tuple(r)
            for r in session.execute(
                select(AuditLog.username, AuditLog.field, AuditLog.old_value, AuditLog.new_value).where(
                    AuditLog.entity_type == "contacts", AuditLog.action == "update"
                )
            )
        ]
    archived = set_contact_archived(
        sessions, actor=team.staff, contact_id=contact.id, version=changed.version, archived=True
    )
    assert archived.archived_at is not None and not archived.is_primary
    assert get_customer_360(sessions, actor=team.staff, customer_id=customer_id).contacts == []


def test_staff_cannot_touch_the_contacts_of_another_owners_customer(
    sessions: Sessions, team: Team, customer_id: int
) -> None:
    with pytest.raises(PermissionDenied):
        add_contact(sessions, actor=team.other_staff, customer_id=customer_id, data=ContactInput(name="Spy"))
    with pytest.raises(PermissionDenied):
        add_contact(sessions, actor=team.viewer, customer_id=customer_id, data=ContactInput(name="Viewer"))


# --- orders -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "key"),
    [
        (OrderInput(order_date=TOMORROW, amount="10"), "order_date", "validation.future_date"),
        (OrderInput(order_date=None, amount="10"), "order_date", "validation.required"),
        (OrderInput(order_date=YESTERDAY, amount="-1"), "amount", "validation.amount"),
        (OrderInput(order_date=YESTERDAY, amount="1.005"), "amount", "validation.amount"),
        (OrderInput(order_date=YESTERDAY, amount=""), "amount", "validation.required"),
        (OrderInput(order_date=YESTERDAY, amount="10", currency="RMB1"), "currency", "records.validation.currency"),
        (OrderInput(order_date=YESTERDAY, amount="10", product="p" * 121), "product", "validation.too_long"),
    ],
)
def test_orders_refuse_future_dates_negative_or_fractional_amounts(
    sessions: Sessions, team: Team, customer_id: int, data: OrderInput, field: str, key: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        add_order(sessions, actor=team.staff, customer_id=customer_id, data=data)
    assert caught.value.fields[field][0] == key


def test_orders_add_up_and_can_be_corrected_or_archived(sessions: Sessions, team: Team, customer_id: int) -> None:
    order = add_order(
        sessions,
        actor=team.staff,
        customer_id=customer_id,
        data=OrderInput(order_date=YESTERDAY, amount="¥1,234.50", product="Licence", order_no="SO-1"),
    )
    assert order.amount == Decimal("1234.50")
    with pytest.raises(ValidationError) as caught:
        add_order(
            sessions,
            actor=team.staff,
            customer_id=customer_id,
            data=OrderInput(order_date=YESTERDAY, amount="1", order_no="SO-1"),
        )
    assert caught.value.fields["order_no"][0] == "validation.code_taken"
    fixed = update_order(
        sessions,
        actor=team.staff,
        order_id=order.id,
        version=order.version,
        data=OrderInput(order_date=YESTERDAY, amount="1234.00", product="Licence", order_no="SO-1"),
    )
    assert fixed.amount == Decimal("1234.00")
    add_order(sessions, actor=team.staff, customer_id=customer_id, data=OrderInput(order_date=YESTERDAY, amount="6"))
    totals = get_customer_360(sessions, actor=team.staff, customer_id=customer_id).order_totals
    assert (totals.count, totals.amounts) == (2, {"CNY": Decimal("1240.00")})
    set_order_archived(sessions, actor=team.staff, order_id=order.id, version=fixed.version, archived=True)
    assert get_customer_360(sessions, actor=team.staff, customer_id=customer_id).order_totals.count == 1


# --- contracts and payments -------------------------------------------------------------------------


def test_contracts_get_a_number_and_track_their_payments(sessions: Sessions, team: Team, customer_id: int) -> None:
    year = COMPANY_TODAY.year  # contract numbers carry the company's year
    contract = add_contract(
        sessions,
        actor=team.staff,
        customer_id=customer_id,
        data=ContractInput(
            title="Annual licence",
            value="12000",
            status="active",
            start_date=YESTERDAY,
            end_date=YESTERDAY + dt.timedelta(days=365),
        ),
    )
    assert contract.code == f"HT{year}-000001"
    late = add_payment(
        sessions,
        actor=team.staff,
        contract_id=contract.id,
        data=PaymentInput(due_date=YESTERDAY - dt.timedelta(days=5), amount="6000"),
    )
    assert late.overdue
    paid = update_payment(
        sessions,
        actor=team.staff,
        payment_id=late.id,
        version=late.version,
        data=PaymentInput(due_date=late.due_date, amount="6000", paid_date=YESTERDAY, paid_amount="6000"),
    )
    assert not paid.overdue
    add_payment(
        sessions, actor=team.staff, contract_id=contract.id, data=PaymentInput(due_date=TOMORROW, amount="6000")
    )
    detail = get_customer_360(sessions, actor=team.staff, customer_id=customer_id)
    (shown,) = detail.contracts
    assert (shown.paid, shown.outstanding, len(shown.payments)) == (Decimal("6000"), Decimal("6000.00"), 2)
    assert (detail.contract_value, detail.contract_outstanding) == (Decimal("12000.00"), Decimal("6000.00"))


def test_a_contract_cannot_end_before_it_starts_and_codes_are_unique(
    sessions: Sessions, team: Team, customer_id: int
) -> None:
    with pytest.raises(ValidationError) as caught:
        add_contract(
            sessions,
            actor=team.staff,
            customer_id=customer_id,
            data=ContractInput(
                title="Backwards",
                value="1",
                start_date=YESTERDAY,
                end_date=YESTERDAY - dt.timedelta(days=1),
                status="signed-ish",
            ),
        )
    assert set(caught.value.fields) == {"end_date", "status"}
    first = add_contract(
        sessions, actor=team.staff, customer_id=customer_id, data=ContractInput(title="One", value="1", code="K-1")
    )
    second = add_contract(
        sessions, actor=team.staff, customer_id=customer_id, data=ContractInput(title="Two", value="1")
    )
    with pytest.raises(ValidationError) as caught:
        update_contract(
            sessions,
            actor=team.staff,
            contract_id=second.id,
            version=second.version,
            data=ContractInput(title="Two", value="1", code=first.code),
        )
    assert caught.value.fields["code"][0] == "validation.code_taken"


def test_a_payment_cannot_be_paid_in_the_future(sessions: Sessions, team: Team, customer_id: int) -> None:
    contract = add_contract(
        sessions, actor=team.staff, customer_id=customer_id, data=ContractInput(title="Deal", value="100")
    )
    with pytest.raises(ValidationError) as caught:
        add_payment(
            sessions,
            actor=team.staff,
            contract_id=contract.id,
            data=PaymentInput(due_date=YESTERDAY, amount="100", paid_date=TOMORROW, paid_amount="100"),
        )
    assert caught.value.fields["paid_date"][0] == "validation.future_date"
