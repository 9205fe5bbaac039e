"""`python -m crm satisfaction import FILE` and `satisfaction campaign run ID | list`: responses from a file, campaigns.

Added to the `satisfaction` command (crm/cli.py calls register after the features' own commands, so the command
made by crm/satisfaction/commands.py, when it exists, gets these as further subcommands).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from crm.platform.i18n import LANGUAGES, format_datetime, t
from crm.platform.permissions import SYSTEM, Actor
from db.engine import Sessions

SHOWN_ISSUES = 50


def _satisfaction_commands(subparsers: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """Return the `satisfaction` command's subcommands, making the command if no one has yet."""
    parser = subparsers.choices.get("satisfaction")
    if parser is None:
        parser = subparsers.add_parser("satisfaction", help="satisfaction surveys: responses and campaigns")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest="satisfaction_command", required=True)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `satisfaction import` and `satisfaction campaign run | list`."""
    commands = _satisfaction_commands(subparsers)
    importing = commands.add_parser(
        "import",
        help="import survey responses from CSV or Excel: customer_code, date, [channel, template, overall, nps, "
        "one column per dimension, comment, contact, complaint, campaign] (English or Chinese headers)",
    )
    importing.add_argument("file", help="a .csv (UTF-8, UTF-8 with BOM or GBK) or .xlsx file")
    importing.add_argument("--dry-run", action="store_true", help="check every row and report, write nothing")
    importing.add_argument("--all-or-nothing", action="store_true", help="write nothing if any row has an error")
    importing.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="map a column of the file to a field (customer_code, date, channel, template, overall, nps, comment, "
        "contact, complaint, campaign, score.<dimension>; FIELD '-' ignores the column); the other columns are "
        "recognised by their headers",
    )
    importing.add_argument("--report", metavar="FILE", help="write every problem to this CSV file")
    _common(importing)
    importing.set_defaults(func=_cmd_import)

    campaign = commands.add_parser("campaign", help="survey campaigns").add_subparsers(
        dest="campaign_command", required=True
    )
    run = campaign.add_parser(
        "run", help="add the customers the campaign's target matches now and give their owners survey tasks"
    )
    run.add_argument("id", type=int, help="the campaign's number (see `campaign list`)")
    _common(run)
    run.set_defaults(func=_cmd_campaign_run)
    listing = campaign.add_parser("list", help="the campaigns with their members and response rates")
    _common(listing)
    listing.set_defaults(func=_cmd_campaign_list)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as", dest="as_user", metavar="USERNAME", help="act as this user (permissions, audit trail); default: system"
    )
    parser.add_argument("--lang", choices=tuple(LANGUAGES), default="en", help="language of the output")


def _actor(sessions: Sessions, username: str | None) -> Actor | None:
    from crm.platform.users import get_user

    if not username:
        return SYSTEM
    user = get_user(sessions, username=username)
    if user is None or not user.is_active:
        print(f"error: no active user named {username!r}", file=sys.stderr)
        return None
    return user.as_actor()


def _cmd_import(args: argparse.Namespace) -> int:
    from crm.exchange import report_csv
    from crm.platform.uow import open_sessions
    from crm.satisfaction.imports import import_responses, parse_mapping_options, preview_file

    path = Path(args.file)
    if not path.is_file():
        print(f"error: no such file: {path}", file=sys.stderr)
        return 2
    data = path.read_bytes()
    sessions = open_sessions()
    actor = _actor(sessions, args.as_user)
    if actor is None:
        return 2
    mapping = None
    if args.map:
        given = parse_mapping_options(args.map)
        mapping = dict(preview_file(sessions, actor=actor, filename=path.name, data=data, limit=0).mapping)
        for column, name in given.items():
            if column not in mapping:
                print(f"error: the file has no column {column!r}", file=sys.stderr)
                return 2
            mapping = {h: (None if f == name else f) for h, f in mapping.items()}  # a field maps from one column
            mapping[column] = None if name == "-" else name
    started = time.perf_counter()
    report = import_responses(
        sessions,
        actor=actor,
        filename=path.name,
        data=data,
        mapping=mapping,
        dry_run=args.dry_run,
        all_or_nothing=args.all_or_nothing,
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
    encoding = f", encoding {report.encoding}" if report.encoding else ""
    print(
        f"{path.name}: {report.total_rows:,} rows{encoding}; "
        f"{t('satisfaction.import.count.added', lang)} {report.added:,}, "
        f"{t('satisfaction.import.count.already_imported', lang)} {report.already_imported:,}, "
        f"{t('satisfaction.import.count.bad_rows', lang)} {report.bad_rows:,} ({elapsed:.1f} s)"
    )
    if report.dry_run:
        print(t("satisfaction.import.outcome.dry_run", lang))
    elif report.written:
        print(
            t(
                "satisfaction.import.outcome.written",
                lang,
                added=f"{report.added:,}",
                skipped=f"{report.already_imported:,}",
                bad=f"{report.bad_rows:,}",
            )
        )
    else:
        print(t("satisfaction.import.outcome.nothing_written", lang))
    return 1 if report.errors else 0


def _cmd_campaign_run(args: argparse.Namespace) -> int:
    from crm.platform.uow import open_sessions
    from crm.satisfaction.campaigns import run_campaign

    sessions = open_sessions()
    actor = _actor(sessions, args.as_user)
    if actor is None:
        return 2
    result = run_campaign(sessions, actor=actor, campaign_id=args.id)
    print(
        t(
            "satisfaction.campaign.ran",
            args.lang,
            added=f"{result.added:,}",
            tasks=f"{result.tasks_created:,}",
            already=f"{result.already_members:,}",
            no_owner=f"{result.skipped_no_owner:,}",
        )
    )
    return 0


def _cmd_campaign_list(args: argparse.Namespace) -> int:
    from crm.platform.clock import company_zone_name
    from crm.platform.uow import open_sessions
    from crm.satisfaction.campaigns import list_campaigns

    sessions = open_sessions()
    actor = _actor(sessions, args.as_user)
    if actor is None:
        return 2
    lang = args.lang
    campaigns = list_campaigns(sessions, actor=actor)
    if not campaigns:
        print(t("satisfaction.campaign.cli.no_campaigns", lang))
        return 0
    zone = company_zone_name(sessions)
    columns = ("members", "responded", "response_rate", "tasks_open", "tasks_done", "last_run_at")
    print(f"{'#':>5}  {'':<30}" + "".join(f"{t(f'satisfaction.campaign.col.{c}', lang)[:14]:>16}" for c in columns))
    for c in campaigns:
        rate = t("satisfaction.campaign.no_data", lang) if c.response_rate is None else f"{c.response_rate:.1%}"
        last = (
            format_datetime(c.last_run_at, lang, zone) if c.last_run_at else t("satisfaction.campaign.never_run", lang)
        )
        values = (f"{c.members:,}", f"{c.responded:,}", rate, f"{c.tasks_open:,}", f"{c.tasks_done:,}", last)
        print(f"{c.id:>5}  {c.name[:30]:<30}" + "".join(f"{v:>16}" for v in values))
    return 0
