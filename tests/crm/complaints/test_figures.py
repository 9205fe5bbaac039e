"""The complaint figures against a hand-computed fixture, on every database; no denominator is "no data"."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from crm.complaints.figures import period_figures, what_if_on_time
from crm.complaints.sla import SlaPolicy
from crm.platform.errors import PermissionDenied
from crm.platform.permissions import SYSTEM
from crm.platform.uow import transaction
from db.engine import Sessions
from db.models import Complaint, Suggestion
from tests.crm.complaints.conftest import World

SH = ZoneInfo("Asia/Shanghai")
H = dt.timedelta(hours=1)
DECEMBER = (dt.date(2026, 12, 1), dt.date(2026, 12, 31))


def local(day: int, hour: int = 10, month: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=SH).astimezone(dt.UTC)


def fixture(sessions: Sessions, world: World) -> None:
    a, b = world.service_id, world.tech_id
    rows = [
        # 1: A/high, acknowledged in 1 h, resolved in 20 h (due in 72 h), closed satisfied
        dict(
            department_id=a,
            severity="high",
            received_at=local(1),
            responded_at=local(1) + H,
            resolved_at=local(1) + 20 * H,
            first_resolved_at=local(1) + 20 * H,
            resolve_due_at=local(1) + 72 * H,
            status="closed",
            customer_satisfied=True,
            closed_at=local(3),
        ),
        # 2: A/high, acknowledged in 3 h, resolved in 100 h of which 1 h waiting: late
        dict(
            department_id=a,
            severity="high",
            received_at=local(2),
            responded_at=local(2) + 3 * H,
            resolved_at=local(2) + 100 * H,
            first_resolved_at=local(2) + 100 * H,
            resolve_due_at=local(2) + 72 * H,
            status="resolved",
            paused_seconds=3600,
        ),
        # 3: A/low, acknowledged in 2 h, resolved once, reopened, being handled again
        dict(
            department_id=a,
            severity="low",
            received_at=local(3),
            responded_at=local(3) + 2 * H,
            first_resolved_at=local(4),
            resolve_due_at=local(17),
            status="in_progress",
            reopen_count=1,
            customer_satisfied=False,
        ),
        # 4: B/critical, new
        dict(department_id=b, severity="critical", received_at=local(4), resolve_due_at=local(5), status="new"),
        # 5: B/critical, acknowledged in 30 minutes, rejected
        dict(
            department_id=b,
            severity="critical",
            received_at=local(5),
            responded_at=local(5) + H / 2,
            resolve_due_at=local(6),
            status="rejected",
            closed_at=local(5, 12),
        ),
        # outside the period (30 November, 23:00 in Shanghai) and archived: not counted
        dict(
            department_id=a,
            severity="high",
            received_at=local(30, 23, month=11),
            status="closed",
            customer_satisfied=True,
            resolved_at=local(1),
            first_resolved_at=local(1),
            resolve_due_at=local(2),
        ),
        dict(
            department_id=a,
            severity="high",
            received_at=local(6),
            status="new",
            resolve_due_at=local(9),
            archived_at=local(7),
        ),
    ]
    suggestions = [(a, "adopt"), (a, "adopt_partly"), (a, "not_adopt"), (b, None)]
    with transaction(sessions, actor=SYSTEM) as session:
        for n, values in enumerate(rows, start=1):
            session.add(
                Complaint(
                    code=f"C-2026-{n:06d}",
                    customer_id=world.customer_id,
                    channel="phone",
                    description="x",
                    **{"paused_seconds": 0, "reopen_count": 0, **values},
                )
            )
        for department_id, result in suggestions:
            session.add(
                Suggestion(
                    customer_id=world.customer_id,
                    channel="email",
                    received_at=local(8),
                    content="x",
                    department_id=department_id,
                    evaluation_result=result,
                    status="evaluated" if result else "new",
                    adopted=None if result is None else result != "not_adopt",
                )
            )


def test_the_figures_of_a_period_match_the_hand_computed_ones(sessions: Sessions, world: World) -> None:
    fixture(sessions, world)
    figures = period_figures(sessions, actor=world.manager, start=DECEMBER[0], end=DECEMBER[1])
    overall = figures.overall
    assert (
        overall.received,
        overall.closed_satisfied,
        overall.resolved,
        overall.resolved_on_time,
        overall.ever_resolved,
        overall.reopened,
    ) == (5, 1, 2, 1, 3, 1)
    assert overall.resolution_rate == pytest.approx(1 / 5)
    assert overall.on_time_rate == pytest.approx(1 / 2)
    assert overall.reopen_rate == pytest.approx(1 / 3)
    assert overall.median_acknowledge_seconds == pytest.approx((3600 + 7200) / 2)  # of 1800, 3600, 7200, 10800
    assert overall.median_resolve_seconds == pytest.approx((20 * 3600 + 99 * 3600) / 2)  # paused hour left out
    assert overall.adoption_rate == pytest.approx(2 / 3)
    service, tech = figures.by_department[world.service_id], figures.by_department[world.tech_id]
    assert (service.received, service.on_time_rate, service.reopen_rate) == (3, 0.5, pytest.approx(1 / 3))
    assert (tech.received, tech.resolution_rate, tech.on_time_rate, tech.reopen_rate) == (2, 0.0, None, None)
    assert tech.adoption_rate is None  # one suggestion, not evaluated: no data, not 0 %
    assert figures.by_severity["critical"].on_time_rate is None
    assert figures.by_severity["high"].received == 2
    assert figures.by_department_and_severity[(world.service_id, "low")].reopened == 1


def test_a_period_without_complaints_has_no_data_not_zero(sessions: Sessions, world: World) -> None:
    figures = period_figures(sessions, actor=world.manager, start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 31))
    overall = figures.overall
    assert overall.received == 0
    assert (
        overall.resolution_rate,
        overall.on_time_rate,
        overall.reopen_rate,
        overall.adoption_rate,
        overall.median_acknowledge_seconds,
        overall.median_resolve_seconds,
    ) == (None,) * 6


def test_what_if_shows_the_on_time_rate_under_other_targets(sessions: Sessions, world: World) -> None:
    fixture(sessions, world)
    longer = SlaPolicy().with_targets("high", resolve_days=5)
    rows = {
        (r.department_id, r.severity): r
        for r in what_if_on_time(sessions, actor=world.manager, proposed=longer, start=DECEMBER[0], end=DECEMBER[1])
    }
    high = rows[(world.service_id, "high")]
    assert (high.resolved, high.on_time_now, high.on_time_proposed) == (2, 1, 2)
    shorter = SlaPolicy().with_targets("high", resolve_days=1)
    rows = {
        (r.department_id, r.severity): r
        for r in what_if_on_time(sessions, actor=world.manager, proposed=shorter, start=DECEMBER[0], end=DECEMBER[1])
    }
    assert rows[(world.service_id, "high")].rate_proposed == pytest.approx(1 / 2)  # 20 h < 24 h, 100 h late


def test_staff_cannot_read_the_figures_or_the_what_if(sessions: Sessions, world: World) -> None:
    with pytest.raises(PermissionDenied):
        period_figures(sessions, actor=world.agent, start=DECEMBER[0], end=DECEMBER[1])
    with pytest.raises(PermissionDenied):
        what_if_on_time(sessions, actor=world.viewer, proposed=SlaPolicy(), start=DECEMBER[0], end=DECEMBER[1])


def test_the_what_if_reads_the_pauses_of_complaints_that_waited_for_the_customer(
    sessions: Sessions, world: World
) -> None:
    """A resolved complaint that waited for the customer is counted with its pause (it used to fail outright: its
    events were read after their session had closed)."""
    from crm.complaints import ComplaintInput, file_complaint
    from tests.crm.complaints.test_workflow import act

    received = local(2)
    filed = file_complaint(
        sessions,
        actor=world.manager,
        data=ComplaintInput(customer_id=world.customer_id, channel="phone", description="Late", severity="high"),
        now=received,
    )
    for hours, action in enumerate(("acknowledge", "start", "wait_for_customer", "resume", "resolve"), start=1):
        act(sessions, world.manager, filed.id, action, now=received + hours * 10 * H)
    rows = what_if_on_time(sessions, actor=world.manager, proposed=SlaPolicy(), start=DECEMBER[0], end=DECEMBER[1])
    assert [(r.severity, r.resolved) for r in rows] == [("high", 1)]
