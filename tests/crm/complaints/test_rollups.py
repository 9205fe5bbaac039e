"""The complaint rollups stay in step with the complaints and suggestions through the real services, and the
figures read from them for a segment equal the figures read from the complaints for the same customers, on the
three databases: several filter sets and periods (partial months, empty, before the first complaint)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from crm.complaints import (
    ComplaintEdits,
    Confirmation,
    SuggestionInput,
    change_severity,
    edit_complaint,
    evaluate_suggestion,
    get_complaint,
    hand_off,
    monthly_figures,
    period_figures,
    record_suggestion,
    root_causes,
    transition,
)
from crm.complaints.figures import Figures
from crm.customers.service import archive_customer, get_customer, restore_customer
from crm.demo.service import load_demo
from crm.platform.clock import frozen_at
from crm.platform.permissions import Actor
from crm.platform.rollups import MARKER, SegmentFilter, check, ensure_built
from crm.platform.uow import transaction
from crm.platform.users import get_user
from db.engine import Sessions
from db.models import Complaint, ComplaintMonth, ComplaintTimeMonth, Customer, Setting
from tests.crm.complaints.conftest import NOW, World, file, make_customer

MINE = ("complaint_months", "complaint_time_months")
H = dt.timedelta(hours=1)
SATISFIED = Confirmation(confirmed_by="Li Lei", channel="phone", satisfied=True)
NOT_SATISFIED = Confirmation(confirmed_by="Li Lei", channel="phone", satisfied=False)


def differences(sessions: Sessions) -> dict[str, int]:
    with sessions.read() as session:
        found = check(session.connection())
    return {name: found[name] for name in MINE}


def in_step(sessions: Sessions) -> None:
    assert differences(sessions) == dict.fromkeys(MINE, 0)


def rows(sessions: Sessions) -> int:
    with sessions.read() as session:
        return int(session.scalar(select(func.sum(ComplaintMonth.received))) or 0)


def act(sessions: Sessions, actor: Actor, complaint_id: int, action: str, now: dt.datetime) -> None:
    version = get_complaint(sessions, actor=actor, complaint_id=complaint_id).complaint.version
    transition(
        sessions,
        actor=actor,
        complaint_id=complaint_id,
        version=version,
        action=action,
        note="Replaced the power unit." if action in ("resolve", "reject") else None,
        confirmation={"confirm_satisfied": SATISFIED, "confirm_not_satisfied": NOT_SATISFIED}.get(action),
        now=now,
    )


def test_the_rollups_equal_a_recount_after_every_complaint_and_suggestion_write(
    sessions: Sessions, world: World
) -> None:
    ensure_built(sessions)  # the calendar (the months) and the empty rollups
    manager = world.manager
    first = file(sessions, world, now=NOW - 40 * 24 * H)  # November, Shanghai
    second = file(sessions, world, now=NOW - 2 * H, category=None, severity="low")
    in_step(sessions)
    assert rows(sessions) == 2
    for action, at in (("acknowledge", 1), ("start", 2), ("wait_for_customer", 3), ("resume", 5), ("resolve", 30)):
        act(sessions, manager, first.id, action, NOW - 40 * 24 * H + at * H)
        in_step(sessions)
    act(sessions, manager, first.id, "confirm_not_satisfied", NOW - 38 * 24 * H)  # reopened
    in_step(sessions)
    act(sessions, manager, first.id, "start", NOW - 37 * 24 * H)
    act(sessions, manager, first.id, "resolve", NOW - 37 * 24 * H + H)
    act(sessions, manager, first.id, "confirm_satisfied", NOW - 36 * 24 * H)  # closed
    in_step(sessions)
    version = get_complaint(sessions, actor=manager, complaint_id=second.id).complaint.version
    edit_complaint(
        sessions,
        actor=manager,
        complaint_id=second.id,
        version=version,
        edits=ComplaintEdits(
            description="Billed twice.",
            category="billing",
            contact_id=None,
            impact_scope=None,
            expected_resolution=None,
            occurred_at=None,
        ),
        now=NOW,
    )
    in_step(sessions)
    act(sessions, manager, second.id, "reject", NOW + H)
    in_step(sessions)
    third = file(sessions, world, now=NOW - 3 * H)
    version = get_complaint(sessions, actor=manager, complaint_id=third.id).complaint.version
    view = change_severity(
        sessions, actor=manager, complaint_id=third.id, version=version, severity="critical", now=NOW
    )
    hand_off(
        sessions,
        actor=manager,
        complaint_id=third.id,
        version=view.version,
        department_id=world.tech_id,
        assignee_id=world.engineer.id,
        now=NOW,
    )
    in_step(sessions)
    suggestion = record_suggestion(
        sessions,
        actor=world.agent,
        now=NOW - 10 * H,
        data=SuggestionInput(
            customer_id=world.customer_id, channel="survey", content="Dark mode", department_id=world.tech_id
        ),
    )
    in_step(sessions)
    evaluate_suggestion(
        sessions,
        actor=world.engineer,
        suggestion_id=suggestion.id,
        version=suggestion.version,
        result="adopt_partly",
        reason="Only for reports",
        now=NOW - 9 * H,
    )
    in_step(sessions)
    with sessions.read() as session:
        evaluated = session.execute(
            select(func.sum(ComplaintMonth.suggestions_evaluated), func.sum(ComplaintMonth.suggestions_adopted))
        ).one()
    assert tuple(evaluated) == (1, 1)
    # A complaint archived, and its customer archived and restored: their contributions leave and come back.
    with transaction(sessions, actor=manager) as session:
        complaint = session.get(Complaint, third.id)
        assert complaint is not None
        complaint.archived_at = NOW
    in_step(sessions)
    assert rows(sessions) == 2
    customer = get_customer(sessions, actor=world.admin, customer_id=world.customer_id)
    archived = archive_customer(sessions, actor=world.admin, customer_id=world.customer_id, version=customer.version)
    in_step(sessions)
    assert rows(sessions) == 0
    restore_customer(sessions, actor=world.admin, customer_id=world.customer_id, version=archived.version)
    in_step(sessions)
    assert rows(sessions) == 2
    # The customer's segment moves: its complaints move with it.
    other, _contact = make_customer(sessions, owner_id=world.agent.id)
    file(sessions, world, customer_id=other, contact_id=None, now=NOW - 5 * H)
    with transaction(sessions, actor=manager) as session:
        moved = session.get(Customer, other)
        assert moved is not None
        moved.region = "east"
        moved.value_tier = "high"
    in_step(sessions)
    with sessions.read() as session:
        regions = dict(
            session.execute(
                select(ComplaintMonth.region, func.sum(ComplaintMonth.received)).group_by(ComplaintMonth.region)
            ).all()
        )
    assert {region: int(n) for region, n in regions.items() if n} == {"": 2, "east": 1}


# --- the segment reads equal the customers= reads -----------------------------------------------------------

TODAY = dt.date(2026, 12, 7)
DEMO_NOW = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)
PERIODS = [
    (dt.date(2026, 11, 1), dt.date(2026, 11, 30)),  # a whole month
    (dt.date(2026, 7, 1), dt.date(2026, 9, 30)),  # a quarter
    (dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
    (dt.date(2025, 12, 8), TODAY),  # the last 12 months: partial months at both ends
    (dt.date(2026, 2, 10), dt.date(2026, 5, 20)),  # parts read as days
    (dt.date(2026, 3, 3), dt.date(2026, 8, 28)),  # parts read as whole months less the days outside
    (dt.date(2026, 11, 15), dt.date(2026, 11, 15)),  # one day
    (dt.date(2026, 12, 1), dt.date(2026, 12, 31)),  # running
    (dt.date(2019, 1, 1), dt.date(2019, 1, 31)),  # before the first complaint
    (dt.date(2027, 3, 1), dt.date(2027, 3, 31)),  # nothing received in it
]


@pytest.fixture
def demo(sessions: Sessions) -> Any:
    with frozen_at(DEMO_NOW):
        load_demo(sessions, customers=200, seed=3, today=TODAY)
        yield sessions


def _manager(sessions: Sessions) -> Actor:
    user = get_user(sessions, username="manager")
    assert user is not None
    return user.as_actor()


def _segments(sessions: Sessions) -> list[SegmentFilter]:
    with sessions.read() as session:

        def most_common(column: Any) -> Any:
            return session.execute(
                select(column, func.count())
                .where(column.is_not(None), Customer.archived_at.is_(None))
                .group_by(column)
                .order_by(func.count().desc(), column)
            ).first()[0]

        owner = most_common(Customer.owner_id)
        department = most_common(Customer.department_id)
        industry = most_common(Customer.industry)
        region = most_common(Customer.region)
    return [
        SegmentFilter(),
        SegmentFilter(owner_ids=(owner,)),
        SegmentFilter(department_id=department),
        SegmentFilter(value_tier="high"),
        SegmentFilter(value_tier="none"),
        SegmentFilter(industry=industry),
        SegmentFilter(region=region),
        SegmentFilter(department_id=department, value_tier="medium", region=region),  # the dashboard's three
        SegmentFilter(owner_ids=(owner,), industry=industry),
    ]


def _customers(segment: SegmentFilter) -> Any:
    """The same customers as the dashboard's customer_ids select (crm/kpis/scope.py)."""
    conditions: list[Any] = [Customer.archived_at.is_(None)]
    conditions += [Customer.owner_id == owner for owner in segment.owner_ids]
    if segment.department_id is not None:
        conditions.append(Customer.department_id == segment.department_id)
    if segment.value_tier == "none":
        conditions.append(Customer.value_tier.is_(None))
    elif segment.value_tier is not None:
        conditions.append(Customer.value_tier == segment.value_tier)
    if segment.industry is not None:
        conditions.append(Customer.industry == segment.industry)
    if segment.region is not None:
        conditions.append(Customer.region == segment.region)
    return select(Customer.id).where(*conditions)


