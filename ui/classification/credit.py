"""Credit ledger section: one customer's credit events (late payments, disputes); record or strike one."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm.classification.admin import list_credit_events, record_credit_event, remove_credit_event
from crm.classification.credit import CREDIT_EVENT_KINDS
from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.classification import keys
from ui.classification.picker import customer_picker
from ui.classification.reads import clear_classification_reads
from ui.i18n import date, money, t
from ui.state import company_today
from ui.widgets import create_token, data_table, error_boundary, field_error, form_token, run_action


def credit_section(sessions: Sessions, actor: Actor) -> None:
    """Explain the ledger, then the picked customer's events and the form of a new one."""
    st.caption(t("classification.page.credit_help"))
    _ledger(sessions, actor)


@st.fragment
def _ledger(sessions: Sessions, actor: Actor) -> None:
    """The customer picker, its events and the event form: picking and recording redraw only this."""
    with error_boundary("classification credit"):
        customer_id = customer_picker(sessions, actor, keys.CREDIT_PICKER)
        if customer_id is None:
            return
        _events(sessions, actor, customer_id)
        _event_form(sessions, actor, customer_id)


def _events(sessions: Sessions, actor: Actor, customer_id: int) -> None:
    """The customer's credit events, and striking one out."""
    events = list_credit_events(sessions, actor=actor, customer_id=customer_id)
    if not events:
        st.info(t("common.no_rows"))
        return
    data_table(
        pd.DataFrame(
            [
                {
                    t("classification.page.col.date"): date(e.event_date),
                    t("classification.page.col.kind"): t(f"classification.credit_kind.{e.kind}"),
                    t("classification.page.col.weight"): float(e.weight),
                    t("classification.page.col.amount"): money(e.amount) if e.amount is not None else "",
                    t("classification.page.col.days_late"): e.days_late,
                    t("classification.page.col.note"): e.note or "",
                }
                for e in events
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    by_id = {e.id: e for e in events}
    left, right = st.columns([3, 1])
    strike = left.selectbox(
        t("classification.page.remove_event"),
        list(by_id),
        format_func=lambda i: f"{date(by_id[i].event_date)} · {t(f'classification.credit_kind.{by_id[i].kind}')}",
        key="classification_credit_remove_pick",
    )
    if right.button(t("classification.page.remove"), key=keys.CREDIT_REMOVE):
        if (
            run_action(
                keys.CREDIT_REMOVE,
                lambda: remove_credit_event(
                    sessions,
                    actor=actor,
                    event_id=strike,
                    version=by_id[strike].version,
                    token=form_token(keys.CREDIT_REMOVE),
                ),
                success=t("common.saved"),
            )
            is not None
        ):
            clear_classification_reads()
            st.rerun(scope="app")


def _event_form(sessions: Sessions, actor: Actor, customer_id: int) -> None:
    """Record a credit event of the customer (its weight defaults to the kind's)."""
    form = keys.CREDIT_FORM
    with st.form(form):
        kind = st.selectbox(
            t("classification.page.col.kind"),
            CREDIT_EVENT_KINDS,
            format_func=lambda k: t(f"classification.credit_kind.{k}"),
            key="classification_credit_kind",
        )
        event_date = st.date_input(
            t("classification.page.col.date"), value=company_today(), key="classification_credit_date"
        )
        field_error(form, "event_date")
        c1, c2, c3 = st.columns(3)
        days_late = c1.number_input(
            t("classification.page.col.days_late"), 0, 3650, 0, key="classification_credit_days"
        )
        amount = c2.text_input(t("classification.page.col.amount"), key="classification_credit_amount")
        weight = c3.text_input(t("classification.page.weight_optional"), key="classification_credit_weight")
        with c2:
            field_error(form, "amount")
        with c3:
            field_error(form, "weight")
        note = st.text_input(t("classification.page.col.note"), max_chars=300, key="classification_credit_note")
        clicked = st.form_submit_button(t("classification.page.record_event"), type="primary")
    if clicked:
        if (
            run_action(
                form,
                lambda: record_credit_event(
                    sessions,
                    actor=actor,
                    customer_id=customer_id,
                    kind=kind,
                    event_date=event_date,
                    weight=weight or None,
                    amount=amount or None,
                    days_late=int(days_late) or None,
                    note=note,
                    token=create_token(form),
                ),
                success=t("common.saved"),
            )
            is not None
        ):
            clear_classification_reads()
            st.rerun(scope="app")
