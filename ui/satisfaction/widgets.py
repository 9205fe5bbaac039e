"""What the satisfaction sections share: labels of codes, the period picker, figures as text, flash messages and
running a write."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from crm.platform.errors import CrmError, ValidationError
from ui.i18n import date, lang_key, t
from ui.satisfaction import keys
from ui.state import company_today
from ui.widgets import describe, renew_form_token

log = logging.getLogger("crm.ui")
T = TypeVar("T")

PERIODS = ("this_month", "this_quarter", "this_year", "last_12_months", "custom")


# --- labels ---------------------------------------------------------------------------------------------


def channel_label(code: str | None) -> str:
    return t(f"satisfaction.channel.{code}") if code else "—"


def no_data() -> str:
    return t("satisfaction.page.no_data")


def score_text(value: float | None, digits: int = 2) -> str:
    """A mean score ("4.25"), or "No data" without one (never 0)."""
    return no_data() if value is None else f"{value:.{digits}f}"


def share_text(value: float | None) -> str:
    """A share as a percentage ("62.5%"), or "No data"."""
    return no_data() if value is None else f"{value:.1%}"


def nps_text(value: float | None) -> str:
    """An NPS as a signed whole-ish number (+23.5), or "No data"."""
    return no_data() if value is None else f"{value:+.1f}"


def int_or_dash(value: int | None) -> str:
    return "—" if value is None else str(value)


# --- period -------------------------------------------------------------------------------------------


def _months_back(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_range(code: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The days a named period covers, up to today (this month, quarter, year; the last 12 months)."""
    if code == "this_month":
        return today.replace(day=1), today
    if code == "this_quarter":
        return dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    if code == "this_year":
        return dt.date(today.year, 1, 1), today
    return _months_back(today, 11), today  # last 12 months: this month and the eleven before it


def period_picker(key: str, from_key: str, to_key: str, *, default: str = "last_12_months") -> tuple[dt.date, dt.date]:
    """A period picker (this month, quarter, year, the last 12 months, or custom dates); return its days.

    Custom dates with the start after the end are refused with a message and the default period is used.
    """
    today = company_today()
    code = st.segmented_control(
        t("satisfaction.page.period"),
        PERIODS,
        default=default,
        required=True,
        format_func=lambda c: t(f"satisfaction.page.period.{c}"),
        key=key,
    )
    code = code or default
    if code != "custom":
        start, end = period_range(code, today)
        st.caption(t("satisfaction.page.period_shown", start=date(start), end=date(end)))
        return start, end
    start_default, _ = period_range(default, today)
    cols = st.columns([1, 1, 3])
    start = cols[0].date_input(t("common.from"), value=start_default, format="YYYY-MM-DD", key=from_key)
    end = cols[1].date_input(t("common.to"), value=today, format="YYYY-MM-DD", key=to_key)
    if start is None or end is None or start > end:
        st.error(t("satisfaction.page.period_order"), icon=":material/error:")
        return period_range(default, today)
    return start, end


# --- flash and writes ---------------------------------------------------------------------------------


def flash(message: str) -> None:
    """Keep a message to show once after the rerun a write makes."""
    st.session_state.setdefault(keys.FLASH, []).append(message)


def show_flash() -> None:
    """Show (once) what the last write did."""
    for message in st.session_state.pop(keys.FLASH, []):
        st.success(message, icon=":material/check_circle:")


def follow_next_tab() -> None:
    """Open the tab a write or a click asked for (call before the tabs are drawn)."""
    label_key = st.session_state.pop(keys.NEXT_TAB, None)
    if label_key:
        st.session_state[keys.TAB] = t(label_key)


def run_write(form_key: str, action: Callable[[], T]) -> T | None:
    """Call one satisfaction use case for a submitted form: field errors under their fields (after a rerun),
    another refusal as a message in the user's language; a new form token after success."""
    st.session_state.pop(f"{form_key}__errors", None)
    try:
        result = action()
    except ValidationError as error:
        st.session_state[f"{form_key}__errors"] = {
            field: t(key, **params) for field, (key, params) in error.fields.items()
        }
        st.rerun()
    except CrmError as error:
        st.error(describe(error), icon=":material/block:")
        return None
    except Exception:  # noqa: BLE001 - never a traceback on screen
        log.exception("unexpected error in %s", form_key)
        st.error(t("app.unexpected_error"))
        return None
    renew_form_token(form_key)
    return result


def choice(column: Any, label_key: str, options: dict[Any, str], key: str) -> Any:
    """A filter's selectbox: "All" first, then the options ({value: label}); its value, None for all."""
    values = [None, *options]
    return column.selectbox(
        t(label_key),
        values,
        format_func=lambda v: t("satisfaction.page.all") if v is None else options.get(v, str(v)),
        key=lang_key(key),
    )


def options_with_none(values: dict[Any, str]) -> tuple[list[Any], Callable[[Any], str]]:
    """Options for a selectbox with "none" first, and their format function."""
    return [None, *values], lambda v: t("common.none") if v is None else values.get(v, str(v))


def customer_link(customer_id: int) -> str:
    """The customer's 360 view (a link for a table's link column)."""
    return f"/customers?customer={int(customer_id)}"
