"""Inquiries (咨询): the list, a new one, and answering, closing or turning one into a complaint."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm.complaints.inquiries import (
    InquiryInput,
    InquiryStep,
    InquiryView,
    answer_inquiry,
    close_inquiry,
    convert_to_complaint,
    file_inquiry,
    get_inquiry,
    list_inquiries,
    respond_to_inquiry,
)
from crm.complaints.vocab import CHANNELS, INQUIRY_STATUSES, SEVERITIES
from crm.platform.clock import utcnow
from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.complaints import keys
from ui.complaints.widgets import (
    assignees,
    category_codes,
    category_label,
    contacts_of,
    customer_picker,
    department_name,
    departments,
    flag_text,
    open_on_detail,
    options_with_none,
    run_case,
    show_flash,
    shown_version,
    status_label,
    time_left,
    token,
    vocab,
)
from ui.i18n import t, when
from ui.inert import inert, long_text, preview
from ui.reads import clear_after
from ui.widgets import data_table, error_boundary, field_error, pager

PAGE_SIZE = 25


def inquiries_section(sessions: Sessions, actor: Actor) -> None:
    """The inquiries, open first by their deadline; the one picked with its actions; a new one."""
    show_flash()
    listing, new = st.columns([3, 2], gap="large")
    with listing, error_boundary("complaints inquiries"):
        _listing(sessions, actor)
    with new:
        if actor.can("complaints.handle"):
            with st.container(border=True):
                st.markdown(f"**{t('complaints.ui.new_inquiry')}**")
                _new_inquiry(sessions, actor)


def _listing(sessions: Sessions, actor: Actor) -> None:
    status = st.selectbox(
        t("complaints.ui.status"),
        [None, *INQUIRY_STATUSES],
        key=keys.INQ_STATUS,
        format_func=lambda s: t("common.all") if s is None else status_label(s, "inquiry"),
    )
    page = int(st.session_state.get(keys.INQ_PAGE, 1) or 1) - 1
    rows, total = list_inquiries(sessions, actor=actor, status=status, page=page, page_size=PAGE_SIZE)
    if not rows:
        st.info(t("complaints.ui.no_inquiries"), icon=":material/inbox:")
        return
    now = utcnow()
    data_table(
        pd.DataFrame(
            [
                {
                    t("complaints.ui.col.flag"): flag_text(q.flag),
                    t("complaints.field.code"): q.code,
                    t("complaints.field.customer_id"): q.customer_name,
                    t("complaints.ui.status"): status_label(q.status, "inquiry"),
                    t("complaints.field.question"): preview(q.question, lines=1, chars=80)[0],
                    t("complaints.field.received_at"): when(q.received_at),
                    t("complaints.ui.col.left"): time_left(
                        q.respond_due_at if q.responded_at is None else q.answer_due_at, now
                    )
                    if q.status == "new"
                    else "",
                }
                for q in rows
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    if total > PAGE_SIZE:
        pager(keys.INQ_PAGE, total, PAGE_SIZE)
    labels = {q.id: f"{q.code} · {q.customer_name}" for q in rows}
    picked = st.selectbox(t("complaints.ui.pick_inquiry"), list(labels), format_func=labels.get, key=keys.INQ_PICK)
    if picked is not None:
        _inquiry_panel(sessions, actor, get_inquiry(sessions, actor=actor, inquiry_id=int(picked)))


def _inquiry_panel(sessions: Sessions, actor: Actor, q: InquiryView) -> None:
    with st.container(border=True):
        st.markdown(f"**{q.code}** · {inert(q.customer_name)} · {status_label(q.status, 'inquiry')}")
        st.caption(
            inert(
                " · ".join(
                    [
                        vocab("complaints.channel", q.channel),
                        when(q.received_at),
                        department_name(q.department_name_en, q.department_name_zh),
                        q.assignee_name or "—",
                    ]
                )
            )
        )
        long_text(q.question, key=f"complaints_inq_q_{q.id}")
        if q.answer:
            st.markdown(f"**{t('complaints.field.answer')}**")
            long_text(q.answer, key=f"complaints_inq_a_{q.id}")
        forms = {a: keys.inquiry_form(q.id, a) for a in q.allowed_actions}
        version = shown_version(f"complaints_inq_shown_{q.id}", q.version, [f"{f}_submit" for f in forms.values()])
        if "respond" in forms and st.button(t("complaints.action.respond"), key=f"{forms['respond']}_submit"):
            _finish(
                run_case(
                    forms["respond"],
                    lambda: respond_to_inquiry(
                        sessions, actor=actor, inquiry_id=q.id, version=version, token=token(forms["respond"])
                    ),
                )
            )
        if "answer" in forms:
            form = forms["answer"]
            with st.form(form):
                answer = st.text_area(t("complaints.field.answer"), height=80, max_chars=10_000, key=f"{form}_text")
                field_error(form, "answer")
                if st.form_submit_button(t("complaints.action.answer"), type="primary", key=f"{form}_submit"):
                    _finish(
                        run_case(
                            form,
                            lambda: answer_inquiry(
                                sessions,
                                actor=actor,
                                inquiry_id=q.id,
                                version=version,
                                answer=answer,
                                token=token(form),
                            ),
                        )
                    )
        if "close" in forms and st.button(t("complaints.action.close"), key=f"{forms['close']}_submit"):
            _finish(
                run_case(
                    forms["close"],
                    lambda: close_inquiry(
                        sessions, actor=actor, inquiry_id=q.id, version=version, token=token(forms["close"])
                    ),
                )
            )
        if "convert" in forms:
            _convert_form(sessions, actor, q, version, forms["convert"])
        if q.complaint_id:
            st.caption(t("complaints.ui.converted_note"))
        if q.history:
            with st.expander(t("complaints.ui.history"), icon=":material/history:"):
                for step in q.history:
                    st.markdown(inert(f"{when(step.at)} · {step.who or '—'} · {describe_step(step)}"))


def describe_step(step: InquiryStep) -> str:
    """A step of the history in the user's language: received, a status change, a hand-off, the answer."""
    if step.field == "received":
        return t("complaints.ui.inquiry_received")
    if step.field == "status":
        old = status_label(step.old, "inquiry") if step.old else "—"
        return f"{old} → {status_label(step.new, 'inquiry') if step.new else '—'}"
    if step.field == "answer":
        return t("complaints.ui.inquiry_answer_changed" if step.old else "complaints.ui.inquiry_answered")
    label = t(f"complaints.field.{step.field}")
    return f"{label}: {step.old or '—'} → {step.new or '—'}"


