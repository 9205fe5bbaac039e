"""`python -m crm stress`: W processes save the same records at once; print what was saved, refused and lost."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import TYPE_CHECKING

from crm.platform.i18n import t

if TYPE_CHECKING:
    from crm.stress.checks import KindFigures, Report


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"a whole number, not {text!r}") from error
    if value < 1:
        raise argparse.ArgumentTypeError("at least 1")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the stress command."""
    from crm.stress.runner import DEFAULT_URL, POOL_CUSTOMERS

    stress = subparsers.add_parser(
        "stress",
        help="concurrency: W processes read and save the same records at once; checks for lost updates",
        description="Fills a database of its own with the demo data (200 customers), then W worker processes each "
        "do N random operations (customer fields and tags, follow-up completions and reschedules, complaint moves "
        "and hand-offs), each saving with the version it read. Prints accepted writes, conflicts, errors, "
        "writes missing from the audit trail, lost updates and derived counts against a recount, with p50/p95 "
        "latency per operation. Exit status 1 when a check fails. Never runs on the configured database.",
    )
    stress.add_argument("--workers", type=_positive, default=8, metavar="W", help="worker processes (default 8)")
    stress.add_argument("--ops", type=_positive, default=500, metavar="N", help="operations per worker (default 500)")
    stress.add_argument(
        "--database",
        default=DEFAULT_URL,
        metavar="URL",
        help="an empty database, or one an earlier stress run filled (default: data/stress.db)",
    )
    stress.add_argument("--seed", type=int, default=42, help="the demo data's and the workers' seed (default 42)")
    stress.add_argument(
        "--pool",
        type=_positive,
        default=POOL_CUSTOMERS,
        metavar="K",
        help=f"customers the workers share (default {POOL_CUSTOMERS})",
    )
    stress.add_argument("--json", action="store_true", help="print the report as JSON instead of a table")
    stress.add_argument("--lang", choices=("en", "zh"), default="en")
    stress.set_defaults(func=_cmd_stress)


def _cmd_stress(args: argparse.Namespace) -> int:
    from crm.stress.runner import StressRefused, run

    try:
        report = run(
            url=args.database,
            workers=args.workers,
            ops=args.ops,
            seed=args.seed,
            pool_size=args.pool,
            progress=lambda line: print(line, file=sys.stderr, flush=True),
        )
    except StressRefused as refused:
        print(t("stress.refused_database", args.lang, reason=str(refused)), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(as_json(report), ensure_ascii=False, indent=2, default=str))
    else:
        print(render(report, args.lang))
    return 0 if report.passed else 1


def as_json(report: Report) -> dict[str, object]:
    """The report as plain data, with the checks that failed."""
    return {**dataclasses.asdict(report), "passed": report.passed, "failed_checks": report.failed_checks}


def _ms(p50: float | None, p95: float | None) -> str:
    return "-" if p50 is None else f"{p50:.1f} / {p95:.1f}"


def _row(figures: KindFigures, lang: str) -> str:
    return (
        f"{t(f'stress.kind.{figures.kind}', lang):<24}{figures.operations:>7}{figures.accepted:>10}"
        f"{figures.conflicts:>11}{figures.refused:>9}{figures.errors:>8}"
        f"{_ms(figures.read_p50_ms, figures.read_p95_ms):>20}{_ms(figures.save_p50_ms, figures.save_p95_ms):>20}"
    )


def render(report: Report, lang: str = "en") -> str:
    """The report as a table of operations and a list of checks, in the language."""
    rate = round(report.total.operations / report.seconds, 1) if report.seconds else 0
    fields = dataclasses.asdict(report)
    lines = [
        t(
            "stress.title",
            lang,
            **{k: fields[k] for k in ("database", "dialect", "workers", "ops", "seed", "pool")},
            seconds=report.seconds,
            rate=rate,
        ),
        *(
            [t("stress.load", lang, before=report.load[0], after=report.load[1], cpus=report.cpus or "?")]
            if report.load
            else []
        ),
        "",
        f"{t('stress.column.kind', lang):<24}{t('stress.column.operations', lang):>7}"
        f"{t('stress.column.accepted', lang):>10}{t('stress.column.conflicts', lang):>11}"
        f"{t('stress.column.refused', lang):>9}{t('stress.column.errors', lang):>8}"
        f"{t('stress.column.read', lang):>20}{t('stress.column.save', lang):>20}",
        *(_row(k, lang) for k in report.kinds),
        _row(report.total, lang),
        "",
        t("stress.checks", lang),
    ]
    failed = set(report.failed_checks)

    def line(name: str, value: int, judged: bool = True) -> str:
        verdict = "" if not judged else t("stress.fail" if name in failed else "stress.ok", lang)
        return f"  {t(f'stress.check.{name}', lang):<68}{value:>8}  {verdict}"

    lines += [
        line("accepted", report.total.accepted, judged=False),
        line("conflicts", report.total.conflicts, judged=False),
        line("conflicts_unnamed", report.conflicts_unnamed),
        line("refused", report.total.refused - report.refusals_unexplained, judged=False),
        line("refusals_unexplained", report.refusals_unexplained),
        line("retried", report.total.retried, judged=False),
        line("errors", report.errors),
        line("audit_missing", report.audit_missing),
        line("lost_updates", report.lost_updates),
        line("calendar_drift", report.calendar_drift),
        line("next_follow_up_drift", report.next_follow_up_drift),
        line("last_contact_drift", report.last_contact_drift),
        line("worker_failures", len(report.worker_failures)),
    ]
    if report.conflict_example:
        lines += ["", t("stress.example_conflict", lang), f"  {report.conflict_example}"]
    for title, keys in (("stress.refusal_keys", report.refusal_keys), ("stress.error_keys", report.error_keys)):
        if keys:
            lines += ["", t(title, lang), *(f"  {key}: {count}" for key, count in keys.items())]
    for check_name, texts in report.samples.items():
        lines += ["", t("stress.samples", lang, check=check_name), *(f"  {text}" for text in texts)]
    for failure in report.worker_failures:
        lines += ["", failure]
    lines += ["", t("stress.passed", lang) if report.passed else t("stress.failed", lang, checks=", ".join(failed))]
    return "\n".join(lines)
