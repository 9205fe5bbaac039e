"""Audit trail: every ORM change to a versioned record writes who/when/field/old/new in the same flush."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import event, func, insert, inspect, or_, select
from sqlalchemy.orm import Session

from crm.platform.change_display import named, reference_names
from crm.platform.clock import company_zone, local_midnight, utcnow
from crm.platform.permissions import SYSTEM, Actor
from db.models import AuditLog, Base, User, Versioned

HIDDEN = "***"
_SKIPPED_FIELDS = frozenset({"id", "version", "created_at", "updated_at"})


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def actor_of(session: Session) -> Actor:
    actor = session.info.get("actor")
    return actor if isinstance(actor, Actor) else SYSTEM


def audit_row(
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: Any,
    *,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    version: int | None = None,
) -> dict[str, Any]:
    """Build one audit_log row as a dict for a bulk insert."""
    return {
        "at": utcnow(),
        "user_id": actor.id,
        "username": actor.username,
        "action": action,
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "entity_version": version,
        "field": field,
        "old_value": _as_text(old),
        "new_value": _as_text(new),
    }


def write_audit(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert audit rows on the session's connection (inside the current transaction)."""
    if rows:
        session.execute(insert(AuditLog), rows)


def _field_names(obj: Versioned) -> list[str]:
    return [attr.key for attr in inspect(obj).mapper.column_attrs if attr.key not in _SKIPPED_FIELDS]


def _shown(obj: Any, field: str, value: Any) -> Any:
    return HIDDEN if field in getattr(obj, "audit_hidden_fields", ()) and value is not None else value


def _rows_for_flush(session: Session) -> list[dict[str, Any]]:
    actor = actor_of(session)
    rows: list[dict[str, Any]] = []
    for obj in session.new:
        if isinstance(obj, Versioned):
            table = obj.__tablename__
            ignored: frozenset[str] = getattr(obj, "audit_ignored_fields", frozenset())
            rows.append(audit_row(actor, "create", table, obj.id, version=obj.version))
            for name in _field_names(obj):
                value = getattr(obj, name)
                if value is not None and name != "archived_at" and name not in ignored:
                    rows.append(
                        audit_row(
                            actor,
                            "create",
                            table,
                            obj.id,
                            field=name,
                            new=_shown(obj, name, value),
                            version=obj.version,
                        )
                    )
    for obj in session.dirty:
        if not isinstance(obj, Versioned) or not session.is_modified(obj):
            continue
        state = inspect(obj)
        table = obj.__tablename__
        ignored = getattr(obj, "audit_ignored_fields", frozenset())
        for name in _field_names(obj):
            history = state.attrs[name].history
            if not history.has_changes() or name in ignored:
                continue
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old == new:
                continue
            action = "update"
            if name == "archived_at":
                action = "archive" if new is not None else "restore"
            rows.append(
                audit_row(
                    actor,
                    action,
                    table,
                    obj.id,
                    field=name,
                    old=_shown(obj, name, old),
                    new=_shown(obj, name, new),
                    version=obj.version,
                )
            )
    for obj in session.deleted:
        if isinstance(obj, Versioned):
            rows.append(audit_row(actor, "delete", obj.__tablename__, obj.id, version=obj.version))
    return rows


@event.listens_for(Session, "after_flush")
def _audit_after_flush(session: Session, _flush_context: Any) -> None:
    rows = _rows_for_flush(session)
    if rows:
        session.connection().execute(insert(AuditLog), rows)


def _ignored_fields(entity_type: str) -> frozenset[str]:
    """The fields a table's model leaves out of the audit trail (`audit_ignored_fields`)."""
    for mapper in Base.registry.mappers:
        if getattr(mapper.class_, "__tablename__", None) == entity_type:
            return frozenset(getattr(mapper.class_, "audit_ignored_fields", frozenset()))
    return frozenset()


