"""`python -m crm kpi show | snapshot | target set`: the dashboard's KPIs in the terminal, month-end snapshots
(daily, from cron) and targets."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from decimal import Decimal
from typing import Any

from crm.platform.i18n import format_figure, format_money, format_number, format_percent, t


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the kpi commands."""
    parser = subparsers.add_parser("kpi", help="the managers' KPIs: show, snapshot, targets")
    commands = parser.add_subparsers(dest="kpi_command", required=True)
    show = commands.add_parser("show", help="print every KPI with its numerator and denominator")
    show.add_argument("--period", help="2026-11, 2026-Q4, 2026, last12 or 2026-01-01..2026-03-31 (default: this month)")
    show.add_argument("--from", dest="start", type=dt.date.fromisoformat, help="YYYY-MM-DD (with --to)")
    show.add_argument("--to", dest="end", type=dt.date.fromisoformat, help="YYYY-MM-DD (with --from)")
    show.add_argument("--owner", help="the customers' owner: username or display name")
    show.add_argument("--department", help="the customers' department: code or name")
    show.add_argument("--tier", help="value tier: high, medium, low or none")
    show.add_argument("--industry")
    show.add_argument("--region")
    show.add_argument("--json", action="store_true", help="print JSON (Decimal amounts as strings)")
    show.add_argument("--lang", choices=("en", "zh"), default="en")
    show.set_defaults(func=_cmd_show)
    snapshot = commands.add_parser(
        "snapshot", help="freeze the KPIs of a month (default: every ended month not yet frozen; daily, from cron)"
    )
    snapshot.add_argument("--month", help="YYYY-MM: freeze (again) this ended month")
    snapshot.add_argument("--lang", choices=("en", "zh"), default="en")
    snapshot.set_defaults(func=_cmd_snapshot)
    rollups = commands.add_parser(
        "rollups", help="the dashboard's rollups: rebuild them from the records, or check them against a recount"
    ).add_subparsers(dest="rollups_command", required=True)
    rebuild = rollups.add_parser(
        "rebuild", help="recount every rollup from the records (after edits made outside the app or a bulk load)"
    )
    rebuild.set_defaults(func=_cmd_rollups_rebuild)
    check = rollups.add_parser("check", help="compare every rollup with a recount; exit 1 if any row differs")
    check.set_defaults(func=_cmd_rollups_check)
    target = commands.add_parser("target", help="KPI targets").add_subparsers(dest="target_command", required=True)
    set_ = target.add_parser("set", help="set the target of a KPI for a month or a quarter")
    set_.add_argument("kpi", help="a KPI code, e.g. on_time_rate")
    set_.add_argument("period", help="YYYY-MM or YYYY-Qn")
    set_.add_argument("value", help="a number; a rate as a share (0.9 for 90%%)")
    set_.add_argument("--lang", choices=("en", "zh"), default="en")
    set_.set_defaults(func=_cmd_target_set)


def _period(args: argparse.Namespace, today: dt.date) -> Any:
    from crm.kpis.periods import Period

    if args.start or args.end:
        if not (args.start and args.end) or args.period:
            raise SystemExit("give --from and --to together, or --period")
        return Period.custom(args.start, args.end)
    if args.period:
        return Period.parse(args.period, today=today)
    return Period.containing_month(today)


def _find_owner(sessions: Any, name: str, lang: str) -> int:
    from sqlalchemy import or_, select

    from db.models import User

    with sessions.read() as session:
        found = session.scalars(
            select(User.id).where(or_(User.username == name, User.display_name == name)).order_by(User.id)
        ).first()
    if found is None:
        raise SystemExit(t("kpis.cli.no_user", lang, name=name))
    return int(found)


def _find_department(sessions: Any, name: str, lang: str) -> int:
    from sqlalchemy import or_, select

    from db.models import Department

    with sessions.read() as session:
        found = session.scalars(
            select(Department.id)
            .where(or_(Department.code == name, Department.name == name, Department.name_zh == name))
            .order_by(Department.id)
        ).first()
    if found is None:
        raise SystemExit(t("kpis.cli.no_department", lang, name=name))
    return int(found)


