"""`python -m crm bench`: one command, sections on one demo data set per scale, one table, one JSON report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm.cli import main
from crm.complaints.queues import QUEUES
from crm.platform.permissions import SYSTEM
from crm.platform.users import create_user
from db.engine import make_engine, make_session_factory, upgrade_database
from db.models import Complaint, Customer, Order

PAGES_OF = {
    "manager": {
        "dashboard",
        "home",
        "follow_ups",
        "customers",
        "complaints",
        "satisfaction",
        "classification",
        "admin",
    },
    "staff": {"home", "follow_ups", "customers", "complaints", "satisfaction", "classification"},
}


def _report(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(path.read_text(encoding="utf-8"))


def _bench(tmp_path: Path, *args: str) -> int:
    return main(
        [
            "bench",
            "--url",
            f"sqlite:///{tmp_path}/bench_{{customers}}.db",
            "--json",
            str(tmp_path / "bench.json"),
            "--warm-runs",
            "1",
            *args,
        ]
    )


def test_the_sections_run_on_one_demo_data_set_and_print_one_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        _bench(
            tmp_path, "--sections", "search,follow-ups,classification,import", "--customers", "30", "--orders", "200"
        )
        == 0
    )
    out = capsys.readouterr().out
    header, *rows = out.splitlines()
    assert header.split()[:2] == ["section", "measurement"] and "30 cold ms" in header
    assert {row.split()[0] for row in rows[1:]} == {"search", "follow-ups", "classification", "import"}
    assert "code prefix (C00001)" in out and "total 10" in out  # the demo's codes C000001..C000030
    assert "orders.created 200" in out and "orders.unchanged 200" in out  # the re-import adds nothing
    assert "within the 30 s target" in out and "ERROR" not in out
    sessions = make_session_factory(make_engine(f"sqlite:///{tmp_path}/bench_30.db"))
    with sessions.read() as session:  # the imported orders are gone again: the data set keeps its shape
        assert session.scalar(select(func.count()).select_from(Order).where(Order.order_no.like("BENCH-%"))) == 0
        assert session.scalar(select(func.count()).select_from(Customer)) == 30
    sessions.engine.dispose()
    assert _report(tmp_path / "bench.json")["scales"][0]["data"]["reused"] is False
    assert _bench(tmp_path, "--sections", "import", "--customers", "30", "--orders", "50") == 0  # runs again
    assert _report(tmp_path / "bench.json")["scales"][0]["data"]["reused"] is True


def test_the_pages_section_times_every_page_of_each_role_cold_and_warm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _bench(tmp_path, "--sections", "pages", "--customers", "20") == 0
    measurements = _report(tmp_path / "bench.json")["scales"][0]["measurements"]
    assert all(m["section"] == "pages" and m["error"] is None and m["cold_ms"] > 0 for m in measurements)
    for role, pages in PAGES_OF.items():
        timed = {m["name"].removeprefix(f"{role}: "): m for m in measurements if m["name"].startswith(f"{role}: ")}
        filtered = {"dashboard, 3 filters in the URL"} if role == "manager" else set()
        assert set(timed) == {"sign-in screen", "sign in", *pages, *filtered}
        assert all(timed[page]["warm_ms"] > 0 for page in (*pages, *filtered))
    filtered_note = next(m["note"] for m in measurements if m["name"] == "manager: dashboard, 3 filters in the URL")
    assert "tier=medium" in filtered_note and "department=" in filtered_note and "region=" in filtered_note
    assert "manager: classification" in capsys.readouterr().out


def test_the_json_report_holds_the_machine_the_options_and_each_scale(tmp_path: Path) -> None:
    assert _bench(tmp_path, "--sections", "search", "--customers", "10,20") == 0
    report = _report(tmp_path / "bench.json")
    assert report["machine"]["cpus"] >= 1 and report["generated_at"]
    assert report["options"]["sections"] == ["search"] and report["options"]["customers"] == [10, 20]
    assert [scale["customers"] for scale in report["scales"]] == [10, 20]
    for scale in report["scales"]:
        assert scale["dialect"] == "sqlite" and scale["database"].endswith(f"bench_{scale['customers']}.db")
        assert scale["data"]["rows"]["customers"] == scale["customers"] and scale["data"]["rows"]["orders"] > 0
        first = scale["measurements"][0]
        assert set(first) == {"section", "name", "cold_ms", "warm_ms", "note", "error"}
        assert first["section"] == "search" and first["warm_ms"] is not None


def test_the_configured_database_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path}/crm.db"
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    with pytest.raises(SystemExit, match="configured database"):
        main(["bench", "--url", url, "--json", "-"])


def test_a_database_with_data_the_benchmark_did_not_load_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/real.db"
    engine = make_engine(url)
    upgrade_database(engine)
    create_user(
        make_session_factory(engine),
        actor=SYSTEM,
        username="ana",
        display_name="Ana",
        password="a-long-secret-1",
        role="admin",
    )
    engine.dispose()
    with pytest.raises(SystemExit, match="did not load"):
        main(["bench", "--url", url, "--json", "-"])


def test_an_unknown_section_is_refused_with_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["bench", "--sections", "search,nonsense"])
    assert (
        "unknown section nonsense; choose from search,follow-ups,classification,import,complaints,satisfaction,"
        "dashboard,pages" in capsys.readouterr().err
    )


def test_the_complaints_section_fills_the_table_times_each_queue_and_leaves_the_data_as_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _bench(tmp_path, "--sections", "complaints", "--customers", "20", "--complaints", "30") == 0
    out = capsys.readouterr().out
    measurements = _report(tmp_path / "bench.json")["scales"][0]["measurements"]
    names = [m["name"] for m in measurements]
    assert [n for n in names if "queue:" in n] == [f"{queue} queue: page 1 of 25 + total" for queue in QUEUES]
    # The dashboard's complaint reads, the customers= way and from the rollups, with no filter and three.
    assert any(n.startswith("dashboard, no filter: ") for n in names)
    assert any(n.startswith("dashboard, 3 filters: ") for n in names)
    assert all(m["section"] == "complaints" and m["cold_ms"] > 0 and m["warm_ms"] > 0 for m in measurements)
    assert "all queue: page 1 of 25 + total" in out and "total 30 of 30 complaints" in out and "ERROR" not in out
    assert _report(tmp_path / "bench.json")["options"]["complaints"] == 30
    sessions = make_session_factory(make_engine(f"sqlite:///{tmp_path}/bench_20.db"))
    with sessions.read() as session:  # the added complaints are gone again
        assert session.scalar(select(func.count()).select_from(Complaint).where(Complaint.code.like("BENCH-%"))) == 0
        assert (session.scalar(select(func.count()).select_from(Complaint)) or 0) < 30
    sessions.engine.dispose()
