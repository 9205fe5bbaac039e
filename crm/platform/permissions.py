"""Roles and what each may do (DOMAIN.md section 7); services call `require` before acting."""

from __future__ import annotations

from dataclasses import dataclass

from crm.platform.errors import PermissionDenied

ROLES: tuple[str, ...] = ("admin", "manager", "staff", "viewer")

# Every operation a service guards, and the roles allowed it.
PERMISSIONS: dict[str, frozenset[str]] = {
    "users.manage": frozenset({"admin"}),
    "settings.manage": frozenset({"admin"}),
    "audit.view": frozenset({"admin", "manager"}),
    "customers.view": frozenset({"admin", "manager", "staff", "viewer"}),
    "customers.view_all": frozenset({"admin", "manager", "viewer"}),
    "customers.create": frozenset({"admin", "manager", "staff"}),
    "customers.edit_own": frozenset({"admin", "manager", "staff"}),
    "customers.edit_all": frozenset({"admin", "manager"}),
    "customers.reassign": frozenset({"admin", "manager"}),
    "customers.archive": frozenset({"admin", "manager"}),
    "customers.merge": frozenset({"admin", "manager"}),
    "customers.import": frozenset({"admin", "manager"}),
    "customers.export": frozenset({"admin", "manager", "staff", "viewer"}),
    # Export customers beyond one's own: staff export only theirs, whatever staff_can_read_all says; a viewer's
    # file has every personal contact field masked (contacts.unmasked).
    "customers.export_all": frozenset({"admin", "manager", "viewer"}),
    "contacts.unmasked": frozenset({"admin", "manager", "staff"}),
    "kpi.view": frozenset({"admin", "manager", "viewer"}),
    "kpi.targets": frozenset({"admin", "manager"}),  # set the dashboard's targets (crm/kpis/targets.py)
    "classification.manage": frozenset({"admin", "manager"}),
    "follow_ups.log": frozenset({"admin", "manager", "staff"}),
    "follow_ups.team": frozenset({"admin", "manager"}),
    "follow_ups.manage": frozenset({"admin", "manager"}),
    "demo.load": frozenset({"admin"}),
    # Complaints, inquiries and suggestions (crm/complaints): departments are the administrators' list; staff
    # file and handle cases; managers also reject, reroute anything, edit the time limits and read every queue.
    "departments.manage": frozenset({"admin"}),
    "complaints.view": frozenset({"admin", "manager", "staff", "viewer"}),
    "complaints.handle": frozenset({"admin", "manager", "staff"}),
    "complaints.manage": frozenset({"admin", "manager"}),
    # Satisfaction (crm/satisfaction): everyone reads; staff record responses for their own customers (checked per
    # customer), managers and admins for all; managers and admins edit the survey templates.
    "satisfaction.view": frozenset({"admin", "manager", "staff", "viewer"}),
    "satisfaction.record": frozenset({"admin", "manager", "staff"}),
    "satisfaction.manage": frozenset({"admin", "manager"}),
}


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
