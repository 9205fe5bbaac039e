"""Survey templates: a name and the dimensions scored 1-5; a template in use gets a new revision, never a change.

A template is a family of revisions (family_id = the first revision's id). Editing a revision that responses
already answered adds revision + 1 with the same family_id and retires the old one, so every response keeps the
questions it answered; a revision nobody answered yet is edited in place. At most one revision of a family is
in force (is_active); retiring it retires the template, reactivating brings back its latest revision.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crm.platform.audit import audit_row, write_audit
from crm.platform.errors import NotFound, ValidationCollector
from crm.platform.i18n import t
from crm.platform.permissions import Actor, require
from crm.platform.uow import check_version, transaction
from crm.platform.validation import check_required
from crm.satisfaction.vocab import DEFAULT_DIMENSIONS
from db.engine import Sessions
from db.models import SurveyResponse, SurveyScore, SurveyTemplate

NAME_MAX = 120
LABEL_MAX = 80
MAX_DIMENSIONS = 12
# A dimension's code is stored in survey_scores.dimension (String(32)) and read in files and URLs.
DIMENSION_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True)
class TemplateInput:
    """What a manager edits: the name, the dimensions in order, and labels (English, Chinese) of own dimensions."""

    name: str
    dimensions: tuple[str, ...]
    labels: Mapping[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class DimensionView:
    code: str
    label_en: str
    label_zh: str

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass(frozen=True)
class TemplateRow:
    """One revision of a template as the page lists it."""

    id: int
    family_id: int
    revision: int
    name: str
    dimensions: tuple[DimensionView, ...]
    labels: dict[str, tuple[str, str]]  # own dimensions only, as stored
    is_active: bool
    responses: int  # responses recorded against this revision (archived ones left out)
    version: int
    created_at: dt.datetime

    @property
    def dimension_codes(self) -> tuple[str, ...]:
        return tuple(d.code for d in self.dimensions)


def dimension_label(code: str, labels: Mapping[str, object] | None, lang: str) -> str:
    """Return a dimension's label in the language: the catalog's for the built-in five, else the template's."""
    if code in DEFAULT_DIMENSIONS:
        return t(f"satisfaction.dimension.{code}", lang)
    pair = (labels or {}).get(code)
    if isinstance(pair, list | tuple) and len(pair) == 2:
        text = str(pair[1] if lang == "zh" else pair[0]).strip()
        return text or str(pair[0] or pair[1] or code)
    return code


def _dimension_views(codes: list[str], labels: Mapping[str, object] | None) -> tuple[DimensionView, ...]:
    return tuple(DimensionView(c, dimension_label(c, labels, "en"), dimension_label(c, labels, "zh")) for c in codes)


def _stored_labels(labels: object) -> dict[str, tuple[str, str]]:
    if not isinstance(labels, dict):
        return {}
    return {str(k): (str(v[0]), str(v[1])) for k, v in labels.items() if isinstance(v, list | tuple) and len(v) == 2}


def template_row(template: SurveyTemplate, responses: int) -> TemplateRow:
    codes = [str(c) for c in (template.dimensions or [])]
    return TemplateRow(
        id=template.id,
        family_id=template.family_id or template.id,
        revision=template.revision or 1,
        name=template.name,
        dimensions=_dimension_views(codes, template.labels),
        labels=_stored_labels(template.labels),
        is_active=bool(template.is_active),
        responses=responses,
        version=template.version,
        created_at=template.created_at,
    )


# --- checks -------------------------------------------------------------------------------------------------


def _clean_input(data: TemplateInput) -> tuple[str, list[str], dict[str, list[str]]]:
    name = (data.name or "").strip()
    codes = [str(code).strip() for code in data.dimensions]
    labels = {
        code: [str(pair[0] or "").strip(), str(pair[1] or "").strip()]
        for code, pair in (data.labels or {}).items()
        if code in codes and code not in DEFAULT_DIMENSIONS and isinstance(pair, list | tuple) and len(pair) == 2
    }
    return name, codes, labels


