"""The permission matrix, generated from crm.platform.permissions.OPERATIONS: every role x every operation x a record
of their own customer / of someone else's x staff_can_read_all off and on, each cell run through the real services
and compared with the table. A new operation cannot be added without a row saying who may do it, nor a row without
a runner here; every permission named anywhere in crm/, ui/ or pages/ is in the table.

"Own": the customer the record belongs to is owned by the actor (a viewer owning one is a staff member who was made
a viewer). "Someone else's": owned by olivia (staff), whose department the cases are routed to and who holds the
follow-ups, so nothing but the role and the setting lets the actor at them.
"""

from __future__ import annotations

import ast
import datetime as dt
import io
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from crm.classification.admin import record_credit_event, save_policies, set_override
from crm.classification.judged import set_judged
from crm.classification.reads import visible_customers
from crm.classification.service import Thresholds, preview_thresholds, recompute
from crm.complaints.departments import (
    DepartmentInput,
    archive_department,
    save_department,
    set_user_department,
)
from crm.complaints.figures import period_figures, root_causes, what_if_on_time
from crm.complaints.inquiries import (
    InquiryInput,
    answer_inquiry,
    convert_to_complaint,
    file_inquiry,
    get_inquiry,
    respond_to_inquiry,
)
from crm.complaints.intake import AttachmentInput, ComplaintInput, file_complaint
from crm.complaints.limits import Category, read_policy, save_categories, save_policy
from crm.complaints.queues import QueueFilter, complaint_queue, customer_cases
from crm.complaints.suggestions import SuggestionInput, evaluate_suggestion, get_suggestion, record_suggestion
from crm.complaints.workflow import (
    ComplaintEdits,
    add_attachments,
    add_note,
    change_severity,
    download_attachment,
    edit_complaint,
    get_complaint,
    hand_off,
    transition,
)
from crm.customers.duplicates import duplicates_of, find_duplicates, merge_customers
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
    update_order,
)
from crm.customers.search_index import reindex_customers
from crm.customers.service import (
    CustomerFilter,
    CustomerInput,
    archive_customer,
    bulk_archive,
    bulk_reassign,
    bulk_tag,
    create_customer,
    get_customer,
    get_customer_360,
    list_customers,
    pick_customers,
    restore_customer,
    update_customer,
)
from crm.customers.timeline import customer_timeline
from crm.exchange.exports import write_export
from crm.exchange.imports import import_file
from crm.follow_ups.automation import list_rules, update_rules
from crm.follow_ups.care import HolidayChanges, save_holidays
from crm.follow_ups.queues import team_overview
from crm.follow_ups.service import (
    cancel_follow_up,
    complete_follow_up,
    customer_activities,
    customer_follow_up,
    get_task,
    list_tasks,
    log_contact,
    log_context,
    plan_follow_up,
    reassign_follow_up,
    reschedule_follow_up,
)
from crm.kpis.compute import compute_kpis
from crm.kpis.periods import Period
from crm.kpis.snapshots import snapshot_month
from crm.kpis.targets import list_targets, set_target
from crm.platform import clock
from crm.platform.access import STAFF_MAY_READ
from crm.platform.audit import search_audit
from crm.platform.errors import PermissionDenied, ValidationError
from crm.platform.names import normalise_name
from crm.platform.permissions import (
    OPERATIONS,
    PERMISSIONS,
    ROLES,
    SCOPES,
    SYSTEM,
    Actor,
    allowed,
)
from crm.platform.settings import update_settings
from crm.platform.uow import transaction
from crm.platform.users import create_user, list_users, reset_password, set_active, set_role, unlock
from crm.satisfaction import DEFAULT_DIMENSIONS
from crm.satisfaction.alerts import close_alert
from crm.satisfaction.campaigns import CampaignInput, create_campaign, preview_campaign
from crm.satisfaction.imports import dry_run_import
from crm.satisfaction.responses import (
    ResponseFilters,
    ResponseInput,
    archive_response,
    customer_responses,
    list_responses,
    record_response,
    response_detail,
)
from crm.satisfaction.templates import TemplateInput, create_template, list_templates
from db.engine import Sessions
from db.models import (
    AuditLog,
    ComplaintAttachment,
    Contact,
    Customer,
    FollowUpTask,
    Order,
    SurveyResponse,
)

PROJECT_ROOT = Path(__file__).resolve().parents[3]
_numbers = itertools.count(1)
PASSWORD = "Matrix-pass-4821"


# --- the world and one cell -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    sessions: Sessions
    actors: dict[str, Actor]  # one per role
    other: Actor  # olivia, staff: owns "someone else's" customers, holds their cases and follow-ups
    spare: Actor  # sam, staff: only ever given things (a reassigned customer, a handed-off case)
    other_department_id: int
    spare_department_id: int
    template_id: int
    today: dt.date


@dataclass(frozen=True)
class Made:
    """A customer made for one cell, with its primary contact's details."""

    id: int
    code: str
    name: str
    contact_id: int
    phone: str
    email: str


def make_user(sessions: Sessions, username: str, role: str) -> Actor:
    return create_user(
        sessions, actor=SYSTEM, username=username, display_name=username.title(), password=PASSWORD, role=role
    ).as_actor()


def make_world(sessions: Sessions) -> World:
    actors = {role: make_user(sessions, f"{role}1", role) for role in ROLES}
    other = make_user(sessions, "olivia", "staff")
    spare = make_user(sessions, "sam", "staff")
    other_department = save_department(
        sessions, actor=SYSTEM, data=DepartmentInput(code="olivias", name_en="Olivia's department")
    )
    spare_department = save_department(sessions, actor=SYSTEM, data=DepartmentInput(code="spare", name_en="Spare"))
    set_user_department(sessions, actor=SYSTEM, user_id=other.id, department_id=other_department.id)
    template_id = create_template(
        sessions, actor=SYSTEM, data=TemplateInput(name="Annual survey", dimensions=DEFAULT_DIMENSIONS)
    )
    with sessions.read() as session:
        today = clock.company_today(session)
    return World(sessions, actors, other, spare, other_department.id, spare_department.id, template_id, today)


def make_customer(sessions: Sessions, owner_id: int | None) -> Made:
    """A customer with a primary contact, written directly: a viewer may own one (a staff member made a viewer)."""
    n = next(_numbers)
    name, phone, email = f"Matrix Customer {n:05d}", f"139{n:08d}", f"person{n}@matrix.example"
    with transaction(sessions, actor=SYSTEM) as session:
        customer = Customer(code=f"M{n:06d}", name=name, name_key=normalise_name(name), owner_id=owner_id)
        session.add(customer)
        session.flush()
        contact = Contact(customer_id=customer.id, name="Li Lei", phone=phone, email=email, is_primary=True)
        session.add(contact)
        session.flush()
        reindex_customers(session, [customer.id])
        return Made(customer.id, customer.code, name, contact.id, phone, email)


