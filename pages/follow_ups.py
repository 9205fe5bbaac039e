"""Follow-ups: my queue, log a contact, planned follow-ups, the team view, care dates and the automatic rules."""

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from crm.follow_ups.care import (
    holiday_changes_from_editor,
    list_holidays,
    plan_greeting,
    save_holidays,
    upcoming_care_dates,
)
from crm.follow_ups.core import may_manage_customer
from crm.follow_ups.queues import PERIODS, SECTIONS, calendar_counts, calendar_range, calendar_tasks, my_queue
from crm.follow_ups.service import assignable_users, list_tasks, plan_follow_up
from crm.platform.clock import planned_due
from crm.platform.vocab import CONTACT_CHANNELS, TASK_PRIORITIES, TASK_PURPOSES
from ui.auth import page_actor
from ui.follow_ups.sections import (
    TIME_STEP,
    cached_team_overview,
    cancel_form,
    care_kind_label,
    customer_picker,
    local,
    log_contact_form,
    option_labels,
    reassign_form,
    reschedule_form,
    rules_panel,
    section_total,
    show_flash,
    task_label,
    team_freshness,
)
from ui.i18n import carry_label_choice, date, number, t
from ui.inert import inert, inert_t
from ui.reads import clear_read_caches
from ui.state import company_today, company_working_time, company_zone, get_sessions
from ui.widgets import (
    action_errors,
    data_editor,
    data_table,
    error_boundary,
    field_error,
    form_token,
    pager,
    run_action,
)

actor = page_actor("customers.view")
sessions = get_sessions()
tz = company_zone()
timezone = tz.key
today = company_today()
st.title(t("follow_ups.title"))

TABS = (("queue", "follow_ups.log"), ("log", "follow_ups.log"), ("planned", "follow_ups.log"),
        ("team", "follow_ups.team"), ("care", "customers.view"), ("rules", "follow_ups.manage"))
codes = [code for code, permission in TABS if actor.can(permission)]
# Tabs that track state run only the open tab's code: the team figures are not computed for the queue.
tab_labels = [f"follow_ups.tab.{c}" for c in codes]
carry_label_choice("follow_ups_tab", tab_labels)  # switching to 中文 stays on the open tab
tabs = dict(zip(codes, st.tabs([t(k) for k in tab_labels], key="follow_ups_tab", on_change="rerun"), strict=True))
if not actor.can("follow_ups.log"):
    st.caption(t("follow_ups.read_only"))


def is_open(code: str) -> bool:
    return code in tabs and tabs[code].open is not False


def open_log(customer_id: int, name: str, task_id: int | None) -> None:
    st.session_state["follow_ups_active"] = {"customer_id": customer_id, "name": name, "task_id": task_id}


def close_log() -> None:
    st.session_state.pop("follow_ups_active", None)


def page_of(section: str, delta: int) -> None:
    pages = st.session_state.setdefault("follow_ups_queue_pages", {})
    pages[section] = max(0, pages.get(section, 0) + delta)


