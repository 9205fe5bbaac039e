"""Record a response: the customer, then the form (contact, date, channel, template dimensions, overall, NPS,
comment, linked complaint and campaign); after saving, whether an alert was raised and the task it planned."""

from __future__ import annotations

import streamlit as st

from crm.platform.permissions import Actor
from crm.satisfaction import (
    CHANNELS,
    ResponseInput,
    TemplateRow,
    closed_complaints_to_check,
    record_response,
    response_detail,
)
from db.engine import Sessions
from ui.complaints.widgets import contacts_of, customer_picker
from ui.i18n import lang, t, when
from ui.inert import inert
from ui.reads import clear_after
from ui.satisfaction import keys
from ui.satisfaction.reads import cached_campaigns, cached_templates
from ui.satisfaction.responses import open_response, task_text
from ui.satisfaction.widgets import channel_label, options_with_none, run_write
from ui.state import company_today
from ui.widgets import error_boundary, field_error, form_errors, form_token

SCORES = (None, 1, 2, 3, 4, 5)
NPS_SCORES = (None, *range(11))


def record_section(sessions: Sessions, actor: Actor) -> None:
    """Find the customer, then record the response."""
    show_recorded(keys.RECORD)
    if not actor.can("satisfaction.record"):
        st.info(t("satisfaction.page.read_only"), icon=":material/visibility:")
        return
    st.caption(t("satisfaction.page.record_intro"))
    customer_id = customer_picker(actor, key=keys.RECORD_CUSTOMER, label_key="satisfaction.field.customer_id")
    if customer_id is not None:
        response_form(sessions, actor, customer_id, prefix=keys.RECORD)


def show_recorded(prefix: str, *, open_button: bool = True) -> None:
    """Show (once) what the response just saved did: saved, and whether it raised an alert and planned a task."""
    outcome = st.session_state.pop(f"{prefix}__{keys.RECORDED}", None)
    if not outcome:
        return
    st.success(outcome["saved"], icon=":material/check_circle:")
    if outcome.get("alert"):
        st.warning(outcome["alert"], icon=":material/notification_important:")
    else:
        st.info(t("satisfaction.page.no_alert"), icon=":material/info:")
    if not open_button:
        return
    st.button(
        t("satisfaction.page.open_response"),
        key=f"{prefix}_open_saved",
        icon=":material/open_in_new:",
        on_click=open_response,
        args=(outcome["id"],),
    )


def _score_label(value: int | None) -> str:
    return t("satisfaction.unanswered") if value is None else str(value)


def _template_picker(actor: Actor, key: str) -> TemplateRow | None:
    templates = [tpl for tpl in cached_templates(actor) if tpl.is_active]
    if not templates:
        st.warning(t("satisfaction.page.no_template"), icon=":material/warning:")
        return None
    labels = {tpl.id: tpl.name for tpl in templates}
    if st.session_state.get(key) not in labels:
        st.session_state.pop(key, None)
    picked = st.selectbox(t("satisfaction.field.template_id"), list(labels), format_func=labels.get, key=key)
    return next((tpl for tpl in templates if tpl.id == picked), templates[0])