def version_of(sessions: Sessions, model: Any, row_id: int) -> int:
    with sessions.read() as session:
        return int(session.scalar(select(model.version).where(model.id == row_id)))


def audit_rows(sessions: Sessions) -> int:
    with sessions.read() as session:
        return int(session.scalar(select(func.count()).select_from(AuditLog)) or 0)


@dataclass
class Cell:
    """One cell of the matrix: an actor, a record of their own customer or of someone else's, the setting."""

    world: World
    actor: Actor
    own: bool
    staff_may_read: bool
    _customer: Made | None = field(default=None, repr=False)

    @property
    def sessions(self) -> Sessions:
        return self.world.sessions

    @property
    def owner(self) -> Actor:
        return self.actor if self.own else self.world.other

    def customer(self) -> Made:
        """The cell's customer (made on first use)."""
        if self._customer is None:
            self._customer = make_customer(self.sessions, self.owner.id)
        return self._customer

    def another_customer(self) -> Made:
        return make_customer(self.sessions, self.owner.id)

    def allowed(self, operation: str, *, own: bool | None = None, staff_may_read: bool | None = None) -> bool:
        """What the table says for this cell (or for the same actor in another scope)."""
        return allowed(
            self.actor,
            operation,
            own=self.own if own is None else own,
            staff_may_read=self.staff_may_read if staff_may_read is None else staff_may_read,
        )

    def can(self, permission: str) -> bool:
        return self.actor.can(permission)

    def act(self, call: Callable[[], object]) -> bool:
        """Run the actor's call: True when done (or when it returns True), False when refused or hidden from them.

        A refusal must leave nothing behind: the audit trail is as it was.
        """
        self.customer()  # the record is there before the actor acts (runners name it inside their calls)
        before = audit_rows(self.sessions)
        try:
            result = call()
        except PermissionDenied:
            assert audit_rows(self.sessions) == before, "a refused call wrote to the audit trail"
            return False
        return result if isinstance(result, bool) else True


@dataclass(frozen=True)
class Runner:
    operation: str
    name: str
    attempt: Callable[[Cell], bool]
    expect: Callable[[Cell], bool] | None = None  # when the call needs more than the operation's own cell


RUNNERS: list[Runner] = []


def runs(operation: str, name: str, *, expect: Callable[[Cell], bool] | None = None) -> Callable[..., Any]:
    def register(attempt: Callable[[Cell], bool]) -> Callable[[Cell], bool]:
        RUNNERS.append(Runner(operation, name, attempt, expect))
        return attempt

    return register


def refused_on_field(call: Callable[[], object], key: str) -> Callable[[], object]:
    """A call whose service refuses with a field error (key) rather than PermissionDenied."""

    def wrapped() -> object:
        try:
            return call()
        except ValidationError as error:
            if any(message == key for message, _params in error.fields.values()):
                raise PermissionDenied(permission=key) from error
            raise

    return wrapped


# --- setting up records as the system ------------------------------------------------------------------------


def complaint_of(c: Cell, *, attachment: bool = False) -> int:
    """A complaint on the cell's customer, routed to olivia in her department (never to the actor)."""
    made = c.customer()
    view = file_complaint(
        c.sessions,
        actor=SYSTEM,
        data=ComplaintInput(
            customer_id=made.id,
            channel="phone",
            description="The delivered units fail on start-up.",
            severity="high",
            category="product_quality",
            contact_id=made.contact_id,
            department_id=c.world.other_department_id,
            assignee_id=c.world.other.id,
        ),
        attachments=[AttachmentInput("photo.jpg", b"\xff\xd8\xff" + bytes(range(64)))] if attachment else (),
    )
    return view.id


def complaint_version(c: Cell, complaint_id: int) -> int:
    return get_complaint(c.sessions, actor=SYSTEM, complaint_id=complaint_id).complaint.version


def inquiry_of(c: Cell) -> tuple[int, int]:
    view = file_inquiry(
        c.sessions,
        actor=SYSTEM,
        data=InquiryInput(
            customer_id=c.customer().id,
            channel="email",
            question="Does the unit support 220 V?",
            department_id=c.world.other_department_id,
            assignee_id=c.world.other.id,
        ),
    )
    return view.id, view.version


def suggestion_of(c: Cell) -> tuple[int, int]:
    view = record_suggestion(
        c.sessions,
        actor=SYSTEM,
        data=SuggestionInput(
            customer_id=c.customer().id,
            channel="phone",
            content="A dark mode for the reports.",
            department_id=c.world.other_department_id,
        ),
    )
    return view.id, view.version


def task_of(c: Cell, *, contact: bool = False) -> int:
    """An open follow-up of the cell's customer, held by the customer's owner."""
    made = c.customer()
    return plan_follow_up(
        c.sessions,
        actor=SYSTEM,
        customer_id=made.id,
        due_at=clock.utcnow() + dt.timedelta(days=3),
        contact_id=made.contact_id if contact else None,
    ).id


def response_of(c: Cell, *, alert: bool = False) -> int:
    return record_response(
        c.sessions,
        actor=SYSTEM,
        data=ResponseInput(
            customer_id=c.customer().id,
            responded_on=c.world.today,
            channel="phone",
            template_id=c.world.template_id,
            scores={"product_quality": 2 if alert else 4},
            overall=1 if alert else 4,
            nps=2 if alert else 9,
        ),
    )


def ids(rows: Any) -> set[int]:
    return {row.id for row in rows}


def unique() -> str:
    return f"m{next(_numbers)}"


# --- the platform -----------------------------------------------------------------------------------------------


def fresh_user(c: Cell) -> Actor:
    return make_user(c.sessions, unique(), "staff")


@runs("users.manage", "create a user")
def _create_user(c: Cell) -> bool:
    name = unique()
    return c.act(
        lambda: create_user(
            c.sessions, actor=c.actor, username=name, display_name=name, password=PASSWORD, role="staff"
        )
    )


@runs("users.manage", "change a user's role")
def _set_role(c: Cell) -> bool:
    user = fresh_user(c)
    return c.act(lambda: set_role(c.sessions, actor=c.actor, user_id=user.id, role="viewer"))


@runs("users.manage", "deactivate a user")
def _set_active(c: Cell) -> bool:
    user = fresh_user(c)
    return c.act(lambda: set_active(c.sessions, actor=c.actor, user_id=user.id, active=False))