COUNTS = (
    "received",
    "closed_satisfied",
    "resolved",
    "resolved_on_time",
    "ever_resolved",
    "reopened",
    "suggestions_evaluated",
    "suggestions_adopted",
)


def _same_median(got: float | None, want: float | None) -> bool:
    if got is None or want is None:
        return got is None and want is None
    return math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-6)


def _assert_same(got: Figures, want: Figures, label: str, medians: bool = True) -> None:
    assert {f: getattr(got, f) for f in COUNTS} == {f: getattr(want, f) for f in COUNTS}, label
    assert got.acknowledged == len(want.acknowledge_seconds), label
    assert got.resolved == len(want.resolve_seconds), label
    if medians:
        assert _same_median(got.median_resolve_seconds, want.median_resolve_seconds), label
        assert _same_median(got.median_acknowledge_seconds, want.median_acknowledge_seconds), label


def test_segment_figures_equal_the_figures_of_the_same_customers_records(demo: Sessions) -> None:
    manager = _manager(demo)
    nonzero = set()
    for segment in _segments(demo):
        customers = _customers(segment)
        for start, end in PERIODS:
            label = f"{segment} {start}..{end}"
            want = period_figures(demo, actor=manager, start=start, end=end, customers=customers)
            got = period_figures(demo, actor=manager, start=start, end=end, segment=segment)
            _assert_same(got.overall, want.overall, label)
            assert got.by_department == {} and got.by_severity == {}
            nonzero |= {f for f in COUNTS if getattr(got.overall, f)}
            if got.overall.median_resolve_seconds is not None:
                nonzero.add("median")
            causes = root_causes(demo, actor=manager, start=start, end=end, customers=customers)
            assert root_causes(demo, actor=manager, start=start, end=end, segment=segment) == causes, label
            quick = root_causes(demo, actor=manager, start=start, end=end, segment=segment, top=0, departments=False)
            assert (quick.by_category, quick.by_department, quick.repeat_complainers) == (causes.by_category, {}, ())
    assert nonzero == {*COUNTS, "median"}  # the demo exercises every figure


