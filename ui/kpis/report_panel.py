"""The report to send: the view's cards, charts, filters and date as one HTML file or a PDF, and each chart's data
as CSV, in the user's language. Files are made when their button is clicked, never on a plain rerun."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import streamlit as st

from crm.kpis import KpiFilters, Period
from crm.kpis.chart_specs import CHARTS
from crm.kpis.report import build_report, chart_csv, report_charts, report_html, report_pdf
from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.i18n import lang, t
from ui.inert import inert
from ui.kpis import keys
from ui.kpis.filters import current_view
from ui.state import company_today, get_sessions


def report_section(actor: Actor) -> None:
    """Download buttons for the report (HTML, PDF) and for each chart's data (CSV)."""
    view = current_view()
    language = lang()
    sessions = get_sessions()
    stem = _file_stem(view.period, company_today())
    st.markdown(inert(t("report.panel.intro", period=view.period.label(language))))
    html_col, pdf_col = st.columns(2)
    html_col.download_button(
        t("report.panel.html"),
        data=_maker(sessions, actor, view.period, view.filters, language, "html"),
        file_name=f"{stem}.html",
        mime="text/html",
        key=keys.report_download("html"),
        icon=":material/html:",
        on_click="ignore",
        width="stretch",
    )
    pdf_col.download_button(
        t("report.panel.pdf"),
        data=_maker(sessions, actor, view.period, view.filters, language, "pdf"),
        file_name=f"{stem}.pdf",
        mime="application/pdf",
        key=keys.report_download("pdf"),
        icon=":material/picture_as_pdf:",
        on_click="ignore",
        width="stretch",
    )
    st.caption(t("report.panel.csv"))
    names = [(c.name, t(c.title_key)) for c in CHARTS if c.permission is None or actor.can(c.permission)]
    columns = st.columns(2)
    for index, (name, title) in enumerate(names):
        columns[index % 2].download_button(
            title,
            data=_csv_maker(sessions, actor, view.period, view.filters, language, name),
            file_name=f"{stem}-{name}.csv",
            mime="text/csv",
            key=keys.report_download(f"csv_{name}"),
            icon=":material/csv:",
            on_click="ignore",
            width="stretch",
        )


def _file_stem(period: Period, today: dt.date) -> str:
    return f"kpi-report-{period.key().replace('..', '_to_')}-{today.isoformat()}"


def _maker(
    sessions: Sessions, actor: Actor, period: Period, filters: KpiFilters, language: str, kind: str
) -> Callable[[], bytes]:
    """The file's bytes, made on click (in Streamlit's download thread: no session state there, all passed in)."""

    def make() -> bytes:
        report = build_report(sessions, actor=actor, period=period, filters=filters, lang=language)
        return report_html(report) if kind == "html" else report_pdf(report)

    return make


def _csv_maker(
    sessions: Sessions, actor: Actor, period: Period, filters: KpiFilters, language: str, name: str
) -> Callable[[], bytes]:
    def make() -> bytes:
        charts = report_charts(sessions, actor=actor, period=period, filters=filters, lang=language, only=(name,))
        return chart_csv(charts[0]) if charts else b""

    return make
