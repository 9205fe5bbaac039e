"""Amounts have a maximum every order-creating path enforces, and every column holding a sum has room for them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, update

from crm.classification.rfm import size_classes
from crm.classification.service import recompute
from crm.customers.records import add_contract, add_order, add_payment
from crm.exchange.imports import import_file
from crm.platform.errors import ValidationError
from crm.platform.i18n import t
from crm.platform.permissions import SYSTEM, Actor
from crm.platform.users import create_user
from crm.platform.validation import MAX_AMOUNT, parse_amount
from db.engine import Sessions, compare_column_types
from db.models import MAX_ORDERS, MONEY_SUM_DIGITS, Base, Customer, KpiTarget
from tests.crm.classification.classification_data import add_customer

TODAY = dt.date(2024, 6, 30)
TOO_MUCH = str(MAX_AMOUNT + Decimal("0.01"))


@pytest.fixture
def manager(sessions: Sessions) -> Actor:
    return create_user(
        sessions, actor=SYSTEM, username="boss", display_name="Boss", password="boss-pass-123", role="manager"
    ).as_actor()


def _import(sessions: Sessions, actor: Actor, kind: str, text: str):  # type: ignore[no-untyped-def]
    return import_file(sessions, actor=actor, kind=kind, filename="file.csv", data=text.encode("utf-8"), today=TODAY)


def test_two_large_orders_are_classified_and_later_imports_still_work(sessions: Sessions, manager: Actor) -> None:
    """Two valid orders of 600,000,000,000 sum past the old Numeric(14, 2): the import and classify still run."""
    _import(sessions, manager, "customers", "code,name\nA1,Alpha\nB1,Beta\n")
    report = _import(
        sessions,
        manager,
        "orders",
        "customer_code,order_date,amount\nA1,2024-01-05,600000000000\nA1,2024-01-06,600000000000\n",
    )
    assert report.counts == {"orders.created": 2}
    recompute(sessions, actor=SYSTEM, as_of=TODAY)
    later = _import(sessions, manager, "orders", "customer_code,order_date,amount\nB1,2024-01-07,10\n")
    assert later.counts == {"orders.created": 1}
    with sessions.read() as session:
        monetary = session.scalar(select(Customer.rfm_monetary).where(Customer.code == "A1"))
    assert Decimal(str(monetary)) == Decimal("1200000000000.00")


def test_sum_columns_hold_the_largest_amount_times_the_most_orders(sessions: Sessions) -> None:
    customer_id = add_customer(sessions, "C1")
    largest = MAX_AMOUNT * MAX_ORDERS
    assert len(str(largest.quantize(Decimal(1)))) <= MONEY_SUM_DIGITS - 2
    with sessions.begin() as session:
        session.execute(update(Customer).where(Customer.id == customer_id).values(rfm_monetary=largest))
        session.add(KpiTarget(kpi="revenue", period="2024-06", target=largest))
    with sessions.read() as session:
        stored = session.scalar(select(Customer.rfm_monetary).where(Customer.id == customer_id))
        target = session.scalar(select(KpiTarget.target))
    if sessions.dialect != "sqlite":  # SQLite keeps numbers as 8-byte floats, of any size
        assert Decimal(str(stored)) == largest
        assert Decimal(str(target)) == largest


def test_an_amount_above_the_maximum_is_refused_by_the_import(sessions: Sessions, manager: Actor) -> None:
    _import(sessions, manager, "customers", "code,name\nA1,Alpha\n")
    report = _import(
        sessions,
        manager,
        "orders",
        f"customer_code,order_date,amount\nA1,2024-01-05,{TOO_MUCH}\nA1,2024-01-06,{MAX_AMOUNT}\n",
    )
    assert report.counts == {"orders.created": 1}
    assert [issue.field for issue in report.issues] == ["amount"]


def test_an_amount_above_the_maximum_is_refused_by_orders_contracts_and_payments(
    sessions: Sessions, manager: Actor
) -> None:
    customer_id = add_customer(sessions, "C1")
    with pytest.raises(ValidationError) as refused:
        add_order(
            sessions,
            actor=manager,
            customer_id=customer_id,
            today=TODAY,
            data={"order_date": TODAY, "amount": TOO_MUCH},
        )
    assert refused.value.fields["amount"] == ("validation.amount", {})
    with pytest.raises(ValidationError) as refused:
        add_contract(
            sessions, actor=manager, customer_id=customer_id, today=TODAY, data={"title": "Big", "value": TOO_MUCH}
        )
    assert refused.value.fields["value"][0] == "validation.amount"
    contract = add_contract(
        sessions, actor=manager, customer_id=customer_id, today=TODAY, data={"title": "Big", "value": str(MAX_AMOUNT)}
    )
    with pytest.raises(ValidationError) as refused:
        add_payment(
            sessions, actor=manager, contract_id=contract.id, today=TODAY, data={"due_date": TODAY, "amount": TOO_MUCH}
        )
    assert refused.value.fields["amount"][0] == "validation.amount"


def test_the_maximum_itself_is_a_valid_amount_and_the_refusal_names_it() -> None:
    assert parse_amount("999,999,999,999.99") == MAX_AMOUNT
    assert parse_amount(TOO_MUCH) is None
    assert "999,999,999,999.99" in t("validation.amount", "en")
    assert "999,999,999,999.99" in t("validation.amount", "zh")


def test_size_classes_add_up_revenues_past_the_range_of_64_bit_integers() -> None:
    """The whole base's revenue may pass 2**63 cents: the key accounts are still the first 80 % exactly."""
    frame = pd.DataFrame({"code": ["A", "B", "C"], "total_cents": [4 * 10**18, 4 * 10**18, 2 * 10**18]})
    size, preceding, facts = size_classes(frame, 80.0)
    assert list(size) == ["key", "key", "small"]
    assert facts["total_revenue_cents"] == 10 * 10**18
    assert list(preceding) == [0.0, 0.4, 0.8]


def test_migrations_give_sum_columns_their_room_and_sqlite_no_spurious_difference(engine: Engine) -> None:
    with engine.connect() as connection:
        columns = {
            (table, column["name"]): column["type"]
            for table in ("customers", "kpi_targets")
            for column in inspect(connection).get_columns(table)
        }
        context = MigrationContext.configure(connection, opts={"compare_type": compare_column_types})
        modified = [
            d
            for d in compare_metadata(context, Base.metadata)
            if isinstance(d, list) and d[0][0] == "modify_type" and d[0][3] in ("rfm_monetary", "target")
        ]
    assert modified == []
    if engine.dialect.name != "sqlite":
        assert columns[("customers", "rfm_monetary")].precision == MONEY_SUM_DIGITS
        assert columns[("kpi_targets", "target")].precision == MONEY_SUM_DIGITS + 2
