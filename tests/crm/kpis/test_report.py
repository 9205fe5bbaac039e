"""The managers' report: one self-contained HTML file and a PDF with the cards, charts, filters and date, in the
reader's language; each chart's data as CSV; `python -m crm kpi report` writes them."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from crm.cli import main
from crm.complaints import DepartmentInput, save_department
from crm.kpis import KpiFilters, Period
from crm.kpis.report import build_report, chart_csv, report_csvs, report_html, report_pdf
from crm.kpis.targets import set_target
from crm.platform import clock
from crm.platform.i18n import format_money_compact, t
from crm.platform.permissions import SYSTEM
from crm.platform.users import create_user
from db.engine import Sessions
from tests.crm.classification.classification_data import add_customer, add_orders

NOW = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC)
MAY = Period.month(2026, 5)


@pytest.fixture(autouse=True)
def _june_2026() -> Iterator[None]:
    with clock.frozen_at(NOW):
        yield


def _manager(sessions: Sessions):  # type: ignore[no-untyped-def]
    return create_user(
        sessions, actor=SYSTEM, username="lina", display_name="李娜", password="password-1", role="manager"
    ).as_actor()


@pytest.fixture
def base(sqlite_sessions: Sessions) -> Sessions:
    """Two customers of 李娜 with orders in April and May 2026 (¥1,200.50 and ¥300 in May)."""
    manager = _manager(sqlite_sessions)
    first = add_customer(sqlite_sessions, "C1", owner_id=manager.id, name="上海星河贸易", value_tier="high")
    second = add_customer(sqlite_sessions, "C2", owner_id=manager.id, name="=HYPERLINK(1)", value_tier="low")
    add_orders(sqlite_sessions, first, [(dt.date(2026, 5, 3), "1200.50"), (dt.date(2026, 4, 2), "500")])
    add_orders(sqlite_sessions, second, [(dt.date(2026, 5, 20), "300")])
    return sqlite_sessions


def _report(sessions: Sessions, lang: str, filters: KpiFilters | None = None):  # type: ignore[no-untyped-def]
    manager = _manager_of(sessions)
    return build_report(sessions, actor=manager, period=MAY, filters=filters or KpiFilters(), lang=lang)


def _manager_of(sessions: Sessions):  # type: ignore[no-untyped-def]
    from crm.platform.users import get_user

    user = get_user(sessions, username="lina")
    assert user is not None
    return user.as_actor()


def _card(report, code: str):  # type: ignore[no-untyped-def]
    return next(card for _, cards in report.groups for card in cards if card.code == code)


def test_the_report_shows_each_figure_with_its_change_and_its_target_mark(base: Sessions) -> None:
    manager = _manager_of(base)
    set_target(base, actor=manager, kpi="revenue", period_key="2026-05", value="2000")

    report = _report(base, "en")

    revenue = _card(report, "revenue")
    assert revenue.value == format_money_compact(Decimal("1500.50"), "en")
    assert revenue.delta == "+" + format_money_compact(Decimal("1000.50"), "en")  # April: ¥500
    assert revenue.status == "red"  # 1,500.50 misses 2,000 by more than 10%
    assert revenue.target == format_money_compact(Decimal("2000"), "en")
    assert _card(report, "complaints_received").value == "0"
    assert _card(report, "resolution_rate").value == "No data"  # no complaint: no denominator, never 0%
    assert report.period == MAY.label("en")
    assert ("Period", MAY.label("en")) in report.filters


def test_the_html_report_is_one_self_contained_file(base: Sessions) -> None:
    html = report_html(_report(base, "en")).decode("utf-8")

    assert html.startswith("<!DOCTYPE html>")
    assert t("report.title", "en") in html and MAY.label("en") in html
    assert format_money_compact(Decimal("1500.50"), "en") in html
    # nothing to fetch: no external stylesheet, script, image or font
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", html, re.IGNORECASE)
    assert "<link" not in html and "<script" not in html and "@import" not in html
    images = re.findall(r"<img [^>]*src=\"([^\"]+)\"", html)
    assert images and all(src.startswith("data:image/png;base64,") for src in images)


def test_the_html_report_in_chinese_names_the_filters_and_escapes_what_users_typed(base: Sessions) -> None:
    manager = _manager_of(base)
    report = _report(base, "zh", KpiFilters(owner_id=manager.id, value_tier="high"))

    html = report_html(report).decode("utf-8")

    assert '<html lang="zh-Hans">' in html
    assert t("report.title", "zh") in html
    assert "负责人: 李娜" in html and "价值等级: 高" in html and "行业: 全部" in html
    assert MAY.label("zh") in html


def test_the_pdf_report_carries_the_chinese_text_in_the_embedded_cjk_font(base: Sessions) -> None:
    pdf = report_pdf(_report(base, "zh"))

    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    text = re.sub(r"[\s\x00]+", "", "".join(page.extract_text() for page in reader.pages))  # pypdf spaces CJK
    for words in (t("report.title", "zh"), MAY.label("zh"), t("kpis.kpi.revenue", "zh"), "李娜"):
        assert re.sub(r"\s+", "", words) in text, words
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
        if "/BaseFont" in font.get_object()
    }
    assert any("NotoSansCJK" in name for name in fonts), fonts


def test_each_charts_data_is_a_csv_that_spreadsheets_read_safely(base: Sessions) -> None:
    report = _report(base, "zh")
    files = report_csvs(report)

    assert files and all(name.endswith(".csv") for name in files)
    for chart in report.charts:
        data = chart_csv(chart)
        assert data.startswith("\ufeff".encode())  # Excel reads UTF-8 Chinese with the byte-order mark
        assert "=HYPERLINK" not in data.decode("utf-8-sig").replace("'=HYPERLINK", "")


def test_the_report_command_writes_the_html_and_the_pdf_and_the_charts_csv(
    base: Sessions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CRM_DATABASE_URL", base.engine.url.render_as_string(hide_password=False))
    html, pdf, csv = tmp_path / "out" / "may.html", tmp_path / "may.pdf", tmp_path / "csv"

    assert main(["kpi", "report", "--period", "2026-05", "--lang", "zh", "--owner", "lina", "-o", str(html)]) == 0
    assert main(["kpi", "report", "--from", "2026-05-01", "--to", "2026-05-31", "-o", str(pdf), "--csv", str(csv)]) == 0

    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "负责人: 李娜" in page and MAY.label("zh") in page
    assert "命令行 生成于" in page and "System" not in page  # the command line's actor, in the report's language
    assert pdf.read_bytes().startswith(b"%PDF")
    assert {p.name for p in csv.iterdir()} >= {"funnel.csv", "by_class.csv", "new_vs_churned.csv", "cadence.csv"}
    assert "2026年5月" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["kpi", "report", "--period", "2026-05", "-o", str(tmp_path / "may.docx")])


def test_the_report_names_the_department_filtered_on_every_database(sessions: Sessions) -> None:
    admin = create_user(
        sessions, actor=SYSTEM, username="root", display_name="Root", password="password-1", role="admin"
    ).as_actor()
    sales = save_department(
        sessions, actor=admin, data=DepartmentInput(code="SALES", name_en="Sales", name_zh="销售部", function="sales")
    )
    customer = add_customer(sessions, "D1", name="北京益华", department_id=sales.id, value_tier="medium")
    add_orders(sessions, customer, [(dt.date(2026, 5, 9), "800")])

    report = build_report(sessions, actor=admin, period=MAY, filters=KpiFilters(department_id=sales.id), lang="zh")

    assert ("部门", "销售部") in report.filters
    assert _card(report, "revenue").value == format_money_compact(Decimal("800"), "zh")
    assert _card(report, "new_customers").value == "1"
    assert {chart.name for chart in report.charts} >= {"funnel", "by_class", "concentration", "complaints"}
