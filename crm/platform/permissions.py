"""Roles and what each may do (DOMAIN.md section 7): OPERATIONS is the one table; services check through it.

Each operation says which roles may do it on the records of customers they own, on other people's, and who may
do it on other people's only while the `staff_can_read_all` setting lets staff read every customer. Services
call `require(actor, "x.y")` / `actor.can("x.y")` (the role may do it somewhere) and decide own / others' with
`allowed()` through crm.platform.access. tests/crm/platform/test_permission_matrix.py runs every role x
operation x own / other's record x setting on and off against the services, from this table: a new
operation needs a row here, and a row needs a runner there.
"""

from __future__ import annotations

from dataclasses import dataclass

from crm.platform.errors import PermissionDenied

ROLES: tuple[str, ...] = ("admin", "manager", "staff", "viewer")

ADMINS = frozenset({"admin"})
MANAGERS = frozenset({"admin", "manager"})
WORKERS = frozenset({"admin", "manager", "staff"})  # everyone who changes records
READERS = frozenset({"admin", "manager", "viewer"})  # everyone who reads every customer, whatever the setting
EVERYONE = frozenset(ROLES)
STAFF = frozenset({"staff"})


@dataclass(frozen=True)
class Rule:
    """Who may do an operation: on their own customers' records, on others', and on others' while staff may read
    every customer (the staff_can_read_all setting). `on_records=False`: the operation concerns no customer."""

    what: str
    own: frozenset[str]
    others: frozenset[str]
    others_when_staff_may_read: frozenset[str] = frozenset()
    on_records: bool = True

    @property
    def roles(self) -> frozenset[str]:
        """The roles that may do the operation on some record."""
        return self.own | self.others | self.others_when_staff_may_read


def general(what: str, roles: frozenset[str]) -> Rule:
    """An operation on no one's customer (users, settings, policies, figures)."""
    return Rule(what, own=roles, others=roles, on_records=False)


def anyones(what: str, roles: frozenset[str]) -> Rule:
    """An operation on a customer's records that the roles may do on anyone's, their own included, and others not."""
    return Rule(what, own=roles, others=roles)


