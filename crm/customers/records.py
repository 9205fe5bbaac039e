"""A customer's contacts, orders, contracts and payments: validated, versioned, audited edits and their views."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, is_dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from crm.customers.search_index import reindex_customers
from crm.follow_ups import company_today, today_for
from crm.platform.access import load_writable, masks_contacts, next_code
from crm.platform.clock import utcnow
from crm.platform.errors import NotFound, ValidationCollector
from crm.platform.masking import mask_email, mask_phone, mask_wechat
from crm.platform.permissions import Actor
from crm.platform.uow import check_version, transaction
from crm.platform.validation import TEXT_MAX as TEXT_MAX  # the one limit of Text columns, shared with imports
from crm.platform.validation import (
    check_amount,
    check_choice,
    check_email,
    check_length,
    check_not_future,
    check_phone,
    check_required,
)
from crm.platform.vocab import CONTRACT_STATUSES
from db.engine import Sessions
from db.models import Activity, Contact, Contract, ContractPayment, FollowUpTask, Order, User

CONTRACT_CODE_COUNTER = "contracts.code_counter"


def _as_dict(data: Any) -> dict[str, Any]:
    if is_dataclass(data) and not isinstance(data, type):
        return asdict(data)
    return dict(data)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _check_date(
    errors: ValidationCollector, field: str, value: Any, *, required: bool = False, not_after: dt.date | None = None
) -> dt.date | None:
    if value is None or value == "":
        if required:
            errors.add(field, "validation.required")
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            errors.add(field, "validation.date")
            return None
    if not_after is not None:
        check_not_future(errors, field, value, not_after)
    return value


# --- contacts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactInput:
    name: str = ""
    title: str | None = None
    phone: str | None = None
    email: str | None = None
    wechat: str | None = None
    is_primary: bool = False
    birthday: dt.date | None = None
    notes: str | None = None


@dataclass(frozen=True)
class ContactView:
    id: int
    customer_id: int
    name: str
    title: str | None
    phone: str | None
    email: str | None
    wechat: str | None
    is_primary: bool
    birthday: dt.date | None
    notes: str | None
    archived_at: dt.datetime | None
    version: int


def clean_contact(
    errors: ValidationCollector, data: Any, *, today: dt.date, prefix: str = "", required: bool = True
) -> dict[str, Any] | None:
    """Validate a contact's fields (errors under prefix+field); return the values to store, phone normalised.

    With required=False an entirely empty contact is no contact (None).
    """
    raw = _as_dict(data)
    values: dict[str, Any] = {
        name: _text(raw.get(name)) for name in ("name", "title", "phone", "email", "wechat", "notes")
    }
    if not required and not any(values.values()):
        return None
    check_required(errors, f"{prefix}name", values["name"], 120)
    check_length(errors, f"{prefix}title", values["title"], 120)
    check_length(errors, f"{prefix}wechat", values["wechat"], 64)
    check_length(errors, f"{prefix}notes", values["notes"], TEXT_MAX)
    phone = check_phone(errors, f"{prefix}phone", values["phone"])
    values["phone"] = phone if phone is not None else values["phone"]
    email = check_email(errors, f"{prefix}email", values["email"])
    values["email"] = email.lower() if email else None
    values["birthday"] = _check_date(errors, f"{prefix}birthday", raw.get("birthday"), not_after=today)
    values["is_primary"] = bool(raw.get("is_primary", False))
    return values


def contact_model_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """The cleaned values as Contact columns (without is_primary, which the caller decides)."""
    return {k: values[k] for k in ("name", "title", "phone", "email", "wechat", "birthday", "notes")}


def _contact_view(contact: Contact, masked: bool) -> ContactView:
    return ContactView(
        id=contact.id,
        customer_id=contact.customer_id,
        name=contact.name,
        title=contact.title,
        phone=mask_phone(contact.phone) if masked else contact.phone,
        email=mask_email(contact.email) if masked else contact.email,
        wechat=mask_wechat(contact.wechat) if masked else contact.wechat,
        is_primary=contact.is_primary,
        birthday=None if masked else contact.birthday,
        notes=contact.notes,
        archived_at=contact.archived_at,
        version=contact.version,
    )


def contacts_of(
    session: Session, actor: Actor, customer_id: int, *, include_archived: bool = False
) -> list[ContactView]:
    """The customer's contacts, primary first (lower-level helper; the caller checked read access)."""
    query = select(Contact).where(Contact.customer_id == customer_id)
    if not include_archived:
        query = query.where(Contact.archived_at.is_(None))
    masked = masks_contacts(actor)
    return [
        _contact_view(c, masked)
        for c in session.scalars(
            query.order_by(Contact.archived_at.is_not(None), Contact.is_primary.desc(), Contact.name, Contact.id)
        )
    ]


