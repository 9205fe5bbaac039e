"""RFM grid section: recency score by frequency score, coloured by amount; a cell drills into its customers."""

from __future__ import annotations

import streamlit as st

from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.classification.charts import rfm_heatmap
from ui.classification.reads import cached_grid
from ui.i18n import t


def rfm_section(sessions: Sessions, actor: Actor) -> None:
    """Draw the RFM grid, or say that no customer has scores yet."""
    cells = cached_grid(actor)
    if not cells:
        st.info(t("classification.page.no_rfm"))
        return
    st.caption(t("classification.page.rfm_help"))
    rfm_heatmap(cells)
