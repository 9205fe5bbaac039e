"""Backup, restore and migrate-data: every table comes back identical, on and across the three databases."""

from __future__ import annotations

import json
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from crm.customers.records import ContactInput
from crm.customers.service import CustomerInput, create_customer
from crm.maintenance import (
    MaintenanceRefused,
    VerificationFailed,
    app_revision,
    backup,
    backup_sqlite_file,
    migrate_data,
    restore,
)
from crm.platform.users import get_user
from db.engine import current_revision, make_engine, make_session_factory, upgrade_database
from db.models import Base, ComplaintAttachment, Customer
from tests.crm.maintenance.conftest import ATTACHMENT, MICROSECONDS, assert_identical, load_source

MakeTarget = Callable[[str], Engine]


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(Base.metadata.tables[table])) or 0)


def test_a_backup_restores_every_table_identical_on_the_same_database(
    engine: Engine, backend: str, tmp_path: Path, make_target: MakeTarget
) -> None:
    load_source(engine)
    archive = tmp_path / "crm-backup.zip"
    taken = backup(engine, archive)
    target = make_target(backend)
    restored = restore(target, archive)
    assert restored.rows == taken.rows > 2_000
    assert [(c.name, c.rows, c.checksum) for c in restored.tables] == [
        (c.name, c.rows, c.checksum) for c in taken.tables
    ]
    assert all(c.matches for c in restored.tables)
    assert assert_identical(engine, target) == taken.rows
    with make_session_factory(target).read() as session:
        attachment = session.scalars(select(ComplaintAttachment).where(ComplaintAttachment.size == len(ATTACHMENT)))
        kept = attachment.one()
        assert (kept.content, kept.uploaded_at, kept.filename) == (ATTACHMENT, MICROSECONDS, "扫描件 scan.png")


def test_new_records_after_a_restore_take_ids_past_the_restored_ones(
    engine: Engine, backend: str, tmp_path: Path, make_target: MakeTarget
) -> None:
    load_source(engine)
    backup(engine, tmp_path / "b.zip")
    target = make_target(backend)
    restore(target, tmp_path / "b.zip")
    sessions = make_session_factory(target)
    manager = get_user(sessions, username="manager")
    assert manager is not None
    highest = _max_id(target)
    created = create_customer(
        sessions, actor=manager.as_actor(), data=CustomerInput(name="恢复后新客户"), confirm_duplicates=True
    )
    assert created.id == highest + 1


def _max_id(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.max(Customer.id))) or 0)


@pytest.mark.parametrize(("backend", "target_backend"), [("sqlite", "postgresql"), ("postgresql", "mariadb")])
def test_migrate_data_copies_everything_across_databases(
    engine: Engine, backend: str, target_backend: str, make_target: MakeTarget
) -> None:
    load_source(engine)
    target = make_target(target_backend)
    report = migrate_data(engine, target)
    assert report.revision == app_revision() == current_revision(target)
    assert all(c.matches for c in report.tables) and len(report.tables) == len(Base.metadata.tables)
    assert assert_identical(engine, target) == report.rows
    # The search index came along: a Chinese search finds the same customers on the target.
    assert _count(target, "customer_search_grams") == _count(engine, "customer_search_grams") > 0


@pytest.mark.parametrize(("backend", "target_backend"), [("postgresql", "mariadb"), ("mariadb", "postgresql")])
def test_a_backup_from_one_database_restores_identical_on_another(
    engine: Engine, backend: str, target_backend: str, tmp_path: Path, make_target: MakeTarget
) -> None:
    load_source(engine)
    backup(engine, tmp_path / "b.zip")
    target = make_target(target_backend)
    report = restore(target, tmp_path / "b.zip")
    assert assert_identical(engine, target) == report.rows


