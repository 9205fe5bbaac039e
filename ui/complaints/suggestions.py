"""Suggestions (建议): the list, a new one, the evaluation (adopt, partly, not, with the reason), the action taken
and when the customer was told."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm.complaints.suggestions import (
    SuggestionInput,
    SuggestionView,
    evaluate_suggestion,
    get_suggestion,
    inform_customer,
    list_suggestions,
    record_action_taken,
    record_suggestion,
)
from crm.complaints.vocab import (
    SUGGESTION_CATEGORIES,
    SUGGESTION_EVALUATIONS,
    SUGGESTION_SOURCES,
    SUGGESTION_STATUSES,
)
from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.complaints import keys
from ui.complaints.intake import local_instant
from ui.complaints.widgets import (
    contacts_of,
    customer_picker,
    department_name,
    departments,
    options_with_none,
    run_case,
    show_flash,
    shown_version,
    status_label,
    token,
    vocab,
)
from ui.i18n import t, when
from ui.inert import inert, long_text, preview
from ui.reads import clear_after
from ui.state import company_today
from ui.widgets import data_table, error_boundary, field_error, pager

PAGE_SIZE = 25


def suggestions_section(sessions: Sessions, actor: Actor) -> None:
    """The suggestions, newest first; the one picked with its evaluation; a new one."""
    show_flash()
    listing, new = st.columns([3, 2], gap="large")
    with listing, error_boundary("complaints suggestions"):
        _listing(sessions, actor)
    with new:
        if actor.can("complaints.handle"):
            with st.container(border=True):
                st.markdown(f"**{t('complaints.ui.new_suggestion')}**")
                _new_suggestion(sessions, actor)


def _listing(sessions: Sessions, actor: Actor) -> None:
    status = st.selectbox(
        t("complaints.ui.status"),
        [None, *SUGGESTION_STATUSES],
        key=keys.SUG_STATUS,
        format_func=lambda s: t("common.all") if s is None else status_label(s, "suggestion"),
    )
    page = int(st.session_state.get(keys.SUG_PAGE, 1) or 1) - 1
    rows, total = list_suggestions(sessions, actor=actor, status=status, page=page, page_size=PAGE_SIZE)
    if not rows:
        st.info(t("complaints.ui.no_suggestions"), icon=":material/inbox:")
        return
    data_table(
        pd.DataFrame(
            [
                {
                    t("complaints.field.received_at"): when(s.received_at),
                    t("complaints.field.customer_id"): s.customer_name,
                    t("complaints.field.category"): vocab("complaints.suggestion_category", s.category),
                    t("complaints.field.content"): preview(s.content, lines=1, chars=80)[0],
                    t("complaints.field.department_id"): department_name(s.department_name_en, s.department_name_zh),
                    t("complaints.ui.status"): status_label(s.status, "suggestion"),
                    t("complaints.field.evaluation_result"): vocab("complaints.evaluation", s.evaluation_result),
                }
                for s in rows
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    if total > PAGE_SIZE:
        pager(keys.SUG_PAGE, total, PAGE_SIZE)
    labels = {s.id: f"{when(s.received_at)} · {s.customer_name}" for s in rows}
    picked = st.selectbox(t("complaints.ui.pick_suggestion"), list(labels), format_func=labels.get, key=keys.SUG_PICK)
    if picked is not None:
        _panel(sessions, actor, get_suggestion(sessions, actor=actor, suggestion_id=int(picked)))


def _panel(sessions: Sessions, actor: Actor, s: SuggestionView) -> None:
    with st.container(border=True):
        st.markdown(
            f"{inert(s.customer_name)} · {status_label(s.status, 'suggestion')} · "
            f"{vocab('complaints.suggestion_category', s.category)}"
        )
        long_text(s.content, key=f"complaints_sug_c_{s.id}")
        if s.evaluation_result:
            st.markdown(
                f"**{t('complaints.field.evaluation_result')}:** {vocab('complaints.evaluation', s.evaluation_result)}"
            )
            long_text(s.evaluation, key=f"complaints_sug_e_{s.id}")
        if s.action_taken:
            st.markdown(f"**{t('complaints.field.action_taken')}**")
            long_text(s.action_taken, key=f"complaints_sug_a_{s.id}")
        if s.customer_informed_at:
            st.caption(f"{t('complaints.field.customer_informed_at')}: {when(s.customer_informed_at)}")
        forms = {a: keys.suggestion_form(s.id, a) for a in s.allowed_actions}
        version = shown_version(f"complaints_sug_shown_{s.id}", s.version, [f"{f}_submit" for f in forms.values()])
        if "evaluate" in forms:
            form = forms["evaluate"]
            with st.form(form):
                result = st.radio(
                    t("complaints.field.evaluation_result"),
                    SUGGESTION_EVALUATIONS,
                    horizontal=True,
                    index=SUGGESTION_EVALUATIONS.index(s.evaluation_result)
                    if s.evaluation_result in SUGGESTION_EVALUATIONS
                    else None,
                    format_func=lambda e: vocab("complaints.evaluation", e),
                    key=f"{form}_result",
                )
                field_error(form, "evaluation_result")
                reason = st.text_area(
                    t("complaints.field.evaluation"),
                    value=s.evaluation or "",
                    height=68,
                    max_chars=10_000,
                    key=f"{form}_reason",
                )
                field_error(form, "evaluation")
                action = st.text_area(
                    t("complaints.field.action_taken"),
                    value=s.action_taken or "",
                    height=68,
                    max_chars=10_000,
                    key=f"{form}_action",
                )
                if st.form_submit_button(t("complaints.action.evaluate"), type="primary", key=f"{form}_submit"):
                    _finish(
                        run_case(
                            form,
                            lambda: evaluate_suggestion(
                                sessions,
                                actor=actor,
                                suggestion_id=s.id,
                                version=version,
                                result=result or "",
                                reason=reason,
                                action_taken=action or None,
                                token=token(form),
                            ),
                        )
                    )
        elif "record_action" in forms:
            form = forms["record_action"]
            with st.form(form):
                action = st.text_area(
                    t("complaints.field.action_taken"),
                    value=s.action_taken or "",
                    height=68,
                    max_chars=10_000,
                    key=f"{form}_action",
                )
                field_error(form, "action_taken")
                if st.form_submit_button(t("complaints.ui.save_action"), key=f"{form}_submit"):
                    _finish(
                        run_case(
                            form,
                            lambda: record_action_taken(
                                sessions,
                                actor=actor,
                                suggestion_id=s.id,
                                version=version,
                                action_taken=action,
                                token=token(form),
                            ),
                        )
                    )
        if "inform" in forms:
            form = forms["inform"]
            with st.form(form):
                day = st.date_input(
                    t("complaints.field.customer_informed_at"),
                    value=company_today(),
                    max_value=company_today(),
                    format="YYYY-MM-DD",
                    key=f"{form}_day",
                )
                field_error(form, "customer_informed_at")
                if st.form_submit_button(t("complaints.action.inform"), key=f"{form}_submit"):
                    _finish(
                        run_case(
                            form,
                            lambda: inform_customer(
                                sessions,
                                actor=actor,
                                suggestion_id=s.id,
                                version=version,
                                informed_at=local_instant(day, None) if day != company_today() else None,
                                token=token(form),
                            ),
                        )
                    )


def _finish(result: SuggestionView | None) -> None:
    if result is not None:
        clear_after("complaint")
        st.session_state[keys.FLASH] = t(
            "complaints.ui.suggestion_saved", state=status_label(result.status, "suggestion")
        )
        st.rerun()


def _new_suggestion(sessions: Sessions, actor: Actor) -> None:
    customer_id = customer_picker(actor, key=keys.SUG_CUSTOMER)
    if customer_id is None:
        return
    revision = int(st.session_state.get(f"{keys.SUG_NEW}__rev", 0))
    form = f"{keys.SUG_NEW}_{customer_id}_r{revision}"
    contacts: dict[int, str] = {}
    with error_boundary("complaints contacts"):
        contacts, _ = contacts_of(actor, customer_id)
    with st.form(form):
        contact_options, contact_label = options_with_none(contacts)
        contact_id = st.selectbox(
            t("complaints.field.contact_id"), contact_options, format_func=contact_label, key=f"{form}_contact"
        )
        cols = st.columns(2)
        channel = cols[0].selectbox(
            t("complaints.ui.source"),
            SUGGESTION_SOURCES,
            key=f"{form}_channel",
            format_func=lambda c: vocab("complaints.channel", c),
        )
        category = cols[1].selectbox(
            t("complaints.field.category"),
            [None, *SUGGESTION_CATEGORIES],
            format_func=lambda c: t("common.none") if c is None else vocab("complaints.suggestion_category", c),
            key=f"{form}_category",
        )
        content = st.text_area(t("complaints.field.content"), height=80, max_chars=10_000, key=f"{form}_content")
        field_error(form, "content")
        depts = departments(actor)
        dept_options, dept_label = options_with_none(depts)
        department_id = st.selectbox(
            t("complaints.field.department_id"), dept_options, format_func=dept_label, key=f"{form}_department"
        )
        submitted = st.form_submit_button(t("complaints.ui.record_suggestion"), type="primary", key=f"{form}_submit")
    if submitted:
        created = run_case(
            form,
            lambda: record_suggestion(
                sessions,
                actor=actor,
                data=SuggestionInput(
                    customer_id=customer_id,
                    channel=channel,
                    content=content or "",
                    category=category,
                    department_id=department_id,
                    contact_id=contact_id,
                ),
                token=token(form),
            ),
        )
        if created is not None:
            st.session_state[f"{keys.SUG_NEW}__rev"] = revision + 1
            _finish(created)
