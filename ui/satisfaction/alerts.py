"""Alerts: the open alerts (a low score nobody has followed up yet) with their callback tasks; closing one with a
note."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm.platform.permissions import Actor
from crm.satisfaction import AlertRow, close_alert, open_alerts
from db.engine import Sessions
from ui.complaints.reads import cached_assignees
from ui.complaints.widgets import departments
from ui.i18n import number, t, when
from ui.inert import inert, inert_t, preview
from ui.reads import clear_after
from ui.satisfaction import keys
from ui.satisfaction.downloads import csv_download
from ui.satisfaction.responses import open_response
from ui.satisfaction.widgets import choice, customer_link, flash, int_or_dash, run_write, show_flash
from ui.widgets import data_table, field_error, form_errors, form_token, pager

PAGE_SIZE = 25


def alerts_section(sessions: Sessions, actor: Actor) -> None:
    """The open alerts, longest waiting first, and (for those who may) a form closing the one picked."""
    show_flash()
    st.caption(t("satisfaction.page.alerts_intro"))
    owner_id = department_id = None
    if actor.can("customers.view_all"):
        cols = st.columns(2)
        owner_id = choice(
            cols[0], "satisfaction.page.filter.owner", {c.id: c.label for c in cached_assignees(actor)}, keys.A_OWNER
        )
        department_id = choice(cols[1], "satisfaction.page.filter.department", departments(actor), keys.A_DEPARTMENT)
    page_index = int(st.session_state.get(keys.A_PAGE, 1) or 1) - 1
    rows, total = open_alerts(
        sessions, actor=actor, page=page_index, page_size=PAGE_SIZE, owner_id=owner_id, department_id=department_id
    )
    st.metric(t("satisfaction.page.alerts_count"), number(total))
    if not rows:
        st.info(t("satisfaction.page.alerts_none"), icon=":material/notifications_off:")
        return
    frame = _frame(rows)
    link = t("satisfaction.page.col.link")
    data_table(
        frame,
        hide_index=True,
        width="stretch",
        column_config={link: st.column_config.LinkColumn(display_text=t("satisfaction.page.open_link"))},
    )
    if total > PAGE_SIZE:
        pager(keys.A_PAGE, total, PAGE_SIZE)
    csv_download("alerts", frame)
    labels = {row.response_id: f"{when(row.responded_at)} · {row.customer_name}" for row in rows}
    if st.session_state.get(keys.A_PICK) not in labels:
        st.session_state.pop(keys.A_PICK, None)
    cols = st.columns([4, 1], vertical_alignment="bottom")
    picked = cols[0].selectbox(t("satisfaction.page.alert.pick"), list(labels), format_func=labels.get, key=keys.A_PICK)
    cols[1].button(
        t("satisfaction.page.open_response"),
        key=f"{keys.A_PICK}_open",
        icon=":material/open_in_new:",
        on_click=open_response,
        args=(picked,),
        width="stretch",
    )
    row = next((r for r in rows if r.response_id == picked), None)
    if row is not None and actor.can("satisfaction.record"):
        _close_form(sessions, actor, row)


def _task(row: AlertRow) -> tuple[str, str, str]:
    task = row.task
    if task is None:
        return t("satisfaction.page.alert.no_task"), "", ""
    return (
        f"{t(f'purpose.{task.purpose}')} · {task.owner_name or '—'}",
        t(f"task_status.{task.status}"),
        when(task.due_at),
    )


def _frame(rows: list[AlertRow]) -> pd.DataFrame:
    records = []
    for row in rows:
        task, status, due = _task(row)
        records.append(
            {
                t("satisfaction.page.col.date"): when(row.responded_at),
                t("satisfaction.page.col.customer"): row.customer_name,
                t("satisfaction.page.col.link"): customer_link(row.customer_id),
                t("satisfaction.page.col.owner"): row.owner_name or "—",
                t("satisfaction.page.col.overall"): int_or_dash(row.overall),
                t("satisfaction.page.col.nps"): int_or_dash(row.nps),
                t("satisfaction.page.col.task"): task,
                t("satisfaction.page.col.task_status"): status,
                t("satisfaction.page.col.due"): due,
                t("satisfaction.page.col.comment"): preview(row.comment, lines=1, chars=80)[0],
            }
        )
    return pd.DataFrame(records)


def _close_form(sessions: Sessions, actor: Actor, row: AlertRow) -> None:
    form = keys.alert_form(row.response_id)
    with st.form(form):
        st.markdown(f"**{inert_t('satisfaction.page.alert.close_title', customer=row.customer_name)}**")
        note = st.text_area(t("satisfaction.alert.note"), height=80, max_chars=10_000, key=f"{form}_note")
        field_error(form, "note")
        field_error(form, "alert")
        form_errors(form)
        submitted = st.form_submit_button(
            t("satisfaction.page.alert.close"), type="primary", icon=":material/task_alt:", key=f"{form}_submit"
        )
    if not submitted:
        return
    done = run_write(
        form,
        lambda: (
            close_alert(
                sessions,
                actor=actor,
                response_id=row.response_id,
                version=row.version,
                note=note or "",
                token=form_token(form),
            )
            or True
        ),
    )
    if done:
        st.session_state.pop(f"{form}_note", None)
        st.session_state.pop(keys.A_PICK, None)
        clear_after("satisfaction")
        flash(t("satisfaction.page.alert.closed", customer=inert(row.customer_name)))
        st.rerun()