@runs("users.manage", "reset a password")
def _reset_password(c: Cell) -> bool:
    user = fresh_user(c)
    return c.act(lambda: reset_password(c.sessions, actor=c.actor, user_id=user.id, new_password="Another-pass-9164"))


@runs("users.manage", "unlock a user")
def _unlock(c: Cell) -> bool:
    user = fresh_user(c)
    return c.act(lambda: unlock(c.sessions, actor=c.actor, user_id=user.id))


# Managers list the accounts too: they reassign customers to them.
@runs("users.manage", "list the users", expect=lambda c: c.can("users.manage") or c.can("customers.reassign"))
def _list_users(c: Cell) -> bool:
    return c.act(lambda: list_users(c.sessions, actor=c.actor))


@runs("settings.manage", "change a setting")
def _update_settings(c: Cell) -> bool:
    minutes = next(_numbers) % 600
    return c.act(lambda: update_settings(c.sessions, actor=c.actor, changes={"team_snapshot_max_age_minutes": minutes}))


@runs("audit.view", "search the audit trail")
def _search_audit(c: Cell) -> bool:
    return c.act(lambda: search_audit(c.sessions, actor=c.actor))


@runs("departments.manage", "create a department")
def _save_department(c: Cell) -> bool:
    code = unique()
    return c.act(
        lambda: save_department(c.sessions, actor=c.actor, data=DepartmentInput(code=code, name_en=f"Dept {code}"))
    )


@runs("departments.manage", "put a user in a department")
def _set_user_department(c: Cell) -> bool:
    user = fresh_user(c)
    department = c.world.spare_department_id
    return c.act(lambda: set_user_department(c.sessions, actor=c.actor, user_id=user.id, department_id=department))


@runs("departments.manage", "archive a department")
def _archive_department(c: Cell) -> bool:
    code = unique()
    made = save_department(c.sessions, actor=SYSTEM, data=DepartmentInput(code=code, name_en=f"Dept {code}"))
    return c.act(lambda: archive_department(c.sessions, actor=c.actor, department_id=made.id, version=made.version))


# --- customers -------------------------------------------------------------------------------------------------


@runs("customers.view", "the profile")
def _get_customer(c: Cell) -> bool:
    return c.act(lambda: get_customer(c.sessions, actor=c.actor, customer_id=c.customer().id))


@runs("customers.view", "the 360 view")
def _get_360(c: Cell) -> bool:
    return c.act(lambda: get_customer_360(c.sessions, actor=c.actor, customer_id=c.customer().id))


@runs("customers.view", "found in the list by name")
def _in_list(c: Cell) -> bool:
    made = c.customer()
    return c.act(
        lambda: made.id in ids(list_customers(c.sessions, actor=c.actor, flt=CustomerFilter(search=made.name)).rows)
    )


@runs("customers.view", "offered by a customer picker")
def _picked(c: Cell) -> bool:
    made = c.customer()
    return c.act(lambda: made.id in {p.id for p in pick_customers(c.sessions, actor=c.actor, search=made.name)})


@runs("customers.view", "offered by the classification page's picker")
def _classification_picker(c: Cell) -> bool:
    made = c.customer()
    rows = lambda: visible_customers(c.sessions, actor=c.actor, search=made.name)  # noqa: E731
    return c.act(lambda: made.id in {row["id"] for row in rows()})


@runs("customers.view", "the timeline")
def _timeline(c: Cell) -> bool:
    return c.act(lambda: customer_timeline(c.sessions, actor=c.actor, customer_id=c.customer().id))


@runs("customers.view", "its likely duplicates")
def _duplicates_of(c: Cell) -> bool:
    return c.act(lambda: duplicates_of(c.sessions, actor=c.actor, customer_id=c.customer().id))


@runs("customers.view", "named by a duplicate hint (by name)")
def _duplicate_named(c: Cell) -> bool:
    made = c.customer()
    return c.act(
        lambda: made.id in {d.id for d in find_duplicates(c.sessions, actor=c.actor, name=made.name) if not d.hidden}
    )


@runs("customers.view", "its follow-up state")
def _customer_follow_up(c: Cell) -> bool:
    return c.act(lambda: customer_follow_up(c.sessions, actor=c.actor, customer_id=c.customer().id))


@runs("customers.view", "its contact log")
def _customer_activities(c: Cell) -> bool:
    return c.act(lambda: customer_activities(c.sessions, actor=c.actor, customer_id=c.customer().id))


@runs("customers.view", "the log-a-contact form's context")
def _log_context(c: Cell) -> bool:
    return c.act(lambda: log_context(c.sessions, actor=c.actor, customer_id=c.customer().id))


@runs("customers.view", "one of its follow-ups")
def _get_task(c: Cell) -> bool:
    task_id = task_of(c)
    return c.act(lambda: get_task(c.sessions, actor=c.actor, task_id=task_id))


@runs("customers.create", "create a customer for an owner")
def _create_customer(c: Cell) -> bool:
    owner = c.owner

    def create() -> bool:
        made = create_customer(
            c.sessions,
            actor=c.actor,
            data=CustomerInput(name=f"Created {next(_numbers)}", owner_id=owner.id),
            confirm_duplicates=True,
        )
        return made.owner_id == owner.id  # staff always own what they create

    return c.act(create)


@runs("customers.edit", "a field")
def _update_field(c: Cell) -> bool:
    made = c.customer()
    version = version_of(c.sessions, Customer, made.id)
    return c.act(
        lambda: update_customer(
            c.sessions, actor=c.actor, customer_id=made.id, version=version, changes={"notes": "Prefers calls"}
        )
    )


@runs("customers.edit", "its tags")
def _update_tags(c: Cell) -> bool:
    made = c.customer()
    version = version_of(c.sessions, Customer, made.id)
    return c.act(
        lambda: update_customer(
            c.sessions, actor=c.actor, customer_id=made.id, version=version, changes={"tags": ("vip",)}
        )
    )


# A bulk action is for those who may edit everyone's customers, even when every selected one is their own.
@runs("customers.edit", "tag many at once", expect=lambda c: c.allowed("customers.edit", own=False))
def _bulk_tag(c: Cell) -> bool:
    return c.act(lambda: bulk_tag(c.sessions, actor=c.actor, customer_ids=[c.customer().id], tag="expo"))


@runs("customers.edit", "judged fields (need type)")
def _set_judged(c: Cell) -> bool:
    return c.act(lambda: set_judged(c.sessions, actor=c.actor, customer_ids=[c.customer().id], need_type="special"))


@runs("customers.edit", "add a contact")
def _add_contact(c: Cell) -> bool:
    return c.act(
        lambda: add_contact(c.sessions, actor=c.actor, customer_id=c.customer().id, data=ContactInput(name="Han Mei"))
    )