# Own: the customer (whose complaint, follow-up, response...) is owned by the actor. Others': owned by someone else,
# and for complaints also not assigned to the actor nor to their department (staff handle those too).
OPERATIONS: dict[str, Rule] = {
    # --- the platform
    "users.manage": general("create users, change their role, deactivate, unlock, reset a password", ADMINS),
    "settings.manage": general("change the settings (staff_can_read_all, the time zone, ...)", ADMINS),
    "audit.view": general("read the audit trail", MANAGERS),
    "departments.manage": general("the departments and who belongs to which", ADMINS),
    # --- customers and what hangs on them
    "customers.view": Rule(
        "read a customer: lists, 360 view, timeline, duplicates, follow-ups",
        own=EVERYONE,
        others=READERS,
        others_when_staff_may_read=STAFF,
    ),
    "customers.create": Rule("create a customer owned by oneself / by someone else", own=WORKERS, others=MANAGERS),
    "customers.edit": Rule(
        "change a customer's fields, tags, contacts, orders, contracts, payments (bulk tagging: others' right)",
        own=WORKERS,
        others=MANAGERS,
    ),
    "customers.reassign": anyones("give a customer (one or many) to another owner", MANAGERS),
    "customers.archive": anyones("archive and restore a customer (one or many)", MANAGERS),
    "customers.merge": anyones("merge two duplicate customers", MANAGERS),
    "customers.import": general("import customers, contacts and orders", MANAGERS),
    # Staff export only their own customers, whatever staff_can_read_all says.
    "customers.export": Rule("a customer in one's CSV / Excel export", own=EVERYONE, others=READERS),
    # Viewers never: not on a page, in an export, a duplicate hint or a search by phone or email.
    "contacts.unmasked": Rule(
        "a customer's phones, emails, WeChat ids, birthdays and home addresses unmasked",
        own=WORKERS,
        others=MANAGERS,
        others_when_staff_may_read=STAFF,
    ),
    "classification.manage": anyones(
        "overrides, credit events, classification policies, thresholds and runs", MANAGERS
    ),
    # --- follow-ups
    "follow_ups.log": Rule(
        "log a contact, plan, reschedule, complete or cancel a customer's follow-ups", own=WORKERS, others=MANAGERS
    ),
    "follow_ups.team": general("the team's queues and calendar; give a follow-up to someone else", MANAGERS),
    "follow_ups.manage": general("the automatic follow-up rules and the holidays", MANAGERS),
    # --- complaints, inquiries and suggestions (crm/complaints)
    # Staff read a case of someone else's customer when they may read that customer, or when it is routed to
    # them or their department; their queues list only the latter, whatever the setting.
    "complaints.view": Rule(
        "read a customer's complaints, inquiries and suggestions",
        own=EVERYONE,
        others=READERS,
        others_when_staff_may_read=STAFF,
    ),
    # Filing a case needs only to read the customer (complaints.handle as a role, customers.view on the record).
    "complaints.handle": Rule("move a customer's complaints, inquiries and suggestions", own=WORKERS, others=MANAGERS),
    "complaints.manage": general("reject a complaint, the time limits, the categories, what-if figures", MANAGERS),
    # --- satisfaction (crm/satisfaction): staff record their own customers' responses; they read a response of any
    # customer they may read, and their lists and alerts hold their own customers', whatever the setting.
    "satisfaction.view": Rule(
        "read a customer's survey responses",
        own=EVERYONE,
        others=READERS,
        others_when_staff_may_read=STAFF,
    ),
    "satisfaction.record": Rule("record a customer's survey response, close its alert", own=WORKERS, others=MANAGERS),
    "satisfaction.manage": general("survey templates, campaigns, the import, archiving responses", MANAGERS),
    # --- KPIs and the dashboard
    "kpi.view": general("the KPIs, the dashboard, complaint figures and root causes", READERS),
    "kpi.targets": general("set the dashboard's targets, freeze months", MANAGERS),
}

# Older names of one scope of an operation, kept for the services that check them with require() / can().
SCOPES: dict[str, tuple[str, str]] = {
    "customers.view_all": ("customers.view", "others"),
    "customers.edit_own": ("customers.edit", "own"),
    "customers.edit_all": ("customers.edit", "others"),
    "customers.export_all": ("customers.export", "others"),  # a viewer's file is masked (contacts.unmasked)
}


def _permissions() -> dict[str, frozenset[str]]:
    permissions = {name: rule.roles for name, rule in OPERATIONS.items()}
    for name, (operation, scope) in SCOPES.items():
        permissions[name] = getattr(OPERATIONS[operation], scope)
    return permissions


# Every name a service may require, and the roles allowed it somewhere (derived from OPERATIONS).
PERMISSIONS: dict[str, frozenset[str]] = _permissions()


@dataclass(frozen=True)
class Actor:
    """Who is acting: the signed-in user as the services see them (never an ORM object)."""

    id: int | None
    username: str
    display_name: str
    role: str
    language: str = "en"

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS.get(permission, frozenset())


SYSTEM = Actor(id=None, username="system", display_name="System", role="admin")


def require(actor: Actor, permission: str) -> None:
    """Raise PermissionDenied unless the actor's role grants the permission."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    if not actor.can(permission):
        raise PermissionDenied(permission=permission)


def allowed(actor: Actor, operation: str, *, own: bool, staff_may_read: bool) -> bool:
    """Tell whether the actor may do the operation on their own customer's record (own) or someone else's."""
    rule = OPERATIONS[operation]
    if own:
        return actor.role in rule.own
    return actor.role in rule.others or (staff_may_read and actor.role in rule.others_when_staff_may_read)
