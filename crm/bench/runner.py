"""The benchmark's sections, its run over one or more scales, its table and its JSON report."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from crm.bench.dataset import DataSet, open_bench_database, prepare
from crm.bench.scale import Targets
from db.engine import Sessions, masked_url

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Section:
    """One area of the benchmark: its name on the command line, what it times, the module with measure(ctx)."""

    name: str
    help: str
    module: str


# The registry: a new area (complaints, dashboard, ...) is one line here and a module with measure(ctx).
# Sections run in this order on the same data set; those that write (follow-ups, classification, import)
# keep the data set's shape, so a later section reads what an earlier one read.
SECTIONS: tuple[Section, ...] = (
    Section("search", "the customer list's searches (first page of 50 and the capped total)", "crm.bench.search"),
    Section("follow-ups", "the follow-up page's reads, a contact logged, the rules run", "crm.bench.follow_ups"),
    Section(
        "classification",
        "a classification run from scratch, the next day's, the same day again",
        "crm.bench.classification",
    ),
    Section(
        "import", "order rows through the real import (CSV dry run, import, re-import; Excel)", "crm.bench.imports"
    ),
    Section(
        "complaints",
        "the complaint queues' first page and total as a manager, at --complaints complaints",
        "crm.bench.complaints",
    ),
    Section(
        "satisfaction",
        "the satisfaction overview's figures, trend and tier breakdown (last 12 months), at --responses responses",
        "crm.bench.satisfaction",
    ),
    Section(
        "dashboard",
        "the managers' dashboard: compute_kpis and every chart's data (last 12 months, no filter and 3 filters), "
        "next to the naive pandas way",
        "crm.bench.dashboard",
    ),
    Section("pages", "every page's server-side render (Streamlit AppTest) as manager and staff", "crm.bench.pages"),
)
SECTION_NAMES = tuple(section.name for section in SECTIONS)


@dataclass(frozen=True)
class Measurement:
    """One row of the table: a cold run, the median of the warm runs (either may not apply), a note."""

    section: str
    name: str
    cold_ms: float | None
    warm_ms: float | None = None
    note: str = ""
    error: str | None = None


@dataclass(frozen=True)
class Context:
    """What a section gets: the prepared database and the run's options."""

    sessions: Sessions
    url: str
    data: DataSet
    warm_runs: int = 5
    orders: int | None = None  # import: order rows (default: 10 per customer, at most 100,000)
    complaints: int | None = None  # complaints: the table's size (default 1,000)
    responses: int | None = None  # satisfaction: the survey responses' count (default 1,000)
    progress: Progress = lambda _line: None


@dataclass
class ScaleReport:
    customers: int
    url: str
    dialect: str
    data: DataSet
    seconds: float = 0.0
    measurements: list[Measurement] = field(default_factory=list)


def time_call(
    section: str,
    name: str,
    call: Callable[[], object],
    *,
    warm_runs: int,
    note: Callable[[object], str] = lambda _result: "",
) -> Measurement:
    """Run call once (cold), then warm_runs times; keep the cold time and the warm runs' median, in ms."""
    started = time.perf_counter()
    result = call()
    cold = (time.perf_counter() - started) * 1000
    runs = []
    for _ in range(warm_runs):
        started = time.perf_counter()
        call()
        runs.append((time.perf_counter() - started) * 1000)
    warm = round(statistics.median(runs), 1) if runs else None
    return Measurement(section, name, round(cold, 1), warm, note(result))


def _measure(section: Section, ctx: Context) -> list[Measurement]:
    module = importlib.import_module(section.module)
    return list(module.measure(ctx))


def run(
    *,
    sections: Sequence[str],
    customers: Sequence[int],
    url_template: str,
    seed: int = 42,
    fresh: bool = False,
    warm_runs: int = 5,
    orders: int | None = None,
    complaints: int | None = None,
    responses: int | None = None,
    progress: Progress = print,
    scaled: Targets | None = None,
) -> list[ScaleReport]:
    """For each scale: prepare the data set in the benchmark database, then run the chosen sections on it.

    scaled: the data set is the demo multiplied in SQL to these totals (crm/bench/scale.py); customers is then
    [scaled.customers]."""
    chosen = [section for section in SECTIONS if section.name in sections]
    reports = []
    for count in customers:
        url = url_template.replace("{customers}", str(count))
        sessions = open_bench_database(url)
        try:
            progress(f"--- {count:,} customers, {sessions.dialect}: {masked_url(url)}")
            data = prepare(sessions, customers=count, seed=seed, fresh=fresh, progress=progress, scaled=scaled)
            report = ScaleReport(count, masked_url(url), sessions.dialect, data)
            ctx = Context(
                sessions,
                url,
                data,
                warm_runs=warm_runs,
                orders=orders,
                complaints=complaints,
                responses=responses,
                progress=progress,
            )
            started = time.perf_counter()
            for section in chosen:
                section_started = time.perf_counter()
                rows = _measure(section, ctx)
                report.measurements.extend(rows)
                progress(f"{section.name}: {len(rows)} measurements in {time.perf_counter() - section_started:.1f} s")
            report.seconds = round(time.perf_counter() - started, 1)
            reports.append(report)
        finally:
            sessions.engine.dispose()
    return reports


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def table(reports: Sequence[ScaleReport]) -> str:
    """One table: a row per measurement, cold and warm ms per scale, the largest scale's note (or error)."""
    rows: dict[tuple[str, str], dict[int, Measurement]] = {}
    for report in reports:
        for m in report.measurements:
            rows.setdefault((m.section, m.name), {})[report.customers] = m
    scales = [report.customers for report in reports]
    name_width = max([len(name) for _section, name in rows] + [11])
    section_width = max([len(section) for section, _name in rows] + [7])
    head = f"{'section':<{section_width}}  {'measurement':<{name_width}}"
    for scale in scales:
        head += f"  {f'{scale:,} cold ms':>17} {'warm ms':>9}"
    lines = [head + "  note", "-" * (len(head) + 6)]
    for (section, name), by_scale in rows.items():
        line = f"{section:<{section_width}}  {name:<{name_width}}"
        for scale in scales:
            cell = by_scale.get(scale)
            line += f"  {_ms(cell.cold_ms if cell else None):>17} {_ms(cell.warm_ms if cell else None):>9}"
        last = by_scale[max(by_scale)]
        lines.append(f"{line}  {('ERROR: ' + last.error) if last.error else last.note}".rstrip())
    return "\n".join(lines)


def load_average() -> list[float] | None:
    """Return the 1, 5 and 15 minute load averages (None where the system has none)."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def as_json(reports: Sequence[ScaleReport], *, options: dict[str, Any], started_load: list[float] | None) -> str:
    """The report as JSON: the machine, the options, and per scale its data set and measurements."""
    document = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_at_start": started_load,
            "load_average_at_end": load_average(),
        },
        "options": options,
        "scales": [
            {
                "customers": r.customers,
                "database": r.url,
                "dialect": r.dialect,
                "seconds": r.seconds,
                "data": asdict(r.data),
                "measurements": [asdict(m) for m in r.measurements],
            }
            for r in reports
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def write_json(path: Path, text: str) -> None:
    """Write the JSON report, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