@runs("customers.edit", "change a contact")
def _update_contact(c: Cell) -> bool:
    made = c.customer()
    version = version_of(c.sessions, Contact, made.contact_id)
    return c.act(
        lambda: update_contact(
            c.sessions,
            actor=c.actor,
            contact_id=made.contact_id,
            version=version,
            data=ContactInput(name="Li Lei", phone=made.phone, email=made.email, title="Buyer", is_primary=True),
        )
    )


@runs("customers.edit", "archive a contact")
def _archive_contact(c: Cell) -> bool:
    made = c.customer()
    version = version_of(c.sessions, Contact, made.contact_id)
    return c.act(
        lambda: set_contact_archived(
            c.sessions, actor=c.actor, contact_id=made.contact_id, version=version, archived=True
        )
    )


def order_of(c: Cell) -> int:
    return add_order(
        c.sessions,
        actor=SYSTEM,
        customer_id=c.customer().id,
        data=OrderInput(order_date=c.world.today, amount="1200.00", product="Pump"),
    ).id


@runs("customers.edit", "add an order")
def _add_order(c: Cell) -> bool:
    return c.act(
        lambda: add_order(
            c.sessions,
            actor=c.actor,
            customer_id=c.customer().id,
            data=OrderInput(order_date=c.world.today, amount="99.50"),
        )
    )


@runs("customers.edit", "change an order")
def _update_order(c: Cell) -> bool:
    order_id = order_of(c)
    version = version_of(c.sessions, Order, order_id)
    return c.act(
        lambda: update_order(
            c.sessions,
            actor=c.actor,
            order_id=order_id,
            version=version,
            data=OrderInput(order_date=c.world.today, amount="1300.00", product="Pump"),
        )
    )


@runs("customers.edit", "archive an order")
def _archive_order(c: Cell) -> bool:
    order_id = order_of(c)
    version = version_of(c.sessions, Order, order_id)
    return c.act(
        lambda: set_order_archived(c.sessions, actor=c.actor, order_id=order_id, version=version, archived=True)
    )


@runs("customers.edit", "add a contract")
def _add_contract(c: Cell) -> bool:
    return c.act(
        lambda: add_contract(
            c.sessions, actor=c.actor, customer_id=c.customer().id, data=ContractInput(title="Service", value="500")
        )
    )


@runs("customers.edit", "add a contract's payment")
def _add_payment(c: Cell) -> bool:
    contract = add_contract(
        c.sessions, actor=SYSTEM, customer_id=c.customer().id, data=ContractInput(title="Service", value="500")
    )
    return c.act(
        lambda: add_payment(
            c.sessions,
            actor=c.actor,
            contract_id=contract.id,
            data=PaymentInput(due_date=c.world.today, amount="100"),
        )
    )


@runs("customers.reassign", "give it to another owner")
def _reassign(c: Cell) -> bool:
    made = c.customer()
    version = version_of(c.sessions, Customer, made.id)
    spare = c.world.spare.id
    return c.act(
        lambda: update_customer(
            c.sessions, actor=c.actor, customer_id=made.id, version=version, changes={"owner_id": spare}
        )
    )


@runs("customers.reassign", "give many to another owner")
def _bulk_reassign(c: Cell) -> bool:
    spare = c.world.spare.id
    return c.act(lambda: bulk_reassign(c.sessions, actor=c.actor, customer_ids=[c.customer().id], owner_id=spare))


@runs("customers.archive", "archive it")
def _archive(c: Cell) -> bool:
    made = c.customer()
    version = version_of(c.sessions, Customer, made.id)
    return c.act(lambda: archive_customer(c.sessions, actor=c.actor, customer_id=made.id, version=version))


@runs("customers.archive", "restore it")
def _restore(c: Cell) -> bool:
    made = c.customer()
    archived = archive_customer(
        c.sessions, actor=SYSTEM, customer_id=made.id, version=version_of(c.sessions, Customer, made.id)
    )
    return c.act(lambda: restore_customer(c.sessions, actor=c.actor, customer_id=made.id, version=archived.version))


@runs("customers.archive", "archive many")
def _bulk_archive(c: Cell) -> bool:
    return c.act(lambda: bulk_archive(c.sessions, actor=c.actor, customer_ids=[c.customer().id]))


@runs("customers.merge", "merge two duplicates")
def _merge(c: Cell) -> bool:
    survivor, duplicate = c.customer(), c.another_customer()
    return c.act(lambda: merge_customers(c.sessions, actor=c.actor, survivor_id=survivor.id, duplicate_id=duplicate.id))


@runs("customers.import", "import a customers file")
def _import(c: Cell) -> bool:
    n = next(_numbers)
    data = f"code,name\nI{n:06d},Imported {n}\n".encode()
    return c.act(lambda: import_file(c.sessions, actor=c.actor, kind="customers", filename="customers.csv", data=data))


def exported(c: Cell, kind: str, text: str) -> Callable[[], bool]:
    def export() -> bool:
        out = io.BytesIO()
        write_export(c.sessions, actor=c.actor, kind=kind, fmt="csv", out=out, audit=False)
        return text in out.getvalue().decode("utf-8-sig")

    return export


@runs("customers.export", "in the customers export")
def _export_customers(c: Cell) -> bool:
    return c.act(exported(c, "customers", c.customer().code))


@runs("customers.export", "its contacts in the contacts export")
def _export_contacts(c: Cell) -> bool:
    return c.act(exported(c, "contacts", c.customer().code))


# --- contact details: unmasked only where the table says; masked or absent is a refusal ---------------------


@runs("contacts.unmasked", "a phone in the 360 view")
def _phone_in_360(c: Cell) -> bool:
    made = c.customer()
    return c.act(
        lambda: (
            made.phone in {p.phone for p in get_customer_360(c.sessions, actor=c.actor, customer_id=made.id).contacts}
        )
    )


@runs("contacts.unmasked", "an email in the customer list")
def _email_in_list(c: Cell) -> bool:
    made = c.customer()
    rows = lambda: list_customers(c.sessions, actor=c.actor, flt=CustomerFilter(search=made.name)).rows  # noqa: E731
    return c.act(lambda: made.email in {r.contact_email for r in rows()})


@runs("contacts.unmasked", "a search by the full phone number")
def _search_by_phone(c: Cell) -> bool:
    made = c.customer()
    return c.act(
        lambda: made.id in ids(list_customers(c.sessions, actor=c.actor, flt=CustomerFilter(search=made.phone)).rows)
    )


@runs("contacts.unmasked", "a customer picker searched by email")
def _pick_by_email(c: Cell) -> bool:
    made = c.customer()
    return c.act(lambda: made.id in {p.id for p in pick_customers(c.sessions, actor=c.actor, search=made.email)})


