"""My queue: today's, overdue and out-of-cadence follow-ups, each logged in one click."""

from __future__ import annotations

import streamlit as st

from crm.follow_ups.queues import SECTIONS, CadenceRow, my_queue
from crm.follow_ups.service import TaskView, assignable_users
from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.follow_ups import keys
from ui.follow_ups.log import log_contact_form
from ui.follow_ups.widgets import local, option_labels, section_total, show_flash
from ui.i18n import t
from ui.inert import inert, inert_t
from ui.state import company_zone
from ui.widgets import error_boundary


def _open_log(customer_id: int, name: str, task_id: int | None) -> None:
    st.session_state[keys.ACTIVE] = {"customer_id": customer_id, "name": name, "task_id": task_id}


def _close_log() -> None:
    st.session_state.pop(keys.ACTIVE, None)


def _turn_page(section: str, delta: int) -> None:
    pages = st.session_state.setdefault(keys.QUEUE_PAGES, {})
    pages[section] = max(0, pages.get(section, 0) + delta)


@st.fragment
def queue_section(sessions: Sessions, actor: Actor) -> None:
    """The owner's queue, section by section, with the log-a-contact form of the row clicked above it.

    A fragment: picking an owner, turning a page or opening a row's form reruns the queue alone.
    """
    with error_boundary("follow-ups queue"):
        show_flash(keys.QUEUE)
        owner_id = actor.id
        if actor.can("follow_ups.team"):
            people = option_labels(assignable_users(sessions, actor=actor))
            ids = list(people)
            owner_id = st.selectbox(
                t("follow_ups.queue.owner"),
                ids,
                index=ids.index(actor.id) if actor.id in ids else 0,
                format_func=people.get,
                key=keys.QUEUE_OWNER,
            )
        active = st.session_state.get(keys.ACTIVE)
        if active:
            with st.container(border=True):
                head = st.columns([6, 1])
                head[0].subheader(inert_t("follow_ups.queue.logging", name=active["name"]))
                head[1].button(t("common.cancel"), key=keys.QUEUE_CLOSE, on_click=_close_log)
                log_contact_form(
                    actor,
                    active["customer_id"],
                    key_prefix=keys.QUEUE,
                    task_id=active.get("task_id"),
                    on_logged=lambda _result: _close_log(),
                )
        queue = my_queue(sessions, actor=actor, owner_id=owner_id, pages=st.session_state.get(keys.QUEUE_PAGES, {}))
        counts = st.columns(len(SECTIONS))
        for column, code in zip(counts, SECTIONS, strict=True):
            column.metric(t(f"follow_ups.section.{code}"), section_total(queue.sections[code]))
        timezone = company_zone().key
        for code in SECTIONS:
            section = queue.sections[code]
            st.subheader(f"{t(f'follow_ups.section.{code}')} · {section_total(section)}")
            if not section.rows:
                st.caption(t(f"follow_ups.section.{code}.empty"))
                continue
            for row in section.rows:
                _queue_row(code, row, timezone)
            if section.total > section.page_size:
                nav = st.columns([1, 1, 4])
                nav[0].button(
                    t("follow_ups.queue.previous"),
                    key=keys.queue_previous(code),
                    on_click=_turn_page,
                    args=(code, -1),
                    disabled=section.page == 0,
                )
                nav[1].button(
                    t("follow_ups.queue.next"),
                    key=keys.queue_next(code),
                    on_click=_turn_page,
                    args=(code, 1),
                    disabled=section.page + 1 >= section.pages,
                )
                nav[2].caption(
                    t("common.page_of", page=section.page + 1, pages=section.pages, total=section_total(section))
                )


def _queue_row(code: str, row: TaskView | CadenceRow, timezone: str) -> None:
    cols = st.columns([3, 2, 2, 3, 1.8], vertical_alignment="center")
    cols[0].markdown(f"**{inert(row.customer_name)}**  \n{inert(row.customer_code)}")
    if code == "out_of_cadence":
        cols[1].write(
            t("follow_ups.queue.last_contact", when=local(row.last_contact_at, timezone))
            if row.last_contact_at
            else t("follow_ups.queue.never_contacted")
        )
        cols[2].write(f"{t('stage.' + row.lifecycle_stage)} · {t('tier.' + (row.value_tier or 'none'))}")
        cols[3].write(t("follow_ups.queue.cadence", days=row.cadence_days))
        task_id = None
    else:
        cols[1].write(local(row.due_at, timezone))
        cols[2].write(f"{t('purpose.' + row.purpose)} · {t('priority.' + row.priority)}")
        cols[3].markdown(inert(" · ".join(x for x in (row.contact_name, row.contact_phone, row.note) if x)))
        task_id = row.id
    cols[4].button(
        t("follow_ups.queue.log"),
        key=keys.queue_log(code, task_id or row.customer_id),
        icon=":material/edit_note:",
        on_click=_open_log,
        width="stretch",
        args=(row.customer_id, row.customer_name, task_id),
    )
