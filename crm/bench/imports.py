"""Benchmark section `import`: order rows (CSV and Excel, as `python -m crm import orders` reads them) for the data
set's customers, through the real import: a dry run, the import, a re-import of the same file, an Excel import.

The target the issue sets: 100,000 order rows in under 30 seconds on this machine. The imported orders are
numbered apart from the data set's own and deleted afterwards, so the data set keeps its shape.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import time
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import delete, func, select

from crm.bench.runner import Context, Measurement
from crm.exchange.imports import import_file
from crm.platform.permissions import SYSTEM
from db.engine import Sessions
from db.models import Customer, Order

ORDER_NO_PREFIX = "BENCH-SO"

HEADER = ("customer_code", "order_date", "amount", "product", "order_no")
_PRODUCTS = (
    "云服务器",
    "数据库服务",
    "技术支持 年度",
    "Consulting day",
    "Hardware kit",
    "培训课程",
    "软件许可证",
    "Maintenance plan",
)
TARGET_SECONDS = 30.0


def order_rows(codes: list[str], orders: int, *, seed: int = 7, today: dt.date | None = None) -> list[tuple[str, ...]]:
    """Order rows for the given customer codes: dates in the two years before today, amounts with two decimals,
    numbered BENCH-SO00000001.. (numbers the data set's own orders never use)."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    rows: list[tuple[str, ...]] = []
    for n in range(1, orders + 1):
        day = today - dt.timedelta(days=rng.randrange(1, 730))
        amount = Decimal(rng.randrange(100, 50_000_000)) / 100
        rows.append(
            (rng.choice(codes), day.isoformat(), f"{amount:.2f}", rng.choice(_PRODUCTS), f"{ORDER_NO_PREFIX}{n:08d}")
        )
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


def default_orders(customers: int) -> int:
    """Ten order rows per customer, at most 100,000 (the issue's target size)."""
    return min(100_000, 10 * customers)


def _timed(label: str, rows: int, call: Callable[[], object]) -> Measurement:
    started = time.perf_counter()
    report = call()
    seconds = time.perf_counter() - started
    errors = getattr(report, "errors", ())
    if errors:
        raise SystemExit(f"{label}: {len(errors)} rows refused, e.g. line {errors[0].line}: {errors[0].message('en')}")
    counts = ", ".join(f"{k} {v:,}" for k, v in dict(getattr(report, "counts", {})).items())
    rate = rows / seconds if seconds else 0.0
    return Measurement("import", label, round(seconds * 1000, 1), None, f"{rows:,} rows, {rate:,.0f} rows/s; {counts}")


def _delete_bench_orders(sessions: Sessions) -> None:
    with sessions.begin() as session:
        session.execute(delete(Order).where(Order.order_no.like(f"{ORDER_NO_PREFIX}%")))


def measure(ctx: Context) -> list[Measurement]:
    """Time the imports of the order rows, then delete what they wrote."""
    sessions = ctx.sessions
    orders = ctx.orders or default_orders(ctx.data.customers)
    with sessions.read() as session:
        codes = list(session.scalars(select(Customer.code).where(Customer.code.is_not(None)).order_by(Customer.id)))
    _delete_bench_orders(sessions)  # an earlier run stopped half-way
    rows = order_rows(codes, orders)
    csv_data = as_csv(rows)
    started = time.perf_counter()
    xlsx_data = as_xlsx(rows)
    ctx.progress(
        f"{orders:,} order rows: CSV {len(csv_data) / 1e6:.1f} MB, Excel {len(xlsx_data) / 1e6:.1f} MB "
        f"(written in {time.perf_counter() - started:.1f} s)"
    )

    def importing(filename: str, data: bytes, *, dry_run: bool = False) -> Callable[[], object]:
        return lambda: import_file(sessions, actor=SYSTEM, kind="orders", filename=filename, data=data, dry_run=dry_run)

    timings = [
        _timed("CSV dry run (check every row, write nothing)", orders, importing("orders.csv", csv_data, dry_run=True)),
        _timed("CSV import (one transaction)", orders, importing("orders.csv", csv_data)),
        _timed("CSV re-import (same file: nothing new)", orders, importing("orders.csv", csv_data)),
    ]
    _delete_bench_orders(sessions)
    timings.append(_timed("Excel import (one transaction)", orders, importing("orders.xlsx", xlsx_data)))
    with sessions.read() as session:
        stored = int(
            session.scalar(select(func.count()).select_from(Order).where(Order.order_no.like(f"{ORDER_NO_PREFIX}%")))
            or 0
        )
    _delete_bench_orders(sessions)
    if stored != orders:
        raise SystemExit(f"expected {orders:,} imported orders after the Excel import, found {stored:,}")
    slowest = max(t.cold_ms or 0.0 for t in timings[1:]) / 1000
    verdict = "within" if slowest < TARGET_SECONDS else "OVER"
    timings.append(
        Measurement(
            "import",
            "slowest import",
            round(slowest * 1000, 1),
            None,
            f"{verdict} the {TARGET_SECONDS:.0f} s target for {orders:,} rows",
        )
    )
    return timings
