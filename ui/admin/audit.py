"""Audit trail section: who changed what and when, filtered by user, kind of record and dates."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from crm.platform.audit import AUDIT_PAGE_SIZE, audited_entity_types, search_audit
from crm.platform.permissions import Actor
from crm.platform.users import list_users
from db.engine import Sessions
from ui.admin import keys
from ui.i18n import lang_key, t, when
from ui.state import company_today
from ui.widgets import data_table, error_boundary, pager


@st.fragment
def audit_section(sessions: Sessions, actor: Actor) -> None:
    """The filters and one page of the trail; changing a filter redraws only this section."""
    with error_boundary("admin audit"):
        sees_people = actor.can("customers.reassign") or actor.can("users.manage")
        people = list_users(sessions, actor=actor) if sees_people else []
        names = {u.id: u.username for u in people}
        filters = st.columns(4)
        user_filter = filters[0].selectbox(
            t("admin.audit.user"),
            [None, *names],
            format_func=lambda i: t("common.all") if i is None else names[i],
            key=lang_key("admin_audit_user"),
        )
        types = audited_entity_types(sessions)
        type_filter = filters[1].selectbox(
            t("admin.audit.entity_type"),
            [None, *types],
            format_func=lambda e: t("common.all") if e is None else t(f"entity.{e}"),
            key=lang_key("admin_audit_type"),
        )
        date_from = filters[2].date_input(
            t("common.from"), value=company_today() - dt.timedelta(days=30), key=keys.AUDIT_FROM
        )
        date_to = filters[3].date_input(t("common.to"), value=company_today(), key=keys.AUDIT_TO)
        # A bad filter is explained under it and only the trail is left out (st.stop() would end the whole page).
        if date_from > date_to:
            filters[3].error(t("validation.date_range"))
            return
        page = st.session_state.get(keys.AUDIT_PAGE, 1) - 1
        rows, total = search_audit(
            sessions,
            actor=actor,
            user_id=user_filter,
            entity_type=type_filter,
            date_from=date_from,
            date_to=date_to,
            page=page,
        )
        if not rows:
            st.info(t("common.no_rows"))
        else:
            data_table(
                pd.DataFrame(
                    [
                        {
                            t("admin.audit.col.at"): when(r["at"]),
                            t("admin.audit.col.user"): r["username"],
                            t("admin.audit.col.action"): t(f"audit.action.{r['action']}"),
                            t("admin.audit.col.entity"): f"{t('entity.' + r['entity_type'])} #{r['entity_id']}",
                            t("admin.audit.col.field"): r["field"] or "",
                            t("admin.audit.col.old"): r["old_value"] or "",
                            t("admin.audit.col.new"): r["new_value"] or "",
                        }
                        for r in rows
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
        pager(keys.AUDIT_PAGE, total, AUDIT_PAGE_SIZE)