@pytest.mark.parametrize("backend", ["mariadb"])
def test_a_value_the_target_cannot_hold_exactly_rolls_the_whole_restore_back(
    engine: Engine, backend: str, tmp_path: Path, make_target: MakeTarget
) -> None:
    """A 24-digit KPI target, exact on MariaDB, would come back rounded from SQLite's 8-byte floats."""
    load_source(engine)
    backup(engine, tmp_path / "b.zip")
    target = make_target("sqlite")
    with pytest.raises(VerificationFailed) as failed:
        restore(target, tmp_path / "b.zip")
    assert failed.value.params == {"tables": "kpi_targets"}
    assert _count(target, "users") == _count(target, "customers") == _count(target, "kpi_targets") == 0


def test_a_backup_taken_while_another_thread_writes_is_consistent(engine: Engine, tmp_path: Path) -> None:
    """Customers and their contacts are written together while the backup runs: the backup has both or neither."""
    load_source(engine)
    sessions = make_session_factory(engine)
    manager = get_user(sessions, username="manager")
    assert manager is not None
    customers_before, contacts_before = _count(engine, "customers"), _count(engine, "contacts")
    customers_read, stop, written = threading.Event(), threading.Event(), []

    def writer() -> None:
        while not stop.is_set():
            view = create_customer(
                sessions,
                actor=manager.as_actor(),
                data=CustomerInput(name=f"并发客户 {len(written)}"),
                contact=ContactInput(name="联系人", phone="13812345678", is_primary=True),
                confirm_duplicates=True,
            )
            written.append(view.id)

    def progress(line: str) -> None:
        if line.startswith("customers:"):
            customers_read.set()
            # Let the writer commit pairs after the customers table was read and before the contacts are.
            target = len(written) + 2
            while len(written) < target:
                threading.Event().wait(0.01)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        report = backup(engine, tmp_path / "b.zip", progress=progress)
    finally:
        stop.set()
        thread.join()
    rows = {c.name: c.rows for c in report.tables}
    assert customers_read.is_set() and len(written) >= 2
    assert rows["customers"] - customers_before == rows["contacts"] - contacts_before >= 0
    assert _count(engine, "customers") - customers_before == len(written)  # the writes did commit meanwhile
    with zipfile.ZipFile(tmp_path / "b.zip") as archive:
        customer_ids = {json.loads(line)[0] for line in archive.read("tables/customers.jsonl").splitlines()}
        columns = [c["name"] for c in _manifest_table(archive, "contacts")["columns"]]
        contact_lines = archive.read("tables/contacts.jsonl").splitlines()
        contact_customers = {json.loads(line)[columns.index("customer_id")] for line in contact_lines}
    assert contact_customers <= customer_ids


def _manifest_table(archive: zipfile.ZipFile, name: str) -> dict:
    manifest = json.loads(archive.read("manifest.json"))
    return next(t for t in manifest["tables"] if t["name"] == name)


def test_restore_into_a_database_holding_data_is_refused_and_writes_nothing(
    engine: Engine, backend: str, tmp_path: Path, make_target: MakeTarget
) -> None:
    load_source(engine, customers=5)
    backup(engine, tmp_path / "b.zip")
    target = make_target(backend)
    upgrade_database(target)  # a SQLite target starts without tables
    load_source(target, customers=3)
    before = _count(target, "customers")
    with pytest.raises(MaintenanceRefused) as refused:
        restore(target, tmp_path / "b.zip")
    assert refused.value.key == "maintenance.target_not_empty"
    assert "customers" in refused.value.params["tables"] and "users" in refused.value.params["tables"]
    assert _count(target, "customers") == before == 3


def test_restore_into_a_database_at_another_schema_revision_is_refused(tmp_path: Path, make_target: MakeTarget) -> None:
    source = make_engine(f"sqlite:///{tmp_path / 'source.db'}")
    upgrade_database(source)
    load_source(source, customers=5)
    backup(source, tmp_path / "b.zip")
    target = make_target("sqlite")
    upgrade_database(target)
    with target.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0015_complaint_handling'"))
    with pytest.raises(MaintenanceRefused) as refused:
        restore(target, tmp_path / "b.zip")
    assert refused.value.key == "maintenance.revision_mismatch"
    assert refused.value.params == {"backup": app_revision(), "target": "0015_complaint_handling"}
    source.dispose()