def format_value(value: Any, unit: str, lang: str) -> str:
    """A KPI value as the terminal and the report show it ("No data" for None)."""
    if value is None:
        return t("kpis.no_data", lang)
    if unit == "rate":
        return format_percent(float(value), lang)
    if unit == "money":
        return format_money(value, lang)
    if unit in ("days", "hours"):
        return t(f"kpis.value.{unit}", lang, value=format_number(round(float(value), 1), lang))
    if unit == "score":
        return format_number(round(float(value), 2), lang)
    if unit == "nps":
        return format_number(round(float(value), 1), lang)
    return format_number(value, lang)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _cmd_show(args: argparse.Namespace) -> int:
    from crm.kpis.definitions import KPI_BY_CODE, KpiFilters, compute_kpis
    from crm.platform.clock import company_today
    from crm.platform.errors import ValidationError
    from crm.platform.permissions import SYSTEM
    from crm.platform.uow import open_sessions

    sessions, lang = open_sessions(), args.lang
    with sessions.read() as session:
        today = company_today(session)
    try:
        period = _period(args, today)
    except ValidationError:
        raise SystemExit(t("kpis.error.period", lang)) from None
    filters = KpiFilters(
        owner_id=_find_owner(sessions, args.owner, lang) if args.owner else None,
        department_id=_find_department(sessions, args.department, lang) if args.department else None,
        value_tier=args.tier or None,
        industry=args.industry or None,
        region=args.region or None,
    )
    values = compute_kpis(sessions, actor=SYSTEM, period=period, filters=filters)
    if args.json:
        document = {
            "period": period.key(),
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "filters": filters.to_query(),
            "kpis": {
                code: {
                    "value": _plain(v.value),
                    "numerator": _plain(v.numerator),
                    "denominator": _plain(v.denominator),
                    "unit": KPI_BY_CODE[code].unit,
                    "extra": _plain(v.extra),
                }
                for code, v in values.items()
            },
        }
        json.dump(document, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    from wcwidth import ljust, rjust

    from crm.kpis.report import filters_in_words

    print(f"{t('kpis.cli.period', lang)}: {period.label(lang)} ({period.start} – {period.end})")
    words = filters_in_words(sessions, period, filters, lang, only_set=True)[1:]  # the period is the line above
    said = [f"{name}: {value}" for name, value in words]
    print(f"{t('kpis.cli.filters', lang)}: {' · '.join(said) or t('dashboard.filter.all', lang)}")
    # Padded to the text's width on screen: a Chinese character takes two columns.
    header = (t("kpis.cli.value", lang), t("kpis.cli.numerator", lang), t("kpis.cli.denominator", lang))
    print(ljust("", 36) + rjust(header[0], 20) + rjust(header[1], 20) + rjust(header[2], 18))
    for code, v in values.items():
        unit = KPI_BY_CODE[code].unit
        numerator = "" if v.numerator is None else format_figure(v.numerator, lang)
        denominator = "" if v.denominator is None else format_figure(v.denominator, lang)
        name = t(KPI_BY_CODE[code].label_key, lang)
        print(
            ljust(name, 36)
            + rjust(format_value(v.value, unit, lang), 20)
            + rjust(numerator, 20)
            + rjust(denominator, 18)
        )
    return 0


def _cmd_snapshot(args: argparse.Namespace) -> int:
    from crm.kpis.periods import Period
    from crm.kpis.snapshots import snapshot_month, snapshot_pending
    from crm.platform.errors import ValidationError
    from crm.platform.permissions import SYSTEM
    from crm.platform.uow import open_sessions

    sessions, lang = open_sessions(), args.lang
    try:
        if args.month:
            period = Period.parse(args.month)
            if period.kind != "month":
                raise ValidationError({"month": ("kpis.error.month", {})})
            snapshot_month(sessions, actor=SYSTEM, month=period.start)
            months = [period.start]
        else:
            months = snapshot_pending(sessions, actor=SYSTEM)
    except ValidationError:
        raise SystemExit(t("kpis.error.month", lang)) from None
    if not months:
        print(t("kpis.cli.nothing_to_freeze", lang))
    else:
        labels = ", ".join(f"{m.year:04d}-{m.month:02d}" for m in months)
        print(t("kpis.cli.frozen", lang, count=len(months), months=labels))
    if not args.month:
        # The daily run also prepares the usual periods' revenue windows (crm/kpis/windows.py) and moves the
        # rollups' stage horizon on when it comes within a year (crm.platform.rollups).
        from crm.kpis.windows import prepare_usual_windows
        from crm.platform.rollups import ensure_built, horizon_due, rebuild_all

        ensure_built(sessions)
        with sessions.begin() as session:
            if horizon_due(session.connection()):
                rebuild_all(session.connection())
        windows = prepare_usual_windows(sessions)
        print(t("kpis.cli.windows", lang, made=windows["made"], deleted=windows["deleted"]))
        from crm.kpis.snapshots import refresh_dashboard_statistics

        refresh_dashboard_statistics(sessions)
        print(t("kpis.cli.statistics", lang))
    return 0


def _cmd_target_set(args: argparse.Namespace) -> int:
    from crm.kpis.definitions import KPI_BY_CODE
    from crm.kpis.targets import set_target
    from crm.platform.errors import ValidationError
    from crm.platform.permissions import SYSTEM
    from crm.platform.uow import open_sessions

    lang = args.lang
    try:
        target = set_target(open_sessions(), actor=SYSTEM, kpi=args.kpi, period_key=args.period, value=args.value)
    except ValidationError as error:
        raise SystemExit("\n".join(t(key, lang, **params) for key, params in error.fields.values())) from None
    unit = KPI_BY_CODE[target.kpi].unit
    name = t(KPI_BY_CODE[target.kpi].label_key, lang)
    print(t("kpis.cli.target_set", lang, kpi=name, period=target.period, value=format_value(target.target, unit, lang)))
    return 0


def _cmd_rollups_rebuild(args: argparse.Namespace) -> int:
    import time

    from crm.platform.rollups import rebuild_all
    from crm.platform.uow import open_sessions

    sessions = open_sessions()
    started = time.perf_counter()
    with sessions.begin() as session:
        counts = rebuild_all(session.connection())
    for table, rows in counts.items():
        print(f"{table}: {rows:,} rows")
    print(f"rebuilt in {time.perf_counter() - started:.1f} s")
    return 0


def _cmd_rollups_check(args: argparse.Namespace) -> int:
    from crm.platform.rollups import check
    from crm.platform.uow import open_sessions

    sessions = open_sessions()
    with sessions.read() as session:
        differences = check(session.connection())
    for name, differing in differences.items():
        print(f"{name}: {'in step' if not differing else f'{differing:,} keys differ from a recount'}")
    return 1 if any(differences.values()) else 0
