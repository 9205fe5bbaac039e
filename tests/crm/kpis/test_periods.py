"""Periods and filters read and write the dashboard's URL both ways, and step back one period of their kind."""

from __future__ import annotations

import datetime as dt

import pytest

from crm.kpis import KpiFilters, Period
from crm.platform.errors import ValidationError


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("2026-11", "month", dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
        ("2024-02", "month", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        ("2026-Q4", "quarter", dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        ("2026-q1", "quarter", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        ("2026", "year", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
        ("last12", "last_12_months", dt.date(2026, 1, 1), dt.date(2026, 12, 7)),
        ("2026-01-01..2026-03-31", "custom", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
    ],
)
def test_a_period_parses_from_its_url_text_and_key_gives_the_text_back(
    text: str, kind: str, start: dt.date, end: dt.date
) -> None:
    period = Period.parse(text, today=dt.date(2026, 12, 7))
    assert (period.kind, period.start, period.end) == (kind, start, end)
    assert Period.parse(period.key(), today=dt.date(2026, 12, 7)) == period
    assert period.key() == text.upper().replace("LAST12", "last12")


@pytest.mark.parametrize(
    "text", ["", "2026-13", "2026-Q5", "26", "last12x", "2026-03-31..2026-01-01", "2026-02-30..2026-03-01", "x"]
)
def test_a_period_that_cannot_be_read_is_a_validation_error_on_the_period_field(text: str) -> None:
    with pytest.raises(ValidationError) as error:
        Period.parse(text, today=dt.date(2026, 12, 7))
    assert error.value.fields == {"period": ("kpis.error.period", {})}


def test_last12_needs_today() -> None:
    with pytest.raises(ValidationError):
        Period.parse("last12")


def test_the_previous_period_has_the_same_kind_and_length() -> None:
    assert Period.month(2026, 1).previous() == Period.month(2025, 12)
    assert Period.month(2026, 3).previous() == Period.month(2026, 2)
    assert Period.quarter(2026, 1).previous() == Period.quarter(2025, 4)
    assert Period.year(2026).previous() == Period.year(2025)
    last12 = Period.last_12_months(dt.date(2026, 12, 7)).previous()
    assert (last12.start, last12.end) == (dt.date(2025, 1, 1), dt.date(2025, 12, 7))
    custom = Period.custom(dt.date(2026, 3, 1), dt.date(2026, 3, 10)).previous()
    assert (custom.start, custom.end) == (dt.date(2026, 2, 19), dt.date(2026, 2, 28))


def test_a_period_lists_its_months_and_labels_itself_in_both_languages() -> None:
    assert Period.quarter(2026, 4).months() == [dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1)]
    assert Period.month(2026, 11).label("en") == "Nov 2026"
    assert Period.month(2026, 11).label("zh") == "2026年11月"
    assert Period.quarter(2026, 4).label("en") == "Q4 2026"
    assert Period.quarter(2026, 4).label("zh") == "2026年第4季度"
    assert Period.year(2026).label("zh") == "2026年"
    assert Period.last_12_months(dt.date(2026, 12, 7)).label("zh") == "近 12 个月"
    custom = Period.custom(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert custom.label("en") == "1 Jan 2026 – 31 Mar 2026"
    assert custom.label("zh") == "2026年1月1日 至 2026年3月31日"


def test_filters_go_to_the_url_and_back_and_ignore_a_mangled_id() -> None:
    filters = KpiFilters(owner_id=3, department_id=2, value_tier="high", industry="software", region="east")
    query = filters.to_query()
    assert query == {"owner": "3", "department": "2", "tier": "high", "industry": "software", "region": "east"}
    assert KpiFilters.from_query(query) == filters
    assert KpiFilters.from_query({"owner": ["7"], "department": "x", "tier": ""}) == KpiFilters(owner_id=7)
    assert KpiFilters().to_query() == {} and KpiFilters().key() == "all"
    assert KpiFilters.from_key(filters.key()) == filters
