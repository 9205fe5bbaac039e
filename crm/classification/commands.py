"""`python -m crm classify [--as-of YYYY-MM-DD]`: recompute the classes and print the customers in each class.

`--bench-customers N` times the run instead, on generated data in a separate database (`--bench-url`, by default
a SQLite file data/bench_classification.db), never on the configured one.
"""

from __future__ import annotations

import argparse
import datetime as dt

from crm.classification.service import COMPUTED_DIMENSIONS, RecomputeResult
from crm.platform.i18n import t

DEFAULT_BENCH_PATH = "data/bench_classification.db"


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("classify", help="recompute value, size, relationship and credit-risk classes")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                        help="classify as of this date (default: today in the company time zone)")
    parser.add_argument("--bench-customers", type=int, default=None, metavar="N",
                        help="benchmark: generate N customers (~10 orders each) in a separate database and time runs")
    parser.add_argument("--bench-orders-per-customer", type=float, default=10.0, metavar="K")
    parser.add_argument("--bench-url", default=None, help=f"benchmark database (default sqlite:///{DEFAULT_BENCH_PATH})")
    parser.set_defaults(func=_cmd_classify)


def print_counts(result: RecomputeResult) -> None:
    """Print how many customers are in each class of each computed dimension."""
    print(t("classification.cli.summary", "en", customers=f"{result.customers:,}", as_of=result.as_of.isoformat(),
            seconds=f"{result.seconds:.1f}", written=f"{result.rows_written:,}",
            changes=f"{sum(result.changed.values()):,}"))
    for dimension in COMPUTED_DIMENSIONS:
        counts = result.counts.get(dimension, {})
        cells = "  ".join(f"{value}={count:,}" for value, count in sorted(counts.items(), key=lambda kv: -kv[1]))
        print(f"  {dimension:<14} {cells}   (changed {result.changed.get(dimension, 0):,})")


def _cmd_classify(args: argparse.Namespace) -> int:
    if args.bench_customers:
        return _bench(args)
    from crm.classification.service import recompute
    from crm.platform.permissions import SYSTEM
    from crm.platform.uow import open_sessions

    print_counts(recompute(open_sessions(), actor=SYSTEM, as_of=args.as_of))
    return 0


def _bench(args: argparse.Namespace) -> int:
    from crm.bench.classification import run
    from db.engine import PROJECT_ROOT, make_engine, make_session_factory, masked_url, upgrade_database

    url = args.bench_url or f"sqlite:///{PROJECT_ROOT / DEFAULT_BENCH_PATH}"
    engine = make_engine(url)
    upgrade_database(engine)
    print(f"benchmark database: {masked_url(url)}")
    report = run(make_session_factory(engine), customers=args.bench_customers,
                 orders_per_customer=args.bench_orders_per_customer, as_of=args.as_of)
    print(f"{report.customers:,} customers, {report.orders:,} orders (generation {report.generated_seconds:.0f} s)")
    for timed in report.runs:
        print(f"{timed.label}: {timed.wall_seconds:.1f} s wall clock, {timed.cpu_seconds:.1f} s CPU of this process")
        print_counts(timed.result)
    return 0
