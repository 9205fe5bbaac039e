"""The cached engine and session factory, created once per server process and migrated on start."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import streamlit as st

from crm.platform import clock
from crm.platform.i18n import t
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

# How long a cached read may be stale at most: another server's write shows within it. A write on this server
# clears the reads it affects at once (ui/reads.py).
READ_TTL_SECONDS = 60


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


# The company's clock settings, read once a minute per server (another server's change shows within that);
# saving the settings clears them at once (forget_company_clock).
@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def _company_clock(url: str) -> tuple[str, str]:
    with get_sessions().read() as session:
        return clock.company_zone(session).key, clock.working_time(session).strftime("%H:%M")


def forget_company_clock() -> None:
    """Drop the cached time zone and working time: call after saving the settings."""
    _company_clock.clear()


def company_zone() -> ZoneInfo:
    """The company's time zone (the setting), for every time shown and every default date."""
    return clock.zone_named(_company_clock(database_url())[0])


def company_working_time() -> dt.time:
    """When a follow-up planned for a day without a time is due, company-local."""
    return clock.parse_time(_company_clock(database_url())[1]) or dt.time(9)


def company_today() -> dt.date:
    """Today in the company time zone: date pickers must not refuse a Shanghai morning on a UTC server."""
    return clock.today(company_zone())


def company_day(instant: dt.datetime) -> dt.date:
    """The company-local day of a UTC instant (a customer created at 01:00 in Shanghai is created that day)."""
    return clock.local_date(instant, company_zone())
