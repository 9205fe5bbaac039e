"""Administration: users and roles, the audit trail, settings."""

import datetime as dt

import pandas as pd
import streamlit as st

from crm.platform.audit import audited_entity_types, search_audit
from crm.platform.clock import parse_time
from crm.platform.i18n import LANGUAGES
from crm.platform.permissions import ROLES
from crm.platform.settings import read_settings, update_settings
from crm.platform.users import create_user, list_users, reset_password, set_active, set_role, unlock
from ui.auth import page_actor
from ui.i18n import lang_key, t, when
from ui.state import company_today, forget_company_clock, get_sessions
from ui.widgets import data_table, error_boundary, field_error, form_errors, form_token, pager, run_action

actor = page_actor("audit.view")
sessions = get_sessions()
st.title(t("admin.title"))

is_admin = actor.can("users.manage")
tab_names = [t("admin.tab.audit")]
if is_admin:
    tab_names = [t("admin.tab.users"), t("admin.tab.audit"), t("admin.tab.settings")]
tabs = dict(zip(tab_names, st.tabs(tab_names), strict=True))


def role_label(code: str) -> str:
    return t(f"role.{code}")


if is_admin:
    with tabs[t("admin.tab.users")]:
        users = list_users(sessions, actor=actor)
        data_table(
            pd.DataFrame([{
                t("admin.col.username"): u.username, t("admin.col.display_name"): u.display_name,
                t("admin.col.email"): u.email or "", t("admin.col.role"): role_label(u.role),
                t("admin.col.language"): LANGUAGES.get(u.language, u.language),
                t("admin.col.active"): u.is_active,
                t("admin.col.locked_until"): when(u.locked_until) if u.locked_until else "",
                t("admin.col.last_login"): when(u.last_login_at) if u.last_login_at else "",
            } for u in users]),
            hide_index=True, width="stretch",
        )

        new_col, edit_col = st.columns(2, gap="large")
        with new_col, st.form("admin_new_user", clear_on_submit=False):
            st.subheader(t("admin.new_user"))
            new_username = st.text_input(t("admin.col.username"), key="admin_new_username")
            field_error("admin_new_user", "username")
            new_name = st.text_input(t("admin.col.display_name"), key="admin_new_display_name")
            field_error("admin_new_user", "display_name")
            new_email = st.text_input(t("admin.col.email"), key="admin_new_email")
            field_error("admin_new_user", "email")
            new_role = st.selectbox(t("admin.col.role"), ROLES, index=ROLES.index("staff"),
                                    format_func=role_label, key=lang_key("admin_new_role"))
            new_language = st.selectbox(t("admin.col.language"), list(LANGUAGES), format_func=LANGUAGES.get,
                                        key=lang_key("admin_new_language"))
            new_password = st.text_input(t("auth.password"), type="password", key="admin_new_password")
            field_error("admin_new_user", "password")
            form_errors("admin_new_user")
            create_clicked = st.form_submit_button(t("admin.create_user"), type="primary")
        if create_clicked:
            created = run_action("admin_new_user", lambda: create_user(
                sessions, actor=actor, username=new_username, display_name=new_name, password=new_password,
                role=new_role, email=new_email, language=new_language, token=form_token("admin_new_user")))
            if created is not None:
                st.success(t("admin.user_created", username=created.username))
                st.rerun()

        with edit_col:
            st.subheader(t("admin.edit_user"))
            by_id = {u.id: u for u in users}
            picked_id = st.selectbox(t("admin.pick_user"), list(by_id),
                                     format_func=lambda i: f"{by_id[i].username} · {by_id[i].display_name}",
                                     key="admin_pick_user")
            picked = by_id[picked_id]
            with st.form("admin_role"):
                role = st.selectbox(t("admin.col.role"), ROLES, index=ROLES.index(picked.role),
                                    format_func=role_label, key=lang_key(f"admin_role_value_{picked.id}"))
                field_error("admin_role", "role")
                role_clicked = st.form_submit_button(t("admin.set_role"))
            if role_clicked:
                if run_action("admin_role", lambda: set_role(sessions, actor=actor, user_id=picked.id, role=role,
                                                             version=picked.version)):
                    st.success(t("admin.role_changed", username=picked.username, role=role_label(role)))
                    st.rerun()
            with st.form("admin_password", clear_on_submit=True):
                password = st.text_input(t("admin.new_password"), type="password", key="admin_password_value")
                field_error("admin_password", "password")
                password_clicked = st.form_submit_button(t("admin.reset_password"))
            if password_clicked and run_action("admin_password", lambda: reset_password(
                    sessions, actor=actor, user_id=picked.id, new_password=password)):
                st.success(t("admin.password_reset_done", username=picked.username))
            buttons = st.columns(2)
            if picked.is_active:
                if buttons[0].button(t("admin.deactivate"), key="admin_deactivate", icon=":material/block:"):
                    if run_action("admin_active", lambda: set_active(sessions, actor=actor, user_id=picked.id,
                                                                     active=False, version=picked.version)):
                        st.session_state["admin_flash"] = t("admin.deactivated", username=picked.username)
                        st.rerun()
            elif buttons[0].button(t("admin.reactivate"), key="admin_reactivate", icon=":material/check:"):
                if run_action("admin_active", lambda: set_active(sessions, actor=actor, user_id=picked.id,
                                                                 active=True, version=picked.version)):
                    st.session_state["admin_flash"] = t("admin.reactivated", username=picked.username)
                    st.rerun()
            field_error("admin_active", "is_active")
            field_error("admin_active", "role")
            if picked.locked_until is not None and buttons[1].button(t("admin.unlock"), key="admin_unlock"):
                if run_action("admin_unlock", lambda: unlock(sessions, actor=actor, user_id=picked.id)):
                    st.session_state["admin_flash"] = t("admin.unlocked", username=picked.username)
                    st.rerun()
            flash = st.session_state.pop("admin_flash", None)
            if flash:
                st.success(flash)

