"""Backup, restore and migrate-data: every table copied out of one snapshot and checked in by count and checksum.

- backup: the portable archive (archive.py) of a consistent snapshot of any database, or on SQLite a copy of
  the file by SQLite's online backup API;
- restore: an archive (or such a SQLite copy) into an empty database at the same schema revision, in one
  transaction that reads every table back and rolls back unless each count and checksum matches;
- migrate_data: the same copy straight from the running database into another (SQLite to PostgreSQL).
Users, settings, the audit trail and the search index are tables like the others: all are copied as they are.
"""

from __future__ import annotations

import sqlite3
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, inspect
from sqlalchemy.exc import DBAPIError

from crm.maintenance.archive import (
    ArchivedTable,
    ArchiveReader,
    ArchiveWriter,
    Manifest,
    NotAnArchive,
    is_sqlite_file,
    partial_path,
)
from crm.maintenance.codec import TableDigest, row_line
from crm.maintenance.transfer import (
    TableCheck,
    TablePlan,
    digest_table,
    load_tables,
    missing_tables,
    plan_tables,
    read_rows,
    snapshot,
    table_names_with_rows,
)
from crm.platform.clock import utcnow
from crm.platform.errors import CrmError
from db.engine import alembic_config, current_revision, make_engine, masked_url, upgrade_database

Progress = Callable[[str], None]


class MaintenanceRefused(CrmError):
    """The backup, restore or copy was refused before anything was written (key and params say why)."""


class VerificationFailed(CrmError):
    """The copy's counts or checksums differ from the source's: the target's transaction was rolled back."""

    key = "maintenance.verify_failed"


@dataclass(frozen=True)
class TransferReport:
    """What a backup, restore or copy moved: the schema revision and every table's count and checksum."""

    revision: str
    tables: tuple[TableCheck, ...]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def app_revision() -> str:
    """Return the Alembic revision this version of the app's models describe (the migrations' head)."""
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head())


