"""Follow-up widgets every section shares: the state badge, times in the company zone, the customer picker."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import streamlit as st

from crm.follow_ups.queues import QUEUE_COUNT_CAP, QueueSection
from crm.follow_ups.service import Option, TaskView, find_customers
from crm.platform import i18n as catalog
from crm.platform.clock import utcnow
from crm.platform.permissions import Actor
from ui.follow_ups import keys
from ui.i18n import lang, number, t
from ui.state import get_sessions
from ui.widgets import error_boundary

STATE_COLORS: dict[str, str] = {"none": "gray", "planned": "green", "overdue": "red", "out_of_cadence": "orange"}
STATE_ICONS: dict[str, str] = {
    "none": ":material/radio_button_unchecked:",
    "planned": ":material/event_available:",
    "overdue": ":material/alarm:",
    "out_of_cadence": ":material/history:",
}
TIME_STEP = dt.timedelta(minutes=5)


# --- the follow-up state ------------------------------------------------------------------------------


def next_activity_badge(state: str) -> None:
    """Show a customer's follow-up state as a coloured badge: grey nothing planned, green planned, red overdue,
    amber out of cadence."""
    st.badge(
        t(f"follow_up_state.{state}"),
        color=STATE_COLORS.get(state, "gray"),  # type: ignore[arg-type]
        icon=STATE_ICONS.get(state),
    )


# --- formatting -----------------------------------------------------------------------------------------


def local(value: dt.datetime | None, timezone: str) -> str:
    """Format an instant in the company time zone and the user's language."""
    return catalog.format_datetime(value, lang(), timezone)


def task_label(task: TaskView, timezone: str) -> str:
    """A follow-up as its purpose and due time: "Revisit · 5 Dec 2026, 09:00"."""
    return f"{t('purpose.' + task.purpose)} · {local(task.due_at, timezone)}"


def rounded_now(tz: ZoneInfo) -> dt.datetime:
    """Now in the zone, down to five minutes (the time pickers' step)."""
    now = utcnow().astimezone(tz)
    return now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)


def section_total(section: QueueSection) -> str:
    """A queue section's count, "1,000+" beyond the cap."""
    return f"{number(QUEUE_COUNT_CAP)}+" if section.capped else number(section.total)


def option_labels(options: list[Option]) -> dict[int, str]:
    """Options as {id: label}, for a selectbox's format_func."""
    return {o.id: o.label for o in options}


def show_flash(key_prefix: str) -> None:
    """Show (once) the message a successful save left for this place."""
    message = st.session_state.pop(keys.flash(key_prefix), None)
    if message:
        st.success(message, icon=":material/check_circle:")


# --- pickers ---------------------------------------------------------------------------------------------


def customer_picker(actor: Actor, *, key: str) -> int | None:
    """Search box plus a selectbox of at most 50 matching customers (never the whole table)."""
    text = st.text_input(
        t("follow_ups.picker.search"), key=f"{key}_search", placeholder=t("follow_ups.picker.search_hint")
    )
    options: list[Option] = []
    with error_boundary("follow-ups customer picker"):
        options = find_customers(get_sessions(), actor=actor, text=text)
    if not options:
        st.caption(t("follow_ups.picker.none"))
        return None
    labels = {o.id: o.label for o in options}
    chosen = st.selectbox(t("follow_ups.picker.customer"), list(labels), format_func=labels.get, key=f"{key}_id")
    if len(options) >= 50:
        st.caption(t("follow_ups.picker.more"))
    return int(chosen) if chosen is not None else None
