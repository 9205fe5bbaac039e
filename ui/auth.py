"""Sign-in with streamlit-authenticator, checked against the database on every rerun."""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
from typing import Any

import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.utilities import LoginError

from crm.platform.auth import authenticate, session_user, sign_out_everywhere
from crm.platform.errors import AccountLocked, AuthenticationFailed, DatabaseReadOnly
from crm.platform.i18n import LANGUAGES
from crm.platform.permissions import Actor
from crm.platform.settings import cookie_is_secure, cookie_key, cookie_secure_mode
from crm.platform.users import UserView, set_language
from db.engine import Sessions
from db.models import utcnow
from ui.i18n import LANG_CHOSEN_KEY, LANG_KEY, t
from ui.widgets import describe

log = logging.getLogger("crm.ui")

COOKIE_NAME = "crm_auth"
COOKIE_EXPIRY_DAYS = 7.0
ACTOR_KEY = "crm_actor"
SIGNED_IN_AT_KEY = "crm_signed_in_at"
LOGIN_ERROR_KEY = "crm_login_error"
NOTICE_KEY = "crm_notice"
PENDING_COOKIE_KEY = "crm_pending_cookie"
ENTRY_RAN_KEY = "crm_entry_ran"
ENTRY_RERUN_KEY = "crm_entry_rerun"
MIN_COOKIE_KEY_BYTES = 32


@st.cache_resource(show_spinner=False)
def _cookie_key_for(_sessions: Sessions, url: str) -> str:
    return cookie_key(_sessions)


def _signing_key(sessions: Sessions) -> str:
    configured = os.environ.get("CRM_COOKIE_KEY", "")
    if configured:
        if len(configured.encode("utf-8")) < MIN_COOKIE_KEY_BYTES:
            log.warning("CRM_COOKIE_KEY is shorter than %d bytes: use a longer random key", MIN_COOKIE_KEY_BYTES)
        return configured
    return _cookie_key_for(sessions, str(sessions.engine.url))


def _credentials_entry(user: UserView) -> dict[str, Any]:
    return {
        "name": user.display_name,
        "email": user.email or "",
        "roles": [user.role],
        "password": "",
        "failed_login_attempts": 0,
        "logged_in": False,
    }


def build_authenticator(sessions: Sessions) -> stauth.Authenticate:
    """Create the authenticator for this run, wired to the database instead of a YAML file."""
    credentials: dict[str, Any] = {"usernames": {}}
    authenticator = stauth.Authenticate(
        credentials,
        cookie_name=COOKIE_NAME,
        cookie_key=_signing_key(sessions),
        cookie_expiry_days=COOKIE_EXPIRY_DAYS,
        auto_hash=False,
        login_sleep_time=0,
    )
    model = authenticator.authentication_controller.authentication_model
    model.credentials = credentials

    def check_credentials(username: str, password: str) -> bool:
        st.session_state.pop(LOGIN_ERROR_KEY, None)
        try:
            user = authenticate(sessions, username=username, password=password)
        except (AuthenticationFailed, AccountLocked) as error:
            st.session_state[LOGIN_ERROR_KEY] = error
            return False
        credentials["usernames"][user.username] = _credentials_entry(user)
        st.session_state[SIGNED_IN_AT_KEY] = utcnow()
        try:
            _settle_language(sessions, user)
        except DatabaseReadOnly:  # signed in for reading: the language picked applies to this session only
            log.warning("the database is read-only: the language picked at sign-in was not saved")
        return True

    original_get_cookie = authenticator.cookie_controller.get_cookie

    def get_cookie() -> dict[str, Any] | None:
        token = original_get_cookie()
        if not token:
            return None
        # The library's token holds only the username and its expiry; the issue time follows from it.
        issued_at = dt.datetime.fromtimestamp(token["exp_date"] - COOKIE_EXPIRY_DAYS * 86400, dt.UTC)
        user = session_user(sessions, username=token["username"], signed_in_at=issued_at)
        if user is None:
            return None
        credentials["usernames"][user.username] = _credentials_entry(user)
        st.session_state[SIGNED_IN_AT_KEY] = issued_at
        st.session_state.setdefault(LANG_KEY, user.language)
        return token

    cookie_model = authenticator.cookie_controller.cookie_model

    def set_cookie() -> None:
        # The library's own set() renders its component once, in the sign-in run: a rerun before the
        # browser has loaded it (the cookie reader reporting back, a quick click) drops it, and the cookie.
        cookie_model.exp_date = cookie_model._set_exp_date()
        expires = dt.datetime.now() + dt.timedelta(days=COOKIE_EXPIRY_DAYS)
        options: dict[str, Any] = {"path": "/", "expires": expires.isoformat(), "sameSite": "strict"}
        if served_securely():
            options["secure"] = True
        _queue_cookie_write("set", cookie=COOKIE_NAME, value=cookie_model._token_encode(), options=options)

    model.check_credentials = check_credentials  # type: ignore[method-assign]
    authenticator.cookie_controller.get_cookie = get_cookie  # type: ignore[method-assign]
    authenticator.cookie_controller.set_cookie = set_cookie  # type: ignore[method-assign]
    return authenticator


def served_securely() -> bool:
    """Whether this browser reached the app over HTTPS (CRM_COOKIE_SECURE may force the answer either way)."""
    headers = st.context.headers
    return cookie_is_secure(
        cookie_secure_mode(), page_url=st.context.url, forwarded_proto=headers.get("X-Forwarded-Proto")
    )


def keep_this_session(authenticator: stauth.Authenticate) -> None:
    """After the user changed their own password, which voided every session: this one, and a new cookie, go on."""
    st.session_state[SIGNED_IN_AT_KEY] = utcnow()
    authenticator.cookie_controller.set_cookie()


