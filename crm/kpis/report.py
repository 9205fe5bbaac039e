"""The managers' report: the KPI figures in words, and the one-page report as self-contained HTML and as PDF.

The same words serve the dashboard's cards (ui/kpis/cards.py), the report files and `python -m crm kpi report`.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

import altair as alt
import pandas as pd
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from sqlalchemy import select

from crm.exchange import defuse_formula
from crm.kpis.chart_specs import charts_for
from crm.kpis.definitions import KPI_BY_CODE, KPIS, KpiDefinition, KpiFilters, KpiValue, compute_kpis
from crm.kpis.periods import Period
from crm.kpis.targets import status, targets_for
from crm.platform.charts import CJK_FONT_INDEX, CJK_FONT_PATH, chart_png
from crm.platform.clock import company_zone_name, utcnow, zone_named
from crm.platform.i18n import (
    format_datetime,
    format_figure,
    format_money,
    format_money_compact,
    format_number,
    format_percent,
    t,
)
from crm.platform.parallel import run_together, sharing
from crm.platform.permissions import Actor
from db.engine import Sessions
from db.models import Department, User

log = logging.getLogger("crm.kpis.report")

# The cards' groups, in the page's order (KPIs the definitions add later go to a last group of their own).
CARD_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "dashboard.group.customers",
        (
            "customers",
            "new_customers",
            "churned_customers",
            "churn_rate",
            "conversion_rate",
            "median_days_to_sign",
        ),
    ),
    (
        "dashboard.group.revenue",
        ("revenue", "revenue_top20_share", "customers_making_80", "cadence_compliance", "overdue_follow_ups"),
    ),
    (
        "dashboard.group.complaints",
        (
            "complaints_received",
            "resolution_rate",
            "on_time_rate",
            "reopen_rate",
            "median_hours_to_resolve",
            "suggestion_adoption_rate",
        ),
    ),
    ("dashboard.group.satisfaction", ("csat", "nps", "survey_responses", "recovery_rate")),
)
# Streamlit's badge colours, and the report's, for the target marks.
STATUS_COLOURS = {"green": "green", "amber": "orange", "red": "red"}
STATUS_HEX = {"green": "#1a7f37", "amber": "#b35900", "red": "#c62828"}
MINUS = "-"  # st.metric reads the direction of a delta from a leading ASCII minus


def _number(value: Any) -> float | None:
    if value is None:
        return None
    return float(value)


def format_value(definition: KpiDefinition, value: Any, lang: str) -> str:
    """A figure in its unit, in the language: 1,234 / 12.5% / ¥1.2M / 12.5 days / 4.21 / +35; "No data" for None."""
    number = _number(value)
    if number is None:
        return t("kpis.no_data", lang)
    unit = definition.unit
    if unit == "count":
        return format_number(int(round(number)), lang)
    if unit == "rate":
        return format_percent(number, lang)
    if unit == "money":
        return format_money_compact(Decimal(str(value)), lang)
    if unit == "days":
        return t("kpis.value.days", lang, value=format_number(round(number, 1), lang))
    if unit == "hours":
        return t("kpis.value.hours", lang, value=format_number(round(number, 1), lang))
    if unit == "score":
        return f"{number:.2f}"
    if unit == "nps":
        return f"{number:+.0f}"
    return format_number(number, lang)


SMALL_SAMPLE = 30  # responses under which a satisfaction figure is a small sample (as the NPS says)


def _is_small_sample(value: KpiValue) -> bool:
    responses = _number(value.denominator)
    return responses is not None and responses < SMALL_SAMPLE


def format_delta(definition: KpiDefinition, value: KpiValue, previous: KpiValue | None, lang: str) -> str | None:
    """The change against the previous period in the figure's unit (percentage points for rates); None without
    both figures."""
    now, before = _number(value.value), _number(previous.value if previous is not None else None)
    if now is None or before is None:
        return None
    if definition.unit in ("score", "nps") and previous is not None and _is_small_sample(previous):
        return None  # a mean or an NPS of a handful of responses is no base to compare with (NPS marks < 30 small)
    change = now - before
    sign = "+" if change >= 0 else MINUS
    size = abs(change)
    unit = definition.unit
    if unit == "count":
        text = format_number(int(round(size)), lang)
    elif unit == "rate":
        text = t("dashboard.delta.points", lang, value=format_number(round(size * 100, 1), lang))
    elif unit == "money":
        text = format_money_compact(Decimal(str(round(size, 2))), lang)
    elif unit == "days":
        text = t("kpis.value.days", lang, value=format_number(round(size, 1), lang))
    elif unit == "hours":
        text = t("kpis.value.hours", lang, value=format_number(round(size, 1), lang))
    elif unit == "score":
        text = f"{size:.2f}"
    else:
        text = f"{size:.0f}"
    return f"{sign}{text}"


def value_detail(definition: KpiDefinition, value: KpiValue, lang: str) -> str:
    """What the figure was computed from: "12 of 40", the full sum of money, NPS's interval; "" when nothing."""
    parts: list[str] = []
    if definition.unit == "money" and value.value is not None:
        parts.append(format_money(Decimal(str(value.value)), lang))
    if value.numerator is not None and value.denominator is not None:
        parts.append(
            t(
                "dashboard.card.fraction",
                lang,
                numerator=format_figure(value.numerator, lang),
                denominator=format_figure(value.denominator, lang),
            )
        )
    low, high = value.extra.get("low"), value.extra.get("high")
    if definition.unit == "nps" and low is not None and high is not None:
        parts.append(t("dashboard.card.interval", lang, low=f"{float(low):+.0f}", high=f"{float(high):+.0f}"))
    if value.extra.get("small_sample"):
        parts.append(t("kpis.small_sample", lang))
    return " · ".join(parts)


