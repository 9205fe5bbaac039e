"""The customer 360 view's Satisfaction tab: the customer's survey responses and the record-a-response form."""

from __future__ import annotations

import streamlit as st

from crm.platform.permissions import Actor
from crm.satisfaction import customer_responses, may_record_for
from db.engine import Sessions
from ui.i18n import t
from ui.satisfaction import keys
from ui.satisfaction.downloads import csv_download
from ui.satisfaction.record import response_form, show_recorded
from ui.satisfaction.responses import detail_panel, response_frame
from ui.widgets import data_table, error_boundary


def customer_satisfaction_tab(sessions: Sessions, actor: Actor, customer_id: int, owner_id: int | None) -> None:
    """The customer's responses, newest first (a row opens its detail), and the form recording a new one."""
    if not actor.can("satisfaction.view"):
        return
    show_recorded(keys.CUSTOMER_RECORD, open_button=False)
    rows = customer_responses(sessions, actor=actor, customer_id=customer_id)
    st.markdown(f"**{t('satisfaction.page.customer_responses', n=len(rows))}**")
    if rows:
        table_key = f"{keys.CUSTOMER_RECORD}_table"
        frame = response_frame(rows, customer=False)
        event = data_table(
            frame, hide_index=True, width="stretch", key=table_key, on_select="rerun", selection_mode="single-row"
        )
        csv_download(f"customer-{customer_id}", frame)
        picked = list(getattr(getattr(event, "selection", None), "rows", None) or [])
        if picked and picked[0] < len(rows):
            with error_boundary("satisfaction 360 detail"):
                detail_panel(sessions, actor, rows[picked[0]].id, archive=False)
        st.page_link(
            "pages/satisfaction.py", label=t("satisfaction.page.to_page"), icon=":material/sentiment_satisfied:"
        )
    else:
        st.caption(t("satisfaction.page.customer_none"))
    if may_record_for(actor, owner_id):
        with st.expander(t("satisfaction.tab.record"), icon=":material/add_reaction:"):
            response_form(sessions, actor, customer_id, prefix=keys.CUSTOMER_RECORD)
