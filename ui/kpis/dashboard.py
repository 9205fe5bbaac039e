"""The managers' dashboard, top to bottom: the filters, the cards, the list behind a figure, then the tabs
(charts, trends, targets, report)."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from crm.kpis import KpiValue
from crm.kpis.chart_specs import charts_for
from crm.kpis.report import marks
from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.i18n import lang, t
from ui.kpis import keys
from ui.kpis.cards import cards_section
from ui.kpis.drill import drill_section
from ui.kpis.filters import DashboardView, filter_bar
from ui.kpis.reads import cached_kpis, cached_targets, prefetch_dashboard
from ui.sections import Section, open_section, show_sections
from ui.widgets import error_boundary


def _charts(sessions: Sessions, actor: Actor) -> None:
    from ui.kpis.charts import charts_section

    charts_section(actor)


def _trends(sessions: Sessions, actor: Actor) -> None:
    from ui.kpis.trends import trends_section

    trends_section(actor)


def _targets(sessions: Sessions, actor: Actor) -> None:
    from ui.kpis.targets import targets_section

    targets_section(actor)


def _report(sessions: Sessions, actor: Actor) -> None:
    from ui.kpis.report_panel import report_section

    report_section(actor)


SECTIONS = (
    Section("charts", "dashboard.tab.charts", _charts),
    Section("trends", "dashboard.tab.trends", _trends),
    Section("targets", "dashboard.tab.targets", _targets, "kpi.targets"),
    Section("report", "dashboard.tab.report", _report),
)


def dashboard_screen(sessions: Sessions, actor: Actor) -> None:
    """The whole dashboard for the view the URL holds."""
    view = filter_bar(actor)
    st.caption(t("dashboard.caption", period=view.period.label(lang())))
    charts = charts_for(actor) if open_section(keys.TAB, SECTIONS, actor) == "charts" else []
    prefetch_dashboard(actor, view.period, view.filters, lang(), [chart.name for chart in charts])
    with error_boundary("dashboard:cards"):
        values = cached_kpis(actor, view.period, view.filters)
        previous = cached_kpis(actor, view.period.previous(), view.filters)
        statuses, targets = _targets_of(actor, view, values)
        if all(v.no_data or not v.value for v in values.values()):
            st.info(t("dashboard.empty"), icon=":material/info:")
        cards_section(view, values, previous, statuses, targets)
    with error_boundary("dashboard:drill"):
        drill_section(actor)
    show_sections(keys.TAB, SECTIONS, sessions, actor)


def _targets_of(
    actor: Actor, view: DashboardView, values: Mapping[str, KpiValue]
) -> tuple[dict[str, str | None], dict[str, object]]:
    """Each KPI's target for the period and its mark (green / amber / red)."""
    targets = cached_targets(actor, view.period)
    return marks(values, targets), dict(targets)