# --- the report -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportCard:
    """One KPI as the report shows it, every text already in the report's language."""

    code: str
    label: str
    value: str
    delta: str | None
    status: str | None  # green / amber / red against the target, None without one
    target: str | None
    formula: str
    detail: str


@dataclass(frozen=True)
class ReportChart:
    """One chart: its file-safe name, its title, the Altair chart and the data it draws (headers translated)."""

    name: str
    title: str
    chart: alt.TopLevelMixin
    data: pd.DataFrame


@dataclass(frozen=True)
class Report:
    """Everything the report files show, in one language."""

    lang: str
    title: str
    period: str
    filters: list[tuple[str, str]]
    generated: str
    groups: list[tuple[str, list[ReportCard]]]
    charts: list[ReportChart] = field(default_factory=list)
    note: str = ""


def report_cards(
    values: Mapping[str, KpiValue],
    previous: Mapping[str, KpiValue],
    statuses: Mapping[str, str | None],
    targets: Mapping[str, Any],
    lang: str,
) -> list[tuple[str, list[ReportCard]]]:
    """The cards in their groups, as the page shows them."""
    placed = {code for _, codes in CARD_GROUPS for code in codes}
    rest = tuple(k.code for k in KPIS if k.code not in placed)
    groups = [*CARD_GROUPS, *((("dashboard.group.more", rest),) if rest else ())]
    out: list[tuple[str, list[ReportCard]]] = []
    for group_key, codes in groups:
        cards = []
        for code in codes:
            if code not in values:
                continue
            definition, value = KPI_BY_CODE[code], values[code]
            target = targets.get(code)
            cards.append(
                ReportCard(
                    code=code,
                    label=t(definition.label_key, lang),
                    value=format_value(definition, value.value, lang),
                    delta=format_delta(definition, value, previous.get(code), lang),
                    status=statuses.get(code),
                    target=None if target is None else format_value(definition, target, lang),
                    formula=t(definition.formula_key, lang),
                    detail=value_detail(definition, value, lang),
                )
            )
        if cards:
            out.append((t(group_key, lang), cards))
    return out


def chart_csv(chart: ReportChart) -> bytes:
    """The chart's data as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese right);
    texts a spreadsheet would evaluate are quoted as the exports quote them."""
    frame = chart.data.map(lambda value: defuse_formula(value) if isinstance(value, str) else value)
    frame.columns = [defuse_formula(str(c)) for c in frame.columns]
    return frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def report_csvs(report: Report) -> dict[str, bytes]:
    """{file name: CSV} of every chart's data."""
    return {f"{chart.name}.csv": chart_csv(chart) for chart in report.charts}


# --- HTML -------------------------------------------------------------------------------------------------------

_CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;
margin:24px auto;max-width:1120px;color:#1f2328;padding:0 16px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:15px;margin:18px 0 6px;color:#57606a}
.meta{color:#57606a;font-size:13px;margin:0 0 4px} .filters{font-size:13px;margin:4px 0 10px}
.filters span{display:inline-block;background:#f6f8fa;border:1px solid #d0d7de;border-radius:10px;padding:1px 8px;
margin:0 6px 4px 0}
.cards{display:grid;grid-template-columns:repeat(6,1fr);gap:8px}
.card{border:1px solid #d0d7de;border-radius:8px;padding:8px 10px}
.label{font-size:12px;color:#57606a} .value{font-size:20px;font-weight:600;margin:2px 0}
.delta{font-size:12px;color:#57606a} .status{font-size:11px;font-weight:600;margin-top:2px}
.detail{font-size:11px;color:#6e7781;margin-top:2px}
.charts{display:grid;grid-template-columns:repeat(2,1fr);gap:12px;margin-top:8px}
.chart{border:1px solid #d0d7de;border-radius:8px;padding:8px;text-align:center}
.chart img{max-width:100%;height:auto} .note{font-size:12px;color:#6e7781;margin-top:14px}
@media print{body{margin:0;max-width:none}.cards{grid-template-columns:repeat(6,1fr)}}
"""


def report_html(report: Report) -> bytes:
    """The report as one self-contained HTML file: styles inline, each chart a PNG data URI, no external link."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-Hans" if report.lang == "zh" else "en"}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(report.title)} · {e(report.period)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(report.title)}</h1>",
        f'<p class="meta">{e(report.period)} · {e(report.generated)}</p>',
        '<p class="filters">' + "".join(f"<span>{e(k)}: {e(v)}</span>" for k, v in report.filters) + "</p>",
    ]
    for group, cards in report.groups:
        parts.append(f'<h2>{e(group)}</h2><div class="cards">')
        for card in cards:
            parts.append(f'<div class="card" title="{e(card.formula)}">')
            parts.append(f'<div class="label">{e(card.label)}</div><div class="value">{e(card.value)}</div>')
            if card.delta:
                parts.append(f'<div class="delta">{e(card.delta)}</div>')
            if card.status:
                status = t(f"kpis.status.{card.status}", report.lang)
                target = f" · {card.target}" if card.target else ""
                parts.append(f'<div class="status" style="color:{STATUS_HEX[card.status]}">{e(status + target)}</div>')
            elif card.target:
                parts.append(
                    f'<div class="detail">{e(t("dashboard.card.target", report.lang, target=card.target))}</div>'
                )
            if card.detail:
                parts.append(f'<div class="detail">{e(card.detail)}</div>')
            parts.append("</div>")
        parts.append("</div>")
    if report.charts:
        parts.append(f'<h2>{e(t("dashboard.tab.charts", report.lang))}</h2><div class="charts">')
        for chart in report.charts:
            png = base64.b64encode(chart_png(chart.chart, scale=2)).decode("ascii")
            parts.append(f'<div class="chart"><img alt="{e(chart.title)}" src="data:image/png;base64,{png}"></div>')
        parts.append("</div>")
    if report.note:
        parts.append(f'<p class="note">{e(report.note)}</p>')
    parts.append("</body></html>")
    return "\n".join(parts).encode("utf-8")


# --- PDF --------------------------------------------------------------------------------------------------------

PDF_FONT = "cjk"
PDF_CHARTS_PER_ROW = 3  # the cards and eight charts on one A4 page
_GREY = (87, 96, 106)
_BORDER = (208, 215, 222)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def report_pdf(report: Report) -> bytes:
    """The report as an A4 PDF set in the packaged CJK font (it is embedded, so Chinese shows on any reader)."""
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(auto=True, margin=10)
    pdf.add_font(PDF_FONT, fname=str(CJK_FONT_PATH), collection_font_number=CJK_FONT_INDEX)
    pdf.set_title(f"{report.title} · {report.period}")
    pdf.set_creator("CRM")
    pdf.set_lang("zh-CN" if report.lang == "zh" else "en")
    pdf.add_page()
    wrap = WrapMode.CHAR if report.lang == "zh" else WrapMode.WORD
    width = pdf.epw

    pdf.set_font(PDF_FONT, size=16)
    pdf.cell(width, 8, report.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(PDF_FONT, size=9)
    pdf.set_text_color(*_GREY)
    pdf.multi_cell(
        width, 4.5, f"{report.period} · {report.generated}", wrapmode=wrap, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.multi_cell(
        width,
        4.5,
        " · ".join(f"{k}: {v}" for k, v in report.filters),
        wrapmode=wrap,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_text_color(0, 0, 0)

    per_row, gap, height = 6, 2.0, 15.0
    card_width = (width - gap * (per_row - 1)) / per_row
    for group, cards in report.groups:
        pdf.ln(1.5)
        pdf.set_font(PDF_FONT, size=8.5)
        pdf.set_text_color(*_GREY)
        pdf.cell(width, 5, group, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0, 0, 0)
        for start in range(0, len(cards), per_row):
            if pdf.get_y() + height > pdf.h - pdf.b_margin:
                pdf.add_page()
            top = pdf.get_y()
            for index, card in enumerate(cards[start : start + per_row]):
                _pdf_card(pdf, card, pdf.l_margin + index * (card_width + gap), top, card_width, height, report.lang)
            pdf.set_xy(pdf.l_margin, top + height + gap)

    if report.charts:
        pdf.ln(1)
        chart_gap, per_chart_row = 3.0, PDF_CHARTS_PER_ROW
        chart_width = (width - chart_gap * (per_chart_row - 1)) / per_chart_row
        for start in range(0, len(report.charts), per_chart_row):
            pair = report.charts[start : start + per_chart_row]
            images = [(chart, chart_png(chart.chart, scale=2)) for chart in pair]
            heights = [chart_width * _png_ratio(png) for _, png in images]
            row_height = max(heights)
            if pdf.get_y() + row_height > pdf.h - pdf.b_margin:
                pdf.add_page()
            top = pdf.get_y()
            for index, (_, png) in enumerate(images):
                pdf.image(io.BytesIO(png), x=pdf.l_margin + index * (chart_width + chart_gap), y=top, w=chart_width)
            pdf.set_xy(pdf.l_margin, top + row_height + chart_gap)

    if report.note:
        pdf.set_font(PDF_FONT, size=7.5)
        pdf.set_text_color(*_GREY)
        pdf.multi_cell(width, 3.4, report.note, align="L", wrapmode=wrap, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _pdf_card(pdf: FPDF, card: ReportCard, x: float, y: float, w: float, h: float, lang: str) -> None:
    pdf.set_draw_color(*_BORDER)
    pdf.rect(x, y, w, h, round_corners=True, corner_radius=1.5)
    wrap = WrapMode.CHAR if lang == "zh" else WrapMode.WORD
    pdf.set_font(PDF_FONT, size=6.5)
    pdf.set_text_color(*_GREY)
    pdf.set_xy(x + 1.2, y + 1)
    pdf.multi_cell(
        w - 2.4, 2.6, card.label, align="L", wrapmode=wrap, max_line_height=2.6, new_x=XPos.LEFT, new_y=YPos.NEXT
    )
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(PDF_FONT, size=11)
    pdf.set_xy(x + 1.2, y + 6.2)
    pdf.cell(w - 2.4, 5, card.value)
    line = " ".join(part for part in (card.delta,) if part)
    pdf.set_font(PDF_FONT, size=6)
    if card.status:
        pdf.set_text_color(*_rgb(STATUS_HEX[card.status]))
        line = f"{line}  {t(f'kpis.status.{card.status}', lang)}".strip()
    else:
        pdf.set_text_color(*_GREY)
    if line:
        pdf.set_xy(x + 1.2, y + h - 3.6)
        pdf.cell(w - 2.4, 3, line)
    pdf.set_text_color(0, 0, 0)


def _png_ratio(png: bytes) -> float:
    """Height over width of a PNG, read from its header."""
    width, height = struct.unpack(">II", png[16:24])
    return height / width if width else 0.5


# --- assembling it ----------------------------------------------------------------------------------------------

NO_TIER = "none"


def filters_in_words(
    sessions: Sessions, period: Period, filters: KpiFilters, lang: str, *, only_set: bool = False
) -> list[tuple[str, str]]:
    """The period and each filter in words ("All" for a filter not set; left out with only_set), owner and
    department by name."""
    every = t("dashboard.filter.all", lang)
    owner = department = every
    with sessions.read() as session:
        if filters.owner_id is not None:
            owner = (
                session.scalar(select(User.display_name).where(User.id == filters.owner_id)) or f"#{filters.owner_id}"
            )
        if filters.department_id is not None:
            row = session.execute(
                select(Department.name, Department.name_zh).where(Department.id == filters.department_id)
            ).first()
            department = f"#{filters.department_id}" if row is None else (row[1] or row[0] if lang == "zh" else row[0])
    tier, industry, region = filters.value_tier, filters.industry, filters.region
    named = [
        (t("dashboard.filter.owner", lang), filters.owner_id, owner),
        (t("dashboard.filter.department", lang), filters.department_id, department),
        (
            t("dashboard.filter.tier", lang),
            tier,
            every if tier is None else t("kpis.tier.none" if tier == NO_TIER else f"tier.{tier}", lang),
        ),
        (
            t("dashboard.filter.industry", lang),
            industry,
            every if industry is None else t(f"industry.{industry}", lang),
        ),
        (t("dashboard.filter.region", lang), region, every if region is None else t(f"region.{region}", lang)),
    ]
    return [
        (t("dashboard.filter.period", lang), period.label(lang)),
        *((label, words) for label, chosen, words in named if chosen is not None or not only_set),
    ]


def build_report(
    sessions: Sessions,
    *,
    actor: Actor,
    period: Period,
    filters: KpiFilters,
    lang: str,
    charts: list[ReportChart] | None = None,
) -> Report:
    """Gather the report of a period and filters in a language: the cards against the previous period and the
    targets, and the charts (the page passes the ones it drew; otherwise they are built here)."""
    reads: list[Callable[[], Any]] = [
        partial(compute_kpis, sessions, actor=actor, period=shown, filters=filters)
        for shown in (period, period.previous())
    ]
    if charts is None:
        reads.append(partial(report_charts, sessions, actor=actor, period=period, filters=filters, lang=lang))
    # At once, and what they read alike read once (crm/platform/parallel.py), as the page reads its figures.
    with sharing():
        results = run_together(reads, raise_failure=True)
    values, previous = results[0], results[1]
    charts = results[2] if charts is None else charts
    statuses, targets = target_marks(sessions, actor=actor, period=period, values=values)
    wanted = charts_for(actor)
    missing = [t(c.title_key, lang) for c in wanted if c.name not in {chart.name for chart in charts}]
    note = t("report.note", lang, previous=previous_label(period, lang))
    if missing:
        note += " " + t("report.missing_charts", lang, charts="; ".join(missing))
    zone = zone_named(company_zone_name(sessions))
    # The command line runs as the system actor: named in the report's language, not "System".
    who = actor.display_name if actor.id is not None else t("report.generated_by_command", lang)
    generated = t("report.generated", lang, when=format_datetime(utcnow(), lang, zone), who=who)
    return Report(
        lang=lang,
        title=t("report.title", lang),
        period=period.label(lang),
        filters=filters_in_words(sessions, period, filters, lang),
        generated=generated,
        groups=report_cards(values, previous, statuses, targets, lang),
        charts=charts,
        note=note,
    )


def previous_label(period: Period, lang: str) -> str:
    """The period the changes are against, by its dates where its name would read as this one's (the last 12 months
    a year earlier)."""
    before = period.previous()
    if before.kind in ("last_12_months", "custom"):
        return Period.custom(before.start, before.end).label(lang)
    return before.label(lang)


def marks(values: Mapping[str, KpiValue], targets: Mapping[str, Any]) -> dict[str, str | None]:
    """Each figure's mark against its target: green, amber, red; None without a figure or a target."""
    return {
        code: status(value.value, targets.get(code), KPI_BY_CODE[code].higher_is_better)
        for code, value in values.items()
    }


def target_marks(
    sessions: Sessions, *, actor: Actor, period: Period, values: Mapping[str, KpiValue]
) -> tuple[dict[str, str | None], dict[str, Any]]:
    """Each KPI's target for the period (a month takes its quarter's) and its mark against it."""
    targets = targets_for(sessions, period)
    return marks(values, targets), dict(targets)


def report_charts(
    sessions: Sessions,
    *,
    actor: Actor,
    period: Period,
    filters: KpiFilters,
    lang: str,
    only: Sequence[str] | None = None,
) -> list[ReportChart]:
    """The dashboard's charts (all, or those named) for the report, not clickable."""
    charts = []
    for chart in charts_for(actor):
        if only is not None and chart.name not in only:
            continue
        try:
            part = chart.build(chart.data(sessions, actor=actor, period=period, filters=filters), lang, False)
        except Exception:  # noqa: BLE001 - one chart that fails leaves the rest of the report to send
            log.exception("the report's chart %s could not be made", chart.name)
            continue
        charts.append(ReportChart(chart.name, t(chart.title_key, lang), part.chart, part.table))
    return charts
