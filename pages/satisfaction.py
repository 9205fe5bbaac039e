"""Satisfaction: the figures, the responses, recording one, templates, campaigns, alerts and the import."""

import streamlit as st

from ui.auth import page_actor
from ui.i18n import t
from ui.satisfaction import keys
from ui.satisfaction.alerts import alerts_section
from ui.satisfaction.campaigns import campaigns_section
from ui.satisfaction.import_panel import import_section
from ui.satisfaction.overview import overview_section
from ui.satisfaction.record import record_section
from ui.satisfaction.responses import responses_section
from ui.satisfaction.templates import templates_section
from ui.satisfaction.widgets import follow_next_tab
from ui.sections import Section, show_sections
from ui.state import get_sessions

SECTIONS = (
    Section("overview", "satisfaction.tab.overview", overview_section),
    Section("responses", "satisfaction.tab.responses", responses_section),
    Section("record", "satisfaction.tab.record", record_section, "satisfaction.record"),
    Section("alerts", "satisfaction.tab.alerts", alerts_section),
    Section("campaigns", "satisfaction.tab.campaigns", campaigns_section, "satisfaction.manage"),
    Section("templates", "satisfaction.tab.templates", templates_section, "satisfaction.manage"),
    Section("import", "satisfaction.tab.import", import_section, "satisfaction.manage"),
)

actor = page_actor("satisfaction.view")
sessions = get_sessions()
st.title(t("satisfaction.page.title"))
follow_next_tab()  # a clicked bar opens the Responses tab; a recorded response may open its detail
show_sections(keys.TAB, SECTIONS, sessions, actor)  # only the open tab's section runs its queries
if not actor.can("satisfaction.record"):
    st.caption(t("satisfaction.page.read_only"))