def test_monthly_figures_equal_each_months_figures(demo: Sessions) -> None:
    manager = _manager(demo)
    segments = _segments(demo)
    for segment in (segments[0], segments[-2]):
        customers = _customers(segment)
        for start, end in PERIODS[3:6]:
            months = monthly_figures(demo, actor=manager, start=start, end=end, segment=segment)
            assert [m for m, _f in months][0] == start.replace(day=1)
            for month, figures in months:
                last = min(end, (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1))
                want = period_figures(demo, actor=manager, start=max(start, month), end=last, customers=customers)
                _assert_same(figures, want.overall, f"{segment} {month}", medians=False)
                assert figures.median_resolve_seconds is None


def test_a_database_whose_rollups_were_never_built_gets_them_on_the_first_segment_read(demo: Sessions) -> None:
    manager = _manager(demo)
    start, end = PERIODS[3]
    want = period_figures(demo, actor=manager, start=start, end=end, segment=SegmentFilter())
    with demo.begin() as session:  # as after migration 0019: empty tables, the built marker gone
        session.execute(delete(ComplaintMonth))
        session.execute(delete(ComplaintTimeMonth))
        session.execute(delete(Setting).where(Setting.key == MARKER))
    got = period_figures(demo, actor=manager, start=start, end=end, segment=SegmentFilter())
    assert want.overall.received > 0
    assert got.overall == want.overall
    in_step(demo)


def test_segment_and_customers_together_are_refused(demo: Sessions) -> None:
    with pytest.raises(ValueError):
        period_figures(
            demo,
            actor=_manager(demo),
            start=TODAY,
            end=TODAY,
            segment=SegmentFilter(),
            customers=select(Customer.id),
        )
