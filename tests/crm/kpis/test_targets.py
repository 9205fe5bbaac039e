"""Targets per KPI and month or quarter, set by managers, and a figure's status against its target."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.kpis import Period, list_targets, set_target, status, targets_for
from crm.platform.errors import PermissionDenied, ValidationError, VersionConflict
from db.engine import Sessions
from db.models import AuditLog
from tests.crm.customers.customer_fixtures import Team


def test_a_manager_sets_a_target_and_changes_it_audited_and_versioned(sessions: Sessions, team: Team) -> None:
    first = set_target(sessions, actor=team.manager, kpi="on_time_rate", period_key="2026-q4", value="0.9")
    assert (first.kpi, first.period, first.target, first.version) == ("on_time_rate", "2026-Q4", Decimal("0.9"), 1)
    second = set_target(sessions, actor=team.admin, kpi="on_time_rate", period_key="2026-Q4", value=0.95, version=1)
    assert (second.target, second.version) == (Decimal("0.95"), 2)
    with pytest.raises(VersionConflict):
        set_target(sessions, actor=team.manager, kpi="on_time_rate", period_key="2026-Q4", value="0.8", version=1)
    assert [t.target for t in list_targets(sessions, actor=team.viewer)] == [Decimal("0.95")]
    with sessions.read() as session:
        trail = session.execute(
            select(AuditLog.action, AuditLog.field, AuditLog.new_value).where(AuditLog.entity_type == "kpi_targets")
        ).all()
    assert ("create", None, None) in [(a, f, None) for a, f, _ in trail]
    assert any(a == "update" and f == "target" for a, f, _ in trail)


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_only_managers_and_admins_set_targets(sessions: Sessions, team: Team, role: str) -> None:
    with pytest.raises(PermissionDenied):
        set_target(sessions, actor=getattr(team, role), kpi="revenue", period_key="2026-11", value="100")


@pytest.mark.parametrize(
    ("kpi", "period", "value", "field"),
    [
        ("nonsense", "2026-11", "1", "kpi"),
        ("revenue", "2026", "1", "period"),
        ("revenue", "2026-13", "1", "period"),
        ("revenue", "2026-11", "lots", "target"),
        ("revenue", "2026-11", "-5", "target"),
        ("on_time_rate", "2026-11", "90", "target"),  # a rate is a share: 0.9
        ("nps", "2026-11", "150", "target"),
    ],
)
def test_a_target_out_of_its_kpis_range_or_period_is_refused_on_its_field(
    sessions: Sessions, team: Team, kpi: str, period: str, value: str, field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        set_target(sessions, actor=team.manager, kpi=kpi, period_key=period, value=value)
    assert field in error.value.fields


def test_a_month_takes_its_own_target_else_its_quarters_a_third_of_it_for_a_sum(sessions: Sessions, team: Team) -> None:
    for kpi, period, value in [
        ("revenue", "2026-Q4", "3000000"),
        ("on_time_rate", "2026-Q4", "0.9"),
        ("customers", "2026-Q4", "400"),
        ("on_time_rate", "2026-11", "0.95"),
        ("csat", "2026-Q3", "4.2"),
    ]:
        set_target(sessions, actor=team.manager, kpi=kpi, period_key=period, value=value)
    november = targets_for(sessions, Period.month(2026, 11))
    assert november == {"customers": Decimal("400"), "revenue": Decimal("1000000"), "on_time_rate": Decimal("0.95")}
    assert targets_for(sessions, Period.month(2026, 10))["on_time_rate"] == Decimal("0.9")
    assert targets_for(sessions, Period.quarter(2026, 4))["revenue"] == Decimal("3000000")
    assert targets_for(sessions, Period.quarter(2026, 3)) == {"csat": Decimal("4.2")}
    assert targets_for(sessions, Period.year(2026)) == {}


def test_status_is_green_on_target_amber_within_ten_percent_and_red_beyond() -> None:
    assert status(0.92, Decimal("0.9"), True) == "green"
    assert status(0.9, Decimal("0.9"), True) == "green"
    assert status(0.82, Decimal("0.9"), True) == "amber"  # 0.81 is 10% below 0.9
    assert status(0.80, Decimal("0.9"), True) == "red"
    assert status(Decimal("105"), 100, False) == "amber"  # lower is better: overdue follow-ups
    assert status(Decimal("111"), 100, False) == "red"
    assert status(90, 100, False) == "green"
    assert status(-5, -10, True) == "green" and status(-10.5, -10, True) == "amber"  # an NPS below zero
    assert status(None, 1, True) is None and status(1, None, True) is None
