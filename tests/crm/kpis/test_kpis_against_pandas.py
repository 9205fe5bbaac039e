"""Every KPI computed in SQL equals the same KPI computed a second way, pandas over the raw rows, on the three
databases: several periods (ended, running, empty, before the first record) and filter sets."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from crm.kpis import CODES, KpiFilters, KpiValue, Period, compute_kpis
from crm.kpis.compute import available_codes
from db.engine import Sessions
from db.models import Customer
from tests.crm.kpis.conftest import NOW, TODAY, account
from tests.crm.kpis.reference import load, reference

PERIODS = [
    Period.month(2026, 11),
    Period.quarter(2026, 3),
    Period.year(2025),
    Period.last_12_months(TODAY),
    Period.custom(dt.date(2026, 2, 10), dt.date(2026, 5, 20)),
    Period.month(2026, 12),  # running: read from the current columns
    Period.month(2019, 1),  # before the first record
    Period.custom(dt.date(2027, 3, 1), dt.date(2027, 3, 31)),  # nothing recorded in it
]


def _close(actual: Any, expected: Any) -> bool:
    if expected is None or actual is None:
        return actual is None and expected is None
    if isinstance(expected, Decimal) or isinstance(actual, Decimal):
        return abs(Decimal(str(actual)) - Decimal(str(expected))) <= Decimal("0.02")
    return math.isclose(float(actual), float(expected), rel_tol=1e-9, abs_tol=1e-9)


def _assert_equal(values: dict[str, KpiValue], expected: dict[str, tuple[Any, Any, Any]], label: str) -> None:
    for code, value in values.items():
        want = expected[code]
        got = (value.value, value.numerator, value.denominator)
        assert all(_close(g, w) for g, w in zip(got, want, strict=True)), (label, code, got, want)


def _filter_sets(sessions: Sessions) -> list[KpiFilters]:
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
        KpiFilters(),
        KpiFilters(owner_id=owner),
        KpiFilters(department_id=department),
        KpiFilters(value_tier="high"),
        KpiFilters(industry=industry),
        KpiFilters(region=region),
        KpiFilters(department_id=department, value_tier="medium", region=region),  # three at once
    ]


def test_every_kpi_equals_its_pandas_computation_for_every_period_and_filter_set(demo: Sessions) -> None:
    manager = account(demo, "manager")
    with demo.engine.connect() as connection:
        raw = load(connection)
    codes = available_codes(manager)
    assert codes == list(CODES)
    nonzero: set[str] = set()
    for filters in _filter_sets(demo):
        for period in PERIODS:
            values = compute_kpis(demo, actor=manager, period=period, filters=filters)
            assert list(values) == codes
            _assert_equal(values, reference(raw, period, filters, NOW), f"{period.key()} {filters.key()}")
            nonzero |= {code for code, v in values.items() if v.value}
    # The data set exercises every figure: each is non-zero somewhere.
    assert nonzero == set(codes)


def test_a_period_before_the_first_record_has_zero_counts_and_no_data_rates(demo: Sessions) -> None:
    values = compute_kpis(demo, actor=account(demo, "manager"), period=Period.month(2019, 1))
    for code in ("customers", "new_customers", "churned_customers", "complaints_received", "overdue_follow_ups"):
        assert values[code].value == 0, code
    assert values["revenue"].value == Decimal("0.00")
    for code in (
        "churn_rate",
        "conversion_rate",
        "median_days_to_sign",
        "revenue_top20_share",
        "customers_making_80",
        "cadence_compliance",
        "resolution_rate",
        "on_time_rate",
        "reopen_rate",
        "median_hours_to_resolve",
        "suggestion_adoption_rate",
    ):
        assert values[code].value is None and values[code].no_data, code


def test_staff_get_their_own_customers_figures_without_the_complaint_figures(demo: Sessions) -> None:
    staff = account(demo, "staff")
    with demo.engine.connect() as connection:
        raw = load(connection)
    period = Period.quarter(2026, 3)
    values = compute_kpis(demo, actor=staff, period=period)
    assert not set(values) & {"complaints_received", "on_time_rate", "resolution_rate"}
    assert values["customers"].value > 0
    _assert_equal(values, reference(raw, period, KpiFilters(), NOW, staff_id=staff.id), "staff")
    everyone = compute_kpis(demo, actor=account(demo, "manager"), period=period, codes=["customers"])
    assert values["customers"].value < everyone["customers"].value


def test_only_the_codes_asked_are_computed_in_display_order(demo: Sessions) -> None:
    values = compute_kpis(
        demo, actor=account(demo, "viewer"), period=Period.month(2026, 11), codes=["on_time_rate", "revenue"]
    )
    assert list(values) == ["revenue", "on_time_rate"]
    with pytest.raises(ValueError):
        compute_kpis(demo, actor=account(demo, "viewer"), period=Period.month(2026, 11), codes=["nonsense"])