# --- my queue ----------------------------------------------------------------------------------------
if is_open("queue"):
    with tabs["queue"], error_boundary("follow-ups queue"):
        show_flash("follow_ups_queue")
        owner_id = actor.id
        if actor.can("follow_ups.team"):
            people = option_labels(assignable_users(sessions, actor=actor))
            ids = list(people)
            owner_id = st.selectbox(t("follow_ups.queue.owner"), ids, index=ids.index(actor.id) if actor.id in ids
                                    else 0, format_func=people.get, key="follow_ups_queue_owner")
        active = st.session_state.get("follow_ups_active")
        if active:
            with st.container(border=True):
                head = st.columns([6, 1])
                head[0].subheader(inert_t("follow_ups.queue.logging", name=active["name"]))
                head[1].button(t("common.cancel"), key="follow_ups_queue_close", on_click=close_log)
                log_contact_form(actor, active["customer_id"], key_prefix="follow_ups_queue",
                                 task_id=active.get("task_id"), on_logged=lambda _result: close_log())
        queue = my_queue(sessions, actor=actor, owner_id=owner_id,
                         pages=st.session_state.get("follow_ups_queue_pages", {}))
        counts = st.columns(len(SECTIONS))
        for column, code in zip(counts, SECTIONS, strict=True):
            column.metric(t(f"follow_ups.section.{code}"), section_total(queue.sections[code]))
        for code in SECTIONS:
            section = queue.sections[code]
            st.subheader(f"{t(f'follow_ups.section.{code}')} · {section_total(section)}")
            if not section.rows:
                st.caption(t(f"follow_ups.section.{code}.empty"))
                continue
            for row in section.rows:
                cols = st.columns([3, 2, 2, 3, 1.8], vertical_alignment="center")
                cols[0].markdown(f"**{inert(row.customer_name)}**  \n{inert(row.customer_code)}")
                if code == "out_of_cadence":
                    cols[1].write(t("follow_ups.queue.last_contact", when=local(row.last_contact_at, timezone))
                                  if row.last_contact_at else t("follow_ups.queue.never_contacted"))
                    cols[2].write(f"{t('stage.' + row.lifecycle_stage)} · {t('tier.' + (row.value_tier or 'none'))}")
                    cols[3].write(t("follow_ups.queue.cadence", days=row.cadence_days))
                    task_id = None
                else:
                    cols[1].write(local(row.due_at, timezone))
                    cols[2].write(f"{t('purpose.' + row.purpose)} · {t('priority.' + row.priority)}")
                    cols[3].markdown(inert(" · ".join(x for x in (row.contact_name, row.contact_phone, row.note) if x)))
                    task_id = row.id
                cols[4].button(t("follow_ups.queue.log"), key=f"follow_ups_log_{code}_{task_id or row.customer_id}",
                               icon=":material/edit_note:", on_click=open_log, width="stretch",
                               args=(row.customer_id, row.customer_name, task_id))
            if section.total > section.page_size:
                nav = st.columns([1, 1, 4])
                nav[0].button(t("follow_ups.queue.previous"), key=f"follow_ups_prev_{code}", on_click=page_of,
                              args=(code, -1), disabled=section.page == 0)
                nav[1].button(t("follow_ups.queue.next"), key=f"follow_ups_next_{code}", on_click=page_of,
                              args=(code, 1), disabled=section.page + 1 >= section.pages)
                nav[2].caption(t("common.page_of", page=section.page + 1, pages=section.pages,
                                 total=section_total(section)))

# --- log a contact -------------------------------------------------------------------------------------
if is_open("log"):
    with tabs["log"]:
        st.caption(t("follow_ups.log.intro"))
        picked = customer_picker(actor, key="follow_ups_log_customer")
        if picked is not None:
            log_contact_form(actor, picked, key_prefix="follow_ups_log")

