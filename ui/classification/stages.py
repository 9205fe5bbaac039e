"""Stages section: how many potential customers were signed, and how long customers stay in each stage."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.classification.reads import cached_stage_statistics
from ui.i18n import number, t
from ui.widgets import data_table


def stages_section(sessions: Sessions, actor: Actor) -> None:
    """Draw the conversion figures and the time spent in each stage."""
    stats = cached_stage_statistics(actor)
    cols = st.columns(3)
    cols[0].metric(t("classification.page.ever_potential"), number(stats.ever_potential))
    cols[1].metric(t("classification.page.signed_from_potential"), number(stats.ever_signed_from_potential))
    cols[2].metric(t("classification.page.conversion"), "—" if stats.conversion is None else f"{stats.conversion:.1%}")
    data_table(
        pd.DataFrame(
            [
                {
                    t("classification.dimension.lifecycle_stage"): t(f"stage.{s.stage}"),
                    t("classification.page.col.stays_done"): s.completed,
                    t("classification.page.col.avg_days_done"): s.avg_days_completed,
                    t("classification.page.col.current"): s.current,
                    t("classification.page.col.avg_days_current"): s.avg_days_current,
                }
                for s in stats.times
            ]
        ),
        hide_index=True,
        width="stretch",
    )
