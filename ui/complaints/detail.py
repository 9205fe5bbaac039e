"""One complaint: its facts, time left, history as a timeline, attachments, and only the actions allowed now."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from crm.complaints import (
    AttachmentInput,
    ComplaintDetail,
    ComplaintEdits,
    ComplaintView,
    Confirmation,
    EventView,
    add_attachments,
    add_note,
    change_severity,
    download_attachment,
    edit_complaint,
    get_complaint,
    hand_off,
    transition,
)
from crm.complaints.intake import ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES
from crm.complaints.vocab import CONFIRMATION_CHANNELS, IMPACT_SCOPES, SEVERITIES
from crm.platform.clock import utcnow
from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.complaints import keys
from ui.complaints.intake import TIME_STEP, local_instant
from ui.complaints.widgets import (
    FLAG_COLORS,
    assignees,
    category_codes,
    category_label,
    contacts_of,
    department_name,
    departments,
    duration,
    options_with_none,
    run_case,
    show_flash,
    status_label,
    time_left,
    token,
    vocab,
)
from ui.i18n import t, when
from ui.inert import inert, inert_t, long_text
from ui.reads import clear_after
from ui.state import company_zone, get_sessions
from ui.widgets import error_boundary, field_error, form_errors

STEP = "step"  # the one form of the actions that need no more than a note
STEP_ACTIONS = ("acknowledge", "start", "wait_for_customer", "resume")
CONFIRM_ACTIONS = ("confirm_satisfied", "confirm_not_satisfied")


def detail_section(sessions: Sessions, actor: Actor) -> None:
    """The complaint opened from a queue (or just filed)."""
    st.session_state.pop(keys.JUMP, None)
    show_flash()
    complaint_id = st.session_state.get(keys.OPEN)
    if complaint_id is None:
        st.info(t("complaints.ui.detail_empty"), icon=":material/touch_app:")
        return
    detail = get_complaint(sessions, actor=actor, complaint_id=int(complaint_id))
    show_complaint(sessions, actor, detail)


def _group(action: str) -> str:
    """The form an action is taken in."""
    if action in STEP_ACTIONS:
        return STEP
    if action in CONFIRM_ACTIONS:
        return keys.CONFIRM
    return action


def submit_key(complaint_id: int, action: str) -> str:
    """The key of the button taking an action (tests press it)."""
    form = keys.action_form(complaint_id, _group(action))
    return f"{form}_{action}" if action in STEP_ACTIONS else f"{form}_submit"


def offered_actions(detail: ComplaintDetail) -> tuple[str, ...]:
    """The state machine's actions allowed now, then the other writes this user may make."""
    extra = []
    if detail.may_hand_off:
        extra.append(keys.HAND_OFF)
    if detail.may_change_severity:
        extra.append(keys.SEVERITY)
    if detail.may_attach:
        extra += [keys.NOTE, keys.ATTACH, keys.EDIT]
    return (*detail.allowed_actions, *extra)


def _shown(detail: ComplaintDetail) -> tuple[tuple[str, ...], int]:
    """The actions and version to draw: what the page showed last time when one of its buttons was pressed (so
    a click on a step someone else made meanwhile reaches the service, which names the state now), else now's."""
    complaint = detail.complaint
    state_key = f"complaints_shown_{complaint.id}"
    shown = st.session_state.get(state_key)
    if shown and any(st.session_state.get(submit_key(complaint.id, a)) for a in shown["actions"]):
        return tuple(shown["actions"]), int(shown["version"])
    actions = offered_actions(detail)
    st.session_state[state_key] = {"actions": actions, "version": complaint.version}
    return actions, complaint.version


def show_complaint(sessions: Sessions, actor: Actor, detail: ComplaintDetail) -> None:
    """Facts and time on the left, the actions on the right, the history below."""
    c = detail.complaint
    _header(c)
    facts, actions_col = st.columns([3, 2], gap="large")
    with facts:
        _facts(actor, c)
        _times(detail)
        _attachments(actor, detail)
    with actions_col:
        actions, version = _shown(detail)
        if not actions:
            st.caption(t("complaints.ui.no_actions"))
        for group in dict.fromkeys(_group(a) for a in actions):
            DRAW[group](sessions, actor, c, version, [a for a in actions if _group(a) == group])
    _timeline(detail.events)


