"""The KPI rollups stay in step with the records through every write path of the app: after each use case, the
stored rows equal a recount (crm.platform.rollups.check is zero for every rollup), on the three databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, event, exists, func, select
from sqlalchemy import update as sql_update

from crm.classification.admin import record_credit_event, remove_override, set_override
from crm.classification.judged import set_judged
from crm.classification.rfm import Thresholds
from crm.classification.service import apply_thresholds, recompute
from crm.customers.duplicates import merge_customers
from crm.customers.records import OrderInput, add_order, set_order_archived, update_order
from crm.customers.service import (
    CustomerInput,
    archive_customer,
    bulk_archive,
    bulk_reassign,
    bulk_tag,
    create_customer,
    get_customer,
    restore_customer,
    update_customer,
)
from crm.demo.service import load_demo
from crm.exchange.imports import import_file
from crm.follow_ups.automation import generate_follow_ups
from crm.follow_ups.service import AUTO_STAGE, log_contact
from crm.kpis.cadence import CADENCE_DAYS, CADENCE_MONTHS
from crm.kpis.moves import MOVE_HOURS, MOVE_MONTHS
from crm.kpis.rollups import NEW_CUSTOMER_DAYS, NEW_CUSTOMERS, ORDER_DAYS, ORDERS, STAGE_DAYS, STAGE_MONTHS
from crm.maintenance import backup, migrate_data, restore
from crm.platform.clock import frozen_at
from crm.platform.parallel import run_together
from crm.platform.permissions import Actor
from crm.platform.rollups import (
    DEFINITION,
    MARKER,
    check,
    ensure_built,
    rebuild,
    rebuild_all,
    rollups,
    stored,
    unbuilt,
)
from crm.platform.settings import update_settings
from crm.platform.users import get_user
from db.engine import Sessions, make_engine, make_session_factory
from db.models import (
    Customer,
    Department,
    KpiMonth,
    KpiNewCustomerDay,
    KpiOrderDay,
    KpiOrderMonth,
    KpiStageDay,
    Order,
    Setting,
    StageChange,
    User,
)
from tests.conftest import empty_tables

TODAY = dt.date(2026, 12, 7)
NOW = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)  # Monday 11:00 in Shanghai: the demo's today
EVERY_KPI = {
    r.name
    for r in (ORDERS, ORDER_DAYS, NEW_CUSTOMERS, NEW_CUSTOMER_DAYS, STAGE_MONTHS, STAGE_DAYS, MOVE_MONTHS, MOVE_HOURS)
}
# Checked in step after every write path too (which writes move them: tests/crm/kpis/test_cadence.py).
CADENCE = {CADENCE_DAYS.name, CADENCE_MONTHS.name}
# What a stage change moves: the stage counts and the stage moves.
STAGES = {r.name for r in (STAGE_MONTHS, STAGE_DAYS, MOVE_MONTHS, MOVE_HOURS)}
# The stage moves keep importance and size class blank: a change of those alone leaves them be.
NOT_BY_CLASS = EVERY_KPI - {MOVE_MONTHS.name, MOVE_HOURS.name}

Rows = dict[str, dict[Any, list[Any]]]


@pytest.fixture
def demo(sessions: Sessions) -> Iterator[Sessions]:
    """The demo data (200 customers, seed 3) anchored at TODAY, the clock standing at NOW."""
    with frozen_at(NOW):
        load_demo(sessions, customers=200, seed=3, today=TODAY)
        assert_in_step(sessions)
        yield sessions


def account(sessions: Sessions, username: str) -> Actor:
    user = get_user(sessions, username=username)
    assert user is not None
    return user.as_actor()


def differences(sessions: Sessions) -> dict[str, int]:
    """Keys of each KPI rollup whose stored measures differ from a recount (other features' rollups have their
    own tests)."""
    with sessions.read() as session:
        return check(session.connection(), EVERY_KPI | CADENCE)


def rollup_rows(sessions: Sessions) -> Rows:
    """The KPI rollups' stored rows."""
    with sessions.read() as session:
        return {r.name: stored(session.connection(), r) for r in rollups() if r.name in EVERY_KPI}


def moved(before: Rows, after: Rows) -> set[str]:
    """The KPI rollups whose stored rows changed."""
    return {name for name in before if before[name] != after[name]}