@runs("contacts.unmasked", "a duplicate hint naming whose phone it is")
def _duplicate_by_phone(c: Cell) -> bool:
    made = c.customer()
    return c.act(
        lambda: made.id in {d.id for d in find_duplicates(c.sessions, actor=c.actor, phone=made.phone) if not d.hidden}
    )


@runs("contacts.unmasked", "a phone in a follow-up")
def _phone_in_task(c: Cell) -> bool:
    task_id = task_of(c, contact=True)
    phone = c.customer().phone
    return c.act(lambda: get_task(c.sessions, actor=c.actor, task_id=task_id).contact_phone == phone)


@runs(
    "contacts.unmasked",
    "a phone in the contacts export",
    expect=lambda c: c.allowed("contacts.unmasked") and c.allowed("customers.export"),
)
def _phone_in_export(c: Cell) -> bool:
    return c.act(exported(c, "contacts", c.customer().phone))


# --- classification --------------------------------------------------------------------------------------------


@runs("classification.manage", "override a class")
def _override(c: Cell) -> bool:
    return c.act(
        lambda: set_override(
            c.sessions,
            actor=c.actor,
            customer_id=c.customer().id,
            dimension="value_tier",
            value="high",
            reason="Strategic partner",
        )
    )


@runs("classification.manage", "record a credit event")
def _credit_event(c: Cell) -> bool:
    return c.act(
        lambda: record_credit_event(
            c.sessions,
            actor=c.actor,
            customer_id=c.customer().id,
            kind="overdue",
            event_date=c.world.today,
            days_late=45,
            amount="800",
        )
    )


@runs(
    "classification.manage",
    "judge a customer's importance",
    expect=lambda c: c.allowed("classification.manage") and c.allowed("customers.edit"),
)
def _importance(c: Cell) -> bool:
    return c.act(lambda: set_judged(c.sessions, actor=c.actor, customer_ids=[c.customer().id], importance="key"))


@runs("classification.manage", "save the policies")
def _save_policies(c: Cell) -> bool:
    return c.act(lambda: save_policies(c.sessions, actor=c.actor, changes=[]))


@runs("classification.manage", "preview thresholds")
def _preview_thresholds(c: Cell) -> bool:
    return c.act(lambda: preview_thresholds(c.sessions, actor=c.actor, thresholds=Thresholds()))


@runs("classification.manage", "run the classification")
def _recompute(c: Cell) -> bool:
    return c.act(lambda: recompute(c.sessions, actor=c.actor))


# --- follow-ups ------------------------------------------------------------------------------------------------


@runs("follow_ups.log", "log a contact")
def _log_contact(c: Cell) -> bool:
    return c.act(
        lambda: log_contact(
            c.sessions,
            actor=c.actor,
            customer_id=c.customer().id,
            channel="phone",
            occurred_at=clock.utcnow() - dt.timedelta(hours=1),
            summary="Talked about the renewal",
        )
    )


@runs("follow_ups.log", "plan a follow-up")
def _plan(c: Cell) -> bool:
    return c.act(
        lambda: plan_follow_up(
            c.sessions, actor=c.actor, customer_id=c.customer().id, due_at=clock.utcnow() + dt.timedelta(days=5)
        )
    )


@runs("follow_ups.log", "reschedule a follow-up")
def _reschedule(c: Cell) -> bool:
    task_id = task_of(c)
    version = version_of(c.sessions, FollowUpTask, task_id)
    return c.act(
        lambda: reschedule_follow_up(
            c.sessions,
            actor=c.actor,
            task_id=task_id,
            version=version,
            due_at=clock.utcnow() + dt.timedelta(days=9),
            reason="Customer travelling",
        )
    )


@runs("follow_ups.log", "cancel a follow-up")
def _cancel(c: Cell) -> bool:
    task_id = task_of(c)
    version = version_of(c.sessions, FollowUpTask, task_id)
    return c.act(lambda: cancel_follow_up(c.sessions, actor=c.actor, task_id=task_id, version=version))


@runs("follow_ups.log", "complete a follow-up")
def _complete(c: Cell) -> bool:
    task_id = task_of(c)
    version = version_of(c.sessions, FollowUpTask, task_id)
    return c.act(
        lambda: complete_follow_up(
            c.sessions,
            actor=c.actor,
            task_id=task_id,
            version=version,
            channel="phone",
            occurred_at=clock.utcnow() - dt.timedelta(minutes=30),
            summary="Done",
        )
    )


# A follow-up given to someone is theirs to do, on whoever's customer: the holder may complete it.
@runs("follow_ups.log", "complete a follow-up one holds", expect=lambda c: c.can("follow_ups.log"))
def _complete_held(c: Cell) -> bool:
    task_id = task_of(c)
    with transaction(c.sessions, actor=SYSTEM) as session:
        session.get_one(FollowUpTask, task_id).owner_id = c.actor.id
    version = version_of(c.sessions, FollowUpTask, task_id)
    return c.act(
        lambda: complete_follow_up(
            c.sessions,
            actor=c.actor,
            task_id=task_id,
            version=version,
            channel="phone",
            occurred_at=clock.utcnow() - dt.timedelta(minutes=30),
            summary="Done",
        )
    )


@runs("follow_ups.team", "the team overview")
def _team_overview(c: Cell) -> bool:
    return c.act(lambda: team_overview(c.sessions, actor=c.actor))


@runs("follow_ups.team", "everyone's follow-ups")
def _all_tasks(c: Cell) -> bool:
    return c.act(lambda: list_tasks(c.sessions, actor=c.actor, all_owners=True))


@runs("follow_ups.team", "give a follow-up to someone else")
def _reassign_task(c: Cell) -> bool:
    task_id = task_of(c)
    version = version_of(c.sessions, FollowUpTask, task_id)
    spare = c.world.spare.id
    return c.act(
        lambda: reassign_follow_up(c.sessions, actor=c.actor, task_id=task_id, version=version, owner_id=spare)
    )


@runs("follow_ups.manage", "read the automatic rules")
def _list_rules(c: Cell) -> bool:
    return c.act(lambda: list_rules(c.sessions, actor=c.actor))


@runs("follow_ups.manage", "change the automatic rules")
def _update_rules(c: Cell) -> bool:
    days = {"churn_win_back": {"days_after_churn": next(_numbers) % 365}}
    return c.act(lambda: update_rules(c.sessions, actor=c.actor, enabled={}, params=days))


@runs("follow_ups.manage", "add a holiday")
def _save_holidays(c: Cell) -> bool:
    day = dt.date(2031, 1, 1) + dt.timedelta(days=next(_numbers))
    return c.act(
        lambda: save_holidays(c.sessions, actor=c.actor, changes=HolidayChanges(added=((day, "Company day"),)))
    )