def _header(c: ComplaintView) -> None:
    st.subheader(f"{c.code} · {inert(c.customer_name)}")
    badges = st.container(horizontal=True)
    with badges:
        st.badge(status_label(c.status), color="blue")
        st.badge(
            vocab("complaints.severity", c.severity), color="red" if c.severity in ("critical", "high") else "gray"
        )
        if c.flag:
            st.badge(
                t(f"complaints.flag.{c.flag}"),
                color=FLAG_COLORS[c.flag],  # type: ignore[arg-type]
                icon=":material/alarm:",
            )
        if c.reopen_count:
            st.badge(t("complaints.ui.reopened_times", n=c.reopen_count), color="orange", icon=":material/replay:")
        if c.escalated:
            st.badge(t("complaints.field.escalated"), color="violet", icon=":material/priority_high:")


def _fact(label_key: str, value: Any) -> str:
    return f"**{t(label_key)}:** {inert(value) if value not in (None, '') else '—'}"


def _facts(actor: Actor, c: ComplaintView) -> None:
    cols = st.columns(2)
    cols[0].markdown(
        "  \n".join(
            [
                _fact("complaints.field.customer_id", f"{c.customer_name} · {c.customer_code}"),
                _fact("complaints.field.contact_id", c.contact_name),
                _fact("complaints.field.channel", vocab("complaints.channel", c.channel)),
                _fact("complaints.field.received_at", when(c.received_at)),
                _fact("complaints.ui.received_by", c.received_by_name),
                _fact("complaints.field.occurred_at", when(c.occurred_at) if c.occurred_at else None),
            ]
        )
    )
    cols[1].markdown(
        "  \n".join(
            [
                _fact("complaints.field.category", category_label(actor, c.category)),
                _fact("complaints.field.impact_scope", vocab("complaints.impact", c.impact_scope)),
                _fact("complaints.field.department_id", department_name(c.department_name_en, c.department_name_zh)),
                _fact("complaints.field.assignee_id", c.assignee_name),
                _fact("complaints.field.root_cause", c.root_cause),
            ]
        )
    )
    st.markdown(f"**{t('complaints.field.description')}**")
    long_text(c.description, key=f"complaints_desc_{c.id}")
    for label_key, text in (
        ("complaints.field.expected_resolution", c.expected_resolution),
        ("complaints.field.resolution", c.resolution),
        ("complaints.field.rejection_reason", c.rejection_reason),
    ):
        if text:
            st.markdown(f"**{t(label_key)}**")
            long_text(text, key=f"complaints_{label_key}_{c.id}")
    if c.confirmed_at:
        st.markdown(
            inert_t(
                "complaints.ui.confirmation",
                who=c.confirmed_by or "?",
                when=when(c.confirmed_at),
                how=vocab("complaints.channel", c.confirmation_channel),
                answer=t("complaints.satisfied.yes" if c.customer_satisfied else "complaints.satisfied.no"),
            )
        )


def _times(detail: ComplaintDetail) -> None:
    """Each deadline with what is left of it (or when it was met), the waiting time and the time each department
    held the complaint."""
    c, now = detail.complaint, utcnow()
    for label_key, due, done in (
        ("complaints.field.acknowledge_due_at", c.acknowledge_due_at, c.acknowledged_at),
        ("complaints.field.resolve_due_at", c.resolve_due_at, c.first_resolved_at),
    ):
        row = st.container(horizontal=True, vertical_alignment="center", gap="small")
        row.markdown(f"**{t(label_key)}:** {when(due) if due else '—'}")
        if done is not None:
            late = due is not None and done > due
            row.badge(
                t("complaints.ui.done_late" if late else "complaints.ui.done_on_time", when=when(done)),
                color="orange" if late else "green",
                icon=":material/check:",
            )
        elif c.status == "waiting_customer" and label_key.endswith("resolve_due_at"):
            row.badge(t("complaints.ui.paused"), color="gray", icon=":material/pause:")
        elif due is not None and c.status not in ("closed", "rejected"):
            row.badge(time_left(due, now), color="red" if due < now else "green", icon=":material/timer:")
    notes = [t("complaints.ui.waited", time=duration(detail.waiting_seconds))] if detail.waiting_seconds else []
    notes += [
        f"{department_name(d.department_name_en, d.department_name_zh)}: {duration(d.seconds)}"
        for d in detail.department_times
    ]
    if notes:
        st.caption(inert(t("complaints.ui.held_by") + " " + " · ".join(notes)))


