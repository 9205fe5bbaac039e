"""`python -m crm backup | restore | migrate-data`: exit codes, and what they print in English and Chinese."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from crm.cli import main
from crm.maintenance import app_revision
from db.engine import make_engine, upgrade_database
from db.models import Customer
from tests.crm.maintenance.conftest import load_source


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(_url(tmp_path / "source.db"))
    upgrade_database(engine)
    load_source(engine, customers=10)
    yield engine
    engine.dispose()


def _customers(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(Customer)) or 0)
    finally:
        engine.dispose()


def test_backup_then_restore_print_every_table_and_a_summary_in_both_languages(
    source: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "nightly.zip"
    assert main(["backup", str(archive), "--database", _url(tmp_path / "source.db")]) == 0
    out = capsys.readouterr().out
    assert f"Backup written to {archive}" in out and f"备份已写入 {archive}" in out
    assert f"schema revision {app_revision()}" in out
    assert "table / 表" in out
    customers_line = next(line for line in out.splitlines() if line.startswith("customers "))
    assert customers_line.split()[1] == "10" and customers_line.endswith("ok / 一致")

    target = tmp_path / "restored.db"
    assert main(["restore", str(archive), "--database", _url(target)]) == 0
    out = capsys.readouterr().out
    assert "every row count and checksum matches the backup" in out and "行数和校验和均与备份一致" in out
    assert _customers(_url(target)) == 10


def test_restore_into_a_database_with_data_exits_2_and_says_why_in_both_languages(
    source: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "b.zip"
    assert main(["backup", str(archive), "--database", _url(tmp_path / "source.db")]) == 0
    capsys.readouterr()
    assert main(["restore", str(archive), "--database", _url(tmp_path / "source.db")]) == 2
    captured = capsys.readouterr()
    assert "error: The target database already holds data (in " in captured.err
    assert "错误：目标数据库中已有数据（" in captured.err
    assert captured.out == ""
    assert _customers(_url(tmp_path / "source.db")) == 10


def test_restore_into_a_database_at_another_revision_exits_2(
    source: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "b.zip"
    main(["backup", str(archive), "--database", _url(tmp_path / "source.db")])
    older = make_engine(_url(tmp_path / "older.db"))
    upgrade_database(older)
    with older.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0015_complaint_handling'"))
    older.dispose()
    capsys.readouterr()
    assert main(["restore", str(archive), "--database", _url(tmp_path / "older.db")]) == 2
    err = capsys.readouterr().err
    assert "is at schema revision 0015_complaint_handling, the backup at" in err
    assert "目标数据库的结构版本为 0015_complaint_handling" in err


def test_restore_of_a_file_that_is_no_backup_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bogus = tmp_path / "notes.zip"
    bogus.write_text("not a zip", encoding="utf-8")
    assert main(["restore", str(bogus), "--database", _url(tmp_path / "t.db")]) == 2
    err = capsys.readouterr().err
    assert "is not a backup made by `python -m crm backup`" in err and "不是由 `python -m crm backup` 生成的备份" in err


def test_migrate_data_copies_the_configured_database_into_the_target(
    source: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CRM_DATABASE_URL", _url(tmp_path / "source.db"))
    target = _url(tmp_path / "team.db")
    assert main(["migrate-data", "--to", target]) == 0
    out = capsys.readouterr().out
    assert f"rows into {target}: every row count and checksum matches the source" in out
    assert "请将 CRM_DATABASE_URL 指向它并重启应用" in out
    assert _customers(target) == 10
    # Run again: the target now holds data, and the copy is refused.
    assert main(["migrate-data", "--to", target]) == 2
    assert "already holds data" in capsys.readouterr().err


def test_a_sqlite_copy_is_made_with_the_online_backup_api_and_restores(
    source: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy.db"
    assert main(["backup", str(copy), "--sqlite", "--database", _url(tmp_path / "source.db")]) == 0
    assert "SQLite database copied to" in capsys.readouterr().out
    assert copy.read_bytes()[:16] == b"SQLite format 3\x00"
    assert _customers(_url(copy)) == 10
    assert main(["restore", str(copy), "--database", _url(tmp_path / "restored.db")]) == 0
    assert _customers(_url(tmp_path / "restored.db")) == 10


def test_a_backup_into_a_folder_that_cannot_be_made_exits_2(
    source: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    target = tmp_path / "a-file" / "b.zip"
    assert main(["backup", str(target), "--database", _url(tmp_path / "source.db")]) == 2
    err = capsys.readouterr().err
    assert "could not be read or written" in err and "无法读取或写入" in err
    assert not target.exists()
