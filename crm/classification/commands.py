"""`python -m crm classify [--as-of YYYY-MM-DD]`: recompute the classes and print the customers in each class.

The run's benchmark is a section of `python -m crm bench` (crm/bench/classification.py).
"""

from __future__ import annotations

import argparse
import datetime as dt

from crm.classification.service import COMPUTED_DIMENSIONS, RecomputeResult
from crm.platform.i18n import t


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("classify", help="recompute value, size, relationship and credit-risk classes")
    parser.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="classify as of this date (default: today in the company time zone)",
    )
    parser.set_defaults(func=_cmd_classify)


def print_counts(result: RecomputeResult) -> None:
    """Print how many customers are in each class of each computed dimension."""
    print(
        t(
            "classification.cli.summary",
            "en",
            customers=f"{result.customers:,}",
            as_of=result.as_of.isoformat(),
            seconds=f"{result.seconds:.1f}",
            written=f"{result.rows_written:,}",
            changes=f"{sum(result.changed.values()):,}",
        )
    )
    for dimension in COMPUTED_DIMENSIONS:
        counts = result.counts.get(dimension, {})
        cells = "  ".join(f"{value}={count:,}" for value, count in sorted(counts.items(), key=lambda kv: -kv[1]))
        print(f"  {dimension:<14} {cells}   (changed {result.changed.get(dimension, 0):,})")


def _cmd_classify(args: argparse.Namespace) -> int:
    from crm.classification.service import recompute
    from crm.platform.permissions import SYSTEM
    from crm.platform.uow import open_sessions

    print_counts(recompute(open_sessions(), actor=SYSTEM, as_of=args.as_of))
    return 0
