"""Survey templates: managers edit them; a template with responses gets a new revision, old responses keep theirs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm.platform.errors import PermissionDenied, ValidationError, VersionConflict
from crm.satisfaction import (
    DEFAULT_DIMENSIONS,
    TemplateInput,
    active_template,
    create_template,
    dimension_label,
    edit_template,
    get_template,
    list_templates,
    reactivate_template,
    record_response,
    response_detail,
    retire_template,
)
from db.engine import Sessions
from db.models import AuditLog, SurveyResponse
from tests.crm.satisfaction.conftest import SurveyWorld, answer

OWN = TemplateInput(
    name="After-sales check 售后回访",
    dimensions=("product_quality", "delivery_time"),
    labels={"delivery_time": ("Delivery time", "交付时间"), "product_quality": ("ignored", "忽略")},
)


def test_a_manager_creates_a_template_with_its_own_dimension_labelled_in_both_languages(
    sessions: Sessions, survey_world: SurveyWorld
) -> None:
    w = survey_world
    template_id = create_template(sessions, actor=w.manager, data=OWN)
    row = get_template(sessions, actor=w.viewer, template_id=template_id)
    assert (row.family_id, row.revision, row.is_active, row.responses) == (template_id, 1, True, 0)
    assert [(d.code, d.label_en, d.label_zh) for d in row.dimensions] == [
        ("product_quality", "Product quality", "产品质量"),
        ("delivery_time", "Delivery time", "交付时间"),
    ]
    assert row.labels == {"delivery_time": ("Delivery time", "交付时间")}  # the built-in five keep the catalog's
    assert [t.id for t in list_templates(sessions, actor=w.staff)] == [w.template_id, template_id]


def test_a_template_needs_a_name_valid_codes_and_both_labels_of_its_own_dimensions(
    sessions: Sessions, survey_world: SurveyWorld
) -> None:
    w = survey_world
    with pytest.raises(ValidationError) as refused:
        create_template(
            sessions,
            actor=w.manager,
            data=TemplateInput(
                name=" ", dimensions=("product_quality", "Bad Code", "warmth"), labels={"warmth": ("Warmth", "")}
            ),
        )
    assert refused.value.fields == {
        "name": ("validation.required", {}),
        "dimensions.Bad Code": ("satisfaction.error.dimension_code", {}),
        "labels.warmth.zh": ("validation.required", {}),
    }
    with pytest.raises(ValidationError) as refused:
        create_template(sessions, actor=w.manager, data=TemplateInput(name="Empty", dimensions=()))
    assert refused.value.fields == {"dimensions": ("satisfaction.error.no_dimensions", {})}
    with pytest.raises(ValidationError) as refused:
        create_template(
            sessions, actor=w.manager, data=TemplateInput(name="Twice", dimensions=("product_quality",) * 2)
        )
    assert refused.value.fields == {"dimensions": ("satisfaction.error.duplicate_dimension", {})}


def test_only_managers_and_admins_manage_templates(sessions: Sessions, survey_world: SurveyWorld) -> None:
    w = survey_world
    for actor in (w.staff, w.viewer):
        with pytest.raises(PermissionDenied):
            create_template(sessions, actor=actor, data=OWN)
        with pytest.raises(PermissionDenied):
            edit_template(sessions, actor=actor, template_id=w.template_id, version=1, data=OWN)
        with pytest.raises(PermissionDenied):
            retire_template(sessions, actor=actor, template_id=w.template_id, version=1)
    assert create_template(sessions, actor=w.admin, data=OWN) > 0


def test_a_template_nobody_answered_is_edited_in_place(sessions: Sessions, survey_world: SurveyWorld) -> None:
    w = survey_world
    edited = edit_template(
        sessions,
        actor=w.manager,
        template_id=w.template_id,
        version=1,
        data=TemplateInput(name="Annual survey 2026", dimensions=("product_quality", "value_for_money")),
    )
    row = get_template(sessions, actor=w.manager, template_id=edited)
    assert (edited, row.revision, row.version, row.name) == (w.template_id, 1, 2, "Annual survey 2026")
    assert row.dimension_codes == ("product_quality", "value_for_money")
    with pytest.raises(VersionConflict):
        edit_template(sessions, actor=w.manager, template_id=w.template_id, version=1, data=OWN)


def test_editing_a_template_with_responses_adds_a_revision_and_old_responses_keep_theirs(
    sessions: Sessions, survey_world: SurveyWorld
) -> None:
    w = survey_world
    old_response = record_response(sessions, actor=w.staff, data=answer(w, scores={"response_speed": 2}))
    revision_id = edit_template(
        sessions,
        actor=w.manager,
        template_id=w.template_id,
        version=1,
        data=TemplateInput(
            name="Annual survey 年度调查",
            dimensions=("product_quality", "onboarding"),
            labels={"onboarding": ("Onboarding", "上手引导")},
        ),
    )
    assert revision_id != w.template_id
    old, new = (
        get_template(sessions, actor=w.manager, template_id=w.template_id),
        get_template(sessions, actor=w.manager, template_id=revision_id),
    )
    assert (old.family_id, old.revision, old.is_active, old.responses) == (w.template_id, 1, False, 1)
    assert (new.family_id, new.revision, new.is_active, new.responses) == (w.template_id, 2, True, 0)
    assert old.dimension_codes == DEFAULT_DIMENSIONS and new.dimension_codes == ("product_quality", "onboarding")
    detail = response_detail(sessions, actor=w.staff, response_id=old_response)
    assert (detail.template_id, detail.template_revision) == (w.template_id, 1)
    assert [s.code for s in detail.scores] == list(DEFAULT_DIMENSIONS)
    # The family's revision in force takes the new dimension; an old revision may still be named (imports).
    record_response(sessions, actor=w.staff, data=answer(w, template_id=revision_id, scores={"onboarding": 4}))
    record_response(sessions, actor=w.staff, data=answer(w, template_id=w.template_id))
    in_force = active_template(sessions, w.template_id)
    assert in_force is not None and in_force.id == revision_id
    assert [(t.id, t.is_active) for t in list_templates(sessions, actor=w.manager)] == [(revision_id, True)]
    every = list_templates(sessions, actor=w.manager, include_retired=True)
    assert [(t.id, t.revision, t.responses) for t in every] == [(w.template_id, 1, 2), (revision_id, 2, 1)]
    with sessions.read() as session:
        assert session.scalars(select(SurveyResponse.template_id).order_by(SurveyResponse.id)).all() == [
            w.template_id,
            revision_id,
            w.template_id,
        ]
        audited = session.scalars(
            select(AuditLog.new_value).where(
                AuditLog.entity_type == "survey_templates",
                AuditLog.entity_id == str(w.template_id),
                AuditLog.field == "is_active",
                AuditLog.action == "update",
            )
        ).all()
    assert audited == ["false"]


def test_a_retired_template_takes_no_responses_until_it_is_reactivated(
    sessions: Sessions, survey_world: SurveyWorld
) -> None:
    w = survey_world
    retire_template(sessions, actor=w.manager, template_id=w.template_id, version=1)
    assert list_templates(sessions, actor=w.manager) == []
    assert active_template(sessions, w.template_id) is None
    with pytest.raises(ValidationError) as refused:
        record_response(sessions, actor=w.staff, data=answer(w))
    assert refused.value.fields == {"template_id": ("satisfaction.error.template_retired", {})}
    assert reactivate_template(sessions, actor=w.manager, template_id=w.template_id, version=2) == w.template_id
    assert record_response(sessions, actor=w.staff, data=answer(w)) > 0


def test_dimension_labels_come_from_the_catalog_or_the_template() -> None:
    labels = {"delivery_time": ["Delivery time", "交付时间"]}
    assert dimension_label("response_speed", labels, "zh") == "响应速度"
    assert dimension_label("delivery_time", labels, "zh") == "交付时间"
    assert dimension_label("delivery_time", labels, "en") == "Delivery time"
    assert dimension_label("unknown", labels, "en") == "unknown"
