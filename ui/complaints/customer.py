"""The customer 360 view's Complaints tab: the customer's complaints, inquiries and suggestions, and a new complaint."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm.complaints.inquiries import list_inquiries
from crm.complaints.queues import customer_cases
from crm.complaints.suggestions import list_suggestions
from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.complaints import keys
from ui.complaints.intake import complaint_form
from ui.complaints.widgets import (
    category_label,
    department_name,
    flag_text,
    show_flash,
    status_label,
    vocab,
)
from ui.i18n import t, when
from ui.inert import preview
from ui.widgets import data_table

LIMIT = 50


def customer_complaints_tab(sessions: Sessions, actor: Actor, customer_id: int) -> None:
    """The customer's cases, newest first, and the intake form prefilled with the customer."""
    if not actor.can("complaints.view"):
        return
    show_flash()
    complaints = customer_cases(sessions, actor=actor, customer_id=customer_id, limit=LIMIT)
    st.markdown(f"**{t('complaints.ui.customer_complaints', n=len(complaints))}**")
    if complaints:
        data_table(
            pd.DataFrame(
                [
                    {
                        t("complaints.ui.col.flag"): flag_text(c.flag),
                        t("complaints.field.code"): c.code,
                        t("complaints.field.received_at"): when(c.received_at),
                        t("complaints.field.severity"): vocab("complaints.severity", c.severity),
                        t("complaints.field.category"): category_label(actor, c.category),
                        t("complaints.ui.status"): status_label(c.status),
                        t("complaints.field.department_id"): department_name(
                            c.department_name_en, c.department_name_zh
                        ),
                        t("complaints.field.assignee_id"): c.assignee_name or "—",
                    }
                    for c in complaints
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        st.page_link("pages/complaints.py", label=t("complaints.ui.to_page"), icon=":material/support_agent:")
    inquiries, _ = list_inquiries(sessions, actor=actor, customer_id=customer_id, page_size=LIMIT)
    suggestions, _ = list_suggestions(sessions, actor=actor, customer_id=customer_id, page_size=LIMIT)
    cols = st.columns(2)
    with cols[0]:
        st.markdown(f"**{t('complaints.tab.inquiries')} · {len(inquiries)}**")
        if inquiries:
            data_table(
                pd.DataFrame(
                    [
                        {
                            t("complaints.field.code"): q.code,
                            t("complaints.ui.status"): status_label(q.status, "inquiry"),
                            t("complaints.field.question"): preview(q.question, lines=1, chars=60)[0],
                        }
                        for q in inquiries
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
    with cols[1]:
        st.markdown(f"**{t('complaints.tab.suggestions')} · {len(suggestions)}**")
        if suggestions:
            data_table(
                pd.DataFrame(
                    [
                        {
                            t("complaints.field.received_at"): when(s.received_at),
                            t("complaints.ui.status"): status_label(s.status, "suggestion"),
                            t("complaints.field.content"): preview(s.content, lines=1, chars=60)[0],
                        }
                        for s in suggestions
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
    if actor.can("complaints.handle"):
        with st.expander(t("complaints.tab.new"), icon=":material/report:"):
            complaint_form(sessions, actor, customer_id, prefix=keys.CUSTOMER_INTAKE, open_after=False)