def _convert_form(sessions: Sessions, actor: Actor, q: InquiryView, version: int, form: str) -> None:
    with st.expander(t("complaints.action.convert"), icon=":material/report:"), st.form(form, border=False):
        cols = st.columns(2)
        severity = cols[0].selectbox(
            t("complaints.field.severity"),
            SEVERITIES,
            index=SEVERITIES.index("medium"),
            format_func=lambda s: vocab("complaints.severity", s),
            key=f"{form}_severity",
        )
        category = cols[1].selectbox(
            t("complaints.field.category"),
            [None, *category_codes(actor)],
            format_func=lambda c: t("common.none") if c is None else category_label(actor, c),
            key=f"{form}_category",
        )
        description = st.text_area(
            t("complaints.field.description"), value=q.question, height=80, max_chars=10_000, key=f"{form}_description"
        )
        field_error(form, "description")
        submitted = st.form_submit_button(t("complaints.action.convert"), key=f"{form}_submit")
    if submitted:
        created = run_case(
            form,
            lambda: convert_to_complaint(
                sessions,
                actor=actor,
                inquiry_id=q.id,
                version=version,
                severity=severity,
                category=category,
                description=description,
                token=token(form),
            ),
        )
        if created is not None:
            clear_after("complaint")
            st.session_state[keys.FLASH] = t("complaints.ui.filed", code=created.code)
            open_on_detail(created.id)
            st.rerun()


def _finish(result: InquiryView | None) -> None:
    if result is not None:
        st.session_state[keys.FLASH] = t(
            "complaints.ui.inquiry_saved", code=result.code, state=status_label(result.status, "inquiry")
        )
        st.rerun()


def _new_inquiry(sessions: Sessions, actor: Actor) -> None:
    customer_id = customer_picker(actor, key=keys.INQ_CUSTOMER)
    if customer_id is None:
        return
    revision = int(st.session_state.get(f"{keys.INQ_NEW}__rev", 0))
    form = f"{keys.INQ_NEW}_{customer_id}_r{revision}"
    contacts: dict[int, str] = {}
    primary = None
    with error_boundary("complaints contacts"):
        contacts, primary = contacts_of(actor, customer_id)
    with st.form(form):
        contact_options, contact_label = options_with_none(contacts)
        contact_id = st.selectbox(
            t("complaints.field.contact_id"),
            contact_options,
            format_func=contact_label,
            index=contact_options.index(primary) if primary in contacts else 0,
            key=f"{form}_contact",
        )
        channel = st.selectbox(
            t("complaints.field.channel"),
            CHANNELS,
            key=f"{form}_channel",
            format_func=lambda c: vocab("complaints.channel", c),
        )
        question = st.text_area(t("complaints.field.question"), height=80, max_chars=10_000, key=f"{form}_question")
        field_error(form, "question")
        depts, people = departments(actor), assignees(actor)
        dept_options, dept_label = options_with_none(depts)
        department_id = st.selectbox(
            t("complaints.field.department_id"), dept_options, format_func=dept_label, key=f"{form}_department"
        )
        person_options, person_label = options_with_none(people)
        assignee_id = st.selectbox(
            t("complaints.field.assignee_id"), person_options, format_func=person_label, key=f"{form}_assignee"
        )
        submitted = st.form_submit_button(t("complaints.ui.record_inquiry"), type="primary", key=f"{form}_submit")
    if submitted:
        created = run_case(
            form,
            lambda: file_inquiry(
                sessions,
                actor=actor,
                data=InquiryInput(
                    customer_id=customer_id,
                    channel=channel,
                    question=question or "",
                    contact_id=contact_id,
                    department_id=department_id,
                    assignee_id=assignee_id,
                ),
                token=token(form),
            ),
        )
        if created is not None:
            st.session_state[f"{keys.INQ_NEW}__rev"] = revision + 1
            st.session_state[keys.FLASH] = t(
                "complaints.ui.inquiry_saved", code=created.code, state=status_label(created.status, "inquiry")
            )
            st.rerun()
