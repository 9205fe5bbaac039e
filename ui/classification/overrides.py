"""Overrides section: the classes set by hand, with their reasons and expiry; remove one, or set a new one."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from crm.classification.admin import OVERRIDE_STATUSES, list_overrides, remove_override, set_override
from crm.classification.rfm import COMPUTED_DIMENSIONS
from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.classification import keys
from ui.classification.labels import class_label
from ui.classification.picker import customer_picker
from ui.classification.reads import clear_classification_reads
from ui.i18n import date, t, when
from ui.state import company_today
from ui.widgets import data_table, error_boundary, field_error, form_token, pager, run_action

PAGE_SIZE = 50
CLASS_OPTIONS = {
    "value_tier": ("high", "medium", "low"),
    "size_class": ("key", "small"),
    "relationship": ("new", "established"),
    "credit_risk": ("high", "medium", "low"),
}


def overrides_section(sessions: Sessions, actor: Actor) -> None:
    """The overrides so far, then the form of a new one."""
    _override_list(sessions, actor)
    st.subheader(t("classification.page.new_override"))
    _new_override(sessions, actor)


@st.fragment
def _override_list(sessions: Sessions, actor: Actor) -> None:
    """One page of overrides by status, and removing one; the filter and the pager redraw only this."""
    with error_boundary("classification overrides"):
        status = st.selectbox(
            t("classification.page.override_status"),
            [*OVERRIDE_STATUSES, None],
            format_func=lambda s: t("common.all") if s is None else t(f"classification.override_status.{s}"),
            key="classification_ovr_status",
        )
        page = st.session_state.get(keys.OVERRIDES_PAGE, 1) - 1
        overrides, total = list_overrides(sessions, actor=actor, status=status, page=page, page_size=PAGE_SIZE)
        if overrides:
            data_table(
                pd.DataFrame(
                    [
                        {
                            t("classification.page.col.code"): o.customer_code,
                            t("classification.page.col.name"): o.customer_name,
                            t("classification.page.col.dimension"): t(f"classification.dimension.{o.dimension}"),
                            t("classification.page.col.class"): class_label(o.dimension, o.value),
                            t("classification.page.col.reason"): o.reason,
                            t("classification.page.col.expires"): date(o.expires_on) if o.expires_on else "",
                            t("classification.page.col.by"): o.created_by or "",
                            t("classification.page.col.at"): when(o.created_at),
                            t("classification.page.col.status"): t(f"classification.override_status.{o.status}"),
                        }
                        for o in overrides
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
        else:
            st.info(t("common.no_rows"))
        pager(keys.OVERRIDES_PAGE, total, PAGE_SIZE)
        removable = {o.id: o for o in overrides if o.status != "removed"}
        if not removable:
            return
        left, right = st.columns([3, 1])
        to_remove = left.selectbox(
            t("classification.page.remove_override"),
            list(removable),
            format_func=lambda i: (
                f"{removable[i].customer_code} · "
                f"{t(f'classification.dimension.{removable[i].dimension}')} · "
                f"{class_label(removable[i].dimension, removable[i].value)}"
            ),
            key="classification_ovr_remove_pick",
        )
        if right.button(t("classification.page.remove"), key=keys.OVERRIDE_REMOVE):
            if (
                run_action(
                    keys.OVERRIDE_REMOVE,
                    lambda: remove_override(
                        sessions,
                        actor=actor,
                        override_id=to_remove,
                        version=removable[to_remove].version,
                        token=form_token(keys.OVERRIDE_REMOVE),
                    ),
                    success=t("common.saved"),
                )
                is not None
            ):
                clear_classification_reads()
                st.rerun(scope="app")


@st.fragment
def _new_override(sessions: Sessions, actor: Actor) -> None:
    """Find a customer and set one of its computed classes by hand, with a reason and an optional expiry."""
    with error_boundary("classification new override"):
        customer_id = customer_picker(sessions, actor, keys.OVERRIDE_PICKER)
        pairs = {
            f"{d}:{v}": f"{t(f'classification.dimension.{d}')}: {class_label(d, v)}"
            for d in COMPUTED_DIMENSIONS
            for v in CLASS_OPTIONS[d]
        }
        with st.form(keys.OVERRIDE_FORM):
            pair: str = st.selectbox(
                t("classification.page.col.class"),
                list(pairs),
                key="classification_ovr_pair",
                format_func=lambda p: pairs[p],
            )
            field_error(keys.OVERRIDE_FORM, "value")
            reason = st.text_input(t("classification.page.col.reason"), max_chars=300, key="classification_ovr_reason")
            field_error(keys.OVERRIDE_FORM, "reason")
            expires_set = st.checkbox(t("classification.page.with_expiry"), key="classification_ovr_expires_set")
            expires = st.date_input(
                t("classification.page.col.expires"),
                value=company_today() + dt.timedelta(days=90),
                key="classification_ovr_expires",
            )
            field_error(keys.OVERRIDE_FORM, "expires_on")
            clicked = st.form_submit_button(
                t("classification.page.save_override"), type="primary", disabled=customer_id is None
            )
        if clicked and customer_id is not None:
            dimension, value = pair.split(":")
            if (
                run_action(
                    keys.OVERRIDE_FORM,
                    lambda: set_override(
                        sessions,
                        actor=actor,
                        customer_id=customer_id,
                        dimension=dimension,
                        value=value,
                        reason=reason,
                        expires_on=expires if expires_set else None,
                        token=form_token(keys.OVERRIDE_FORM),
                    ),
                    success=t("common.saved"),
                )
                is not None
            ):
                clear_classification_reads()
                st.rerun(scope="app")  # the list above is another fragment
