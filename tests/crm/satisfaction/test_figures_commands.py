"""`python -m crm satisfaction figures`: the figures of a period printed, in either language, or as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crm.cli import main
from crm.platform.permissions import SYSTEM
from crm.platform.users import create_user
from db.engine import make_engine, make_session_factory, upgrade_database
from tests.crm.satisfaction.test_figures import customer, local, respond


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file database with two customers of one owner (tiers high and low) and three responses in April 2026."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    engine = make_engine(url)
    upgrade_database(engine)
    sessions = make_session_factory(engine)
    owner = create_user(
        sessions, actor=SYSTEM, username="wei", display_name="张伟 Zhang Wei", password="secret-pass-1", role="staff"
    ).as_actor()
    high, low = customer(sessions, owner, tier="high"), customer(sessions, owner, tier="low")
    respond(sessions, high, local(4, 2), overall=5, nps=10)
    respond(sessions, low, local(4, 3), overall=2, nps=3)
    respond(sessions, low, local(4, 20), overall=4, nps=9)  # after the alert: recovered
    engine.dispose()


def test_figures_print_csat_nps_recovery_the_trend_and_a_breakdown(
    database: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["satisfaction", "figures", "--from", "2026-03-01", "--to", "2026-04-30", "--by", "tier"]) == 0
    out = capsys.readouterr().out
    # CSAT (5 + 2 + 4) / 3; NPS: 2 promoters, 1 detractor of 3 = 33.3, interval clipped at 100 (see test_figures)
    assert "Responses: 3" in out and "CSAT: 3.67 · Share satisfied (4–5) 66.7% (2/3)" in out
    assert "NPS: 33.3 (95% interval -73.4 to 100.0) · Small sample (under 30 responses)" in out
    assert "Recovery rate: 100.0% (1/1; Alerted customers 1)" in out
    months = [line.split() for line in out.splitlines() if line.startswith("2026-0")]  # the period, then months
    assert months[1:] == [["2026-03", "0", "No", "data", "No", "data"], ["2026-04", "3", "3.67", "33.3"]]
    assert "High" in out and "Low" in out


def test_figures_in_chinese_and_as_json(database: None, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["satisfaction", "figures", "--from", "2026-04-01", "--to", "2026-04-30"]
    assert main([*args, "--lang", "zh"]) == 0
    assert "净推荐值（NPS）: 33.3 (95% 置信区间 -73.4 至 100.0)" in capsys.readouterr().out
    assert main([*args, "--by", "owner", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["figures"]["csat"]["satisfied"] == 2 and document["figures"]["nps"]["promoters"] == 2
    assert document["figures"]["recovery"] == {
        "alerted_customers": 1,
        "with_later_response": 1,
        "recovered": 1,
        "rate": 1.0,
    }
    assert [m["month"] for m in document["trend"]] == ["2026-04-01"]
    assert [(row["label"], row["responses"]) for row in document["breakdown"]] == [("张伟 Zhang Wei", 3)]