def assert_in_step(sessions: Sessions, before: Rows | None = None, *, moving: set[str] | None = None) -> None:
    """The KPI rollups equal a recount; with `before`, exactly those named in `moving` changed (so the write under
    test did reach them)."""
    assert differences(sessions) == dict.fromkeys(EVERY_KPI | CADENCE, 0)
    if before is not None:
        assert moved(before, rollup_rows(sessions)) == (moving or set())


def customer_with_orders(sessions: Sessions, *, skip: tuple[int, ...] = (), fewest: bool = False) -> int:
    """A live customer with orders (the most, or the fewest), other than those skipped."""
    with sessions.read() as session:
        count = func.count(Order.id)
        return int(
            session.execute(
                select(Customer.id)
                .join(Order, Order.customer_id == Customer.id)
                .where(Customer.archived_at.is_(None), Order.archived_at.is_(None), Customer.id.not_in(skip or (0,)))
                .group_by(Customer.id)
                .order_by(count if fewest else count.desc(), Customer.id)
                .limit(1)
            ).scalar_one()
        )


def customers_without_orders(sessions: Sessions, n: int) -> list[int]:
    with sessions.read() as session:
        return list(
            session.scalars(
                select(Customer.id)
                .where(Customer.archived_at.is_(None), ~exists().where(Order.customer_id == Customer.id))
                .order_by(Customer.id)
                .limit(n)
            )
        )


def live_customers(sessions: Sessions, n: int, *, offset: int = 0) -> list[int]:
    with sessions.read() as session:
        return list(
            session.scalars(
                select(Customer.id).where(Customer.archived_at.is_(None)).order_by(Customer.id).offset(offset).limit(n)
            )
        )


def other_owner(sessions: Sessions, customer_id: int) -> int:
    with sessions.read() as session:
        current = session.scalar(select(Customer.owner_id).where(Customer.id == customer_id))
        return int(
            session.scalars(
                select(User.id)
                .where(User.role == "staff", User.is_active.is_(True), User.id != current)
                .order_by(User.id)
            ).first()
        )


def other_department(sessions: Sessions, customer_id: int) -> int:
    with sessions.read() as session:
        current = session.scalar(select(Customer.department_id).where(Customer.id == customer_id))
        return int(
            session.scalars(
                select(Department.id)
                .where(Department.archived_at.is_(None), Department.id != (current or 0))
                .order_by(Department.id)
            ).first()
        )


def code_of(sessions: Sessions, customer_id: int) -> str:
    with sessions.read() as session:
        return str(session.scalar(select(Customer.code).where(Customer.id == customer_id)))


def orders_of(sessions: Sessions, customer_id: int) -> list[tuple[int, int]]:
    with sessions.read() as session:
        return [
            (r.id, r.version)
            for r in session.execute(
                select(Order.id, Order.version)
                .where(Order.customer_id == customer_id, Order.archived_at.is_(None))
                .order_by(Order.id)
            )
        ]


def version_of(sessions: Sessions, manager: Actor, customer_id: int) -> int:
    return get_customer(sessions, actor=manager, customer_id=customer_id).version


def update(sessions: Sessions, manager: Actor, customer_id: int, **changes: Any) -> None:
    update_customer(
        sessions,
        actor=manager,
        customer_id=customer_id,
        version=version_of(sessions, manager, customer_id),
        changes=changes,
        today=TODAY,
    )


# --- 1. customers through the customer service ---------------------------------------------------------


def test_creating_customers_with_and_without_a_stage_keeps_the_rollups_in_step(demo: Sessions) -> None:
    manager = account(demo, "manager")
    before = rollup_rows(demo)
    create_customer(demo, actor=manager, data=CustomerInput(name="无阶段客户"), confirm_duplicates=True, today=TODAY)
    create_customer(
        demo,
        actor=manager,
        data=CustomerInput(name="意向客户", lifecycle_stage="intent", industry="finance", region="east"),
        confirm_duplicates=True,
        today=TODAY,
    )
    assert_in_step(demo, before, moving=STAGES)


