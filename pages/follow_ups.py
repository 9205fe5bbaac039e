"""Follow-ups: my queue, log a contact, planned follow-ups, the team view, care dates and the automatic rules."""

import streamlit as st

from ui.auth import page_actor
from ui.follow_ups import keys
from ui.follow_ups.care import care_section
from ui.follow_ups.log import log_section
from ui.follow_ups.planned import planned_section
from ui.follow_ups.queue import queue_section
from ui.follow_ups.rules import rules_section
from ui.follow_ups.team import team_section
from ui.i18n import t
from ui.sections import Section, show_sections
from ui.state import get_sessions

SECTIONS = (
    Section("queue", "follow_ups.tab.queue", queue_section, "follow_ups.log"),
    Section("log", "follow_ups.tab.log", log_section, "follow_ups.log"),
    Section("planned", "follow_ups.tab.planned", planned_section, "follow_ups.log"),
    Section("team", "follow_ups.tab.team", team_section, "follow_ups.team"),  # with the calendar
    Section("care", "follow_ups.tab.care", care_section),  # the page's own permission, customers.view
    Section("rules", "follow_ups.tab.rules", rules_section, "follow_ups.manage"),
)

actor = page_actor("customers.view")
sessions = get_sessions()
st.title(t("follow_ups.title"))
show_sections(keys.TAB, SECTIONS, sessions, actor)  # only the open tab's section runs its queries
if not actor.can("follow_ups.log"):
    st.caption(t("follow_ups.read_only"))
