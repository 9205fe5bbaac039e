"""The sidebar's "My account": the signed-in user changes their own password, given the current one."""

from __future__ import annotations

import streamlit as st
import streamlit_authenticator as stauth

from crm.platform.errors import ValidationCollector
from crm.platform.permissions import Actor
from crm.platform.users import UserView, change_own_password
from db.engine import Sessions
from ui.auth import keep_this_session
from ui.i18n import t
from ui.widgets import field_error, field_errors, run_action

FORM = "account_password"
DONE_KEY = "account_password_done"


def account_panel(sessions: Sessions, authenticator: stauth.Authenticate, actor: Actor) -> None:
    """Show the collapsed "My account" panel; open while its form has something to say."""
    done = st.session_state.pop(DONE_KEY, False)
    with st.expander(t("account.title"), icon=":material/person:", expanded=bool(field_errors(FORM)) or done):
        if done:
            st.success(t("account.password_changed"))
        # Cleared on submit: passwords are not left in the browser's widgets, right or wrong.
        with st.form(FORM, clear_on_submit=True, border=False):
            st.caption(t("account.change_password"))
            current = st.text_input(t("account.current_password"), type="password", key=f"{FORM}_current")
            field_error(FORM, "current_password")
            new = st.text_input(
                t("account.new_password"), type="password", key=f"{FORM}_new", help=t("account.password_rules")
            )
            field_error(FORM, "new_password")
            repeat = st.text_input(t("account.repeat_password"), type="password", key=f"{FORM}_repeat")
            field_error(FORM, "repeat")
            clicked = st.form_submit_button(t("account.change_password"))
    if clicked:

        def change() -> UserView:
            if new != repeat:
                errors = ValidationCollector()
                errors.add("repeat", "validation.passwords_differ")
                errors.raise_if_any()
            return change_own_password(sessions, actor=actor, current_password=current, new_password=new)

        if run_action(FORM, change) is not None:
            keep_this_session(authenticator)
            st.session_state[DONE_KEY] = True
            st.rerun()
