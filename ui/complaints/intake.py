"""New complaint: the intake form with every field and attachments (also on the customer 360 view)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from crm.complaints import AttachmentInput, ComplaintInput, file_complaint
from crm.complaints.intake import ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS
from crm.complaints.vocab import CHANNELS, IMPACT_SCOPES, SEVERITIES
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
    departments,
    open_on_detail,
    options_with_none,
    run_case,
    show_flash,
    token,
    vocab,
)
from ui.i18n import t
from ui.reads import clear_after
from ui.state import company_zone
from ui.widgets import error_boundary, field_error, form_errors

TIME_STEP = dt.timedelta(minutes=5)


def local_instant(day: dt.date | None, time: dt.time | None) -> dt.datetime | None:
    """A company-local day and time as a UTC instant (None without a day)."""
    if day is None:
        return None
    return dt.datetime.combine(day, time or dt.time(0), tzinfo=company_zone()).astimezone(dt.UTC)


def intake_section(sessions: Sessions, actor: Actor) -> None:
    """Pick the customer, then record the complaint."""
    show_flash()
    if not actor.can("complaints.handle"):
        st.info(t("complaints.ui.read_only"), icon=":material/visibility:")
        return
    st.caption(t("complaints.ui.intake_intro"))
    customer_id = customer_picker(actor, key=keys.INTAKE_CUSTOMER)
    if customer_id is not None:
        complaint_form(sessions, actor, customer_id, prefix=keys.INTAKE)


def _form_key(prefix: str, customer_id: int) -> str:
    revision = int(st.session_state.get(f"{prefix}__rev", 0))
    return keys.intake_form(f"{prefix}_{customer_id}", revision)


def complaint_form(sessions: Sessions, actor: Actor, customer_id: int, *, prefix: str, open_after: bool = True) -> None:
    """The intake form for one customer; on success the complaint's reference is told and (open_after) the
    complaint opens on the Detail tab."""
    form = _form_key(prefix, customer_id)
    contacts: dict[int, str] = {}
    primary = None
    with error_boundary("complaints contacts"):
        contacts, primary = contacts_of(actor, customer_id)
    depts, people = departments(actor), assignees(actor)
    now_local = utcnow().astimezone(company_zone()).replace(second=0, microsecond=0)
    with st.form(form):
        top = st.columns(3)
        contact_options, contact_label = options_with_none(contacts)
        contact_id = top[0].selectbox(
            t("complaints.field.contact_id"),
            contact_options,
            index=contact_options.index(primary) if primary in contacts else 0,
            format_func=contact_label,
            key=f"{form}_contact",
        )
        field_error(form, "contact_id")
        channel = top[1].selectbox(
            t("complaints.field.channel"),
            CHANNELS,
            format_func=lambda c: vocab("complaints.channel", c),
            key=f"{form}_channel",
        )
        field_error(form, "channel")
        severity = top[2].selectbox(
            t("complaints.field.severity"),
            SEVERITIES,
            index=SEVERITIES.index("medium"),
            format_func=lambda s: vocab("complaints.severity", s),
            key=f"{form}_severity",
        )
        field_error(form, "severity")
        description = st.text_area(
            t("complaints.field.description"), height=100, max_chars=10_000, key=f"{form}_description"
        )
        field_error(form, "description")
        middle = st.columns(3)
        codes = category_codes(actor)
        category = middle[0].selectbox(
            t("complaints.field.category"),
            [None, *codes],
            format_func=lambda c: t("common.none") if c is None else category_label(actor, c),
            key=f"{form}_category",
        )
        field_error(form, "category")
        impact = middle[1].selectbox(
            t("complaints.field.impact_scope"),
            [None, *IMPACT_SCOPES],
            format_func=lambda s: t("common.none") if s is None else vocab("complaints.impact", s),
            key=f"{form}_impact",
        )
        field_error(form, "impact_scope")
        expected = middle[2].text_area(
            t("complaints.field.expected_resolution"), height=68, max_chars=4000, key=f"{form}_expected"
        )
        field_error(form, "expected_resolution")
        times = st.columns(4)
        received_day = times[0].date_input(
            t("complaints.ui.received_day"),
            value=now_local.date(),
            max_value=now_local.date(),
            format="YYYY-MM-DD",
            key=f"{form}_rday",
        )
        received_time = times[1].time_input(
            t("complaints.ui.received_time"), value=now_local.time(), step=TIME_STEP, key=f"{form}_rtime"
        )
        occurred_day = times[2].date_input(
            t("complaints.ui.occurred_day"),
            value=None,
            max_value=now_local.date(),
            format="YYYY-MM-DD",
            key=f"{form}_oday",
        )
        occurred_time = times[3].time_input(
            t("complaints.ui.occurred_time"), value=None, step=TIME_STEP, key=f"{form}_otime"
        )
        field_error(form, "received_at")
        field_error(form, "occurred_at")
        routing = st.columns(2)
        dept_options, dept_label = options_with_none(depts)
        department_id = routing[0].selectbox(
            t("complaints.field.department_id"), dept_options, format_func=dept_label, key=f"{form}_department"
        )
        field_error(form, "department_id")
        person_options, person_label = options_with_none(people)
        assignee_id = routing[1].selectbox(
            t("complaints.field.assignee_id"), person_options, format_func=person_label, key=f"{form}_assignee"
        )
        field_error(form, "assignee_id")
        files = st.file_uploader(
            t("complaints.field.attachments"),
            type=[suffix.lstrip(".") for suffix in ATTACHMENT_TYPES],
            accept_multiple_files=True,
            max_upload_size=MAX_ATTACHMENT_BYTES // (1024 * 1024),
            key=f"{form}_files",
            help=t("complaints.ui.attachments_help", n=MAX_ATTACHMENTS, mb=MAX_ATTACHMENT_BYTES // (1024 * 1024)),
        )
        field_error(form, "attachments")
        form_errors(form)
        submitted = st.form_submit_button(
            t("complaints.ui.file"), type="primary", icon=":material/report:", key=f"{form}_submit"
        )
    if not submitted:
        return
    data = ComplaintInput(
        customer_id=customer_id,
        channel=channel,
        description=description or "",
        severity=severity,
        category=category,
        contact_id=contact_id,
        occurred_at=local_instant(occurred_day, occurred_time),
        impact_scope=impact,
        expected_resolution=expected or None,
        department_id=department_id,
        assignee_id=assignee_id,
        received_at=local_instant(received_day, received_time),
    )
    uploads = [AttachmentInput(f.name, f.getvalue()) for f in (files or [])]
    created = run_case(
        form, lambda: file_complaint(sessions, actor=actor, data=data, attachments=uploads, token=token(form))
    )
    if created is None:
        return
    clear_after("complaint")
    st.session_state[f"{prefix}__rev"] = int(st.session_state.get(f"{prefix}__rev", 0)) + 1
    st.session_state[keys.FLASH] = t("complaints.ui.filed", code=created.code)
    if open_after:
        open_on_detail(created.id)
    st.rerun()