# --- complaints, inquiries, suggestions ------------------------------------------------------------------------


@runs("complaints.view", "a complaint")
def _get_complaint(c: Cell) -> bool:
    complaint_id = complaint_of(c)
    return c.act(lambda: get_complaint(c.sessions, actor=c.actor, complaint_id=complaint_id))


@runs("complaints.view", "the customer's cases")
def _customer_cases(c: Cell) -> bool:
    complaint_id = complaint_of(c)
    return c.act(lambda: complaint_id in ids(customer_cases(c.sessions, actor=c.actor, customer_id=c.customer().id)))


@runs("complaints.view", "an inquiry")
def _get_inquiry(c: Cell) -> bool:
    inquiry_id, _version = inquiry_of(c)
    return c.act(lambda: get_inquiry(c.sessions, actor=c.actor, inquiry_id=inquiry_id))


@runs("complaints.view", "a suggestion")
def _get_suggestion(c: Cell) -> bool:
    suggestion_id, _version = suggestion_of(c)
    return c.act(lambda: get_suggestion(c.sessions, actor=c.actor, suggestion_id=suggestion_id))


@runs("complaints.view", "a complaint's attachment")
def _download(c: Cell) -> bool:
    complaint_id = complaint_of(c, attachment=True)
    with c.sessions.read() as session:
        attachment_id = session.scalar(
            select(ComplaintAttachment.id).where(ComplaintAttachment.complaint_id == complaint_id)
        )
    return c.act(lambda: download_attachment(c.sessions, actor=c.actor, attachment_id=int(attachment_id)))


# A complaint routed to no one is the shared inbox: every staff member may read it and pick it up.
@runs(
    "complaints.view",
    "a complaint routed to no one yet",
    expect=lambda c: c.allowed("complaints.view") or c.can("complaints.handle"),
)
def _unrouted(c: Cell) -> bool:
    made = c.customer()
    view = file_complaint(
        c.sessions,
        actor=SYSTEM,
        data=ComplaintInput(customer_id=made.id, channel="phone", description="Noisy fan", severity="low"),
    )
    return c.act(lambda: get_complaint(c.sessions, actor=c.actor, complaint_id=view.id))


# The queue of every complaint is a work list: staff keep theirs and their department's, whatever the setting.
@runs(
    "complaints.view",
    "in the queue of every complaint",
    expect=lambda c: c.allowed("complaints.view", own=False, staff_may_read=False),
)
def _queue_all(c: Cell) -> bool:
    complaint_id = complaint_of(c)
    flt = QueueFilter(queue="all", customer_id=c.customer().id)
    return c.act(lambda: complaint_id in ids(complaint_queue(c.sessions, actor=c.actor, flt=flt).rows))


# Filing a case for a customer needs the role and the right to read that customer.
def files(c: Cell) -> bool:
    return c.can("complaints.handle") and c.allowed("customers.view")


@runs("complaints.handle", "file a complaint", expect=files)
def _file_complaint(c: Cell) -> bool:
    data = ComplaintInput(customer_id=c.customer().id, channel="phone", description="Broken", severity="low")
    return c.act(lambda: file_complaint(c.sessions, actor=c.actor, data=data))


@runs("complaints.handle", "file an inquiry", expect=files)
def _file_inquiry(c: Cell) -> bool:
    data = InquiryInput(customer_id=c.customer().id, channel="phone", question="When?")
    return c.act(lambda: file_inquiry(c.sessions, actor=c.actor, data=data))


@runs("complaints.handle", "record a suggestion", expect=files)
def _record_suggestion(c: Cell) -> bool:
    data = SuggestionInput(customer_id=c.customer().id, channel="phone", content="More colours")
    return c.act(lambda: record_suggestion(c.sessions, actor=c.actor, data=data))


@runs("complaints.handle", "acknowledge a complaint")
def _acknowledge(c: Cell) -> bool:
    complaint_id = complaint_of(c)
    version = complaint_version(c, complaint_id)
    return c.act(
        lambda: transition(c.sessions, actor=c.actor, complaint_id=complaint_id, version=version, action="acknowledge")
    )


@runs("complaints.handle", "add a note to a complaint")
def _add_note(c: Cell) -> bool:
    complaint_id = complaint_of(c)
    version = complaint_version(c, complaint_id)
    return c.act(
        lambda: add_note(c.sessions, actor=c.actor, complaint_id=complaint_id, version=version, note="Called back")
    )


@runs("complaints.handle", "hand a complaint off")
def _hand_off(c: Cell) -> bool:
    complaint_id = complaint_of(c)
    version = complaint_version(c, complaint_id)
    department = c.world.spare_department_id
    return c.act(
        lambda: hand_off(
            c.sessions,
            actor=c.actor,
            complaint_id=complaint_id,
            version=version,
            department_id=department,
            assignee_id=None,
            note="Theirs",
        )
    )


@runs("complaints.handle", "change a complaint's severity")
def _severity(c: Cell) -> bool:
    complaint_id = complaint_of(c)
    version = complaint_version(c, complaint_id)
    return c.act(
        lambda: change_severity(
            c.sessions, actor=c.actor, complaint_id=complaint_id, version=version, severity="low", note="Minor"
        )
    )


@runs("complaints.handle", "correct a complaint")
def _edit_complaint(c: Cell) -> bool:
    complaint_id = complaint_of(c)
    version = complaint_version(c, complaint_id)
    edits = ComplaintEdits(
        description="The units fail after an hour.",
        category="product_quality",
        contact_id=None,
        impact_scope=None,
        expected_resolution=None,
        occurred_at=None,
    )
    return c.act(
        lambda: edit_complaint(c.sessions, actor=c.actor, complaint_id=complaint_id, version=version, edits=edits)
    )


@runs("complaints.handle", "attach a file to a complaint")
def _attach(c: Cell) -> bool:
    complaint_id = complaint_of(c)
    version = complaint_version(c, complaint_id)
    files_ = [AttachmentInput("scan.jpg", b"\xff\xd8\xff" + bytes(16))]
    return c.act(
        lambda: add_attachments(
            c.sessions, actor=c.actor, complaint_id=complaint_id, version=version, attachments=files_
        )
    )


@runs("complaints.handle", "respond to an inquiry")
def _respond(c: Cell) -> bool:
    inquiry_id, version = inquiry_of(c)
    return c.act(lambda: respond_to_inquiry(c.sessions, actor=c.actor, inquiry_id=inquiry_id, version=version))


