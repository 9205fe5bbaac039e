"""`python -m crm search reindex`: rebuild the customer search index; `search analyze`: count its grams again;
`search bench`: time searches.

`search bench --customers N` times the customer list's searches on generated data in a separate database
(`--url`, by default a SQLite file data/bench_search.db), never on the configured one.
"""

from __future__ import annotations

import argparse
import time

DEFAULT_BENCH_PATH = "data/bench_search.db"


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    search = subparsers.add_parser("search", help="customer search index").add_subparsers(
        dest="search_command", required=True)
    reindex = search.add_parser("reindex", help="bring the search index in step with every customer and contact "
                                                "(after edits made outside the app)")
    reindex.add_argument("--full", action="store_true",
                         help="empty the index and build it again in one transaction (searches keep the old index "
                              "until it commits; writes to customers wait for it)")
    reindex.set_defaults(func=_cmd_reindex)
    search.add_parser("analyze", help="count again how many customers hold each gram (daily, from cron: keeps "
                                      "searches choosing their rarest gram)").set_defaults(func=_cmd_analyze)
    bench = search.add_parser("bench", help="benchmark: time searches on N generated customers (separate database)")
    bench.add_argument("--customers", type=int, default=1_000_000, metavar="N")
    bench.add_argument("--url", default=None, help=f"benchmark database (default sqlite:///{DEFAULT_BENCH_PATH})")
    bench.set_defaults(func=_cmd_bench)


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
    print(f"search index checked for {checked:,} customers, {changed:,} brought in step, "
          f"in {time.perf_counter() - started:.1f} s")
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


def _cmd_bench(args: argparse.Namespace) -> int:
    from crm.bench.search import run
    from db.engine import PROJECT_ROOT, make_engine, make_session_factory, masked_url, upgrade_database

    url = args.url or f"sqlite:///{PROJECT_ROOT / DEFAULT_BENCH_PATH}"
    engine = make_engine(url)
    upgrade_database(engine)
    print(f"benchmark database: {masked_url(url)}")
    run(make_session_factory(engine), customers=args.customers)
    return 0
