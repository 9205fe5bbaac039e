"""Follow-up widgets: the log-a-contact form (also used by the customer 360 view), the state badge, task forms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import streamlit as st

from crm.follow_ups.automation import list_rules, update_rules
from crm.follow_ups.core import day_windows, to_utc
from crm.follow_ups.queues import QUEUE_COUNT_CAP, QueueSection, TeamOverview, run_daily, team_overview
from crm.follow_ups.service import (
    AUTO_STAGE,
    ContactLogged,
    Option,
    TaskView,
    cancel_follow_up,
    find_customers,
    log_contact,
    log_context,
    reassign_follow_up,
    reschedule_follow_up,
)
from crm.platform import i18n as catalog
from crm.platform.clock import planned_due, utcnow
from crm.platform.permissions import Actor
from crm.platform.vocab import CHURN_REASONS, CONTACT_CHANNELS, OUTCOMES, STAGES
from ui.i18n import lang, number, t
from ui.reads import clear_read_caches
from ui.state import company_working_time, company_zone, get_sessions
from ui.widgets import error_boundary, field_error, form_token, run_action

STATE_COLORS: dict[str, str] = {"none": "gray", "planned": "green", "overdue": "red", "out_of_cadence": "orange"}
STATE_ICONS: dict[str, str] = {"none": ":material/radio_button_unchecked:", "planned": ":material/event_available:",
                               "overdue": ":material/alarm:", "out_of_cadence": ":material/history:"}
STATE_DOTS: dict[str, str] = {"none": "⚪", "planned": "🟢", "overdue": "🔴", "out_of_cadence": "🟠"}
TIME_STEP = dt.timedelta(minutes=5)


# --- the follow-up state ------------------------------------------------------------------------------


def next_activity_badge(state: str) -> None:
    """Show a customer's follow-up state as a coloured badge: grey nothing planned, green planned, red overdue,
    amber out of cadence."""
    st.badge(t(f"follow_up_state.{state}"), color=STATE_COLORS.get(state, "gray"),  # type: ignore[arg-type]
             icon=STATE_ICONS.get(state))


def state_label(state: str) -> str:
    """The state as text with a coloured dot, for table columns (🔴 Overdue)."""
    return f"{STATE_DOTS.get(state, '⚪')} {t(f'follow_up_state.{state}')}"


# --- formatting -----------------------------------------------------------------------------------------


def local(value: dt.datetime | None, timezone: str) -> str:
    """Format an instant in the company time zone and the user's language."""
    return catalog.format_datetime(value, lang(), timezone)


def task_label(task: TaskView, timezone: str) -> str:
    return f"{t('purpose.' + task.purpose)} · {local(task.due_at, timezone)}"


def _rounded_now(tz: ZoneInfo) -> dt.datetime:
    now = utcnow().astimezone(tz)
    return now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)


def care_kind_label(kind: str, years: int | None) -> str:
    """What a care date is, with its count: "Birthday (36 years old)", "First-deal anniversary (1 year)"."""
    label = t(f"follow_ups.care.kind.{kind}")
    if not years:
        return label
    if kind == "birthday":
        count = t("follow_ups.care.age", n=years)
    else:
        count = t("follow_ups.care.years_one") if years == 1 else t("follow_ups.care.years", n=years)
    return f"{label} {count}"


def show_flash(key_prefix: str) -> None:
    """Show (once) the message a successful log-a-contact left for this place."""
    message = st.session_state.pop(f"{key_prefix}__flash", None)
    if message:
        st.success(message, icon=":material/check_circle:")


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
    base = f"{key_prefix}_log_{customer_id}_{task_id or 0}"
    revision = int(st.session_state.get(f"{base}__revision", 0))
    return base if revision == 0 else f"{base}_r{revision}"


def _next_log_form(key_prefix: str, customer_id: int, task_id: int | None, form_key: str) -> None:
    base = f"{key_prefix}_log_{customer_id}_{task_id or 0}"
    st.session_state[f"{base}__revision"] = int(st.session_state.get(f"{base}__revision", 0)) + 1
    for suffix in ("__errors", "__token"):
        st.session_state.pop(f"{form_key}{suffix}", None)


# --- log a contact ---------------------------------------------------------------------------------------


