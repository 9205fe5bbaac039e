"""Cached read wrappers for pages (keyed by their arguments, cleared after writes)."""

from __future__ import annotations

import streamlit as st

from crm.kpis.overview import Overview, overview
from crm.platform.permissions import Actor
from ui.state import get_sessions

READ_TTL_SECONDS = 60


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_overview(actor: Actor) -> Overview:
    return overview(get_sessions(), actor=actor)


def clear_read_caches() -> None:
    """Forget cached figures after a write that changes them."""
    st.cache_data.clear()