def _unset_other_primaries(session: Session, customer_id: int, keep_id: int | None) -> None:
    for other in session.scalars(
        select(Contact).where(
            Contact.customer_id == customer_id, Contact.is_primary.is_(True), Contact.id != (keep_id or 0)
        )
    ):
        other.is_primary = False


def add_contact(
    sessions: Sessions,
    *,
    actor: Actor,
    customer_id: int,
    data: ContactInput | Mapping[str, Any],
    token: str | None = None,
    today: dt.date | None = None,
) -> ContactView:
    """Add a contact person to a customer the actor may edit."""
    errors = ValidationCollector()
    values = clean_contact(errors, data, today=today or today_for(sessions))
    errors.raise_if_any()
    assert values is not None
    with transaction(sessions, actor=actor, token=token, operation="contacts.create") as session:
        load_writable(session, actor, customer_id)
        has_primary = session.scalar(
            select(Contact.id)
            .where(Contact.customer_id == customer_id, Contact.is_primary.is_(True), Contact.archived_at.is_(None))
            .limit(1)
        )
        primary = values["is_primary"] or has_primary is None
        if primary:
            _unset_other_primaries(session, customer_id, None)
        contact = Contact(customer_id=customer_id, **contact_model_values(values), is_primary=primary)
        session.add(contact)
        reindex_customers(session, [customer_id])
        return _contact_view(contact, masks_contacts(actor))


