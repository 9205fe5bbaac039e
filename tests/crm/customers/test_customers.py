"""Customer records: create and edit rules, the list (search, filters, sort, paging), visibility, bulk actions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from crm.customers.records import ContactInput, OrderInput, add_order
from crm.customers.service import (
    CustomerFilter,
    CustomerInput,
    archive_customer,
    bulk_archive,
    bulk_reassign,
    bulk_tag,
    create_customer,
    customer_query,
    filter_options,
    get_customer,
    get_customer_360,
    list_customers,
    restore_customer,
    update_customer,
)
from crm.platform.audit import audit_row, write_audit
from crm.platform.change_display import describe_conflict
from crm.platform.errors import DuplicateSubmission, NotFound, PermissionDenied, ValidationError, VersionConflict
from crm.platform.settings import update_settings
from crm.platform.uow import transaction
from db.engine import Sessions
from db.models import AuditLog, Customer, Department, StageChange, utcnow
from tests.crm.customers.customer_fixtures import TOMORROW, YESTERDAY, MakeCustomer, Team, count_statements


def names(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.name for r in page.rows]


# --- create and validate ----------------------------------------------------------------------------


def test_a_new_customer_gets_the_next_code_and_its_name_key(sessions: Sessions, team: Team) -> None:
    first = create_customer(sessions, actor=team.manager, data=CustomerInput(name="Acme Robotics Co., Ltd."))
    second = create_customer(sessions, actor=team.manager, data=CustomerInput(name="北京星河科技有限公司"))
    assert (first.code, second.code) == ("C000001", "C000002")
    with sessions.read() as session:
        keys = dict(session.execute(select(Customer.code, Customer.name_key)).all())
    assert keys == {"C000001": "acmerobotics", "C000002": "北京星河科技"}


def test_drawn_codes_skip_codes_already_taken(sessions: Sessions, team: Team, make_customer: MakeCustomer) -> None:
    make_customer("Taken by hand", code="C000007")
    assert make_customer("Next one").code == "C000008"


def test_every_bad_field_is_reported_at_once(sessions: Sessions, team: Team) -> None:
    with pytest.raises(ValidationError) as caught:
        create_customer(
            sessions,
            actor=team.manager,
            data=CustomerInput(
                name="  ",
                code="bad code!",
                industry="astrology",
                first_contact_date=TOMORROW,
                address="x" * 301,
                tags=("t" * 41,),
            ),
            contact=ContactInput(name="Li Lei", phone="12345", email="not-an-email"),
        )
    assert set(caught.value.fields) == {
        "name",
        "code",
        "industry",
        "first_contact_date",
        "address",
        "tags",
        "contact_phone",
        "contact_email",
    }
    assert caught.value.fields["first_contact_date"][0] == "validation.future_date"
    assert caught.value.fields["contact_phone"][0] == "validation.phone"
    with sessions.read() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 0


def test_customer_codes_are_unique(sessions: Sessions, team: Team, make_customer: MakeCustomer) -> None:
    make_customer("First", code="VIP-1")
    with pytest.raises(ValidationError) as caught:
        make_customer("Second", code="VIP-1")
    assert caught.value.fields["code"][0] == "validation.code_taken"


def test_staff_always_own_the_customers_they_create(
    sessions: Sessions, team: Team, make_customer: MakeCustomer
) -> None:
    created = make_customer("Mine", actor=team.staff, owner_id=team.manager.id)
    assert created.owner_id == team.staff.id
    assert created.owner_name == "张伟 Zhang Wei"


def test_viewers_cannot_create_customers(sessions: Sessions, team: Team) -> None:
    with pytest.raises(PermissionDenied):
        create_customer(sessions, actor=team.viewer, data=CustomerInput(name="Nope"))


def test_creation_records_the_first_stage_and_the_primary_contact(
    sessions: Sessions, team: Team, make_customer: MakeCustomer
) -> None:
    created = make_customer(
        "Stage One",
        lifecycle_stage="intent",
        contact={"name": "王芳", "phone": "+86 138 1234 5678", "email": "Wang.Fang@Example.COM"},
    )
    detail = get_customer_360(sessions, actor=team.manager, customer_id=created.id)
    assert [(c.name, c.phone, c.email, c.is_primary) for c in detail.contacts] == [
        ("王芳", "13812345678", "wang.fang@example.com", True)
    ]
    with sessions.read() as session:
        stages = session.execute(
            select(StageChange.from_stage, StageChange.to_stage).where(StageChange.customer_id == created.id)
        ).all()
    assert [tuple(s) for s in stages] == [(None, "intent")]


def test_a_resubmitted_create_form_creates_nothing_twice(sessions: Sessions, team: Team) -> None:
    create_customer(sessions, actor=team.manager, data=CustomerInput(name="Once"), token="form-1")
    with pytest.raises(DuplicateSubmission):
        create_customer(sessions, actor=team.manager, data=CustomerInput(name="Once again"), token="form-1")


# --- edit -------------------------------------------------------------------------------------------


def test_an_edit_changes_only_the_given_fields_and_is_audited(
    sessions: Sessions, team: Team, make_customer: MakeCustomer
) -> None:
    created = make_customer("Old Name Ltd", region="east", industry="retail")
    updated = update_customer(
        sessions,
        actor=team.manager,
        customer_id=created.id,
        version=created.version,
        changes={"name": "New Name Ltd", "region": "south", "tags": ("vip", "2025")},
    )
    assert (updated.name, updated.region, updated.industry, updated.version) == (
        "New Name Ltd",
        "south",
        "retail",
        created.version + 1,
    )
    assert updated.tags == ("2025", "vip")
    with sessions.read() as session:
        rows = session.execute(
            select(AuditLog.field, AuditLog.old_value, AuditLog.new_value).where(
                AuditLog.entity_type == "customers", AuditLog.action == "update"
            )
        ).all()
        key = session.scalar(select(Customer.name_key).where(Customer.id == created.id))
    assert ("name", "Old Name Ltd", "New Name Ltd") in rows
    assert ("region", "east", "south") in rows
    assert ("tags", None, "2025, vip") in rows
    assert key == "newname"
    assert not [r for r in rows if r.field in ("name_key", "stage_changed_at")]  # derived: the name is audited


def test_saving_a_stale_form_raises_a_conflict_naming_who_changed_what(
    sessions: Sessions, team: Team, make_customer: MakeCustomer
) -> None:
    created = make_customer("Contested", region="east")
    update_customer(
        sessions, actor=team.admin, customer_id=created.id, version=created.version, changes={"region": "north"}
    )
    with pytest.raises(VersionConflict) as caught:
        update_customer(
            sessions, actor=team.manager, customer_id=created.id, version=created.version, changes={"name": "Mine now"}
        )
    assert caught.value.params["who"] == "admin"
    assert caught.value.params["fields"] == "region"
    assert get_customer(sessions, actor=team.manager, customer_id=created.id).name == "Contested"


def test_a_stale_tag_only_save_is_refused_naming_who_changed_the_tags(
    sessions: Sessions, team: Team, make_customer: MakeCustomer
) -> None:
    created = make_customer("Tagged", tags=("key",))
    changed = update_customer(
        sessions, actor=team.admin, customer_id=created.id, version=created.version, changes={"tags": ("key", "vip")}
    )
    assert changed.version == created.version + 1
    with pytest.raises(VersionConflict) as caught:
        update_customer(
            sessions,
            actor=team.manager,
            customer_id=created.id,
            version=created.version,
            changes={"tags": ("key", "export")},
        )
    assert (caught.value.params["who"], caught.value.params["fields"]) == ("admin", "tags")
    assert "Ada Admin" in describe_conflict(caught.value.changes, "en")
    assert "标签: key → key, vip" in describe_conflict(caught.value.changes, "zh")
    assert get_customer(sessions, actor=team.manager, customer_id=created.id).tags == ("key", "vip")


def test_a_form_opened_before_a_bulk_tag_is_refused_naming_who_tagged(
    sessions: Sessions, team: Team, make_customer: MakeCustomer
) -> None:
    created = make_customer("Bulk Tagged", tags=("key",))
    bulk_tag(sessions, actor=team.admin, customer_ids=[created.id], tag="vip")
    with pytest.raises(VersionConflict) as caught:
        update_customer(
            sessions, actor=team.manager, customer_id=created.id, version=created.version, changes={"tags": ()}
        )
    assert (caught.value.params["who"], caught.value.params["fields"]) == ("admin", "tags")
    assert caught.value.changes[-1]["old_value"] == "key" and caught.value.changes[-1]["new_value"] == "key, vip"
    assert get_customer(sessions, actor=team.manager, customer_id=created.id).tags == ("key", "vip")


def test_a_conflict_reads_in_the_users_language_with_labels_and_names(
    sessions: Sessions, team: Team, make_customer: MakeCustomer
) -> None:
    created = make_customer("Contested", region="east", owner_id=team.staff.id)
    update_customer(
        sessions,
        actor=team.admin,
        customer_id=created.id,
        version=created.version,
        changes={"region": "north", "owner_id": team.manager.id, "share_consent": True},
    )
    with pytest.raises(VersionConflict) as caught:
        update_customer(
            sessions, actor=team.manager, customer_id=created.id, version=created.version, changes={"name": "Mine now"}
        )
    chinese = describe_conflict(caught.value.changes, "zh")
    assert chinese.startswith("未保存：在您打开后，Ada Admin 修改了此记录（区域, 负责人, 已书面同意对外共享数据）")
    assert "区域: 华东 → 华北" in chinese and "负责人: 张伟 Zhang Wei → 李娜 Li Na" in chinese
    assert "已书面同意对外共享数据: 否 → 是" in chinese
    english = describe_conflict(caught.value.changes, "en")
    assert "Region: East China → North China" in english and "owner_id" not in english


def test_a_conflict_over_a_rename_or_a_stage_names_only_what_the_user_edits(
    sessions: Sessions, team: Team, make_customer: MakeCustomer
) -> None:
    created = make_customer("拓越百货（厦门）有限公司")
    update_customer(
        sessions,
        actor=team.admin,
        customer_id=created.id,
        version=created.version,
        changes={"name": "拓越百货（厦门）有限责任公司", "lifecycle_stage": "intent"},
    )
    with sessions.begin() as session:  # what an earlier version of the app wrote to the trail
        write_audit(
            session,
            [
                audit_row(
                    team.admin,
                    "update",
                    "customers",
                    created.id,
                    field="name_key",
                    old="拓越百货厦门",
                    new="拓越百货厦门有限责任",
                    version=created.version + 1,
                )
            ],
        )
    with pytest.raises(VersionConflict) as caught:
        update_customer(
            sessions, actor=team.manager, customer_id=created.id, version=created.version, changes={"notes": "mine"}
        )
    chinese = describe_conflict(caught.value.changes, "zh")
    assert chinese.startswith("未保存：在您打开后，Ada Admin 修改了此记录（客户名称, 合作阶段）"), chinese
    assert "name_key" not in chinese and "stage_changed_at" not in chinese


def test_staff_cannot_edit_another_owners_customer(sessions: Sessions, team: Team, make_customer: MakeCustomer) -> None:
    theirs = make_customer("Theirs", actor=team.other_staff)
    with pytest.raises(PermissionDenied):
        update_customer(
            sessions, actor=team.staff, customer_id=theirs.id, version=theirs.version, changes={"name": "Hijacked"}
        )
    mine = make_customer("Mine", actor=team.staff)
    assert (
        update_customer(
            sessions, actor=team.staff, customer_id=mine.id, version=mine.version, changes={"notes": "ok"}
        ).notes
        == "ok"
    )


def test_staff_cannot_hand_their_customer_to_someone_else(
    sessions: Sessions, team: Team, make_customer: MakeCustomer
) -> None:
    mine = make_customer("Mine", actor=team.staff)
    with pytest.raises(PermissionDenied):
        update_customer(
            sessions,
            actor=team.staff,
            customer_id=mine.id,
            version=mine.version,
            changes={"owner_id": team.other_staff.id},
        )


def test_a_stage_change_follows_the_stage_rules_and_is_recorded(
    sessions: Sessions, team: Team, make_customer: MakeCustomer
) -> None:
    created = make_customer("Moving On", lifecycle_stage="signed")
    with pytest.raises(ValidationError) as caught:
        update_customer(
            sessions,
            actor=team.manager,
            customer_id=created.id,
            version=created.version,
            changes={"lifecycle_stage": "churned"},
        )
    assert caught.value.fields["churn_reason"][0] == "stages.churn_reason_required"
    churned = update_customer(
        sessions,
        actor=team.manager,
        customer_id=created.id,
        version=created.version,
        changes={"lifecycle_stage": "churned", "churn_reason": "price"},
    )
    assert (churned.lifecycle_stage, churned.churn_reason) == ("churned", "price")
    with sessions.read() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(StageChange)
                .where(StageChange.customer_id == created.id, StageChange.to_stage == "churned")
            )
            == 1
        )


def test_only_managers_archive_and_restore(sessions: Sessions, team: Team, make_customer: MakeCustomer) -> None:
    created = make_customer("Short-lived", actor=team.staff)
    with pytest.raises(PermissionDenied):
        archive_customer(sessions, actor=team.staff, customer_id=created.id, version=created.version)
    archived = archive_customer(sessions, actor=team.manager, customer_id=created.id, version=created.version)
    assert archived.archived_at is not None
    restored = restore_customer(sessions, actor=team.manager, customer_id=created.id, version=archived.version)
    assert restored.archived_at is None
    with sessions.read() as session:
        actions = session.scalars(
            select(AuditLog.action)
            .where(AuditLog.entity_type == "customers", AuditLog.field == "archived_at")
            .order_by(AuditLog.id)
        ).all()
    assert actions == ["archive", "restore"]


# --- the list ---------------------------------------------------------------------------------------


@pytest.fixture
def sample(sessions: Sessions, team: Team, make_customer: MakeCustomer) -> dict[str, int]:
    made = {
        "acme": make_customer(
            "Acme Robotics Inc.",
            industry="manufacturing",
            region="east",
            source_channel="website",
            tags=("vip",),
            contact={"name": "John Smith", "phone": "13812345678", "email": "john@acme.example"},
        ),
        "xinghe": make_customer(
            "上海星河软件有限公司",
            industry="software",
            region="east",
            source_channel="referral",
            lifecycle_stage="intent",
            actor=team.staff,
            contact={"name": "王小明", "phone": "010-87654321", "email": "wxm@xinghe.cn"},
        ),
        "beta": make_customer(
            "Beta 100% Foods_Ltd",
            industry="retail",
            region="south",
            source_channel="exhibition",
            lifecycle_stage="signed",
            owner_id=team.other_staff.id,
            tags=("vip", "north-star"),
        ),
        "delta": make_customer(
            "Delta Clinics", industry="healthcare", region="north", lifecycle_stage="signed", actor=team.staff
        ),
    }
    return {k: v.id for k, v in made.items()}


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("acme", ["Acme Robotics Inc."]),
        ("ROBOT", ["Acme Robotics Inc."]),
        ("星河", ["上海星河软件有限公司"]),
        ("C000004", ["Delta Clinics"]),
        ("john SM", ["Acme Robotics Inc."]),
        ("小明", ["上海星河软件有限公司"]),
        ("1234 5678", ["Acme Robotics Inc."]),
        ("01087654321", ["上海星河软件有限公司"]),
        ("XINGHE.cn", ["上海星河软件有限公司"]),
        ("100%", ["Beta 100% Foods_Ltd"]),
        ("s_L", ["Beta 100% Foods_Ltd"]),
        ("%", ["Beta 100% Foods_Ltd"]),  # a literal percent sign, not "anything"
        ("nobody", []),
    ],
)
def test_search_matches_name_code_contact_phone_and_email(
    sessions: Sessions, team: Team, sample: dict[str, int], search: str, expected: list[str]
) -> None:
    page = list_customers(sessions, actor=team.manager, flt=CustomerFilter(search=search))
    assert names(page) == expected
    assert page.total == len(expected)


def test_filters_combine(sessions: Sessions, team: Team, sample: dict[str, int]) -> None:
    def listed(**kwargs) -> list[str]:  # type: ignore[no-untyped-def]
        return names(list_customers(sessions, actor=team.manager, flt=CustomerFilter(**kwargs)))

    assert listed(owner_ids=(team.staff.id,)) == ["Delta Clinics", "上海星河软件有限公司"]
    assert listed(stages=("signed",), regions=("south",)) == ["Beta 100% Foods_Ltd"]
    assert listed(industries=("software", "retail")) == ["Beta 100% Foods_Ltd", "上海星河软件有限公司"]
    assert listed(sources=("website",)) == ["Acme Robotics Inc."]
    assert listed(tags=("vip",)) == ["Acme Robotics Inc.", "Beta 100% Foods_Ltd"]
    assert listed(tags=("north-star",), stages=("potential",)) == []
    assert listed(value_tiers=("none",)) == [
        "Acme Robotics Inc.",
        "Beta 100% Foods_Ltd",
        "Delta Clinics",
        "上海星河软件有限公司",
    ]
    assert listed(value_tiers=("high",)) == []


def test_archived_customers_leave_the_list_but_can_be_shown(
    sessions: Sessions, team: Team, sample: dict[str, int]
) -> None:
    delta = get_customer(sessions, actor=team.manager, customer_id=sample["delta"])
    archive_customer(sessions, actor=team.manager, customer_id=delta.id, version=delta.version)
    assert "Delta Clinics" not in names(list_customers(sessions, actor=team.manager))
    assert names(list_customers(sessions, actor=team.manager, flt=CustomerFilter(archived="archived"))) == [
        "Delta Clinics"
    ]
    assert list_customers(sessions, actor=team.manager, flt=CustomerFilter(archived="all")).total == 4


def test_sort_by_any_column_and_page_in_sql(sessions: Sessions, team: Team, sample: dict[str, int]) -> None:
    by_code = list_customers(
        sessions, actor=team.manager, flt=CustomerFilter(sort="code", descending=True), page_size=3
    )
    assert [r.code for r in by_code.rows] == ["C000004", "C000003", "C000002"]
    assert (by_code.total, by_code.pages) == (4, 2)
    second = list_customers(
        sessions, actor=team.manager, flt=CustomerFilter(sort="code", descending=True), page=1, page_size=3
    )
    assert [r.code for r in second.rows] == ["C000001"]
    beyond = list_customers(sessions, actor=team.manager, flt=CustomerFilter(sort="code"), page=99, page_size=3)
    assert (beyond.page, [r.code for r in beyond.rows]) == (1, ["C000004"])
    by_owner = list_customers(sessions, actor=team.manager, flt=CustomerFilter(sort="owner"))
    # Grouped by owner, in the order owners were created (an index serves it); Acme has no owner, and
    # where NULL sorts differs between databases.
    assert [r.owner_name for r in by_owner.rows if r.owner_name] == ["张伟 Zhang Wei", "张伟 Zhang Wei", "Olivia Other"]
    for sort in (
        "created_at",
        "department",
        "lifecycle_stage",
        "value_tier",
        "industry",
        "region",
        "source_channel",
        "importance",
        "last_contact_at",
        "next_follow_up_at",
    ):
        assert list_customers(sessions, actor=team.manager, flt=CustomerFilter(sort=sort)).total == 4


def test_follow_up_state_is_listed_and_filters_my_customers_with_nothing_planned(
    sessions: Sessions, team: Team, sample: dict[str, int]
) -> None:
    now = utcnow()
    with transaction(sessions, actor=team.admin) as session:
        session.get(Customer, sample["xinghe"]).next_follow_up_at = now - dt.timedelta(days=2)  # type: ignore[union-attr]
        session.get(Customer, sample["delta"]).last_contact_at = now - dt.timedelta(days=3)  # type: ignore[union-attr]
        session.get(Customer, sample["acme"]).next_follow_up_at = now + dt.timedelta(days=3)  # type: ignore[union-attr]
    page = list_customers(sessions, actor=team.manager, now=now)
    assert {r.name: r.follow_up_state for r in page.rows} == {
        "Acme Robotics Inc.": "planned",
        "上海星河软件有限公司": "overdue",
        "Delta Clinics": "none",
        "Beta 100% Foods_Ltd": "out_of_cadence",
    }
    assert page.overdue == 1
    nothing_planned = CustomerFilter(owner_ids=(team.staff.id,), follow_up_states=("none", "out_of_cadence"))
    assert names(list_customers(sessions, actor=team.staff, flt=nothing_planned, now=now)) == ["Delta Clinics"]
    for state, expected in (
        ("overdue", ["上海星河软件有限公司"]),
        ("planned", ["Acme Robotics Inc."]),
        ("out_of_cadence", ["Beta 100% Foods_Ltd"]),
    ):
        flt = CustomerFilter(follow_up_states=(state,))
        assert names(list_customers(sessions, actor=team.manager, flt=flt, now=now)) == expected


def test_staff_see_only_their_own_customers_unless_everyone_may_read_all(
    sessions: Sessions, team: Team, sample: dict[str, int]
) -> None:
    update_settings(sessions, actor=team.admin, changes={"staff_can_read_all": False})
    mine = list_customers(sessions, actor=team.staff)
    assert names(mine) == ["Delta Clinics", "上海星河软件有限公司"]
    with pytest.raises(PermissionDenied):
        get_customer(sessions, actor=team.staff, customer_id=sample["acme"])
    update_settings(sessions, actor=team.admin, changes={"staff_can_read_all": True})
    everyone = list_customers(sessions, actor=team.staff)
    assert everyone.total == 4
    assert {r.name: r.can_edit for r in everyone.rows} == {
        "Acme Robotics Inc.": False,
        "Beta 100% Foods_Ltd": False,
        "Delta Clinics": True,
        "上海星河软件有限公司": True,
    }
    assert get_customer(sessions, actor=team.staff, customer_id=sample["acme"]).can_edit is False


def test_a_viewer_sees_phones_and_emails_masked_in_list_and_detail(
    sessions: Sessions, team: Team, sample: dict[str, int]
) -> None:
    row = list_customers(sessions, actor=team.viewer, flt=CustomerFilter(search="acme")).rows[0]
    assert (row.contact_phone, row.contact_email) == ("138****5678", "j***@acme.example")
    assert list_customers(sessions, actor=team.viewer).masked
    detail = get_customer_360(sessions, actor=team.viewer, customer_id=sample["xinghe"])
    assert [(c.phone, c.email) for c in detail.contacts] == [("010****4321", "w***@xinghe.cn")]
    manager_row = list_customers(sessions, actor=team.manager, flt=CustomerFilter(search="acme")).rows[0]
    assert (manager_row.contact_phone, manager_row.contact_email) == ("13812345678", "john@acme.example")


def test_a_viewer_cannot_find_customers_by_phone_or_email(
    sessions: Sessions, team: Team, sample: dict[str, int]
) -> None:
    assert list_customers(sessions, actor=team.viewer, flt=CustomerFilter(search="13812345678")).total == 0
    assert list_customers(sessions, actor=team.viewer, flt=CustomerFilter(search="john@")).total == 0
    assert list_customers(sessions, actor=team.viewer, flt=CustomerFilter(search="john smith")).total == 1


def test_the_export_query_streams_the_same_filtered_masked_rows(
    sessions: Sessions, team: Team, sample: dict[str, int]
) -> None:
    flt = CustomerFilter(tags=("vip",), sort="code")
    with sessions.read() as session:
        rows = session.execute(customer_query(session, team.viewer, flt)).mappings().all()
    assert [(r["code"], r["contact_phone"], r["contact_email"]) for r in rows] == [
        ("C000001", "138****5678", "j***@acme.example"),
        ("C000003", None, None),
    ]


def test_a_list_page_costs_a_fixed_number_of_statements(
    sessions: Sessions, team: Team, make_customer: MakeCustomer
) -> None:
    for n in range(30):
        make_customer(f"Customer {n:02d}", tags=("t1", "t2"), contact={"name": f"P{n}", "phone": "13900000000"})

    def selects(actor, flt: CustomerFilter) -> int:  # type: ignore[no-untyped-def]
        with count_statements(sessions) as statements:
            page = list_customers(sessions, actor=actor, flt=flt, page_size=25)
        assert len(page.rows) == 25
        return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    # cadences; both capped counts in one statement; the page with its owners and contacts; the page's tags
    assert selects(team.manager, CustomerFilter(tags=("t1",))) == 4
    # a search reads its grams' stored counts (none yet in a new database, so it counts them live), then reads
    # the few candidates of its rare grams once for both the page and its exact total (a window count)
    assert selects(team.manager, CustomerFilter(search="customer", tags=("t1",))) == 5
    # a term that is one gram needs no lookup: it counts its gram's holders (capped), then walks them for the page
    assert selects(team.manager, CustomerFilter(search="cus", tags=("t1",))) == 4
    # a term too short for grams is checked row by row: a capped count, then the page
    assert selects(team.manager, CustomerFilter(search="c", tags=("t1",))) == 4
    # staff also read the staff_can_read_all setting, once
    assert selects(team.staff, CustomerFilter()) == 5


def test_filter_options_offer_owners_departments_and_tags(
    sessions: Sessions, team: Team, sample: dict[str, int]
) -> None:
    options = filter_options(sessions, actor=team.viewer)
    assert [o.label for o in options.owners] == ["Ada Admin", "Olivia Other", "张伟 Zhang Wei", "李娜 Li Na"]
    assert options.tags == ["north-star", "vip"]


def test_the_360_view_sums_orders_and_lists_the_next_follow_up(
    sessions: Sessions, team: Team, sample: dict[str, int]
) -> None:
    for day, amount in ((YESTERDAY, "1200.50"), (YESTERDAY - dt.timedelta(days=400), "99.50")):
        add_order(
            sessions,
            actor=team.manager,
            customer_id=sample["acme"],
            data=OrderInput(order_date=day, amount=amount, product="Arm"),
        )
    detail = get_customer_360(sessions, actor=team.manager, customer_id=sample["acme"])
    assert detail.order_totals.count == 2
    assert str(detail.order_totals.amounts["CNY"]) == "1300.00"
    assert str(detail.order_totals.last_12_months["CNY"]) == "1200.50"
    assert detail.next_follow_up is None
    assert detail.profile.tags == ("vip",)


def test_a_missing_customer_is_not_found(sessions: Sessions, team: Team) -> None:
    with pytest.raises(NotFound):
        get_customer(sessions, actor=team.manager, customer_id=999)


# --- bulk actions -----------------------------------------------------------------------------------


def _audit_count(sessions: Sessions, field: str) -> int:
    with sessions.read() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.entity_type == "customers", AuditLog.field == field)
            )
            or 0
        )


def test_bulk_reassign_changes_owners_in_one_audited_transaction(
    sessions: Sessions, team: Team, sample: dict[str, int]
) -> None:
    ids = [sample["acme"], sample["xinghe"], sample["delta"]]
    before = _audit_count(sessions, "owner_id")
    result = bulk_reassign(sessions, actor=team.manager, customer_ids=ids, owner_id=team.other_staff.id)
    assert (result.changed, result.unchanged) == (3, 0)
    assert _audit_count(sessions, "owner_id") == before + 3
    page = list_customers(sessions, actor=team.manager, flt=CustomerFilter(owner_ids=(team.other_staff.id,)))
    assert page.total == 4
    assert {r.version for r in page.rows if r.id in ids} == {2}


def test_bulk_actions_are_refused_to_staff_and_all_or_nothing(
    sessions: Sessions, team: Team, sample: dict[str, int]
) -> None:
    with pytest.raises(PermissionDenied):
        bulk_reassign(sessions, actor=team.staff, customer_ids=[sample["acme"]], owner_id=team.staff.id)
    with pytest.raises(PermissionDenied):
        bulk_archive(sessions, actor=team.staff, customer_ids=[sample["delta"]])
    with pytest.raises(NotFound):
        bulk_archive(sessions, actor=team.manager, customer_ids=[sample["acme"], 999])
    assert list_customers(sessions, actor=team.manager).total == 4
    with pytest.raises(ValidationError):
        bulk_reassign(sessions, actor=team.manager, customer_ids=[sample["acme"]], owner_id=team.viewer.id)


def test_bulk_tag_adds_and_removes_a_tag_audited_per_customer(
    sessions: Sessions, team: Team, sample: dict[str, int]
) -> None:
    added = bulk_tag(sessions, actor=team.manager, customer_ids=[sample["acme"], sample["delta"]], tag=" vip ")
    assert (added.changed, added.unchanged) == (1, 1)
    assert names(list_customers(sessions, actor=team.manager, flt=CustomerFilter(tags=("vip",)))) == [
        "Acme Robotics Inc.",
        "Beta 100% Foods_Ltd",
        "Delta Clinics",
    ]
    removed = bulk_tag(sessions, actor=team.manager, customer_ids=list(sample.values()), tag="vip", remove=True)
    assert removed.changed == 3
    assert list_customers(sessions, actor=team.manager, flt=CustomerFilter(tags=("vip",))).total == 0
    with sessions.read() as session:
        rows = session.execute(
            select(AuditLog.entity_id, AuditLog.old_value, AuditLog.new_value)
            .where(
                AuditLog.field == "tags",
                AuditLog.username == "manager",
                AuditLog.action == "update",
                AuditLog.entity_id == str(sample["delta"]),
            )
            .order_by(AuditLog.id)
        ).all()
    assert [tuple(r)[1:] for r in rows] == [(None, "vip"), ("vip", None)]


def test_bulk_archive_archives_each_customer_with_an_audit_row(
    sessions: Sessions, team: Team, sample: dict[str, int]
) -> None:
    result = bulk_archive(sessions, actor=team.manager, customer_ids=[sample["beta"], sample["delta"]])
    assert result.changed == 2
    assert list_customers(sessions, actor=team.manager).total == 2
    with sessions.read() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.action == "archive", AuditLog.entity_type == "customers")
            )
            == 2
        )


# --- query plans ------------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["name", "code", "created_at"])
def test_the_default_list_reads_an_index_in_order_instead_of_sorting_the_table(
    sqlite_sessions: Sessions, sort: str
) -> None:
    from crm.platform.permissions import SYSTEM

    with sqlite_sessions.read() as session:
        query = customer_query(session, SYSTEM, CustomerFilter(sort=sort)).limit(50)
        compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        rows = session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
    # Top-level steps only: the primary-contact subquery sorts a customer's few contacts, which is fine.
    plan = " | ".join(str(row[3]) for row in rows if row[1] == 0)
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan
    assert "SCAN customers USING INDEX" in plan or "SEARCH customers USING INDEX" in plan, plan


def test_a_department_with_a_chinese_name_is_shown_in_both_languages_in_the_list_filters_and_profile(
    sessions: Sessions, team: Team, make_customer: MakeCustomer
) -> None:
    """Departments keep an English and a Chinese name; lists show "销售部 Sales" to readers of either."""
    with sessions.begin() as session:
        session.add_all(
            [
                Department(id=71, code="sales", name="Sales", name_zh="销售部", function="sales"),
                Department(id=72, code="ops", name="Operations", name_zh=None, function="other"),
            ]
        )
    made = make_customer("Acme", department_id=71)
    make_customer("Beta", department_id=72)
    rows = {row.name: row.department_name for row in list_customers(sessions, actor=team.manager).rows}
    assert rows == {"Acme": "销售部 Sales", "Beta": "Operations"}
    assert [c.label for c in filter_options(sessions, actor=team.manager).departments] == [
        "Operations",
        "销售部 Sales",
    ]
    assert get_customer(sessions, actor=team.manager, customer_id=made.id).department_name == "销售部 Sales"
