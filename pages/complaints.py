"""Complaints & suggestions: queues, a new complaint, its detail, inquiries, suggestions, root causes and the time
limits."""

import streamlit as st

from ui.auth import page_actor
from ui.complaints import keys
from ui.complaints.detail import detail_section
from ui.complaints.inquiries import inquiries_section
from ui.complaints.intake import intake_section
from ui.complaints.queue import queue_section
from ui.complaints.root_causes import root_causes_section
from ui.complaints.settings import settings_section
from ui.complaints.suggestions import suggestions_section
from ui.complaints.widgets import follow_next_tab
from ui.i18n import t
from ui.sections import Section, show_sections
from ui.state import get_sessions

SECTIONS = (
    Section("queue", "complaints.tab.queue", queue_section),
    Section("new", "complaints.tab.new", intake_section, "complaints.handle"),
    Section("detail", "complaints.tab.detail", detail_section),
    Section("inquiries", "complaints.tab.inquiries", inquiries_section),
    Section("suggestions", "complaints.tab.suggestions", suggestions_section),
    Section("root_causes", "complaints.tab.root_causes", root_causes_section, "kpi.view"),
    Section("settings", "complaints.tab.settings", settings_section, "complaints.manage"),
)

actor = page_actor("complaints.view")
sessions = get_sessions()
st.title(t("complaints.title"))
follow_next_tab()  # a complaint just filed opens on its Detail tab
show_sections(keys.TAB, SECTIONS, sessions, actor)  # only the open tab's section runs its queries
