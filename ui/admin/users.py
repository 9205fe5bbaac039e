"""Users section: every account, a new one, and changing one's role, password, activity or lock."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm.platform.i18n import LANGUAGES
from crm.platform.permissions import ROLES, Actor
from crm.platform.users import UserView, create_user, list_users, reset_password, set_active, set_role, unlock
from db.engine import Sessions
from ui.admin import keys
from ui.i18n import lang_key, t, when
from ui.widgets import create_token, data_table, error_boundary, field_error, form_errors, run_action


def _role_label(code: str) -> str:
    return t(f"role.{code}")


def users_section(sessions: Sessions, actor: Actor) -> None:
    """The table of accounts, then the new-user form beside the panel that edits one account."""
    users = list_users(sessions, actor=actor)
    data_table(
        pd.DataFrame(
            [
                {
                    t("admin.col.username"): u.username,
                    t("admin.col.display_name"): u.display_name,
                    t("admin.col.email"): u.email or "",
                    t("admin.col.role"): _role_label(u.role),
                    t("admin.col.language"): LANGUAGES.get(u.language, u.language),
                    t("admin.col.active"): u.is_active,
                    t("admin.col.locked_until"): when(u.locked_until) if u.locked_until else "",
                    t("admin.col.last_login"): when(u.last_login_at) if u.last_login_at else "",
                }
                for u in users
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    new_col, edit_col = st.columns(2, gap="large")
    with new_col:
        _new_user_form(sessions, actor)
    with edit_col:
        st.subheader(t("admin.edit_user"))
        _edit_user(sessions, actor, users)


def _new_user_form(sessions: Sessions, actor: Actor) -> None:
    """Create an account: username, name, email, role, language and first password."""
    form = keys.NEW_USER_FORM
    with st.form(form, clear_on_submit=False):
        st.subheader(t("admin.new_user"))
        username = st.text_input(t("admin.col.username"), key="admin_new_username")
        field_error(form, "username")
        name = st.text_input(t("admin.col.display_name"), key="admin_new_display_name")
        field_error(form, "display_name")
        email = st.text_input(t("admin.col.email"), key="admin_new_email")
        field_error(form, "email")
        role = st.selectbox(
            t("admin.col.role"),
            ROLES,
            index=ROLES.index("staff"),
            format_func=_role_label,
            key=lang_key("admin_new_role"),
        )
        language = st.selectbox(
            t("admin.col.language"),
            list(LANGUAGES),
            format_func=lambda code: LANGUAGES[code],
            key=lang_key("admin_new_language"),
        )
        password = st.text_input(
            t("auth.password"), type="password", key="admin_new_password", help=t("account.password_rules")
        )
        field_error(form, "password")
        form_errors(form)
        clicked = st.form_submit_button(t("admin.create_user"), type="primary")
    if clicked:
        created = run_action(
            form,
            lambda: create_user(
                sessions,
                actor=actor,
                username=username,
                display_name=name,
                password=password,
                role=role,
                email=email,
                language=language,
                token=create_token(form),
            ),
        )
        if created is not None:
            st.success(t("admin.user_created", username=created.username))
            st.rerun()


@st.fragment
def _edit_user(sessions: Sessions, actor: Actor, users: list[UserView]) -> None:
    """Pick an account and change its role, reset its password, (de)activate or unlock it.

    Picking another account redraws only this panel; a change reruns the page so that the table shows it.
    """
    with error_boundary("admin edit user"):
        by_id = {u.id: u for u in users}
        picked_id = st.selectbox(
            t("admin.pick_user"),
            list(by_id),
            format_func=lambda i: f"{by_id[i].username} · {by_id[i].display_name}",
            key=keys.PICK_USER,
        )
        picked = by_id[picked_id]
        with st.form(keys.ROLE_FORM):
            role = st.selectbox(
                t("admin.col.role"),
                ROLES,
                index=ROLES.index(picked.role),
                format_func=_role_label,
                key=lang_key(f"admin_role_value_{picked.id}"),
            )
            field_error(keys.ROLE_FORM, "role")
            role_clicked = st.form_submit_button(t("admin.set_role"))
        if (
            role_clicked
            and run_action(
                keys.ROLE_FORM,
                lambda: set_role(sessions, actor=actor, user_id=picked.id, role=role, version=picked.version),
            )
            is not None
        ):
            st.success(t("admin.role_changed", username=picked.username, role=_role_label(role)))
            st.rerun(scope="app")
        with st.form(keys.PASSWORD_FORM, clear_on_submit=True):
            password = st.text_input(
                t("admin.new_password"), type="password", key="admin_password_value", help=t("account.password_rules")
            )
            field_error(keys.PASSWORD_FORM, "password")
            password_clicked = st.form_submit_button(t("admin.reset_password"))
        if (
            password_clicked
            and run_action(
                keys.PASSWORD_FORM,
                lambda: reset_password(sessions, actor=actor, user_id=picked.id, new_password=password),
            )
            is not None
        ):
            st.success(t("admin.password_reset_done", username=picked.username))
        _activity_buttons(sessions, actor, picked)
        flash = st.session_state.pop(keys.USERS_FLASH, None)
        if flash:
            st.success(flash)


def _activity_buttons(sessions: Sessions, actor: Actor, picked: UserView) -> None:
    """Deactivate or reactivate the account, and unlock it while it is locked."""
    buttons = st.columns(2)
    if picked.is_active:
        if buttons[0].button(t("admin.deactivate"), key="admin_deactivate", icon=":material/block:"):
            if run_action(
                keys.ACTIVE_ACTION,
                lambda: set_active(sessions, actor=actor, user_id=picked.id, active=False, version=picked.version),
            ):
                st.session_state[keys.USERS_FLASH] = t("admin.deactivated", username=picked.username)
                st.rerun(scope="app")
    elif buttons[0].button(t("admin.reactivate"), key="admin_reactivate", icon=":material/check:"):
        if run_action(
            keys.ACTIVE_ACTION,
            lambda: set_active(sessions, actor=actor, user_id=picked.id, active=True, version=picked.version),
        ):
            st.session_state[keys.USERS_FLASH] = t("admin.reactivated", username=picked.username)
            st.rerun(scope="app")
    field_error(keys.ACTIVE_ACTION, "is_active")
    field_error(keys.ACTIVE_ACTION, "role")
    if picked.locked_until is not None and buttons[1].button(t("admin.unlock"), key="admin_unlock"):
        if run_action(keys.UNLOCK_ACTION, lambda: unlock(sessions, actor=actor, user_id=picked.id)):
            st.session_state[keys.USERS_FLASH] = t("admin.unlocked", username=picked.username)
            st.rerun(scope="app")
