"""Downloads of the satisfaction page: every table as CSV (formulas defused), every chart as PNG and SVG."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from crm.exchange.exports import defuse_formula
from crm.platform.i18n import t as translate
from ui.i18n import lang, t
from ui.satisfaction import keys
from ui.state import company_today

log = logging.getLogger("crm.ui")

EXPORT_WIDTH = 720  # pixels (the PNG is drawn at twice that)
MIME = {"csv": "text/csv", "png": "image/png", "svg": "image/svg+xml"}


def frame_csv(frame: pd.DataFrame) -> bytes:
    """A table as a CSV file Excel opens right: UTF-8 with a BOM, text a spreadsheet would evaluate quoted."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([defuse_formula(str(column)) for column in frame.columns])
    for row in frame.itertuples(index=False):
        writer.writerow(["" if _empty(v) else defuse_formula(v) if isinstance(v, str) else v for v in row])
    return out.getvalue().encode("utf-8-sig")


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)  # NaN


def _chart_bytes(fmt: str) -> Callable[[Any], bytes]:
    # crm.platform.charts imports vl-convert, which is only needed when a chart is downloaded.
    from crm.platform.charts import chart_png, chart_svg

    return chart_png if fmt == "png" else chart_svg


def _for_file(chart: Any) -> Any:
    """The chart with a width of its own: on screen it stretches to its column, in a file it would be narrow."""
    if getattr(chart, "width", alt.Undefined) is alt.Undefined:
        return chart.properties(width=EXPORT_WIDTH)
    return chart


def _deferred_chart(chart: Any, fmt: str, language: str) -> Callable[[], bytes]:
    def build() -> bytes:
        # Runs when the button is clicked, on its own thread: no Streamlit calls in here.
        try:
            return _chart_bytes(fmt)(_for_file(chart))
        except Exception:  # noqa: BLE001 - a download must never show a traceback
            log.exception("chart download as %s failed", fmt)
            return translate("satisfaction.page.download_failed", language).encode("utf-8")

    return build


def file_name(name: str, fmt: str) -> str:
    return f"satisfaction-{name}-{company_today():%Y%m%d}.{fmt}"


def chart_downloads(name: str, chart: Any, container: Any = None) -> None:
    """PNG and SVG download buttons for one chart (the image is made only when one is clicked)."""
    place = container if container is not None else st
    language = lang()
    row = place.container(horizontal=True)
    for fmt in ("png", "svg"):
        row.download_button(
            t(f"satisfaction.page.download_{fmt}"),
            data=_deferred_chart(chart, fmt, language),
            file_name=file_name(name, fmt),
            mime=MIME[fmt],
            on_click="ignore",
            icon=":material/download:",
            key=keys.download(name, fmt),
        )


def csv_download(name: str, frame: pd.DataFrame | Callable[[], pd.DataFrame], container: Any = None) -> None:
    """A CSV download button for one table (a function making the table is called only when clicked)."""
    place = container if container is not None else st
    language = lang()

    def build() -> bytes:
        try:
            return frame_csv(frame() if callable(frame) else frame)
        except Exception:  # noqa: BLE001
            log.exception("table download %s failed", name)
            return translate("satisfaction.page.download_failed", language).encode("utf-8-sig")

    place.download_button(
        t("satisfaction.page.download_csv"),
        data=build,
        file_name=file_name(name, "csv"),
        mime=MIME["csv"],
        on_click="ignore",
        icon=":material/download:",
        key=keys.download(name, "csv"),
    )