def check_template(data: TemplateInput) -> ValidationCollector:
    """Check a template's name, dimension codes and own dimensions' labels (both languages)."""
    errors = ValidationCollector()
    name, codes, labels = _clean_input(data)
    check_required(errors, "name", name, NAME_MAX)
    if not codes:
        errors.add("dimensions", "satisfaction.error.no_dimensions")
    elif len(codes) > MAX_DIMENSIONS:
        errors.add("dimensions", "satisfaction.error.too_many_dimensions", max=MAX_DIMENSIONS)
    elif len(set(codes)) != len(codes):
        errors.add("dimensions", "satisfaction.error.duplicate_dimension")
    for code in codes:
        if not DIMENSION_CODE.match(code):
            errors.add(f"dimensions.{code}", "satisfaction.error.dimension_code")
        elif code not in DEFAULT_DIMENSIONS:
            english, chinese = labels.get(code, ["", ""])
            for index, text in ((0, english), (1, chinese)):
                field_name = f"labels.{code}.{'en' if index == 0 else 'zh'}"
                check_required(errors, field_name, text, LABEL_MAX)
    return errors


def _response_count(session: Session, template_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(SurveyResponse).where(SurveyResponse.template_id == template_id)
        )
        or 0
    )


def _load(session: Session, template_id: int) -> SurveyTemplate:
    template = session.get(SurveyTemplate, template_id, with_for_update=True)
    if template is None or template.archived_at is not None:
        raise NotFound(entity="survey_templates", id=template_id)
    return template


# --- use cases --------------------------------------------------------------------------------------------


def create_template(sessions: Sessions, *, actor: Actor, data: TemplateInput, token: str | None = None) -> int:
    """Create a template (its first revision, in force); return its id (managers, admins)."""
    require(actor, "satisfaction.manage")
    check_template(data).raise_if_any()
    name, codes, labels = _clean_input(data)
    with transaction(sessions, actor=actor, token=token, operation="satisfaction.template") as session:
        template = SurveyTemplate(name=name, dimensions=codes, labels=labels, is_active=True, revision=1)
        session.add(template)
        session.flush()
        # The family is the first revision's own id, known only now: a Core update, so the new template stays at
        # version 1 (an ORM change would count as a second edit); the audit row says it all the same.
        table = SurveyTemplate.__table__
        session.execute(update(table).where(table.c.id == template.id).values(family_id=template.id))
        session.expire(template, ["family_id"])
        write_audit(
            session,
            [
                audit_row(
                    actor, "create", "survey_templates", template.id, field="family_id", new=template.id, version=1
                )
            ],
        )
        return template.id


def edit_template(
    sessions: Sessions,
    *,
    actor: Actor,
    template_id: int,
    version: int,
    data: TemplateInput,
    token: str | None = None,
) -> int:
    """Change a template; return the id of the revision now in force.

    A revision that responses answered is never changed: a new revision (same family, revision + 1) replaces it
    and it is retired. A revision without responses is edited in place. An edit that changes nothing changes
    nothing.
    """
    require(actor, "satisfaction.manage")
    check_template(data).raise_if_any()
    name, codes, labels = _clean_input(data)
    with transaction(sessions, actor=actor, token=token, operation="satisfaction.template") as session:
        template = _load(session, template_id)
        check_version(session, template, version)
        if not template.is_active:
            errors = ValidationCollector()
            errors.add("template_id", "satisfaction.error.template_retired")
            errors.raise_if_any()
        unchanged = (
            template.name == name
            and list(template.dimensions or []) == codes
            and _stored_labels(template.labels) == {k: (v[0], v[1]) for k, v in labels.items()}
        )
        if unchanged:
            return template.id
        if _response_count(session, template.id) == 0:
            template.name, template.dimensions, template.labels = name, codes, labels
            return template.id
        family_id = template.family_id or template.id
        latest = session.scalar(select(func.max(SurveyTemplate.revision)).where(SurveyTemplate.family_id == family_id))
        template.is_active = False
        revision = SurveyTemplate(
            name=name,
            dimensions=codes,
            labels=labels,
            is_active=True,
            family_id=family_id,
            revision=int(latest or template.revision or 1) + 1,
        )
        session.add(revision)
        session.flush()
        return revision.id


def retire_template(
    sessions: Sessions, *, actor: Actor, template_id: int, version: int, token: str | None = None
) -> None:
    """Retire the revision in force: the template is no longer offered for new responses (old ones stay)."""
    require(actor, "satisfaction.manage")
    with transaction(sessions, actor=actor, token=token, operation="satisfaction.template") as session:
        template = _load(session, template_id)
        check_version(session, template, version)
        template.is_active = False


