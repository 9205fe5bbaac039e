"""Benchmark section `satisfaction`: the satisfaction overview's reads for the last 12 months (the figures with
their dimensions and recovery, the monthly trend, the breakdown by value tier), cold and warm, as a manager, with
the survey responses brought to a given size (`--responses`, default 1,000).

The demo data set holds few responses, so the section inserts the rest in bulk for the data set's customers (each
with a mood of its own, scores for the four demo dimensions with one in ten left unanswered, the alert flag as the
low_survey rule sets it), spread over the past year, marked by an import key BENCH-R..; it deletes them afterwards,
so the data set keeps its shape. The issue's scale: 500,000 responses. Core inserts and deletes pass by the ORM's
flush: the satisfaction rollups are rebuilt after the fill and after the clean-up.

First the dashboard's satisfaction reads (issue 17: both periods' figures and the trend under 250 ms cold
together), with no filter and with three filters: the figures without dimensions (crm/kpis/compute.py) for the
last 12 months and the 12 months a year before, and the monthly trend (crm/kpis/charts_data.py), read from the
satisfaction rollups for whole months; then the overview's reads.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

from sqlalchemy import delete, func, insert, select, text

from crm.bench.runner import Context, Measurement, time_call
from crm.kpis.periods import Period
from crm.platform.clock import company_today, utcnow
from crm.platform.permissions import Actor
from crm.platform.rollups import rebuild
from crm.satisfaction.figures import (
    SatisfactionFigures,
    SatisfactionFilters,
    breakdown,
    monthly_trend,
    satisfaction_figures,
)
from crm.satisfaction.rollups import ALERT_MONTHS, MONTHS
from db.engine import Sessions
from db.models import Customer, SurveyResponse, SurveyScore, SurveyTemplate, User

KEY_PREFIX = "BENCH-R"
DEFAULT_RESPONSES = 1_000
BATCH = 5_000
DIMENSIONS = ("product", "attitude", "speed", "resolution")
CHANNELS = ("questionnaire", "online", "phone")


def _bench_ids() -> Any:
    return select(SurveyResponse.id).where(SurveyResponse.import_key.like(f"{KEY_PREFIX}%"))


def _delete_bench_responses(sessions: Sessions) -> None:
    with sessions.begin() as session:
        found = session.scalar(_bench_ids().limit(1)) is not None
        session.execute(delete(SurveyScore).where(SurveyScore.response_id.in_(_bench_ids())))
        session.execute(delete(SurveyResponse).where(SurveyResponse.import_key.like(f"{KEY_PREFIX}%")))
    if found:
        rebuild_satisfaction_rollups(sessions)


def rebuild_satisfaction_rollups(sessions: Sessions) -> None:
    """Recount the satisfaction rollups after Core inserts or deletes of responses (no flush kept them in step)."""
    with sessions.begin() as session:
        rebuild(session.connection(), [MONTHS.name, ALERT_MONTHS.name])
    if sessions.dialect == "postgresql":
        with sessions.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE satisfaction_months, satisfaction_alert_months"))


def _rows(
    count: int, first_id: int, customers: list[int], templates: list[int | None], now: dt.datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """count responses over the past year, and their scores, as the demo shapes them."""
    rng = random.Random(16)
    moods = {customer: 4.1 + rng.gauss(0, 0.6) for customer in customers}
    # Recorded as they come: the ids follow the time they were given (an index range over responded_at reads
    # the table in order, as it would in a database that has been collecting them for a year).
    times = sorted(now - dt.timedelta(minutes=rng.randrange(10, 365 * 24 * 60)) for _ in range(count))
    responses: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    for n, responded in enumerate(times):
        response_id = first_id + n
        customer = rng.choice(customers)
        level = moods[customer] + rng.gauss(0, 0.7)
        answered = [min(5, max(1, round(level + rng.gauss(0, 0.6)))) for _ in DIMENSIONS]
        overall = min(5, max(1, round(sum(answered) / len(answered) + rng.gauss(0, 0.3))))
        nps = min(10, max(0, round((overall - 1) * 2.4 + rng.gauss(0, 1.2))))
        responses.append(
            {
                "id": response_id,
                "customer_id": customer,
                "template_id": rng.choice(templates),
                "channel": rng.choice(CHANNELS),
                "responded_at": responded,
                "overall_score": overall if rng.random() < 0.97 else None,
                "nps": nps if rng.random() < 0.95 else None,
                "alert": nps <= 6 or overall <= 2,
                "import_key": f"{KEY_PREFIX}{n + 1:09d}",
                "version": 1,
                "created_at": responded,
                "updated_at": responded,
            }
        )
        scores.extend(
            {"response_id": response_id, "dimension": dimension, "score": score}
            for dimension, score in zip(DIMENSIONS, answered, strict=True)
            if rng.random() >= 0.1
        )
    return responses, scores


def fill(sessions: Sessions, target: int) -> int:
    """Bring the survey responses to target rows (adding BENCH-R.. ones with their scores); return how many."""
    now = utcnow()
    with sessions.read() as session:
        present = int(session.scalar(select(func.count()).select_from(SurveyResponse)) or 0)
        last_id = int(session.scalar(select(func.max(SurveyResponse.id))) or 0)
        customers = list(session.scalars(select(Customer.id).where(Customer.archived_at.is_(None))))
        templates: list[int | None] = [*session.scalars(select(SurveyTemplate.id))] or [None]
    added = max(0, target - present)
    if not added or not customers:
        return 0
    # Ids given after the highest one: the scores need them, and the rows are gone again before anyone else
    # inserts (the sequences, where there are any, never reach them).
    responses, scores = _rows(added, last_id + 1, customers, templates, now)
    for start in range(0, len(responses), BATCH):
        with sessions.begin() as session:
            session.execute(insert(SurveyResponse), responses[start : start + BATCH])
    for start in range(0, len(scores), BATCH * 4):
        with sessions.begin() as session:
            session.execute(insert(SurveyScore), scores[start : start + BATCH * 4])
    if sessions.dialect == "postgresql":
        # What autovacuum does soon after a bulk load (see crm/bench/complaints.py).
        with sessions.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE survey_responses, survey_scores"))
    elif sessions.dialect == "sqlite":
        with sessions.begin() as session:
            session.execute(text("ANALYZE survey_responses"))
            session.execute(text("ANALYZE survey_scores"))
    rebuild_satisfaction_rollups(sessions)
    return added


def manager(sessions: Sessions) -> Actor:
    """The data set's first active manager (the demo's: manager-demo-1)."""
    with sessions.read() as session:
        found = session.execute(
            select(User.id, User.username, User.display_name)
            .where(User.role == "manager", User.is_active.is_(True))
            .order_by(User.id)
            .limit(1)
        ).first()
    if found is None:
        return Actor(id=None, username="bench", display_name="bench", role="manager")
    return Actor(id=found.id, username=found.username, display_name=found.display_name, role="manager")


def _note(result: object) -> str:
    if isinstance(result, SatisfactionFigures):
        nps = "-" if result.nps.score is None else f"{result.nps.score:.1f}"
        return f"{result.responses:,} responses, NPS {nps}, {result.recovery.alerted_customers:,} alerted"
    if isinstance(result, list):
        return f"{len(result)} rows"
    return ""


def measure(ctx: Context) -> list[Measurement]:
    """Fill the survey responses, time the overview's reads for the last 12 months, then delete what was added."""
    sessions = ctx.sessions
    target = ctx.responses if ctx.responses is not None else DEFAULT_RESPONSES
    _delete_bench_responses(sessions)  # an earlier run stopped half-way
    try:
        started = time.perf_counter()
        added = fill(sessions, target)
        ctx.progress(
            f"satisfaction: {added:,} responses added to reach {target:,}, rollups rebuilt"
            f" ({time.perf_counter() - started:.0f} s)"
        )
        actor = manager(sessions)
        with sessions.read() as session:
            end = company_today(session)
        month = end.year * 12 + end.month - 1 - 11  # this month and the eleven before it, as the dashboard's
        start = dt.date(month // 12, month % 12 + 1, 1)
        period: dict[str, Any] = {"actor": actor, "start": start, "end": end}
        with sessions.read() as session:
            department = session.scalar(select(User.department_id).where(User.id == actor.id))
        three = SatisfactionFilters(department_id=department, value_tier="medium", region="east")
        rows = dashboard_reads(ctx, actor, Period.last_12_months(end), three)
        calls = (
            ("figures (CSAT, NPS, dimensions, recovery)", lambda: satisfaction_figures(sessions, **period)),
            ("monthly trend (12 months)", lambda: monthly_trend(sessions, **period)),
            ("breakdown by value tier", lambda: breakdown(sessions, by="value_tier", **period)),
            (
                "figures, 3 filters (department, tier, region)",
                lambda: satisfaction_figures(sessions, filters=three, **period),
            ),
        )
        rows += [time_call("satisfaction", name, call, warm_runs=ctx.warm_runs, note=_note) for name, call in calls]
        return rows
    finally:
        _delete_bench_responses(sessions)


def dashboard_reads(ctx: Context, actor: Actor, period: Period, three: SatisfactionFilters) -> list[Measurement]:
    """Time the dashboard's satisfaction reads (crm/kpis: the figures without dimensions of the period and the
    previous one, the monthly trend), each alone and all three together, with no filter and with three."""
    sessions = ctx.sessions
    previous = period.previous()
    now = utcnow()
    rows = []
    for label, filters in (("no filter", SatisfactionFilters()), ("3 filters", three)):

        def figures(of: Period, filters: SatisfactionFilters = filters) -> SatisfactionFigures:
            return satisfaction_figures(
                sessions, actor=actor, start=of.start, end=of.end, filters=filters, now=now, dimensions=False
            )

        def trend(filters: SatisfactionFilters = filters) -> list[Any]:
            return monthly_trend(sessions, actor=actor, start=period.start, end=period.end, filters=filters)

        def together(filters: SatisfactionFilters = filters) -> SatisfactionFigures:
            result = figures(period, filters)
            figures(previous, filters)
            trend(filters)
            return result

        ctx.progress(f"satisfaction: dashboard reads, {label}")
        calls = (
            ("both periods' figures + monthly trend", together),
            ("figures without dimensions, last 12 months", lambda figures=figures: figures(period)),
            ("figures without dimensions, the 12 months before", lambda figures=figures: figures(previous)),
            ("monthly trend", trend),
        )
        rows += [
            time_call("satisfaction", f"dashboard, {label}: {name}", call, warm_runs=ctx.warm_runs, note=_note)
            for name, call in calls
        ]
    return rows