@pytest.mark.parametrize(
    "field",
    ["owner_id", "department_id", "industry", "region", "importance", "lifecycle_stage"],
)
def test_changing_a_segment_field_or_the_stage_moves_the_customers_history(demo: Sessions, field: str) -> None:
    manager = account(demo, "manager")
    customer_id = customer_with_orders(demo)
    view = get_customer(demo, actor=manager, customer_id=customer_id)
    value: Any = {
        "owner_id": lambda: other_owner(demo, customer_id),
        "department_id": lambda: other_department(demo, customer_id),
        "industry": lambda: "finance" if view.industry != "finance" else "education",
        "region": lambda: "overseas" if view.region != "overseas" else "east",
        "importance": lambda: "strategic" if view.importance != "strategic" else "ordinary",
        "lifecycle_stage": lambda: {"potential": "intent", "intent": "signed", "signed": "churned"}.get(
            view.lifecycle_stage, "signed"
        ),
    }[field]()
    changes = {field: value}
    if value == "churned":
        changes["churn_reason"] = "price"
    before = rollup_rows(demo)
    update(demo, manager, customer_id, **changes)
    assert_in_step(demo, before, moving={"lifecycle_stage": STAGES, "importance": NOT_BY_CLASS}.get(field, EVERY_KPI))


def test_a_new_customers_orders_and_segment_changes_keep_the_rollups_in_step(demo: Sessions) -> None:
    manager = account(demo, "manager")
    created = create_customer(
        demo, actor=manager, data=CustomerInput(name="新客户", industry="retail"), confirm_duplicates=True, today=TODAY
    )
    add_order(demo, actor=manager, customer_id=created.id, data=OrderInput(order_date=TODAY, amount="880"))
    add_order(
        demo, actor=manager, customer_id=created.id, data=OrderInput(order_date=dt.date(2026, 3, 2), amount="12.5")
    )
    assert_in_step(demo)
    update(demo, manager, created.id, industry="finance", region="north", owner_id=other_owner(demo, created.id))
    update(demo, manager, created.id, lifecycle_stage="signed")
    update(demo, manager, created.id, lifecycle_stage="churned", churn_reason="price")
    assert_in_step(demo)


def test_archiving_and_restoring_a_customer_takes_its_history_out_and_back(demo: Sessions) -> None:
    manager = account(demo, "manager")
    customer_id = customer_with_orders(demo)
    before = rollup_rows(demo)
    archive_customer(demo, actor=manager, customer_id=customer_id, version=version_of(demo, manager, customer_id))
    archived = rollup_rows(demo)
    assert_in_step(demo, before, moving=EVERY_KPI)
    with demo.read() as session:
        version = session.scalar(select(Customer.version).where(Customer.id == customer_id))
    restore_customer(demo, actor=manager, customer_id=customer_id, version=int(version or 0))
    assert_in_step(demo, archived, moving=EVERY_KPI)
    assert rollup_rows(demo) == before


# --- 2. orders ---------------------------------------------------------------------------------------------


def test_adding_editing_archiving_and_restoring_orders_keeps_the_rollups_in_step(demo: Sessions) -> None:
    manager = account(demo, "manager")
    customer_id = customer_with_orders(demo)
    first_timer = customers_without_orders(demo, 1)[0]
    before = rollup_rows(demo)
    added = add_order(demo, actor=manager, customer_id=customer_id, data=OrderInput(order_date=TODAY, amount="99.99"))
    assert_in_step(demo, before, moving={"order_months", "order_days"})
    # A first order makes a new customer in its month.
    before = rollup_rows(demo)
    first = add_order(
        demo, actor=manager, customer_id=first_timer, data=OrderInput(order_date=dt.date(2025, 5, 20), amount="10")
    )
    assert_in_step(demo, before, moving={"order_months", "order_days", "new_customer_months", "new_customer_days"})
    edited = update_order(
        demo, actor=manager, order_id=added.id, version=added.version, data=OrderInput(order_date=TODAY, amount="5")
    )
    assert_in_step(demo)
    # Another month, and before the customer's first order: the new-customer month moves too.
    before = rollup_rows(demo)
    edited = update_order(
        demo,
        actor=manager,
        order_id=edited.id,
        version=edited.version,
        data=OrderInput(order_date=dt.date(2001, 2, 3), amount="5"),
    )
    assert_in_step(demo, before, moving={"order_months", "order_days", "new_customer_months", "new_customer_days"})
    before = rollup_rows(demo)
    archived = set_order_archived(demo, actor=manager, order_id=edited.id, version=edited.version, archived=True)
    assert_in_step(demo, before, moving={"order_months", "order_days", "new_customer_months", "new_customer_days"})
    set_order_archived(demo, actor=manager, order_id=archived.id, version=archived.version, archived=False)
    assert_in_step(demo)
    set_order_archived(demo, actor=manager, order_id=first.id, version=first.version, archived=True)
    assert_in_step(demo)


