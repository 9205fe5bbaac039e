"""The KPI screens' cached reads, keyed by their arguments, and the one function that forgets them."""

from __future__ import annotations

import streamlit as st

from crm.kpis.overview import Overview, overview
from crm.platform.permissions import Actor
from ui.state import READ_TTL_SECONDS, get_sessions


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_overview(actor: Actor) -> Overview:
    """The overview's headline figures visible to the actor."""
    return overview(get_sessions(), actor=actor)


def clear_kpi_reads() -> None:
    """Forget the overview's figures: after a write to customers, orders, complaints or follow-ups."""
    cached_overview.clear()
