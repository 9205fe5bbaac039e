"""Classification page reads: distribution, drill-down, RFM grid, cadence exceptions, policies, history and the CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import update

from crm.classification.admin import list_policies, policy_changes, save_policies
from crm.classification.reads import (
    cadence_exceptions,
    class_history,
    customers_in_class,
    distribution,
    owners_with_exceptions,
    rfm_grid,
)
from crm.classification.service import recompute
from crm.follow_ups.cadence import load_cadences
from crm.platform.errors import PermissionDenied, ValidationError
from crm.platform.permissions import SYSTEM
from crm.platform.settings import update_settings
from db.engine import Sessions
from db.models import Customer, utcnow
from tests.crm.classification.classification_data import AS_OF, add_buyer, add_customer, make_user


def test_distribution_counts_every_dimension_including_urgency_bounds(sessions: Sessions) -> None:
    today = dt.date(2026, 1, 31)
    add_customer(sessions, "E1", stage="potential", expected_close_date=dt.date(2026, 2, 28))  # one month: eager
    add_customer(sessions, "H1", stage="intent", expected_close_date=dt.date(2026, 3, 1))  # a day more: hopeful
    add_customer(sessions, "H2", stage="intent", expected_close_date=dt.date(2026, 4, 30))  # three months: hopeful
    add_customer(sessions, "W1", stage="potential", expected_close_date=dt.date(2026, 5, 1))
    add_customer(sessions, "S1", stage="signed", expected_close_date=dt.date(2026, 2, 1))  # not a prospect
    add_customer(sessions, "K1", stage="signed", importance="key", need_type="special")
    counts = distribution(sessions, actor=SYSTEM, today=today)
    assert counts["urgency"] == {"eager": 1, "hopeful": 2, "watching": 1, "none": 2}
    assert counts["lifecycle_stage"] == {"potential": 2, "intent": 2, "signed": 2}
    assert counts["importance"] == {"key": 1, "none": 5}
    assert counts["value_tier"] == {"none": 6}


def test_drilling_into_a_class_pages_its_customers_in_sql(sessions: Sessions) -> None:
    for i in range(7):
        add_buyer(sessions, f"C{i}", recency=5, count=20, total="600000")
    add_customer(sessions, "Z")
    recompute(sessions, actor=SYSTEM, as_of=AS_OF)
    rows, total = customers_in_class(sessions, actor=SYSTEM, dimension="value_tier", value="high", page=1, page_size=5)
    assert total == 7 and [r["code"] for r in rows] == ["C5", "C6"]
    rows, total = customers_in_class(sessions, actor=SYSTEM, dimension="relationship", value="none")
    assert total == 1 and rows[0]["code"] == "Z"
    rows, total = customers_in_class(sessions, actor=SYSTEM, dimension="rfm_cell", value="5-5")
    assert total == 7
    with pytest.raises(ValidationError):
        customers_in_class(sessions, actor=SYSTEM, dimension="password_hash", value="x")


def test_the_rfm_grid_counts_customers_per_recency_and_frequency_score(sessions: Sessions) -> None:
    add_buyer(sessions, "A", recency=5, count=20, total="600000")
    add_buyer(sessions, "B", recency=6, count=20, total="200000")
    add_buyer(sessions, "C", recency=400, count=1, total="100")
    recompute(sessions, actor=SYSTEM, as_of=AS_OF)
    grid = {(c["r"], c["f"]): c for c in rfm_grid(sessions, actor=SYSTEM)}
    assert set(grid) == {(5, 5), (1, 1)}
    assert grid[(5, 5)]["customers"] == 2 and grid[(5, 5)]["avg_monetary"] == pytest.approx(400000)
    assert grid[(5, 5)]["avg_m"] == pytest.approx(4.5)


def test_cadence_exceptions_list_customers_without_contact_within_their_cadence(sessions: Sessions) -> None:
    owner = make_user(sessions, "wang", "staff")
    now = dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC)
    day = dt.timedelta(days=1)
    late_high = add_customer(sessions, "HL", owner_id=owner.id, value_tier="high", last_contact_at=now - 31 * day)
    add_customer(sessions, "HO", owner_id=owner.id, value_tier="high", last_contact_at=now - 29 * day)
    strategic = add_customer(sessions, "SL", value_tier="low", importance="strategic", last_contact_at=now - 15 * day)
    add_customer(sessions, "LO", value_tier="low", last_contact_at=now - 100 * day)  # low: 120 days
    never = add_customer(sessions, "NV", value_tier="medium")
    add_customer(sessions, "CH", stage="churned", value_tier="high")  # win-back, not cadence
    rows, total = cadence_exceptions(sessions, actor=SYSTEM, now=now)
    assert total == 3
    assert [r["id"] for r in rows] == [never, late_high, strategic]  # never contacted first, then the oldest
    assert (rows[1]["owner"], rows[1]["cadence_days"], rows[1]["days_since_contact"]) == ("Wang", 30, 31)
    assert rows[2]["cadence_days"] == 14
    assert cadence_exceptions(sessions, actor=SYSTEM, now=now, owner_id=owner.id)[1] == 1
    assert {o["owner"]: o["customers"] for o in owners_with_exceptions(sessions, actor=SYSTEM, now=now)} == {
        "Wang": 1,
        None: 2,
    }


def test_staff_see_only_their_own_exceptions_when_they_may_not_read_all(sessions: Sessions) -> None:
    staff = make_user(sessions, "staffer", "staff")
    add_customer(sessions, "MINE", owner_id=staff.id)
    add_customer(sessions, "THEIRS")
    assert cadence_exceptions(sessions, actor=staff)[1] == 2
    update_settings(sessions, actor=SYSTEM, changes={"staff_can_read_all": False})
    rows, total = cadence_exceptions(sessions, actor=staff)
    assert total == 1 and rows[0]["code"] == "MINE"
    assert distribution(sessions, actor=staff)["lifecycle_stage"] == {"signed": 1}


def test_policies_default_to_the_domain_cadences_and_edits_change_the_cadence(sessions: Sessions) -> None:
    policies = list_policies(sessions, actor=SYSTEM)
    assert [(p.dimension, p.class_value, p.cadence_days) for p in policies] == [
        ("value_tier", "high", 30),
        ("value_tier", "medium", 60),
        ("value_tier", "low", 120),
        ("importance", "strategic", 14),
        ("importance", "key", None),
        ("importance", "ordinary", None),
    ]
    changes = policy_changes(policies, {0: {"cadence_days": 21}, 4: {"cadence_days": 45, "description_en": "Key!"}})
    save_policies(sessions, actor=SYSTEM, changes=changes)
    with sessions.read() as session:
        cadences = load_cadences(session)
    assert cadences.for_customer("high", None) == 21
    assert cadences.for_customer("low", "key") == 45
    assert cadences.for_customer("medium", "ordinary") == 60
    stored = list_policies(sessions, actor=SYSTEM)
    assert stored[4].description_en == "Key!" and stored[4].version == 1
    # Saving again against the version the editor showed works; a stale one is refused.
    save_policies(sessions, actor=SYSTEM, changes=policy_changes(stored, {0: {"cadence_days": 20}}))


def test_policy_edits_are_validated_and_need_the_manage_permission(sessions: Sessions) -> None:
    policies = list_policies(sessions, actor=SYSTEM)
    with pytest.raises(ValidationError) as error:
        save_policies(
            sessions,
            actor=SYSTEM,
            changes=policy_changes(policies, {1: {"cadence_days": None}, 3: {"cadence_days": 0}}),
        )
    assert set(error.value.fields) == {"value_tier.medium", "importance.strategic"}
    staff = make_user(sessions, "staffer", "staff")
    with pytest.raises(PermissionDenied):
        save_policies(sessions, actor=staff, changes=[])


def test_class_history_shows_each_change_with_its_explanation_in_the_language(sessions: Sessions) -> None:
    customer = add_buyer(sessions, "C", recency=12, count=14, total="230000")
    recompute(sessions, actor=SYSTEM, as_of=AS_OF)
    with sessions.begin() as session:
        session.execute(update(Customer).where(Customer.id == customer).values(last_contact_at=utcnow()))
    history = {h["dimension"]: h for h in class_history(sessions, actor=SYSTEM, customer_id=customer, lang="zh")}
    assert history["value_tier"]["new_class"] == "high"
    assert history["value_tier"]["explanation"].startswith("高价值：最近一次下单在 12 天前")


def test_the_command_line_recomputes_and_prints_the_customers_in_each_class(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from crm.cli import main
    from db.engine import make_engine, make_session_factory, upgrade_database

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    engine = make_engine(url)
    upgrade_database(engine)
    sessions = make_session_factory(engine)
    add_buyer(sessions, "A", recency=5, count=20, total="600000")
    add_buyer(sessions, "B", recency=400, count=1, total="100")
    assert main(["classify", "--as-of", AS_OF.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "Classified 2 customers as of 2026-06-30" in out
    assert "value_tier     high=1  low=1" in out
    assert "relationship   new=2" in out
    engine.dispose()
