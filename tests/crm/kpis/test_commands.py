"""`python -m crm kpi show | snapshot | target set`: the figures in the terminal and as JSON, equal to compute_kpis."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from wcwidth import wcswidth

from crm.cli import main
from crm.demo.service import load_demo
from crm.kpis import KpiFilters, Period, compute_kpis, frozen_kpis, targets_for
from crm.kpis.snapshots import refresh_dashboard_statistics
from crm.platform.permissions import SYSTEM
from db.engine import Sessions, make_engine, make_session_factory
from tests.crm.kpis.conftest import TODAY


@pytest.fixture
def cli_db(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clock: dt.datetime,
    migrated_sqlite_file: Callable[[Path], Path],
) -> Iterator[Sessions]:
    """A SQLite file with the demo data that the command line opens (CRM_DATABASE_URL)."""
    path = migrated_sqlite_file(tmp_path / "cli.db")
    monkeypatch.setenv("CRM_DATABASE_URL", f"sqlite:///{path}")
    engine = make_engine(f"sqlite:///{path}")
    sessions = make_session_factory(engine)
    load_demo(sessions, customers=120, seed=3, today=TODAY)
    yield sessions
    engine.dispose()


def test_kpi_show_json_prints_every_kpi_with_numerator_and_denominator(
    cli_db: Sessions, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kpi", "show", "--period", "2026-Q3", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    expected = compute_kpis(cli_db, actor=SYSTEM, period=Period.quarter(2026, 3))
    assert document["period"] == "2026-Q3" and document["start"] == "2026-07-01" and document["filters"] == {}
    assert list(document["kpis"]) == list(expected)
    for code, value in expected.items():
        shown = document["kpis"][code]
        for field in ("value", "numerator", "denominator"):
            want = getattr(value, field)
            assert shown[field] == (str(want) if isinstance(want, Decimal) else want), (code, field)
    assert Decimal(document["kpis"]["revenue"]["value"]) == expected["revenue"].value


def test_kpi_show_filters_by_owner_name_and_custom_dates(cli_db: Sessions, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kpi", "show", "--from", "2026-01-01", "--to", "2026-06-30", "--owner", "staff", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    staff_id = int(document["filters"]["owner"])
    period = Period.custom(dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    expected = compute_kpis(cli_db, actor=SYSTEM, period=period, filters=KpiFilters(owner_id=staff_id))
    assert document["kpis"]["customers"]["value"] == expected["customers"].value > 0
    with pytest.raises(SystemExit):
        main(["kpi", "show", "--owner", "nobody-at-all"])


def test_kpi_show_prints_a_table_in_either_language(cli_db: Sessions, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kpi", "show", "--period", "2026-11"]) == 0
    out = capsys.readouterr().out
    assert "Period: Nov 2026" in out and "On-time handling rate" in out and "Numerator" in out
    assert main(["kpi", "show", "--period", "2019-01", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "投诉处理及时率" in out and "无数据" in out and "分母" in out
    assert "筛选: 全部" in out.splitlines()[1]


def test_kpi_show_names_its_filters_and_lines_up_chinese_columns(
    cli_db: Sessions, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kpi", "show", "--period", "2026-11", "--tier", "medium", "--lang", "zh"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "筛选: 价值等级: 中"
    # Every row as wide on screen as the header (a Chinese character takes two columns), sums with their cents.
    assert {wcswidth(line) for line in lines[2:]} == {wcswidth(lines[2])}
    revenue = next(line for line in lines if line.startswith("收入"))
    assert re.search(r"\d\.\d\d$", revenue.split()[-1]), revenue


def test_kpi_snapshot_and_target_set_from_the_command_line(
    cli_db: Sessions, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kpi", "snapshot", "--month", "2026-11"]) == 0
    assert "2026-11" in capsys.readouterr().out
    assert frozen_kpis(cli_db, dt.date(2026, 11, 1)) is not None
    assert main(["kpi", "target", "set", "on_time_rate", "2026-Q4", "0.9"]) == 0
    assert "90.0%" in capsys.readouterr().out
    assert targets_for(cli_db, Period.month(2026, 11)) == {"on_time_rate": Decimal("0.9")}
    with pytest.raises(SystemExit) as refused:
        main(["kpi", "target", "set", "on_time_rate", "2026", "90"])
    assert "month" in str(refused.value)
    with pytest.raises(SystemExit):
        main(["kpi", "snapshot", "--month", "2026-12"])  # not over yet


def test_the_daily_run_leaves_the_planner_statistics_of_the_dashboards_tables(
    cli_db: Sessions, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQLite keeps no statistics by itself: without them it walked every customer for a few dozen."""
    assert main(["kpi", "snapshot"]) == 0
    assert "statistics" in capsys.readouterr().out
    with cli_db.engine.connect() as connection:
        analysed = set(connection.exec_driver_sql("SELECT DISTINCT tbl FROM sqlite_stat1").scalars())
    assert {"customers", "orders", "stage_changes", "follow_up_tasks", "kpi_stage_months"} <= analysed


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_daily_run_vacuums_the_dashboards_tables_on_postgresql(sessions: Sessions) -> None:
    """All-visible pages let the rollups' covering indexes be read alone, as the revenue windows' bucket pass is."""
    refresh_dashboard_statistics(sessions)
    with sessions.engine.connect() as connection:
        vacuumed = set(
            connection.exec_driver_sql(
                "SELECT relname FROM pg_stat_user_tables WHERE last_vacuum IS NOT NULL AND last_analyze IS NOT NULL"
            ).scalars()
        )
    assert {"kpi_window_revenue", "orders", "customers", "kpi_stage_months"} <= vacuumed
