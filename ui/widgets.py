"""Shared widgets: error display in the user's language, form tokens, field errors, pager."""

from __future__ import annotations

import hashlib
import logging
import math
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import streamlit as st

from crm.platform.change_display import describe_conflict
from crm.platform.errors import CrmError, ValidationError, VersionConflict
from crm.platform.uow import retry_when_busy
from db.engine import is_connection_lost
from ui.i18n import lang, t, when
from ui.inert import inert
from ui.state import company_zone

log = logging.getLogger("crm.ui")
T = TypeVar("T")


RESUBMISSION_WINDOW_S = 30.0  # a browser that has not redrawn the form after a success sends it again within it


def form_token(form_key: str) -> str:
    """Return this rendering's idempotency token for a form (a new one after each success)."""
    state_key = f"{form_key}__token"
    if state_key not in st.session_state:
        st.session_state[state_key] = uuid.uuid4().hex
    return str(st.session_state[state_key])


def create_token(form_key: str) -> str:
    """Return the token of a form that creates a record, whose key stays the same after a success.

    A double click reaches the app as two runs, each sending the form as the browser drew it; the second may come
    after the first has saved and renewed the token. The same input sent again that soon gets the token the save
    used, so the service refuses it instead of creating the record twice. (A form whose key changes after each
    success, like the complaint intake, needs none of this: the old form's button is gone.) Not for edits and
    transitions: their version check refuses a repeat already, and the same input may rightly move a record again.
    """
    st.session_state[f"{form_key}__creates"] = True
    done = st.session_state.get(f"{form_key}__done")
    if done is not None:
        token, sent, at = done
        if sent is not None and time.monotonic() - at <= RESUBMISSION_WINDOW_S and sent == _sent_input():
            return str(token)
    return form_token(form_key)


def renew_form_token(form_key: str) -> None:
    """After a success: the next submission gets a new token (create_token: unless it sends the same input)."""
    token = st.session_state.pop(f"{form_key}__token", None)
    if token is not None and st.session_state.get(f"{form_key}__creates"):
        st.session_state[f"{form_key}__done"] = (token, _sent_input(), time.monotonic())


def _sent_input() -> str | None:
    """A digest of what this run was sent: the value of each keyed widget drawn so far and the URL's query.

    Streamlit has no public list of the widgets drawn; without it the check is off (never a false refusal).
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    try:
        keys = sorted(get_script_run_ctx().shared.widget_user_keys_this_run.snapshot())  # type: ignore[union-attr]
    except AttributeError:
        return None
    values = []
    for key in keys:
        try:
            values.append((key, repr(st.session_state[key])))
        except (KeyError, AttributeError):
            continue
    if not values:
        return None
    values.append(("?", repr(sorted(st.query_params.to_dict().items()))))
    return hashlib.sha256(repr(values).encode("utf-8", "surrogatepass")).hexdigest()


def field_errors(form_key: str) -> dict[str, str]:
    return dict(st.session_state.get(f"{form_key}__errors", {}))


def field_error(form_key: str, field: str) -> None:
    """Show the error for one field right under it, if the last submission had one."""
    message = field_errors(form_key).get(field)
    if message:
        st.error(message, icon=":material/error:")


def action_errors(key: str) -> None:
    """Show, once, every message the last run of a one-click action (a button, no form fields) left."""
    for message in st.session_state.pop(f"{key}__errors", {}).values():
        st.error(message, icon=":material/error:")


def form_errors(form_key: str) -> None:
    """Show a summary line when the form's last submission had field errors (call near the submit button)."""
    if field_errors(form_key):
        st.error(t("error.validation"), icon=":material/error:")