# --- planned follow-ups ------------------------------------------------------------------------------
PAGE_SIZE = 20
if is_open("planned"):
    with tabs["planned"], error_boundary("follow-ups planned"):
        show_flash("follow_ups_planned")
        filters = st.columns(3)
        status = filters[0].selectbox(t("follow_ups.planned.status"), ("open", "done", "cancelled"),
                                      format_func=lambda s: t(f"task_status.{s}"), key="follow_ups_planned_status")
        purpose = filters[1].selectbox(t("follow_ups.field.purpose"), [None, *TASK_PURPOSES],
                                       format_func=lambda p: t("common.all") if p is None else t(f"purpose.{p}"),
                                       key="follow_ups_planned_purpose")
        owners = option_labels(assignable_users(sessions, actor=actor))
        owner_choice = actor.id
        if actor.can("follow_ups.team"):
            choices = [actor.id, 0, *[o for o in owners if o != actor.id]]
            owner_choice = filters[2].selectbox(
                t("follow_ups.field.owner"), choices,
                format_func=lambda o: t("follow_ups.planned.everyone") if o == 0 else owners.get(o, f"#{o}"),
                key="follow_ups_planned_owner")
        page = int(st.session_state.get("follow_ups_planned_page", 1)) - 1
        tasks, total = list_tasks(sessions, actor=actor, owner_id=None if owner_choice == 0 else owner_choice,
                                  all_owners=owner_choice == 0, status=status, purpose=purpose, page=page,
                                  page_size=PAGE_SIZE)
        if not tasks:
            st.info(t("common.no_rows"))
        else:
            data_table(pd.DataFrame([{
                t("follow_ups.col.due"): local(task.due_at, timezone),
                t("follow_ups.col.customer"): f"{task.customer_name} · {task.customer_code}",
                t("follow_ups.field.purpose"): t(f"purpose.{task.purpose}"),
                t("follow_ups.field.priority"): t(f"priority.{task.priority}"),
                t("follow_ups.field.owner"): task.owner_name or "",
                t("follow_ups.field.contact"): task.contact_name or "",
                t("follow_ups.field.note"): task.note or "",
                t("follow_ups.col.repeat"): t("follow_ups.col.every", days=task.recurrence_days)
                if task.recurrence_days else "",
                t("follow_ups.col.done_at"): local(task.completed_at, timezone) if task.completed_at else "",
                t("follow_ups.field.reason"): task.reschedule_reason or "",
            } for task in tasks]), hide_index=True, width="stretch")
        pager("follow_ups_planned_page", total, PAGE_SIZE)
        if status == "open" and tasks:
            by_id = {task.id: task for task in tasks}
            task = by_id[st.selectbox(t("follow_ups.planned.pick"), list(by_id),
                                      format_func=lambda i: f"{by_id[i].customer_name} · "
                                                            f"{task_label(by_id[i], timezone)}",
                                      key="follow_ups_planned_pick")]
            actions = ["complete", "reschedule", *(["reassign"] if actor.can("follow_ups.team") else []), "cancel"]
            action = st.segmented_control(t("follow_ups.planned.action"), actions, default="complete",
                                          format_func=lambda a: t(f"follow_ups.task.{a}"),
                                          key="follow_ups_planned_action") or "complete"
            if action == "complete":
                log_contact_form(actor, task.customer_id, key_prefix="follow_ups_planned", task_id=task.id)
            elif action == "reschedule":
                reschedule_form(actor, task, timezone, key=f"follow_ups_reschedule_{task.id}")
            elif action == "reassign":
                reassign_form(actor, task, assignable_users(sessions, actor=actor),
                              key=f"follow_ups_reassign_{task.id}")
            else:
                cancel_form(actor, task, key=f"follow_ups_cancel_{task.id}")

        st.divider()
        st.subheader(t("follow_ups.plan.title"))
        plan_customer = customer_picker(actor, key="follow_ups_plan_customer")
        if plan_customer is not None:
            form = f"follow_ups_plan_{plan_customer}"
            with st.form(form):
                cols = st.columns(3)
                plan_purpose = cols[0].selectbox(t("follow_ups.field.purpose"), TASK_PURPOSES,
                                                 format_func=lambda p: t(f"purpose.{p}"), key=f"{form}_purpose")
                plan_priority = cols[1].selectbox(t("follow_ups.field.priority"), TASK_PRIORITIES, index=1,
                                                  format_func=lambda p: t(f"priority.{p}"), key=f"{form}_priority")
                plan_channel = cols[2].selectbox(t("follow_ups.field.channel"), [None, *CONTACT_CHANNELS],
                                                 format_func=lambda c: t("common.none") if c is None
                                                 else t(f"channel.{c}"), key=f"{form}_channel")
                field_error(form, "purpose")
                cols = st.columns(3)
                plan_day = cols[0].date_input(t("follow_ups.field.due_date"), value=today, min_value=today,
                                              format="YYYY-MM-DD", key=f"{form}_date")
                plan_time = cols[1].time_input(t("follow_ups.field.due_time"), value=None, step=TIME_STEP,
                                               help=t("follow_ups.field.next_time_help"), key=f"{form}_time")
                plan_repeat = cols[2].number_input(t("follow_ups.field.recurrence"), min_value=0, max_value=730,
                                                   value=0, step=1, help=t("follow_ups.field.recurrence_help"),
                                                   key=f"{form}_repeat")
                field_error(form, "due_at")
                field_error(form, "recurrence_days")
                plan_note = st.text_input(t("follow_ups.field.note"), max_chars=2000, key=f"{form}_note")
                plan_owner = None
                if actor.can("follow_ups.team"):
                    plan_owner = st.selectbox(t("follow_ups.field.owner"), [None, *owners],
                                              format_func=lambda o: t("follow_ups.field.next_owner_default")
                                              if o is None else owners[o], key=f"{form}_owner")
                    field_error(form, "owner_id")
                planned = st.form_submit_button(t("follow_ups.plan.submit"), type="primary", key=f"{form}_submit")
            if planned and run_action(form, lambda: plan_follow_up(
                    sessions, actor=actor, customer_id=plan_customer, purpose=plan_purpose, priority=plan_priority,
                    channel=plan_channel,
                    due_at=planned_due(plan_day, plan_time, tz, company_working_time()) if plan_day else None,
                    recurrence_days=int(plan_repeat) or None, note=plan_note, owner_id=plan_owner,
                    token=form_token(form))) is not None:
                clear_read_caches()
                st.session_state["follow_ups_planned__flash"] = t("follow_ups.plan.done")
                st.rerun()

