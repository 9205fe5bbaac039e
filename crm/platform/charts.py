"""Altair charts to PNG and SVG files (vl-convert), set in a CJK font that pip installs, so Chinese labels render.

The font is Noto Sans CJK (SIL Open Font License 1.1) from the `noto-cjk-sans-otc` package: a fresh machine
where `pip install -r requirements.txt` is the only install has no CJK system font, and vl-convert would draw
every Chinese character as an empty box. `CJK_FONT_PATH` and `CJK_FONT_INDEX` also serve the PDF report.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import altair as alt
import noto_cjk_sans_otc
import vl_convert

# The collection holds JP, KR, SC, TC, HK faces of one design; SC draws Simplified Chinese the mainland way.
CJK_FONT_PATH = Path(str(noto_cjk_sans_otc.FONT_PATH))
CJK_FONT_FAMILY = "Noto Sans CJK SC"
CJK_FONT_INDEX = 2  # the SC face's number in the collection (0 JP, 1 KR, 2 SC, 3 TC, 4 HK)

_registered = False
_lock = threading.Lock()


def register_cjk_font() -> None:
    """Make the packaged CJK font known to vl-convert, once per process."""
    global _registered
    with _lock:
        if not _registered:
            vl_convert.register_font_directory(str(CJK_FONT_PATH.parent))
            _registered = True


def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart's Vega-Lite spec with every text mark, axis, legend and title set in the CJK font."""
    spec: dict[str, Any] = chart.to_dict()
    config = spec.setdefault("config", {})
    config.setdefault("font", CJK_FONT_FAMILY)  # Vega-Lite's one switch for titles, axes, legends and text
    return spec


def chart_svg(chart: alt.TopLevelMixin) -> bytes:
    """Render the chart as an SVG document (UTF-8), its text set in the CJK font."""
    register_cjk_font()
    return vl_convert.vegalite_to_svg(_spec(chart)).encode("utf-8")


def chart_png(chart: alt.TopLevelMixin, scale: float = 2) -> bytes:
    """Render the chart as a PNG image at `scale` times its size in pixels, its text set in the CJK font."""
    register_cjk_font()
    return bytes(vl_convert.vegalite_to_png(_spec(chart), scale=scale))
