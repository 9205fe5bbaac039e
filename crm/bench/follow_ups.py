"""Benchmark section `follow-ups`: what the follow-up page asks for on the data set (my queue, the team view from
its snapshot and refreshed live, the calendar, the planned list), a contact logged, and a run of the rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import func, select

from crm.bench.runner import Context, Measurement, time_call
from crm.follow_ups.automation import generate_follow_ups
from crm.follow_ups.queues import (
    calendar_counts,
    calendar_range,
    calendar_tasks,
    my_queue,
    refresh_team_snapshots,
    team_basis,
    team_compliance,
    team_overview,
    team_period_counts,
)
from crm.follow_ups.service import list_tasks, log_contact
from crm.platform.permissions import SYSTEM
from db.models import Customer, utcnow


def measure(ctx: Context) -> list[Measurement]:
    """Time each read the follow-up page makes for the busiest owner, a contact logged, and a rules run."""
    sessions, warm = ctx.sessions, ctx.warm_runs
    with sessions.read() as session:
        owner_id, customer_id = session.execute(
            select(Customer.owner_id, func.min(Customer.id))
            .where(Customer.owner_id.is_not(None))
            .group_by(Customer.owner_id)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
        owners = sorted(
            int(o)
            for o in session.scalars(select(Customer.owner_id).where(Customer.owner_id.is_not(None)).distinct())
            if o is not None
        )
    today = dt.date.today()
    start, days = calendar_range("month", today)
    every_page = {section: 19 for section in ("overdue", "today", "week", "out_of_cadence")}
    counter = iter(range(1, 1_000_000))

    def _live_part(part: str) -> object:
        now = utcnow()
        with sessions.read() as session:
            basis, cadences, tz = team_basis(session, "week" if part == "compliance" else part, now)
            if part == "compliance":
                return team_compliance(session, cadences, now)
            return team_period_counts(session, owners, basis, tz, now)

    cases: list[tuple[str, Callable[[], object], int]] = [
        (
            "my queue (4 sections, counts + first page)",
            lambda: my_queue(sessions, actor=SYSTEM, owner_id=owner_id),
            warm,
        ),
        (
            "my queue, page 20 of each section",
            lambda: my_queue(sessions, actor=SYSTEM, owner_id=owner_id, pages=every_page),
            warm,
        ),
        ("planned list (owner, open, page 1)", lambda: list_tasks(sessions, actor=SYSTEM, owner_id=owner_id), warm),
        # The page's path: the snapshot while it is fresh (the cold run may compute and store it).
        (
            "team view (this week), from the snapshot",
            lambda: team_overview(sessions, actor=SYSTEM, period="week"),
            warm,
        ),
        (
            "team view (this month), from the snapshot",
            lambda: team_overview(sessions, actor=SYSTEM, period="month"),
            warm,
        ),
        # The Refresh button / a stale snapshot: everything computed live, then stored.
        (
            "team view refresh (this week), live + store",
            lambda: team_overview(sessions, actor=SYSTEM, period="week", refresh=True),
            warm,
        ),
        (
            "team view refresh (this month), live + store",
            lambda: team_overview(sessions, actor=SYSTEM, period="month", refresh=True),
            warm,
        ),
        ("  of which: compliance by owner and tier", lambda: _live_part("compliance"), warm),
        ("  of which: open/overdue/done/contacts (week)", lambda: _live_part("week"), warm),
        ("  of which: open/overdue/done/contacts (month)", lambda: _live_part("month"), warm),
        (
            "daily run's snapshot refresh (both periods)",
            lambda: refresh_team_snapshots(sessions, actor=SYSTEM),
            min(warm, 1),
        ),
        (
            "calendar month (42 days), all owners",
            lambda: calendar_counts(sessions, actor=SYSTEM, start=start, days=days, by_owner=False),
            warm,
        ),
        (
            "calendar week per owner, all owners",
            lambda: calendar_counts(sessions, actor=SYSTEM, start=start, days=7),
            warm,
        ),
        (
            "calendar month, one owner",
            lambda: calendar_counts(sessions, actor=SYSTEM, start=start, days=days, owner_id=owner_id),
            warm,
        ),
        ("calendar day list, all owners", lambda: calendar_tasks(sessions, actor=SYSTEM, day=today), warm),
        (
            "log a contact (write + cache + rules)",
            lambda: log_contact(
                sessions,
                actor=SYSTEM,
                customer_id=customer_id,
                channel="phone",
                occurred_at=utcnow() - dt.timedelta(minutes=next(counter)),
                summary="Bench call",
            ),
            warm,
        ),
        # Cold: the rules over every customer (creating what they find); warm: the next run, finding it done.
        (
            "rules run over every customer, then again",
            lambda: generate_follow_ups(sessions, actor=SYSTEM),
            min(warm, 1),
        ),
    ]
    return [time_call("follow-ups", name, call, warm_runs=runs) for name, call, runs in cases]