def _attachments(actor: Actor, detail: ComplaintDetail) -> None:
    if not detail.attachments:
        return
    st.markdown(f"**{t('complaints.field.attachments')}**")
    for a in detail.attachments:
        cols = st.columns([4, 2], vertical_alignment="center")
        cols[0].markdown(inert(f"{a.filename} · {a.size / 1024:,.0f} KB · {when(a.uploaded_at)}"))
        cols[1].download_button(
            t("complaints.ui.download"),
            data=_fetch(actor, a.id),
            file_name=a.filename,
            mime="application/octet-stream",
            key=keys.download(a.id),
            icon=":material/download:",
            on_click="ignore",
        )


def _fetch(actor: Actor, attachment_id: int) -> Callable[[], bytes]:
    """The file's bytes, read when the button is pressed (offered as a download, never rendered)."""
    return lambda: download_attachment(get_sessions(), actor=actor, attachment_id=attachment_id).content


# --- history --------------------------------------------------------------------------------------------


def describe_event(event: EventView) -> str:
    """One history entry as a sentence (Markdown, user values escaped)."""
    if event.kind == "transition":
        if event.from_status is None:
            text = t("complaints.ui.event.filed")
        elif event.satisfied is not None:
            text = inert_t(
                "complaints.ui.event.confirmed",
                who=event.confirmed_by or "?",
                how=vocab("complaints.channel", event.channel),
                answer=t("complaints.satisfied.yes" if event.satisfied else "complaints.satisfied.no"),
                state=status_label(event.to_status),
            )
        else:
            text = t(
                "complaints.ui.event.moved", old=status_label(event.from_status), new=status_label(event.to_status)
            )
    elif event.kind == "handoff":
        text = inert_t(
            "complaints.ui.event.handoff",
            dept=department_name(event.department_name_en, event.department_name_zh),
            who=event.assignee_name or "—",
        )
    elif event.kind == "severity":
        text = t(
            "complaints.ui.event.severity",
            old=vocab("complaints.severity", event.old_value),
            new=vocab("complaints.severity", event.new_value),
        )
    else:
        text = t(f"complaints.event.{event.kind}")
    return text


def _timeline(events: tuple[EventView, ...]) -> None:
    st.markdown(f"#### {t('complaints.ui.history')}")
    with st.container(border=True):
        for event in reversed(events):  # newest first
            cols = st.columns([2, 6])
            cols[0].caption(f"{when(event.at)}  \n{inert(event.actor_name or '')}")
            with cols[1]:
                st.markdown(describe_event(event))
                if event.note:
                    long_text(event.note, key=f"complaints_event_{event.id}", lines=2)


# --- actions --------------------------------------------------------------------------------------------


def _done(complaint: ComplaintView, message: str) -> None:
    clear_after("complaint")
    st.session_state[keys.FLASH] = message
    st.rerun()


def _step_form(sessions: Sessions, actor: Actor, c: ComplaintView, version: int, actions: list[str]) -> None:
    form = keys.action_form(c.id, STEP)
    with st.form(form, border=True):
        note = st.text_input(t("complaints.field.note"), max_chars=2000, key=f"{form}_note")
        field_error(form, "note")
        pressed = None
        for index, (action, col) in enumerate(zip(actions, st.columns(len(actions)), strict=True)):
            if col.form_submit_button(
                t(f"complaints.action.{action}"),
                type="primary" if index == 0 else "secondary",
                key=f"{form}_{action}",
                width="stretch",
            ):
                pressed = action
    if pressed:
        _take(sessions, actor, c, version, pressed, form, note=note)


def _take(
    sessions: Sessions, actor: Actor, c: ComplaintView, version: int, action: str, form: str, **arguments: Any
) -> None:
    moved = run_case(
        form,
        lambda: transition(
            sessions, actor=actor, complaint_id=c.id, version=version, action=action, token=token(form), **arguments
        ),
    )
    if moved is not None:
        _done(c, t("complaints.ui.moved", code=moved.code, state=status_label(moved.status)))


