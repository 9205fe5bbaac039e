"""Survey campaigns: targets, runs that never add a member or a task twice, the response rate, permissions."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
from dataclasses import dataclass, replace
from typing import Any

import pytest
from sqlalchemy import func, select

from crm.platform.errors import CrmError, NotFound, PermissionDenied, ValidationError, VersionConflict
from crm.platform.names import normalise_name
from crm.platform.permissions import SYSTEM, Actor
from crm.platform.settings import update_settings
from crm.platform.uow import transaction
from crm.platform.users import create_user
from crm.satisfaction.campaigns import (
    CampaignInput,
    RunResult,
    campaign_members,
    create_campaign,
    edit_campaign,
    get_campaign,
    list_campaigns,
    preview_campaign,
    run_campaign,
)
from db.engine import Sessions
from db.models import (
    AuditLog,
    Complaint,
    Customer,
    Department,
    FollowUpTask,
    SurveyCampaignMember,
    SurveyResponse,
    SurveyTemplate,
    User,
)

# Monday 7 December 2026, 10:00 in Shanghai (the company's default zone); working time 09:00.
NOW = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 12, 7)
_codes = itertools.count(1)


@dataclass(frozen=True)
class World:
    manager: Actor
    staff: Actor
    other: Actor  # staff in the service department
    viewer: Actor
    sales_id: int
    service_id: int
    template_id: int


def _user(sessions: Sessions, username: str, role: str) -> Actor:
    return create_user(
        sessions, actor=SYSTEM, username=username, display_name=username.title(), password="secret-pass-1", role=role
    ).as_actor()


@pytest.fixture
def world(sessions: Sessions) -> World:
    manager = _user(sessions, "lina", "manager")
    staff = _user(sessions, "wei", "staff")
    other = _user(sessions, "olivia", "staff")
    viewer = _user(sessions, "victor", "viewer")
    with transaction(sessions, actor=SYSTEM) as session:
        sales = Department(code="sales", name="Sales", name_zh="销售部", function="sales")
        service = Department(code="service", name="Customer Service", name_zh="客服部", function="service")
        template = SurveyTemplate(name="Annual survey", dimensions=["product_quality"], labels={}, is_active=True)
        session.add_all([sales, service, template])
        session.flush()
        template.family_id = template.id
        session.get_one(User, staff.id).department_id = sales.id
        session.get_one(User, other.id).department_id = service.id
        ids = sales.id, service.id, template.id
    return World(manager, staff, other, viewer, ids[0], ids[1], ids[2])


def customer(sessions: Sessions, *, owner_id: int | None, **fields: Any) -> int:
    """Add a customer row directly (the target reads plain columns)."""
    number = next(_codes)
    name = fields.pop("name", f"Customer {number:03d}")
    with transaction(sessions, actor=SYSTEM) as session:
        row = Customer(code=f"S{number:06d}", name=name, name_key=normalise_name(name), owner_id=owner_id, **fields)
        session.add(row)
        session.flush()
        return row.id


def closed_complaint(sessions: Sessions, customer_id: int, closed_at: dt.datetime, status: str = "closed") -> None:
    number = next(_codes)
    with transaction(sessions, actor=SYSTEM) as session:
        session.add(
            Complaint(
                code=f"C-2026-{number:06d}",
                customer_id=customer_id,
                channel="phone",
                received_at=closed_at - dt.timedelta(days=3),
                description="Late delivery",
                severity="medium",
                status=status,
                closed_at=closed_at if status == "closed" else None,
            )
        )


def respond(sessions: Sessions, customer_id: int, campaign_id: int | None, template_id: int) -> int:
    with transaction(sessions, actor=SYSTEM) as session:
        response = SurveyResponse(
            customer_id=customer_id,
            campaign_id=campaign_id,
            template_id=template_id,
            channel="phone",
            responded_at=NOW,
            overall_score=4,
            nps=9,
        )
        session.add(response)
        session.flush()
        return response.id


def campaign_input(world: World, name: str = "Year-end survey", **fields: Any) -> CampaignInput:
    values: dict[str, Any] = {
        "name": name,
        "template_id": world.template_id,
        "starts_on": TODAY,
        "ends_on": dt.date(2026, 12, 31),
        "due_in_days": 7,
    }
    values.update(fields)
    return CampaignInput(**values)


def create_and_run(sessions: Sessions, world: World, **fields: Any) -> tuple[int, RunResult]:
    campaign_id = create_campaign(sessions, actor=world.manager, data=campaign_input(world, **fields))
    return campaign_id, run_campaign(sessions, actor=world.manager, campaign_id=campaign_id, now=NOW)


def members(sessions: Sessions, campaign_id: int) -> set[int]:
    with sessions.read() as session:
        return set(
            session.scalars(
                select(SurveyCampaignMember.customer_id).where(SurveyCampaignMember.campaign_id == campaign_id)
            )
        )


def survey_tasks(sessions: Sessions) -> list[Any]:
    with sessions.read() as session:
        task = FollowUpTask
        return list(
            session.execute(
                select(task.id, task.customer_id, task.owner_id, task.status, task.open_key, task.due_at, task.note)
                .where(task.purpose == "satisfaction_survey")
                .order_by(task.id)
            ).all()
        )


# --- targets ---------------------------------------------------------------------------------------------------


def test_a_run_asks_the_customers_of_the_chosen_value_tiers_and_gives_their_owners_a_survey_task(
    sessions: Sessions, world: World
) -> None:
    high = customer(sessions, owner_id=world.staff.id, value_tier="high")
    medium = customer(sessions, owner_id=world.other.id, value_tier="medium")
    customer(sessions, owner_id=world.staff.id, value_tier="low")
    customer(sessions, owner_id=world.staff.id, value_tier=None)
    campaign_id, result = create_and_run(sessions, world, value_tiers=("high", "medium"))
    assert result == RunResult(added=2, tasks_created=2, already_members=0, skipped_no_owner=0)
    assert members(sessions, campaign_id) == {high, medium}
    tasks = survey_tasks(sessions)
    assert [(t.customer_id, t.owner_id, t.status, t.open_key) for t in tasks] == [
        (high, world.staff.id, "open", f"{high}:satisfaction_survey"),
        (medium, world.other.id, "open", f"{medium}:satisfaction_survey"),
    ]
    # due seven days after the run at the company's working time: 14 Dec 09:00 Shanghai = 01:00 UTC
    assert {t.due_at for t in tasks} == {dt.datetime(2026, 12, 14, 1, 0, tzinfo=dt.UTC)}
    assert {t.note for t in tasks} == {"Year-end survey"}
    with sessions.read() as session:
        linked = dict(
            session.execute(
                select(SurveyCampaignMember.customer_id, SurveyCampaignMember.task_id).where(
                    SurveyCampaignMember.campaign_id == campaign_id
                )
            ).all()
        )
    assert linked == {t.customer_id: t.id for t in tasks}


def test_a_task_due_today_after_the_working_time_is_due_by_the_end_of_the_day(sessions: Sessions, world: World) -> None:
    customer(sessions, owner_id=world.staff.id)
    create_and_run(sessions, world, due_in_days=0)
    # 10:00 in Shanghai is past 09:00: due 23:59 local, 15:59 UTC, never overdue at birth
    assert [t.due_at for t in survey_tasks(sessions)] == [dt.datetime(2026, 12, 7, 15, 59, tzinfo=dt.UTC)]


def test_a_run_targets_stages_and_owners_together(sessions: Sessions, world: World) -> None:
    wanted = customer(sessions, owner_id=world.staff.id, lifecycle_stage="signed")
    customer(sessions, owner_id=world.staff.id, lifecycle_stage="potential")
    customer(sessions, owner_id=world.other.id, lifecycle_stage="signed")
    churned = customer(sessions, owner_id=world.staff.id, lifecycle_stage="churned")
    campaign_id, result = create_and_run(sessions, world, stages=("signed", "churned"), owner_ids=(world.staff.id,))
    assert members(sessions, campaign_id) == {wanted, churned}
    assert result.added == 2


def test_a_customers_department_is_its_own_or_else_its_owners(sessions: Sessions, world: World) -> None:
    own = customer(sessions, owner_id=world.other.id, department_id=world.sales_id)  # owner in service
    inherited = customer(sessions, owner_id=world.staff.id)  # no department of its own; owner in sales
    customer(sessions, owner_id=world.staff.id, department_id=world.service_id)  # its own says service
    customer(sessions, owner_id=world.other.id)  # owner in service
    campaign_id, _ = create_and_run(sessions, world, department_ids=(world.sales_id,))
    assert members(sessions, campaign_id) == {own, inherited}


def test_a_run_targets_customers_who_closed_a_complaint_in_the_last_n_days(sessions: Sessions, world: World) -> None:
    recent = customer(sessions, owner_id=world.staff.id)
    closed_complaint(sessions, recent, NOW - dt.timedelta(days=5))
    old = customer(sessions, owner_id=world.staff.id)
    closed_complaint(sessions, old, NOW - dt.timedelta(days=40))
    still_open = customer(sessions, owner_id=world.staff.id)
    closed_complaint(sessions, still_open, NOW - dt.timedelta(days=2), status="resolved")
    customer(sessions, owner_id=world.staff.id)
    campaign_id, _ = create_and_run(sessions, world, complaint_closed_within_days=30)
    assert members(sessions, campaign_id) == {recent}


def test_archived_customers_are_never_asked_and_customers_without_an_owner_wait_for_one(
    sessions: Sessions, world: World
) -> None:
    live = customer(sessions, owner_id=world.staff.id)
    customer(sessions, owner_id=world.staff.id, archived_at=NOW - dt.timedelta(days=1))
    orphan = customer(sessions, owner_id=None)
    campaign_id, result = create_and_run(sessions, world)
    assert result == RunResult(added=1, tasks_created=1, already_members=0, skipped_no_owner=1)
    assert members(sessions, campaign_id) == {live}
    with transaction(sessions, actor=SYSTEM) as session:
        session.get_one(Customer, orphan).owner_id = world.other.id
    again = run_campaign(sessions, actor=world.manager, campaign_id=campaign_id, now=NOW)
    assert again == RunResult(added=1, tasks_created=1, already_members=1, skipped_no_owner=0)
    assert members(sessions, campaign_id) == {live, orphan}


# --- no duplicates ---------------------------------------------------------------------------------------------


def test_running_a_campaign_again_adds_no_member_and_no_task_twice(sessions: Sessions, world: World) -> None:
    ids = {customer(sessions, owner_id=world.staff.id) for _ in range(5)}
    campaign_id, first = create_and_run(sessions, world)
    second = run_campaign(sessions, actor=world.manager, campaign_id=campaign_id, now=NOW + dt.timedelta(hours=1))
    assert first == RunResult(added=5, tasks_created=5, already_members=0, skipped_no_owner=0)
    assert second == RunResult(added=0, tasks_created=0, already_members=5, skipped_no_owner=0)
    assert members(sessions, campaign_id) == ids
    assert len(survey_tasks(sessions)) == 5
    newcomer = customer(sessions, owner_id=world.other.id)
    third = run_campaign(sessions, actor=world.manager, campaign_id=campaign_id, now=NOW + dt.timedelta(hours=2))
    assert third == RunResult(added=1, tasks_created=1, already_members=5, skipped_no_owner=0)
    assert members(sessions, campaign_id) == ids | {newcomer}


def test_runs_in_small_chunks_add_everyone_once(sessions: Sessions, world: World) -> None:
    ids = {customer(sessions, owner_id=world.staff.id if n % 3 else None) for n in range(11)}
    campaign_id = create_campaign(sessions, actor=world.manager, data=campaign_input(world))
    result = run_campaign(sessions, actor=world.manager, campaign_id=campaign_id, now=NOW, chunk=3)
    assert result == RunResult(added=7, tasks_created=7, already_members=0, skipped_no_owner=4)
    with sessions.read() as session:
        owned = set(session.scalars(select(Customer.id).where(Customer.owner_id.is_not(None))))
    assert members(sessions, campaign_id) == ids & owned


def test_a_customer_with_an_open_survey_task_joins_without_a_second_task(sessions: Sessions, world: World) -> None:
    both = customer(sessions, owner_id=world.staff.id, value_tier="high")
    first_id, _ = create_and_run(sessions, world, name="Key accounts", value_tiers=("high",))
    second_id, result = create_and_run(sessions, world, name="Everyone")
    assert result == RunResult(added=1, tasks_created=0, already_members=0, skipped_no_owner=0)
    assert members(sessions, second_id) == {both}
    tasks = survey_tasks(sessions)
    assert len(tasks) == 1
    listed = {view.id: view for view in list_campaigns(sessions, actor=world.staff, now=NOW)}
    assert (listed[first_id].tasks_open, listed[second_id].tasks_open) == (1, 0)
    rows, total = campaign_members(sessions, actor=world.manager, campaign_id=second_id)
    assert total == 1 and rows[0].task_id is None and rows[0].task_status is None


def test_two_people_running_one_campaign_at_once_add_each_customer_once(sessions: Sessions, world: World) -> None:
    ids = {customer(sessions, owner_id=world.staff.id if n % 2 else world.other.id) for n in range(40)}
    campaign_id = create_campaign(sessions, actor=world.manager, data=campaign_input(world))
    barrier = threading.Barrier(2)
    results: list[RunResult] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(run_campaign(sessions, actor=world.manager, campaign_id=campaign_id, now=NOW, chunk=7))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sum(r.added for r in results) == 40
    assert sum(r.tasks_created for r in results) == 40
    assert members(sessions, campaign_id) == ids
    with sessions.read() as session:
        assert session.scalar(select(func.count()).select_from(SurveyCampaignMember)) == 40
        per_customer = session.execute(
            select(FollowUpTask.customer_id, func.count()).group_by(FollowUpTask.customer_id)
        ).all()
    assert len(per_customer) == 40 and {n for _, n in per_customer} == {1}


# --- the response rate -----------------------------------------------------------------------------------------


def test_the_response_rate_is_no_data_without_members_then_the_share_that_answered(
    sessions: Sessions, world: World
) -> None:
    ids = sorted(customer(sessions, owner_id=world.staff.id) for _ in range(3))
    campaign_id = create_campaign(sessions, actor=world.manager, data=campaign_input(world))
    view = get_campaign(sessions, actor=world.viewer, campaign_id=campaign_id, now=NOW)
    assert (view.members, view.responded, view.response_rate, view.state) == (0, 0, None, "running")
    run_campaign(sessions, actor=world.manager, campaign_id=campaign_id, now=NOW)
    view = get_campaign(sessions, actor=world.viewer, campaign_id=campaign_id, now=NOW)
    assert (view.members, view.responded, view.response_rate, view.tasks_open) == (3, 0, 0.0, 3)
    respond(sessions, ids[0], campaign_id, world.template_id)
    respond(sessions, ids[0], campaign_id, world.template_id)  # a second answer counts the customer once
    respond(sessions, ids[1], None, world.template_id)  # not for the campaign
    view = get_campaign(sessions, actor=world.viewer, campaign_id=campaign_id, now=NOW)
    assert (view.responded, view.response_rate) == (1, pytest.approx(1 / 3))
    # A member whose response_id was set (crm/satisfaction/responses.py does) has answered too.
    other_response = respond(sessions, ids[2], None, world.template_id)
    with transaction(sessions, actor=SYSTEM) as session:
        member = session.get_one(SurveyCampaignMember, (campaign_id, ids[2]))
        member.response_id = other_response
        task = session.get_one(FollowUpTask, member.task_id)
        task.status, task.open_key, task.completed_at = "done", None, NOW
    view = get_campaign(sessions, actor=world.viewer, campaign_id=campaign_id, now=NOW)
    assert (view.responded, view.response_rate) == (2, pytest.approx(2 / 3))
    assert (view.tasks_open, view.tasks_done) == (2, 1)


def test_campaign_members_page_and_filter_on_whether_they_answered(sessions: Sessions, world: World) -> None:
    ids = [customer(sessions, owner_id=world.staff.id, name=f"Member {n}") for n in range(5)]
    customer(sessions, owner_id=world.other.id, name="Member of another owner")
    campaign_id, _ = create_and_run(sessions, world)
    respond(sessions, ids[1], campaign_id, world.template_id)
    rows, total = campaign_members(sessions, actor=world.manager, campaign_id=campaign_id, page=0, page_size=2)
    assert total == 6
    assert [r.customer_name for r in rows] == ["Member 0", "Member 1"]
    assert rows[0].task_status == "open" and rows[0].owner_name == "Wei"
    rows, total = campaign_members(sessions, actor=world.manager, campaign_id=campaign_id, page=2, page_size=2)
    assert [r.customer_name for r in rows] == ["Member 4", "Member of another owner"]
    answered, total = campaign_members(sessions, actor=world.manager, campaign_id=campaign_id, answered=True)
    assert total == 1 and [r.customer_id for r in answered] == [ids[1]] and answered[0].response_id is not None
    _, total = campaign_members(sessions, actor=world.manager, campaign_id=campaign_id, answered=False)
    assert total == 5
    _, total = campaign_members(sessions, actor=world.other, campaign_id=campaign_id)
    assert total == 6
    # staff read their own customers only when the staff_can_read_all setting is off
    update_settings(sessions, actor=SYSTEM, changes={"staff_can_read_all": False})
    _, total = campaign_members(sessions, actor=world.other, campaign_id=campaign_id)
    assert total == 1


# --- the form, permissions and the audit trail ------------------------------------------------------------------


def test_the_preview_counts_who_a_run_would_ask(sessions: Sessions, world: World) -> None:
    customer(sessions, owner_id=world.staff.id, value_tier="high")
    customer(sessions, owner_id=None, value_tier="high")
    customer(sessions, owner_id=world.staff.id, value_tier="low")
    data = campaign_input(world, value_tiers=("high",))
    assert preview_campaign(sessions, actor=world.manager, data=data, now=NOW) == 1
    campaign_id, _ = create_and_run(sessions, world, value_tiers=("high",))
    assert preview_campaign(sessions, actor=world.manager, data=data, campaign_id=campaign_id, now=NOW) == 0


def test_the_form_names_each_bad_field(sessions: Sessions, world: World) -> None:
    create_campaign(sessions, actor=world.manager, data=campaign_input(world, name="Taken"))
    with pytest.raises(ValidationError) as caught:
        create_campaign(
            sessions,
            actor=world.manager,
            data=campaign_input(
                world,
                name="Taken",
                template_id=9999,
                ends_on=TODAY - dt.timedelta(days=1),
                due_in_days=400,
                value_tiers=("gold",),
                stages=("married",),
                owner_ids=(9999,),
                department_ids=(world.sales_id, 9999),
                complaint_closed_within_days=0,
            ),
        )
    assert {field: key for field, (key, _params) in caught.value.fields.items()} == {
        "name": "satisfaction.campaign.name_taken",
        "template_id": "validation.choice",
        "ends_on": "satisfaction.campaign.ends_before_start",
        "due_in_days": "satisfaction.campaign.days_range",
        "value_tiers": "validation.choice",
        "stages": "validation.choice",
        "owner_ids": "validation.choice",
        "department_ids": "validation.choice",
        "complaint_closed_within_days": "satisfaction.campaign.days_range",
    }
    with pytest.raises(ValidationError) as caught:
        create_campaign(sessions, actor=world.manager, data=campaign_input(world, name="  ", due_in_days=True))
    assert set(caught.value.fields) == {"name", "due_in_days"}


def test_a_retired_template_cannot_start_a_campaign_but_a_campaign_on_it_stays_editable(
    sessions: Sessions, world: World
) -> None:
    campaign_id = create_campaign(sessions, actor=world.manager, data=campaign_input(world))
    with transaction(sessions, actor=SYSTEM) as session:
        session.get_one(SurveyTemplate, world.template_id).is_active = False
    with pytest.raises(ValidationError) as caught:
        create_campaign(sessions, actor=world.manager, data=campaign_input(world, name="New one"))
    assert caught.value.fields["template_id"][0] == "satisfaction.campaign.template_retired"
    view = get_campaign(sessions, actor=world.manager, campaign_id=campaign_id)
    version = edit_campaign(
        sessions,
        actor=world.manager,
        campaign_id=campaign_id,
        version=view.version,
        data=replace(CampaignInput.of(view), name="Renamed"),
    )
    view = get_campaign(sessions, actor=world.manager, campaign_id=campaign_id)
    assert (view.name, view.version) == ("Renamed", version)


def test_editing_a_campaign_as_of_an_old_version_is_refused(sessions: Sessions, world: World) -> None:
    campaign_id = create_campaign(sessions, actor=world.manager, data=campaign_input(world))
    edit_campaign(
        sessions,
        actor=world.manager,
        campaign_id=campaign_id,
        version=1,
        data=campaign_input(world, stages=("signed",)),
    )
    with pytest.raises(VersionConflict):
        edit_campaign(sessions, actor=world.manager, campaign_id=campaign_id, version=1, data=campaign_input(world))
    view = get_campaign(sessions, actor=world.manager, campaign_id=campaign_id)
    assert view.target == {"lifecycle_stage": ["signed"]}
    with pytest.raises(NotFound):
        edit_campaign(sessions, actor=world.manager, campaign_id=9999, version=1, data=campaign_input(world))


def test_a_run_keeps_the_campaign_version_and_writes_one_audit_entry(sessions: Sessions, world: World) -> None:
    customer(sessions, owner_id=world.staff.id)
    customer(sessions, owner_id=world.staff.id)
    campaign_id, _ = create_and_run(sessions, world)
    view = get_campaign(sessions, actor=world.manager, campaign_id=campaign_id)
    assert (view.version, view.last_run_at) == (1, NOW)
    with sessions.read() as session:
        runs = session.execute(
            select(AuditLog.entity_id, AuditLog.username, AuditLog.new_value).where(
                AuditLog.entity_type == "survey_campaigns", AuditLog.action == "run"
            )
        ).all()
    assert len(runs) == 1
    assert (runs[0].entity_id, runs[0].username) == (str(campaign_id), "lina")
    assert json.loads(runs[0].new_value) == {
        "added": 2,
        "tasks_created": 2,
        "already_members": 0,
        "skipped_no_owner": 0,
    }


def test_only_managers_create_edit_preview_and_run_campaigns(sessions: Sessions, world: World) -> None:
    data = campaign_input(world)
    for actor in (world.staff, world.viewer):
        with pytest.raises(PermissionDenied):
            create_campaign(sessions, actor=actor, data=data)
        with pytest.raises(PermissionDenied):
            preview_campaign(sessions, actor=actor, data=data)
    campaign_id = create_campaign(sessions, actor=world.manager, data=data)
    with pytest.raises(PermissionDenied):
        run_campaign(sessions, actor=world.staff, campaign_id=campaign_id)
    with pytest.raises(PermissionDenied):
        edit_campaign(sessions, actor=world.staff, campaign_id=campaign_id, version=1, data=data)
    assert [v.id for v in list_campaigns(sessions, actor=world.viewer)] == [campaign_id]


def test_a_campaign_runs_only_between_its_start_and_end(sessions: Sessions, world: World) -> None:
    customer(sessions, owner_id=world.staff.id)
    campaign_id = create_campaign(
        sessions,
        actor=world.manager,
        data=campaign_input(world, starts_on=dt.date(2026, 12, 10), ends_on=dt.date(2026, 12, 20)),
    )
    assert get_campaign(sessions, actor=world.manager, campaign_id=campaign_id, now=NOW).state == "scheduled"
    with pytest.raises(CrmError) as caught:
        run_campaign(sessions, actor=world.manager, campaign_id=campaign_id, now=NOW)
    assert caught.value.key == "satisfaction.campaign.not_started"
    late = NOW + dt.timedelta(days=14)
    assert get_campaign(sessions, actor=world.manager, campaign_id=campaign_id, now=late).state == "ended"
    with pytest.raises(CrmError) as caught:
        run_campaign(sessions, actor=world.manager, campaign_id=campaign_id, now=late)
    assert caught.value.key == "satisfaction.campaign.ended"
    assert members(sessions, campaign_id) == set()


def test_a_response_recorded_without_naming_the_campaign_answers_the_customers_open_membership(
    sessions: Sessions, world: World
) -> None:
    """Staff record a survey a campaign asked for but leave its campaign box empty: the membership is answered and
    the survey task done all the same; another member who has not answered stays unanswered."""
    from crm.satisfaction.responses import ResponseInput, record_response

    today = dt.date.today()
    asked, checked = (customer(sessions, owner_id=world.staff.id) for _ in range(2))
    campaign_id, _ = create_and_run(sessions, world, starts_on=today - dt.timedelta(days=10), ends_on=None)
    response_id = record_response(
        sessions,
        actor=world.staff,
        data=ResponseInput(
            customer_id=asked,
            responded_on=today,
            channel="phone",
            template_id=world.template_id,
            scores={},
            overall=4,
            nps=9,
        ),
    )
    with sessions.read() as session:
        member = session.get_one(SurveyCampaignMember, (campaign_id, asked))
        assert member.response_id == response_id
        assert session.get_one(SurveyResponse, response_id).campaign_id == campaign_id
        assert session.get_one(FollowUpTask, member.task_id).status == "done"
        assert session.get_one(SurveyCampaignMember, (campaign_id, checked)).response_id is None
    view = get_campaign(sessions, actor=world.viewer, campaign_id=campaign_id)
    assert (view.responded, view.members) == (1, 2)
