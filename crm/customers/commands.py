"""`python -m crm search reindex`: rebuild the customer search index; `search analyze`: count its grams again.

The searches' benchmark is a section of `python -m crm bench` (crm/bench/search.py).
"""

from __future__ import annotations

import argparse
import time


def register(subparsers: argparse._SubParsersAction) -> None:
    search = subparsers.add_parser("search", help="customer search index").add_subparsers(
        dest="search_command", required=True
    )
    reindex = search.add_parser(
        "reindex",
        help="bring the search index in step with every customer and contact (after edits made outside the app)",
    )
    reindex.add_argument(
        "--full",
        action="store_true",
        help="empty the index and build it again in one transaction (searches keep the old index "
        "until it commits; writes to customers wait for it)",
    )
    reindex.set_defaults(func=_cmd_reindex)
    search.add_parser(
        "analyze",
        help="count again how many customers hold each gram (daily, from cron: keeps "
        "searches choosing their rarest gram)",
    ).set_defaults(func=_cmd_analyze)


def _cmd_reindex(args: argparse.Namespace) -> int:
    from crm.customers.search_index import rebuild, reindex_all
    from crm.platform.uow import open_sessions
    from db.engine import refresh_statistics
    from db.search_grams import SEARCH_TABLES

    sessions = open_sessions()
    started = time.perf_counter()
    if args.full:
        with sessions.begin() as session:
            done = rebuild(session.connection(), progress=print)
        refresh_statistics(sessions.engine, SEARCH_TABLES, vacuum=True)  # every gram row was deleted and written
        print(f"search index rebuilt for {done:,} customers in {time.perf_counter() - started:.1f} s")
        return 0
    checked, changed = reindex_all(sessions, progress=print)
    print(
        f"search index checked for {checked:,} customers, {changed:,} brought in step, "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return 0


def _cmd_analyze(_args: argparse.Namespace) -> int:
    from crm.platform.uow import open_sessions
    from db.search_grams import count_grams

    sessions = open_sessions()
    started = time.perf_counter()
    with sessions.begin() as session:
        grams = count_grams(session.connection())
    print(f"{grams:,} search grams counted in {time.perf_counter() - started:.1f} s")
    return 0
