"""`python -m crm complaints figures | queue`: the complaint figures of a period and a user's queue, printed."""

from __future__ import annotations

import argparse
import datetime as dt

from crm.platform.i18n import format_datetime, t


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the complaints commands."""
    from crm.complaints.queues import QUEUES

    parser = subparsers.add_parser("complaints", help="complaint figures and queues")
    commands = parser.add_subparsers(dest="complaints_command", required=True)
    figures = commands.add_parser(
        "figures", help="the figures of the complaints received in a period, per department and severity"
    )
    figures.add_argument("--from", dest="start", type=dt.date.fromisoformat, required=True, help="YYYY-MM-DD")
    figures.add_argument("--to", dest="end", type=dt.date.fromisoformat, required=True, help="YYYY-MM-DD")
    figures.add_argument("--lang", choices=("en", "zh"), default="en")
    figures.set_defaults(func=_cmd_figures)
    queue = commands.add_parser("queue", help="print a user's complaint queue, breached and soonest-due first")
    queue.add_argument("--user", required=True, help="username")
    queue.add_argument("--queue", choices=QUEUES, default="mine")
    queue.add_argument("--limit", type=int, default=25)
    queue.add_argument("--lang", choices=("en", "zh"), default="en")
    queue.set_defaults(func=_cmd_queue)


def _percent(value: float | None, lang: str) -> str:
    return t("complaints.figure.no_data", lang) if value is None else f"{value:.1%}"


def _hours(seconds: float | None, lang: str) -> str:
    return t("complaints.figure.no_data", lang) if seconds is None else f"{seconds / 3600:.1f} h"


def _cmd_figures(args: argparse.Namespace) -> int:
    from crm.complaints.departments import department_label, list_departments
    from crm.complaints.figures import Figures, period_figures
    from crm.platform.permissions import SYSTEM
    from crm.platform.uow import open_sessions

    sessions, lang = open_sessions(), args.lang
    result = period_figures(sessions, actor=SYSTEM, start=args.start, end=args.end)
    names = {
        d.id: department_label(d.name_en, d.name_zh, lang) or d.code
        for d in list_departments(sessions, actor=SYSTEM, include_archived=True)
    }
    columns = (
        "received",
        "resolution_rate",
        "on_time_rate",
        "reopen_rate",
        "median_acknowledge",
        "median_resolve",
        "adoption_rate",
    )
    print(f"{'':<24}" + "".join(f"{t(f'complaints.figure.{c}', lang)[:16]:>18}" for c in columns))

    def line(label: str, f: Figures) -> None:
        values = (
            str(f.received),
            _percent(f.resolution_rate, lang),
            _percent(f.on_time_rate, lang),
            _percent(f.reopen_rate, lang),
            _hours(f.median_acknowledge_seconds, lang),
            _hours(f.median_resolve_seconds, lang),
            _percent(f.adoption_rate, lang),
        )
        print(f"{label[:24]:<24}" + "".join(f"{v:>18}" for v in values))

    line("=", result.overall)
    for department_id, figures in sorted(result.by_department.items(), key=lambda kv: kv[0] or 0):
        line(names.get(department_id, "-") if department_id else "-", figures)
    for severity, figures in result.by_severity.items():
        line(t(f"complaints.severity.{severity}", lang), figures)
    return 0


def _cmd_queue(args: argparse.Namespace) -> int:
    from crm.complaints.queues import QueueFilter, complaint_queue
    from crm.platform.clock import company_zone_name
    from crm.platform.uow import open_sessions
    from crm.platform.users import get_user

    sessions = open_sessions()
    user = get_user(sessions, username=args.user)
    if user is None:
        print(f"no user {args.user!r}")
        return 2
    page = complaint_queue(sessions, actor=user.as_actor(), flt=QueueFilter(queue=args.queue), page_size=args.limit)
    zone = company_zone_name(sessions)
    print(f"{t(f'complaints.queue.{args.queue}', args.lang)} ({page.total:,})")
    for row in page.rows:
        due = format_datetime(row.next_due_at, args.lang, zone) if row.next_due_at else ""
        marker = t(f"complaints.flag.{row.flag}", args.lang) if row.flag else ""
        print(
            f"  {row.code:<15} {t(f'complaint_status.{row.status}', args.lang):<12} "
            f"{t(f'complaints.severity.{row.severity}', args.lang):<10} {due:<20} {marker:<12} "
            f"{row.customer_name[:40]}"
        )
    return 0
