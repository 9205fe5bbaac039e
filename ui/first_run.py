"""The first-run screen on an empty database: create the administrator, or load the demo."""

from __future__ import annotations

import streamlit as st

from crm.platform.errors import ValidationCollector
from crm.platform.users import create_first_admin
from db.engine import Sessions
from ui.i18n import t
from ui.widgets import field_error, form_errors, run_action

DEMO_CUSTOMERS = 2000
FORM = "first_run_admin"


def demo_accounts_table() -> None:
    from crm.demo.service import DEMO_ACCOUNTS

    st.table(
        [
            {
                t("admin.col.username"): a.username,
                t("auth.password"): a.password,
                t("admin.col.role"): t(f"role.{a.role}"),
            }
            for a in DEMO_ACCOUNTS
        ]
    )


def render_first_run(sessions: Sessions) -> None:
    """Offer both ways to start; after either, the sign-in form takes over on the next run."""
    st.title(t("first_run.title"))
    st.write(t("first_run.intro"))
    left, right = st.columns(2, gap="large")
    with left, st.form(FORM):
        st.subheader(t("first_run.create_admin"))
        username = st.text_input(t("auth.username"), key=f"{FORM}_username")
        field_error(FORM, "username")
        display_name = st.text_input(t("first_run.display_name"), key=f"{FORM}_display_name")
        field_error(FORM, "display_name")
        password = st.text_input(
            t("auth.password"), type="password", key=f"{FORM}_password", help=t("account.password_rules")
        )
        field_error(FORM, "password")
        repeat = st.text_input(t("first_run.password_repeat"), type="password", key=f"{FORM}_repeat")
        field_error(FORM, "repeat")
        form_errors(FORM)
        submitted = st.form_submit_button(t("first_run.create"), type="primary")
    with right:
        st.subheader(t("first_run.demo"))
        st.write(t("first_run.demo_help", n=f"{DEMO_CUSTOMERS:,}"))
        load = st.button(t("first_run.demo_button"), key="first_run_demo", type="primary")
    if submitted:

        def create() -> object:
            if password != repeat:
                errors = ValidationCollector()
                errors.add("repeat", "first_run.passwords_differ")
                errors.raise_if_any()
            return create_first_admin(
                sessions,
                username=username,
                display_name=display_name,
                password=password,
                language=st.session_state.get("lang", "en"),
            )

        if run_action(FORM, create) is not None:
            st.session_state["crm_notice"] = "first_run.admin_created"
            st.rerun()
    if load:
        from crm.demo.service import load_demo

        with st.spinner(t("first_run.demo_loading")):
            done = run_action("first_run_demo", lambda: load_demo(sessions, customers=DEMO_CUSTOMERS, seed=42))
        if done is not None:
            st.session_state["crm_notice"] = "first_run.demo_done"
            st.session_state["crm_show_demo_accounts"] = True
            st.rerun()