# --- 3. classification -------------------------------------------------------------------------------------


def test_the_classification_run_keeps_the_rollups_in_step_when_tiers_and_sizes_move(demo: Sessions) -> None:
    manager = account(demo, "manager")
    before = rollup_rows(demo)
    # A year on, recency has moved many value tiers.
    result = recompute(demo, actor=manager, as_of=TODAY + dt.timedelta(days=400))
    assert result.changed["value_tier"] > 0
    assert_in_step(demo, before, moving=EVERY_KPI)
    # Other thresholds: sizes (the key share) and tiers move again.
    before = rollup_rows(demo)
    result = apply_thresholds(
        demo,
        actor=manager,
        thresholds=Thresholds(key_share_percent=50.0, tier_high=9, tier_medium=5),
        as_of=TODAY,
    )
    assert result.changed["size_class"] > 0 and result.changed["value_tier"] > 0
    assert_in_step(demo, before, moving=EVERY_KPI)
    recompute(demo, actor=manager, as_of=TODAY)
    assert_in_step(demo)


def test_a_manual_class_override_and_its_removal_move_the_customer(demo: Sessions) -> None:
    manager = account(demo, "manager")
    customer_id = customer_with_orders(demo)
    view = get_customer(demo, actor=manager, customer_id=customer_id)
    before = rollup_rows(demo)
    tier = "low" if view.value_tier != "low" else "high"
    override = set_override(
        demo, actor=manager, customer_id=customer_id, dimension="value_tier", value=tier, reason="test"
    )
    assert_in_step(demo, before, moving=EVERY_KPI)
    size = "small" if view.size_class != "small" else "key"
    set_override(demo, actor=manager, customer_id=customer_id, dimension="size_class", value=size, reason="test")
    assert_in_step(demo)
    remove_override(demo, actor=manager, override_id=override.id, version=override.version)
    assert_in_step(demo)
    assert get_customer(demo, actor=manager, customer_id=customer_id).value_tier == view.value_tier
    # A credit event regrades one customer (a class outside the segment): nothing moves, nothing breaks.
    before = rollup_rows(demo)
    record_credit_event(demo, actor=manager, customer_id=customer_id, kind="late_payment", event_date=TODAY)
    assert_in_step(demo, before, moving=set())


def test_judged_importance_and_stage_set_in_bulk_keep_the_rollups_in_step(demo: Sessions) -> None:
    manager = account(demo, "manager")
    ids = [customer_with_orders(demo), *customers_without_orders(demo, 3)]
    before = rollup_rows(demo)
    set_judged(demo, actor=manager, customer_ids=ids, importance="strategic")
    assert_in_step(demo, before, moving=NOT_BY_CLASS)
    with demo.read() as session:
        potential = list(
            session.scalars(
                select(Customer.id)
                .where(Customer.archived_at.is_(None), Customer.lifecycle_stage == "potential")
                .order_by(Customer.id)
                .limit(5)
            )
        )
    before = rollup_rows(demo)
    result = set_judged(demo, actor=manager, customer_ids=potential, stage="intent")
    assert result.stage_changes == len(potential)
    assert_in_step(demo, before, moving=STAGES)
    before = rollup_rows(demo)
    set_judged(demo, actor=manager, customer_ids=ids, clear=("importance",))
    assert_in_step(demo, before, moving=NOT_BY_CLASS)


# --- 4. merging duplicates ---------------------------------------------------------------------------------