def _resolve_form(sessions: Sessions, actor: Actor, c: ComplaintView, version: int, actions: list[str]) -> None:
    form = keys.action_form(c.id, "resolve")
    with st.form(form, border=True):
        st.markdown(f"**{t('complaints.action.resolve')}**")
        resolution = st.text_area(
            t("complaints.field.resolution"), height=80, max_chars=10_000, key=f"{form}_resolution"
        )
        field_error(form, "note")
        root_cause = st.text_input(t("complaints.field.root_cause"), max_chars=64, key=f"{form}_root_cause")
        field_error(form, "root_cause")
        submitted = st.form_submit_button(
            t("complaints.action.resolve"), type="primary", key=f"{form}_submit", icon=":material/task_alt:"
        )
    if submitted:
        _take(sessions, actor, c, version, "resolve", form, note=resolution, root_cause=root_cause)


def _confirm_form(sessions: Sessions, actor: Actor, c: ComplaintView, version: int, actions: list[str]) -> None:
    form = keys.action_form(c.id, keys.CONFIRM)
    now_local = utcnow().astimezone(company_zone()).replace(second=0, microsecond=0)
    with st.form(form, border=True):
        st.markdown(f"**{t('complaints.ui.confirm_title')}**")
        who = st.text_input(
            t("complaints.field.confirmed_by"), value=c.contact_name or "", max_chars=120, key=f"{form}_who"
        )
        field_error(form, "confirmed_by")
        cols = st.columns(3)
        channel = cols[0].selectbox(
            t("complaints.ui.confirmed_how"),
            CONFIRMATION_CHANNELS,
            format_func=lambda ch: vocab("complaints.channel", ch),
            key=f"{form}_channel",
        )
        day = cols[1].date_input(
            t("complaints.ui.confirmed_day"),
            value=now_local.date(),
            max_value=now_local.date(),
            format="YYYY-MM-DD",
            key=f"{form}_day",
        )
        time = cols[2].time_input(
            t("complaints.ui.confirmed_time"), value=now_local.time(), step=TIME_STEP, key=f"{form}_time"
        )
        field_error(form, "channel")
        field_error(form, "confirmed_at")
        satisfied = st.radio(
            t("complaints.field.satisfied"),
            [True, False],
            horizontal=True,
            index=None,
            format_func=lambda s: t("complaints.ui.satisfied_close" if s else "complaints.ui.not_satisfied_reopen"),
            key=f"{form}_satisfied",
        )
        field_error(form, "satisfied")
        note = st.text_input(t("complaints.field.note"), max_chars=2000, key=f"{form}_note")
        form_errors(form)
        submitted = st.form_submit_button(
            t("complaints.ui.record_confirmation"), type="primary", key=f"{form}_submit", icon=":material/how_to_reg:"
        )
    if not submitted:
        return
    if satisfied is None:
        st.session_state[f"{form}__errors"] = {"satisfied": t("validation.required")}
        st.rerun()
    action = "confirm_satisfied" if satisfied else "confirm_not_satisfied"
    at = local_instant(day, time)
    confirmation = Confirmation(
        confirmed_by=who, channel=channel, satisfied=bool(satisfied), confirmed_at=min(at, utcnow()) if at else None
    )
    _take(sessions, actor, c, version, action, form, note=note, confirmation=confirmation)


def _reject_form(sessions: Sessions, actor: Actor, c: ComplaintView, version: int, actions: list[str]) -> None:
    form = keys.action_form(c.id, "reject")
    with st.expander(t("complaints.action.reject"), icon=":material/block:"), st.form(form, border=False):
        reason = st.text_area(t("complaints.field.rejection_reason"), height=68, max_chars=10_000, key=f"{form}_reason")
        field_error(form, "note")
        submitted = st.form_submit_button(t("complaints.action.reject"), key=f"{form}_submit")
    if submitted:
        _take(sessions, actor, c, version, "reject", form, note=reason)


