"""`python -m crm stress`: worker processes save the same records at once; nothing is lost, everything is audited."""

from __future__ import annotations

import json
from collections import namedtuple
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from crm.cli import main
from crm.platform.permissions import SYSTEM
from crm.platform.users import create_user
from crm.stress.checks import audit_problems, closed_twice, conflict_named, percentile, same_value
from crm.stress.operations import ACCEPTED, CONFLICT, Outcome
from db.engine import make_engine, make_session_factory, upgrade_database
from db.models import AuditLog, Complaint, Customer, User

KINDS = {
    "survey.response",
    "survey.close_alert",
    "customer.fields",
    "customer.tags",
    "follow_up.complete",
    "follow_up.reschedule",
    "complaint.transition",
    "complaint.hand_off",
}


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_three_workers_saving_the_same_records_lose_nothing_and_audit_every_write(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["stress", "--workers", "3", "--ops", "40", "--database", _url(engine), "--seed", "7", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["failed_checks"] == [] and report["passed"] is True and status == 0
    total = report["total"]
    assert total["operations"] == 120
    assert total["accepted"] + total["conflicts"] + total["refused"] == 120 and total["errors"] == 0
    assert total["accepted"] >= 80  # most saves go through; the others were refused naming who changed what
    kinds = {k["kind"]: k for k in report["kinds"]}
    assert KINDS - {"survey.close_alert"} <= set(kinds) <= KINDS  # an alert to close needs a low answer first
    assert all(kinds[k]["accepted"] > 0 and kinds[k]["save_p50_ms"] > 0 for k in KINDS - {"survey.close_alert"})
    for name in ("audit_missing", "lost_updates", "conflicts_unnamed", "refusals_unexplained", "errors"):
        assert report[name] == 0, (name, report["samples"])
    assert (report["calendar_drift"], report["next_follow_up_drift"], report["last_contact_drift"]) == (0, 0, 0)
    sessions = make_session_factory(engine)
    with sessions.read() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 200  # the demo data set
        stress_rows = session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.username.in_(("manager", "staff", "admin")))
        )
        assert stress_rows >= total["accepted"]  # one audit row at least per accepted save
        assert session.scalar(select(func.count()).select_from(Complaint).where(Complaint.status != "new")) > 0


def test_the_table_names_each_check_in_english_and_chinese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'stress.db'}"
    assert main(["stress", "--workers", "2", "--ops", "10", "--database", url, "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "2 个进程 × 每个 10 次操作" in out and "丢失的更新" in out and "通过：所有检查均满足。" in out
    assert main(["stress", "--workers", "2", "--ops", "10", "--database", url]) == 0  # a second run refills it
    out = capsys.readouterr().out
    assert "2 workers x 10 operations" in out and "lost updates" in out and "PASSED: every check holds." in out
    for line in out.splitlines():
        if line.strip().startswith(("lost updates", "other errors", "accepted writes missing")):
            assert line.split()[-2:] == ["0", "OK"], line


def test_a_database_holding_other_data_or_the_configured_one_is_refused_and_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    configured = f"sqlite:///{tmp_path / 'crm.db'}"
    monkeypatch.setenv("CRM_DATABASE_URL", configured)
    assert main(["stress", "--workers", "1", "--ops", "1", "--database", configured]) == 2
    assert "refusing to stress the configured database" in capsys.readouterr().err
    other = f"sqlite:///{tmp_path / 'other.db'}"
    engine = make_engine(other)
    upgrade_database(engine)
    sessions = make_session_factory(engine)
    create_user(
        sessions, actor=SYSTEM, username="real", display_name="Real", password="a-real-password-1", role="admin"
    )
    assert main(["stress", "--workers", "1", "--ops", "1", "--database", other]) == 2
    assert "it holds data the stress run did not load" in capsys.readouterr().err
    with sessions.read() as session:
        assert list(session.scalars(select(User.username))) == ["real"]
        assert session.scalar(select(func.count()).select_from(Customer)) == 0
    engine.dispose()


Row = namedtuple("Row", "entity_id entity_version username field old_value new_value")


def _saved(**fields: object) -> Outcome:
    base: dict[str, object] = {
        "worker": 0,
        "seq": 1,
        "kind": "customer.fields",
        "username": "staff",
        "result": ACCEPTED,
        "entity": "customers",
        "record_id": 5,
        "read_version": 3,
        "new_version": 4,
        "read_values": {"notes": "before"},
    }
    return Outcome(**{**base, **fields})  # type: ignore[arg-type]


def test_a_save_over_someone_elses_change_is_a_lost_update_and_a_save_without_audit_row_is_missing() -> None:
    ours = Row("5", 4, "staff", "notes", "before", "mine")
    assert audit_problems(_saved(), {("5", 4): [ours]}) == (None, None)
    # the audit says the field held something else when our save overwrote it: what we read was lost
    overwritten = Row("5", 4, "staff", "notes", "theirs", "mine")
    assert "notes was 'before' when read, the audit says 'theirs'" in str(
        audit_problems(_saved(), {("5", 4): [overwritten]})[1]
    )
    # someone else's version sits between the one read and ours
    theirs = Row("5", 4, "manager", "notes", "before", "theirs")
    later = _saved(new_version=5)
    missing, lost = audit_problems(
        later, {("5", 4): [theirs], ("5", 5): [Row("5", 5, "staff", "notes", "theirs", "x")]}
    )
    assert missing is None and "manager changed it in between" in str(lost)
    assert "no audit row by its writer at v4" in str(audit_problems(_saved(), {})[0])


def test_conflicts_must_name_a_user_and_fields_and_times_compare_as_instants() -> None:
    named = _saved(result=CONFLICT, params={"who": "李娜 Li Na", "fields": "Notes"})
    assert conflict_named(named)
    assert not conflict_named(_saved(result=CONFLICT, params={"who": "?", "fields": "Notes"}))
    assert not conflict_named(_saved(result=CONFLICT, params={"who": "李娜 Li Na", "fields": ""}))
    assert same_value("2026-05-01T08:00:00+00:00", "2026-05-01T16:00:00+08:00")
    assert same_value("2026-05-01T08:00:00", "2026-05-01T08:00:00+00:00")
    assert not same_value("2026-05-01T08:00:00+00:00", "2026-05-01T08:01:00+00:00")
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.5) == 3.0 and percentile([1.0] * 19 + [100.0], 0.95) == 1.0
    assert percentile([], 0.5) is None


def test_a_task_closed_by_two_saves_counts_as_a_lost_update() -> None:
    done = _saved(kind="follow_up.complete", entity="follow_up_tasks", record_id=9, closes=("follow_up_tasks", 9))
    answered = _saved(kind="survey.response", entity="survey_responses", record_id=1, closes=("follow_up_tasks", 9))
    other = _saved(kind="follow_up.complete", entity="follow_up_tasks", record_id=8, closes=("follow_up_tasks", 8))
    assert closed_twice([done, other]) == []
    assert closed_twice([done, answered, other]) == [
        "follow_up_tasks #9 closed 2 times: follow_up.complete by staff (read v3), survey.response by staff (read v3)"
    ]
