"""The customer 360 timeline: one newest-first list of changes, follow-ups, complaints, surveys and stages."""

from __future__ import annotations

import datetime as dt

import pytest

from crm.customers.records import ContactInput, add_contact, update_contact
from crm.customers.service import update_customer
from crm.customers.timeline import customer_timeline
from crm.platform.errors import PermissionDenied
from crm.platform.settings import update_settings
from crm.platform.uow import transaction
from db.engine import Sessions
from db.models import Activity, ClassChange, Complaint, SurveyResponse, utcnow
from tests.crm.customers.customer_fixtures import MakeCustomer, Team, count_statements


@pytest.fixture
def history(sessions: Sessions, team: Team, make_customer: MakeCustomer) -> int:
    created = make_customer("Timeline Ltd", actor=team.staff, region="east")
    update_customer(
        sessions,
        actor=team.staff,
        customer_id=created.id,
        version=created.version,
        changes={"region": "south", "lifecycle_stage": "intent"},
    )
    contact = add_contact(
        sessions, actor=team.staff, customer_id=created.id, data=ContactInput(name="Jo", phone="13812345678")
    )
    update_contact(
        sessions,
        actor=team.staff,
        contact_id=contact.id,
        version=contact.version,
        data=ContactInput(name="Jo", phone="13900001111", is_primary=True),
    )
    base = utcnow() + dt.timedelta(minutes=1)
    with transaction(sessions, actor=team.admin) as session:
        session.add_all(
            [
                Activity(
                    customer_id=created.id,
                    owner_id=team.staff.id,
                    channel="visit",
                    summary="Met the CTO",
                    outcome="interested",
                    occurred_at=base + dt.timedelta(minutes=1),
                ),
                Complaint(
                    code="CP-9",
                    customer_id=created.id,
                    channel="email",
                    description="Late delivery",
                    severity="medium",
                    received_at=base + dt.timedelta(minutes=2),
                ),
                SurveyResponse(
                    customer_id=created.id,
                    channel="online",
                    overall_score=5,
                    nps=10,
                    comment="Great",
                    responded_at=base + dt.timedelta(minutes=3),
                ),
                ClassChange(
                    customer_id=created.id,
                    dimension="value_tier",
                    old_class=None,
                    new_class="high",
                    explanation="RFM 5-5-5",
                    changed_at=base + dt.timedelta(minutes=4),
                ),
            ]
        )
    return created.id


def test_everything_that_happened_comes_newest_first(sessions: Sessions, team: Team, history: int) -> None:
    page = customer_timeline(sessions, actor=team.manager, customer_id=history)
    kinds = [e.kind for e in page.entries]
    assert kinds[:4] == ["class", "survey", "complaint", "activity"]
    assert [e.at for e in page.entries] == sorted((e.at for e in page.entries), reverse=True)
    changes = {(e.entity, e.field, e.old, e.new) for e in page.entries if e.kind == "change"}
    assert ("customers", "region", "east", "south") in changes
    assert ("contacts", "phone", "13812345678", "13900001111") in changes
    assert ("customers", None, None, None) in changes  # the creation, once, not one row per field
    stages = [(e.old, e.new) for e in page.entries if e.kind == "stage"]
    assert stages == [("potential", "intent"), (None, "potential")]
    activity = next(e for e in page.entries if e.kind == "activity")
    assert (activity.who, activity.field, activity.text, activity.detail) == (
        "张伟 Zhang Wei",
        "visit",
        "Met the CTO",
        "interested",
    )
    assert not page.has_more


def test_the_timeline_is_paged_in_sql(sessions: Sessions, team: Team, history: int) -> None:
    everything = customer_timeline(sessions, actor=team.manager, customer_id=history, limit=200).entries
    first = customer_timeline(sessions, actor=team.manager, customer_id=history, limit=3)
    second = customer_timeline(sessions, actor=team.manager, customer_id=history, limit=3, offset=3)
    assert first.has_more and len(first.entries) == 3
    assert first.entries + second.entries == everything[:6]
    with count_statements(sessions) as statements:
        customer_timeline(sessions, actor=team.manager, customer_id=history, limit=3)
    # the customer (read access) and the one UNION ALL query
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2


def test_a_viewer_sees_contact_changes_masked(sessions: Sessions, team: Team, history: int) -> None:
    page = customer_timeline(sessions, actor=team.viewer, customer_id=history)
    phones = [(e.old, e.new) for e in page.entries if e.kind == "change" and e.field == "phone"]
    assert phones == [("138****5678", "139****1111")]


def test_staff_read_the_timeline_only_of_customers_they_may_see(sessions: Sessions, team: Team, history: int) -> None:
    update_settings(sessions, actor=team.admin, changes={"staff_can_read_all": False})
    with pytest.raises(PermissionDenied):
        customer_timeline(sessions, actor=team.other_staff, customer_id=history)
    assert customer_timeline(sessions, actor=team.staff, customer_id=history).entries


def test_owner_and_department_changes_show_names_not_ids(
    sessions: Sessions, team: Team, make_customer: MakeCustomer
) -> None:
    created = make_customer("Reassigned Ltd", owner_id=team.staff.id)
    update_customer(
        sessions,
        actor=team.manager,
        customer_id=created.id,
        version=created.version,
        changes={"owner_id": team.other_staff.id},
    )
    page = customer_timeline(sessions, actor=team.manager, customer_id=created.id)
    changes = [(e.field, e.old, e.new) for e in page.entries if e.kind == "change" and e.field]
    assert ("owner_id", "张伟 Zhang Wei", "Olivia Other") in changes
