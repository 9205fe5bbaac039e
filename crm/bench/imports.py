"""Benchmark of the order import: N order rows (CSV and Excel, as `python -m crm import orders` reads them) for
customers already in the database, through the real import (dry run, import, re-import of the same file).

The target the issue sets: 100,000 order rows in under 30 seconds on this machine.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from crm.bench.search import BENCH_CODE_PREFIX, generate
from crm.exchange.imports import import_file
from crm.platform.permissions import SYSTEM
from db.engine import Sessions
from db.models import Customer, Order

HEADER = ("customer_code", "order_date", "amount", "product", "order_no")
_PRODUCTS = ("云服务器", "数据库服务", "技术支持 年度", "Consulting day", "Hardware kit", "培训课程", "软件许可证",
             "Maintenance plan")
TARGET_SECONDS = 30.0


@dataclass(frozen=True)
class ImportTiming:
    label: str
    rows: int
    seconds: float
    counts: dict[str, int]

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def order_rows(customers: int, orders: int, *, seed: int = 7, today: dt.date | None = None) -> list[tuple[str, ...]]:
    """Order rows for customers B0000001..: dates in the two years before today, amounts with two decimals."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    rows = []
    for n in range(1, orders + 1):
        customer = rng.randrange(1, customers + 1)
        day = today - dt.timedelta(days=rng.randrange(1, 730))
        amount = Decimal(rng.randrange(100, 50_000_000)) / 100
        rows.append((f"{BENCH_CODE_PREFIX}{customer:07d}", day.isoformat(), f"{amount:.2f}", rng.choice(_PRODUCTS),
                     f"SO{n:08d}"))
    return rows


def as_csv(rows: list[tuple[str, ...]]) -> bytes:
    """The rows as a UTF-8 CSV with BOM (what Excel writes when saving "CSV UTF-8")."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def as_xlsx(rows: list[tuple[str, ...]]) -> bytes:
    """The rows as an Excel workbook (typed cells: dates as dates, amounts as numbers)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("orders")
    sheet.append(HEADER)
    for code, day, amount, product, order_no in rows:
        sheet.append([code, dt.date.fromisoformat(day), float(amount), product, order_no])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _timed(label: str, rows: int, call: Callable[[], object]) -> ImportTiming:
    started = time.perf_counter()
    report = call()
    seconds = time.perf_counter() - started
    counts = dict(getattr(report, "counts", {}))
    errors = getattr(report, "errors", ())
    if errors:
        raise SystemExit(f"{label}: {len(errors)} rows refused, e.g. line {errors[0].line}: {errors[0].message('en')}")
    return ImportTiming(label, rows, seconds, counts)


def run(sessions: Sessions, *, orders: int, customers: int, progress: Callable[[str], None] = print
        ) -> list[ImportTiming]:
    """Prepare the customers (or reuse earlier bench data), then time the imports of `orders` order rows."""
    with sessions.read() as session:
        existing = int(session.scalar(select(func.count()).select_from(Customer)) or 0)
        foreign = session.scalar(select(Customer.id).where(~Customer.code.like(f"{BENCH_CODE_PREFIX}%")).limit(1))
    if existing and foreign is not None:
        raise SystemExit("refusing to benchmark on a database with real customers: give an empty one (--url)")
    if existing < customers:
        if existing:
            raise SystemExit(f"the database holds {existing:,} bench customers, fewer than {customers:,}: "
                             "give an empty one (--url)")
        started = time.perf_counter()
        generate(sessions, customers=customers, progress=lambda _message: None)
        progress(f"{customers:,} customers generated in {time.perf_counter() - started:.0f} s")
    with sessions.begin() as session:  # every run starts from no orders
        session.execute(Order.__table__.delete())
    rows = order_rows(customers, orders)
    csv_data = as_csv(rows)
    started = time.perf_counter()
    xlsx_data = as_xlsx(rows)
    progress(f"{orders:,} order rows: CSV {len(csv_data) / 1e6:.1f} MB, Excel {len(xlsx_data) / 1e6:.1f} MB "
             f"(written in {time.perf_counter() - started:.1f} s)")

    def importing(filename: str, data: bytes, *, dry_run: bool = False) -> Callable[[], object]:
        return lambda: import_file(sessions, actor=SYSTEM, kind="orders", filename=filename, data=data,
                                   dry_run=dry_run)

    timings = [
        _timed("CSV dry run (check every row, write nothing)", orders, importing("orders.csv", csv_data, dry_run=True)),
        _timed("CSV import (one transaction)", orders, importing("orders.csv", csv_data)),
        _timed("CSV re-import (same file: nothing new)", orders, importing("orders.csv", csv_data)),
    ]
    with sessions.begin() as session:
        session.execute(Order.__table__.delete())
    timings.append(_timed("Excel import (one transaction)", orders, importing("orders.xlsx", xlsx_data)))
    with sessions.read() as session:
        stored = int(session.scalar(select(func.count()).select_from(Order)) or 0)
    if stored != orders:
        raise SystemExit(f"expected {orders:,} orders in the database after the Excel import, found {stored:,}")
    progress(f"{'import of order rows':<48} {'rows':>8} {'seconds':>8} {'rows/s':>8}  counts")
    for timing in timings:
        counts = ", ".join(f"{k} {v:,}" for k, v in timing.counts.items())
        progress(f"{timing.label:<48} {timing.rows:>8,} {timing.seconds:>8.1f} {timing.rows_per_second:>8,.0f}  "
                 f"{counts}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    slowest = max(t.seconds for t in timings if "dry run" not in t.label)
    verdict = "within" if slowest < TARGET_SECONDS else "OVER"
    progress(f"slowest import {slowest:.1f} s: {verdict} the {TARGET_SECONDS:.0f} s target; "
             f"peak memory of this process {peak:,.0f} MB")
    return timings
