"""Duplicate customers: finding candidates by folded name, phone or email, and merging two into one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from crm.customers.search_index import reindex_customers
from crm.follow_ups import apply_changes
from crm.platform.access import load_readable, masks_contacts, reads_all
from crm.platform.audit import audit_row, write_audit
from crm.platform.clock import utcnow
from crm.platform.errors import CrmError, NotFound, ValidationCollector
from crm.platform.names import normalise_name
from crm.platform.permissions import Actor, require
from crm.platform.rollups import moving
from crm.platform.uow import check_version, transaction
from crm.platform.validation import normalise_phone
from db.engine import Sessions
from db.models import (
    Activity,
    Complaint,
    Contact,
    Contract,
    CreditEvent,
    Customer,
    CustomerTag,
    FollowUpTask,
    Inquiry,
    KeyDate,
    Order,
    Suggestion,
    SurveyResponse,
    User,
    Versioned,
)

MAX_CANDIDATES = 10


@dataclass(frozen=True)
class DuplicateCandidate:
    """A live customer that looks like the same one, and on what it matched (name / phone / email).

    `hidden`: the actor may not read that customer, so only "a likely duplicate exists, owned by X" is told
    (code and name are empty, id is 0).
    """

    id: int
    code: str
    name: str
    owner_name: str | None
    matched_on: tuple[str, ...]
    hidden: bool = False


class DuplicatesFound(CrmError):
    """Creating would make a likely duplicate; `candidates` lists the existing customers it resembles."""

    key = "customers.duplicates_found"

    def __init__(self, candidates: Sequence[DuplicateCandidate]) -> None:
        self.candidates = list(candidates)
        shown = [c for c in self.candidates if not c.hidden]
        if len(shown) < len(self.candidates):  # name the owners of the ones the actor may not read, nothing else
            self.key = "customers.duplicates_found_hidden"
            owners = sorted({c.owner_name or "—" for c in self.candidates if c.hidden})
            super().__init__(
                self.key,
                count=len(self.candidates),
                owners=", ".join(owners),
                names=", ".join(f"{c.code} {c.name}" for c in shown) or "—",
            )
            return
        super().__init__(
            self.key, count=len(self.candidates), names=", ".join(f"{c.code} {c.name}" for c in self.candidates)
        )


def phone_variants(phone: str) -> list[str]:
    """Return the spellings under which the same number may be stored (for indexed exact lookups)."""
    raw = phone.strip()
    canonical = normalise_phone(raw)
    variants = {raw}
    if canonical:
        variants.add(canonical)
        if len(canonical) == 11 and canonical.startswith("1"):  # mainland mobile
            spaced = f"{canonical[:3]} {canonical[3:7]} {canonical[7:]}"
            dashed = f"{canonical[:3]}-{canonical[3:7]}-{canonical[7:]}"
            variants.update({f"+86 {canonical}", f"+86{canonical}", f"+86 {spaced}", spaced, dashed})
        elif canonical.startswith("0") and "-" in canonical:  # mainland landline 010-12345678
            area, number = canonical.split("-", 1)
            variants.update({area + number, f"{area} {number}", f"+86 {area[1:]} {number}", f"+86{area[1:]}{number}"})
    return sorted(v for v in variants if v)


def duplicates_in_session(
    session: Session,
    *,
    name: str | None = None,
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    exclude_id: int | None = None,
    limit: int = MAX_CANDIDATES,
    actor: Actor | None = None,
) -> list[DuplicateCandidate]:
    """Find live customers matching the folded name, a phone or an email (lower-level helper, one query).

    With an actor, only what they may see: an actor who sees contacts masked (a viewer) is matched on the name
    alone (a phone or an email must not tell them whose it is), and a customer they may not read comes back
    hidden (crm.platform.access.reads_all).
    """
    if actor is not None and masks_contacts(actor):
        phones, emails = (), ()
    key = normalise_name(name or "")[:200]
    phone_list = sorted({v for p in phones if p and p.strip() for v in phone_variants(p)})
    email_list = sorted(
        {e.strip().lower() for e in emails if e and e.strip()} | {e.strip() for e in emails if e and e.strip()}
    )
    matches: list[tuple[str, Any]] = []
    if key:
        matches.append(("name", Customer.name_key == key))
    live_contacts = select(Contact.customer_id).where(Contact.archived_at.is_(None))
    if phone_list:
        matches.append(("phone", Customer.id.in_(live_contacts.where(Contact.phone.in_(phone_list)))))
    if email_list:
        matches.append(("email", Customer.id.in_(live_contacts.where(Contact.email.in_(email_list)))))
    if not matches:
        return []
    owner = aliased(User, name="owner")
    conditions = [Customer.archived_at.is_(None), or_(*(m for _, m in matches))]
    if exclude_id is not None:
        conditions.append(Customer.id != exclude_id)
    rows = session.execute(
        select(
            Customer.id,
            Customer.code,
            Customer.name,
            owner.display_name,
            *(m.label(f"by_{label}") for label, m in matches),
        )
        .outerjoin(owner, owner.id == Customer.owner_id)
        .where(*conditions)
        .order_by(Customer.id)
        .limit(limit)
    ).all()
    labels = [label for label, _ in matches]
    candidates = [
        DuplicateCandidate(
            id=r[0],
            code=r[1],
            name=r[2],
            owner_name=r[3],
            matched_on=tuple(label for label, hit in zip(labels, r[4:], strict=True) if hit),
        )
        for r in rows
    ]
    if actor is None or reads_all(session, actor):
        return candidates
    owners = (
        dict(
            session.execute(
                select(Customer.id, Customer.owner_id).where(Customer.id.in_([c.id for c in candidates]))
            ).all()
        )
        if candidates
        else {}
    )
    return [
        c
        if actor.id is not None and owners.get(c.id) == actor.id
        else DuplicateCandidate(id=0, code="", name="", owner_name=c.owner_name, matched_on=c.matched_on, hidden=True)
        for c in candidates
    ]


def duplicates_in_bulk(
    session: Session,
    probes: Sequence[tuple[str | None, Sequence[str], Sequence[str]]],
    *,
    limit: int = MAX_CANDIDATES,
    chunk: int = 1000,
) -> list[list[DuplicateCandidate]]:
    """For each (name, phones, emails), the live customers duplicates_in_session would find, in a few queries.

    The same rules (folded name, a live contact's phone in any spelling, its email as typed or lower-cased),
    looked up with one IN (...) query per chunk of keys instead of one query per probe (imports of 100,000 rows).
    """
    by_key: dict[str, set[int]] = {}
    by_phone: dict[str, set[int]] = {}
    by_email: dict[str, set[int]] = {}
    for index, (name, phones, emails) in enumerate(probes):
        key = normalise_name(name or "")[:200]
        if key:
            by_key.setdefault(key, set()).add(index)
        for phone in phones:
            if phone and phone.strip():
                for variant in phone_variants(phone):
                    by_phone.setdefault(variant, set()).add(index)
        for email in emails:
            if email and email.strip():
                for spelling in {email.strip(), email.strip().lower()}:
                    by_email.setdefault(spelling, set()).add(index)
    hits: dict[int, dict[int, set[str]]] = {}  # probe -> customer id -> what matched

    def record(found: Iterable[Any], wanted: dict[str, set[int]], label: str) -> None:
        for customer_id, value in found:
            for index in wanted.get(value, ()):
                hits.setdefault(index, {}).setdefault(customer_id, set()).add(label)

    live = Customer.archived_at.is_(None)
    keys, phone_list, email_list = sorted(by_key), sorted(by_phone), sorted(by_email)
    for start in range(0, len(keys), chunk):
        record(
            session.execute(
                select(Customer.id, Customer.name_key).where(live, Customer.name_key.in_(keys[start : start + chunk]))
            ),
            by_key,
            "name",
        )
    contacts = (
        select(Contact.customer_id, Contact.phone)
        .join(Customer, Customer.id == Contact.customer_id)
        .where(live, Contact.archived_at.is_(None))
    )
    for start in range(0, len(phone_list), chunk):
        record(session.execute(contacts.where(Contact.phone.in_(phone_list[start : start + chunk]))), by_phone, "phone")
    contacts = contacts.with_only_columns(Contact.customer_id, Contact.email)
    for start in range(0, len(email_list), chunk):
        record(session.execute(contacts.where(Contact.email.in_(email_list[start : start + chunk]))), by_email, "email")
    ids = sorted({customer_id for found in hits.values() for customer_id in found})
    owner = aliased(User, name="owner")
    info: dict[int, Any] = {}
    for start in range(0, len(ids), chunk):
        for row in session.execute(
            select(Customer.id, Customer.code, Customer.name, owner.display_name)
            .outerjoin(owner, owner.id == Customer.owner_id)
            .where(Customer.id.in_(ids[start : start + chunk]))
        ):
            info[row[0]] = row
    order = ("name", "phone", "email")
    return [
        [
            DuplicateCandidate(
                id=i,
                code=info[i][1],
                name=info[i][2],
                owner_name=info[i][3],
                matched_on=tuple(label for label in order if label in found[i]),
            )
            for i in sorted(found)[:limit]
        ]
        for found in (hits.get(index, {}) for index in range(len(probes)))
    ]


def find_duplicates(
    sessions: Sessions,
    *,
    actor: Actor,
    name: str | None = None,
    phone: str | Sequence[str] | None = None,
    email: str | Sequence[str] | None = None,
    exclude_id: int | None = None,
    limit: int = MAX_CANDIDATES,
) -> list[DuplicateCandidate]:
    """Return live customers whose folded name, a contact's phone or a contact's email matches."""
    require(actor, "customers.view")
    phones = [phone] if isinstance(phone, str) else list(phone or [])
    emails = [email] if isinstance(email, str) else list(email or [])
    with sessions.read() as session:
        return duplicates_in_session(
            session, name=name, phones=phones, emails=emails, exclude_id=exclude_id, limit=limit, actor=actor
        )


def duplicates_of(
    sessions: Sessions, *, actor: Actor, customer_id: int, limit: int = MAX_CANDIDATES
) -> list[DuplicateCandidate]:
    """Return the live customers that look like this one (its name, any of its contacts' phones or emails)."""
    require(actor, "customers.view")
    with sessions.read() as session:
        name = load_readable(session, actor, customer_id).name
        contacts = session.execute(
            select(Contact.phone, Contact.email).where(
                Contact.customer_id == customer_id, Contact.archived_at.is_(None)
            )
        ).all()
        return duplicates_in_session(
            session,
            name=name,
            phones=[p for p, _ in contacts if p],
            emails=[e for _, e in contacts if e],
            exclude_id=customer_id,
            limit=limit,
            actor=actor,
        )


# --- merge ------------------------------------------------------------------------------------------

# Records that belong to the customer and follow it to the survivor. Stage and class history stay
# with the archived duplicate: they describe that record's own past.
MOVED: tuple[type[Versioned], ...] = (
    Contact,
    Order,
    Contract,
    Activity,
    FollowUpTask,
    Complaint,
    Inquiry,
    Suggestion,
    SurveyResponse,
    KeyDate,
    CreditEvent,
)
# Profile fields the survivor takes from the duplicate when it has none itself.
FILLED_FIELDS = (
    "industry",
    "region",
    "address",
    "company_size",
    "source_channel",
    "department_id",
    "needs",
    "products_in_use",
    "decision_process",
    "competitors",
    "preferences",
    "birthday",
    "first_contact_date",
    "need_type",
    "importance",
    "expected_close_date",
)


@dataclass(frozen=True)
class MergeResult:
    survivor_id: int
    duplicate_id: int
    moved: dict[str, int]  # table -> records moved
    cancelled_tasks: int  # the duplicate's open tasks the survivor already had one of the same purpose for
    filled_fields: tuple[str, ...]
    tags_added: tuple[str, ...]


def _move_rows(
    session: Session,
    actor: Actor,
    model: type[Versioned],
    ids: list[tuple[int, int]],
    *,
    survivor_id: int,
    duplicate_id: int,
    now: dt.datetime,
    extra: dict[str, Any] | None = None,
) -> None:
    table = cast(Table, model.__table__)  # type: ignore[attr-defined]
    if not ids:
        return
    values = {"customer_id": survivor_id, "version": table.c.version + 1, "updated_at": now, **(extra or {})}
    session.execute(update(table).where(table.c.id.in_([i for i, _ in ids])).values(**values))
    write_audit(
        session,
        [
            audit_row(
                actor,
                "update",
                table.name,
                record_id,
                field="customer_id",
                old=duplicate_id,
                new=survivor_id,
                version=version + 1,
            )
            for record_id, version in ids
        ],
    )


def merge_customers(
    sessions: Sessions,
    *,
    actor: Actor,
    survivor_id: int,
    duplicate_id: int,
    survivor_version: int | None = None,
    duplicate_version: int | None = None,
    token: str | None = None,
) -> MergeResult:
    """Merge the duplicate into the survivor in one audited transaction; the duplicate is archived.

    Contacts, orders, contracts, follow-ups (activities and tasks), complaints, inquiries, suggestions, surveys,
    key dates, credit events and tags move to the survivor. When both have an open task of the same
    purpose (follow_up_tasks.open_key is unique), the duplicate's is cancelled.
    """
    require(actor, "customers.merge")
    errors = ValidationCollector()
    if survivor_id == duplicate_id:
        errors.add("duplicate_id", "customers.merge.same")
        errors.raise_if_any()
    with transaction(sessions, actor=actor, token=token, operation="customers.merge") as session:
        # Lock both rows in id order, so two merges of the same pair cannot deadlock.
        locked = {
            c.id: c
            for c in session.scalars(
                select(Customer)
                .where(Customer.id.in_([survivor_id, duplicate_id]))
                .order_by(Customer.id)
                .with_for_update()
            )
        }
        survivor, duplicate = locked.get(survivor_id), locked.get(duplicate_id)
        if survivor is None or duplicate is None:
            raise NotFound(entity="customers", id=survivor_id if survivor is None else duplicate_id)
        if survivor_version is not None:
            check_version(session, survivor, survivor_version)
        if duplicate_version is not None:
            check_version(session, duplicate, duplicate_version)
        if survivor.archived_at is not None:
            errors.add("survivor_id", "customers.merge.archived")
        if duplicate.archived_at is not None:
            errors.add("duplicate_id", "customers.merge.archived")
        errors.raise_if_any()
        now = utcnow()
        moved: dict[str, int] = {}
        rekeyed, cancelled = _merge_open_tasks(
            session, actor, survivor_id=survivor_id, duplicate_id=duplicate_id, now=now
        )
        survivor_has_primary = (
            session.scalar(
                select(Contact.id)
                .where(Contact.customer_id == survivor_id, Contact.is_primary.is_(True), Contact.archived_at.is_(None))
                .limit(1)
            )
            is not None
        )
        # The orders move by Core UPDATE, past the rollups' flush listener: both customers' contributions move
        # here. Flushed first, so that no ORM change of theirs is flushed (and counted) inside the block too.
        session.flush()
        with moving(session.connection(), [survivor_id, duplicate_id]):
            for model in MOVED:
                table = cast(Table, model.__table__)  # type: ignore[attr-defined]
                ids = [
                    (r[0], r[1])
                    for r in session.execute(
                        select(table.c.id, table.c.version)
                        .where(table.c.customer_id == duplicate_id)
                        .order_by(table.c.id)
                    )
                ]
                extra = None
                if model is Contact and survivor_has_primary:
                    primaries = [
                        (r[0], r[1])
                        for r in session.execute(
                            select(Contact.id, Contact.version).where(
                                Contact.customer_id == duplicate_id, Contact.is_primary.is_(True)
                            )
                        )
                    ]
                    extra = {"is_primary": False}
                    write_audit(
                        session,
                        [
                            audit_row(
                                actor, "update", "contacts", cid, field="is_primary", old=True, new=False, version=v + 1
                            )
                            for cid, v in primaries
                        ],
                    )
                _move_rows(
                    session, actor, model, ids, survivor_id=survivor_id, duplicate_id=duplicate_id, now=now, extra=extra
                )
                moved[table.name] = len(ids) + (rekeyed + cancelled if model is FollowUpTask else 0)
        filled = []
        for name in FILLED_FIELDS:
            if getattr(survivor, name) in (None, "") and getattr(duplicate, name) not in (None, ""):
                setattr(survivor, name, getattr(duplicate, name))
                filled.append(name)
        # The cached follow-up state follows the records that moved.
        if duplicate.last_contact_at and (
            survivor.last_contact_at is None or duplicate.last_contact_at > survivor.last_contact_at
        ):
            survivor.last_contact_at = duplicate.last_contact_at
        next_due = session.scalar(
            select(func.min(FollowUpTask.due_at)).where(
                FollowUpTask.customer_id == survivor_id,
                FollowUpTask.status == "open",
                FollowUpTask.archived_at.is_(None),
            )
        )
        if next_due != survivor.next_follow_up_at:
            survivor.next_follow_up_at = next_due
        duplicate.archived_at = now
        duplicate.next_follow_up_at = None
        # The survivor changes (tags, contacts and details it gains), so its row is written even when no column of
        # its own does: one version bump, and a form opened on it before the merge is refused, naming the merge.
        survivor.updated_at = now
        session.flush()
        tags_added = _merge_tags(session, actor, survivor=survivor, duplicate=duplicate)
        reindex_customers(session, [survivor_id, duplicate_id])  # the contacts moved, and their names with them
        write_audit(
            session,
            [
                audit_row(
                    actor,
                    "merge",
                    "customers",
                    duplicate.id,
                    field="merged_into",
                    new=survivor.code,
                    version=duplicate.version,
                ),
                audit_row(
                    actor,
                    "merge",
                    "customers",
                    survivor.id,
                    field="merged_from",
                    new=duplicate.code,
                    version=survivor.version,
                ),
            ],
        )
        return MergeResult(
            survivor_id=survivor_id,
            duplicate_id=duplicate_id,
            moved=moved,
            cancelled_tasks=cancelled,
            filled_fields=tuple(filled),
            tags_added=tags_added,
        )


def _merge_open_tasks(
    session: Session, actor: Actor, *, survivor_id: int, duplicate_id: int, now: dt.datetime
) -> tuple[int, int]:
    """Move the duplicate's keyed open tasks, re-keyed or cancelled; return (re-keyed, cancelled)."""
    table = FollowUpTask.__table__
    survivor_keys = set(
        session.scalars(
            select(FollowUpTask.open_key).where(
                FollowUpTask.customer_id == survivor_id, FollowUpTask.open_key.is_not(None)
            )
        )
    )
    rekeyed = cancelled = 0
    for task_id, version, purpose, open_key, owner_id, due_at, status in session.execute(
        select(
            FollowUpTask.id,
            FollowUpTask.version,
            FollowUpTask.purpose,
            FollowUpTask.open_key,
            FollowUpTask.owner_id,
            FollowUpTask.due_at,
            FollowUpTask.status,
        )
        .where(FollowUpTask.customer_id == duplicate_id, FollowUpTask.open_key.is_not(None))
        .order_by(FollowUpTask.id)
    ).all():
        new_key = f"{survivor_id}:{purpose}"
        if new_key in survivor_keys:
            session.execute(
                update(table)
                .where(table.c.id == task_id)
                .values(
                    status="cancelled",
                    open_key=None,
                    customer_id=survivor_id,
                    version=table.c.version + 1,
                    updated_at=now,
                    reschedule_reason=f"merged into customer {survivor_id}: it already had an open {purpose} task",
                )
            )
            if status == "open":
                apply_changes(session.connection(), [(owner_id, due_at, -1)])
            write_audit(
                session,
                [
                    audit_row(
                        actor,
                        "update",
                        "follow_up_tasks",
                        task_id,
                        field="status",
                        old="open",
                        new="cancelled",
                        version=version + 1,
                    ),
                    audit_row(
                        actor,
                        "update",
                        "follow_up_tasks",
                        task_id,
                        field="open_key",
                        old=open_key,
                        new=None,
                        version=version + 1,
                    ),
                    audit_row(
                        actor,
                        "update",
                        "follow_up_tasks",
                        task_id,
                        field="customer_id",
                        old=duplicate_id,
                        new=survivor_id,
                        version=version + 1,
                    ),
                ],
            )
            cancelled += 1
        else:
            session.execute(
                update(table)
                .where(table.c.id == task_id)
                .values(open_key=new_key, customer_id=survivor_id, version=table.c.version + 1, updated_at=now)
            )
            write_audit(
                session,
                [
                    audit_row(
                        actor,
                        "update",
                        "follow_up_tasks",
                        task_id,
                        field="open_key",
                        old=open_key,
                        new=new_key,
                        version=version + 1,
                    ),
                    audit_row(
                        actor,
                        "update",
                        "follow_up_tasks",
                        task_id,
                        field="customer_id",
                        old=duplicate_id,
                        new=survivor_id,
                        version=version + 1,
                    ),
                ],
            )
            survivor_keys.add(new_key)
            rekeyed += 1
    return rekeyed, cancelled


def _merge_tags(session: Session, actor: Actor, *, survivor: Customer, duplicate: Customer) -> tuple[str, ...]:
    theirs = set(session.scalars(select(CustomerTag.tag).where(CustomerTag.customer_id == duplicate.id)))
    ours = set(session.scalars(select(CustomerTag.tag).where(CustomerTag.customer_id == survivor.id)))
    added = sorted(theirs - ours)
    if theirs:
        session.execute(delete(CustomerTag).where(CustomerTag.customer_id == duplicate.id))
        write_audit(
            session,
            [
                audit_row(
                    actor,
                    "update",
                    "customers",
                    duplicate.id,
                    field="tags",
                    old=", ".join(sorted(theirs)),
                    new=None,
                    version=duplicate.version,
                )
            ],
        )
    if added:
        session.execute(
            insert(CustomerTag), [{"customer_id": survivor.id, "tag": t, "created_at": utcnow()} for t in added]
        )
        write_audit(
            session,
            [
                audit_row(
                    actor,
                    "update",
                    "customers",
                    survivor.id,
                    field="tags",
                    old=", ".join(sorted(ours)) or None,
                    new=", ".join(sorted(ours | theirs)),
                    version=survivor.version,
                )
            ],
        )
    return tuple(added)
