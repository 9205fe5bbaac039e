"""Classification: customers by dimension, RFM grid, cadence exceptions, stages, policies, thresholds, overrides."""

import streamlit as st

from ui.auth import page_actor
from ui.classification import keys
from ui.classification.cadence import cadence_section
from ui.classification.credit import credit_section
from ui.classification.distribution import distribution_section
from ui.classification.last_run import last_run_caption
from ui.classification.overrides import overrides_section
from ui.classification.policies import policies_section
from ui.classification.rfm import rfm_section
from ui.classification.stages import stages_section
from ui.classification.thresholds import thresholds_section
from ui.i18n import t
from ui.sections import Section, show_sections
from ui.state import get_sessions

MANAGE = "classification.manage"
SECTIONS = (
    Section("distribution", "classification.page.tab.distribution", distribution_section),
    Section("rfm", "classification.page.tab.rfm", rfm_section),
    Section("cadence", "classification.page.tab.cadence", cadence_section),
    Section("stages", "classification.page.tab.stages", stages_section),
    Section("policies", "classification.page.tab.policies", policies_section),
    Section("thresholds", "classification.page.tab.thresholds", thresholds_section, MANAGE),
    Section("overrides", "classification.page.tab.overrides", overrides_section, MANAGE),
    Section("credit", "classification.page.tab.credit", credit_section, MANAGE),
)

actor = page_actor("customers.view")
sessions = get_sessions()
st.title(t("classification.page.title"))
last_run_caption(sessions, actor)
show_sections(keys.TAB, SECTIONS, sessions, actor)
