"""How an audited change reads to a person: field labels and values in the user's language, ids as names.

The audit trail stores codes and ids ("industry: energy", "owner_id: 3"); the timeline and the conflict
message show them as the user knows them ("行业: 能源", "负责人: 张伟").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.platform.i18n import CATALOG, DEFAULT_TIMEZONE, format_date, format_datetime, t
from db.models import Department, User, department_label

# Audited fields whose values are codes of a vocabulary (catalog prefix of their labels).
_VOCAB = {
    "customer_type": "customer_type",
    "industry": "industry",
    "region": "region",
    "company_size": "company_size",
    "source_channel": "source",
    "churn_reason": "churn_reason",
    "need_type": "need_type",
    "importance": "importance",
    "lifecycle_stage": "stage",
    "value_tier": "tier",
    "size_class": "size_class",
    "relationship": "relationship",
    "credit_risk": "credit_risk",
    "channel": "channel",
    "outcome": "outcome",
    "priority": "priority",
    "purpose": "purpose",
}
_VOCAB_BY_ENTITY = {
    ("contracts", "status"): "contract_status",
    ("follow_up_tasks", "status"): "task_status",
    ("complaints", "status"): "complaint_status",
    ("complaints", "severity"): "severity",
    ("suggestions", "status"): "suggestion_status",
}
USER_FIELDS = frozenset({"owner_id", "assignee_id", "assigned_to_id", "changed_by_id"})
DEPARTMENT_FIELDS = frozenset({"department_id"})
# Field labels that live under another key than customers.field.<name>.
_LABEL_KEYS = {
    "owner_id": "customers.col.owner",
    "department_id": "customers.col.department",
    "lifecycle_stage": "customers.col.stage",
    "value_tier": "customers.col.value_tier",
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def change_field_label(field: str, lang: str) -> str:
    """Return the label of an audited field in the language ('address' -> 'Address' / '地址')."""
    key = _LABEL_KEYS.get(field, f"customers.field.{field}")
    return t(key, lang) if key in CATALOG else field


def change_value_label(
    entity: str | None, field: str | None, value: str | None, lang: str, tz: str = DEFAULT_TIMEZONE
) -> str | None:
    """Return an audited value as a person reads it: vocabulary labels, yes/no, local dates; else unchanged."""
    if value is None or value == "" or field is None:
        return value
    prefix = _VOCAB_BY_ENTITY.get((entity or "", field)) or _VOCAB.get(field)
    if prefix is not None:
        key = f"{prefix}.{value}"
        return t(key, lang) if key in CATALOG else value
    if value in ("true", "false"):
        return t("common.yes" if value == "true" else "common.no", lang)
    if _ISO_DATETIME.fullmatch(value[:16]) and len(value) > 10:
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return format_datetime(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC), lang, tz)
    if _ISO_DATE.fullmatch(value):
        try:
            return format_date(dt.date.fromisoformat(value), lang)
        except ValueError:
            return value
    return value


def reference_names(session: Session, changes: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], str]:
    """Look up the names behind the ids in changes to owner / department fields: {(field, '3'): '张伟'}."""
    wanted: dict[str, set[int]] = {"user": set(), "department": set()}
    for change in changes:
        field = change.get("field")
        kind = "user" if field in USER_FIELDS else "department" if field in DEPARTMENT_FIELDS else None
        if kind is None:
            continue
        for value in (change.get("old"), change.get("new"), change.get("old_value"), change.get("new_value")):
            if value is not None and str(value).isdigit():
                wanted[kind].add(int(value))
    names: dict[tuple[str, str], str] = {}
    if wanted["user"]:
        users = {
            i: n for i, n in session.execute(select(User.id, User.display_name).where(User.id.in_(wanted["user"])))
        }
        names.update({(f, str(i)): n for i, n in users.items() for f in USER_FIELDS})
    if wanted["department"]:
        departments = {
            i: n
            for i, n in session.execute(
                select(Department.id, department_label()).where(Department.id.in_(wanted["department"]))
            )
        }
        names.update({(f, str(i)): n for i, n in departments.items() for f in DEPARTMENT_FIELDS})
    return names


def named(names: Mapping[tuple[str, str], str], field: str | None, value: Any) -> Any:
    """The value with an id replaced by the name reference_names found for it."""
    if field is None or value is None:
        return value
    return names.get((field, str(value)), value)


def describe_conflict(
    changes: Iterable[Mapping[str, Any]],
    lang: str,
    *,
    key: str = "error.version_conflict",
    tz: str = DEFAULT_TIMEZONE,
    params: Mapping[str, Any] | None = None,
) -> str:
    """Say who changed which fields since the form was shown, then each change with its old and new value.

    params: what else the message names (a complaint's conflict says the state it is in now).
    """
    changes = list(changes)
    changed = [c for c in changes if c.get("field")]

    def value(change: Mapping[str, Any], name: str) -> str:
        return change_value_label(change.get("entity"), change["field"], change.get(name), lang, tz) or "∅"

    details = "; ".join(
        f"{c.get('who') or c.get('username') or '?'} · {format_datetime(c['at'], lang, tz) if c.get('at') else ''}"
        f" · {change_field_label(c['field'], lang)}: {value(c, 'old_value')} → {value(c, 'new_value')}"
        for c in changed
    )
    who = ", ".join(sorted({c.get("who") or c.get("username") or "?" for c in changes}))
    fields = ", ".join(dict.fromkeys(change_field_label(c["field"], lang) for c in changed))
    base = t(key, lang, **{**(params or {}), "who": who, "fields": fields})
    return f"{base}\n\n{details}" if details else base
