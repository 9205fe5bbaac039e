"""Judged dimensions: bulk setting with permissions and stage rules, and the stage statistics from the history."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import func, insert, select

from crm.classification.judged import set_judged, stage_statistics
from crm.platform.errors import PermissionDenied, ValidationError, VersionConflict
from crm.platform.permissions import SYSTEM
from db.engine import Sessions
from db.models import AuditLog, ClassChange, Customer, StageChange
from tests.crm.classification.classification_data import add_customer, make_user


def _customer(sessions: Sessions, customer_id: int) -> SimpleNamespace:
    with sessions.read() as session:
        row = session.execute(
            select(
                Customer.need_type,
                Customer.importance,
                Customer.expected_close_date,
                Customer.lifecycle_stage,
                Customer.churn_reason,
            ).where(Customer.id == customer_id)
        ).one()
        return SimpleNamespace(**row._mapping)


def test_a_manager_sets_need_type_and_importance_of_several_customers_in_one_audited_step(sessions: Sessions) -> None:
    manager = make_user(sessions, "boss", "manager")
    ids = [add_customer(sessions, f"C{i}") for i in range(3)]
    result = set_judged(sessions, actor=manager, customer_ids=ids, need_type="special", importance="strategic")
    assert (result.customers, result.changed, result.stage_changes) == (3, 3, 0)
    assert {(_customer(sessions, i).need_type, _customer(sessions, i).importance) for i in ids} == {
        ("special", "strategic")
    }
    with sessions.read() as session:
        audited = session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.entity_type == "customers", AuditLog.field.in_(("need_type", "importance")))
        )
        history = session.scalar(select(func.count()).select_from(ClassChange))
    assert audited == 6 and history == 6


def test_staff_set_need_type_on_their_own_customers_only_and_never_importance(sessions: Sessions) -> None:
    staff = make_user(sessions, "staffer", "staff")
    other = make_user(sessions, "other", "staff")
    own = add_customer(sessions, "OWN", owner_id=staff.id)
    theirs = add_customer(sessions, "THEIRS", owner_id=other.id)
    set_judged(sessions, actor=staff, customer_ids=[own], need_type="ordinary")
    assert _customer(sessions, own).need_type == "ordinary"
    with pytest.raises(PermissionDenied):
        set_judged(sessions, actor=staff, customer_ids=[own, theirs], need_type="strategic")
    assert _customer(sessions, own).need_type == "ordinary"  # all or nothing
    with pytest.raises(PermissionDenied):
        set_judged(sessions, actor=staff, customer_ids=[own], importance="key")
    viewer = make_user(sessions, "viewer1", "viewer")
    with pytest.raises(PermissionDenied):
        set_judged(sessions, actor=viewer, customer_ids=[own], need_type="strategic")


def test_stage_moves_follow_the_stage_rules_and_are_kept_in_the_history(sessions: Sessions) -> None:
    ids = [add_customer(sessions, f"P{i}", stage="potential") for i in range(2)]
    result = set_judged(sessions, actor=SYSTEM, customer_ids=ids, stage="signed")
    assert result.stage_changes == 2
    with pytest.raises(ValidationError) as error:
        set_judged(sessions, actor=SYSTEM, customer_ids=ids, stage="churned")
    assert "churn_reason" in error.value.fields
    set_judged(sessions, actor=SYSTEM, customer_ids=ids, stage="churned", churn_reason="price")
    assert _customer(sessions, ids[0]).churn_reason == "price"
    set_judged(sessions, actor=SYSTEM, customer_ids=ids[:1], stage="potential")  # re-opened
    with sessions.read() as session:
        moves = session.execute(
            select(StageChange.from_stage, StageChange.to_stage)
            .where(StageChange.customer_id == ids[0])
            .order_by(StageChange.id)
        ).all()
    assert [tuple(m) for m in moves] == [("potential", "signed"), ("signed", "churned"), ("churned", "potential")]
    assert _customer(sessions, ids[0]).churn_reason is None


def test_an_illegal_stage_move_changes_nobody(sessions: Sessions) -> None:
    signed = add_customer(sessions, "S", stage="signed")
    potential = add_customer(sessions, "P", stage="potential")
    with pytest.raises(ValidationError):
        set_judged(sessions, actor=SYSTEM, customer_ids=[potential, signed], stage="intent", need_type="strategic")
    assert _customer(sessions, potential).need_type is None


def test_clearing_fields_and_setting_the_expected_closing_date(sessions: Sessions) -> None:
    customer = add_customer(sessions, "C", stage="intent", need_type="special", importance="key")
    set_judged(
        sessions,
        actor=SYSTEM,
        customer_ids=[customer],
        expected_close_date=dt.date(2026, 8, 1),
        clear=["need_type", "importance"],
    )
    row = _customer(sessions, customer)
    assert (row.need_type, row.importance, row.expected_close_date) == (None, None, dt.date(2026, 8, 1))


def test_a_single_customer_edit_checks_its_version(sessions: Sessions) -> None:
    customer = add_customer(sessions, "C")
    set_judged(sessions, actor=SYSTEM, customer_ids=[customer], need_type="ordinary", version=1)
    with pytest.raises(VersionConflict):
        set_judged(sessions, actor=SYSTEM, customer_ids=[customer], need_type="special", version=1)


def test_nothing_to_set_or_nobody_selected_is_refused(sessions: Sessions) -> None:
    with pytest.raises(ValidationError) as error:
        set_judged(sessions, actor=SYSTEM, customer_ids=[])
    assert set(error.value.fields) == {"customer_ids", "need_type"}


def test_time_in_stage_and_conversion_from_potential_to_signed(sessions: Sessions) -> None:
    start = dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC)
    converted = add_customer(sessions, "A", stage="signed")
    waiting = add_customer(sessions, "B", stage="potential")
    direct = add_customer(sessions, "D", stage="signed")  # signed at once, never a prospect in the history
    day = dt.timedelta(days=1)
    with sessions.begin() as session:
        session.execute(
            insert(StageChange),
            [
                {"customer_id": converted, "from_stage": None, "to_stage": "potential", "changed_at": start},
                {
                    "customer_id": converted,
                    "from_stage": "potential",
                    "to_stage": "intent",
                    "changed_at": start + 10 * day,
                },
                {
                    "customer_id": converted,
                    "from_stage": "intent",
                    "to_stage": "signed",
                    "changed_at": start + 30 * day,
                },
                {"customer_id": waiting, "from_stage": None, "to_stage": "potential", "changed_at": start + 20 * day},
                {"customer_id": direct, "from_stage": None, "to_stage": "signed", "changed_at": start + 36 * day},
            ],
        )
    stats = stage_statistics(sessions, actor=SYSTEM, now=start + 40 * day)
    by_stage = {s.stage: s for s in stats.times}
    assert (by_stage["potential"].completed, by_stage["potential"].avg_days_completed) == (1, 10.0)
    assert (by_stage["potential"].current, by_stage["potential"].avg_days_current) == (1, 20.0)
    assert (by_stage["intent"].completed, by_stage["intent"].avg_days_completed) == (1, 20.0)
    assert (by_stage["signed"].current, by_stage["signed"].avg_days_current) == (2, 7.0)
    assert (stats.ever_potential, stats.ever_signed_from_potential, stats.conversion) == (2, 1, 0.5)
    assert stats.reached == {"potential": 2, "intent": 1, "signed": 2, "churned": 0}