# --- team view --------------------------------------------------------------------------------------
if is_open("team"):
    with tabs["team"], error_boundary("follow-ups team"):
        period = st.segmented_control(t("follow_ups.team.period"), PERIODS, default="week",
                                      format_func=lambda p: t(f"follow_ups.team.period.{p}"),
                                      key="follow_ups_team_period") or "week"
        team = cached_team_overview(actor, period)
        st.caption(t("follow_ups.team.range", start=date(team.period_start),
                     end=date(team.period_end - dt.timedelta(days=1))))
        team_freshness(actor, team)
        data_table(pd.DataFrame([{
            t("follow_ups.field.owner"): row.owner_name, t("follow_ups.team.open"): row.open,
            t("follow_ups.team.overdue"): row.overdue, t("follow_ups.team.done"): row.done,
            t("follow_ups.team.contacts"): row.contacts, t("follow_ups.team.customers"): row.customers,
            t("follow_ups.team.compliance"): round(100 * row.compliance, 1) if row.compliance is not None else None,
        } for row in team.owners]), hide_index=True, width="stretch", column_config={
            t("follow_ups.team.compliance"): st.column_config.ProgressColumn(
                t("follow_ups.team.compliance"), min_value=0, max_value=100, format="%.1f%%",
                help=t("follow_ups.team.compliance_help"))})
        st.subheader(t("follow_ups.team.by_tier"))
        data_table(pd.DataFrame([{
            t("follow_ups.team.tier"): t(f"tier.{row.value_tier}"), t("follow_ups.team.customers"): row.customers,
            t("follow_ups.team.in_cadence"): row.in_cadence,
            t("follow_ups.team.compliance"): round(100 * row.compliance, 1) if row.compliance is not None else None,
        } for row in team.tiers]), hide_index=True, width="stretch", column_config={
            t("follow_ups.team.compliance"): st.column_config.ProgressColumn(
                t("follow_ups.team.compliance"), min_value=0, max_value=100, format="%.1f%%")})

        st.subheader(t("follow_ups.team.calendar"))
        cal = st.columns(3)
        view = cal[0].segmented_control(t("follow_ups.team.view"), ("week", "month"), default="week",
                                        format_func=lambda v: t(f"follow_ups.team.view.{v}"),
                                        key="follow_ups_calendar_view") or "week"
        anchor = cal[1].date_input(t("follow_ups.team.anchor"), value=today, format="YYYY-MM-DD",
                                   key="follow_ups_calendar_anchor")
        people = option_labels(assignable_users(sessions, actor=actor))
        who = cal[2].selectbox(t("follow_ups.field.owner"), [None, *people],
                               format_func=lambda o: t("follow_ups.planned.everyone") if o is None else people[o],
                               key="follow_ups_calendar_owner")
        start, days = calendar_range(view, anchor)
        counts = calendar_counts(sessions, actor=actor, start=start, days=days, owner_id=who,
                                 by_owner=view == "week")
        if view == "week":
            names = {o.id: o.label for o in counts.owners}
            frame = pd.DataFrame([{"day": f"{t(f'follow_ups.weekday.{d.weekday()}')} {d.day}",
                                   "owner": names.get(owner, f"#{owner}"), "count": n}
                                  for (owner, d), n in counts.counts.items()],
                                 columns=["day", "owner", "count"])
            order = [f"{t(f'follow_ups.weekday.{d.weekday()}')} {d.day}" for d in counts.days]
            chart = alt.Chart(frame).encode(
                x=alt.X("day:O", sort=order, title=None, scale=alt.Scale(domain=order)),
                y=alt.Y("owner:N", title=None))
        else:
            frame = pd.DataFrame([{"weekday": t(f"follow_ups.weekday.{d.weekday()}"),
                                   "week": str(d - dt.timedelta(days=d.weekday())),
                                   "label": f"{d.day}", "count": counts.total(d)} for d in counts.days])
            order = [t(f"follow_ups.weekday.{i}") for i in range(7)]
            chart = alt.Chart(frame).encode(x=alt.X("weekday:O", sort=order, title=None),
                                            y=alt.Y("week:O", title=None, axis=None))
        heat = chart.mark_rect().encode(color=alt.Color("count:Q", title=t("follow_ups.team.planned"),
                                                        scale=alt.Scale(scheme="greens")),
                                        tooltip=list(frame.columns))
        text = chart.mark_text().encode(text="label:N" if view == "month" else "count:Q")
        rows_shown = len(counts.owners) if view == "week" else days // 7
        st.altair_chart((heat + text).properties(height=max(140, 32 * rows_shown)), width="stretch")
        day = st.date_input(t("follow_ups.team.day"), value=anchor, format="YYYY-MM-DD", key="follow_ups_calendar_day")
        day_tasks, day_total = calendar_tasks(sessions, actor=actor, day=day, owner_id=who)
        st.caption(t("follow_ups.team.day_total", n=number(day_total)))
        if day_tasks:
            data_table(pd.DataFrame([{
                t("follow_ups.col.due"): local(task.due_at, timezone),
                t("follow_ups.col.customer"): task.customer_name, t("follow_ups.field.owner"): task.owner_name or "",
                t("follow_ups.field.purpose"): t(f"purpose.{task.purpose}"),
                t("follow_ups.field.priority"): t(f"priority.{task.priority}"),
            } for task in day_tasks]), hide_index=True, width="stretch")