def _settle_language(sessions: Sessions, user: UserView) -> None:
    """The user's saved language applies, unless they picked one on the sign-in screen: that one wins and is saved."""
    chosen = st.session_state.pop(LANG_CHOSEN_KEY, False) and st.session_state.get(LANG_KEY)
    if chosen in LANGUAGES:
        if chosen != user.language:
            set_language(sessions, actor=user.as_actor(), language=str(chosen))
        return
    st.session_state[LANG_KEY] = user.language


def _queue_cookie_write(method: str, **arguments: Any) -> None:
    """Ask the browser to set or delete the re-login cookie, on this run and every later one until it has."""
    st.session_state[PENDING_COOKIE_KEY] = {
        "method": method,
        "arguments": arguments,
        "key": f"crm_cookie_{method}_{secrets.token_hex(4)}",
    }


def write_pending_cookie(authenticator: stauth.Authenticate) -> None:
    """Render the cookie component of a pending set or delete until the browser reports it done.

    Called once per run, wherever the page is (sign-in or signed in): with the same key and arguments the
    component keeps its iframe across reruns, and a fresh one writes again if a rerun replaced it.
    """
    pending = st.session_state.get(PENDING_COOKIE_KEY)
    if not pending:
        return
    manager = authenticator.cookie_controller.cookie_model.cookie_manager
    manager._remove_extra_spacing()  # the library's CSS that hides zero-height component frames
    if manager.cookie_manager(method=pending["method"], **pending["arguments"], key=pending["key"], default=False):
        st.session_state.pop(PENDING_COOKIE_KEY, None)


def current_user(sessions: Sessions) -> UserView | None:
    """Return the signed-in user if the session is still valid in the database, else sign out."""
    username = st.session_state.get("username")
    signed_in_at = st.session_state.get(SIGNED_IN_AT_KEY)
    if not st.session_state.get("authentication_status") or not username or signed_in_at is None:
        st.session_state.pop(ACTOR_KEY, None)
        return None
    user = session_user(sessions, username=username, signed_in_at=signed_in_at)
    if user is None:
        _clear_session()
        st.session_state[NOTICE_KEY] = "app.session_ended"
        return None
    st.session_state[ACTOR_KEY] = user.as_actor()
    st.session_state.pop(NOTICE_KEY, None)  # signed in: the sign-in page's notice has been read
    return user


def _clear_session() -> None:
    for key in ("authentication_status", "username", "name", "email", "roles"):
        st.session_state[key] = None
    st.session_state.pop(ACTOR_KEY, None)
    st.session_state.pop(SIGNED_IN_AT_KEY, None)


def render_login(authenticator: stauth.Authenticate) -> None:
    """Show the sign-in form (translated) and any refusal under it."""
    # Kept until the next sign-in: the sign-in page may rerun at once (the cookie component reports back),
    # and a popped notice would flash and vanish.
    notice = st.session_state.get(NOTICE_KEY)
    if notice:
        st.info(t(notice))
    try:
        authenticator.login(
            location="main",
            key="login",
            fields={
                "Form name": t("auth.form_title"),
                "Username": t("auth.username"),
                "Password": t("auth.password"),
                "Login": t("auth.submit"),
            },
        )
    except LoginError:
        log.warning("sign-in refused by the authenticator")
        st.error(t("auth.invalid_credentials"))
    error = st.session_state.get(LOGIN_ERROR_KEY)
    if error is not None and not st.session_state.get("authentication_status"):
        st.error(describe(error))


def sign_out(sessions: Sessions, authenticator: stauth.Authenticate, actor: Actor) -> None:
    """Void every session and cookie of this user, then clear this browser's session.

    The browser's cookie is deleted from the next (sign-in) run on (`write_pending_cookie`). It is void
    already, since the database check refuses it.
    """
    sign_out_everywhere(sessions, actor=actor)
    authenticator.authentication_controller.logout()
    _queue_cookie_write("delete", cookie=COOKIE_NAME)
    st.session_state.pop(ACTOR_KEY, None)
    st.session_state.pop(SIGNED_IN_AT_KEY, None)
    st.session_state[NOTICE_KEY] = "app.logged_out"


def mark_entry_ran() -> None:
    """Called by app.py just before it runs the page: the page then knows the sign-in check ran."""
    st.session_state[ENTRY_RAN_KEY] = True


def _ensure_entry_ran() -> None:
    """Rerun through app.py if Streamlit ran this page script on its own.

    On a fresh server, the very first run of a deep link (/admin) is taken by Streamlit for a legacy
    "pages/ folder" app and runs the page without app.py. Streamlit leaves that mode once
    st.navigation has been called; we clear its flag and rerun so app.py routes the request.
    """
    if st.session_state.pop(ENTRY_RAN_KEY, False):
        st.session_state.pop(ENTRY_RERUN_KEY, None)
        return
    if st.session_state.get(ENTRY_RERUN_KEY):
        return  # tried once already: never loop; the role check below still decides
    from streamlit.runtime.pages_manager import PagesManager

    st.session_state[ENTRY_RERUN_KEY] = True
    PagesManager.uses_pages_directory = False
    st.rerun()


def page_actor(permission: str) -> Actor:
    """Return the signed-in actor if their role grants the permission; else show a refusal and stop.

    Every page calls this at its top: hiding pages from the navigation is not the only guard.
    """
    _ensure_entry_ran()
    actor = st.session_state.get(ACTOR_KEY)
    if not isinstance(actor, Actor) or not actor.can(permission):
        st.error(t("app.page_not_allowed"))
        st.stop()
    return actor