def describe(error: CrmError) -> str:
    """Turn a domain error into a sentence in the user's language."""
    if isinstance(error, VersionConflict):  # it quotes what others typed: escaped for Markdown
        return "\n\n".join(
            inert(part)
            for part in describe_conflict(
                error.changes, lang(), key=error.key, tz=company_zone().key, params=error.params
            ).split("\n\n")
        )
    params = {k: inert(when(v) if hasattr(v, "tzinfo") else v) for k, v in error.params.items()}
    return t(error.key, **params)


def run_action(form_key: str, action: Callable[[], T], *, success: str | None = None) -> T | None:
    """Call one crm use case for a submitted form; show success, field errors or a message."""
    st.session_state.pop(f"{form_key}__errors", None)
    try:
        result = retry_when_busy(action)  # a deadlock victim rolled back whole: run it again, unseen
    except ValidationError as error:
        st.session_state[f"{form_key}__errors"] = {
            field: t(key, **params) for field, (key, params) in error.fields.items()
        }
        # Rerun so each message appears under its field; keyed widgets keep what the user typed.
        st.rerun()
    except CrmError as error:
        st.error(describe(error))
        return None
    except Exception as error:  # noqa: BLE001 - never a traceback on screen
        if is_connection_lost(error):  # lost before the transaction began (reading what the form needs)
            log.warning("database connection lost in %s", form_key)
            st.error(t("error.database_unavailable"))
            return None
        log.exception("unexpected error in %s", form_key)
        st.error(t("app.unexpected_error"))
        return None
    renew_form_token(form_key)
    if success:
        st.toast(success, icon=":material/check_circle:")
    return result


@contextmanager
def error_boundary(context: str) -> Iterator[None]:
    """Show domain errors as messages instead of tracebacks for read-only panels."""
    try:
        yield
    except CrmError as error:
        st.error(describe(error))
    except Exception as error:  # noqa: BLE001
        if is_connection_lost(error):
            log.warning("database connection lost in %s", context)
            st.error(t("error.database_unreachable"))
            return
        log.exception("unexpected error in %s", context)
        st.error(t("app.unexpected_error"))


def pager(key: str, total: int, page_size: int, *, more: bool = False) -> int:
    """A page picker; returns the 0-based page index. more: the total was counted only up to `total` ("1,000+")."""
    pages = max(1, math.ceil(total / page_size))
    page = st.number_input(t("common.page"), min_value=1, max_value=pages, value=1, step=1, key=key)
    st.caption(t("common.page_of", page=page, pages=pages, total=f"{total:,}" + ("+" if more else "")))
    return int(page) - 1


# --- tables -------------------------------------------------------------------------------------------
# Every table of the app is drawn through data_table / data_editor (tests/app/test_table_downloads.py checks
# that no page calls st.dataframe or st.data_editor itself). The table toolbar's "Download as CSV" would write the
# cells raw, skipping what the export does (formulas quoted, crm.exchange.exports.defuse_formula);
# .streamlit/config.toml switches it off for every table and chart (client.disableDataExport, which also stops
# copying cells out of a read-only table), and the export is the one way to take data away.


def _defused(frame: Any) -> Any:
    from crm.exchange.exports import defuse_formula

    return frame.map(lambda value: defuse_formula(value) if isinstance(value, str) else value)


def data_table(data: Any, **kwargs: Any) -> Any:
    """Draw a read-only table (st.dataframe) whose toolbar offers no raw download.

    Should the download ever be switched on again (client.disableDataExport false), its text cells are quoted as
    the export quotes them, so a downloaded file still opens without running anything.
    """
    if not st.get_option("client.disableDataExport"):
        import pandas as pd
        from pandas.io.formats.style import Styler

        if isinstance(data, Styler):
            data.data = _defused(data.data)
        else:
            data = _defused(data if isinstance(data, pd.DataFrame) else pd.DataFrame(data))
    return st.dataframe(data, **kwargs)


def data_editor(data: Any, **kwargs: Any) -> Any:
    """Draw an editable table (st.data_editor); its toolbar download is off with every table's."""
    return st.data_editor(data, **kwargs)
