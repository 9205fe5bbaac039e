"""A card's change against the previous period: none against a satisfaction figure of a handful of responses."""

from __future__ import annotations

from crm.kpis.definitions import KPIS, KpiValue
from crm.kpis.report import format_delta

DEFINITIONS = {definition.code: definition for definition in KPIS}


def test_csat_and_nps_are_not_compared_with_a_previous_period_of_under_30_responses() -> None:
    now_csat = KpiValue("csat", 3.95, 1975, 500, {})
    assert format_delta(DEFINITIONS["csat"], now_csat, KpiValue("csat", 5.0, 5, 1, {}), "en") is None
    assert format_delta(DEFINITIONS["csat"], now_csat, KpiValue("csat", 4.0, 116, 29, {}), "en") is None
    assert format_delta(DEFINITIONS["csat"], now_csat, KpiValue("csat", 4.0, 120, 30, {}), "en") == "-0.05"
    now_nps = KpiValue("nps", 10.0, 50, 500, {})
    assert format_delta(DEFINITIONS["nps"], now_nps, KpiValue("nps", 100.0, 1, 1, {}), "en") is None
    assert format_delta(DEFINITIONS["nps"], now_nps, KpiValue("nps", 20.0, 20, 100, {}), "en") == "-10"


def test_counts_and_rates_keep_their_change_whatever_the_size() -> None:
    delta = format_delta(
        DEFINITIONS["survey_responses"],
        KpiValue("survey_responses", 503, 503, None, {}),
        KpiValue("survey_responses", 1, 1, None, {}),
        "en",
    )
    assert delta == "+502"
