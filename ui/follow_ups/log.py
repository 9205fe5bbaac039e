"""Log a contact: the form (also on the customer 360 view) and the Log a contact section of the follow-ups page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import streamlit as st

from crm.follow_ups.core import day_windows, to_utc
from crm.follow_ups.service import AUTO_STAGE, ContactLogged, log_contact, log_context
from crm.platform.clock import planned_due, utcnow
from crm.platform.permissions import Actor
from crm.platform.vocab import CHURN_REASONS, CONTACT_CHANNELS, OUTCOMES, STAGES
from db.engine import Sessions
from ui.follow_ups import keys
from ui.follow_ups.widgets import TIME_STEP, customer_picker, local, rounded_now, show_flash, task_label
from ui.i18n import t
from ui.reads import clear_after
from ui.state import company_working_time, get_sessions
from ui.widgets import error_boundary, field_error, form_token, run_action


def log_section(sessions: Sessions, actor: Actor) -> None:
    """Find any customer one may log for, and log a contact with them."""
    st.caption(t("follow_ups.log.intro"))
    picked = customer_picker(actor, key=keys.LOG_CUSTOMER)
    if picked is not None:
        log_contact_form(actor, picked, key_prefix=keys.LOG)


def _outcome_message(result: ContactLogged, timezone: str, next_due: dt.datetime | None) -> str:
    parts = [t("follow_ups.log.done")]
    if result.completed_task_id:
        parts.append(t("follow_ups.log.completed_task"))
    if result.next_task_id and next_due is not None:
        parts.append(t("follow_ups.log.next_planned", when=local(next_due, timezone)))
    elif result.next_task_id:
        parts.append(t("follow_ups.log.next_recurring"))
    if result.stage_after:
        parts.append(t("follow_ups.log.stage_moved", stage=t(f"stage.{result.stage_after}")))
    created = sum(result.rules_created.values())
    if created:
        parts.append(t("follow_ups.log.rules_created", n=created))
    return " ".join(parts)


def log_form_key(key_prefix: str, customer_id: int, task_id: int | None = None) -> str:
    """The current key of a log-a-contact form: a new one after each logged contact.

    Dropping the widgets' values on the server does not clear what the browser shows: the form would keep
    the logged contact on screen, and pressing the button again would log it a second time. New keys make
    the browser draw empty widgets.
    """
    base = keys.log_form(key_prefix, customer_id, task_id)
    revision = int(st.session_state.get(f"{base}__revision", 0))
    return base if revision == 0 else f"{base}_r{revision}"


def _next_log_form(key_prefix: str, customer_id: int, task_id: int | None, form_key: str) -> None:
    base = keys.log_form(key_prefix, customer_id, task_id)
    st.session_state[f"{base}__revision"] = int(st.session_state.get(f"{base}__revision", 0)) + 1
    for suffix in ("__errors", "__token"):
        st.session_state.pop(f"{form_key}{suffix}", None)


def log_contact_form(
    actor: Actor,
    customer_id: int,
    *,
    key_prefix: str,
    task_id: int | None = None,
    on_logged: Callable[[ContactLogged], None] | None = None,
    rerun: bool = True,
) -> ContactLogged | None:
    """A compact form to log a contact with one customer; the outcome can move its stage and plan the next step.

    Shows nothing but a note to read-only roles and to staff who do not own the customer. `task_id` preselects
    the planned follow-up the contact completes (otherwise the first one due by tonight is). On success the
    form clears, `on_logged` is called and the app reruns (unless rerun=False, then the result is returned).
    """
    if not actor.can("follow_ups.log"):
        st.caption(t("follow_ups.log.read_only"))
        return None
    sessions = get_sessions()
    context = None
    with error_boundary("follow-ups log context"):
        context = log_context(sessions, actor=actor, customer_id=customer_id)
    if context is None:
        return None
    if not context.may_log:
        st.info(t("follow_ups.log.not_owner"))
        return None
    form_key = log_form_key(key_prefix, customer_id, task_id)
    show_flash(key_prefix)
    tz = ZoneInfo(context.timezone)
    now_local = rounded_now(tz)
    windows = day_windows(utcnow(), tz)
    tasks = {task.id: task for task in context.open_tasks}
    default_task = (
        task_id
        if task_id in tasks
        else next((task.id for task in context.open_tasks if task.due_at < windows.tomorrow_start), None)
    )
    contacts = {option.id: option.label for option in context.contacts}
    stage_choices = [None, AUTO_STAGE, *[s for s in STAGES if s != context.lifecycle_stage]]
    owners = {option.id: option.label for option in context.owners}

    with st.form(form_key):
        top = st.columns(3)
        contact_options = [None, *contacts]
        contact_id = top[0].selectbox(
            t("follow_ups.field.contact"),
            contact_options,
            index=contact_options.index(context.primary_contact_id) if context.primary_contact_id in contacts else 0,
            format_func=lambda c: t("common.none") if c is None else contacts[c],
            key=f"{form_key}_contact",
        )
        channel = top[1].selectbox(
            t("follow_ups.field.channel"),
            CONTACT_CHANNELS,
            format_func=lambda c: t(f"channel.{c}"),
            key=f"{form_key}_channel",
        )
        outcome = top[2].selectbox(
            t("follow_ups.field.outcome"),
            [None, *OUTCOMES],
            index=1,
            format_func=lambda o: t("common.none") if o is None else t(f"outcome.{o}"),
            key=f"{form_key}_outcome",
        )
        field_error(form_key, "contact_id")
        when_cols = st.columns(2)
        day = when_cols[0].date_input(
            t("follow_ups.field.date"),
            value=now_local.date(),
            max_value=now_local.date(),
            format="YYYY-MM-DD",
            key=f"{form_key}_date",
        )
        time = when_cols[1].time_input(
            t("follow_ups.field.time"), value=now_local.time(), step=TIME_STEP, key=f"{form_key}_time"
        )
        field_error(form_key, "occurred_at")
        summary = st.text_area(
            t("follow_ups.field.summary"),
            height=80,
            max_chars=4000,
            placeholder=t("follow_ups.field.summary_hint"),
            key=f"{form_key}_summary",
        )
        field_error(form_key, "summary")
        stage_cols = st.columns(3)
        move_stage = stage_cols[0].selectbox(
            t("follow_ups.field.stage", stage=t(f"stage.{context.lifecycle_stage}")),
            stage_choices,
            index=1,
            format_func=_stage_choice_label,
            help=t("follow_ups.field.stage_help"),
            key=f"{form_key}_stage",
        )
        churn_reason = stage_cols[1].selectbox(
            t("follow_ups.field.churn_reason"),
            [None, *CHURN_REASONS],
            format_func=lambda r: t("common.none") if r is None else t(f"churn_reason.{r}"),
            key=f"{form_key}_churn_reason",
        )
        task_options = [None, *tasks]
        completes = stage_cols[2].selectbox(
            t("follow_ups.field.completes"),
            task_options,
            index=task_options.index(default_task),
            format_func=lambda i: (
                t("follow_ups.field.completes_none") if i is None else task_label(tasks[i], context.timezone)
            ),
            key=f"{form_key}_completes",
        )
        field_error(form_key, "lifecycle_stage")
        field_error(form_key, "churn_reason")
        field_error(form_key, "task")
        next_cols = st.columns([3, 2, 2, 2] if owners and actor.can("follow_ups.team") else [3, 2, 2])
        next_step = next_cols[0].text_input(t("follow_ups.field.next_step"), max_chars=300, key=f"{form_key}_next_step")
        next_day = next_cols[1].date_input(
            t("follow_ups.field.next_due"),
            value=None,
            min_value=now_local.date(),
            format="YYYY-MM-DD",
            key=f"{form_key}_next_date",
        )
        next_time = next_cols[2].time_input(
            t("follow_ups.field.next_time"),
            value=None,
            step=TIME_STEP,
            help=t("follow_ups.field.next_time_help"),
            key=f"{form_key}_next_time",
        )
        next_owner = None
        if len(next_cols) == 4:
            owner_options = [None, *owners]
            next_owner = next_cols[3].selectbox(
                t("follow_ups.field.next_owner"),
                owner_options,
                format_func=lambda o: t("follow_ups.field.next_owner_default") if o is None else owners[o],
                key=f"{form_key}_next_owner",
            )
        field_error(form_key, "next_due_at")
        field_error(form_key, "next_step")
        field_error(form_key, "next_owner_id")
        submitted = st.form_submit_button(
            t("follow_ups.log.submit"), type="primary", icon=":material/done:", key=f"{form_key}_submit"
        )
    if not submitted:
        return None
    next_due = planned_due(next_day, next_time, tz, company_working_time()) if next_day else None
    chosen = tasks.get(completes) if completes is not None else None
    result = run_action(
        form_key,
        lambda: log_contact(
            sessions,
            actor=actor,
            customer_id=customer_id,
            channel=channel,
            outcome=outcome,
            contact_id=contact_id,
            occurred_at=to_utc(day, time, tz) if day and time else None,  # type: ignore[arg-type]
            summary=summary,
            next_step=next_step,
            next_due_at=next_due,
            next_owner_id=next_owner,
            move_stage=move_stage,
            churn_reason=churn_reason,
            task_id=chosen.id if chosen else None,
            task_version=chosen.version if chosen else None,
            token=form_token(form_key),
        ),
    )
    if result is None:
        return None
    clear_after("follow_up")
    _next_log_form(key_prefix, customer_id, task_id, form_key)
    st.session_state[keys.flash(key_prefix)] = _outcome_message(result, context.timezone, next_due)
    if on_logged is not None:
        on_logged(result)
    if rerun:
        st.rerun()
    return result


def _stage_choice_label(choice: str | None) -> str:
    if choice is None:
        return t("follow_ups.field.stage_keep")
    if choice == AUTO_STAGE:
        return t("follow_ups.field.stage_auto")
    return t(f"stage.{choice}")
