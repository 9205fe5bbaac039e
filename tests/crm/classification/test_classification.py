"""Computed classification rules at their boundaries, on every database: RFM, size, relationship, credit, overrides."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.classification.admin import list_overrides, record_credit_event, remove_override, set_override
from crm.classification.rfm import Thresholds
from crm.classification.service import (
    Reason,
    apply_thresholds,
    describe,
    describe_stored,
    explain_customer,
    load_thresholds,
    preview_thresholds,
    recompute,
)
from crm.platform.errors import CrmError, NotFound, PermissionDenied, ValidationError
from crm.platform.permissions import SYSTEM
from db.engine import Sessions
from db.models import AuditLog, ClassChange
from tests.crm.classification.classification_data import (
    AS_OF,
    add_buyer,
    add_complaint,
    add_credit_event,
    add_customer,
    add_orders,
    cached,
    days_before,
    make_user,
)


def run(sessions: Sessions, as_of: dt.date = AS_OF):  # type: ignore[no-untyped-def]
    return recompute(sessions, actor=SYSTEM, as_of=as_of)


# --- RFM -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "score"), [(0, 5), (30, 5), (31, 4), (90, 4), (91, 3), (180, 3), (181, 2), (365, 2), (366, 1)]
)
def test_recency_scores_by_days_since_the_last_order_inclusive_of_each_bound(
    sessions: Sessions, days: int, score: int
) -> None:
    customer = add_buyer(sessions, "C1", recency=days, count=1, total="100")
    run(sessions)
    assert cached(sessions, customer)["rfm_recency_days"] == days
    assert cached(sessions, customer)["rfm_r"] == score


@pytest.mark.parametrize(("count", "score"), [(1, 1), (2, 2), (4, 2), (5, 3), (9, 3), (10, 4), (19, 4), (20, 5)])
def test_frequency_scores_by_number_of_orders(sessions: Sessions, count: int, score: int) -> None:
    customer = add_buyer(sessions, "C1", recency=10, count=count, total="100")
    run(sessions)
    assert cached(sessions, customer)["rfm_frequency"] == count
    assert cached(sessions, customer)["rfm_f"] == score


@pytest.mark.parametrize(
    ("total", "score"),
    [
        ("4999.99", 1),
        ("5000.00", 2),
        ("19999.99", 2),
        ("20000.00", 3),
        ("99999.99", 3),
        ("100000.00", 4),
        ("499999.99", 4),
        ("500000.00", 5),
    ],
)
def test_monetary_scores_by_total_amount_to_the_cent(sessions: Sessions, total: str, score: int) -> None:
    # Three orders whose amounts add up to the total exactly, so float sums can't blur the bound.
    customer = add_buyer(sessions, "C1", recency=10, count=3, total=total)
    run(sessions)
    assert cached(sessions, customer)["rfm_monetary"] == Decimal(total)
    assert cached(sessions, customer)["rfm_m"] == score


def test_value_tier_from_the_sum_of_scores_high_at_12_medium_at_8(sessions: Sessions) -> None:
    high = add_buyer(sessions, "H", recency=10, count=10, total="20000")  # 5 + 4 + 3 = 12
    medium_top = add_buyer(sessions, "M1", recency=10, count=10, total="19999.99")  # 5 + 4 + 2 = 11
    medium = add_buyer(sessions, "M2", recency=100, count=2, total="20000")  # 3 + 2 + 3 = 8
    low = add_buyer(sessions, "L", recency=100, count=2, total="19999.99")  # 3 + 2 + 2 = 7
    run(sessions)
    assert [cached(sessions, c)["value_tier"] for c in (high, medium_top, medium, low)] == [
        "high",
        "medium",
        "medium",
        "low",
    ]


def test_a_customer_without_orders_has_no_rfm_score_and_tier_low(sessions: Sessions) -> None:
    customer = add_customer(sessions, "C0")
    add_orders(sessions, customer, [(AS_OF + dt.timedelta(days=1), "900000")])  # after the as-of date: ignored
    run(sessions)
    assert cached(sessions, customer) == {
        "value_tier": "low",
        "size_class": "small",
        "relationship": None,
        "credit_risk": "low",
        "rfm_recency_days": None,
        "rfm_frequency": None,
        "rfm_monetary": None,
        "rfm_r": None,
        "rfm_f": None,
        "rfm_m": None,
    }


def test_archived_orders_and_archived_customers_are_left_out(sessions: Sessions) -> None:
    from sqlalchemy import update

    from db.models import Customer, Order, utcnow

    customer = add_buyer(sessions, "C1", recency=10, count=2, total="1000")
    gone = add_buyer(sessions, "C2", recency=10, count=2, total="1000")
    with sessions.begin() as session:
        first_order = session.scalar(select(func.min(Order.id)).where(Order.customer_id == customer))
        session.execute(update(Order).where(Order.id == first_order).values(archived_at=utcnow()))
        session.execute(update(Customer).where(Customer.id == gone).values(archived_at=utcnow()))
    result = run(sessions)
    assert result.customers == 1
    assert cached(sessions, customer)["rfm_frequency"] == 1
    assert cached(sessions, gone)["value_tier"] is None


# --- size -------------------------------------------------------------------------------------------


def test_size_key_accounts_make_up_the_first_80_percent_and_the_one_at_exactly_80_is_small(sessions: Sessions) -> None:
    a = add_buyer(sessions, "A", recency=10, count=1, total="50000")
    b = add_buyer(sessions, "B", recency=10, count=1, total="30000")
    c = add_buyer(sessions, "C", recency=10, count=1, total="20000")  # preceding share = exactly 80 %
    run(sessions)
    assert [cached(sessions, x)["size_class"] for x in (a, b, c)] == ["key", "key", "small"]


def test_size_the_customer_crossing_80_percent_is_a_key_account(sessions: Sessions) -> None:
    a = add_buyer(sessions, "A", recency=10, count=1, total="50000")
    b = add_buyer(sessions, "B", recency=10, count=1, total="29999.99")
    c = add_buyer(sessions, "C", recency=10, count=1, total="20000.01")  # preceding 79.99999 %
    run(sessions)
    assert [cached(sessions, x)["size_class"] for x in (a, b, c)] == ["key", "key", "key"]


def test_size_ties_in_revenue_are_broken_by_code(sessions: Sessions) -> None:
    x = add_buyer(sessions, "X", recency=10, count=1, total="60000")
    late_code = add_buyer(sessions, "B", recency=10, count=1, total="20000")
    early_code = add_buyer(sessions, "A", recency=10, count=1, total="20000")
    run(sessions)
    # Order X (0 %), A (60 %), B (80 %): equal totals, A ranks first by code.
    assert cached(sessions, x)["size_class"] == "key"
    assert cached(sessions, early_code)["size_class"] == "key"
    assert cached(sessions, late_code)["size_class"] == "small"


def test_size_share_threshold_is_editable(sessions: Sessions) -> None:
    a = add_buyer(sessions, "A", recency=10, count=1, total="50000")
    b = add_buyer(sessions, "B", recency=10, count=1, total="30000")
    apply_thresholds(sessions, actor=SYSTEM, thresholds=Thresholds(key_share_percent=50.0), as_of=AS_OF)
    assert cached(sessions, a)["size_class"] == "key"
    assert cached(sessions, b)["size_class"] == "small"  # preceding 62.5 % >= 50 %


# --- relationship ----------------------------------------------------------------------------------


def test_relationship_new_within_180_days_of_the_first_order_established_after(sessions: Sessions) -> None:
    within = add_buyer(sessions, "W", recency=10, count=3, total="300", first=180)
    after = add_buyer(sessions, "E", recency=10, count=3, total="300", first=181)
    single = add_buyer(sessions, "S", recency=400, count=1, total="300")
    none = add_customer(sessions, "N")
    run(sessions)
    assert cached(sessions, within)["relationship"] == "new"
    assert cached(sessions, after)["relationship"] == "established"
    assert cached(sessions, single)["relationship"] == "new"  # fewer than 2 orders
    assert cached(sessions, none)["relationship"] is None


# --- credit risk ------------------------------------------------------------------------------------


def test_credit_risk_sums_the_ledger_weights_in_the_window(sessions: Sessions) -> None:
    medium = add_customer(sessions, "M")
    high = add_customer(sessions, "H")
    outside = add_customer(sessions, "O")
    add_credit_event(sessions, medium, day=AS_OF, weight="2")
    add_credit_event(sessions, high, day=days_before(364), weight="3")  # first day of the 365-day window
    add_credit_event(sessions, high, day=days_before(10), weight="2")
    add_credit_event(sessions, outside, day=days_before(365), weight="9")  # one day too old
    add_credit_event(sessions, outside, day=days_before(5), weight="9", archived=True)  # struck from the ledger
    run(sessions)
    assert cached(sessions, medium)["credit_risk"] == "medium"
    assert cached(sessions, high)["credit_risk"] == "high"
    assert cached(sessions, outside)["credit_risk"] == "low"


def test_complaints_count_by_severity_but_rejected_ones_do_not(sessions: Sessions) -> None:
    customer = add_customer(sessions, "C")
    add_complaint(sessions, customer, day=days_before(3), severity="critical")  # 3 points
    add_complaint(sessions, customer, day=days_before(4), severity="high")  # 2 points
    rejected = add_customer(sessions, "R")
    add_complaint(sessions, rejected, day=days_before(3), severity="critical", status="rejected")
    run(sessions)
    assert cached(sessions, customer)["credit_risk"] == "high"
    assert cached(sessions, rejected)["credit_risk"] == "low"


def test_the_credit_explanation_lists_each_piece_of_evidence(sessions: Sessions) -> None:
    customer = add_customer(sessions, "C")
    add_credit_event(sessions, customer, day=days_before(20), weight="2")
    add_complaint(sessions, customer, day=days_before(3), severity="medium", code="TS1")
    credit = next(
        e
        for e in explain_customer(sessions, actor=SYSTEM, customer_id=customer, as_of=AS_OF)
        if e.dimension == "credit_risk"
    )
    assert credit.value == "medium"
    assert describe(credit.reason, "en") == (
        "Medium credit risk: 3 points from 2 pieces of evidence in the last 365 days ≥ 2"
    )
    lines = [describe(r, "en") for r in credit.evidence]
    assert lines[0].startswith("10 Jun 2026: payment of — made 10 days late (+2)")
    assert lines[1] == "27 Jun 2026: complaint TS1, severity Medium (+1)"


def test_recording_a_credit_event_regrades_the_customer_at_once(sessions: Sessions) -> None:
    customer = add_customer(sessions, "C")
    run(sessions, dt.date.today())
    event = record_credit_event(
        sessions,
        actor=SYSTEM,
        customer_id=customer,
        kind="overdue",
        event_date=dt.date.today(),
        days_late=45,
        amount="80000",
    )
    assert event.weight == Decimal("3")  # overdue 31-60 days: 2, plus 1 for still being unpaid
    assert cached(sessions, customer)["credit_risk"] == "medium"


# --- overrides ------------------------------------------------------------------------------------


def test_an_override_wins_until_it_expires_then_the_computed_class_applies(sessions: Sessions) -> None:
    customer = add_buyer(sessions, "C", recency=10, count=1, total="100")
    today = dt.date.today()
    set_override(
        sessions,
        actor=SYSTEM,
        customer_id=customer,
        dimension="value_tier",
        value="high",
        reason="Strategic partner",
        expires_on=today + dt.timedelta(days=10),
    )
    assert cached(sessions, customer)["value_tier"] == "high"
    run(sessions, today + dt.timedelta(days=10))  # the last day it applies
    assert cached(sessions, customer)["value_tier"] == "high"
    run(sessions, today + dt.timedelta(days=11))
    assert cached(sessions, customer)["value_tier"] == "low"


def test_removing_an_override_restores_the_computed_class_and_both_are_audited(sessions: Sessions) -> None:
    add_buyer(sessions, "BIG", recency=10, count=1, total="10000")
    customer = add_buyer(sessions, "C", recency=10, count=1, total="100")
    override = set_override(
        sessions, actor=SYSTEM, customer_id=customer, dimension="size_class", value="key", reason="Group account"
    )
    assert list_overrides(sessions, actor=SYSTEM)[1] == 1
    remove_override(sessions, actor=SYSTEM, override_id=override.id, version=override.version)
    assert cached(sessions, customer)["size_class"] == "small"
    rows, total = list_overrides(sessions, actor=SYSTEM, status="removed")
    assert total == 1 and rows[0].reason == "Group account"
    with sessions.read() as session:
        actions = session.execute(select(AuditLog.action).where(AuditLog.entity_type == "class_overrides")).scalars()
        assert {"create", "archive"} <= set(actions)
        history = session.execute(
            select(ClassChange.old_class, ClassChange.new_class)
            .where(ClassChange.customer_id == customer, ClassChange.dimension == "size_class")
            .order_by(ClassChange.id)
        ).all()
    assert [tuple(h) for h in history] == [(None, "key"), ("key", "small")]


def test_an_override_needs_a_reason_a_valid_class_and_no_past_expiry(sessions: Sessions) -> None:
    customer = add_customer(sessions, "C")
    with pytest.raises(ValidationError) as error:
        set_override(
            sessions,
            actor=SYSTEM,
            customer_id=customer,
            dimension="value_tier",
            value="huge",
            reason=" ",
            expires_on=dt.date(2000, 1, 1),
        )
    assert set(error.value.fields) == {"value", "reason", "expires_on"}


def test_recompute_keeps_an_active_override_and_explains_it(sessions: Sessions) -> None:
    customer = add_buyer(sessions, "C", recency=10, count=1, total="100")
    set_override(
        sessions, actor=SYSTEM, customer_id=customer, dimension="credit_risk", value="high", reason="Court case pending"
    )
    run(sessions, dt.date.today())
    assert cached(sessions, customer)["credit_risk"] == "high"
    credit = next(
        e for e in explain_customer(sessions, actor=SYSTEM, customer_id=customer) if e.dimension == "credit_risk"
    )
    assert (credit.value, credit.computed) == ("high", "low")
    assert credit.override is not None
    assert describe(credit.override, "en") == "Set by hand to High risk by system: Court case pending"


# --- runs, history, explanations -----------------------------------------------------------------


def test_a_run_records_class_changes_only_for_classes_that_changed(sessions: Sessions) -> None:
    customer = add_buyer(sessions, "C", recency=10, count=14, total="230000")
    first = run(sessions)
    assert first.changed == {"value_tier": 1, "size_class": 1, "relationship": 1, "credit_risk": 1}
    again = run(sessions)
    assert again.changed == {"value_tier": 0, "size_class": 0, "relationship": 0, "credit_risk": 0}
    assert again.rows_written == 0
    later = run(sessions, AS_OF + dt.timedelta(days=81))  # 91 days since the last order: R 5 -> 3, 13 -> 11
    assert later.rows_written == 1 and later.changed["value_tier"] == 1
    assert cached(sessions, customer)["value_tier"] == "medium"
    with sessions.read() as session:
        assert session.scalar(select(func.count()).select_from(ClassChange)) == 5
        runs = session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "recompute"))
    assert runs == 3


def test_the_value_explanation_reads_like_the_policy_example(sessions: Sessions) -> None:
    customer = add_buyer(sessions, "C", recency=12, count=14, total="230000")
    run(sessions)
    with sessions.read() as session:
        stored = session.scalar(
            select(ClassChange.explanation).where(
                ClassChange.customer_id == customer, ClassChange.dimension == "value_tier"
            )
        )
    assert describe_stored(stored, "en") == (
        "High value: last order 12 days ago (R 5), 14 orders (F 4), CN¥230,000.00 (M 4) = 13 ≥ 12"
    )
    assert describe_stored(stored, "zh") == (
        "高价值：最近一次下单在 12 天前（R 5），共 14 笔订单（F 4），累计 ¥230,000.00（M 4），合计 13 ≥ 12"
    )
    live = explain_customer(sessions, actor=SYSTEM, customer_id=customer, as_of=AS_OF)[0]
    assert describe(live.reason, "en") == describe_stored(stored, "en")


def test_explanations_of_size_and_relationship_give_share_and_first_order(sessions: Sessions) -> None:
    big = add_buyer(sessions, "A", recency=5, count=2, total="90000", first=100)
    add_buyer(sessions, "B", recency=5, count=1, total="10000")
    run(sessions)
    by_dim = {e.dimension: e for e in explain_customer(sessions, actor=SYSTEM, customer_id=big, as_of=AS_OF)}
    assert describe(by_dim["size_class"].reason, "en") == (
        "Key account: CN¥90,000.00 in orders, at least the CN¥90,000.00 of the smallest key account "
        "(the largest customers making up the first 80.0% of revenue, run of 30 Jun 2026)"
    )
    assert describe(by_dim["relationship"].reason, "en") == (
        "New: first order on 22 Mar 2026, 100 days ago (within 180 days)"
    )
    assert set(by_dim) == {
        "value_tier",
        "size_class",
        "relationship",
        "credit_risk",
        "lifecycle_stage",
        "need_type",
        "importance",
        "urgency",
    }


def test_stored_explanations_that_are_not_ours_are_shown_as_they_are() -> None:
    assert describe_stored("imported from the old CRM", "en") == "imported from the old CRM"
    assert describe_stored(Reason("classification.why.size.no_orders").to_json(), "zh") == "小客户：没有订单"
    assert json.loads(Reason("k", {"a": 1}).to_json()) == {"key": "k", "params": {"a": 1}}


# --- thresholds: preview, apply, quantiles ------------------------------------------------------------


def test_preview_equals_what_apply_does(sessions: Sessions) -> None:
    customers = [
        add_buyer(sessions, f"C{i:02d}", recency=5 + 20 * i, count=1 + i, total=str(3000 * (i + 1) ** 2))
        for i in range(12)
    ]
    run(sessions)
    proposal = Thresholds(tier_high=10, tier_medium=7, key_share_percent=60.0, new_within_days=30)
    preview = preview_thresholds(sessions, actor=SYSTEM, thresholds=proposal, as_of=AS_OF)
    assert preview.movers_total > 0
    result = apply_thresholds(sessions, actor=SYSTEM, thresholds=proposal, as_of=AS_OF, base=Thresholds())
    for mover in preview.movers:
        for dim in ("value_tier", "size_class", "relationship", "credit_risk"):
            assert cached(sessions, mover["id"])[dim] == mover[f"{dim}_to"]
    moved_per_dim = {
        dim: sum(t["customers"] for t in preview.transitions[dim] if t["from"] != t["to"])
        for dim in preview.transitions
    }
    assert moved_per_dim == result.changed
    after = {c: cached(sessions, c)["value_tier"] for c in customers}
    counts = {tier: n for tier, n in ((t["to"], t["customers"]) for t in preview.transitions["value_tier"])}
    assert {tier: list(after.values()).count(tier) for tier in set(after.values())} == {
        tier: sum(t["customers"] for t in preview.transitions["value_tier"] if t["to"] == tier) for tier in counts
    }
    with sessions.read() as session:
        assert load_thresholds(session) == proposal
        audited = session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.entity_type == "settings", AuditLog.entity_id == "classification.thresholds")
        )
    assert audited == 1


def test_apply_refuses_when_someone_saved_other_thresholds_after_the_preview(sessions: Sessions) -> None:
    add_buyer(sessions, "C", recency=5, count=1, total="100")
    apply_thresholds(sessions, actor=SYSTEM, thresholds=Thresholds(tier_high=13), as_of=AS_OF)
    with pytest.raises(CrmError) as error:
        apply_thresholds(sessions, actor=SYSTEM, thresholds=Thresholds(tier_high=11), as_of=AS_OF, base=Thresholds())
    assert error.value.key == "classification.thresholds_changed"
    with sessions.read() as session:
        assert load_thresholds(session).tier_high == 13


def test_thresholds_that_make_no_sense_are_refused_field_by_field(sessions: Sessions) -> None:
    bad = Thresholds(
        recency_days=(30, 20, 180, 365),
        frequency=(20, 10, 10, 2),
        tier_high=20,
        tier_medium=2,
        key_share_percent=100.0,
        credit_high=1.0,
        credit_medium=2.0,
        mode="magic",
    )
    with pytest.raises(ValidationError) as error:
        preview_thresholds(sessions, actor=SYSTEM, thresholds=bad, as_of=AS_OF)
    assert set(error.value.fields) == {
        "mode",
        "recency_days",
        "frequency",
        "tier_high",
        "tier_medium",
        "key_share_percent",
        "credit_medium",
    }


def test_quantile_mode_scores_by_quintiles_of_the_customer_base(sessions: Sessions) -> None:
    # Ten buyers with distinct recency 10..100 days, 1..10 orders, and ¥1,000..¥10,000.
    ids = [add_buyer(sessions, f"Q{i:02d}", recency=10 * i, count=i, total=str(1000 * i)) for i in range(1, 11)]
    result = apply_thresholds(sessions, actor=SYSTEM, thresholds=Thresholds(mode="quantile"), as_of=AS_OF)
    assert result.bands.quantile
    assert result.bands.recency == (20.0, 40.0, 60.0, 80.0)  # nearest rank: the 2nd, 4th, 6th, 8th smallest
    assert result.bands.frequency == (9.0, 7.0, 5.0, 3.0)  # the 2nd, 4th, ... largest
    scores = [(cached(sessions, c)["rfm_r"], cached(sessions, c)["rfm_f"], cached(sessions, c)["rfm_m"]) for c in ids]
    assert [s[0] for s in scores] == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert [s[1] for s in scores] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert [s[2] for s in scores] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_quantile_mode_gives_equal_values_the_same_score(sessions: Sessions) -> None:
    ids = [add_buyer(sessions, f"T{i}", recency=10, count=1, total="500") for i in range(6)]
    apply_thresholds(sessions, actor=SYSTEM, thresholds=Thresholds(mode="quantile"), as_of=AS_OF)
    assert {(cached(sessions, c)["rfm_r"], cached(sessions, c)["rfm_f"]) for c in ids} == {(5, 5)}


# --- permissions -----------------------------------------------------------------------------------


def test_only_managers_and_admins_manage_classification(sessions: Sessions) -> None:
    staff = make_user(sessions, "staffer", "staff")
    viewer = make_user(sessions, "viewer1", "viewer")
    manager = make_user(sessions, "boss", "manager")
    customer = add_customer(sessions, "C", owner_id=staff.id)
    for actor in (staff, viewer):
        with pytest.raises(PermissionDenied):
            recompute(sessions, actor=actor, as_of=AS_OF)
        with pytest.raises(PermissionDenied):
            preview_thresholds(sessions, actor=actor, thresholds=Thresholds(), as_of=AS_OF)
        with pytest.raises(PermissionDenied):
            set_override(sessions, actor=actor, customer_id=customer, dimension="value_tier", value="high", reason="x")
    assert recompute(sessions, actor=manager, as_of=AS_OF).customers == 1


def test_explaining_a_customer_respects_read_access(sessions: Sessions) -> None:
    with pytest.raises(NotFound):
        explain_customer(sessions, actor=SYSTEM, customer_id=999, as_of=AS_OF)


def test_the_batch_explanations_are_the_same_as_the_single_customer_ones(sessions: Sessions) -> None:
    from crm.classification.batch import explanations
    from crm.classification.service import _computed_reason, compute

    add_buyer(sessions, "A", recency=3, count=25, total="700000", first=400)
    add_buyer(sessions, "B", recency=100, count=3, total="20000", first=150)
    add_buyer(sessions, "C", recency=500, count=1, total="10.5")
    add_customer(sessions, "D")
    customer = add_customer(sessions, "E")
    add_credit_event(sessions, customer, day=days_before(2), weight="2.5")
    with sessions.read() as session:
        comp = compute(session, as_of=AS_OF, thresholds=Thresholds())
    for dim in ("value_tier", "size_class", "relationship", "credit_risk"):
        batch = [json.loads(text) for text in explanations(dim, comp.frame, comp.thresholds, comp.facts, AS_OF)]
        single = [json.loads(_computed_reason(dim, row, comp).to_json()) for row in comp.frame.itertuples(index=False)]
        assert batch == single, dim


def test_the_after_import_hook_needs_the_import_permission_only(sessions: Sessions) -> None:
    from crm.classification.service import recompute_after_import

    add_buyer(sessions, "C", recency=5, count=1, total="100")
    staff = make_user(sessions, "staffer", "staff")
    with pytest.raises(PermissionDenied):
        recompute_after_import(sessions, actor=staff, as_of=AS_OF)
    assert recompute_after_import(sessions, actor=SYSTEM, as_of=AS_OF).customers == 1


def test_an_override_set_while_a_run_is_computing_still_wins(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    import crm.classification.service

    customer = add_buyer(sessions, "C", recency=5, count=1, total="100")
    add_buyer(sessions, "D", recency=5, count=1, total="900000")
    original = crm.classification.service.compute

    def compute_then_someone_overrides(session, **kwargs):  # type: ignore[no-untyped-def]
        comp = original(session, **kwargs)
        if kwargs.get("customer_ids") is None:
            set_override(
                sessions,
                actor=SYSTEM,
                customer_id=customer,
                dimension="value_tier",
                value="high",
                reason="Board decision",
            )
        return comp

    monkeypatch.setattr(crm.classification.service, "compute", compute_then_someone_overrides)
    run(sessions, dt.date.today())
    assert cached(sessions, customer)["value_tier"] == "high"
    with sessions.read() as session:
        history = session.execute(
            select(ClassChange.old_class, ClassChange.new_class).where(
                ClassChange.customer_id == customer, ClassChange.dimension == "value_tier"
            )
        ).all()
    assert [tuple(h) for h in history] == [(None, "high")]  # the run adds no "high -> high"


def test_preview_and_apply_count_customers_who_move_apart_from_class_changes(sessions: Sessions) -> None:
    # Two buyers who, under the proposal, move in two dimensions each (value tier and relationship): two customers,
    # four class changes, in the preview and in what Apply reports alike.
    add_buyer(sessions, "A", recency=40, count=6, total="30000", first=400)  # score 10: medium; established
    add_buyer(sessions, "B", recency=40, count=6, total="30000", first=400)
    add_buyer(sessions, "C", recency=300, count=1, total="900")  # low and new either way
    run(sessions)
    proposal = Thresholds(tier_high=9, tier_medium=5, new_below_orders=7)
    preview = preview_thresholds(sessions, actor=SYSTEM, thresholds=proposal, as_of=AS_OF)
    assert (preview.movers_total, preview.class_changes) == (2, 4)
    result = apply_thresholds(sessions, actor=SYSTEM, thresholds=proposal, as_of=AS_OF, base=Thresholds())
    assert (result.reclassified, result.class_changes) == (2, 4)
    assert result.changed == {"value_tier": 2, "size_class": 0, "relationship": 2, "credit_risk": 0}


def test_loaded_demo_data_is_recorded_as_a_classification_run(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The demo classifies its customers itself; it records that as the last run, with the facts a run keeps.
    from crm.classification.service import read_last_run
    from crm.demo.service import load_demo

    monkeypatch.setenv("CRM_BCRYPT_ROUNDS", "4")
    load_demo(sessions, customers=80, seed=7, today=AS_OF)
    recorded = read_last_run(sessions, actor=SYSTEM)
    assert recorded is not None and recorded["as_of"] == AS_OF.isoformat() and recorded["mode"] == "bands"
    again = run(sessions)
    assert again.class_changes == 0  # the demo's classes are what a run gives
    after = read_last_run(sessions, actor=SYSTEM)
    assert after is not None
    volatile = {"at"}
    assert {k: v for k, v in recorded.items() if k not in volatile} == {
        k: v for k, v in after.items() if k not in volatile
    }
