"""Overview: headline figures and the customer base by stage and value tier."""

import altair as alt
import pandas as pd
import streamlit as st

from ui.auth import page_actor
from ui.i18n import money, money_compact, number, t
from ui.reads import cached_overview

actor = page_actor("customers.view")
st.title(t("home.title"))
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
else:
    left, right = st.columns(2)
    for column, title, prefix, counts in (
        (left, t("home.by_stage"), "stage", figures.by_stage),
        (right, t("home.by_tier"), "tier", figures.by_tier),
    ):
        frame = pd.DataFrame({"label": [t(f"{prefix}.{k}") for k in counts], t("home.count"): list(counts.values())})
        chart = alt.Chart(frame, title=title).mark_bar().encode(
            x=alt.X("label:N", sort=None, title=None, axis=alt.Axis(labelAngle=0)), y=alt.Y(f"{t('home.count')}:Q"),
            tooltip=["label", t("home.count")],
        )
        column.altair_chart(chart, width="stretch")
