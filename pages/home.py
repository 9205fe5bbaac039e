"""Overview: headline figures and the customer base by stage and value tier."""

import streamlit as st

from ui.auth import page_actor
from ui.i18n import t
from ui.kpis.overview import overview_section
from ui.state import get_sessions

actor = page_actor("customers.view")
st.title(t("home.title"))
overview_section(get_sessions(), actor)
