"""Small builders for the classification tests: customers, orders, ledger events and complaints by Core inserts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import insert, select

from crm.platform.permissions import Actor
from crm.platform.rollups import added, moving
from crm.platform.users import create_user
from db.engine import Sessions
from db.models import Complaint, CreditEvent, Customer, Order, utcnow

AS_OF = dt.date(2026, 6, 30)


def days_before(days: int, as_of: dt.date = AS_OF) -> dt.date:
    return as_of - dt.timedelta(days=days)


def add_customer(
    sessions: Sessions,
    code: str,
    *,
    owner_id: int | None = None,
    stage: str = "signed",
    name: str | None = None,
    **extra: object,
) -> int:
    """Insert a live customer and return its id."""
    now = utcnow()
    with sessions.begin() as session:
        result = session.execute(
            insert(Customer).values(
                code=code,
                name=name or f"Customer {code}",
                name_key=(name or code).lower(),
                customer_type="company",
                lifecycle_stage=stage,
                owner_id=owner_id,
                share_consent=False,
                version=1,
                created_at=now,
                updated_at=now,
                **extra,
            )
        )
        customer_id = int(result.inserted_primary_key[0])
        added(session.connection(), [customer_id])  # the KPI rollups, as the app's ORM writes keep them
        return customer_id


def add_orders(sessions: Sessions, customer_id: int, orders: Iterable[tuple[dt.date, str | Decimal]]) -> None:
    now = utcnow()
    rows = [
        {
            "customer_id": customer_id,
            "order_date": day,
            "amount": Decimal(str(amount)),
            "currency": "CNY",
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for day, amount in orders
    ]
    if rows:
        with sessions.begin() as session, moving(session.connection(), [customer_id]):
            session.execute(insert(Order), rows)


def add_buyer(
    sessions: Sessions,
    code: str,
    *,
    recency: int,
    count: int,
    total: str,
    first: int | None = None,
    owner_id: int | None = None,
    as_of: dt.date = AS_OF,
) -> int:
    """A customer with `count` orders summing to `total`: the last `recency` days before as_of, the first `first`."""
    customer_id = add_customer(sessions, code, owner_id=owner_id)
    first = recency if first is None else first
    amount = Decimal(total)
    each = (amount / count).quantize(Decimal("0.01"))
    amounts = [each] * (count - 1) + [amount - each * (count - 1)]
    days = [first] + [recency] * (count - 1) if count > 1 else [recency]
    add_orders(sessions, customer_id, [(days_before(d, as_of), a) for d, a in zip(days, amounts, strict=True)])
    return customer_id


def add_credit_event(
    sessions: Sessions,
    customer_id: int,
    *,
    day: dt.date,
    weight: str,
    kind: str = "late_payment",
    archived: bool = False,
) -> None:
    now = utcnow()
    with sessions.begin() as session:
        session.execute(
            insert(CreditEvent).values(
                customer_id=customer_id,
                event_date=day,
                kind=kind,
                weight=Decimal(weight),
                days_late=10,
                version=1,
                created_at=now,
                updated_at=now,
                archived_at=now if archived else None,
            )
        )


def add_complaint(
    sessions: Sessions, customer_id: int, *, day: dt.date, severity: str, status: str = "new", code: str | None = None
) -> None:
    now = utcnow()
    received = dt.datetime.combine(day, dt.time(10), dt.UTC)
    with sessions.begin() as session:
        count = len(session.scalars(select(Complaint.id)).all())
        session.execute(
            insert(Complaint).values(
                code=code or f"TS{count + 1:05d}",
                customer_id=customer_id,
                channel="phone",
                received_at=received,
                description="Broken",
                severity=severity,
                status=status,
                paused_seconds=0,
                reopen_count=0,
                escalated=False,
                version=1,
                created_at=now,
                updated_at=now,
            )
        )


def make_user(sessions: Sessions, username: str, role: str) -> Actor:
    return create_user(
        sessions,
        actor=_system(),
        username=username,
        display_name=username.title(),
        password="secret-password-1",
        role=role,
    ).as_actor()


def _system() -> Actor:
    from crm.platform.permissions import SYSTEM

    return SYSTEM


def cached(sessions: Sessions, customer_id: int) -> dict[str, object]:
    """Return the cached class columns of a customer."""
    with sessions.read() as session:
        row = session.execute(
            select(
                Customer.value_tier,
                Customer.size_class,
                Customer.relationship,
                Customer.credit_risk,
                Customer.rfm_recency_days,
                Customer.rfm_frequency,
                Customer.rfm_monetary,
                Customer.rfm_r,
                Customer.rfm_f,
                Customer.rfm_m,
            ).where(Customer.id == customer_id)
        ).one()
    return dict(row._mapping)