# --- care dates ---------------------------------------------------------------------------------------
CARE_PAGE = 20
if is_open("care"):
    with tabs["care"], error_boundary("follow-ups care"):
        show_flash("follow_ups_care")
        care = upcoming_care_dates(sessions, actor=actor, today=today)
        st.caption(t("follow_ups.care.intro", days=care.days))
        for holiday in care.holidays:
            st.info(inert_t("follow_ups.care.holiday", day=date(holiday.date), name=holiday.name),
                    icon=":material/celebration:")
        if not care.dates:
            st.caption(t("follow_ups.care.none"))
        care_page = int(st.session_state.get("follow_ups_care_page", 1)) - 1
        for index, item in enumerate(care.dates[care_page * CARE_PAGE:(care_page + 1) * CARE_PAGE]):
            cols = st.columns([2, 2, 3, 3, 1.8], vertical_alignment="center")
            cols[0].write(date(item.day))
            cols[1].write(care_kind_label(item.kind, item.years))
            cols[2].markdown(f"**{inert(item.customer_name)}**  \n{inert(item.customer_code)}")
            cols[3].markdown(inert(" · ".join(x for x in (item.contact_name, item.label) if x)))
            if actor.can("follow_ups.log") and may_manage_customer(actor, item.owner_id):
                greet_key = f"follow_ups_greet_{care_page}_{index}"
                if cols[4].button(t("follow_ups.care.plan"), key=greet_key, icon=":material/redeem:", width="stretch"):
                    if run_action(greet_key, lambda item=item, greet_key=greet_key: plan_greeting(
                            sessions, actor=actor, care=item, token=form_token(greet_key))) is not None:
                        clear_read_caches()
                        st.session_state["follow_ups_care__flash"] = inert_t("follow_ups.care.planned",
                                                                             name=item.customer_name)
                        st.rerun()
                action_errors(greet_key)  # e.g. a care follow-up is already open for this customer
        if len(care.dates) > CARE_PAGE:
            pager("follow_ups_care_page", len(care.dates), CARE_PAGE)
        if care.truncated:
            st.caption(t("follow_ups.care.truncated", n=len(care.dates)))

        st.subheader(t("follow_ups.holidays.title"))
        year = st.selectbox(t("follow_ups.holidays.year"), (today.year, today.year + 1), key="follow_ups_holiday_year")
        holidays = list_holidays(sessions, actor=actor, year=year)
        frame = pd.DataFrame([{"date": h.date, "name": h.name} for h in holidays], columns=["date", "name"])
        config = {"date": st.column_config.DateColumn(t("follow_ups.holidays.date"), format="YYYY-MM-DD",
                                                      required=True),
                  "name": st.column_config.TextColumn(t("follow_ups.holidays.name"), max_chars=120, required=True)}
        if actor.can("follow_ups.manage"):
            # A new editor key after each save starts the editor from the saved rows.
            editor_key = f"follow_ups_holidays_{year}_{st.session_state.get('follow_ups_holidays_rev', 0)}"
            data_editor(frame, column_config=config, num_rows="dynamic", hide_index=True, width="stretch",
                           key=editor_key)
            field_error(editor_key, "date")
            field_error(editor_key, "name")
            if st.button(t("common.save"), key="follow_ups_holidays_save", type="primary"):
                changes = holiday_changes_from_editor(holidays, st.session_state.get(editor_key, {}))
                if run_action(editor_key, lambda: save_holidays(sessions, actor=actor, changes=changes,
                                                                token=form_token(editor_key))) is not None:
                    st.session_state["follow_ups_holidays_rev"] = st.session_state.get("follow_ups_holidays_rev", 0) + 1
                    st.session_state["follow_ups_care__flash"] = t("follow_ups.holidays.saved")
                    st.rerun()
        elif holidays:
            data_table(frame, column_config=config, hide_index=True, width="stretch")
        else:
            st.caption(t("common.no_rows"))

# --- automatic rules ----------------------------------------------------------------------------------
if is_open("rules"):
    with tabs["rules"], error_boundary("follow-ups rules"):
        st.caption(t("follow_ups.rules.intro"))
        rules_panel(actor)
