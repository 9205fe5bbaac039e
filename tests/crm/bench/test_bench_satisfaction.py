"""`python -m crm bench --sections satisfaction`: the satisfaction overview's reads at a given number of
responses, the data set left as found."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.engine import make_engine, make_session_factory
from db.models import SurveyResponse, SurveyScore
from tests.crm.bench.test_bench_command import _bench, _report


def test_the_satisfaction_section_fills_the_responses_times_the_overview_and_leaves_the_data_as_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _bench(tmp_path, "--sections", "satisfaction", "--customers", "20", "--responses", "300") == 0
    out = capsys.readouterr().out
    report = _report(tmp_path / "bench.json")
    measurements = report["scales"][0]["measurements"]
    names = [m["name"] for m in measurements]
    reads = ("both periods' figures + monthly trend", "figures without dimensions, last 12 months")
    # The dashboard's reads first (from the rollups, cold), then the overview's.
    assert [n for n in names if n.startswith("dashboard, ")] == names[:8]
    assert all(f"dashboard, {label}: {read}" in names for label in ("no filter", "3 filters") for read in reads)
    assert names[8:] == [
        "figures (CSAT, NPS, dimensions, recovery)",
        "monthly trend (12 months)",
        "breakdown by value tier",
        "figures, 3 filters (department, tier, region)",
    ]
    assert all(m["section"] == "satisfaction" and m["cold_ms"] > 0 and m["warm_ms"] > 0 for m in measurements)
    # 300 responses in the past 365 days; those of the last 12 calendar months (this one included) are counted.
    assert re.fullmatch(r"\d{3} responses, NPS -?\d+\.\d, \d+ alerted", measurements[8]["note"])
    assert "12 rows" in out and "ERROR" not in out
    assert report["options"]["responses"] == 300
    sessions = make_session_factory(make_engine(f"sqlite:///{tmp_path}/bench_20.db"))
    with sessions.read() as session:  # the added responses and their scores are gone again
        assert session.scalar(select(func.count()).where(SurveyResponse.import_key.like("BENCH-R%"))) == 0
        left = session.scalar(select(func.count()).select_from(SurveyResponse)) or 0
        assert left < 300
        assert session.scalar(select(func.count()).select_from(SurveyScore)) == session.scalar(
            select(func.count()).select_from(SurveyScore).where(SurveyScore.response_id.in_(select(SurveyResponse.id)))
        )
    sessions.engine.dispose()
