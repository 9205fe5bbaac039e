"""Planned follow-ups: the list with its filters, each one's actions, and planning a new one."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from crm.follow_ups.core import to_utc
from crm.follow_ups.service import (
    Option,
    TaskView,
    assignable_users,
    cancel_follow_up,
    list_tasks,
    plan_follow_up,
    reassign_follow_up,
    reschedule_follow_up,
)
from crm.platform.clock import planned_due, utcnow
from crm.platform.permissions import Actor
from crm.platform.vocab import CONTACT_CHANNELS, TASK_PRIORITIES, TASK_PURPOSES
from db.engine import Sessions
from ui.follow_ups import keys
from ui.follow_ups.log import log_contact_form
from ui.follow_ups.widgets import TIME_STEP, customer_picker, local, option_labels, show_flash, task_label
from ui.i18n import t
from ui.reads import clear_after
from ui.state import company_today, company_working_time, company_zone, get_sessions
from ui.widgets import create_token, data_table, error_boundary, field_error, form_token, pager, run_action

PAGE_SIZE = 20


def planned_section(sessions: Sessions, actor: Actor) -> None:
    """The planned follow-ups with what can be done to one of them, then the form planning a new one."""
    show_flash(keys.PLANNED)
    planned_list(sessions, actor)
    st.divider()
    st.subheader(t("follow_ups.plan.title"))
    plan_form(sessions, actor)


@st.fragment
def planned_list(sessions: Sessions, actor: Actor) -> None:
    """Filter the follow-ups by status, purpose and owner, and complete, move, give away or cancel one.

    A fragment: a filter, the page or the picked follow-up reruns this list alone.
    """
    with error_boundary("follow-ups planned"):
        timezone = company_zone().key
        filters = st.columns(3)
        status = filters[0].selectbox(
            t("follow_ups.planned.status"),
            ("open", "done", "cancelled"),
            format_func=lambda s: t(f"task_status.{s}"),
            key=keys.PLANNED_STATUS,
        )
        purpose = filters[1].selectbox(
            t("follow_ups.field.purpose"),
            [None, *TASK_PURPOSES],
            format_func=lambda p: t("common.all") if p is None else t(f"purpose.{p}"),
            key=keys.PLANNED_PURPOSE,
        )
        owner_choice = actor.id
        if actor.can("follow_ups.team"):
            owners = option_labels(assignable_users(sessions, actor=actor))
            choices = [actor.id, 0, *[o for o in owners if o != actor.id]]
            owner_choice = filters[2].selectbox(
                t("follow_ups.field.owner"),
                choices,
                format_func=lambda o: t("follow_ups.planned.everyone") if o == 0 else owners.get(o, f"#{o}"),
                key=keys.PLANNED_OWNER,
            )
        page = int(st.session_state.get(keys.PLANNED_PAGE, 1)) - 1
        tasks, total = list_tasks(
            sessions,
            actor=actor,
            owner_id=None if owner_choice == 0 else owner_choice,
            all_owners=owner_choice == 0,
            status=status,
            purpose=purpose,
            page=page,
            page_size=PAGE_SIZE,
        )
        if not tasks:
            st.info(t("common.no_rows"))
        else:
            data_table(
                pd.DataFrame(
                    [
                        {
                            t("follow_ups.col.due"): local(task.due_at, timezone),
                            t("follow_ups.col.customer"): f"{task.customer_name} · {task.customer_code}",
                            t("follow_ups.field.purpose"): t(f"purpose.{task.purpose}"),
                            t("follow_ups.field.priority"): t(f"priority.{task.priority}"),
                            t("follow_ups.field.owner"): task.owner_name or "",
                            t("follow_ups.field.contact"): task.contact_name or "",
                            t("follow_ups.field.note"): task.note or "",
                            t("follow_ups.col.repeat"): t("follow_ups.col.every", days=task.recurrence_days)
                            if task.recurrence_days
                            else "",
                            t("follow_ups.col.done_at"): local(task.completed_at, timezone)
                            if task.completed_at
                            else "",
                            t("follow_ups.field.reason"): task.reschedule_reason or "",
                        }
                        for task in tasks
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
        pager(keys.PLANNED_PAGE, total, PAGE_SIZE)
        if status == "open" and tasks:
            _task_actions(sessions, actor, tasks, timezone)


def _task_actions(sessions: Sessions, actor: Actor, tasks: list[TaskView], timezone: str) -> None:
    by_id = {task.id: task for task in tasks}
    task = by_id[
        st.selectbox(
            t("follow_ups.planned.pick"),
            list(by_id),
            format_func=lambda i: f"{by_id[i].customer_name} · {task_label(by_id[i], timezone)}",
            key=keys.PLANNED_PICK,
        )
    ]
    actions = ["complete", "reschedule", *(["reassign"] if actor.can("follow_ups.team") else []), "cancel"]
    action = (
        st.segmented_control(
            t("follow_ups.planned.action"),
            actions,
            default="complete",
            format_func=lambda a: t(f"follow_ups.task.{a}"),
            key=keys.PLANNED_ACTION,
        )
        or "complete"
    )
    if action == "complete":
        log_contact_form(actor, task.customer_id, key_prefix=keys.PLANNED, task_id=task.id)
    elif action == "reschedule":
        reschedule_form(actor, task, timezone, key=keys.reschedule_form(task.id))
    elif action == "reassign":
        reassign_form(actor, task, assignable_users(sessions, actor=actor), key=keys.reassign_form(task.id))
    else:
        cancel_form(actor, task, key=keys.cancel_form(task.id))


@st.fragment
def plan_form(sessions: Sessions, actor: Actor) -> None:
    """Plan a follow-up with a customer found by name: purpose, priority, day and time, repetition, owner.

    A fragment: searching the customer reruns this form alone.
    """
    with error_boundary("follow-ups plan"):
        customer_id = customer_picker(actor, key=keys.PLAN_CUSTOMER)
        if customer_id is None:
            return
        tz, today = company_zone(), company_today()
        form = keys.plan_form(customer_id)
        with st.form(form):
            cols = st.columns(3)
            purpose = cols[0].selectbox(
                t("follow_ups.field.purpose"),
                TASK_PURPOSES,
                format_func=lambda p: t(f"purpose.{p}"),
                key=f"{form}_purpose",
            )
            priority = cols[1].selectbox(
                t("follow_ups.field.priority"),
                TASK_PRIORITIES,
                index=1,
                format_func=lambda p: t(f"priority.{p}"),
                key=f"{form}_priority",
            )
            channel = cols[2].selectbox(
                t("follow_ups.field.channel"),
                [None, *CONTACT_CHANNELS],
                format_func=lambda c: t("common.none") if c is None else t(f"channel.{c}"),
                key=f"{form}_channel",
            )
            field_error(form, "purpose")
            cols = st.columns(3)
            day = cols[0].date_input(
                t("follow_ups.field.due_date"), value=today, min_value=today, format="YYYY-MM-DD", key=f"{form}_date"
            )
            time = cols[1].time_input(
                t("follow_ups.field.due_time"),
                value=None,
                step=TIME_STEP,
                help=t("follow_ups.field.next_time_help"),
                key=f"{form}_time",
            )
            repeat = cols[2].number_input(
                t("follow_ups.field.recurrence"),
                min_value=0,
                max_value=730,
                value=0,
                step=1,
                help=t("follow_ups.field.recurrence_help"),
                key=f"{form}_repeat",
            )
            field_error(form, "due_at")
            field_error(form, "recurrence_days")
            note = st.text_input(t("follow_ups.field.note"), max_chars=2000, key=f"{form}_note")
            owner = None
            if actor.can("follow_ups.team"):
                owners = option_labels(assignable_users(sessions, actor=actor))
                owner = st.selectbox(
                    t("follow_ups.field.owner"),
                    [None, *owners],
                    format_func=lambda o: t("follow_ups.field.next_owner_default") if o is None else owners[o],
                    key=f"{form}_owner",
                )
                field_error(form, "owner_id")
            planned = st.form_submit_button(t("follow_ups.plan.submit"), type="primary", key=f"{form}_submit")
        if (
            planned
            and run_action(
                form,
                lambda: plan_follow_up(
                    sessions,
                    actor=actor,
                    customer_id=customer_id,
                    purpose=purpose,
                    priority=priority,
                    channel=channel,
                    due_at=planned_due(day, time, tz, company_working_time()) if day else None,
                    recurrence_days=int(repeat) or None,
                    note=note,
                    owner_id=owner,
                    token=create_token(form),
                ),
            )
            is not None
        ):
            clear_after("follow_up")
            st.session_state[keys.flash(keys.PLANNED)] = t("follow_ups.plan.done")
            st.rerun()


def reschedule_form(actor: Actor, task: TaskView, timezone: str, *, key: str) -> None:
    """Move a planned follow-up to another day and time, with the reason."""
    tz = ZoneInfo(timezone)
    due_local = task.due_at.astimezone(tz)
    today = utcnow().astimezone(tz).date()
    with st.form(key):
        cols = st.columns(2)
        day = cols[0].date_input(
            t("follow_ups.field.due_date"),
            value=max(due_local.date(), today),
            min_value=today,
            format="YYYY-MM-DD",
            key=f"{key}_date",
        )
        time = cols[1].time_input(
            t("follow_ups.field.due_time"), value=due_local.time().replace(second=0), step=TIME_STEP, key=f"{key}_time"
        )
        field_error(key, "due_at")
        reason = st.text_input(t("follow_ups.field.reason"), max_chars=300, key=f"{key}_reason")
        field_error(key, "reason")
        submitted = st.form_submit_button(
            t("follow_ups.task.reschedule"), icon=":material/event_repeat:", key=f"{key}_submit"
        )
    if (
        submitted
        and run_action(
            key,
            lambda: reschedule_follow_up(
                get_sessions(),
                actor=actor,
                task_id=task.id,
                version=task.version,
                due_at=to_utc(day, time, tz),
                reason=reason,
                token=form_token(key),
            ),
        )
        is not None
    ):
        _task_saved("follow_ups.task.rescheduled")


def reassign_form(actor: Actor, task: TaskView, owners: list[Option], *, key: str) -> None:
    """Give a planned follow-up to someone else (managers)."""
    labels = {o.id: o.label for o in owners}
    with st.form(key):
        options = list(labels)
        owner = st.selectbox(
            t("follow_ups.field.owner"),
            options,
            index=options.index(task.owner_id) if task.owner_id in labels else 0,
            format_func=labels.get,
            key=f"{key}_owner",
        )
        field_error(key, "owner_id")
        submitted = st.form_submit_button(
            t("follow_ups.task.reassign"), icon=":material/person_search:", key=f"{key}_submit"
        )
    if (
        submitted
        and run_action(
            key,
            lambda: reassign_follow_up(
                get_sessions(),
                actor=actor,
                task_id=task.id,
                version=task.version,
                owner_id=int(owner),
                token=form_token(key),
            ),
        )
        is not None
    ):
        _task_saved("follow_ups.task.reassigned")


def cancel_form(actor: Actor, task: TaskView, *, key: str) -> None:
    """Cancel a planned follow-up, optionally saying why."""
    with st.form(key):
        reason = st.text_input(t("follow_ups.field.cancel_reason"), max_chars=300, key=f"{key}_reason")
        field_error(key, "reason")
        submitted = st.form_submit_button(
            t("follow_ups.task.cancel"), icon=":material/event_busy:", key=f"{key}_submit"
        )
    if (
        submitted
        and run_action(
            key,
            lambda: cancel_follow_up(
                get_sessions(), actor=actor, task_id=task.id, version=task.version, reason=reason, token=form_token(key)
            ),
        )
        is not None
    ):
        _task_saved("follow_ups.task.cancelled")


def _task_saved(message_key: str) -> None:
    clear_after("follow_up")
    st.session_state[keys.flash(keys.PLANNED)] = t(message_key)
    st.rerun()
