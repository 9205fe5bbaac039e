"""Administration: users and roles, the audit trail, settings."""

import streamlit as st

from ui.admin import keys
from ui.admin.audit import audit_section
from ui.admin.departments import departments_section
from ui.admin.settings import settings_section
from ui.admin.users import users_section
from ui.auth import page_actor
from ui.i18n import t
from ui.sections import Section, show_sections
from ui.state import get_sessions

SECTIONS = (
    Section("users", "admin.tab.users", users_section, "users.manage"),
    Section("audit", "admin.tab.audit", audit_section),  # the page's own permission, audit.view
    Section("settings", "admin.tab.settings", settings_section, "settings.manage"),
    Section("departments", "admin.tab.departments", departments_section, "departments.manage"),
)

actor = page_actor("audit.view")
sessions = get_sessions()
st.title(t("admin.title"))
show_sections(keys.TAB, SECTIONS, sessions, actor)
