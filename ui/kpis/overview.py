"""The overview: headline figures and the customer base by stage and value tier."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.i18n import money, money_compact, number, t
from ui.kpis.reads import cached_overview


def overview_section(sessions: Sessions, actor: Actor) -> None:
    """Six headline figures, then customers by stage and by value tier (cached, keyed by the actor)."""
    figures = cached_overview(actor)
    # Staff see their own figures here, while the Customers page may list everyone's: each count says which it is.
    st.caption(t(f"home.scope.{figures.scope}"))

    top, bottom = st.columns(3), st.columns(3)
    top[0].metric(t(f"home.customers.{figures.scope}"), number(figures.customers))
    top[1].metric(t("home.signed"), number(figures.signed))
    top[2].metric(t("home.revenue_12m"), money_compact(figures.revenue_12m), help=money(figures.revenue_12m))
    bottom[0].metric(t("home.open_tasks"), number(figures.open_tasks))
    bottom[1].metric(t("home.overdue_tasks"), number(figures.overdue_tasks))
    bottom[2].metric(t("home.open_complaints"), number(figures.open_complaints))

    if figures.customers == 0:
        st.info(t("home.empty"))
        return
    left, right = st.columns(2)
    count = t("home.count")
    for column, title, prefix, counts in (
        (left, t("home.by_stage"), "stage", figures.by_stage),
        (right, t("home.by_tier"), "tier", figures.by_tier),
    ):
        frame = pd.DataFrame({"label": [t(f"{prefix}.{k}") for k in counts], count: list(counts.values())})
        chart = (
            alt.Chart(frame, title=title)
            .mark_bar()
            .encode(
                x=alt.X("label:N", sort=None, title=None, axis=alt.Axis(labelAngle=0)),
                y=alt.Y(f"{count}:Q"),
                tooltip=["label", count],
            )
        )
        column.altair_chart(chart, width="stretch")