def changes_since(session: Session, entity_type: str, entity_id: Any, version: int) -> list[dict[str, Any]]:
    """Return the audited changes made to a record after the given version (for conflict messages).

    Each change has the username, `who` (the display name), the entity, the field and its old and new
    values, owner and department ids replaced by their names.
    """
    conditions = [
        AuditLog.entity_type == entity_type,
        AuditLog.entity_id == str(entity_id),
        AuditLog.entity_version > version,
    ]
    ignored = _ignored_fields(entity_type)
    if ignored:  # derived fields that older versions of the app audited (name_key): not the user's to read
        conditions.append(or_(AuditLog.field.is_(None), AuditLog.field.not_in(ignored)))
    result = session.execute(
        select(
            AuditLog.username,
            func.coalesce(User.display_name, AuditLog.username).label("who"),
            AuditLog.entity_type.label("entity"),
            AuditLog.at,
            AuditLog.field,
            AuditLog.old_value,
            AuditLog.new_value,
        )
        .outerjoin(User, User.id == AuditLog.user_id)
        .where(*conditions)
        .order_by(AuditLog.id)
    )
    changes = [dict(row._mapping) for row in result]
    names = reference_names(session, changes)
    for change in changes:
        for key in ("old_value", "new_value"):
            change[key] = named(names, change["field"], change[key])
    return changes


AUDIT_PAGE_SIZE = 50


def search_audit(
    sessions: Any,
    *,
    actor: Actor,
    user_id: int | None = None,
    entity_type: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    page: int = 0,
    page_size: int = AUDIT_PAGE_SIZE,
) -> tuple[list[dict[str, Any]], int]:
    """Return one page of the audit trail, newest first, with the total count (SQL-side paging)."""
    from sqlalchemy import func

    from crm.platform.errors import ValidationCollector
    from crm.platform.permissions import require

    require(actor, "audit.view")
    if date_from and date_to and date_from > date_to:
        errors = ValidationCollector()
        errors.add("date_from", "validation.date_range")
        errors.raise_if_any()
    conditions = []
    if user_id is not None:
        conditions.append(AuditLog.user_id == user_id)
    if entity_type:
        conditions.append(AuditLog.entity_type == entity_type)
    with sessions.read() as session:
        zone = company_zone(session)  # the dates are the company's days, as the times are shown
        if date_from:
            conditions.append(AuditLog.at >= local_midnight(date_from, zone))
        if date_to:
            conditions.append(AuditLog.at < local_midnight(date_to + dt.timedelta(days=1), zone))
        total = session.scalar(select(func.count()).select_from(AuditLog).where(*conditions)) or 0
        rows = session.execute(
            select(
                AuditLog.id,
                AuditLog.at,
                AuditLog.username,
                AuditLog.action,
                AuditLog.entity_type,
                AuditLog.entity_id,
                AuditLog.field,
                AuditLog.old_value,
                AuditLog.new_value,
            )
            .where(*conditions)
            .order_by(AuditLog.id.desc())
            .limit(page_size)
            .offset(page * page_size)
        )
        return [dict(r._mapping) for r in rows], int(total)


def audited_entity_types(sessions: Any) -> list[str]:
    """Return the record types present in the audit trail (for the filter)."""
    with sessions.read() as session:
        return list(session.scalars(select(AuditLog.entity_type).distinct().order_by(AuditLog.entity_type)))


# How far back data_version looks for rows committed late: a transaction holding an id below the newest one
# commits after it is read; counting the rows of the last window ids sees it arrive.
_LATE_COMMIT_WINDOW = 1_000


def data_version(sessions: Any) -> tuple[int, int]:
    """A cheap stamp of everything written so far: (the newest audit row's id, how many of the rows near it exist).

    Every write leaves audit rows in its transaction, so a stamp that differs means something changed: the cached
    figures of every app server key on it and follow another server's save on the next rerun. Two index reads."""
    with sessions.read() as session:
        newest = int(session.scalar(select(func.max(AuditLog.id))) or 0)
        recent = int(
            session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.id > newest - _LATE_COMMIT_WINDOW))
            or 0
        )
    return newest, recent
