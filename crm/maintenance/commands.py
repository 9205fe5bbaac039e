"""`python -m crm backup FILE | restore FILE | migrate-data --to URL`: messages in English, then in Chinese."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from crm.platform.i18n import t

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from crm.maintenance import TransferReport


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the backup, restore and migrate-data commands."""
    backup = subparsers.add_parser(
        "backup", help="write a consistent backup while the app runs (a zip that restores on any database)"
    )
    backup.add_argument("file", type=Path)
    backup.add_argument(
        "--sqlite", action="store_true", help="SQLite only: copy the database file with SQLite's online backup API"
    )
    backup.add_argument("--database", help="database URL (default: CRM_DATABASE_URL, else data/crm.db)")
    backup.set_defaults(func=_cmd_backup)
    restore = subparsers.add_parser("restore", help="restore a backup into an empty database, checked table by table")
    restore.add_argument("file", type=Path)
    restore.add_argument("--database", help="database URL (default: CRM_DATABASE_URL, else data/crm.db)")
    restore.set_defaults(func=_cmd_restore)
    migrate = subparsers.add_parser(
        "migrate-data", help="copy everything into another, empty database (e.g. SQLite to PostgreSQL)"
    )
    migrate.add_argument("--to", required=True, dest="to", help="URL of the empty target database")
    migrate.add_argument("--database", help="source URL (default: CRM_DATABASE_URL, else data/crm.db)")
    migrate.set_defaults(func=_cmd_migrate)


def say(key: str, *, stream: TextIO | None = None, **params: object) -> None:
    """Print a message in English, then in Chinese."""
    for lang in ("en", "zh"):
        print(t(key, lang, **params), file=stream or sys.stdout)


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _print_checks(report: TransferReport) -> None:
    heading = [
        f"{t(f'maintenance.column.{k}', 'en')} / {t(f'maintenance.column.{k}', 'zh')}"
        for k in ("table", "rows", "checksum", "check")
    ]
    print(f"{heading[0]:<32} {heading[1]:>14}  {heading[2]:<18} {heading[3]}")
    for check in report.tables:
        status = "ok" if check.matches else "differs"
        verdict = f"{t(f'maintenance.check.{status}', 'en')} / {t(f'maintenance.check.{status}', 'zh')}"
        print(f"{check.name:<32} {check.rows:>14,}  {check.checksum[:16]:<18} {verdict}")


def _run(action: Callable[[], int]) -> int:
    """Run a maintenance action; a refusal or failed check prints its reason in both languages and exits 2."""
    from crm.maintenance import MaintenanceRefused, VerificationFailed
    from db.engine import UnsupportedCharset

    try:
        return action()
    except (MaintenanceRefused, VerificationFailed) as error:
        for lang in ("en", "zh"):
            print(t("maintenance.error", lang, message=t(error.key, lang, **error.params)), file=sys.stderr)
        return 2
    except UnsupportedCharset as error:
        for lang in ("en", "zh"):
            print(t("app.db_charset_body", lang, charset=error.charset), file=sys.stderr)
        return 2
    except OSError as error:  # a folder that cannot be written, a full disk
        for lang in ("en", "zh"):
            message = t("maintenance.file_error", lang, file=error.filename or "-", error=error.strerror or error)
            print(t("maintenance.error", lang, message=message), file=sys.stderr)
        return 2


def _engine(url: str | None) -> Engine:
    from db.engine import make_engine

    return make_engine(url) if url else make_engine()


def _cmd_backup(args: argparse.Namespace) -> int:
    from crm.maintenance import backup, backup_sqlite_file

    engine = _engine(args.database)

    def act() -> int:
        if args.sqlite:
            backup_sqlite_file(engine, args.file)
            say("maintenance.sqlite_copy_done", file=str(args.file))
            return 0
        report = backup(engine, args.file, progress=_progress)
        _print_checks(report)
        say(
            "maintenance.backup_done",
            file=str(args.file),
            tables=len(report.tables),
            rows=f"{report.rows:,}",
            revision=report.revision,
        )
        return 0

    try:
        return _run(act)
    finally:
        engine.dispose()


def _cmd_restore(args: argparse.Namespace) -> int:
    from crm.maintenance import restore
    from db.engine import masked_url

    engine = _engine(args.database)

    def act() -> int:
        report = restore(engine, args.file, progress=_progress)
        _print_checks(report)
        url = masked_url(engine.url.render_as_string(hide_password=False))
        say("maintenance.restore_done", tables=len(report.tables), rows=f"{report.rows:,}", url=url)
        return 0

    try:
        return _run(act)
    finally:
        engine.dispose()


def _cmd_migrate(args: argparse.Namespace) -> int:
    from crm.maintenance import migrate_data
    from db.engine import masked_url

    source, target = _engine(args.database), _engine(args.to)

    def act() -> int:
        report = migrate_data(source, target, progress=_progress)
        _print_checks(report)
        url = masked_url(target.url.render_as_string(hide_password=False))
        say("maintenance.migrate_done", tables=len(report.tables), rows=f"{report.rows:,}", url=url)
        return 0

    try:
        return _run(act)
    finally:
        source.dispose()
        target.dispose()
