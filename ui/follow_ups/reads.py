"""The follow-up screens' cached reads, keyed by their arguments, and the one function that forgets them."""

from __future__ import annotations

import streamlit as st

from crm.follow_ups.queues import TeamOverview, team_overview
from crm.platform.permissions import Actor
from ui.state import READ_TTL_SECONDS, get_sessions


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_team_overview(actor: Actor, period: str) -> TeamOverview:
    """The team figures of a period (themselves a snapshot, recomputed when older than its setting)."""
    return team_overview(get_sessions(), actor=actor, period=period)


def clear_follow_up_reads() -> None:
    """Forget the cached team figures: after a follow-up write or a recomputed team snapshot."""
    cached_team_overview.clear()