def _hand_off_form(sessions: Sessions, actor: Actor, c: ComplaintView, version: int, actions: list[str]) -> None:
    form = keys.action_form(c.id, keys.HAND_OFF)
    depts, people = departments(actor), assignees(actor)
    with (
        st.expander(
            t("complaints.action.hand_off"),
            icon=":material/forward:",
            expanded=c.department_id is None and c.status in ("new", "acknowledged"),
        ),
        st.form(form, border=False),
    ):
        dept_options, dept_label = options_with_none(depts)
        department_id = st.selectbox(
            t("complaints.field.department_id"),
            dept_options,
            format_func=dept_label,
            index=dept_options.index(c.department_id) if c.department_id in depts else 0,
            key=f"{form}_department",
        )
        field_error(form, "department_id")
        person_options, person_label = options_with_none(people)
        assignee_id = st.selectbox(
            t("complaints.field.assignee_id"),
            person_options,
            format_func=person_label,
            index=person_options.index(c.assignee_id) if c.assignee_id in people else 0,
            key=f"{form}_assignee",
        )
        field_error(form, "assignee_id")
        note = st.text_input(t("complaints.field.note"), max_chars=2000, key=f"{form}_note")
        submitted = st.form_submit_button(t("complaints.action.hand_off"), key=f"{form}_submit")
    if submitted:
        moved = run_case(
            form,
            lambda: hand_off(
                sessions,
                actor=actor,
                complaint_id=c.id,
                version=version,
                department_id=department_id,
                assignee_id=assignee_id,
                note=note,
                token=token(form),
            ),
        )
        if moved is not None:
            _done(c, t("complaints.ui.handed_off", code=moved.code))


def _severity_form(sessions: Sessions, actor: Actor, c: ComplaintView, version: int, actions: list[str]) -> None:
    form = keys.action_form(c.id, keys.SEVERITY)
    with st.expander(t("complaints.action.change_severity"), icon=":material/tune:"), st.form(form, border=False):
        severity = st.selectbox(
            t("complaints.field.severity"),
            SEVERITIES,
            index=SEVERITIES.index(c.severity),
            format_func=lambda s: vocab("complaints.severity", s),
            key=f"{form}_severity",
        )
        note = st.text_input(t("complaints.field.note"), max_chars=2000, key=f"{form}_note")
        st.caption(t("complaints.ui.severity_help"))
        submitted = st.form_submit_button(t("complaints.action.change_severity"), key=f"{form}_submit")
    if submitted:
        moved = run_case(
            form,
            lambda: change_severity(
                sessions,
                actor=actor,
                complaint_id=c.id,
                version=version,
                severity=severity,
                note=note,
                token=token(form),
            ),
        )
        if moved is not None:
            _done(c, t("complaints.ui.saved", code=moved.code))


def _note_form(sessions: Sessions, actor: Actor, c: ComplaintView, version: int, actions: list[str]) -> None:
    form = keys.action_form(c.id, keys.NOTE)
    with st.expander(t("complaints.action.note"), icon=":material/edit_note:"), st.form(form, border=False):
        note = st.text_area(t("complaints.field.note"), height=68, max_chars=10_000, key=f"{form}_note")
        field_error(form, "note")
        submitted = st.form_submit_button(t("complaints.action.note"), key=f"{form}_submit")
    if submitted:
        moved = run_case(
            form,
            lambda: add_note(sessions, actor=actor, complaint_id=c.id, version=version, note=note, token=token(form)),
        )
        if moved is not None:
            _done(c, t("complaints.ui.saved", code=moved.code))


def _attach_form(sessions: Sessions, actor: Actor, c: ComplaintView, version: int, actions: list[str]) -> None:
    form = keys.action_form(c.id, keys.ATTACH)
    revision = int(st.session_state.get(f"{form}__rev", 0))
    with st.expander(t("complaints.action.attach"), icon=":material/attach_file:"), st.form(form, border=False):
        files = st.file_uploader(
            t("complaints.field.attachments"),
            type=[suffix.lstrip(".") for suffix in ATTACHMENT_TYPES],
            accept_multiple_files=True,
            max_upload_size=MAX_ATTACHMENT_BYTES // (1024 * 1024),
            key=f"{form}_files_{revision}",
        )
        field_error(form, "attachments")
        submitted = st.form_submit_button(t("complaints.action.attach"), key=f"{form}_submit")
    if submitted:
        uploads = [AttachmentInput(f.name, f.getvalue()) for f in (files or [])]
        if not uploads:
            return
        moved = run_case(
            form,
            lambda: add_attachments(
                sessions, actor=actor, complaint_id=c.id, version=version, attachments=uploads, token=token(form)
            ),
        )
        if moved is not None:
            st.session_state[f"{form}__rev"] = revision + 1
            _done(c, t("complaints.ui.saved", code=moved.code))


