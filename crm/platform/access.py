"""Who may read, edit and see the contact details of which customers (DOMAIN.md section 7)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, String, cast, select
from sqlalchemy.orm import Session

from crm.platform.errors import NotFound, PermissionDenied
from crm.platform.permissions import Actor, allowed, require
from crm.platform.settings import get_setting
from db.models import Customer, Setting

STAFF_MAY_READ = "staff_can_read_all"  # the setting letting staff read every customer (OPERATIONS' third column)


def masks_contacts(actor: Actor) -> bool:
    """Tell whether the actor sees phones and emails masked (viewers)."""
    return not actor.can("contacts.unmasked")


def staff_may_read(session: Session) -> bool:
    """Tell whether the settings let staff read every customer."""
    return bool(get_setting(session, STAFF_MAY_READ))


def permits(session: Session, actor: Actor, operation: str, *, owner_id: int | None) -> bool:
    """Tell whether the actor may do the operation on a record of a customer with this owner (OPERATIONS).

    The setting is read only when it decides (staff on someone else's customer), so other roles' reads cost
    no statement more.
    """
    own = actor.id is not None and owner_id == actor.id
    if allowed(actor, operation, own=own, staff_may_read=False):
        return True
    if own or not allowed(actor, operation, own=False, staff_may_read=True):
        return False
    return staff_may_read(session)


def visibility(session: Session, actor: Actor) -> list[ColumnElement[bool]]:
    """Return the WHERE conditions limiting customers to those the actor may read."""
    require(actor, "customers.view")
    if allowed(actor, "customers.view", own=False, staff_may_read=False):
        return []
    if allowed(actor, "customers.view", own=False, staff_may_read=True) and staff_may_read(session):
        return []
    return [Customer.owner_id == actor.id]


def reads_all(session: Session, actor: Actor) -> bool:
    """Tell whether the actor may read every customer (else only their own, as visibility() says)."""
    return not visibility(session, actor)


def can_edit(actor: Actor, owner_id: int | None) -> bool:
    """Tell whether the actor may change a customer with this owner (and its contacts, orders, contracts)."""
    own = actor.id is not None and owner_id == actor.id
    return allowed(actor, "customers.edit", own=own, staff_may_read=False)


def can_read(session: Session, actor: Actor, owner_id: int | None) -> bool:
    """Tell whether the actor may read a customer with this owner."""
    require(actor, "customers.view")
    return permits(session, actor, "customers.view", owner_id=owner_id)


def load_readable(session: Session, actor: Actor, customer_id: int) -> Customer:
    """Return the customer if it exists and the actor may read it."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(entity="customers", id=customer_id)
    if not can_read(session, actor, customer.owner_id):
        raise PermissionDenied(permission="customers.view")
    return customer


def load_writable(session: Session, actor: Actor, customer_id: int, *, for_update: bool = False) -> Customer:
    """Return the customer if it exists and the actor may change it; else NotFound / PermissionDenied."""
    customer = session.get(Customer, customer_id, with_for_update=for_update or None)
    if customer is None:
        raise NotFound(entity="customers", id=customer_id)
    if not can_edit(actor, customer.owner_id):
        raise PermissionDenied(permission="customers.edit_own")
    return customer


def next_code(session: Session, *, column: Any, prefix: str, counter: str, width: int = 6) -> str:
    """Return the next free code PREFIX000123 for a code column, counting in the settings table.

    The counter row is locked for the transaction, so two concurrent creations never draw the same
    code; codes written by others (imports, demo data) are skipped by the existence check.
    """
    row = session.get(Setting, counter, with_for_update=True)
    if row is None:
        number = _highest_number(session, column, prefix, width)
        row = Setting(key=counter, value=number)
        session.add(row)
    number = int(row.value or 0)
    while True:
        number += 1
        code = f"{prefix}{number:0{width}d}"
        if session.scalar(select(column).where(column == code)) is None:
            break
    row.value = number
    return code


def next_codes(session: Session, *, column: Any, prefix: str, counter: str, count: int, width: int = 6) -> list[str]:
    """Return the next `count` free codes at once, as next_code draws them one by one (for imports)."""
    if count <= 0:
        return []
    row = session.get(Setting, counter, with_for_update=True)
    if row is None:
        row = Setting(key=counter, value=_highest_number(session, column, prefix, width))
        session.add(row)
    number = int(row.value or 0)
    codes: list[str] = []
    while len(codes) < count:
        wanted = [f"{prefix}{n:0{width}d}" for n in range(number + 1, number + 1 + count - len(codes))]
        taken: set[str] = set()
        for start in range(0, len(wanted), 1000):  # codes written by others are skipped, as next_code does
            taken.update(session.scalars(select(column).where(column.in_(wanted[start : start + 1000]))))
        codes.extend(code for code in wanted if code not in taken)
        number += len(wanted)
    row.value = number
    return codes


def _highest_number(session: Session, column: Any, prefix: str, width: int) -> int:
    # Codes compare as text: take the top of the PREFIX<digits> range (index-backed), then parse.
    candidates = session.scalars(
        select(column).where(column >= f"{prefix}0", column < f"{prefix}:").order_by(column.desc()).limit(50)
    ).all()
    numbers = [int(code[len(prefix) :]) for code in candidates if code[len(prefix) :].isdigit()]
    return max(numbers, default=0)


def id_text(column: Any) -> ColumnElement[str]:
    """SQL: an integer id as text, to compare with audit_log.entity_id."""
    return cast(column, String)
