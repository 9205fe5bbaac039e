"""`python -m crm follow-ups generate | queue | refresh-cache`: the follow-up feature's commands (their benchmark is
a section of `python -m crm bench`)."""

from __future__ import annotations

import argparse
import time

from crm.platform.i18n import format_datetime, t


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the follow-ups commands."""
    from crm.follow_ups.automation import RULE_CODES

    parser = subparsers.add_parser("follow-ups", help="follow-up rules and queues")
    commands = parser.add_subparsers(dest="follow_ups_command", required=True)

    generate = commands.add_parser(
        "generate",
        help="run the enabled automatic rules over all customers and refresh the team view's snapshots (daily)",
    )
    generate.add_argument("--rule", action="append", choices=RULE_CODES, help="only this rule (repeatable)")
    generate.set_defaults(func=_cmd_generate)

    queue = commands.add_parser("queue", help="print a user's queue: overdue, today, this week, out of cadence")
    queue.add_argument("--user", required=True, help="username")
    queue.add_argument("--limit", type=int, default=10, help="rows per section")
    queue.add_argument("--lang", choices=("en", "zh"), default="en")
    queue.set_defaults(func=_cmd_queue)

    refresh = commands.add_parser(
        "refresh-cache",
        help="rebuild customers.last_contact_at / next_follow_up_at "
        "and the calendar's counts per day from the contacts and "
        "open tasks (after bulk loads or edits outside the app)",
    )
    refresh.set_defaults(func=_cmd_refresh)


def _cmd_generate(args: argparse.Namespace) -> int:
    from crm.follow_ups.queues import run_daily
    from crm.platform.permissions import SYSTEM
    from crm.platform.uow import open_sessions

    started = time.perf_counter()
    created = run_daily(open_sessions(), actor=SYSTEM, codes=args.rule)
    for code, count in created.items():
        print(f"{code:<18} {count:>10,}")
    print(f"follow-ups generated and team figures refreshed in {time.perf_counter() - started:.1f} s")
    return 0


def _cmd_queue(args: argparse.Namespace) -> int:
    from crm.follow_ups.queues import SECTIONS, CadenceRow, my_queue
    from crm.platform.permissions import SYSTEM
    from crm.platform.uow import open_sessions
    from crm.platform.users import get_user

    sessions = open_sessions()
    user = get_user(sessions, username=args.user)
    if user is None:
        raise SystemExit(f"no such user: {args.user}")
    queue = my_queue(sessions, actor=SYSTEM, owner_id=user.id, page_size=args.limit)
    lang = args.lang
    for code in SECTIONS:
        section = queue.sections[code]
        print(f"\n{t(f'follow_ups.section.{code}', lang)} ({section.total:,})")
        for row in section.rows:
            if isinstance(row, CadenceRow):
                last = (
                    format_datetime(row.last_contact_at, lang, queue.timezone)
                    if row.last_contact_at
                    else t("follow_ups.queue.never_contacted", lang)
                )
                print(f"  {row.customer_code:<12} {row.customer_name[:40]:<40} {last}")
            else:
                print(
                    f"  {format_datetime(row.due_at, lang, queue.timezone):<18} {row.customer_code:<12} "
                    f"{row.customer_name[:40]:<40} {t('purpose.' + row.purpose, lang)}"
                )
    return 0


def _cmd_refresh(_args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from crm.follow_ups.calendar_counts import rebuild as rebuild_calendar_counts
    from crm.follow_ups.core import refresh_follow_up_columns
    from crm.platform.uow import open_sessions
    from db.models import Customer

    sessions = open_sessions()
    with sessions.read() as session:
        last = session.scalar(select(func.max(Customer.id))) or 0
    chunk = 10_000
    for start in range(0, last, chunk):
        with sessions.begin() as session:
            refresh_follow_up_columns(session, range(start + 1, min(last, start + chunk) + 1), last_contact=True)
    print(f"refreshed the follow-up columns of customers 1..{last:,}")
    with sessions.begin() as session:
        rows = rebuild_calendar_counts(session.connection())
    print(f"recounted the calendar: {rows:,} (owner, day) rows")
    return 0
