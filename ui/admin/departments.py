"""Departments section: the list (names in both languages, function, head, members), a new or changed department,
archiving one, and putting a user in a department."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm.complaints import (
    DepartmentInput,
    DepartmentView,
    archive_department,
    list_departments,
    save_department,
    set_user_department,
)
from crm.complaints.departments import user_departments
from crm.complaints.vocab import DEPARTMENT_FUNCTIONS
from crm.platform.permissions import Actor
from crm.platform.users import UserView, list_users
from db.engine import Sessions
from ui.admin import keys
from ui.i18n import lang, t
from ui.reads import clear_after
from ui.widgets import create_token, data_table, field_error, form_errors, form_token, run_action


def _function_label(code: str) -> str:
    return t(f"complaints.function.{code}")


def departments_section(sessions: Sessions, actor: Actor) -> None:
    """The departments table, then the department form beside the member form."""
    message = st.session_state.pop(keys.DEPARTMENTS_FLASH, None)
    if message:
        st.success(message, icon=":material/check_circle:")
    departments = {d.id: d for d in list_departments(sessions, actor=actor)}
    data_table(
        pd.DataFrame(
            [
                {
                    t("complaints.ui.col.code"): d.code,
                    t("complaints.field.name_en"): d.name_en,
                    t("complaints.field.name_zh"): d.name_zh or "",
                    t("complaints.field.function"): _function_label(d.function),
                    t("complaints.field.head_id"): d.head_name or "",
                    t("admin.departments.members"): d.members,
                }
                for d in departments.values()
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    users = [u for u in list_users(sessions, actor=actor) if u.is_active]
    edit_col, member_col = st.columns(2, gap="large")
    with edit_col:
        _department_form(sessions, actor, departments, {u.id: u.display_name for u in users})
    with member_col:
        _member_form(sessions, actor, departments, users)


def _department_form(
    sessions: Sessions, actor: Actor, departments: dict[int, DepartmentView], people: dict[int, str]
) -> None:
    st.subheader(t("admin.departments.edit"))
    options = [None, *departments]
    picked = st.selectbox(
        t("admin.departments.pick"),
        options,
        key=keys.DEPARTMENT_PICK,
        format_func=lambda i: t("admin.departments.new") if i is None else departments[i].label(lang()),
    )
    current = departments.get(picked)
    form = f"{keys.DEPARTMENT_FORM}_{picked or 'new'}"
    with st.form(form):
        code = st.text_input(t("complaints.ui.col.code"), value=current.code if current else "", key=f"{form}_code")
        field_error(form, "code")
        name_en = st.text_input(
            t("complaints.field.name_en"), value=current.name_en if current else "", key=f"{form}_name_en"
        )
        field_error(form, "name_en")
        name_zh = st.text_input(
            t("complaints.field.name_zh"), value=(current.name_zh or "") if current else "", key=f"{form}_name_zh"
        )
        field_error(form, "name_zh")
        function = st.selectbox(
            t("complaints.field.function"),
            DEPARTMENT_FUNCTIONS,
            format_func=_function_label,
            index=DEPARTMENT_FUNCTIONS.index(current.function) if current else 1,
            key=f"{form}_function",
        )
        head_options = [None, *people]
        head = st.selectbox(
            t("complaints.field.head_id"),
            head_options,
            index=head_options.index(current.head_id) if current and current.head_id in people else 0,
            format_func=lambda i: t("common.none") if i is None else people[i],
            key=f"{form}_head",
        )
        field_error(form, "head_id")
        form_errors(form)
        saved = st.form_submit_button(t("common.save"), type="primary", key=f"{form}_submit")
    if saved:
        data = DepartmentInput(code=code, name_en=name_en, name_zh=name_zh or None, function=function, head_id=head)
        result = run_action(
            form,
            lambda: save_department(
                sessions,
                actor=actor,
                data=data,
                department_id=current.id if current else None,
                version=current.version if current else None,
                token=form_token(form) if current else create_token(form),
            ),
        )
        if result is not None:
            _done(t("admin.departments.saved", name=result.label(lang())))
    if current is not None and st.button(
        t("admin.departments.archive"), icon=":material/archive:", key=f"{keys.DEPARTMENT_ARCHIVE}_{current.id}"
    ):
        done = run_action(
            keys.DEPARTMENT_ARCHIVE,
            lambda: (
                archive_department(
                    sessions,
                    actor=actor,
                    department_id=current.id,
                    version=current.version,
                    token=form_token(keys.DEPARTMENT_ARCHIVE),
                )
                or True
            ),
        )
        if done:
            st.session_state.pop(keys.DEPARTMENT_PICK, None)
            _done(t("admin.departments.archived", name=current.label(lang())))


def _member_form(
    sessions: Sessions, actor: Actor, departments: dict[int, DepartmentView], users: list[UserView]
) -> None:
    st.subheader(t("admin.departments.members_title"))
    placed = user_departments(sessions, actor=actor)
    labels = {u.id: u.display_name for u in users}
    form = keys.MEMBER_FORM
    with st.form(form):
        user_id = st.selectbox(t("admin.col.display_name"), list(labels), format_func=labels.get, key=f"{form}_user")
        options = [None, *departments]
        department_id = st.selectbox(
            t("complaints.field.department_id"),
            options,
            key=f"{form}_department",
            format_func=lambda i: t("common.none") if i is None else departments[i].label(lang()),
        )
        saved = st.form_submit_button(t("admin.departments.place"), key=f"{form}_submit")
    if saved and user_id is not None:
        if run_action(
            form,
            lambda: (
                set_user_department(
                    sessions, actor=actor, user_id=user_id, department_id=department_id, token=form_token(form)
                )
                or True
            ),
        ):
            _done(t("admin.departments.placed", user=labels[user_id]))
    rows = [
        {
            t("admin.col.display_name"): u.display_name,
            t("complaints.field.department_id"): departments[placed[u.id]].label(lang())
            if placed.get(u.id) in departments
            else "",
        }
        for u in users
    ]
    data_table(pd.DataFrame(rows), hide_index=True, width="stretch")


def _done(message: str) -> None:
    clear_after("complaint_settings")
    st.session_state[keys.DEPARTMENTS_FLASH] = message
    st.rerun()