def response_form(sessions: Sessions, actor: Actor, customer_id: int, *, prefix: str) -> None:
    """The response form for one customer (the template picked above it decides the dimensions asked)."""
    template = _template_picker(actor, f"{prefix}_template")
    if template is None:
        return
    revision = int(st.session_state.get(f"{prefix}__rev", 0))
    form = keys.record_form(f"{prefix}_{template.id}", customer_id, revision)
    contacts: dict[int, str] = {}
    primary = None
    complaints: dict[int, str] = {}
    with error_boundary("satisfaction contacts"):
        contacts, primary = contacts_of(actor, customer_id)
        complaints = {
            c.id: t("satisfaction.page.complaint_to_check", code=c.code, when=when(c.closed_at))
            for c in closed_complaints_to_check(sessions, actor=actor, customer_id=customer_id)
        }
    campaigns = {c.id: c.name for c in cached_campaigns(actor) if c.state == "running"}
    with st.form(form):
        field_error(form, "customer_id")
        top = st.columns(3)
        contact_options, contact_label = options_with_none(contacts)
        contact_id = top[0].selectbox(
            t("satisfaction.field.contact_id"),
            contact_options,
            index=contact_options.index(primary) if primary in contacts else 0,
            format_func=contact_label,
            key=f"{form}_contact",
        )
        field_error(form, "contact_id")
        today = company_today()
        responded_on = top[1].date_input(
            t("satisfaction.field.responded_on"), value=today, max_value=today, format="YYYY-MM-DD", key=f"{form}_date"
        )
        field_error(form, "responded_on")
        channel = top[2].selectbox(
            t("satisfaction.field.channel"), CHANNELS, format_func=channel_label, key=f"{form}_channel"
        )
        field_error(form, "channel")
        field_error(form, "template_id")
        overall = st.radio(
            t("satisfaction.field.overall"), SCORES, format_func=_score_label, horizontal=True, key=f"{form}_overall"
        )
        field_error(form, "overall")
        nps = st.radio(
            t("satisfaction.field.nps"), NPS_SCORES, format_func=_score_label, horizontal=True, key=f"{form}_nps"
        )
        field_error(form, "nps")
        st.markdown(f"**{t('satisfaction.field.scores')}**")
        scores: dict[str, int | None] = {}
        for dimension in template.dimensions:
            scores[dimension.code] = st.radio(
                dimension.label(lang()),
                SCORES,
                format_func=_score_label,
                horizontal=True,
                key=keys.dimension(form, dimension.code),
            )
            field_error(form, f"scores.{dimension.code}")
        field_error(form, "answers")
        comment = st.text_area(t("satisfaction.field.comment"), height=80, max_chars=10_000, key=f"{form}_comment")
        field_error(form, "comment")
        links = st.columns(2)
        complaint_options, complaint_label = options_with_none(complaints)
        complaint_id = links[0].selectbox(
            t("satisfaction.field.complaint_id"),
            complaint_options,
            index=1 if complaints else 0,
            format_func=complaint_label,
            key=f"{form}_complaint",
        )
        field_error(form, "complaint_id")
        campaign_options, campaign_label = options_with_none(campaigns)
        campaign_id = links[1].selectbox(
            t("satisfaction.field.campaign_id"), campaign_options, format_func=campaign_label, key=f"{form}_campaign"
        )
        field_error(form, "campaign_id")
        field_error(form, "task_id")
        form_errors(form)
        submitted = st.form_submit_button(
            t("satisfaction.page.save_response"), type="primary", icon=":material/save:", key=f"{form}_submit"
        )
    if not submitted:
        return
    data = ResponseInput(
        customer_id=customer_id,
        responded_on=responded_on,  # type: ignore[arg-type]
        channel=channel,
        template_id=template.id,
        scores=scores,
        overall=overall,
        nps=nps,
        comment=comment or None,
        contact_id=contact_id,
        complaint_id=complaint_id,
        campaign_id=campaign_id,
    )
    token = form_token(form)
    response_id = run_write(form, lambda: record_response(sessions, actor=actor, data=data, token=token))
    if response_id is None:
        return
    clear_after("satisfaction")
    st.session_state[f"{prefix}__{keys.RECORDED}"] = _outcome(sessions, actor, response_id)
    st.session_state[f"{prefix}__rev"] = revision + 1
    st.rerun()


def _outcome(sessions: Sessions, actor: Actor, response_id: int) -> dict[str, object]:
    """What the saved response did, as messages for the next run."""
    detail = response_detail(sessions, actor=actor, response_id=response_id)
    outcome: dict[str, object] = {
        "id": response_id,
        "saved": t("satisfaction.page.saved", customer=inert(detail.customer_name)),
    }
    if detail.alert:
        task = detail.task
        if task is not None and task.status == "open":
            outcome["alert"] = t("satisfaction.page.alert_raised_task", task=task_text(task))
        else:
            outcome["alert"] = t("satisfaction.page.alert_no_task")
    return outcome