def test_merging_a_duplicate_moves_its_orders_to_the_survivors_segment(demo: Sessions) -> None:
    manager = account(demo, "manager")
    duplicate = customer_with_orders(demo)
    # A survivor with orders of its own, and no industry or region: it takes the duplicate's (FILLED_FIELDS).
    survivor = create_customer(
        demo, actor=manager, data=CustomerInput(name="合并后的客户", lifecycle_stage="intent"), confirm_duplicates=True
    )
    add_order(demo, actor=manager, customer_id=survivor.id, data=OrderInput(order_date=TODAY, amount="77"))
    add_order(demo, actor=manager, customer_id=survivor.id, data=OrderInput(order_date=dt.date(2019, 1, 1), amount="1"))
    set_override(demo, actor=manager, customer_id=survivor.id, dimension="value_tier", value="low", reason="test")
    before = rollup_rows(demo)
    result = merge_customers(demo, actor=manager, survivor_id=survivor.id, duplicate_id=duplicate)
    assert result.moved["orders"] > 0 and "industry" in result.filled_fields
    assert_in_step(demo, before, moving=EVERY_KPI)
    # And a merge of two demo customers with orders, whose segments differ.
    other = customer_with_orders(demo, skip=(duplicate, survivor.id))
    merge_customers(demo, actor=manager, survivor_id=survivor.id, duplicate_id=other)
    assert_in_step(demo)


# --- 5. imports ------------------------------------------------------------------------------------------


def run_import(sessions: Sessions, actor: Actor, kind: str, text: str, **options: Any) -> Any:
    return import_file(
        sessions, actor=actor, kind=kind, filename=f"{kind}.csv", data=text.encode("utf-8"), today=TODAY, **options
    )


def test_the_customer_import_creating_updating_and_reimporting_keeps_the_rollups_in_step(demo: Sessions) -> None:
    manager = account(demo, "manager")
    existing = customer_with_orders(demo)
    code = code_of(demo, existing)
    view = get_customer(demo, actor=manager, customer_id=existing)
    stage = {"potential": "intent", "intent": "signed", "signed": "churned"}.get(view.lifecycle_stage, "signed")
    churn = "price" if stage == "churned" else ""
    industry = "finance" if view.industry != "finance" else "education"
    text = (
        "code,name,industry,region,owner,lifecycle_stage,churn_reason,importance\n"
        "IMP-1,导入客户一,retail,east,staff,intent,,key\n"
        "IMP-2,导入客户二,,,,potential,,\n"
        f"{code},{view.name},{industry},overseas,staff,{stage},{churn},strategic\n"
    )
    before = rollup_rows(demo)
    report = run_import(demo, manager, "customers", text)
    assert report.counts["customers.created"] == 2 and report.counts["customers.updated"] == 1
    assert_in_step(demo, before, moving=EVERY_KPI)
    # The same file again changes nothing.
    before = rollup_rows(demo)
    again = run_import(demo, manager, "customers", text)
    assert again.counts["customers.unchanged"] == 3
    assert_in_step(demo, before, moving=set())
    # Changed rows: a stage move and other segments of imported and existing customers.
    changed = text.replace("retail,east,staff,intent", "finance,north,manager,signed").replace(
        ",overseas,staff,", ",south,manager,"
    )
    report = run_import(demo, manager, "customers", changed)
    assert report.counts["customers.updated"] == 2
    assert_in_step(demo)
    # A file without codes updating its likely duplicate.
    codeless = f"name,industry,region\n{view.name},manufacturing,northeast\n"
    report = run_import(demo, manager, "customers", codeless, on_duplicate="update")
    assert report.counts["customers.updated"] == 1
    assert_in_step(demo)


def test_the_order_import_creating_updating_and_reimporting_keeps_the_rollups_in_step(demo: Sessions) -> None:
    manager = account(demo, "manager")
    first, second = customer_with_orders(demo), customer_with_orders(demo, fewest=True)
    without = customers_without_orders(demo, 1)[0]
    a, b, c = code_of(demo, first), code_of(demo, second), code_of(demo, without)
    text = (
        "order_no,customer_code,order_date,amount,product\n"
        f"IMP-O1,{a},2026-11-02,100.50,W\n"
        f"IMP-O2,{b},2024-01-05,2000,G\n"
        f"IMP-O3,{c},2026-12-01,30,G\n"
        f",{a},2026-10-10,7,W\n"
        f",NEW-1,2025-06-01,55,X\n"
    )
    before = rollup_rows(demo)
    report = run_import(demo, manager, "orders", text, create_missing=True)
    assert report.counts["orders.created"] == 5 and report.counts["customers.created"] == 1
    assert_in_step(demo, before, moving=EVERY_KPI)
    before = rollup_rows(demo)
    again = run_import(demo, manager, "orders", text, create_missing=True)
    assert again.counts["orders.unchanged"] == 5
    assert_in_step(demo, before, moving=set())
    # By number: a new amount, a new month, another customer.
    changed = (
        "order_no,customer_code,order_date,amount,product\n"
        f"IMP-O1,{a},2026-11-02,150,W\n"
        f"IMP-O2,{b},2019-07-08,2000,G\n"
        f"IMP-O3,{a},2026-12-01,30,G\n"
    )
    report = run_import(demo, manager, "orders", changed)
    assert report.counts["orders.updated"] == 3
    assert_in_step(demo)


