"""`python -m crm kpi report --period … [--lang zh] -o FILE(.html|.pdf)`: the managers' report from the terminal,
the same file the dashboard's Report tab downloads; --csv DIR also writes each chart's data."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from crm.platform.i18n import t

SUFFIXES = (".html", ".pdf")


def register_report(subparsers: argparse._SubParsersAction) -> None:
    """Add `report` to the `kpi` command group (crm/kpis/commands.py makes the group)."""
    kpi = subparsers.choices.get("kpi")
    if kpi is None:
        return
    group = next(a for a in kpi._actions if isinstance(a, argparse._SubParsersAction))
    report = group.add_parser(
        "report", help="write the managers' report: a self-contained HTML file or a PDF (by the file's suffix)"
    )
    report.add_argument("--period", help="2026-11, 2026-Q4, 2026, last12 or 2026-01-01..2026-03-31 (default: last12)")
    report.add_argument("--from", dest="start", type=dt.date.fromisoformat, help="YYYY-MM-DD (with --to)")
    report.add_argument("--to", dest="end", type=dt.date.fromisoformat, help="YYYY-MM-DD (with --from)")
    report.add_argument("--owner", help="the customers' owner: username or display name")
    report.add_argument("--department", help="the customers' department: code or name")
    report.add_argument("--tier", help="value tier: high, medium, low or none")
    report.add_argument("--industry")
    report.add_argument("--region")
    report.add_argument("--lang", choices=("en", "zh"), default="en")
    report.add_argument("--as", dest="username", help="whose figures: this account's (default: the whole company)")
    report.add_argument("--csv", dest="csv_dir", type=Path, help="also write each chart's data as CSV into this folder")
    report.add_argument("-o", "--output", type=Path, required=True, help="the file to write: .html or .pdf")
    report.set_defaults(func=_cmd_report)


def _cmd_report(args: argparse.Namespace) -> int:
    from crm.kpis.commands import _find_department, _find_owner
    from crm.kpis.definitions import KpiFilters
    from crm.kpis.periods import Period
    from crm.kpis.report import build_report, report_csvs, report_html, report_pdf
    from crm.platform.clock import company_today
    from crm.platform.errors import ValidationError
    from crm.platform.permissions import SYSTEM
    from crm.platform.uow import open_sessions
    from crm.platform.users import get_user

    lang, output = args.lang, args.output
    if output.suffix.lower() not in SUFFIXES:
        raise SystemExit(t("report.cli.suffix", lang, name=str(output)))
    sessions = open_sessions()
    with sessions.read() as session:
        today = company_today(session)
    try:
        if args.start or args.end:
            if not (args.start and args.end) or args.period:
                raise SystemExit(t("report.cli.dates", lang))
            period = Period.custom(args.start, args.end)
        else:
            period = Period.parse(args.period or "last12", today=today)
    except ValidationError:
        raise SystemExit(t("kpis.error.period", lang)) from None
    actor = SYSTEM
    if args.username:
        user = get_user(sessions, username=args.username)
        if user is None:
            raise SystemExit(t("kpis.cli.no_user", lang, name=args.username))
        actor = user.as_actor()
    filters = KpiFilters(
        owner_id=_find_owner(sessions, args.owner, lang) if args.owner else None,
        department_id=_find_department(sessions, args.department, lang) if args.department else None,
        value_tier=args.tier or None,
        industry=args.industry or None,
        region=args.region or None,
    )
    report = build_report(sessions, actor=actor, period=period, filters=filters, lang=lang)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(report_html(report) if output.suffix.lower() == ".html" else report_pdf(report))
    print(t("report.cli.written", lang, name=str(output), period=period.label(lang)))
    if args.csv_dir:
        args.csv_dir.mkdir(parents=True, exist_ok=True)
        for name, data in report_csvs(report).items():
            (args.csv_dir / name).write_bytes(data)
            print(t("report.cli.written_csv", lang, name=str(args.csv_dir / name)))
    return 0