def _edit_form(sessions: Sessions, actor: Actor, c: ComplaintView, version: int, actions: list[str]) -> None:
    """Correct what was recorded at intake (severity and routing have their own actions); audited field by field."""
    form = keys.action_form(c.id, keys.EDIT)
    contacts: dict[int, str] = {}
    with error_boundary("complaints contacts"):
        contacts, _primary = contacts_of(actor, c.customer_id)
    zone = company_zone()
    occurred = c.occurred_at.astimezone(zone) if c.occurred_at else None
    received_day = c.received_at.astimezone(zone).date()
    with st.expander(t("complaints.ui.edit_facts"), icon=":material/edit:"), st.form(form, border=False):
        description = st.text_area(
            t("complaints.field.description"),
            value=c.description,
            height=100,
            max_chars=10_000,
            key=f"{form}_description",
        )
        field_error(form, "description")
        top = st.columns(2)
        codes = [None, *category_codes(actor)]
        category = top[0].selectbox(
            t("complaints.field.category"),
            codes,
            index=codes.index(c.category) if c.category in codes else 0,
            format_func=lambda code: t("common.none") if code is None else category_label(actor, code),
            key=f"{form}_category",
        )
        field_error(form, "category")
        contact_options, contact_label = options_with_none(contacts)
        contact_id = top[1].selectbox(
            t("complaints.field.contact_id"),
            contact_options,
            index=contact_options.index(c.contact_id) if c.contact_id in contacts else 0,
            format_func=contact_label,
            key=f"{form}_contact",
        )
        field_error(form, "contact_id")
        impacts = [None, *IMPACT_SCOPES]
        impact = st.selectbox(
            t("complaints.field.impact_scope"),
            impacts,
            index=impacts.index(c.impact_scope) if c.impact_scope in impacts else 0,
            format_func=lambda scope: t("common.none") if scope is None else vocab("complaints.impact", scope),
            key=f"{form}_impact",
        )
        field_error(form, "impact_scope")
        expected = st.text_area(
            t("complaints.field.expected_resolution"),
            value=c.expected_resolution or "",
            height=68,
            max_chars=4000,
            key=f"{form}_expected",
        )
        field_error(form, "expected_resolution")
        when_cols = st.columns(2)
        occurred_day = when_cols[0].date_input(
            t("complaints.ui.occurred_day"),
            value=occurred.date() if occurred else None,
            max_value=received_day,
            format="YYYY-MM-DD",
            key=f"{form}_oday",
        )
        occurred_time = when_cols[1].time_input(
            t("complaints.ui.occurred_time"),
            value=occurred.time().replace(second=0, microsecond=0) if occurred else None,
            step=TIME_STEP,
            key=f"{form}_otime",
        )
        field_error(form, "occurred_at")
        submitted = st.form_submit_button(t("common.save"), key=f"{form}_submit")
    if submitted:
        edits = ComplaintEdits(
            description=description or "",
            category=category,
            contact_id=contact_id,
            impact_scope=impact,
            expected_resolution=expected or None,
            occurred_at=local_instant(occurred_day, occurred_time),
        )
        moved = run_case(
            form,
            lambda: edit_complaint(
                sessions, actor=actor, complaint_id=c.id, version=version, edits=edits, token=token(form)
            ),
        )
        if moved is not None:
            _done(c, t("complaints.ui.saved", code=moved.code))


DRAW: dict[str, Callable[[Sessions, Actor, ComplaintView, int, list[str]], None]] = {
    STEP: _step_form,
    "resolve": _resolve_form,
    keys.CONFIRM: _confirm_form,
    "reject": _reject_form,
    keys.HAND_OFF: _hand_off_form,
    keys.SEVERITY: _severity_form,
    keys.NOTE: _note_form,
    keys.ATTACH: _attach_form,
    keys.EDIT: _edit_form,
}