# --- 6. bulk actions -----------------------------------------------------------------------------------


def test_bulk_reassigning_tagging_and_archiving_keep_the_rollups_in_step(demo: Sessions) -> None:
    manager = account(demo, "manager")
    staff = account(demo, "staff")
    ids = [customer_with_orders(demo), customer_with_orders(demo, fewest=True), *customers_without_orders(demo, 2)]
    before = rollup_rows(demo)
    result = bulk_reassign(demo, actor=manager, customer_ids=ids, owner_id=staff.id)
    assert result.changed > 0
    assert_in_step(demo, before, moving=EVERY_KPI)
    before = rollup_rows(demo)
    assert bulk_tag(demo, actor=manager, customer_ids=ids, tag="重点").changed == len(ids)
    assert bulk_tag(demo, actor=manager, customer_ids=ids[:2], tag="重点", remove=True).changed == 2
    assert_in_step(demo, before, moving=set())
    before = rollup_rows(demo)
    assert bulk_archive(demo, actor=manager, customer_ids=ids).changed == len(ids)
    assert_in_step(demo, before, moving=EVERY_KPI)


# --- 7. the company's time zone ------------------------------------------------------------------------------


def test_a_new_company_time_zone_rebuilds_the_rollups_in_its_months(demo: Sessions) -> None:
    admin = account(demo, "admin")
    manager = account(demo, "manager")
    before = rollup_rows(demo)
    update_settings(demo, actor=admin, changes={"timezone": "America/New_York"})
    # Orders count in the month of their date, whatever the zone; the stage counts, at each month's first instant;
    # the stage moves in their local month (and in their UTC hour, whatever the zone).
    assert_in_step(demo, before, moving={STAGE_MONTHS.name, STAGE_DAYS.name, MOVE_MONTHS.name})
    # And kept in step in the new zone's months afterwards.
    yesterday = TODAY - dt.timedelta(days=1)  # NOW is still the 6th in New York
    add_order(
        demo, actor=manager, customer_id=customer_with_orders(demo), data=OrderInput(order_date=yesterday, amount="3")
    )
    update(demo, manager, customer_with_orders(demo), region="overseas")
    assert_in_step(demo)


# --- 8. follow-ups ------------------------------------------------------------------------------------------


def test_the_follow_up_rules_and_logged_contacts_keep_the_rollups_in_step(demo: Sessions) -> None:
    manager = account(demo, "manager")
    before = rollup_rows(demo)
    generate_follow_ups(demo, actor=manager, now=NOW)
    assert_in_step(demo, before, moving=set())
    customer_id = customer_with_orders(demo)
    log_contact(demo, actor=manager, customer_id=customer_id, channel="phone", occurred_at=NOW, summary="通话", now=NOW)
    assert_in_step(demo, before, moving=set())
    with demo.read() as session:
        prospect = int(
            session.scalars(
                select(Customer.id)
                .where(Customer.archived_at.is_(None), Customer.lifecycle_stage == "potential")
                .order_by(Customer.id)
            ).first()
        )
    log_contact(
        demo,
        actor=manager,
        customer_id=prospect,
        channel="visit",
        occurred_at=NOW,
        summary="拜访",
        outcome="interested",
        move_stage=AUTO_STAGE,
        now=NOW,
    )
    assert_in_step(demo, before, moving=STAGES)


# --- 9. backup, restore and migrate-data ----------------------------------------------------------------------


def _write_a_little(sessions: Sessions) -> None:
    manager = account(sessions, "manager")
    customer_id = customer_with_orders(sessions)
    add_order(sessions, actor=manager, customer_id=customer_id, data=OrderInput(order_date=TODAY, amount="1.23"))
    update(sessions, manager, customer_id, region="south")