def reactivate_template(
    sessions: Sessions, *, actor: Actor, template_id: int, version: int, token: str | None = None
) -> int:
    """Bring a retired template back: its latest revision comes into force again; return that revision's id."""
    require(actor, "satisfaction.manage")
    with transaction(sessions, actor=actor, token=token, operation="satisfaction.template") as session:
        template = _load(session, template_id)
        check_version(session, template, version)
        family_id = template.family_id or template.id
        latest = session.scalars(
            select(SurveyTemplate)
            .where(SurveyTemplate.family_id == family_id, SurveyTemplate.archived_at.is_(None))
            .order_by(SurveyTemplate.revision.desc(), SurveyTemplate.id.desc())
            .limit(1)
        ).one()
        latest.is_active = True
        return latest.id


reactivate = reactivate_template


def _counts(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.execute(
        select(SurveyResponse.template_id, func.count())
        .where(SurveyResponse.template_id.in_(ids), SurveyResponse.archived_at.is_(None))
        .group_by(SurveyResponse.template_id)
    ).all()
    return {int(tid): int(n) for tid, n in rows if tid is not None}


def list_templates(sessions: Sessions, *, actor: Actor, include_retired: bool = False) -> list[TemplateRow]:
    """List the templates in force (with include_retired, every revision), by family and revision."""
    require(actor, "satisfaction.view")
    with sessions.read() as session:
        stmt = select(SurveyTemplate).where(SurveyTemplate.archived_at.is_(None))
        if not include_retired:
            stmt = stmt.where(SurveyTemplate.is_active.is_(True))
        templates = session.scalars(stmt.order_by(SurveyTemplate.family_id, SurveyTemplate.revision)).all()
        counts = _counts(session, [tpl.id for tpl in templates])
        return [template_row(tpl, counts.get(tpl.id, 0)) for tpl in templates]


def get_template(sessions: Sessions, *, actor: Actor, template_id: int) -> TemplateRow:
    """Return one revision of a template, whether in force or not."""
    require(actor, "satisfaction.view")
    with sessions.read() as session:
        template = session.get(SurveyTemplate, template_id)
        if template is None or template.archived_at is not None:
            raise NotFound(entity="survey_templates", id=template_id)
        return template_row(template, _counts(session, [template.id]).get(template.id, 0))


def active_revision(session: Session, family_id: int) -> SurveyTemplate | None:
    """The revision of the family in force, inside the caller's transaction (None: retired or unknown)."""
    return session.scalars(
        select(SurveyTemplate)
        .where(
            SurveyTemplate.family_id == family_id,
            SurveyTemplate.is_active.is_(True),
            SurveyTemplate.archived_at.is_(None),
        )
        .order_by(SurveyTemplate.revision.desc())
        .limit(1)
    ).first()


def active_template(sessions: Sessions, family_id: int) -> TemplateRow | None:
    """Return the family's revision in force (what a new response or a campaign answers), None if retired."""
    with sessions.read() as session:
        template = active_revision(session, family_id)
        if template is None:
            return None
        return template_row(template, _counts(session, [template.id]).get(template.id, 0))


def default_template(session: Session) -> SurveyTemplate | None:
    """The first template in force (the lowest family): the command line's default."""
    return session.scalars(
        select(SurveyTemplate)
        .where(SurveyTemplate.is_active.is_(True), SurveyTemplate.archived_at.is_(None))
        .order_by(SurveyTemplate.family_id, SurveyTemplate.revision.desc())
        .limit(1)
    ).first()


def scored_dimensions(session: Session, response_ids: list[int]) -> dict[int, dict[str, int]]:
    """Return {response id: {dimension: score}} for these responses (one query per 1,000)."""
    found: dict[int, dict[str, int]] = {rid: {} for rid in response_ids}
    for start in range(0, len(response_ids), 1000):
        for rid, dimension, score in session.execute(
            select(SurveyScore.response_id, SurveyScore.dimension, SurveyScore.score).where(
                SurveyScore.response_id.in_(response_ids[start : start + 1000])
            )
        ):
            found[int(rid)][str(dimension)] = int(score)
    return found
