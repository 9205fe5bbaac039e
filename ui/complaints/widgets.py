"""What the complaint sections share: labels of codes, time left, pickers, and running a case action."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from crm.complaints import StaleCase, department_label
from crm.complaints.vocab import DEFAULT_CATEGORIES
from crm.follow_ups.service import find_customers, log_context
from crm.platform.change_display import change_field_label
from crm.platform.errors import CrmError, ValidationError
from crm.platform.permissions import Actor
from ui.complaints import keys
from ui.complaints.reads import cached_assignees, cached_categories, cached_departments
from ui.i18n import lang, t
from ui.inert import inert
from ui.state import get_sessions
from ui.widgets import describe, error_boundary, form_token, renew_form_token

log = logging.getLogger("crm.ui")
T = TypeVar("T")
FLAG_COLORS = {"breached": "red", "at_risk": "orange"}


# --- labels ---------------------------------------------------------------------------------------------


def vocab(prefix: str, code: str | None) -> str:
    """The label of a stored code ("complaints.severity" + "high" → "High" / "高"); "—" for none."""
    return t(f"{prefix}.{code}") if code else "—"


def status_label(status: str, kind: str = "complaint") -> str:
    return t(f"{kind}_status.{status}")


def department_name(name_en: str | None, name_zh: str | None) -> str:
    return department_label(name_en, name_zh, lang()) or "—"


def category_label(actor: Actor, code: str | None) -> str:
    """A complaint category: the catalog's label for the default list, the managers' names for added ones."""
    if not code:
        return "—"
    if code in DEFAULT_CATEGORIES:
        return t(f"complaints.category.{code}")
    for category in cached_categories(actor):
        if category.code == code:
            return (category.name_zh if lang() == "zh" and category.name_zh else category.name_en) or code
    return code


def category_codes(actor: Actor) -> list[str]:
    return [c.code for c in cached_categories(actor)]


def departments(actor: Actor) -> dict[int, str]:
    """{department id: name in the user's language} of the live departments."""
    return {d.id: d.label(lang()) for d in cached_departments(actor)}


def assignees(actor: Actor) -> dict[int, str]:
    return {c.id: c.label for c in cached_assignees(actor)}


def flag_text(flag: str | None) -> str:
    # Words, not coloured emoji: a browser without an emoji font showed a box.
    return t(f"complaints.flag.{flag}") if flag else ""


def duration(seconds: float) -> str:
    """A span as days and hours, hours and minutes, or minutes, in the user's language."""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return t("complaints.ui.days_hours", d=days, h=hours)
    if hours:
        return t("complaints.ui.hours_minutes", h=hours, m=mins)
    return t("complaints.ui.minutes", m=mins)


def time_left(due: dt.datetime | None, now: dt.datetime) -> str:
    """ "3 h 20 min left" or "overdue by 2 d 1 h" for a deadline; "" without one."""
    if due is None:
        return ""
    seconds = (due - now).total_seconds()
    return (
        t("complaints.ui.left", time=duration(seconds))
        if seconds >= 0
        else t("complaints.ui.overdue_by", time=duration(seconds))
    )


# --- pickers --------------------------------------------------------------------------------------------


def customer_picker(actor: Actor, *, key: str, label_key: str = "complaints.field.customer_id") -> int | None:
    """A search box and a list of at most 50 matching customers the actor may handle (never the whole table)."""
    text = st.text_input(
        t("complaints.ui.customer_search"), key=f"{key}_search", placeholder=t("complaints.ui.customer_search_hint")
    )
    choices = []
    with error_boundary("complaints customer picker"):
        choices = find_customers(get_sessions(), actor=actor, text=text or "")
    if not choices:
        st.caption(t("complaints.ui.no_customer"))
        return None
    labels = {c.id: c.label for c in choices}
    chosen = st.selectbox(t(label_key), list(labels), format_func=labels.get, key=f"{key}_id")
    return int(chosen) if chosen is not None else None


def contacts_of(actor: Actor, customer_id: int) -> tuple[dict[int, str], int | None]:
    """The customer's contacts ({id: label}) and the primary one."""
    context = log_context(get_sessions(), actor=actor, customer_id=customer_id)
    return {o.id: o.label for o in context.contacts}, context.primary_contact_id


# --- running a write ------------------------------------------------------------------------------------


def stale_message(error: StaleCase) -> str:
    """The service's conflict message: who changed the case, which fields, and the state it is in now."""
    changes = list(error.changes)
    who = ", ".join(sorted({str(c.get("who") or c.get("username") or "?") for c in changes}))
    fields = ", ".join(dict.fromkeys(change_field_label(c["field"], lang()) for c in changes if c.get("field")))
    return t(error.key, who=inert(who), fields=inert(fields), state=error.params.get("state", ""))


def run_case(form_key: str, action: Callable[[], T], *, success: str | None = None) -> T | None:
    """Call one complaints use case for a submitted form: field errors under their fields, a refused or stale
    action as the service's message naming the current state, success as a message after the rerun."""
    st.session_state.pop(f"{form_key}__errors", None)
    try:
        result = action()
    except ValidationError as error:
        st.session_state[f"{form_key}__errors"] = {
            field: t(key, **params) for field, (key, params) in error.fields.items()
        }
        st.rerun()
    except StaleCase as error:
        st.error(stale_message(error), icon=":material/sync_problem:")
        return None
    except CrmError as error:
        st.error(describe(error), icon=":material/block:")
        return None
    except Exception:  # noqa: BLE001 - never a traceback on screen
        log.exception("unexpected error in %s", form_key)
        st.error(t("app.unexpected_error"))
        return None
    renew_form_token(form_key)
    if success:
        st.session_state[keys.FLASH] = success
    return result


def token(form_key: str) -> str:
    return form_token(form_key)


def show_flash() -> None:
    """Show (once) what the last write did."""
    message = st.session_state.pop(keys.FLASH, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def options_with_none(values: dict[Any, str]) -> tuple[list[Any], Callable[[Any], str]]:
    """Options for a selectbox with "none" first, and their format function."""
    return [None, *values], lambda v: t("common.none") if v is None else values.get(v, str(v))


def shown_version(state_key: str, current: int, submit_keys: list[str]) -> int:
    """The version a case's forms were shown with: kept when one of their buttons was pressed (so a change made
    meanwhile by someone else is refused by the service), else the current one."""
    if state_key in st.session_state and any(st.session_state.get(key) for key in submit_keys):
        return int(st.session_state[state_key])
    st.session_state[state_key] = current
    return current


def open_on_detail(complaint_id: int) -> None:
    """After a write that made a complaint: show it on the Detail tab on the next run."""
    st.session_state[keys.OPEN] = int(complaint_id)
    st.session_state[keys.NEXT_TAB] = "complaints.tab.detail"


def follow_next_tab() -> None:
    """Open the tab a write asked for (call before the tabs are drawn)."""
    label_key = st.session_state.pop(keys.NEXT_TAB, None)
    if label_key:
        st.session_state[keys.TAB] = t(label_key)
