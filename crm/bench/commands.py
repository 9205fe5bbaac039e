"""`python -m crm bench`: time every area of the app (or the chosen sections) on the demo data set at one or more
scales, in a database of the benchmark's own; print one table and write one JSON report (BENCHMARKS.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_JSON = "data/bench.json"  # under the project's folder


def _names(text: str) -> list[str]:
    from crm.bench.runner import SECTION_NAMES

    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in SECTION_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown section {', '.join(unknown) or '(none)'}; choose from {','.join(SECTION_NAMES)}"
        )
    return names


def _scales(text: str) -> list[int]:
    try:
        scales = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"customers: a comma-separated list of numbers, not {text!r}") from error
    if not scales or min(scales) < 1:
        raise argparse.ArgumentTypeError("customers: at least one scale, each at least 1")
    return scales


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the bench command."""
    from crm.bench.dataset import DEFAULT_URL, ISSUE_SCALE_URL
    from crm.bench.runner import SECTIONS

    sections = "; ".join(f"{section.name}: {section.help}" for section in SECTIONS)
    bench = subparsers.add_parser(
        "bench",
        help="benchmark: time searches, follow-ups, classification, imports, complaints and pages on generated data",
        description=f"Sections, run in this order: {sections}. Each scale gets the demo data set in a database of "
        "its own (never the configured one), reused by the next run at the same scale and seed.",
    )
    bench.add_argument(
        "--sections", type=_names, default=None, metavar="NAME[,NAME...]", help="the sections to run (default: all)"
    )
    bench.add_argument(
        "--customers",
        type=_scales,
        default=None,
        metavar="N[,N...]",
        help="the scales: customers in the data set, one run per scale (default 1000)",
    )
    bench.add_argument(
        "--issue-scale",
        action="store_true",
        help="the dashboard issue's data set instead: the demo at 100,000 customers multiplied in SQL to exactly "
        "1,000,000 customers, 10,000,000 orders and logged contacts, 200,000 complaints, 500,000 survey responses "
        f"(default --url {ISSUE_SCALE_URL}; reused by the next run)",
    )
    bench.add_argument(
        "--load-only",
        action="store_true",
        help="load (or reuse) the data set and run no section",
    )
    bench.add_argument(
        "--url",
        default=None,
        metavar="URL",
        help="the benchmark database; {customers} in it stands for the scale "
        f"(default {DEFAULT_URL}); an empty database "
        "or one the benchmark filled, never the configured one",
    )
    bench.add_argument(
        "--json",
        default=DEFAULT_JSON,
        metavar="FILE",
        help=f"where to write the JSON report (default {DEFAULT_JSON}; '-' for none)",
    )
    bench.add_argument("--seed", type=int, default=42, help="the demo data's seed (default 42)")
    bench.add_argument("--fresh", action="store_true", help="load the data set again even if it is there")
    bench.add_argument(
        "--warm-runs",
        type=int,
        default=5,
        metavar="K",
        help="warm runs per measurement, their median is shown (default 5)",
    )
    bench.add_argument(
        "--orders",
        type=int,
        default=None,
        metavar="N",
        help="import: order rows to import (default 10 per customer, at most 100,000)",
    )
    bench.add_argument(
        "--complaints",
        type=int,
        default=None,
        metavar="N",
        help="complaints: bring the complaints table to N rows for the queues (default 1000; removed afterwards)",
    )
    bench.add_argument(
        "--responses",
        type=int,
        default=None,
        metavar="N",
        help="satisfaction: bring the survey responses to N rows (default 1000; removed afterwards)",
    )
    bench.set_defaults(func=_cmd_bench)


def _cmd_bench(args: argparse.Namespace) -> int:
    from crm.bench.dataset import DEFAULT_URL, ISSUE_SCALE_URL
    from crm.bench.runner import SECTION_NAMES, as_json, load_average, run, table, write_json
    from crm.bench.scale import ISSUE_SCALE
    from db.engine import PROJECT_ROOT, masked_url

    sections = [] if args.load_only else args.sections or list(SECTION_NAMES)
    scaled = ISSUE_SCALE if args.issue_scale else None
    if scaled and args.customers:
        print("--issue-scale sets the customers (1,000,000): give no --customers", file=sys.stderr)
        return 2
    customers = [scaled.customers] if scaled else args.customers or [1_000]
    url = args.url or (ISSUE_SCALE_URL if scaled else DEFAULT_URL)
    if len(customers) > 1 and "{customers}" not in url:
        print(
            "note: every scale reloads the same database (put {customers} in --url for one per scale)", file=sys.stderr
        )
    started_load = load_average()
    reports = run(
        sections=sections,
        customers=customers,
        url_template=url,
        seed=args.seed,
        fresh=args.fresh,
        warm_runs=max(0, args.warm_runs),
        orders=args.orders,
        complaints=args.complaints,
        responses=args.responses,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
        scaled=scaled,
    )
    print(table(reports))
    errors = sum(1 for report in reports for m in report.measurements if m.error)
    if args.json != "-":
        path = PROJECT_ROOT / DEFAULT_JSON if args.json == DEFAULT_JSON else Path(args.json)
        shown_url = masked_url(url).replace("%7B", "{").replace("%7D", "}")  # the {customers} placeholder
        options = {
            "sections": sections,
            "customers": customers,
            "issue_scale": args.issue_scale,
            "url": shown_url,
            "seed": args.seed,
            "fresh": args.fresh,
            "warm_runs": args.warm_runs,
            "orders": args.orders,
            "complaints": args.complaints,
            "responses": args.responses,
        }
        write_json(path, as_json(reports, options=options, started_load=started_load))
        print(f"JSON report: {path}", file=sys.stderr)
    if errors:
        print(f"{errors} measurement(s) failed: see ERROR in the table", file=sys.stderr)
        return 1
    return 0