def test_a_backup_of_another_app_version_is_refused(tmp_path: Path, make_target: MakeTarget) -> None:
    source = make_engine(f"sqlite:///{tmp_path / 'source.db'}")
    upgrade_database(source)
    backup(source, tmp_path / "b.zip")
    older = _rewrite(
        tmp_path / "b.zip", tmp_path / "older.zip", manifest={"alembic_revision": "0015_complaint_handling"}
    )
    with pytest.raises(MaintenanceRefused) as refused:
        restore(make_target("sqlite"), older)
    assert refused.value.key == "maintenance.backup_revision"
    source.dispose()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_damaged_backup_restores_nothing(engine: Engine, tmp_path: Path, make_target: MakeTarget) -> None:
    load_source(engine, customers=5)
    backup(engine, tmp_path / "b.zip")
    damaged = _rewrite(
        tmp_path / "b.zip", tmp_path / "damaged.zip", member="tables/customers.jsonl", replace=("C0000", "X0000")
    )
    target = make_target("sqlite")
    with pytest.raises(MaintenanceRefused) as refused:
        restore(target, damaged)
    assert refused.value.params == {"table": "customers"}
    assert _count(target, "users") == _count(target, "customers") == 0


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_backup_whose_bytes_were_damaged_restores_nothing(
    engine: Engine, tmp_path: Path, make_target: MakeTarget
) -> None:
    load_source(engine, customers=5)
    backup(engine, tmp_path / "b.zip")
    stored = _rewrite(tmp_path / "b.zip", tmp_path / "stored.zip", stored=True)
    data = stored.read_bytes()
    at = data.index("张伟 Zhang Wei".encode())  # in users.jsonl, stored uncompressed: flip one byte
    stored.write_bytes(data[:at] + b"X" + data[at + 1 :])
    target = make_target("sqlite")
    with pytest.raises(MaintenanceRefused) as refused:
        restore(target, stored)
    assert refused.value.key == "maintenance.backup_damaged" and refused.value.params == {"table": "users"}
    assert _count(target, "departments") == _count(target, "users") == 0


def _rewrite(
    source: Path,
    target: Path,
    *,
    manifest: dict | None = None,
    member: str | None = None,
    replace: tuple[str, str] = ("", ""),
    stored: bool = False,
) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if stored:
                item.compress_type = zipfile.ZIP_STORED
            if item.filename == "manifest.json" and manifest:
                data = json.dumps({**json.loads(data), **manifest}).encode()
            if item.filename == member:
                assert replace[0].encode() in data
                data = data.replace(replace[0].encode(), replace[1].encode(), 1)
            new.writestr(item, data)
    return target


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_backup_never_overwrites_a_file(engine: Engine, tmp_path: Path) -> None:
    existing = tmp_path / "b.zip"
    existing.write_bytes(b"keep me")
    with pytest.raises(MaintenanceRefused) as refused:
        backup(engine, existing)
    assert refused.value.key == "maintenance.file_exists"
    assert existing.read_bytes() == b"keep me"
    assert not (tmp_path / "b.zip.partial").exists()


def test_a_sqlite_file_copy_restores_on_another_database(tmp_path: Path, make_target: MakeTarget) -> None:
    source = make_engine(f"sqlite:///{tmp_path / 'source.db'}")
    upgrade_database(source)
    load_source(source, customers=8)
    copy = backup_sqlite_file(source, tmp_path / "copy.db")
    target = make_target("sqlite")
    report = restore(target, copy)
    assert report.rows > 500
    assert assert_identical(source, target) == report.rows
    source.dispose()