def test_a_restored_backup_holds_rollups_in_step_and_keeps_them_so(
    demo: Sessions, engine: Engine, tmp_path: Path
) -> None:
    _write_a_little(demo)
    kept = rollup_rows(demo)
    archive = tmp_path / "backup.zip"
    backup(engine, archive)
    empty_tables(engine)
    restore(engine, archive)
    assert_in_step(demo)
    assert rollup_rows(demo) == kept
    _write_a_little(demo)
    assert_in_step(demo)


def test_migrated_data_holds_rollups_in_step_in_both_directions(
    demo: Sessions, engine: Engine, tmp_path: Path, migrated_sqlite_file: Callable[[Path], Path]
) -> None:
    """The demo's database copied into a new SQLite file, and a SQLite file's copied into this database."""
    _write_a_little(demo)
    target = make_engine(f"sqlite:///{tmp_path / 'copy.db'}")
    try:
        migrate_data(engine, target)
        copied = make_session_factory(target)
        assert rollup_rows(copied) == rollup_rows(demo)
        assert_in_step(copied)
        _write_a_little(copied)
        assert_in_step(copied)
        empty_tables(engine)
        migrate_data(target, engine)
        assert_in_step(demo)
        _write_a_little(demo)
        assert_in_step(demo)
    finally:
        target.dispose()


def test_every_order_amount_counts_once_to_the_cent(demo: Sessions) -> None:
    """The revenue the rollup holds is the live orders' sum (no float drift on any database)."""
    with demo.read() as session:
        total = session.scalar(
            select(func.sum(Order.amount))
            .join(Customer, Customer.id == Order.customer_id)
            .where(Order.archived_at.is_(None), Customer.archived_at.is_(None))
        )
    rows = rollup_rows(demo)["order_months"]
    assert sum((Decimal(v[1]) for v in rows.values()), Decimal(0)) == Decimal(total)


# --- 12. the stage counts' rebuild from monthly flows --------------------------------------------------------


