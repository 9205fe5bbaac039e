"""Charts rendered to PNG and SVG draw Chinese text with the packaged CJK font, not as empty boxes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import altair as alt
import pandas as pd
from fontTools.ttLib import TTCollection
from PIL import Image, ImageChops

from crm.platform.charts import CJK_FONT_FAMILY, CJK_FONT_INDEX, CJK_FONT_PATH, chart_png, chart_svg

# Two code points no font draws (unassigned in Unicode): what a missing glyph looks like, whatever the fallback.
TOFU = "\u0378\u0379"


def _text_chart(text: str) -> alt.Chart:
    return (
        alt.Chart(pd.DataFrame({"label": [text]}))
        .mark_text(fontSize=48)
        .encode(text="label:N")
        .properties(width=200, height=80)
        .configure_view(stroke=None)
    )


def _pixels(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("L")


def _differ(a: bytes, b: bytes) -> bool:
    return ImageChops.difference(_pixels(a), _pixels(b)).getbbox() is not None


def test_the_packaged_font_is_simplified_chinese_and_covers_the_labels() -> None:
    face = TTCollection(str(CJK_FONT_PATH)).fonts[CJK_FONT_INDEX]
    assert face["name"].getDebugName(1) == CJK_FONT_FAMILY
    cmap = face.getBestCmap()
    assert all(ord(ch) in cmap for ch in "客户满意度投诉处理及时率漏斗")


def test_a_chart_with_chinese_labels_renders_to_svg_with_its_text_in_the_cjk_font() -> None:
    data = pd.DataFrame({"stage": ["潜在客户", "签约", "流失"], "customers": [3, 5, 2]})
    chart = alt.Chart(data, title="客户漏斗").mark_bar().encode(x="stage:N", y="customers:Q")

    svg = chart_svg(chart).decode("utf-8")

    assert svg.startswith("<svg")
    for label in ("客户漏斗", "潜在客户", "签约", "流失"):
        assert f">{label}</text>" in svg
    assert CJK_FONT_FAMILY in svg


def test_a_chart_with_chinese_labels_renders_to_png_at_the_asked_scale() -> None:
    png = chart_png(_text_chart("客户"), scale=2)
    single = chart_png(_text_chart("客户"), scale=1)

    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert _pixels(png).size == (2 * _pixels(single).size[0], 2 * _pixels(single).size[1])


def test_chinese_characters_are_drawn_as_glyphs_not_as_empty_boxes() -> None:
    """Missing glyphs all look alike: two different words drawn alike, or drawn like tofu, would be boxes."""
    customers = chart_png(_text_chart("客户"))
    satisfaction = chart_png(_text_chart("满意"))
    tofu = chart_png(_text_chart(TOFU))
    blank = chart_png(_text_chart(" "))

    assert _differ(customers, satisfaction)
    assert _differ(customers, tofu)
    assert _differ(satisfaction, tofu)
    assert _differ(customers, blank)


# Renders two words in a process that sees no system font (fontconfig pointed at an empty configuration), as on a
# fresh machine: prints whether the two words' pixels differ (they don't when both are drawn as boxes).
_FRESH_MACHINE = textwrap.dedent(
    """
    import io, sys
    import altair as alt, pandas as pd, vl_convert
    from PIL import Image, ImageChops
    if sys.argv[1] == "registered":
        from crm.platform.charts import register_cjk_font
        register_cjk_font()
    def pixels(text):
        chart = alt.Chart(pd.DataFrame({"t": [text]})).mark_text(fontSize=48).encode(text="t:N")
        spec = chart.properties(width=200, height=80).configure(font="Noto Sans CJK SC").to_dict()
        return Image.open(io.BytesIO(vl_convert.vegalite_to_png(spec))).convert("L")
    print(ImageChops.difference(pixels("客户"), pixels("满意")).getbbox() is not None)
    """
)


def _drawn_on_a_machine_without_fonts(tmp_path: Path, mode: str) -> bool:
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig><dir>/nonexistent</dir></fontconfig>'
    )
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "FONTCONFIG_FILE": str(config), "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", _FRESH_MACHINE, mode], env=env, cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip() == "True"


def test_chinese_renders_on_a_machine_whose_only_fonts_came_with_pip(tmp_path: Path) -> None:
    """The system's CJK fonts hidden, the packaged font alone draws the glyphs; without it they are boxes."""
    assert not _drawn_on_a_machine_without_fonts(tmp_path, "bare")
    assert _drawn_on_a_machine_without_fonts(tmp_path, "registered")
