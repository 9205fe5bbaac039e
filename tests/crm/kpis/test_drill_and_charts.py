"""The rows behind each figure add up to it, page by page, and every chart's data adds up to the cards' figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import partial

import pytest

from crm.kpis import CODES, KPI_GROUPS, KpiFilters, Period, charts_data, compute_kpis, drill_down
from crm.platform.errors import ValidationError
from crm.platform.parallel import run_together, sharing
from db.engine import Sessions
from tests.crm.kpis.conftest import account

PERIOD = Period.last_12_months(dt.date(2026, 12, 7))
PAST = Period.quarter(2026, 3)


@pytest.mark.parametrize("period", [PERIOD, PAST], ids=["last12", "2026-Q3"])
def test_each_figures_drill_down_lists_exactly_the_records_it_counts(demo: Sessions, period: Period) -> None:
    manager = account(demo, "manager")
    values = compute_kpis(demo, actor=manager, period=period)

    def total(code: str, key: str | None = None) -> int:
        return drill_down(demo, actor=manager, code=code, period=period, key=key, page_size=1)[1]

    for code in ("customers", "new_customers", "churned_customers", "overdue_follow_ups", "complaints_received"):
        assert total(code) == values[code].value, code
    assert total("churn_rate") == values["churn_rate"].numerator
    assert total("conversion_rate") == values["conversion_rate"].numerator
    assert total("median_days_to_sign") == values["median_days_to_sign"].denominator
    assert total("revenue") == values["revenue"].extra["customers"]
    assert total("revenue_top20_share") == values["revenue_top20_share"].extra["top_customers"]
    assert total("customers_making_80") == values["customers_making_80"].value
    assert total("cadence_compliance") == values["cadence_compliance"].denominator
    assert total("on_time_rate") == values["on_time_rate"].denominator
    assert total("reopen_rate") == values["reopen_rate"].denominator
    for stage, count in values["customers"].extra["by_stage"].items():
        assert total("customers", f"stage:{stage}") == count
    assert total("customers", "signed") == values["customers"].extra["by_stage"]["signed"]
    for tier, count in values["customers"].extra["by_tier"].items():
        assert total("customers", f"value_tier:{tier}") == count
    cadence, n = drill_down(demo, actor=manager, code="cadence_compliance", period=period, page_size=500)
    assert n == len(cadence) and sum(row["in_cadence"] for row in cadence) == values["cadence_compliance"].numerator
    assert [row["in_cadence"] for row in cadence] == sorted(row["in_cadence"] for row in cadence)  # out first
    revenue, _ = drill_down(demo, actor=manager, code="revenue", period=period, page_size=500)
    assert sum(row["revenue"] for row in revenue) == pytest.approx(values["revenue"].value, abs=Decimal("0.05"))
    assert [row["rank"] for row in revenue] == list(range(1, len(revenue) + 1))
    signed, _ = drill_down(demo, actor=manager, code="conversion_rate", period=period, page_size=500)
    if signed:
        days = sorted(row["days"] for row in signed)
        middle = len(days) // 2
        expected = days[middle] if len(days) % 2 else (days[middle - 1] + days[middle]) / 2
        assert expected == pytest.approx(values["median_days_to_sign"].value, abs=0.1)


def test_pages_of_a_drill_down_do_not_overlap_and_cover_the_total(demo: Sessions) -> None:
    manager = account(demo, "manager")
    first, total = drill_down(demo, actor=manager, code="customers", period=PERIOD, page=0, page_size=40)
    rest = []
    for page in range(1, (total + 39) // 40):
        rows, same_total = drill_down(demo, actor=manager, code="customers", period=PERIOD, page=page, page_size=40)
        assert same_total == total
        rest += rows
    ids = [row["id"] for row in first + rest]
    assert len(ids) == len(set(ids)) == total
    assert {"id", "customer_id", "code", "name", "owner", "stage", "value_tier"} <= set(first[0])


def test_a_month_and_a_category_in_the_key_narrow_the_rows(demo: Sessions) -> None:
    manager = account(demo, "manager")
    complaints = charts_data.complaints_by_month_and_category(demo, actor=manager, period=PERIOD)
    for bar in complaints.bars:
        key = f"{bar['month']:%Y-%m},category:{bar['category']}"
        assert (
            drill_down(demo, actor=manager, code="complaints_received", period=PERIOD, key=key)[1] == bar["complaints"]
        )
    for month in charts_data.new_vs_churned_by_month(demo, actor=manager, period=PERIOD):
        key = f"{month['month']:%Y-%m}"
        assert drill_down(demo, actor=manager, code="new_customers", period=PERIOD, key=key)[1] == month["new"]
        assert drill_down(demo, actor=manager, code="churned_customers", period=PERIOD, key=key)[1] == month["churned"]


def test_a_figure_without_a_list_or_a_bad_key_is_refused(demo: Sessions) -> None:
    manager = account(demo, "manager")
    for code, key in (("suggestion_adoption_rate", None), ("nonsense", None), ("customers", "colour:red")):
        with pytest.raises(ValidationError):
            drill_down(demo, actor=manager, code=code, period=PERIOD, key=key)
    with pytest.raises(ValidationError):  # staff have no complaint figures, so no complaint lists
        drill_down(demo, actor=account(demo, "staff"), code="complaints_received", period=PERIOD)


def test_every_charts_data_adds_up_to_the_cards(demo: Sessions) -> None:
    manager = account(demo, "manager")
    values = compute_kpis(demo, actor=manager, period=PERIOD)
    funnel = charts_data.funnel(demo, actor=manager, period=PERIOD)
    assert {row["stage"]: row["customers"] for row in funnel} == values["customers"].extra["by_stage"]
    assert funnel[0]["conversion"] == funnel[0]["moved_on"] / funnel[0]["in_period"]
    classes = charts_data.by_class(demo, actor=manager, period=PERIOD)
    for dimension in ("value_tier", "size_class", "importance"):
        rows = [row for row in classes if row["dimension"] == dimension]
        assert sum(row["customers"] for row in rows) == values["customers"].value
        assert sum(row["revenue"] for row in rows) == pytest.approx(values["revenue"].value, abs=Decimal("0.05"))
    tiers = {row["class"]: row["customers"] for row in classes if row["dimension"] == "value_tier"}
    assert tiers == {k: v for k, v in values["customers"].extra["by_tier"].items() if v}
    curve = charts_data.concentration_curve(demo, actor=manager, period=PERIOD)
    assert curve[0]["customer_share"] == 0 and curve[-1]["customer_share"] == 1
    assert curve[-1]["revenue_share"] == pytest.approx(1)
    assert 2 < len(curve) <= 102
    shares = [point["revenue_share"] for point in curve]
    assert shares == sorted(shares)
    top = [p for p in curve if p["customers"] == values["revenue_top20_share"].extra["top_customers"]]
    if top:
        assert top[0]["revenue_share"] == pytest.approx(values["revenue_top20_share"].value)
    months = charts_data.new_vs_churned_by_month(demo, actor=manager, period=PERIOD)
    assert [m["month"] for m in months] == PERIOD.months()
    assert sum(m["new"] for m in months) == values["new_customers"].value
    assert sum(m["churned"] for m in months) >= values["churned_customers"].value  # a customer may churn twice
    complaints = charts_data.complaints_by_month_and_category(demo, actor=manager, period=PERIOD)
    assert sum(bar["complaints"] for bar in complaints.bars) == values["complaints_received"].value
    assert sum(m["on_time"] for m in complaints.line) == values["on_time_rate"].numerator
    assert sum(m["resolved"] for m in complaints.line) == values["on_time_rate"].denominator
    owners = charts_data.cadence_by_owner(demo, actor=manager, period=PERIOD)
    assert sum(row["customers"] for row in owners) == values["cadence_compliance"].denominator
    assert sum(row["in_cadence"] for row in owners) == values["cadence_compliance"].numerator
    compliance = [row["compliance"] for row in owners]
    assert compliance == sorted(compliance)
    places = charts_data.by_region_and_industry(demo, actor=manager, period=PERIOD)
    assert sum(row["customers"] for row in places) == values["customers"].value
    assert sum(row["revenue"] for row in places) == pytest.approx(values["revenue"].value, abs=Decimal("0.05"))
    trend = charts_data.satisfaction_trend(demo, actor=manager, period=PERIOD)
    if "survey_responses" in values:
        assert sum(m["responses"] for m in trend) == values["survey_responses"].value


@pytest.mark.parametrize("period", [PERIOD, PAST], ids=["last12", "2026-Q3"])
@pytest.mark.parametrize("role", ["manager", "staff"])
def test_the_kpi_groups_computed_apart_give_every_figure_once_as_all_at_once(
    demo: Sessions, period: Period, role: str
) -> None:
    """The page computes KPI_GROUPS at once, each apart: together they are every code once, with the same values."""
    assert sorted(code for group in KPI_GROUPS for code in group) == sorted(CODES)
    actor = account(demo, role)
    whole = compute_kpis(demo, actor=actor, period=period)
    apart: dict[str, object] = {}
    for group in KPI_GROUPS:
        values = compute_kpis(demo, actor=actor, period=period, codes=group)
        assert set(values) <= group and not set(values) & set(apart)
        apart.update(values)
    assert apart == whole


def test_the_page_reading_everything_at_once_and_sharing_gets_the_same_figures(demo: Sessions) -> None:
    """The page's reads at once in a sharing() block (the stage events and revenue windows read once, summed up
    for each figure) give what each read alone gives, for the period and the one before, with and without a
    filter."""
    manager = account(demo, "manager")
    for filters in (KpiFilters(), KpiFilters(value_tier="high")):
        calls = [
            *(
                partial(compute_kpis, demo, actor=manager, period=p, filters=filters)
                for p in (PERIOD, PERIOD.previous())
            ),
            *(partial(c, demo, actor=manager, period=PERIOD, filters=filters) for c in charts_data.EVERY_CHART),
        ]
        alone = [call() for call in calls]
        with sharing():
            together = run_together(calls, workers=3)
        assert together == alone


def test_every_charts_spec_is_valid_vega_lite_clickable_or_not_in_both_languages(demo: Sessions) -> None:
    """The page takes its specs unvalidated (ui/kpis/reads.py, for speed): Altair validates each one here."""
    from crm.kpis.chart_specs import CHARTS

    manager = account(demo, "manager")
    for chart in CHARTS:
        data = chart.data(demo, actor=manager, period=PERIOD, filters=KpiFilters())
        for language in ("en", "zh"):
            for clickable in (True, False):
                spec = chart.build(data, language, clickable).chart.to_dict(validate=True)
                assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/"), chart.name