@runs("complaints.handle", "answer an inquiry")
def _answer(c: Cell) -> bool:
    inquiry_id, version = inquiry_of(c)
    return c.act(
        lambda: answer_inquiry(c.sessions, actor=c.actor, inquiry_id=inquiry_id, version=version, answer="Yes")
    )


@runs("complaints.handle", "turn an inquiry into a complaint")
def _convert(c: Cell) -> bool:
    inquiry_id, version = inquiry_of(c)
    return c.act(
        lambda: convert_to_complaint(
            c.sessions, actor=c.actor, inquiry_id=inquiry_id, version=version, severity="medium"
        )
    )


@runs("complaints.handle", "evaluate a suggestion")
def _evaluate(c: Cell) -> bool:
    suggestion_id, version = suggestion_of(c)
    return c.act(
        lambda: evaluate_suggestion(
            c.sessions, actor=c.actor, suggestion_id=suggestion_id, version=version, result="adopt", reason="Asked"
        )
    )


@runs("complaints.manage", "reject a complaint")
def _reject(c: Cell) -> bool:
    complaint_id = complaint_of(c)
    version = complaint_version(c, complaint_id)
    return c.act(
        lambda: transition(
            c.sessions, actor=c.actor, complaint_id=complaint_id, version=version, action="reject", note="Not ours"
        )
    )


@runs("complaints.manage", "change the time limits")
def _save_policy(c: Cell) -> bool:
    policy = read_policy(c.sessions, actor=SYSTEM)
    return c.act(lambda: save_policy(c.sessions, actor=c.actor, policy=policy))


@runs("complaints.manage", "add a category")
def _save_categories(c: Cell) -> bool:
    code = f"cat_{next(_numbers)}"
    return c.act(lambda: save_categories(c.sessions, actor=c.actor, added=[Category(code, f"Category {code}", None)]))


@runs("complaints.manage", "what-if figures of other time limits")
def _what_if(c: Cell) -> bool:
    policy = read_policy(c.sessions, actor=SYSTEM)
    today = c.world.today
    return c.act(
        lambda: what_if_on_time(
            c.sessions, actor=c.actor, proposed=policy, start=today - dt.timedelta(days=30), end=today
        )
    )


# --- satisfaction ----------------------------------------------------------------------------------------------


@runs("satisfaction.view", "the customer's responses")
def _customer_responses(c: Cell) -> bool:
    response_id = response_of(c)
    return c.act(lambda: response_id in ids(customer_responses(c.sessions, actor=c.actor, customer_id=c.customer().id)))


@runs("satisfaction.view", "a response")
def _response_detail(c: Cell) -> bool:
    response_id = response_of(c)
    return c.act(lambda: response_detail(c.sessions, actor=c.actor, response_id=response_id))


# The responses list (and its alerts) is a work list: staff see their own customers', whatever the setting.
@runs(
    "satisfaction.view",
    "in the list of responses",
    expect=lambda c: c.allowed("satisfaction.view", staff_may_read=False),
)
def _list_responses(c: Cell) -> bool:
    response_id = response_of(c)
    flt = ResponseFilters(customer_id=c.customer().id)
    return c.act(lambda: response_id in ids(list_responses(c.sessions, actor=c.actor, filters=flt)[0]))


@runs("satisfaction.view", "the survey templates", expect=lambda c: c.can("satisfaction.view"))
def _list_templates(c: Cell) -> bool:
    return c.act(lambda: list_templates(c.sessions, actor=c.actor))


@runs("satisfaction.record", "record a response")
def _record_response(c: Cell) -> bool:
    data = ResponseInput(
        customer_id=c.customer().id,
        responded_on=c.world.today,
        channel="phone",
        template_id=c.world.template_id,
        scores={"product_quality": 5},
        overall=5,
        nps=10,
    )
    call = refused_on_field(
        lambda: record_response(c.sessions, actor=c.actor, data=data), "satisfaction.error.not_your_customer"
    )
    return c.act(call)


@runs("satisfaction.record", "close an alert")
def _close_alert(c: Cell) -> bool:
    response_id = response_of(c, alert=True)
    version = version_of(c.sessions, SurveyResponse, response_id)
    return c.act(
        lambda: close_alert(c.sessions, actor=c.actor, response_id=response_id, version=version, note="Called back")
    )


@runs("satisfaction.manage", "create a survey template")
def _create_template(c: Cell) -> bool:
    data = TemplateInput(name=f"Survey {next(_numbers)}", dimensions=DEFAULT_DIMENSIONS[:2])
    return c.act(lambda: create_template(c.sessions, actor=c.actor, data=data))


def campaign_input(c: Cell) -> CampaignInput:
    return CampaignInput(
        name=f"Campaign {next(_numbers)}",
        template_id=c.world.template_id,
        starts_on=c.world.today,
        ends_on=None,
        due_in_days=7,
    )


@runs("satisfaction.manage", "create a campaign")
def _create_campaign(c: Cell) -> bool:
    data = campaign_input(c)
    return c.act(lambda: create_campaign(c.sessions, actor=c.actor, data=data))


@runs("satisfaction.manage", "preview a campaign")
def _preview_campaign(c: Cell) -> bool:
    data = campaign_input(c)
    return c.act(lambda: preview_campaign(c.sessions, actor=c.actor, data=data))


@runs("satisfaction.manage", "try an import of responses")
def _import_responses(c: Cell) -> bool:
    data = f"customer,date,channel,overall\n{c.customer().code},{c.world.today.isoformat()},phone,4\n".encode()
    return c.act(lambda: dry_run_import(c.sessions, actor=c.actor, filename="survey.csv", data=data))


@runs("satisfaction.manage", "archive a response")
def _archive_response(c: Cell) -> bool:
    response_id = response_of(c)
    version = version_of(c.sessions, SurveyResponse, response_id)
    return c.act(lambda: archive_response(c.sessions, actor=c.actor, response_id=response_id, version=version))


# --- KPIs --------------------------------------------------------------------------------------------------------


def this_month(c: Cell) -> Period:
    return Period.month(c.world.today.year, c.world.today.month)


@runs("kpi.view", "the complaint KPIs")
def _complaint_kpis(c: Cell) -> bool:
    period = this_month(c)
    return c.act(lambda: "complaints_received" in compute_kpis(c.sessions, actor=c.actor, period=period))


@runs("kpi.view", "the complaint figures")
def _period_figures(c: Cell) -> bool:
    today = c.world.today
    return c.act(lambda: period_figures(c.sessions, actor=c.actor, start=today.replace(day=1), end=today))


@runs("kpi.view", "the root causes")
def _root_causes(c: Cell) -> bool:
    today = c.world.today
    return c.act(lambda: root_causes(c.sessions, actor=c.actor, start=today.replace(day=1), end=today))