def _load_contact(session: Session, actor: Actor, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(entity="contacts", id=contact_id)
    load_writable(session, actor, contact.customer_id)
    return contact


def update_contact(
    sessions: Sessions,
    *,
    actor: Actor,
    contact_id: int,
    version: int,
    data: ContactInput | Mapping[str, Any],
    token: str | None = None,
    today: dt.date | None = None,
) -> ContactView:
    """Change a contact if it is still at `version`."""
    errors = ValidationCollector()
    values = clean_contact(errors, data, today=today or today_for(sessions))
    errors.raise_if_any()
    assert values is not None
    with transaction(sessions, actor=actor, token=token, operation="contacts.update") as session:
        contact = _load_contact(session, actor, contact_id)
        check_version(session, contact, version)
        for name, value in contact_model_values(values).items():
            if getattr(contact, name) != value:
                setattr(contact, name, value)
        if values["is_primary"] and not contact.is_primary:
            _unset_other_primaries(session, contact.customer_id, contact.id)
            contact.is_primary = True
        elif not values["is_primary"] and contact.is_primary:
            contact.is_primary = False
        reindex_customers(session, [contact.customer_id])
        return _contact_view(contact, masks_contacts(actor))


def set_contact_archived(
    sessions: Sessions, *, actor: Actor, contact_id: int, version: int, archived: bool, token: str | None = None
) -> ContactView:
    """Archive a contact (or restore it)."""
    with transaction(sessions, actor=actor, token=token, operation="contacts.archive") as session:
        contact = _load_contact(session, actor, contact_id)
        check_version(session, contact, version)
        if (contact.archived_at is not None) != archived:
            contact.archived_at = utcnow() if archived else None
            if archived and contact.is_primary:
                contact.is_primary = False
        reindex_customers(session, [contact.customer_id])
        return _contact_view(contact, masks_contacts(actor))


# --- orders -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderInput:
    order_date: dt.date | None = None
    amount: Decimal | str | None = None
    product: str | None = None
    order_no: str | None = None
    currency: str = "CNY"
    notes: str | None = None


@dataclass(frozen=True)
class OrderView:
    id: int
    customer_id: int
    order_no: str | None
    order_date: dt.date
    product: str | None
    amount: Decimal
    currency: str
    notes: str | None
    archived_at: dt.datetime | None
    version: int


@dataclass(frozen=True)
class OrderTotals:
    """A customer's purchase history in figures (live orders only)."""

    count: int
    amounts: dict[str, Decimal]  # per currency
    first_date: dt.date | None
    last_date: dt.date | None
    last_12_months: dict[str, Decimal]


def _order_view(order: Order) -> OrderView:
    return OrderView(
        id=order.id,
        customer_id=order.customer_id,
        order_no=order.order_no,
        order_date=order.order_date,
        product=order.product,
        amount=order.amount,
        currency=order.currency,
        notes=order.notes,
        archived_at=order.archived_at,
        version=order.version,
    )


def clean_order(errors: ValidationCollector, data: Any, *, today: dt.date) -> dict[str, Any]:
    """Validate an order's fields; return the values to store."""
    raw = _as_dict(data)
    values: dict[str, Any] = {
        "order_no": _text(raw.get("order_no")),
        "product": _text(raw.get("product")),
        "notes": _text(raw.get("notes")),
        "currency": (_text(raw.get("currency")) or "CNY").upper(),
    }
    values["order_date"] = _check_date(errors, "order_date", raw.get("order_date"), required=True, not_after=today)
    values["amount"] = check_amount(errors, "amount", raw.get("amount"))
    check_length(errors, "order_no", values["order_no"], 40)
    check_length(errors, "product", values["product"], 120)
    check_length(errors, "notes", values["notes"], TEXT_MAX)
    if len(values["currency"]) != 3 or not values["currency"].isalpha():
        errors.add("currency", "records.validation.currency")
    return values


def _check_order_no_free(
    session: Session, errors: ValidationCollector, order_no: str | None, order_id: int | None
) -> None:
    if order_no:
        taken = session.scalar(select(Order.id).where(Order.order_no == order_no))
        if taken is not None and taken != order_id:
            errors.add("order_no", "validation.code_taken")


def orders_of(
    session: Session, customer_id: int, *, limit: int = 50, include_archived: bool = False
) -> list[OrderView]:
    """The customer's latest orders, newest first (lower-level helper)."""
    query = select(Order).where(Order.customer_id == customer_id)
    if not include_archived:
        query = query.where(Order.archived_at.is_(None))
    return [
        _order_view(o) for o in session.scalars(query.order_by(Order.order_date.desc(), Order.id.desc()).limit(limit))
    ]


def order_totals_of(session: Session, customer_id: int, *, today: dt.date) -> OrderTotals:
    """Count, sums per currency and first/last dates of the customer's live orders, in one query."""
    year_ago = today - dt.timedelta(days=365)
    rows = session.execute(
        select(
            Order.currency,
            func.count(),
            func.sum(Order.amount),
            func.min(Order.order_date),
            func.max(Order.order_date),
            func.sum(_when(Order.order_date > year_ago, Order.amount)),
        )
        .where(Order.customer_id == customer_id, Order.archived_at.is_(None))
        .group_by(Order.currency)
    ).all()
    return OrderTotals(
        count=sum(r[1] for r in rows),
        amounts={r[0]: Decimal(r[2] or 0) for r in rows},
        first_date=min((r[3] for r in rows if r[3]), default=None),
        last_date=max((r[4] for r in rows if r[4]), default=None),
        last_12_months={r[0]: Decimal(r[5] or 0) for r in rows},
    )


def _when(condition: Any, value: Any) -> Any:
    return case((condition, value), else_=0)


def add_order(
    sessions: Sessions,
    *,
    actor: Actor,
    customer_id: int,
    data: OrderInput | Mapping[str, Any],
    token: str | None = None,
    today: dt.date | None = None,
) -> OrderView:
    """Record an order of a customer the actor may edit."""
    errors = ValidationCollector()
    values = clean_order(errors, data, today=today or today_for(sessions))
    with transaction(sessions, actor=actor, token=token, operation="orders.create") as session:
        load_writable(session, actor, customer_id)
        _check_order_no_free(session, errors, values["order_no"], None)
        errors.raise_if_any()
        order = Order(customer_id=customer_id, **values)
        session.add(order)
        session.flush()
        return _order_view(order)


def _load_order(session: Session, actor: Actor, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(entity="orders", id=order_id)
    load_writable(session, actor, order.customer_id)
    return order


def update_order(
    sessions: Sessions,
    *,
    actor: Actor,
    order_id: int,
    version: int,
    data: OrderInput | Mapping[str, Any],
    token: str | None = None,
    today: dt.date | None = None,
) -> OrderView:
    """Change an order if it is still at `version`."""
    errors = ValidationCollector()
    values = clean_order(errors, data, today=today or today_for(sessions))
    with transaction(sessions, actor=actor, token=token, operation="orders.update") as session:
        order = _load_order(session, actor, order_id)
        check_version(session, order, version)
        _check_order_no_free(session, errors, values["order_no"], order.id)
        errors.raise_if_any()
        for name, value in values.items():
            if getattr(order, name) != value:
                setattr(order, name, value)
        session.flush()
        return _order_view(order)


def set_order_archived(
    sessions: Sessions, *, actor: Actor, order_id: int, version: int, archived: bool, token: str | None = None
) -> OrderView:
    """Archive an order entered by mistake (or restore it)."""
    with transaction(sessions, actor=actor, token=token, operation="orders.archive") as session:
        order = _load_order(session, actor, order_id)
        check_version(session, order, version)
        if (order.archived_at is not None) != archived:
            order.archived_at = utcnow() if archived else None
        session.flush()
        return _order_view(order)


# --- contracts and payments -------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractInput:
    title: str = ""
    value: Decimal | str | None = None
    code: str = ""  # empty: the next HT<year>-000123 is drawn
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    status: str = "draft"
    payment_terms: str | None = None


@dataclass(frozen=True)
class PaymentInput:
    due_date: dt.date | None = None
    amount: Decimal | str | None = None
    paid_date: dt.date | None = None
    paid_amount: Decimal | str | None = None


@dataclass(frozen=True)
class PaymentView:
    id: int
    contract_id: int
    due_date: dt.date
    amount: Decimal
    paid_date: dt.date | None
    paid_amount: Decimal | None
    archived_at: dt.datetime | None
    version: int
    overdue: bool


@dataclass(frozen=True)
class ContractView:
    id: int
    customer_id: int
    code: str
    title: str
    start_date: dt.date | None
    end_date: dt.date | None
    value: Decimal
    status: str
    payment_terms: str | None
    archived_at: dt.datetime | None
    version: int
    payments: tuple[PaymentView, ...]
    paid: Decimal
    outstanding: Decimal


def _payment_view(payment: ContractPayment, today: dt.date) -> PaymentView:
    return PaymentView(
        id=payment.id,
        contract_id=payment.contract_id,
        due_date=payment.due_date,
        amount=payment.amount,
        paid_date=payment.paid_date,
        paid_amount=payment.paid_amount,
        archived_at=payment.archived_at,
        version=payment.version,
        overdue=payment.paid_date is None and payment.due_date < today,
    )


def _contract_view(contract: Contract, payments: list[ContractPayment], today: dt.date) -> ContractView:
    live = [p for p in payments if p.archived_at is None]
    paid = sum((p.paid_amount or (p.amount if p.paid_date else Decimal(0)) for p in live), Decimal(0))
    return ContractView(
        id=contract.id,
        customer_id=contract.customer_id,
        code=contract.code,
        title=contract.title,
        start_date=contract.start_date,
        end_date=contract.end_date,
        value=contract.value,
        status=contract.status,
        payment_terms=contract.payment_terms,
        archived_at=contract.archived_at,
        version=contract.version,
        payments=tuple(_payment_view(p, today) for p in live),
        paid=paid,
        outstanding=max(Decimal(0), contract.value - paid),
    )


def contracts_of(
    session: Session, customer_id: int, *, today: dt.date, include_archived: bool = False, limit: int = 200
) -> list[ContractView]:
    """The customer's contracts with their payments, newest first, in two queries (lower-level helper)."""
    query = select(Contract).where(Contract.customer_id == customer_id)
    if not include_archived:
        query = query.where(Contract.archived_at.is_(None))
    contracts = list(session.scalars(query.order_by(Contract.start_date.desc(), Contract.id.desc()).limit(limit)))
    payments: dict[int, list[ContractPayment]] = {}
    if contracts:
        for payment in session.scalars(
            select(ContractPayment)
            .where(ContractPayment.contract_id.in_([c.id for c in contracts]))
            .order_by(ContractPayment.due_date, ContractPayment.id)
        ):
            payments.setdefault(payment.contract_id, []).append(payment)
    return [_contract_view(c, payments.get(c.id, []), today) for c in contracts]


def clean_contract(errors: ValidationCollector, data: Any) -> dict[str, Any]:
    """Validate a contract's fields; return the values to store."""
    raw = _as_dict(data)
    values: dict[str, Any] = {
        "title": _text(raw.get("title")),
        "code": _text(raw.get("code")),
        "payment_terms": _text(raw.get("payment_terms")),
        "status": _text(raw.get("status")) or "draft",
    }
    check_required(errors, "title", values["title"], 200)
    if values["code"]:
        check_length(errors, "code", values["code"], 40)
    check_length(errors, "payment_terms", values["payment_terms"], 200)
    check_choice(errors, "status", values["status"], CONTRACT_STATUSES, required=True)
    values["start_date"] = _check_date(errors, "start_date", raw.get("start_date"))
    values["end_date"] = _check_date(errors, "end_date", raw.get("end_date"))
    if values["start_date"] and values["end_date"] and values["end_date"] < values["start_date"]:
        errors.add("end_date", "records.validation.end_before_start")
    values["value"] = check_amount(errors, "value", raw.get("value"))
    return values


def _check_contract_code_free(
    session: Session, errors: ValidationCollector, code: str | None, contract_id: int | None
) -> None:
    if code and "code" not in errors.fields:
        taken = session.scalar(select(Contract.id).where(Contract.code == code))
        if taken is not None and taken != contract_id:
            errors.add("code", "validation.code_taken")


def add_contract(
    sessions: Sessions,
    *,
    actor: Actor,
    customer_id: int,
    data: ContractInput | Mapping[str, Any],
    token: str | None = None,
    today: dt.date | None = None,
) -> ContractView:
    """Record a contract (合作协议) of a customer the actor may edit."""
    today = today or today_for(sessions)
    errors = ValidationCollector()
    values = clean_contract(errors, data)
    with transaction(sessions, actor=actor, token=token, operation="contracts.create") as session:
        load_writable(session, actor, customer_id)
        _check_contract_code_free(session, errors, values["code"], None)
        errors.raise_if_any()
        if not values["code"]:
            values["code"] = next_code(
                session,
                column=Contract.code,
                prefix=f"HT{today.year}-",
                counter=f"{CONTRACT_CODE_COUNTER}.{today.year}",
            )
        contract = Contract(customer_id=customer_id, **values)
        session.add(contract)
        session.flush()
        return _contract_view(contract, [], today)


def _load_contract(session: Session, actor: Actor, contract_id: int) -> Contract:
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise NotFound(entity="contracts", id=contract_id)
    load_writable(session, actor, contract.customer_id)
    return contract


def _payments(session: Session, contract_id: int) -> list[ContractPayment]:
    return list(
        session.scalars(
            select(ContractPayment)
            .where(ContractPayment.contract_id == contract_id)
            .order_by(ContractPayment.due_date, ContractPayment.id)
        )
    )


def update_contract(
    sessions: Sessions,
    *,
    actor: Actor,
    contract_id: int,
    version: int,
    data: ContractInput | Mapping[str, Any],
    token: str | None = None,
    today: dt.date | None = None,
) -> ContractView:
    """Change a contract if it is still at `version`."""
    today = today or today_for(sessions)
    errors = ValidationCollector()
    values = clean_contract(errors, data)
    if not values["code"]:
        errors.add("code", "validation.required")
    with transaction(sessions, actor=actor, token=token, operation="contracts.update") as session:
        contract = _load_contract(session, actor, contract_id)
        check_version(session, contract, version)
        _check_contract_code_free(session, errors, values["code"], contract.id)
        errors.raise_if_any()
        for name, value in values.items():
            if getattr(contract, name) != value:
                setattr(contract, name, value)
        session.flush()
        return _contract_view(contract, _payments(session, contract.id), today)


def set_contract_archived(
    sessions: Sessions,
    *,
    actor: Actor,
    contract_id: int,
    version: int,
    archived: bool,
    token: str | None = None,
    today: dt.date | None = None,
) -> ContractView:
    """Archive a contract entered by mistake (or restore it)."""
    with transaction(sessions, actor=actor, token=token, operation="contracts.archive") as session:
        contract = _load_contract(session, actor, contract_id)
        check_version(session, contract, version)
        if (contract.archived_at is not None) != archived:
            contract.archived_at = utcnow() if archived else None
        session.flush()
        return _contract_view(contract, _payments(session, contract.id), today or company_today(session))


def clean_payment(errors: ValidationCollector, data: Any, *, today: dt.date) -> dict[str, Any]:
    """Validate a payment's fields; return the values to store."""
    raw = _as_dict(data)
    values: dict[str, Any] = {
        "due_date": _check_date(errors, "due_date", raw.get("due_date"), required=True),
        "amount": check_amount(errors, "amount", raw.get("amount")),
        "paid_date": _check_date(errors, "paid_date", raw.get("paid_date"), not_after=today),
        "paid_amount": check_amount(errors, "paid_amount", raw.get("paid_amount"), required=False),
    }
    if values["paid_amount"] is not None and values["paid_date"] is None:
        errors.add("paid_date", "validation.required")
    return values


def add_payment(
    sessions: Sessions,
    *,
    actor: Actor,
    contract_id: int,
    data: PaymentInput | Mapping[str, Any],
    token: str | None = None,
    today: dt.date | None = None,
) -> PaymentView:
    """Add a scheduled payment (due date, amount; paid date once paid) to a contract."""
    today = today or today_for(sessions)
    errors = ValidationCollector()
    values = clean_payment(errors, data, today=today)
    errors.raise_if_any()
    with transaction(sessions, actor=actor, token=token, operation="contract_payments.create") as session:
        _load_contract(session, actor, contract_id)
        payment = ContractPayment(contract_id=contract_id, **values)
        session.add(payment)
        session.flush()
        return _payment_view(payment, today)


def _load_payment(session: Session, actor: Actor, payment_id: int) -> ContractPayment:
    payment = session.get(ContractPayment, payment_id)
    if payment is None:
        raise NotFound(entity="contract_payments", id=payment_id)
    _load_contract(session, actor, payment.contract_id)
    return payment


def update_payment(
    sessions: Sessions,
    *,
    actor: Actor,
    payment_id: int,
    version: int,
    data: PaymentInput | Mapping[str, Any],
    token: str | None = None,
    today: dt.date | None = None,
) -> PaymentView:
    """Change a payment (typically: record that it was paid) if it is still at `version`."""
    today = today or today_for(sessions)
    errors = ValidationCollector()
    values = clean_payment(errors, data, today=today)
    errors.raise_if_any()
    with transaction(sessions, actor=actor, token=token, operation="contract_payments.update") as session:
        payment = _load_payment(session, actor, payment_id)
        check_version(session, payment, version)
        for name, value in values.items():
            if getattr(payment, name) != value:
                setattr(payment, name, value)
        session.flush()
        return _payment_view(payment, today)


# --- follow-ups, read only (the follow-up feature owns their editing) -------------------------------


@dataclass(frozen=True)
class TaskView:
    id: int
    due_at: dt.datetime
    purpose: str
    priority: str
    channel: str | None
    note: str | None
    owner_name: str | None
    overdue: bool


@dataclass(frozen=True)
class ActivityView:
    id: int
    occurred_at: dt.datetime
    channel: str
    summary: str
    outcome: str | None
    next_step: str | None
    owner_name: str | None


def open_tasks_of(session: Session, customer_id: int, *, now: dt.datetime, limit: int = 20) -> list[TaskView]:
    """The customer's open follow-up tasks, soonest due first (lower-level helper)."""
    rows = session.execute(
        select(FollowUpTask, User.display_name)
        .outerjoin(User, User.id == FollowUpTask.owner_id)
        .where(
            FollowUpTask.customer_id == customer_id, FollowUpTask.status == "open", FollowUpTask.archived_at.is_(None)
        )
        .order_by(FollowUpTask.due_at, FollowUpTask.id)
        .limit(limit)
    ).all()
    return [
        TaskView(
            id=t.id,
            due_at=t.due_at,
            purpose=t.purpose,
            priority=t.priority,
            channel=t.channel,
            note=t.note,
            owner_name=name,
            overdue=t.due_at < now,
        )
        for t, name in rows
    ]


def recent_activities_of(session: Session, customer_id: int, *, limit: int = 20) -> list[ActivityView]:
    """The customer's latest logged contacts, newest first (lower-level helper)."""
    rows = session.execute(
        select(Activity, User.display_name)
        .outerjoin(User, User.id == Activity.owner_id)
        .where(Activity.customer_id == customer_id, Activity.archived_at.is_(None))
        .order_by(Activity.occurred_at.desc(), Activity.id.desc())
        .limit(limit)
    ).all()
    return [
        ActivityView(
            id=a.id,
            occurred_at=a.occurred_at,
            channel=a.channel,
            summary=a.summary,
            outcome=a.outcome,
            next_step=a.next_step,
            owner_name=name,
        )
        for a, name in rows
    ]
