"""The managers' settings of complaint handling: the time limits (SLA) and the list of categories."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from crm.complaints.common import CATEGORIES_SETTING, NAME_MAX, SLA_SETTING, custom_categories, load_policy
from crm.complaints.sla import MODES, SlaPolicy
from crm.complaints.vocab import DEFAULT_CATEGORIES, SEVERITIES
from crm.platform.audit import audit_row, changes_since, write_audit
from crm.platform.errors import ValidationCollector, VersionConflict
from crm.platform.permissions import Actor, require
from crm.platform.uow import transaction
from crm.platform.validation import CODE_PATTERN, check_length
from db.engine import Sessions
from db.models import Setting

MAX_HOURS = 24 * 30
MAX_DAYS = 365


def read_policy(sessions: Sessions, *, actor: Actor) -> SlaPolicy:
    """Return the time limits in force (version: what save_policy must be given back)."""
    require(actor, "complaints.view")
    with sessions.read() as session:
        return load_policy(session)


def _check_number(errors: ValidationCollector, field: str, value: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        errors.add(field, "complaints.error.target_range", min=1, max=high)


def save_policy(sessions: Sessions, *, actor: Actor, policy: SlaPolicy, token: str | None = None) -> SlaPolicy:
    """Save new time limits (managers). Deadlines already stored stay: new ones apply from the next intake or
    severity change. policy.version must be the version read; otherwise VersionConflict names who saved since."""
    require(actor, "complaints.manage")
    errors = ValidationCollector()
    if policy.mode not in MODES:
        errors.add("mode", "validation.choice")
    if policy.work_end <= policy.work_start:
        errors.add("work_end", "complaints.error.work_hours")
    for severity in SEVERITIES:
        target = policy.targets.get(severity)
        if target is None:
            errors.add(f"{severity}.acknowledge_hours", "validation.required")
            continue
        _check_number(errors, f"{severity}.acknowledge_hours", target.acknowledge_hours, MAX_HOURS)
        _check_number(errors, f"{severity}.resolve_days", target.resolve_days, MAX_DAYS)
    _check_number(errors, "inquiry_respond_hours", policy.inquiry_respond_hours, MAX_HOURS)
    _check_number(errors, "inquiry_answer_days", policy.inquiry_answer_days, MAX_DAYS)
    errors.raise_if_any()
    with transaction(sessions, actor=actor, token=token, operation="complaints.sla") as session:
        row = session.get(Setting, SLA_SETTING, with_for_update=True)
        current = SlaPolicy.from_json(row.value if row else None)
        _check_setting_version(session, SLA_SETTING, current.version, policy.version)
        saved = SlaPolicy.from_json({**policy.to_json(), "version": current.version + 1})
        old, new = current.to_json(), saved.to_json()
        if row is None:
            session.add(Setting(key=SLA_SETTING, value=new))
        else:
            row.value = new
        write_audit(
            session,
            [
                audit_row(
                    actor,
                    "update",
                    "settings",
                    SLA_SETTING,
                    field=SLA_SETTING,
                    old={k: v for k, v in old.items() if k != "version"},
                    new={k: v for k, v in new.items() if k != "version"},
                    version=saved.version,
                )
            ],
        )
        return saved


def _check_setting_version(session: Session, key: str, current: int, submitted: int) -> None:
    if current != submitted:
        changes = changes_since(session, "settings", key, submitted)
        raise VersionConflict(
            entity="settings",
            changes=changes or [{"username": "?", "field": key, "at": None, "old_value": None, "new_value": None}],
        )


@dataclass(frozen=True)
class Category:
    code: str
    name_en: str | None  # None: a default category, labelled by the catalog (complaints.category.<code>)
    name_zh: str | None


def list_categories(sessions: Sessions, *, actor: Actor) -> list[Category]:
    """Return the complaint categories: the default list, then the ones managers added."""
    require(actor, "complaints.view")
    with sessions.read() as session:
        return _categories(session)


def _categories(session: Session) -> list[Category]:
    added = [
        Category(c["code"], c.get("name_en") or c["code"], c.get("name_zh"))
        for c in custom_categories(session)
        if c["code"] not in DEFAULT_CATEGORIES
    ]
    return [*(Category(code, None, None) for code in DEFAULT_CATEGORIES), *added]


def save_categories(
    sessions: Sessions, *, actor: Actor, added: list[Category], token: str | None = None
) -> list[Category]:
    """Replace the categories managers added (the default list stays; a removed code stays on old complaints)."""
    require(actor, "complaints.manage")
    errors = ValidationCollector()
    seen: set[str] = set()
    for index, category in enumerate(added):
        code = (category.code or "").strip()
        if not CODE_PATTERN.match(code) or code in DEFAULT_CATEGORIES or code in seen:
            errors.add(f"code.{index}", "validation.code_format")
        seen.add(code)
        if not (category.name_en or "").strip():
            errors.add(f"name_en.{index}", "validation.required")
        check_length(errors, f"name_en.{index}", category.name_en, NAME_MAX)
        check_length(errors, f"name_zh.{index}", category.name_zh, NAME_MAX)
    errors.raise_if_any()
    value = [
        {"code": c.code.strip(), "name_en": (c.name_en or "").strip(), "name_zh": (c.name_zh or "").strip()}
        for c in added
    ]
    with transaction(sessions, actor=actor, token=token, operation="complaints.categories") as session:
        row = session.get(Setting, CATEGORIES_SETTING, with_for_update=True)
        old = row.value if row else []
        if row is None:
            session.add(Setting(key=CATEGORIES_SETTING, value=value))
        else:
            row.value = value
        write_audit(
            session,
            [audit_row(actor, "update", "settings", CATEGORIES_SETTING, field=CATEGORIES_SETTING, old=old, new=value)],
        )
        session.flush()
        return _categories(session)