@runs("kpi.view", "the targets")
def _list_targets(c: Cell) -> bool:
    return c.act(lambda: list_targets(c.sessions, actor=c.actor))


_months = itertools.count(0)


def next_month_key() -> tuple[int, int]:
    """A month of its own for each call, from January 2031 (targets) / 2011 (frozen months) on."""
    n = next(_months)
    return 2031 + n // 12, n % 12 + 1


@runs("kpi.targets", "set a target")
def _set_target(c: Cell) -> bool:
    year, month = next_month_key()
    return c.act(
        lambda: set_target(c.sessions, actor=c.actor, kpi="revenue", period_key=f"{year}-{month:02d}", value="100")
    )


@runs("kpi.targets", "freeze a month")
def _snapshot(c: Cell) -> bool:
    year, month = next_month_key()
    first = dt.date(year - 20, month, 1)
    return c.act(lambda: snapshot_month(c.sessions, actor=c.actor, month=first))


# --- the matrix --------------------------------------------------------------------------------------------------


def scopes(operation: str) -> tuple[bool, ...]:
    """own / someone else's for operations on records; one scope for the others (own = others there)."""
    return (True, False) if OPERATIONS[operation].on_records else (False,)


def cells(operation: str) -> Iterator[tuple[Runner, str, bool, bool]]:
    for staff_may_read in (False, True):
        for runner in (r for r in RUNNERS if r.operation == operation):
            for role in ROLES:
                for own in scopes(operation):
                    yield runner, role, own, staff_may_read


# Where a refusal comes out of SQL (a read's WHERE conditions), the matrix runs on every database; elsewhere the
# services decide in Python before any query, and the SQLite run covers them.
DECIDED_IN_SQL = ("customers.view", "customers.export", "contacts.unmasked", "complaints.view", "satisfaction.view")
MATRIX = [("sqlite", name) for name in sorted(OPERATIONS)] + [
    (backend, name) for backend in ("postgresql", "mariadb") for name in DECIDED_IN_SQL
]


@pytest.mark.parametrize(("backend", "operation"), MATRIX)
def test_the_services_allow_exactly_what_the_table_says(sessions: Sessions, operation: str) -> None:
    """Every role, on their own customer's record and on someone else's, with staff_can_read_all off and on."""
    world = make_world(sessions)
    mismatches: list[str] = []
    checked = 0
    setting = None
    for runner, role, own, staff_may_read in cells(operation):
        if setting != staff_may_read:
            update_settings(sessions, actor=SYSTEM, changes={STAFF_MAY_READ: staff_may_read})
            setting = staff_may_read
        cell = Cell(world, world.actors[role], own, staff_may_read)
        expected = runner.expect(cell) if runner.expect else cell.allowed(operation)
        done = runner.attempt(cell)
        checked += 1
        if done != expected:
            scope = ("own" if own else "someone else's") if OPERATIONS[operation].on_records else "-"
            mismatches.append(
                f"{operation} / {runner.name}: {role}, {scope} record, {STAFF_MAY_READ}={staff_may_read}: "
                f"{'done' if done else 'refused'}, the table says {'allowed' if expected else 'refused'}"
            )
    assert not mismatches, "\n".join(mismatches)
    assert checked == sum(1 for _ in cells(operation)) > 0


def test_every_operation_has_a_runner_and_every_runner_an_operation() -> None:
    """A new row in OPERATIONS fails here until the matrix can run it against the services."""
    assert {r.operation for r in RUNNERS} == set(OPERATIONS)
    names = [(r.operation, r.name) for r in RUNNERS]
    assert len(names) == len(set(names))


def test_the_table_names_only_known_roles_and_its_old_names_only_its_operations() -> None:
    for name, rule in OPERATIONS.items():
        assert rule.roles <= set(ROLES), name
        assert rule.what, name
        if not rule.on_records:
            assert rule.own == rule.others and not rule.others_when_staff_may_read, name
    for name, (operation, scope) in SCOPES.items():
        assert operation in OPERATIONS and scope in ("own", "others"), name
    assert set(PERMISSIONS) == set(OPERATIONS) | set(SCOPES)


def test_viewers_are_never_allowed_a_change_nor_unmasked_details() -> None:
    """Whatever the table's future rows: a viewer reads, and reads contact details masked."""
    viewer = Actor(id=1, username="v", display_name="V", role="viewer")
    readonly = {"customers.view", "customers.export", "complaints.view", "satisfaction.view", "kpi.view"}
    for name in OPERATIONS:
        for own in (True, False):
            for staff_may_read in (True, False):
                if allowed(viewer, name, own=own, staff_may_read=staff_may_read):
                    assert name in readonly, name


# Calls that name a permission, and where the name is (argument index, or keyword).
_NAMING_CALLS: dict[str, tuple[int, str]] = {
    "require": (1, "permission"),
    "allowed": (1, "operation"),
    "permits": (2, "operation"),
    "can": (0, "permission"),
    "page_actor": (0, "permission"),
    "Section": (3, "permission"),
    "PageSpec": (4, "permission"),
    "ChartDef": (4, "permission"),
}


def _named_permissions() -> Iterator[tuple[str, str]]:
    """Every permission string named by a call in crm/, ui/, pages/ and app.py, with where it is."""
    files = [PROJECT_ROOT / "app.py"]
    for folder in ("crm", "ui", "pages"):
        files += sorted((PROJECT_ROOT / folder).rglob("*.py"))
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            for target in node.targets
            if isinstance(target, ast.Name) and isinstance(node.value.value, str)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if called not in _NAMING_CALLS:
                continue
            index, keyword = _NAMING_CALLS[called]
            args = [a for a in node.args if not isinstance(a, ast.Starred)]
            value = (
                args[index] if len(args) > index else next((k.value for k in node.keywords if k.arg == keyword), None)
            )
            if isinstance(value, ast.Name):
                value = ast.Constant(constants[value.id]) if value.id in constants else value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                yield value.value, f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}"


def test_every_permission_named_in_the_code_is_in_the_table() -> None:
    """require("x.y"), actor.can("x.y"), page_actor, sections, pages and charts: no name outside OPERATIONS."""
    named = list(_named_permissions())
    assert len(named) > 250  # the scan finds the calls
    unknown = [f"{where}: {name}" for name, where in named if name not in PERMISSIONS]
    assert not unknown, "\n".join(unknown)


def test_every_operation_is_checked_somewhere() -> None:
    """A row no service, page or section names is dead: the table would promise a check nobody makes."""
    named = {name for name, _where in _named_permissions()}
    for alias, (operation, _scope) in SCOPES.items():
        if alias in named:
            named.add(operation)
    assert set(OPERATIONS) - named == set()
