"""Commands `python -m crm import customers|contacts|orders FILE` and `python -m crm export KIND`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from crm.platform.i18n import LANGUAGES, t
from crm.platform.permissions import SYSTEM

SHOWN_ISSUES = 50


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the import and export commands."""
    from crm.exchange.exports import EXPORT_KINDS, FORMATS, HEADER_STYLES
    from crm.exchange.imports import KINDS, ON_DUPLICATE

    importing = subparsers.add_parser("import", help="import customers, contacts or orders from CSV or Excel")
    kinds = importing.add_subparsers(dest="import_kind", required=True)
    columns = {
        "customers": "[code,]name,industry,region,source,owner,stage,contact,phone,email,... (English or Chinese)",
        "contacts": "customer_code,name,title,phone,email,wechat,is_primary",
        "orders": "customer_code,order_date,amount[,product][,order_no]",
    }
    for kind in KINDS:
        sub = kinds.add_parser(kind, help=f"columns: {columns[kind]}")
        sub.add_argument("file", help="a .csv (UTF-8, UTF-8 with BOM or GBK) or .xlsx file")
        sub.add_argument("--dry-run", action="store_true", help="check every row and report, write nothing")
        sub.add_argument("--all-or-nothing", action="store_true", help="write nothing if any row has an error")
        sub.add_argument("--report", metavar="FILE", help="write every problem to this CSV file")
        sub.add_argument("--lang", choices=tuple(LANGUAGES), default="en", help="language of the report")
        if kind != "customers":
            sub.add_argument(
                "--create-missing", action="store_true", help="create customers whose code is not in the database yet"
            )
        else:
            sub.add_argument(
                "--on-duplicate",
                choices=ON_DUPLICATE,
                default="skip",
                help="a file without a code column gets new codes; a row that looks like an existing "
                "customer (same name, phone or email) is skipped (default), updates that "
                "customer, or is imported as a new one",
            )
        sub.set_defaults(func=_cmd_import, kind=kind)

    exporting = subparsers.add_parser("export", help="export customers, contacts or orders to CSV or Excel")
    exporting.add_argument("kind", choices=EXPORT_KINDS)
    exporting.add_argument("--format", choices=FORMATS, default="csv")
    exporting.add_argument("-o", "--output", metavar="FILE", help="file to write (CSV goes to stdout without it)")
    exporting.add_argument("--lang", choices=tuple(LANGUAGES), default="en", help="language of labels")
    exporting.add_argument(
        "--headers",
        choices=HEADER_STYLES,
        default="codes",
        help="column names and values as codes (default) or as labels in --lang",
    )
    exporting.add_argument(
        "--as",
        dest="as_user",
        metavar="USERNAME",
        help="export what this user may see, as they see it (a viewer's phones and emails "
        "masked, a staff member's own customers); default: everything, unmasked",
    )
    exporting.set_defaults(func=_cmd_export)


def _cmd_import(args: argparse.Namespace) -> int:
    from crm.exchange.imports import import_file, report_csv
    from crm.platform.uow import open_sessions

    path = Path(args.file)
    if not path.is_file():
        print(f"error: no such file: {path}", file=sys.stderr)
        return 2
    data = path.read_bytes()
    sessions = open_sessions()
    started = time.perf_counter()
    report = import_file(
        sessions,
        actor=SYSTEM,
        kind=args.kind,
        filename=path.name,
        data=data,
        dry_run=args.dry_run,
        all_or_nothing=args.all_or_nothing,
        create_missing=getattr(args, "create_missing", False),
        on_duplicate=getattr(args, "on_duplicate", "skip"),
    )
    elapsed = time.perf_counter() - started
    lang = args.lang
    for issue in report.issues[:SHOWN_ISSUES]:
        print(
            f"line {issue.line}: {issue.column_label(lang)}: {t(f'imports.severity.{issue.severity}', lang)}: "
            f"{issue.message(lang)}",
            file=sys.stderr,
        )
    if len(report.issues) > SHOWN_ISSUES:
        print(f"... {len(report.issues) - SHOWN_ISSUES} more (use --report FILE for all of them)", file=sys.stderr)
    if args.report:
        Path(args.report).write_bytes(report_csv(report, lang))
    if report.duplicates:
        print(
            f"{len(report.duplicates):,} rows look like existing customers (listed above as warnings; "
            "--on-duplicate skip|update|new chooses what to do with them)",
            file=sys.stderr,
        )
    if report.identical_rows:
        print(t("imports.count.identical_rows", lang, count=f"{report.identical_rows:,}"), file=sys.stderr)
    counts = ", ".join(f"{key} {value:,}" for key, value in report.counts.items()) or "nothing to write"
    # Without a write the counts are what the import would do: say so, so "created 3" is not misread.
    if report.dry_run:
        outcome = "dry run, nothing written (counts: what an import would do)"
    elif report.written:
        outcome = "written"
    else:
        outcome = "NOTHING written (fix the errors above; counts: what would have been written)"
    encoding = f", encoding {report.encoding}" if report.encoding else ""
    print(
        f"{args.kind}: {report.total_rows:,} rows{encoding}; {report.bad_rows:,} with errors, "
        f"{len(report.warnings):,} warnings; {counts}; {outcome} in {elapsed:.1f} s"
    )
    return 1 if report.errors else 0


def _cmd_export(args: argparse.Namespace) -> int:
    from crm.exchange.exports import write_export
    from crm.platform.uow import open_sessions
    from crm.platform.users import get_user

    if args.format == "xlsx" and not args.output:
        print("error: an Excel export needs -o FILE", file=sys.stderr)
        return 2
    sessions = open_sessions()
    actor = SYSTEM
    if args.as_user:
        user = get_user(sessions, username=args.as_user)
        if user is None or not user.is_active:
            print(f"error: no active user named {args.as_user!r}", file=sys.stderr)
            return 2
        actor = user.as_actor()
    started = time.perf_counter()
    if args.output:
        with open(args.output, "wb") as out:
            count = write_export(
                sessions,
                actor=actor,
                kind=args.kind,
                fmt=args.format,
                out=out,
                lang=args.lang,
                header_style=args.headers,
            )
        print(
            f"{count:,} {args.kind} written to {args.output} in {time.perf_counter() - started:.1f} s", file=sys.stderr
        )
    else:
        sys.stdout.flush()
        try:
            write_export(
                sessions,
                actor=actor,
                kind=args.kind,
                fmt=args.format,
                out=sys.stdout.buffer,
                lang=args.lang,
                header_style=args.headers,
            )
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            # The reader stopped early (`| head`): not an error; keep Python from complaining at exit.
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
