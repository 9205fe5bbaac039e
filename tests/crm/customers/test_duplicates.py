"""Duplicate customers: warnings on create, candidates by folded name / phone / email, and merging."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from crm.customers.duplicates import (
    DuplicateCandidate,
    DuplicatesFound,
    duplicates_of,
    find_duplicates,
    merge_customers,
    phone_variants,
)
from crm.customers.records import OrderInput, add_order
from crm.customers.service import (
    CustomerFilter,
    CustomerInput,
    create_customer,
    get_customer,
    list_customers,
    update_customer,
)
from crm.platform.errors import PermissionDenied, ValidationError, VersionConflict
from crm.platform.uow import transaction
from db.engine import Sessions
from db.models import (
    Activity,
    AuditLog,
    Complaint,
    Contact,
    CustomerTag,
    FollowUpTask,
    KeyDate,
    Order,
    Suggestion,
    SurveyResponse,
    utcnow,
)
from tests.crm.customers.customer_fixtures import YESTERDAY, MakeCustomer, Team


@pytest.mark.parametrize(
    "spelling", ["ACME Robotics Co., Ltd.", "acme robotics", "Ａｃｍｅ　Ｒｏｂｏｔｉｃｓ Inc.", "Acme-Robotics LLC"]
)
def test_a_name_matches_ignoring_case_width_punctuation_and_suffixes(
    sessions: Sessions, team: Team, make_customer: MakeCustomer, spelling: str
) -> None:
    existing = make_customer("Acme Robotics Ltd")
    found = find_duplicates(sessions, actor=team.staff, name=spelling)
    assert [(c.id, c.matched_on) for c in found] == [(existing.id, ("name",))]


def test_chinese_company_suffixes_are_ignored(sessions: Sessions, team: Team, make_customer: MakeCustomer) -> None:
    existing = make_customer("深圳华强电子有限公司")
    assert [c.id for c in find_duplicates(sessions, actor=team.staff, name="深圳华强电子股份有限公司")] == [existing.id]
    assert find_duplicates(sessions, actor=team.staff, name="深圳华强科技有限公司") == []


def test_a_phone_matches_however_it_was_written(sessions: Sessions, team: Team, make_customer: MakeCustomer) -> None:
    existing = make_customer("Someone", contact={"name": "Jo", "phone": "13812345678", "email": "Jo@Example.com"})
    with transaction(sessions, actor=team.admin) as session:  # as imports and demo data may store it
        session.add(Contact(customer_id=existing.id, name="Legacy", phone="+86 139 0000 1111"))
    for phone in ("+86 138 1234 5678", "138-1234-5678", "0086 13812345678"):
        assert [c.matched_on for c in find_duplicates(sessions, actor=team.staff, phone=phone)] == [("phone",)]
    assert [c.id for c in find_duplicates(sessions, actor=team.staff, phone="13900001111")] == [existing.id]
    assert [
        c.matched_on for c in find_duplicates(sessions, actor=team.staff, email="JO@example.COM", name="Someone Else")
    ] == [("email",)]
    assert "+86 138 1234 5678" in phone_variants("13812345678")


def test_creating_a_likely_duplicate_is_refused_until_confirmed(
    sessions: Sessions, team: Team, make_customer: MakeCustomer
) -> None:
    existing = make_customer("北京星河科技有限公司")
    with pytest.raises(DuplicatesFound) as caught:
        create_customer(sessions, actor=team.staff, data=CustomerInput(name="北京星河科技"))
    assert [c.code for c in caught.value.candidates] == [existing.code]
    created = create_customer(
        sessions, actor=team.staff, data=CustomerInput(name="北京星河科技"), confirm_duplicates=True
    )
    assert [c.id for c in duplicates_of(sessions, actor=team.staff, customer_id=created.id)] == [existing.id]


def test_archived_customers_are_not_candidates(sessions: Sessions, team: Team, make_customer: MakeCustomer) -> None:
    from crm.customers.service import archive_customer

    old = make_customer("Gone Ltd")
    archive_customer(sessions, actor=team.manager, customer_id=old.id, version=old.version)
    assert find_duplicates(sessions, actor=team.staff, name="Gone") == []


def test_staff_who_may_not_read_others_learn_only_that_a_duplicate_exists_and_its_owner(
    sessions: Sessions, team: Team, make_customer: MakeCustomer
) -> None:
    """No code, name or contact of a customer they may not open: "a likely duplicate, owned by X"."""
    from crm.platform.settings import update_settings

    theirs = make_customer(
        "Acme Robotics Ltd",
        owner_id=team.other_staff.id,
        contact={"name": "Jo", "phone": "13812345678", "email": "jo@acme.example"},
    )
    mine = make_customer("Acme Robotics Shanghai", owner_id=team.staff.id)
    update_settings(sessions, actor=team.admin, changes={"staff_can_read_all": False})
    found = find_duplicates(sessions, actor=team.staff, name="ACME Robotics", phone="138 1234 5678")
    assert found == [
        DuplicateCandidate(id=0, code="", name="", owner_name="Olivia Other", matched_on=("name", "phone"), hidden=True)
    ]
    with pytest.raises(DuplicatesFound) as caught:
        create_customer(sessions, actor=team.staff, data=CustomerInput(name="Acme Robotics"))
    assert caught.value.key == "customers.duplicates_found_hidden"
    assert [(c.code, c.name, c.owner_name, c.hidden) for c in caught.value.candidates] == [
        ("", "", "Olivia Other", True)
    ]
    assert caught.value.params["owners"] == "Olivia Other"
    assert theirs.code not in str(caught.value.params) and "Acme Robotics Ltd" not in str(caught.value.params)
    # Their own customer, and everyone's for a manager, in full.
    assert [c.code for c in find_duplicates(sessions, actor=team.staff, name="Acme Robotics Shanghai")] == [mine.code]
    assert [c.code for c in find_duplicates(sessions, actor=team.manager, name="ACME Robotics")] == [theirs.code]
    with pytest.raises(PermissionDenied):
        duplicates_of(sessions, actor=team.staff, customer_id=theirs.id)


def test_a_viewer_cannot_find_whose_phone_or_email_it_is(
    sessions: Sessions, team: Team, make_customer: MakeCustomer
) -> None:
    """Viewers see contacts masked, so a phone or an email they type must not name its customer."""
    existing = make_customer("Someone", contact={"name": "Jo", "phone": "13812345678", "email": "jo@example.com"})
    assert find_duplicates(sessions, actor=team.viewer, phone="13812345678") == []
    assert find_duplicates(sessions, actor=team.viewer, email="jo@example.com") == []
    assert [c.id for c in find_duplicates(sessions, actor=team.viewer, name="Someone")] == [existing.id]
    assert [c.id for c in find_duplicates(sessions, actor=team.staff, phone="13812345678")] == [existing.id]


# --- merge ------------------------------------------------------------------------------------------


@pytest.fixture
def pair(sessions: Sessions, team: Team, make_customer: MakeCustomer) -> tuple[int, int]:
    survivor = make_customer(
        "Acme Robotics", tags=("vip",), region="east", contact={"name": "Jo", "phone": "13812345678"}
    )
    duplicate = make_customer(
        "ACME Robotics Co., Ltd.",
        tags=("vip", "expo-2024"),
        industry="manufacturing",
        contact={"name": "Jo Smith", "email": "jo@acme.example"},
    )
    add_order(
        sessions,
        actor=team.manager,
        customer_id=duplicate.id,
        data=OrderInput(order_date=YESTERDAY, amount="500", product="Arm"),
    )
    now = utcnow()
    with transaction(sessions, actor=team.admin) as session:
        session.add_all(
            [
                Activity(
                    customer_id=duplicate.id, owner_id=team.staff.id, channel="phone", occurred_at=now, summary="Called"
                ),
                FollowUpTask(
                    customer_id=survivor.id,
                    due_at=now + dt.timedelta(days=3),
                    purpose="care",
                    open_key=f"{survivor.id}:care",
                ),
                FollowUpTask(
                    customer_id=duplicate.id,
                    due_at=now + dt.timedelta(days=1),
                    purpose="care",
                    open_key=f"{duplicate.id}:care",
                ),
                FollowUpTask(
                    customer_id=duplicate.id,
                    due_at=now + dt.timedelta(days=2),
                    purpose="regular_revisit",
                    open_key=f"{duplicate.id}:regular_revisit",
                ),
                Complaint(
                    code="CP-1",
                    customer_id=duplicate.id,
                    channel="phone",
                    received_at=now,
                    description="Broken",
                    severity="high",
                ),
                Suggestion(customer_id=duplicate.id, channel="email", received_at=now, content="More colours"),
                SurveyResponse(customer_id=duplicate.id, channel="online", responded_at=now, overall_score=4, nps=9),
                KeyDate(customer_id=duplicate.id, kind="anniversary", month_day="05-01", date=dt.date(2020, 5, 1)),
            ]
        )
    return survivor.id, duplicate.id


def _count(sessions: Sessions, model, customer_id: int, *conditions) -> int:  # type: ignore[no-untyped-def]
    with sessions.read() as session:
        return int(
            session.scalar(select(func.count()).select_from(model).where(model.customer_id == customer_id, *conditions))
            or 0
        )


def test_merging_moves_everything_to_the_survivor_and_archives_the_duplicate(
    sessions: Sessions, team: Team, pair: tuple[int, int]
) -> None:
    survivor_id, duplicate_id = pair
    result = merge_customers(sessions, actor=team.manager, survivor_id=survivor_id, duplicate_id=duplicate_id)
    assert result.moved == {
        "contacts": 1,
        "orders": 1,
        "contracts": 0,
        "activities": 1,
        "follow_up_tasks": 2,
        "complaints": 1,
        "inquiries": 0,
        "suggestions": 1,
        "survey_responses": 1,
        "key_dates": 1,
        "credit_events": 0,
    }
    assert result.cancelled_tasks == 1
    assert result.tags_added == ("expo-2024",)
    assert "industry" in result.filled_fields
    for model in (Contact, Order, Activity, FollowUpTask, Complaint, Suggestion, SurveyResponse, KeyDate):
        assert _count(sessions, model, duplicate_id) == 0, model
    assert _count(sessions, Contact, survivor_id, Contact.is_primary.is_(True)) == 1
    with sessions.read() as session:
        open_keys = sorted(
            session.scalars(
                select(FollowUpTask.open_key).where(
                    FollowUpTask.customer_id == survivor_id, FollowUpTask.status == "open"
                )
            )
        )
        tags = sorted(session.scalars(select(CustomerTag.tag).where(CustomerTag.customer_id == survivor_id)))
        moved_audit = session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.field == "customer_id", AuditLog.old_value == str(duplicate_id))
        )
    assert open_keys == [f"{survivor_id}:care", f"{survivor_id}:regular_revisit"]
    assert tags == ["expo-2024", "vip"]
    assert moved_audit == 9  # one row per moved record, cancelled task included
    survivor = get_customer(sessions, actor=team.manager, customer_id=survivor_id)
    assert survivor.industry == "manufacturing" and survivor.next_follow_up_at is not None
    assert get_customer(sessions, actor=team.manager, customer_id=duplicate_id).archived_at is not None
    assert list_customers(sessions, actor=team.manager, flt=CustomerFilter(search="acme")).total == 1


def test_a_form_opened_on_the_survivor_before_a_merge_cannot_overwrite_the_tags_it_gained(
    sessions: Sessions, team: Team, pair: tuple[int, int]
) -> None:
    survivor_id, duplicate_id = pair
    before = get_customer(sessions, actor=team.manager, customer_id=survivor_id)
    merge_customers(sessions, actor=team.manager, survivor_id=survivor_id, duplicate_id=duplicate_id)
    after = get_customer(sessions, actor=team.manager, customer_id=survivor_id)
    assert after.version > before.version and "expo-2024" in after.tags
    with pytest.raises(VersionConflict) as refused:
        update_customer(
            sessions, actor=team.manager, customer_id=survivor_id, version=before.version, changes={"tags": ("vip",)}
        )
    assert "tags" in str(refused.value.params)
    assert "expo-2024" in get_customer(sessions, actor=team.manager, customer_id=survivor_id).tags


def test_only_managers_merge_and_never_a_customer_with_itself(
    sessions: Sessions, team: Team, pair: tuple[int, int]
) -> None:
    survivor_id, duplicate_id = pair
    with pytest.raises(PermissionDenied):
        merge_customers(sessions, actor=team.staff, survivor_id=survivor_id, duplicate_id=duplicate_id)
    with pytest.raises(ValidationError):
        merge_customers(sessions, actor=team.manager, survivor_id=survivor_id, duplicate_id=survivor_id)


def test_a_merge_against_a_stale_view_is_refused_and_changes_nothing(
    sessions: Sessions, team: Team, pair: tuple[int, int]
) -> None:
    survivor_id, duplicate_id = pair
    with pytest.raises(VersionConflict):
        merge_customers(
            sessions, actor=team.manager, survivor_id=survivor_id, duplicate_id=duplicate_id, duplicate_version=99
        )
    assert _count(sessions, Order, duplicate_id) == 1
    assert get_customer(sessions, actor=team.manager, customer_id=duplicate_id).archived_at is None