def _revision_of(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _check_source(connection: Connection) -> str:
    revision, app = _revision_of(connection), app_revision()
    if revision != app:
        raise MaintenanceRefused("maintenance.source_revision", source=revision or "-", app=app)
    return revision


def backup(engine: Engine, path: Path, *, progress: Progress = lambda _: None) -> TransferReport:
    """Write a portable archive of every table, read from one snapshot while the app keeps running."""
    path = Path(path)
    if path.exists():
        raise MaintenanceRefused("maintenance.file_exists", file=str(path))
    plans = plan_tables()
    writer = ArchiveWriter(path)
    try:
        with snapshot(engine) as connection:
            revision = _check_source(connection)
            archived: list[ArchivedTable] = []
            for plan in plans:
                digest = TableDigest()
                with writer.open_table(plan.table.name) as stream:
                    for encoded in read_rows(connection, plan):
                        line = row_line(encoded)
                        digest.add(line)
                        stream.write(line)
                archived.append(ArchivedTable(plan.table.name, plan.specs, digest.rows, digest.checksum))
                progress(f"{plan.table.name}: {digest.rows:,}")
        writer.commit(
            Manifest(
                revision=revision,
                created_at=utcnow().isoformat(timespec="microseconds"),
                source_dialect=engine.dialect.name,
                tables=tuple(archived),
            )
        )
    except BaseException:
        writer.abandon()
        raise
    return TransferReport(revision, tuple(TableCheck(t.name, t.rows, t.checksum, t.rows, t.checksum) for t in archived))


def backup_sqlite_file(engine: Engine, path: Path) -> Path:
    """Copy a SQLite database into a new file with SQLite's online backup API (consistent while others write)."""
    path = Path(path)
    if engine.dialect.name != "sqlite":
        raise MaintenanceRefused("maintenance.sqlite_only", dialect=engine.dialect.name)
    if path.exists():
        raise MaintenanceRefused("maintenance.file_exists", file=str(path))
    partial = partial_path(path)
    partial.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = engine.raw_connection()
    try:
        with snapshot(engine) as connection:  # refuse a database behind the app's schema, as the archive does
            _check_source(connection)
        target = sqlite3.connect(partial)
        try:
            raw.driver_connection.backup(target)  # type: ignore[union-attr]
        finally:
            target.close()
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        raw.close()
    return path


def _prepare_target(engine: Engine, revision: str) -> None:
    """Migrate a blank target to the app's schema; refuse one at another revision or holding any row."""
    app = app_revision()
    if revision != app:
        raise MaintenanceRefused("maintenance.backup_revision", backup=revision, app=app)
    with engine.connect() as connection:
        blank = not inspect(connection).get_table_names()
    if blank:
        upgrade_database(engine)
    target = current_revision(engine)
    if target != revision:
        raise MaintenanceRefused("maintenance.revision_mismatch", backup=revision, target=target or "-")
    plans = plan_tables()
    with engine.connect() as connection:
        missing = missing_tables(connection, [p.table for p in plans])
        if missing:
            raise MaintenanceRefused("maintenance.revision_mismatch", backup=revision, target=target or "-")
        holding = table_names_with_rows(connection, [p.table for p in plans])
    if holding:
        raise MaintenanceRefused("maintenance.target_not_empty", tables=", ".join(holding))


def _verify(connection: Connection, plans: Sequence[TablePlan], expected: dict[str, TableDigest]) -> list[TableCheck]:
    """Read every table back inside the writing transaction and compare it with what the source held."""
    checks = []
    for plan in plans:
        source = expected[plan.table.name]
        found = digest_table(connection, plan)
        checks.append(TableCheck(plan.table.name, source.rows, source.checksum, found.rows, found.checksum))
    differing = [c.name for c in checks if not c.matches]
    if differing:
        raise VerificationFailed(tables=", ".join(differing))
    return checks


def _failed(error: DBAPIError) -> MaintenanceRefused:
    # The statement's values are hidden by the engine (hide_parameters); the database's own message is kept.
    return MaintenanceRefused("maintenance.write_failed", error=str(error.orig or error).splitlines()[0][:300])


def restore(engine: Engine, path: Path, *, progress: Progress = lambda _: None) -> TransferReport:
    """Restore a backup (archive, or a SQLite copy) into an empty database; all of it, checked, or nothing."""
    path = Path(path)
    if not path.is_file():
        raise MaintenanceRefused("maintenance.not_a_backup", file=str(path))
    if is_sqlite_file(path):
        source = make_engine(f"sqlite:///file:{path.resolve()}?mode=ro&uri=true")
        try:
            return migrate_data(source, engine, progress=progress)
        finally:
            source.dispose()
    try:
        reader = ArchiveReader(path)
    except NotAnArchive as error:
        raise MaintenanceRefused("maintenance.not_a_backup", file=str(path)) from error
    with reader:
        manifest = reader.manifest
        _prepare_target(engine, manifest.revision)
        plans = plan_tables()
        archived = {t.name: t for t in manifest.tables}
        for plan in plans:
            entry = archived.get(plan.table.name)
            if entry is None or entry.columns != plan.specs:
                raise MaintenanceRefused("maintenance.backup_columns", table=plan.table.name)

        reading = ""

        def rows_of(plan: TablePlan) -> Iterator[list[Any]]:
            nonlocal reading
            reading = plan.table.name
            return reader.rows(archived[plan.table.name])

        def check_against_manifest(plan: TablePlan, read: TableDigest) -> None:
            # The file as read against its own manifest: a damaged archive stops at its first damaged table.
            entry = archived[plan.table.name]
            if (read.rows, read.checksum) != (entry.rows, entry.checksum):
                raise MaintenanceRefused("maintenance.backup_damaged", table=entry.name)

        try:
            with engine.begin() as connection:
                written = load_tables(connection, plans, rows_of, after_table=check_against_manifest, progress=progress)
                checks = _verify(connection, plans, written)
        except DBAPIError as error:
            raise _failed(error) from error
        except (zipfile.BadZipFile, ValueError, TypeError, KeyError, ArithmeticError) as error:
            # A line that is no JSON array, a value of the wrong kind, a member failing its CRC: rolled back.
            raise MaintenanceRefused("maintenance.backup_damaged", table=reading) from error
    return TransferReport(manifest.revision, tuple(checks))


def migrate_data(source: Engine, target: Engine, *, progress: Progress = lambda _: None) -> TransferReport:
    """Copy every table from the source database into an empty target, then check counts and checksums."""
    if _same_database(source, target):
        raise MaintenanceRefused("maintenance.same_database", url=masked_url(_url(target)))
    plans = plan_tables()
    with snapshot(source) as reading:
        revision = _check_source(reading)
        _prepare_target(target, revision)
        try:
            with target.begin() as connection:
                written = load_tables(connection, plans, lambda plan: read_rows(reading, plan), progress=progress)
                checks = _verify(connection, plans, written)
        except DBAPIError as error:
            raise _failed(error) from error
    return TransferReport(revision, tuple(checks))


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _same_database(source: Engine, target: Engine) -> bool:
    a, b = source.url, target.url
    if a.get_backend_name() == "sqlite" and b.get_backend_name() == "sqlite":
        return bool(a.database) and Path(str(a.database)).resolve() == Path(str(b.database)).resolve()
    return (a.get_backend_name(), a.host, a.port, a.database) == (b.get_backend_name(), b.host, b.port, b.database)
