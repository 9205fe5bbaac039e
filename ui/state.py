"""The cached engine and session factory, created once per server process and migrated on start."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import streamlit as st

from crm.follow_up_core import company_timezone_name
from crm.i18n import t
from db.engine import (
    Sessions,
    UnsupportedCharset,
    database_url,
    make_engine,
    make_session_factory,
    masked_url,
    upgrade_database,
)

log = logging.getLogger("crm.ui")


@st.cache_resource(show_spinner=False)
def _sessions_for(url: str) -> Sessions:
    engine = make_engine(url)
    upgrade_database(engine)
    return make_session_factory(engine)


def get_sessions() -> Sessions:
    """Return the session factory, or show a clear error page (no traceback) and stop."""
    url = database_url()
    try:
        return _sessions_for(url)
    except UnsupportedCharset as error:
        lang = st.session_state.get("lang", "en")
        st.title(t("app.db_charset_title", lang))
        st.error(t("app.db_charset_body", lang, charset=error.charset))
        st.stop()
        raise  # unreachable: st.stop() raises
    except Exception:  # noqa: BLE001 - any failure to reach or migrate the database ends here
        log.exception("cannot open database %s", masked_url(url))
        lang = st.session_state.get("lang", "en")
        st.title(t("app.db_error_title", lang))
        st.error(t("app.db_error_body", lang, url=masked_url(url)))
        st.stop()
        raise  # unreachable: st.stop() raises


@st.cache_data(ttl=60, show_spinner=False)
def _company_timezone_name() -> str:
    return company_timezone_name(get_sessions())


def company_today() -> dt.date:
    """Today in the company time zone: date pickers must not refuse a Shanghai morning on a UTC server."""
    return dt.datetime.now(ZoneInfo(_company_timezone_name())).date()
