"""The team view's snapshots: fresh reads, stale and period-change recomputes, refresh, races, the daily run;
and my queue's capped counts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from pathlib import Path

import pytest
from sqlalchemy import event, select

from crm.cli import main
from crm.follow_ups.queues import (
    PERIODS,
    QUEUE_COUNT_CAP,
    TEAM_SNAPSHOT_KEY,
    TeamOverview,
    my_queue,
    refresh_team_snapshots,
    run_daily,
    team_overview,
)
from crm.follow_ups.service import complete_follow_up, log_contact, plan_follow_up
from crm.platform.errors import PermissionDenied, ValidationError
from crm.platform.permissions import SYSTEM, Actor
from crm.platform.settings import update_settings
from crm.platform.snapshots import read_snapshot, store_snapshot, upsert_snapshot
from db.engine import Sessions, make_engine, make_session_factory
from db.models import KpiSnapshot
from tests.crm.follow_ups.follow_up_factories import make_customer, make_user, set_timezone, utc

NOW = utc(2026, 11, 25, 2, 0)  # Wednesday 10:00 in Shanghai


def _figures(team: TeamOverview) -> tuple[object, ...]:
    """Everything the page shows but the as-of time."""
    return (team.period, team.period_start, team.period_end, team.timezone, team.owners, team.tiers)


def _team_data(sessions: Sessions, staff: Actor, colleague: Actor) -> None:
    """Customers of two owners in several tiers, open (one overdue) and done follow-ups, contacts this week."""
    for tier, days in (("high", 10), ("high", 40), ("medium", 20), (None, 200)):
        make_customer(sessions, owner=staff, value_tier=tier, last_contact_at=NOW - dt.timedelta(days=days))
    make_customer(sessions, owner=staff, lifecycle_stage="churned", last_contact_at=NOW)  # not counted
    overdue = make_customer(sessions, owner=staff, value_tier="low")
    plan_follow_up(
        sessions, actor=staff, customer_id=overdue, due_at=NOW - dt.timedelta(hours=3), now=NOW - dt.timedelta(days=1)
    )
    theirs = make_customer(sessions, owner=colleague, value_tier="low", last_contact_at=NOW - dt.timedelta(days=300))
    task = plan_follow_up(sessions, actor=colleague, customer_id=theirs, due_at=NOW, now=NOW - dt.timedelta(days=1))
    complete_follow_up(
        sessions,
        actor=colleague,
        task_id=task.id,
        version=task.version,
        channel="phone",
        occurred_at=NOW - dt.timedelta(hours=1),
        summary="Done",
        now=NOW,
    )


def test_the_snapshot_gives_the_same_figures_as_the_live_computation(
    sessions: Sessions, staff: Actor, manager: Actor
) -> None:
    colleague = make_user(sessions, "liuyang", "staff")
    _team_data(sessions, staff, colleague)
    for period in PERIODS:
        live = team_overview(sessions, actor=manager, period=period, now=NOW, refresh=True)
        stored = team_overview(sessions, actor=manager, period=period, now=NOW + dt.timedelta(minutes=1))
        assert not live.from_snapshot and stored.from_snapshot
        assert _figures(stored) == _figures(live)
        assert stored.computed_at == live.computed_at == NOW
    mine = {row.owner_id: row for row in live.owners}[staff.id]
    # open 1 (overdue), 5 live non-churned customers of which 2 within cadence (high 10 days, medium 20 days)
    assert (mine.open, mine.overdue, mine.customers, mine.in_cadence) == (1, 1, 5, 2)
    theirs = {row.owner_id: row for row in live.owners}[colleague.id]
    assert (theirs.done, theirs.contacts, theirs.customers, theirs.in_cadence) == (1, 1, 1, 1)
    assert {t.value_tier: (t.customers, t.in_cadence) for t in live.tiers} == {
        "high": (2, 1),
        "medium": (1, 1),
        "low": (2, 1),
        "none": (1, 0),
    }


def test_a_fresh_snapshot_answers_and_a_stale_one_is_recomputed(
    sessions: Sessions, staff: Actor, manager: Actor
) -> None:
    make_customer(sessions, owner=staff, value_tier="high", last_contact_at=NOW)
    first = team_overview(sessions, actor=manager, now=NOW)
    assert not first.from_snapshot and first.max_age_minutes == 10
    make_customer(sessions, owner=staff, value_tier="high")  # a change the snapshot does not know of yet
    fresh = team_overview(sessions, actor=manager, now=NOW + dt.timedelta(minutes=10))
    assert fresh.from_snapshot and fresh.computed_at == NOW
    assert {row.owner_id: row.customers for row in fresh.owners}[staff.id] == 1
    stale = team_overview(sessions, actor=manager, now=NOW + dt.timedelta(minutes=10, seconds=1))
    assert not stale.from_snapshot and stale.computed_at == NOW + dt.timedelta(minutes=10, seconds=1)
    assert {row.owner_id: row.customers for row in stale.owners}[staff.id] == 2
    with sessions.read() as session:
        snapshot = read_snapshot(session, TEAM_SNAPSHOT_KEY.format(period="week"))
    assert snapshot is not None and snapshot.computed_at == stale.computed_at


def test_a_new_period_or_time_zone_recomputes_however_young_the_snapshot(
    sessions: Sessions, staff: Actor, manager: Actor
) -> None:
    set_timezone(sessions, "Asia/Shanghai")
    sunday_night = utc(2026, 11, 29, 15, 58)  # 23:58 on Sunday in Shanghai
    make_customer(sessions, owner=staff, last_contact_at=sunday_night)
    week = team_overview(sessions, actor=manager, now=sunday_night)
    assert week.period_start == dt.date(2026, 11, 23)
    monday = team_overview(sessions, actor=manager, now=sunday_night + dt.timedelta(minutes=3))
    assert not monday.from_snapshot and monday.period_start == dt.date(2026, 11, 30)
    again = team_overview(sessions, actor=manager, now=sunday_night + dt.timedelta(minutes=4))
    assert again.from_snapshot
    set_timezone(sessions, "Europe/London")  # still Sunday in London: another week, another basis
    london = team_overview(sessions, actor=manager, now=sunday_night + dt.timedelta(minutes=5))
    assert not london.from_snapshot and london.period_start == dt.date(2026, 11, 23)


def test_refresh_recomputes_a_fresh_snapshot_and_the_max_age_is_a_setting(
    sessions: Sessions, staff: Actor, manager: Actor
) -> None:
    team_overview(sessions, actor=manager, now=NOW)
    make_customer(sessions, owner=staff)
    refreshed = team_overview(sessions, actor=manager, now=NOW + dt.timedelta(minutes=1), refresh=True)
    assert not refreshed.from_snapshot and {r.owner_id: r.customers for r in refreshed.owners}[staff.id] == 1
    update_settings(sessions, actor=SYSTEM, changes={"team_snapshot_max_age_minutes": 0})
    assert not team_overview(sessions, actor=manager, now=NOW + dt.timedelta(minutes=2)).from_snapshot
    with pytest.raises(ValidationError):
        update_settings(sessions, actor=SYSTEM, changes={"team_snapshot_max_age_minutes": "ten"})


def test_staff_can_neither_read_nor_refresh_the_team_view(sessions: Sessions, staff: Actor) -> None:
    with pytest.raises(PermissionDenied):
        team_overview(sessions, actor=staff, now=NOW)
    with pytest.raises(PermissionDenied):
        team_overview(sessions, actor=staff, now=NOW, refresh=True)
    with pytest.raises(PermissionDenied):
        refresh_team_snapshots(sessions, actor=staff, now=NOW)
    with sessions.read() as session:
        assert session.scalar(select(KpiSnapshot.key)) is None


def test_an_older_computation_never_replaces_a_newer_one(sessions: Sessions) -> None:
    store_snapshot(sessions, key="k", payload={"n": 2}, computed_at=NOW)
    store_snapshot(sessions, key="k", payload={"n": 1}, computed_at=NOW - dt.timedelta(minutes=1))
    with sessions.read() as session:
        snapshot = read_snapshot(session, "k")
    assert snapshot is not None and (snapshot.computed_at, snapshot.payload) == (NOW, {"n": 2})
    store_snapshot(sessions, key="k", payload={"n": 3, "text": "上海"}, computed_at=NOW + dt.timedelta(seconds=1))
    with sessions.read() as session:
        snapshot = read_snapshot(session, "k")
    assert snapshot is not None and snapshot.payload == {"n": 3, "text": "上海"}


def test_concurrent_refreshes_all_succeed_and_the_latest_stays(
    sessions: Sessions, staff: Actor, manager: Actor
) -> None:
    make_customer(sessions, owner=staff, value_tier="high", last_contact_at=NOW)
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def refresh(offset: int) -> None:
        barrier.wait()
        try:
            if offset % 2:
                team_overview(sessions, actor=manager, now=NOW + dt.timedelta(seconds=offset), refresh=True)
            else:
                refresh_team_snapshots(sessions, actor=manager, now=NOW + dt.timedelta(seconds=offset))
            with sessions.begin() as session:  # a bare upsert racing on a key nobody has written yet
                upsert_snapshot(
                    session, key="race", payload={"offset": offset}, computed_at=NOW + dt.timedelta(seconds=offset)
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=refresh, args=(offset,)) for offset in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    with sessions.read() as session:
        week, race = read_snapshot(session, "follow_ups.team:week"), read_snapshot(session, "race")
    assert week is not None and week.computed_at == NOW + dt.timedelta(seconds=4)
    assert race is not None and (race.computed_at, race.payload) == (NOW + dt.timedelta(seconds=4), {"offset": 4})


def test_the_daily_run_refreshes_the_snapshots_of_every_period(
    sessions: Sessions, staff: Actor, manager: Actor
) -> None:
    make_customer(sessions, owner=staff, value_tier="high", last_contact_at=NOW - dt.timedelta(days=100))
    created = run_daily(sessions, actor=SYSTEM, now=NOW)
    assert created["cadence_revisit"] == 1
    with sessions.read() as session:
        stored = {period: read_snapshot(session, TEAM_SNAPSHOT_KEY.format(period=period)) for period in PERIODS}
    assert all(s is not None and s.computed_at == NOW for s in stored.values())
    # The page then reads the figures the run left, including the task it just created.
    team = team_overview(sessions, actor=manager, now=NOW + dt.timedelta(minutes=5))
    assert team.from_snapshot and {r.owner_id: r.open for r in team.owners}[staff.id] == 1


def test_the_generate_command_refreshes_the_team_snapshots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 0
    assert main(["follow-ups", "generate"]) == 0
    assert "team figures refreshed" in capsys.readouterr().out
    engine = make_engine(url)
    try:
        with make_session_factory(engine).read() as session:
            keys = set(session.scalars(select(KpiSnapshot.key)))
    finally:
        engine.dispose()
    assert keys == {TEAM_SNAPSHOT_KEY.format(period=p) for p in PERIODS}


def test_a_team_view_from_its_snapshot_costs_the_same_statements_however_much_data(
    sessions: Sessions, staff: Actor, manager: Actor
) -> None:
    def statements(now: dt.datetime) -> int:
        count = 0

        def counter(*_args: object) -> None:
            nonlocal count
            count += 1

        event.listen(sessions.engine, "before_cursor_execute", counter)
        try:
            assert team_overview(sessions, actor=manager, now=now).from_snapshot
        finally:
            event.remove(sessions.engine, "before_cursor_execute", counter)
        return count

    team_overview(sessions, actor=manager, now=NOW)
    empty = statements(NOW + dt.timedelta(minutes=1))
    colleague = make_user(sessions, "liuyang", "staff")
    _team_data(sessions, staff, colleague)
    team_overview(sessions, actor=manager, now=NOW, refresh=True)
    assert statements(NOW + dt.timedelta(minutes=1)) == empty
    assert empty <= 6  # time zone, cadences, max age, the snapshot, the team's names


def test_my_queue_counts_stop_at_the_cap(sessions: Sessions, staff: Actor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("crm.follow_ups.queues.QUEUE_COUNT_CAP", 3)
    for _ in range(5):
        make_customer(sessions, owner=staff)
    for hours in range(1, 6):
        customer = make_customer(sessions, owner=staff)
        plan_follow_up(
            sessions,
            actor=staff,
            customer_id=customer,
            due_at=NOW - dt.timedelta(hours=hours),
            now=NOW - dt.timedelta(days=1),
        )
    queue = my_queue(sessions, actor=staff, now=NOW, page_size=2, pages={"overdue": 9, "out_of_cadence": 9})
    overdue, cadence = queue.sections["overdue"], queue.sections["out_of_cadence"]
    assert (overdue.total, overdue.capped, overdue.pages, overdue.page) == (4, True, 2, 1)
    assert (cadence.total, cadence.capped) == (4, True)
    assert len(overdue.rows) == 2  # the last page counted still shows a full page
    assert queue.sections["today"].total == 0 and not queue.sections["today"].capped
    assert QUEUE_COUNT_CAP == 1_000


def test_logging_a_contact_does_not_touch_the_snapshot(sessions: Sessions, staff: Actor, manager: Actor) -> None:
    customer = make_customer(sessions, owner=staff)
    before = team_overview(sessions, actor=manager, now=NOW)
    log_contact(
        sessions,
        actor=staff,
        customer_id=customer,
        channel="phone",
        occurred_at=NOW - dt.timedelta(hours=1),
        summary="Call",
        now=NOW,
    )
    after = team_overview(sessions, actor=manager, now=NOW + dt.timedelta(minutes=2))
    assert after.from_snapshot and dataclasses.replace(after, from_snapshot=False) == before
