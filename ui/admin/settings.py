"""Settings section: the company's settings (who reads whose customers, the time zone, the working time)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from crm.platform.clock import parse_time
from crm.platform.permissions import Actor
from crm.platform.settings import read_settings, update_settings
from db.engine import Sessions
from ui.admin import keys
from ui.i18n import lang_key, t
from ui.state import forget_company_clock
from ui.widgets import field_error, run_action

ZONES = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
)


def settings_section(sessions: Sessions, actor: Actor) -> None:
    """The settings form; saving applies the zone and working time to every page at once."""
    form = keys.SETTINGS_FORM
    current = read_settings(sessions)
    with st.form(form):
        staff_read_all = st.checkbox(
            t("admin.settings.staff_read_all"),
            value=bool(current["staff_can_read_all"]),
            key="admin_settings_staff_read_all",
        )
        zone = st.selectbox(
            t("admin.settings.timezone"),
            ZONES,
            index=ZONES.index(current["timezone"]) if current["timezone"] in ZONES else 0,
            key=lang_key("admin_settings_timezone"),
        )
        working_time = st.time_input(
            t("admin.settings.working_time"),
            value=parse_time(current["follow_up_default_time"]) or dt.time(9),
            step=dt.timedelta(minutes=15),
            help=t("admin.settings.working_time_help"),
            key="admin_settings_working_time",
        )
        field_error(form, "follow_up_default_time")
        clicked = st.form_submit_button(t("common.save"), type="primary")
    if (
        clicked
        and run_action(
            form,
            lambda: update_settings(
                sessions,
                actor=actor,
                changes={
                    "staff_can_read_all": staff_read_all,
                    "timezone": zone,
                    "follow_up_default_time": working_time.strftime("%H:%M"),
                },
            ),
        )
        is not None
    ):
        forget_company_clock()  # every page reads the zone through that cache, not from this session
        st.success(t("admin.settings.saved"))