with tabs[t("admin.tab.audit")]:
    with error_boundary("admin audit"):
        people = list_users(sessions, actor=actor) if actor.can("customers.reassign") or is_admin else []
        names = {u.id: u.username for u in people}
        filters = st.columns(4)
        user_filter = filters[0].selectbox(t("admin.audit.user"), [None, *names],
                                           format_func=lambda i: t("common.all") if i is None else names[i],
                                           key=lang_key("admin_audit_user"))
        types = audited_entity_types(sessions)
        type_filter = filters[1].selectbox(t("admin.audit.entity_type"), [None, *types],
                                           format_func=lambda e: t("common.all") if e is None else t(f"entity.{e}"),
                                           key=lang_key("admin_audit_type"))
        date_from = filters[2].date_input(t("common.from"), value=company_today() - dt.timedelta(days=30),
                                          key="admin_audit_from")
        date_to = filters[3].date_input(t("common.to"), value=company_today(), key="admin_audit_to")
        # A bad filter is explained under it and only the trail is left out: st.stop() here would also end
        # the tabs after this one (Settings).
        if date_from > date_to:
            filters[3].error(t("validation.date_range"))
        else:
            page = st.session_state.get("admin_audit_page", 1) - 1
            rows, total = search_audit(sessions, actor=actor, user_id=user_filter, entity_type=type_filter,
                                       date_from=date_from, date_to=date_to, page=page)
            if not rows:
                st.info(t("common.no_rows"))
            else:
                data_table(pd.DataFrame([{
                    t("admin.audit.col.at"): when(r["at"]), t("admin.audit.col.user"): r["username"],
                    t("admin.audit.col.action"): t(f"audit.action.{r['action']}"),
                    t("admin.audit.col.entity"): f"{t('entity.' + r['entity_type'])} #{r['entity_id']}",
                    t("admin.audit.col.field"): r["field"] or "", t("admin.audit.col.old"): r["old_value"] or "",
                    t("admin.audit.col.new"): r["new_value"] or "",
                } for r in rows]), hide_index=True, width="stretch")
            pager("admin_audit_page", total, 50)

if is_admin:
    with tabs[t("admin.tab.settings")], st.form("admin_settings"):
        current = read_settings(sessions)
        staff_read_all = st.checkbox(t("admin.settings.staff_read_all"), value=bool(current["staff_can_read_all"]),
                                     key="admin_settings_staff_read_all")
        zones = ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo", "Europe/London",
                 "Europe/Berlin", "America/New_York", "America/Los_Angeles", "UTC"]
        zone = st.selectbox(t("admin.settings.timezone"), zones,
                            index=zones.index(current["timezone"]) if current["timezone"] in zones else 0,
                            key=lang_key("admin_settings_timezone"))
        working_time = st.time_input(t("admin.settings.working_time"),
                                     value=parse_time(current["follow_up_default_time"]) or dt.time(9),
                                     step=dt.timedelta(minutes=15), help=t("admin.settings.working_time_help"),
                                     key="admin_settings_working_time")
        field_error("admin_settings", "follow_up_default_time")
        settings_clicked = st.form_submit_button(t("common.save"), type="primary")
    if settings_clicked and run_action("admin_settings", lambda: update_settings(
            sessions, actor=actor, changes={"staff_can_read_all": staff_read_all, "timezone": zone,
                                            "follow_up_default_time": working_time.strftime("%H:%M")})) is not None:
        forget_company_clock()  # every page reads the zone through that cache, not from this session
        st.success(t("admin.settings.saved"))
