"""The complaint queues: mine, my department, all, breached, waiting for confirmation; filtered, paged in SQL."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from crm.complaints.queues import QUEUES, QueueFilter, QueueRow, complaint_queue, reads_every_complaint
from crm.complaints.vocab import SEVERITIES, STATUSES
from crm.platform.clock import utcnow
from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.complaints import keys
from ui.complaints.widgets import (
    assignees,
    category_codes,
    category_label,
    customer_picker,
    department_name,
    departments,
    flag_text,
    show_flash,
    status_label,
    time_left,
    vocab,
)
from ui.i18n import number, t, when
from ui.widgets import data_table, error_boundary, pager

PAGE_SIZE = 25


def open_complaint(complaint_id: int) -> None:
    """Show this complaint on the Detail tab (a callback: the tab is chosen before the page draws it)."""
    st.session_state[keys.OPEN] = int(complaint_id)
    st.session_state[keys.TAB] = t("complaints.tab.detail")
    st.session_state[keys.JUMP] = True


def _table_picked(ids: list[int]) -> None:
    rows = st.session_state[keys.Q_TABLE].selection.rows
    if rows and rows[0] < len(ids):
        open_complaint(ids[rows[0]])


def _open_picked() -> None:
    picked = st.session_state.get(keys.Q_PICK)
    if picked is not None:
        open_complaint(picked)


def queues_for(actor: Actor) -> list[str]:
    return [q for q in QUEUES if q != "all" or reads_every_complaint(actor)]


def _filters(actor: Actor) -> QueueFilter | None:
    queues = queues_for(actor)
    # Those who handle complaints start on their own; a viewer has none of their own and starts on all.
    default = "mine" if actor.can("complaints.handle") or "all" not in queues else "all"
    queue = st.segmented_control(
        t("complaints.ui.queue"),
        queues,
        default=default,
        required=True,
        format_func=lambda q: t(f"complaints.queue.{q}"),
        key=keys.QUEUE,
    )
    with st.expander(t("common.filters"), icon=":material/filter_list:"):
        top = st.columns(3)
        statuses = top[0].multiselect(t("complaints.ui.status"), STATUSES, format_func=status_label, key=keys.Q_STATUS)
        severities = top[1].multiselect(
            t("complaints.field.severity"),
            SEVERITIES,
            format_func=lambda s: vocab("complaints.severity", s),
            key=keys.Q_SEVERITY,
        )
        categories = top[2].multiselect(
            t("complaints.field.category"),
            category_codes(actor),
            format_func=lambda c: category_label(actor, c),
            key=keys.Q_CATEGORY,
        )
        middle = st.columns(3)
        depts = departments(actor)
        department_ids = middle[0].multiselect(
            t("complaints.field.department_id"), list(depts), format_func=depts.get, key=keys.Q_DEPARTMENT
        )
        people = assignees(actor)
        assignee_ids = middle[1].multiselect(
            t("complaints.field.assignee_id"), list(people), format_func=people.get, key=keys.Q_ASSIGNEE
        )
        period = middle[2].columns(2)
        received_from = period[0].date_input(t("common.from"), value=None, format="YYYY-MM-DD", key=keys.Q_FROM)
        received_to = period[1].date_input(t("common.to"), value=None, format="YYYY-MM-DD", key=keys.Q_TO)
        customer_id = None
        if st.toggle(t("complaints.ui.one_customer"), key=f"{keys.Q_CUSTOMER}_on"):
            customer_id = customer_picker(actor, key=keys.Q_CUSTOMER)
    if received_from and received_to and received_from > received_to:
        st.error(t("complaints.error.period"), icon=":material/error:")
        return None
    return QueueFilter(
        queue=queue or default,
        statuses=tuple(statuses),
        severities=tuple(severities),
        categories=tuple(categories),
        department_ids=tuple(department_ids),
        assignee_ids=tuple(assignee_ids),
        customer_id=customer_id,
        received_from=received_from,
        received_to=received_to,
    )


def _frame(actor: Actor, rows: tuple[QueueRow, ...]) -> pd.DataFrame:
    now = utcnow()
    return pd.DataFrame(
        [
            {
                t("complaints.ui.col.flag"): flag_text(row.flag),
                t("complaints.field.code"): row.code,
                t("complaints.field.customer_id"): row.customer_name,
                t("complaints.field.severity"): vocab("complaints.severity", row.severity),
                t("complaints.field.category"): category_label(actor, row.category),
                t("complaints.ui.status"): status_label(row.status)
                + (" ↺" * min(row.reopen_count, 3))
                + (" ⚑" if row.escalated else ""),
                t("complaints.field.department_id"): department_name(row.department_name_en, row.department_name_zh),
                t("complaints.field.assignee_id"): row.assignee_name or "—",
                t("complaints.field.received_at"): when(row.received_at),
                t("complaints.ui.col.due"): when(row.next_due_at) if row.next_due_at else "",
                t("complaints.ui.col.left"): time_left(row.next_due_at, now),
            }
            for row in rows
        ]
    )


@st.fragment
def queue_section(sessions: Sessions, actor: Actor) -> None:
    """The queue picked, its filters and one page of complaints, breached and soonest-due first; a row opens it.

    A fragment: a filter or a page turn reruns the queue alone; opening a row reruns the page on its Detail tab.
    """
    if st.session_state.pop(keys.JUMP, False):
        st.rerun(scope="app")
    show_flash()
    flt = _filters(actor)
    if flt is None:
        return
    with error_boundary("complaints queue"):
        page_index = int(st.session_state.get(keys.Q_PAGE, 1) or 1) - 1
        result = complaint_queue(sessions, actor=actor, flt=flt, page=page_index, page_size=PAGE_SIZE)
        if result.total and not result.rows and page_index > 0:  # the filters shrank the queue under this page
            result = complaint_queue(sessions, actor=actor, flt=flt, page=0, page_size=PAGE_SIZE)
        flagged = sum(1 for row in result.rows if row.flag)
        head = st.columns([1, 1, 3])
        shown_total = (
            t("complaints.ui.in_queue_capped", cap=number(result.cap)) if result.total_capped else number(result.total)
        )
        head[0].metric(t("complaints.ui.in_queue"), shown_total)
        head[1].metric(t("complaints.ui.flagged_on_page"), flagged)
        if not result.rows:
            st.info(t("complaints.ui.queue_empty"), icon=":material/inbox:")
            return
        ids = [row.id for row in result.rows]
        data_table(
            _frame(actor, result.rows),
            hide_index=True,
            width="stretch",
            key=keys.Q_TABLE,
            on_select=lambda: _table_picked(ids),
            selection_mode="single-row",
        )
        st.caption(t("complaints.ui.click_row"))
        _row_opener(result.rows)
        if result.total_capped:
            st.caption(t("complaints.ui.queue_capped", cap=number(result.cap)))
        if result.total > PAGE_SIZE:
            pager(keys.Q_PAGE, min(result.total, result.cap), PAGE_SIZE, more=result.total_capped)


def _row_opener(rows: tuple[QueueRow, ...]) -> None:
    """The same as clicking a row, for keyboards: pick a complaint of this page and open it."""
    labels: dict[int, Any] = {row.id: f"{row.code} · {row.customer_name}" for row in rows}
    cols = st.columns([4, 1], vertical_alignment="bottom")
    cols[0].selectbox(
        t("complaints.ui.pick"), list(labels), format_func=labels.get, key=keys.Q_PICK, label_visibility="collapsed"
    )
    cols[1].button(
        t("complaints.ui.open"), key=keys.Q_OPEN, icon=":material/open_in_new:", on_click=_open_picked, width="stretch"
    )