def log_contact_form(
    actor: Actor, customer_id: int, *, key_prefix: str, task_id: int | None = None,
    on_logged: Callable[[ContactLogged], None] | None = None, rerun: bool = True,
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
    now_local = _rounded_now(tz)
    windows = day_windows(utcnow(), tz)
    tasks = {task.id: task for task in context.open_tasks}
    default_task = task_id if task_id in tasks else next(
        (task.id for task in context.open_tasks if task.due_at < windows.tomorrow_start), None)
    contacts = {option.id: option.label for option in context.contacts}
    stage_choices = [None, AUTO_STAGE, *[s for s in STAGES if s != context.lifecycle_stage]]
    owners = {option.id: option.label for option in context.owners}

    with st.form(form_key):
        top = st.columns(3)
        contact_options = [None, *contacts]
        contact_id = top[0].selectbox(
            t("follow_ups.field.contact"), contact_options,
            index=contact_options.index(context.primary_contact_id) if context.primary_contact_id in contacts else 0,
            format_func=lambda c: t("common.none") if c is None else contacts[c], key=f"{form_key}_contact")
        channel = top[1].selectbox(t("follow_ups.field.channel"), CONTACT_CHANNELS,
                                   format_func=lambda c: t(f"channel.{c}"), key=f"{form_key}_channel")
        outcome = top[2].selectbox(t("follow_ups.field.outcome"), [None, *OUTCOMES], index=1,
                                   format_func=lambda o: t("common.none") if o is None else t(f"outcome.{o}"),
                                   key=f"{form_key}_outcome")
        field_error(form_key, "contact_id")
        when_cols = st.columns(2)
        day = when_cols[0].date_input(t("follow_ups.field.date"), value=now_local.date(), max_value=now_local.date(),
                                      format="YYYY-MM-DD", key=f"{form_key}_date")
        time = when_cols[1].time_input(t("follow_ups.field.time"), value=now_local.time(), step=TIME_STEP,
                                       key=f"{form_key}_time")
        field_error(form_key, "occurred_at")
        summary = st.text_area(t("follow_ups.field.summary"), height=80, max_chars=4000,
                               placeholder=t("follow_ups.field.summary_hint"), key=f"{form_key}_summary")
        field_error(form_key, "summary")
        stage_cols = st.columns(3)
        move_stage = stage_cols[0].selectbox(
            t("follow_ups.field.stage", stage=t(f"stage.{context.lifecycle_stage}")), stage_choices, index=1,
            format_func=_stage_choice_label, help=t("follow_ups.field.stage_help"), key=f"{form_key}_stage")
        churn_reason = stage_cols[1].selectbox(
            t("follow_ups.field.churn_reason"), [None, *CHURN_REASONS],
            format_func=lambda r: t("common.none") if r is None else t(f"churn_reason.{r}"),
            key=f"{form_key}_churn_reason")
        task_options = [None, *tasks]
        completes = stage_cols[2].selectbox(
            t("follow_ups.field.completes"), task_options, index=task_options.index(default_task),
            format_func=lambda i: t("follow_ups.field.completes_none") if i is None else task_label(
                tasks[i], context.timezone), key=f"{form_key}_completes")
        field_error(form_key, "lifecycle_stage")
        field_error(form_key, "churn_reason")
        field_error(form_key, "task")
        next_cols = st.columns([3, 2, 2, 2] if owners and actor.can("follow_ups.team") else [3, 2, 2])
        next_step = next_cols[0].text_input(t("follow_ups.field.next_step"), max_chars=300,
                                            key=f"{form_key}_next_step")
        next_day = next_cols[1].date_input(t("follow_ups.field.next_due"), value=None,
                                           min_value=now_local.date(), format="YYYY-MM-DD",
                                           key=f"{form_key}_next_date")
        next_time = next_cols[2].time_input(t("follow_ups.field.next_time"), value=None, step=TIME_STEP,
                                            help=t("follow_ups.field.next_time_help"), key=f"{form_key}_next_time")
        next_owner = None
        if len(next_cols) == 4:
            owner_options = [None, *owners]
            next_owner = next_cols[3].selectbox(
                t("follow_ups.field.next_owner"), owner_options,
                format_func=lambda o: t("follow_ups.field.next_owner_default") if o is None else owners[o],
                key=f"{form_key}_next_owner")
        field_error(form_key, "next_due_at")
        field_error(form_key, "next_step")
        field_error(form_key, "next_owner_id")
        submitted = st.form_submit_button(t("follow_ups.log.submit"), type="primary", icon=":material/done:",
                                          key=f"{form_key}_submit")
    if not submitted:
        return None
    next_due = planned_due(next_day, next_time, tz, company_working_time()) if next_day else None
    chosen = tasks.get(completes) if completes is not None else None
    result = run_action(form_key, lambda: log_contact(
        sessions, actor=actor, customer_id=customer_id, channel=channel, outcome=outcome, contact_id=contact_id,
        occurred_at=to_utc(day, time, tz) if day and time else None,  # type: ignore[arg-type]
        summary=summary, next_step=next_step, next_due_at=next_due, next_owner_id=next_owner,
        move_stage=move_stage, churn_reason=churn_reason, task_id=chosen.id if chosen else None,
        task_version=chosen.version if chosen else None, token=form_token(form_key)))
    if result is None:
        return None
    clear_read_caches()
    _next_log_form(key_prefix, customer_id, task_id, form_key)
    st.session_state[f"{key_prefix}__flash"] = _outcome_message(result, context.timezone, next_due)
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


# --- pickers ---------------------------------------------------------------------------------------------


def customer_picker(actor: Actor, *, key: str) -> int | None:
    """Search box plus a selectbox of at most 50 matching customers (never the whole table)."""
    text = st.text_input(t("follow_ups.picker.search"), key=f"{key}_search",
                         placeholder=t("follow_ups.picker.search_hint"))
    options: list[Option] = []
    with error_boundary("follow-ups customer picker"):
        options = find_customers(get_sessions(), actor=actor, text=text)
    if not options:
        st.caption(t("follow_ups.picker.none"))
        return None
    labels = {o.id: o.label for o in options}
    chosen = st.selectbox(t("follow_ups.picker.customer"), list(labels), format_func=labels.get, key=f"{key}_id")
    if len(options) >= 50:
        st.caption(t("follow_ups.picker.more"))
    return int(chosen) if chosen is not None else None


# --- task actions ----------------------------------------------------------------------------------------


def reschedule_form(actor: Actor, task: TaskView, timezone: str, *, key: str) -> None:
    """Move a planned follow-up to another day and time, with the reason."""
    tz = ZoneInfo(timezone)
    due_local = task.due_at.astimezone(tz)
    today = utcnow().astimezone(tz).date()
    with st.form(key):
        cols = st.columns(2)
        day = cols[0].date_input(t("follow_ups.field.due_date"), value=max(due_local.date(), today), min_value=today,
                                 format="YYYY-MM-DD", key=f"{key}_date")
        time = cols[1].time_input(t("follow_ups.field.due_time"), value=due_local.time().replace(second=0),
                                  step=TIME_STEP, key=f"{key}_time")
        field_error(key, "due_at")
        reason = st.text_input(t("follow_ups.field.reason"), max_chars=300, key=f"{key}_reason")
        field_error(key, "reason")
        submitted = st.form_submit_button(t("follow_ups.task.reschedule"), icon=":material/event_repeat:",
                                          key=f"{key}_submit")
    if submitted and run_action(key, lambda: reschedule_follow_up(
            get_sessions(), actor=actor, task_id=task.id, version=task.version,
            due_at=to_utc(day, time, tz), reason=reason, token=form_token(key))) is not None:
        _task_saved("follow_ups.task.rescheduled")


def reassign_form(actor: Actor, task: TaskView, owners: list[Option], *, key: str) -> None:
    """Give a planned follow-up to someone else (managers)."""
    labels = {o.id: o.label for o in owners}
    with st.form(key):
        options = list(labels)
        owner = st.selectbox(t("follow_ups.field.owner"), options,
                             index=options.index(task.owner_id) if task.owner_id in labels else 0,
                             format_func=labels.get, key=f"{key}_owner")
        field_error(key, "owner_id")
        submitted = st.form_submit_button(t("follow_ups.task.reassign"), icon=":material/person_search:",
                                          key=f"{key}_submit")
    if submitted and run_action(key, lambda: reassign_follow_up(
            get_sessions(), actor=actor, task_id=task.id, version=task.version, owner_id=int(owner),
            token=form_token(key))) is not None:
        _task_saved("follow_ups.task.reassigned")


def cancel_form(actor: Actor, task: TaskView, *, key: str) -> None:
    """Cancel a planned follow-up, optionally saying why."""
    with st.form(key):
        reason = st.text_input(t("follow_ups.field.cancel_reason"), max_chars=300, key=f"{key}_reason")
        field_error(key, "reason")
        submitted = st.form_submit_button(t("follow_ups.task.cancel"), icon=":material/event_busy:",
                                          key=f"{key}_submit")
    if submitted and run_action(key, lambda: cancel_follow_up(
            get_sessions(), actor=actor, task_id=task.id, version=task.version, reason=reason,
            token=form_token(key))) is not None:
        _task_saved("follow_ups.task.cancelled")


def _task_saved(message_key: str) -> None:
    clear_read_caches()
    st.session_state["follow_ups_planned__flash"] = t(message_key)
    st.rerun()


# --- cached reads for the managers' views ------------------------------------------------------------------


@st.cache_data(ttl=60, show_spinner=False)
def cached_team_overview(actor: Actor, period: str) -> TeamOverview:
    return team_overview(get_sessions(), actor=actor, period=period)


def section_total(section: QueueSection) -> str:
    """A queue section's count, "1,000+" beyond the cap."""
    return f"{number(QUEUE_COUNT_CAP)}+" if section.capped else number(section.total)


def as_of(when: dt.datetime, timezone: str) -> str:
    """HH:MM in the company time zone when it is today there, else the short date and time."""
    tz = ZoneInfo(timezone)
    local_when = when.astimezone(tz)
    return local_when.strftime("%H:%M") if local_when.date() == utcnow().astimezone(tz).date() else \
        local(when, timezone)


def team_freshness(actor: Actor, team: TeamOverview) -> None:
    """Show when the team figures were computed, and a Refresh button that recomputes them now."""
    head = st.columns([5, 1], vertical_alignment="center")
    head[0].caption(t("follow_ups.team.as_of", time=as_of(team.computed_at, team.timezone)),
                    help=t("follow_ups.team.as_of_help", minutes=team.max_age_minutes))
    key = "follow_ups_team_refresh"
    if head[1].button(t("follow_ups.team.refresh"), key=key, icon=":material/refresh:", width="stretch"):
        with st.spinner(t("follow_ups.team.refresh")):
            refreshed = run_action(key, lambda: team_overview(get_sessions(), actor=actor, period=team.period,
                                                              refresh=True))
        if refreshed is not None:
            clear_read_caches()
            st.session_state["follow_ups_team__flash"] = t("follow_ups.team.refreshed")
            st.rerun()
    show_flash("follow_ups_team")


def rules_panel(actor: Actor) -> None:
    """Switch the automatic rules on and off, set their parameters, and run them now (managers)."""
    sessions = get_sessions()
    rules = list_rules(sessions, actor=actor)
    form = "follow_ups_rules"
    with st.form(form):
        enabled: dict[str, bool] = {}
        params: dict[str, dict[str, int]] = {}
        for rule in rules:
            with st.container(border=True):
                enabled[rule.code] = st.toggle(t(f"follow_ups.rule.{rule.code}"), value=rule.enabled,
                                               key=f"{form}_{rule.code}_enabled")
                st.caption(t(f"follow_ups.rule.{rule.code}.help"))
                cols = st.columns(max(1, len(rule.params)))
                params[rule.code] = {}
                for column, (name, value) in zip(cols, rule.params.items(), strict=False):
                    params[rule.code][name] = int(column.number_input(
                        t(f"follow_ups.rule.param.{name}"), value=int(value), step=1,
                        key=f"{form}_{rule.code}_{name}"))
                    with column:
                        field_error(form, f"{rule.code}.{name}")
                st.caption(t("follow_ups.rule.last_run", when=local(rule.last_run_at, _timezone())
                             if rule.last_run_at else t("follow_ups.rule.never")))
        saved = st.form_submit_button(t("common.save"), type="primary", key=f"{form}_submit")
    if saved:
        if run_action(form, lambda: update_rules(sessions, actor=actor, enabled=enabled, params=params,
                                                 token=form_token(form))) is not None:
            st.session_state["follow_ups_rules__flash"] = t("follow_ups.rule.saved")
            st.rerun()
    show_flash("follow_ups_rules")
    if st.button(t("follow_ups.rule.run_now"), key="follow_ups_rules_run", icon=":material/play_arrow:"):
        with st.spinner(t("follow_ups.rule.running")):
            created = run_action("follow_ups_rules_run", lambda: run_daily(sessions, actor=actor))
        if created is not None:
            clear_read_caches()
            # Rerun so each rule's "last run" above shows this run; the counts are shown after it.
            st.session_state["follow_ups_rules__ran"] = dict(created)
            st.rerun()
    ran = st.session_state.pop("follow_ups_rules__ran", None)
    if ran is not None:
        st.success(t("follow_ups.rule.ran", n=sum(ran.values())), icon=":material/check_circle:")
        st.table([{t("follow_ups.rule.col.rule"): t(f"follow_ups.rule.{code}"),
                   t("follow_ups.rule.col.created"): count} for code, count in ran.items()])


def _timezone() -> str:
    return company_zone().key


def option_labels(options: list[Option]) -> dict[int, str]:
    return {o.id: o.label for o in options}
