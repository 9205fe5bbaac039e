"""`python -m crm satisfaction figures --from DATE --to DATE [--by ...] [--json]`: the satisfaction figures of a
period (CSAT, NPS with its interval, responses, dimensions, recovery, the monthly trend), and a breakdown.

Added to the `satisfaction` command (crm/cli.py calls register after the features' own commands, so the command
made by crm/satisfaction/commands.py gets this as a further subcommand).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
from typing import Any

from crm.platform.i18n import t

BY = {
    "tier": "value_tier",
    "stage": "lifecycle_stage",
    "owner": "owner",
    "department": "department",
    "industry": "industry",
    "region": "region",
}


def _satisfaction_commands(subparsers: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """Return the `satisfaction` command's subcommands, making the command if no one has yet."""
    parser = subparsers.choices.get("satisfaction")
    if parser is None:
        parser = subparsers.add_parser("satisfaction", help="satisfaction surveys and their figures")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest="satisfaction_command", required=True)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `satisfaction figures`."""
    figures = _satisfaction_commands(subparsers).add_parser(
        "figures",
        help="CSAT, NPS with its 95%% interval, responses, dimensions, recovery and the monthly trend of a period",
    )
    figures.add_argument("--from", dest="start", type=dt.date.fromisoformat, required=True, help="YYYY-MM-DD")
    figures.add_argument("--to", dest="end", type=dt.date.fromisoformat, required=True, help="YYYY-MM-DD, included")
    figures.add_argument("--by", choices=tuple(BY), help="also break the figures down by this")
    figures.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    figures.add_argument("--lang", choices=("en", "zh"), default="en")
    figures.set_defaults(func=_cmd_figures)


def _number(value: float | None, lang: str, pattern: str = "{:.1f}") -> str:
    return t("satisfaction.figures.no_data", lang) if value is None else pattern.format(value)


def _share(value: float | None, lang: str) -> str:
    return _number(value, lang, "{:.1%}")


def _nps(nps: Any, lang: str) -> str:
    if nps.score is None:
        return t("satisfaction.figures.no_data", lang)
    interval = t("satisfaction.figures.nps_interval", lang, low=f"{nps.low:.1f}", high=f"{nps.high:.1f}")
    small = f" · {t('satisfaction.figures.small_sample', lang)}" if nps.small_sample else ""
    return f"{nps.score:.1f} ({interval}){small}"


def _plain(value: Any) -> Any:
    """The figures as JSON values: dataclasses as objects, dates as ISO text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _cmd_figures(args: argparse.Namespace) -> int:
    from crm.platform.permissions import SYSTEM
    from crm.platform.uow import open_sessions
    from crm.satisfaction.figures import breakdown, monthly_trend, satisfaction_figures

    sessions, lang = open_sessions(), args.lang
    period: dict[str, Any] = {"actor": SYSTEM, "start": args.start, "end": args.end}
    figures = satisfaction_figures(sessions, **period)
    trend = monthly_trend(sessions, **period)
    rows = breakdown(sessions, by=BY[args.by], lang=lang, **period) if args.by else None
    if args.json:
        document = {"start": args.start, "end": args.end, "figures": figures, "trend": trend}
        if rows is not None:
            document["by"] = BY[args.by]
            document["breakdown"] = rows
        print(json.dumps(_plain(document), ensure_ascii=False, indent=2))
        return 0

    def label(key: str) -> str:
        return t(f"satisfaction.figures.{key}", lang)

    csat, nps, recovery = figures.csat, figures.nps, figures.recovery
    print(f"{args.start.isoformat()} – {args.end.isoformat()}")
    print(f"{label('responses')}: {figures.responses}")
    print(
        f"{label('csat')}: {_number(csat.mean, lang, '{:.2f}')} · {label('satisfied_share')} "
        f"{_share(csat.satisfied_share, lang)} ({csat.satisfied}/{csat.responses})"
    )
    print(
        f"{label('nps')}: {_nps(nps, lang)} · {label('promoters')} {nps.promoters}, {label('passives')} "
        f"{nps.passives}, {label('detractors')} {nps.detractors}"
    )
    print(
        f"{label('recovery_rate')}: {_share(recovery.rate, lang)} ({recovery.recovered}/"
        f"{recovery.with_later_response}; {label('alerted_customers')} {recovery.alerted_customers})"
    )
    if figures.dimensions:
        print(
            f"\n{label('dimension'):<24}{label('dimension_mean'):>12}{label('answered'):>12}{label('unanswered'):>12}"
        )
        for code, mean in figures.dimensions.items():
            name = t(f"satisfaction.dimension.{code}", lang)
            name = code if name == f"satisfaction.dimension.{code}" else name
            print(f"{name[:24]:<24}{_number(mean.mean, lang, '{:.2f}'):>12}{mean.answered:>12}{mean.unanswered:>12}")
    print(f"\n{label('month'):<12}{label('responses'):>10}{label('csat'):>12}{label('nps'):>12}")
    for month in trend:
        print(
            f"{month.month.strftime('%Y-%m'):<12}{month.responses:>10}{_number(month.csat.mean, lang, '{:.2f}'):>12}"
            f"{_number(month.nps.score, lang):>12}"
        )
    if rows is not None:
        print(
            f"\n{t(f'satisfaction.figures.by.{BY[args.by]}', lang):<28}{label('responses'):>10}{label('csat'):>12}"
            f"{label('satisfied'):>16}  {label('nps')}"
        )
        for row in rows:
            print(
                f"{row.label[:28]:<28}{row.responses:>10}{_number(row.csat.mean, lang, '{:.2f}'):>12}"
                f"{_share(row.csat.satisfied_share, lang):>16}  {_nps(row.nps, lang)}"
            )
    return 0
