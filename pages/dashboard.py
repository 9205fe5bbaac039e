"""The managers' dashboard: every KPI for a period and filters, against the previous period and the targets, the
charts, the list behind each figure, trends, targets and the report to send."""

import streamlit as st

from ui.auth import page_actor
from ui.i18n import t
from ui.kpis.dashboard import dashboard_screen
from ui.state import get_sessions

actor = page_actor("kpi.view")
st.title(t("dashboard.title"))
dashboard_screen(get_sessions(), actor)
