"""Demo data: deterministic, complete across every class and stage, consistent, and safe to load."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.dialects import sqlite

from crm.demo.service import DEMO_ACCOUNTS, _sqlite_datetime, _sqlite_stamps, load_demo
from crm.platform.auth import authenticate
from crm.platform.clock import frozen_at
from crm.platform.errors import CrmError
from crm.platform.names import normalise_name
from crm.platform.vocab import (
    CREDIT_RISKS,
    CUSTOMER_TYPES,
    IMPORTANCE,
    NEED_TYPES,
    RELATIONSHIPS,
    SIZE_CLASSES,
    STAGES,
    TASK_PURPOSES,
    VALUE_TIERS,
)
from crm.satisfaction import DEFAULT_DIMENSIONS
from db.engine import Sessions
from db.models import (
    Activity,
    AuditLog,
    Base,
    Complaint,
    ComplaintEvent,
    Contact,
    Customer,
    Department,
    FollowUpTask,
    Order,
    StageChange,
    SurveyResponse,
    SurveyScore,
    User,
)

TODAY = dt.date(2025, 6, 15)
SMALL = 200
# Columns that differ between two loads by design: fresh password salts and the load's own clock.
VOLATILE = {"users": {"password_hash", "created_at", "updated_at", "sessions_valid_after"}, "settings": {"updated_at"}}


@pytest.fixture(autouse=True)
def cheap_bcrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_BCRYPT_ROUNDS", "4")


def load(sessions: Sessions, **kwargs: Any) -> dict[str, int]:
    return load_demo(sessions, **{"customers": SMALL, "seed": 7, "today": TODAY, **kwargs})


def snapshot(sessions: Sessions) -> dict[str, list[tuple[Any, ...]]]:
    tables: list[Table] = [t for t in Base.metadata.sorted_tables if t.name != "audit_log"]
    result = {}
    with sessions.read() as session:
        for table in tables:
            columns = [c for c in table.columns if c.name not in VOLATILE.get(table.name, set())]
            rows = session.execute(select(*columns).order_by(*table.primary_key.columns)).all()
            result[table.name] = [tuple(row) for row in rows]
    return result


def count(sessions: Sessions, model: Any, *where: Any) -> int:
    with sessions.read() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_demo_is_deterministic_for_a_seed(sessions: Sessions) -> None:
    load(sessions)
    first = snapshot(sessions)
    load(sessions, reset=True)
    assert snapshot(sessions) == first
    load(sessions, reset=True, seed=8)
    other = snapshot(sessions)
    assert other["customers"] != first["customers"]


def test_demo_returns_the_rows_it_inserted_per_table(sessions: Sessions) -> None:
    counts = load(sessions)
    assert counts["customers"] == SMALL
    assert counts["users"] == len(DEMO_ACCOUNTS) + 6
    assert counts["audit_log"] == 1
    for name, expected in counts.items():
        table = Base.metadata.tables[name]
        with sessions.read() as session:
            assert session.scalar(select(func.count()).select_from(table)) == expected, name


def test_demo_covers_every_stage_and_tier(sessions: Sessions) -> None:
    load(sessions, customers=400)
    with sessions.read() as session:

        def values(column: Any) -> set[Any]:
            return set(session.scalars(select(column).distinct()))

        assert values(Customer.lifecycle_stage) == set(STAGES)
        assert values(Customer.value_tier) == set(VALUE_TIERS)
        assert values(Customer.size_class) == set(SIZE_CLASSES)
        assert values(Customer.relationship) - {None} == set(RELATIONSHIPS)
        assert values(Customer.credit_risk) == set(CREDIT_RISKS)
        assert values(Customer.importance) == set(IMPORTANCE)
        assert values(Customer.need_type) == set(NEED_TYPES)
        assert values(Customer.customer_type) == set(CUSTOMER_TYPES)
        assert values(FollowUpTask.purpose) == set(TASK_PURPOSES)
        assert values(FollowUpTask.status) == {"open", "done", "cancelled"}
        churned = session.execute(
            select(Customer.churn_reason, Customer.stage_changed_at).where(Customer.lifecycle_stage == "churned")
        ).all()
        assert churned and all(reason is not None and changed is not None for reason, changed in churned)
        prospects = session.scalars(
            select(Customer.expected_close_date).where(Customer.lifecycle_stage.in_(("potential", "intent")))
        ).all()
        assert prospects and all(TODAY <= day <= TODAY + dt.timedelta(days=183) for day in prospects)


def test_chinese_and_english_customers_are_mixed(sessions: Sessions) -> None:
    load(sessions)
    with sessions.read() as session:
        names = session.scalars(select(Customer.name)).all()
        keys = session.execute(select(Customer.name, Customer.name_key)).all()
    chinese = sum(1 for name in names if any("\u4e00" <= ch <= "\u9fff" for ch in name))
    assert 0.45 * SMALL < chinese < 0.75 * SMALL
    assert all(key == normalise_name(name) for name, key in keys)


def test_demo_refuses_a_non_empty_database_without_reset(sessions: Sessions) -> None:
    load(sessions)
    with pytest.raises(CrmError) as caught:
        load(sessions, seed=8)
    assert caught.value.key == "demo.not_empty"
    assert count(sessions, Customer) == SMALL
    assert count(sessions, AuditLog, AuditLog.action == "seed") == 1


def test_demo_refuses_a_database_with_only_an_account(sessions: Sessions) -> None:
    from crm.platform.users import create_first_admin

    create_first_admin(sessions, username="boss", display_name="Boss", password="long-enough-1")
    with pytest.raises(CrmError):
        load(sessions)
    assert count(sessions, Customer) == 0


def test_demo_reset_replaces_previous_data(sessions: Sessions) -> None:
    load(sessions)
    counts = load(sessions, customers=150, seed=8, reset=True)
    assert count(sessions, Customer) == 150 == counts["customers"]
    assert count(sessions, User) == counts["users"]
    assert count(sessions, Activity) == counts["activities"]
    assert count(sessions, AuditLog, AuditLog.action == "seed") == 1


def test_new_rows_get_fresh_ids_after_the_load(sessions: Sessions) -> None:
    load(sessions)
    with sessions.begin() as session:
        department = Department(code="legal", name="法务部 Legal", function="management")
        session.add(department)
        session.flush()
        assert department.id == 7


def test_open_tasks_never_duplicate_customer_and_purpose(sessions: Sessions) -> None:
    load(sessions, customers=400)
    with sessions.read() as session:
        tasks = session.execute(
            select(FollowUpTask.customer_id, FollowUpTask.purpose, FollowUpTask.status, FollowUpTask.open_key)
        ).all()
    open_keys = [key for _, _, status, key in tasks if status == "open"]
    assert open_keys and len(open_keys) == len(set(open_keys))
    for customer_id, purpose, status, key in tasks:
        assert key == (f"{customer_id}:{purpose}" if status == "open" else None)


def test_open_tasks_include_overdue_today_and_this_week(sessions: Sessions) -> None:
    load(sessions)
    start = dt.datetime.combine(TODAY, dt.time(), dt.UTC)
    buckets: Counter[str] = Counter()
    with sessions.read() as session:
        for due in session.scalars(select(FollowUpTask.due_at).where(FollowUpTask.status == "open")):
            days = (due - start).days
            buckets["overdue" if days < 0 else "today" if days == 0 else "week" if days < 7 else "later"] += 1
    assert set(buckets) == {"overdue", "today", "week", "later"}


def test_cached_follow_up_columns_match_activities_and_tasks(sessions: Sessions) -> None:
    load(sessions)
    with sessions.read() as session:
        last = dict(
            session.execute(
                select(Activity.customer_id, func.max(Activity.occurred_at)).group_by(Activity.customer_id)
            ).all()
        )
        due = dict(
            session.execute(
                select(FollowUpTask.customer_id, func.min(FollowUpTask.due_at))
                .where(FollowUpTask.status == "open")
                .group_by(FollowUpTask.customer_id)
            ).all()
        )
        cached = session.execute(select(Customer.id, Customer.last_contact_at, Customer.next_follow_up_at)).all()
    for customer_id, last_contact_at, next_follow_up_at in cached:
        assert last_contact_at == last.get(customer_id)
        assert next_follow_up_at == due.get(customer_id)


def test_stage_history_ends_in_the_current_stage(sessions: Sessions) -> None:
    load(sessions)
    with sessions.read() as session:
        changes = session.execute(
            select(
                StageChange.customer_id, StageChange.from_stage, StageChange.to_stage, StageChange.changed_at
            ).order_by(StageChange.customer_id, StageChange.changed_at)
        ).all()
        stages = dict(session.execute(select(Customer.id, Customer.lifecycle_stage)).all())
    paths: dict[int, list[tuple[str | None, str]]] = {}
    for customer_id, before, after, _ in changes:
        paths.setdefault(customer_id, []).append((before, after))
    assert set(paths) == set(stages)
    for customer_id, path in paths.items():
        assert path[0] == (None, "potential")
        assert all(path[i][1] == path[i + 1][0] for i in range(len(path) - 1))
        assert path[-1][1] == stages[customer_id]


def test_only_customers_who_bought_have_orders_and_churned_ones_stopped(sessions: Sessions) -> None:
    load(sessions)
    with sessions.read() as session:
        rows = session.execute(
            select(Customer.lifecycle_stage, func.max(Order.order_date), func.min(Order.amount), func.max(Order.amount))
            .join(Order, Order.customer_id == Customer.id)
            .group_by(Customer.id)
        ).all()
    assert {stage for stage, *_ in rows} == {"signed", "churned"}
    for stage, last_order, smallest, largest in rows:
        assert 1000 <= smallest <= largest <= 500_000
        assert last_order < TODAY
        if stage == "churned":
            assert last_order <= TODAY - dt.timedelta(days=180)


def test_complaints_have_a_status_history_ending_in_their_status(sessions: Sessions) -> None:
    load(sessions, customers=400)
    with sessions.read() as session:
        complaints = dict(session.execute(select(Complaint.id, Complaint.status)).all())
        events = session.execute(
            select(ComplaintEvent.complaint_id, ComplaintEvent.to_status).order_by(
                ComplaintEvent.complaint_id, ComplaintEvent.at, ComplaintEvent.id
            )
        ).all()
    last: dict[int, str] = {}
    for complaint_id, status in events:
        last[complaint_id] = status
    assert complaints and last == complaints


def test_survey_responses_score_some_of_the_five_dimensions_and_flag_their_alerts(sessions: Sessions) -> None:
    load(sessions)
    with sessions.read() as session:
        responses = session.execute(
            select(SurveyResponse.id, SurveyResponse.overall_score, SurveyResponse.nps, SurveyResponse.alert)
        ).all()
        per_response = Counter(session.scalars(select(SurveyScore.response_id)))
        dimensions = set(session.scalars(select(SurveyScore.dimension).distinct()))
    assert responses and dimensions == set(DEFAULT_DIMENSIONS)
    for response_id, overall, nps, alert in responses:
        assert 1 <= overall <= 5 and 0 <= nps <= 10 and alert == (nps <= 6 or overall <= 2)
        assert 1 <= per_response[response_id] <= 5
    assert any(per_response[r.id] < 5 for r in responses)  # a dimension left unanswered now and then


def test_staff_account_owns_a_share_and_viewer_none(sessions: Sessions) -> None:
    load(sessions, customers=1000)
    with sessions.read() as session:
        owners = dict(
            session.execute(
                select(User.username, func.count(Customer.id))
                .outerjoin(Customer, Customer.owner_id == User.id)
                .group_by(User.username)
            ).all()
        )
        contacts = count(sessions, Contact)
    assert 100 <= owners["staff"] <= 200
    assert owners["viewer"] == 0 and owners["manager"] > 0
    assert contacts >= 1000


def test_demo_accounts_can_sign_in(sessions: Sessions) -> None:
    load(sessions)
    for account in DEMO_ACCOUNTS:
        user = authenticate(sessions, username=account.username, password=account.password)
        assert (user.role, user.language, user.display_name) == (account.role, account.language, account.display_name)
    assert {account.role for account in DEMO_ACCOUNTS} == {"admin", "manager", "staff", "viewer"}
    assert all(len(account.password) >= 8 for account in DEMO_ACCOUNTS)


def test_demo_timestamps_read_back_as_the_same_aware_utc_instants(sessions: Sessions) -> None:
    load(sessions)
    with sessions.read() as session:
        moments = session.execute(select(Activity.occurred_at, Activity.created_at)).all()
    for occurred_at, created_at in moments:
        assert occurred_at.tzinfo is dt.UTC and created_at == occurred_at
        # Office hours in Beijing (UTC+8), within the two years before TODAY (the demo's service history).
        assert 1 <= occurred_at.hour < 10
        assert TODAY - dt.timedelta(days=731) <= occurred_at.date() < TODAY


def test_fast_sqlite_values_match_what_sqlalchemy_stores() -> None:
    dialect = sqlite.dialect()
    stored = Activity.__table__.c.occurred_at.type.dialect_impl(dialect).bind_processor(dialect)
    format_stamp = _sqlite_stamps()
    for moment in (
        dt.datetime(2025, 6, 15, 1, 2, 3, tzinfo=dt.UTC),
        dt.datetime(1999, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
    ):
        assert format_stamp(int(moment.timestamp())) == stored(moment) == _sqlite_datetime(moment)
    precise = dt.datetime(2025, 6, 15, 9, 2, 3, 45, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert format_stamp(precise) == stored(precise)
    with pytest.raises(ValueError):
        _sqlite_datetime(dt.datetime(2025, 6, 15))
    stored_date = Order.__table__.c.order_date.type.dialect_impl(dialect).bind_processor(dialect)
    assert stored_date(dt.date(2025, 1, 2)) == dt.date(2025, 1, 2).isoformat()


# --- never over real data ----------------------------------------------------------------------------


def seed_rows(sessions: Sessions) -> int:
    return count(sessions, AuditLog, AuditLog.action == "seed")


def test_a_reset_replaces_demo_data_its_accounts_have_used(sessions: Sessions) -> None:
    """Trying the demo (signing in, editing a customer, the automatic follow-ups) leaves it resettable."""
    from crm.customers.service import update_customer
    from crm.follow_ups.queues import run_daily
    from crm.platform.permissions import SYSTEM

    load(sessions)
    manager = authenticate(sessions, username="manager", password="manager-demo-1").as_actor()
    with sessions.read() as session:
        customer_id, version = session.execute(
            select(Customer.id, Customer.version).where(Customer.owner_id == manager.id).limit(1)
        ).one()
    update_customer(
        sessions,
        actor=manager,
        customer_id=customer_id,
        version=version,
        changes={"needs": "Tried the demo"},
        today=TODAY,
    )
    run_daily(sessions, actor=SYSTEM)
    load(sessions, seed=8, reset=True)
    assert seed_rows(sessions) == 1 and count(sessions, Customer) == SMALL


@pytest.mark.parametrize("real_work", ["another_account", "imported_customers", "no_demo_at_all"])
def test_a_reset_refuses_a_database_holding_anything_the_demo_did_not_make(sessions: Sessions, real_work: str) -> None:
    """Real customers, their history and accounts are never replaced by demo data with published passwords."""
    from crm.exchange.imports import import_file
    from crm.platform.permissions import SYSTEM
    from crm.platform.users import create_first_admin, create_user

    if real_work == "no_demo_at_all":
        create_first_admin(sessions, username="boss", display_name="Boss", password="long-enough-1")
    else:
        load(sessions)
    if real_work == "another_account":
        admin = authenticate(sessions, username="admin", password="admin-demo-1").as_actor()
        create_user(
            sessions, actor=admin, username="alice", display_name="Alice", password="long-enough-1", role="staff"
        )
    else:
        import_file(
            sessions,
            actor=SYSTEM,
            kind="customers",
            filename="real.csv",
            data=b"code,name\nR001,Real Customer Ltd\n",
            today=TODAY,
        )
    before = count(sessions, Customer), count(sessions, User), count(sessions, AuditLog)
    with pytest.raises(CrmError) as caught:
        load(sessions, seed=8, reset=True)
    assert caught.value.key == "demo.not_demo_data"
    assert (count(sessions, Customer), count(sessions, User), count(sessions, AuditLog)) == before
    # Only when told in so many words.
    load(sessions, seed=8, delete_everything=True)
    assert count(sessions, Customer) == SMALL and seed_rows(sessions) == 1
    assert count(sessions, User, User.username.in_(("alice", "boss"))) == 0


@pytest.mark.parametrize("competitor", ["another_load", "first_admin"])
def test_a_load_checks_the_database_is_empty_inside_the_transaction_that_writes(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch, competitor: str
) -> None:
    """Two browsers on the first-run screen: whatever the other one did while this load was generating wins."""
    from crm.demo import service as demo
    from crm.platform.users import create_first_admin

    build = demo._Builder.build
    raced: list[bool] = []

    def build_while_the_other_browser_acts(self: Any, hashes: Any) -> None:
        build(self, hashes)
        if not raced:
            raced.append(True)
            if competitor == "another_load":
                load(sessions, customers=50)
            else:
                create_first_admin(sessions, username="boss", display_name="Boss", password="long-enough-1")

    monkeypatch.setattr(demo._Builder, "build", build_while_the_other_browser_acts)
    with pytest.raises(CrmError) as caught:
        load(sessions)
    assert caught.value.key == "demo.not_empty"
    assert count(sessions, Customer) == (50 if competitor == "another_load" else 0)
    assert seed_rows(sessions) == (1 if competitor == "another_load" else 0)


def test_the_command_line_reset_refuses_real_data_with_exit_status_2(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from crm.cli import main
    from crm.platform.users import create_first_admin
    from db.engine import make_engine, make_session_factory, upgrade_database

    url = f"sqlite:///{tmp_path / 'real.db'}"
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    engine = make_engine(url)
    upgrade_database(engine)
    real = make_session_factory(engine)
    create_first_admin(real, username="boss", display_name="Boss", password="long-enough-1")
    assert main(["demo", "--customers", "20", "--reset"]) == 2
    assert "--delete-everything" in capsys.readouterr().err
    assert count(real, User) == 1
    assert main(["demo", "--customers", "20", "--delete-everything"]) == 0
    assert count(real, Customer) == 20 and count(real, User, User.username == "boss") == 0
    engine.dispose()


def test_two_loads_at_the_same_moment_load_once_and_refuse_the_other(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both found the database empty before writing; the second waits for the first and is refused, cleanly."""
    import threading

    from crm.demo import service as demo

    first_claimed, release, second_checking = threading.Event(), threading.Event(), threading.Event()
    claim, bulk_load = demo._claim_empty, demo._sqlite_bulk_load

    def claim_and_tell(session: Any, **kwargs: Any) -> None:
        if first_claimed.is_set():
            second_checking.set()
        claim(session, **kwargs)

    def hold_the_first(session: Any) -> Any:
        if not first_claimed.is_set():
            first_claimed.set()
            assert release.wait(60)
        return bulk_load(session)

    monkeypatch.setattr(demo, "_claim_empty", claim_and_tell)
    monkeypatch.setattr(demo, "_sqlite_bulk_load", hold_the_first)
    outcome: dict[str, Any] = {}

    def run(name: str, customers: int) -> None:
        try:
            outcome[name] = load(sessions, customers=customers)
        except Exception as error:  # noqa: BLE001 - the test reports what each load ended with
            outcome[name] = error

    first = threading.Thread(target=run, args=("first", 60))
    first.start()
    assert first_claimed.wait(60)
    second = threading.Thread(target=run, args=("second", 50))
    second.start()
    second_checking.wait(20)  # SQLite's BEGIN IMMEDIATE already makes the second wait before it checks
    threading.Event().wait(1.0)  # let the second reach the claim the first holds
    release.set()
    first.join(120)
    second.join(120)
    assert isinstance(outcome["first"], dict), outcome["first"]
    assert isinstance(outcome["second"], CrmError) and outcome["second"].key == "demo.not_empty", outcome["second"]
    assert count(sessions, Customer) == 60 and seed_rows(sessions) == 1


def test_a_demo_loaded_late_in_the_utc_day_records_nothing_after_its_load(sessions: Sessions) -> None:
    """At 18:00 UTC it is already tomorrow in Shanghai: the demo's today is that day, whose office hours are still
    to come; its contacts, answers, stage changes and complaints all lie before the load all the same."""
    loaded_at = dt.datetime(2025, 6, 14, 18, 0, tzinfo=dt.UTC)  # 02:00 on 15 June in Shanghai
    with frozen_at(loaded_at):
        load(sessions, customers=3000)  # enough that some of today's events fall in its last hours
    stamps = {
        "activities": (Activity, Activity.occurred_at),
        "survey responses": (SurveyResponse, SurveyResponse.responded_at),
        "stage changes": (StageChange, StageChange.changed_at),
        "complaints": (Complaint, Complaint.received_at),
        "complaint events": (ComplaintEvent, ComplaintEvent.at),
        "customers": (Customer, Customer.created_at),
    }
    later = {name: count(sessions, model, column > loaded_at) for name, (model, column) in stamps.items()}
    assert later == dict.fromkeys(stamps, 0)
    assert count(sessions, Activity) > 0 and count(sessions, SurveyResponse) > 0