def test_the_stage_counts_rebuilt_from_flows_equal_the_recount_customer_by_customer(demo: Sessions) -> None:
    """rebuild reads kpi_stage_months from each month's flows (a running sum), not customers x months: on awkward
    histories it must give exactly the rows the per-customer contributions give (check compares with those)."""
    with demo.begin() as session:
        zone_start = session.scalar(select(KpiMonth.start_at).where(KpiMonth.month == dt.date(2026, 3, 1)))
        ids = list(session.scalars(select(Customer.id).where(Customer.archived_at.is_(None)).limit(4)))
        for offset, customer_id in enumerate(ids):
            customer = session.get(Customer, customer_id)
            assert customer is not None and zone_start is not None
            customer.created_at = zone_start - dt.timedelta(days=40 + offset)
            stamps = [
                # at the creation: not a move; a day after it, from no stage (the customer held none till then)
                customer.created_at + dt.timedelta(days=offset // 3),
                zone_start,  # exactly a month's first instant: counts from the next month's start
                zone_start + dt.timedelta(days=3),  # a second move in the same month
                zone_start + dt.timedelta(days=3),  # and a third at the same instant (id order)
            ]
            stages = ["intent", "signed", "churned", "potential"][: 2 + offset % 3]
            for stamp, (before, after) in zip(stamps, zip([None, *stages], stages, strict=False), strict=False):
                session.add(StageChange(customer_id=customer_id, from_stage=before, to_stage=after, changed_at=stamp))
            customer.lifecycle_stage = stages[-1]
    with demo.begin() as session:
        rebuild(session.connection(), ["stage_months"])
    assert differences(demo)["stage_months"] == 0


# --- 13. a rollup added after a database built its rollups ---------------------------------------------------


def test_a_rollup_added_since_the_rollups_were_built_is_built_alone_on_the_next_read(demo: Sessions) -> None:
    """After a migration adding rollups (0026: the orders and stage flows per day) the marker lists the rollups
    built, and the first read builds the missing ones only: rebuilding all of them takes many minutes at a million
    customers."""
    added = [ORDER_DAYS.name, STAGE_DAYS.name]
    with demo.begin() as session:  # as before migration 0026: the marker lists every rollup but the new ones
        session.execute(delete(KpiOrderDay))
        session.execute(delete(KpiStageDay))
        listed = sorted(r.name for r in rollups() if r.name not in added)
        value = {"definition": DEFINITION, "rollups": listed}
        session.execute(sql_update(Setting).where(Setting.key == MARKER).values(value=value))
        # A row of another rollup made wrong on purpose: a rebuild of every rollup would put it right.
        month = session.scalars(select(KpiOrderMonth).order_by(KpiOrderMonth.month).limit(1)).one()
        month.orders += 1
    with demo.read() as session:
        assert sorted(unbuilt(session.connection()) or []) == added
    ensure_built(demo)
    after = differences(demo)
    assert after[ORDER_DAYS.name] == after[STAGE_DAYS.name] == 0
    assert rollup_rows(demo)[ORDER_DAYS.name] and rollup_rows(demo)[STAGE_DAYS.name]
    assert after[ORDERS.name] == 1  # left as it was: only the missing rollup was built
    with demo.read() as session:
        assert unbuilt(session.connection()) == []
        marker = session.scalar(select(Setting.value).where(Setting.key == MARKER))
    assert marker == {"definition": DEFINITION, "rollups": sorted(r.name for r in rollups())}
    with demo.begin() as session:  # as before migration 0024: a marker without a list holds the first twelve
        for model in (KpiNewCustomerDay, KpiOrderDay, KpiStageDay):
            session.execute(delete(model))
        session.execute(sql_update(Setting).where(Setting.key == MARKER).values(value={"definition": DEFINITION}))
    with demo.read() as session:
        assert sorted(unbuilt(session.connection()) or []) == sorted([NEW_CUSTOMER_DAYS.name, *added])
    ensure_built(demo)
    after = differences(demo)
    assert after[NEW_CUSTOMER_DAYS.name] == after[ORDER_DAYS.name] == after[STAGE_DAYS.name] == 0
    assert after[ORDERS.name] == 1
    with demo.begin() as session:  # an older definition's marker: every rollup is rebuilt
        session.execute(sql_update(Setting).where(Setting.key == MARKER).values(value={"definition": DEFINITION - 1}))
    ensure_built(demo)
    assert_in_step(demo)


def test_builders_at_once_of_a_database_that_never_had_the_rollups_build_them_once(demo: Sessions) -> None:
    """A page reads its figures at once, each asking for the rollups first: on a database that never had them
    (no marker row to wait on, no calendar) one builds them and the others wait, where two used to build and
    collide on the calendar's keys."""
    with demo.begin() as session:  # as right after migration 0018
        session.execute(delete(Setting).where(Setting.key == MARKER))
        session.execute(delete(KpiMonth))
    assert run_together([partial(ensure_built, demo)] * 3, workers=3) == [None] * 3
    with demo.read() as session:
        assert unbuilt(session.connection()) == []
    assert_in_step(demo)


def test_a_rebuild_on_sqlite_samples_the_records_never_sampled_and_a_full_one_every_record(
    sqlite_sessions: Sessions,
) -> None:
    """Without planner statistics SQLite's recount took the wrong indexes (minutes where seconds do); a rebuild
    run by a save (a service policy) must not pay for a full ANALYZE when the daily run keeps them."""
    load_demo(sqlite_sessions, customers=30, seed=5)
    engine = sqlite_sessions.engine
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS sqlite_stat1")
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with engine.begin() as connection:
        rebuild(connection, ["orders"])
    assert {"ANALYZE customers", "ANALYZE orders", "ANALYZE stage_changes"} <= set(statements)
    with engine.connect() as connection:
        sampled = set(connection.exec_driver_sql("SELECT DISTINCT tbl FROM sqlite_stat1").scalars())
    assert {"customers", "orders", "stage_changes"} <= sampled
    statements.clear()
    with engine.begin() as connection:
        rebuild(connection, ["orders"])
    assert not [s for s in statements if s.startswith("ANALYZE") and s.split()[1] in sampled]
    # A rebuild of everything (bulk loads: the demo, the benchmark's build, a restore) samples every one again:
    # statistics kept from a tenth of the rows had sent the recount into a plan that read for an hour.
    statements.clear()
    with engine.begin() as connection:
        rebuild_all(connection)
    assert {"ANALYZE customers", "ANALYZE orders", "ANALYZE stage_changes"} <= set(statements)
