"""Entry point: page config, database check, first run or sign-in, navigation per role, sidebar."""

from __future__ import annotations

import logging

import streamlit as st

from crm.platform.users import has_users, set_language
from ui.account import account_panel
from ui.auth import build_authenticator, current_user, mark_entry_ran, render_login, sign_out, write_pending_cookie
from ui.first_run import demo_accounts_table, render_first_run
from ui.i18n import LANG_CHOSEN_KEY, LANG_KEY, language_picker, t
from ui.inert import inert_t
from ui.kpis.reads import forget_data_version
from ui.navigation import PAGES, build_navigation, navigation_links
from ui.state import get_sessions

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

st.set_page_config(page_title="CRM", page_icon=":material/groups:", layout="wide")

sessions = get_sessions()
forget_data_version()  # the cached KPI figures read the database's data version once per run


def _public_chrome() -> None:
    with st.sidebar:
        st.markdown(f"### {t('app.title')}")
        st.caption(t("app.tagline"))
        language_picker(key="public_language")


if not has_users(sessions):
    _public_chrome()
    st.navigation([st.Page(lambda: render_first_run(sessions), title=t("app.title"), url_path="welcome")]).run()
    st.stop()

authenticator = build_authenticator(sessions)
user = current_user(sessions)
if user is None:
    _public_chrome()

    def login_page() -> None:
        st.title(t("app.title"))
        st.caption(t("app.tagline"))
        render_login(authenticator)
        if st.session_state.get("crm_show_demo_accounts"):
            st.subheader(t("auth.demo_hint"))
            demo_accounts_table()

    # Every page's URL answers with the sign-in form, so a deep link (/customers?customer=42) survives
    # signing in instead of ending on "page not found".
    entry_pages = [
        st.Page(login_page, title=t("auth.form_title"), icon=":material/login:", url_path="login", default=True)
    ]
    entry_pages += [st.Page(login_page, title=t(spec.title_key), url_path=spec.url_path) for spec in PAGES]
    st.navigation(entry_pages, position="hidden").run()
    write_pending_cookie(authenticator)
    if current_user(sessions) is not None:
        # Signed in just now. No st.rerun() here: the cookie component reports back when done, which
        # reruns the app (and a rerun before that would only write it again).
        st.success(t("auth.signed_in"))
        st.button(t("auth.continue"), key="login_continue", type="primary")
    st.stop()

actor = user.as_actor()
st.session_state.setdefault(LANG_KEY, user.language)
# A choice made on the sign-in screen counts for the next sign-in only; the sidebar's is saved at once.
st.session_state.pop(LANG_CHOSEN_KEY, None)
navigation = build_navigation(actor)
with st.sidebar:
    st.markdown(f"### {t('app.title')}")
    st.markdown(inert_t("app.signed_in_as", name=user.display_name, role=t(f"role.{user.role}")))
    navigation_links(actor)
    st.divider()
    language_picker(key="sidebar_language", on_change=lambda lang: set_language(sessions, actor=actor, language=lang))
    account_panel(sessions, authenticator, actor)
    if st.button(t("app.logout"), key="sidebar_logout", icon=":material/logout:"):
        sign_out(sessions, authenticator, actor)
        st.rerun()
    write_pending_cookie(authenticator)

mark_entry_ran()
navigation.run()
