"""Versioned edit forms after a refused save: who changed what at the top of the form, theirs and yours side by side.

The merge itself is crm.platform.conflicts (pure, tested); this module keeps its state between reruns and draws it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import streamlit as st

from crm.platform.conflicts import THEIRS, YOURS, FieldConflict, changes_from, keep_choices, three_way_merge
from crm.platform.errors import VersionConflict
from ui.customers.listing import describe_error, forget_form, form_values
from ui.i18n import date, set_widget_value, t
from ui.reads import clear_after
from ui.widgets import run_action

T = TypeVar("T")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def _state_key(form_key: str) -> str:
    return f"{form_key}__conflict"


def _keep_key(form_key: str, name: str) -> str:
    return f"{form_key}_keep_{name}"


def pending_conflict(form_key: str, record_key: str) -> dict[str, Any] | None:
    """The conflict this form's last save ran into, if it is about this record (call before drawing the form).

    Their values for the fields only they changed go into the form's widgets here, before the widgets exist.
    """
    state = st.session_state.get(_state_key(form_key))
    if not state or state.get("record") != record_key:
        st.session_state.pop(_state_key(form_key), None)
        return None
    for name, value in state.pop("pending", {}).items():
        set_widget_value(f"{form_key}_{name}", value)
    return dict(state)


def _plain(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", text)


def _shown(spec: Any, value: Any) -> str:
    """A value as the form's widget shows it: choices by their label, dates in the user's language."""
    if value is None or value == "":
        return t("customers.conflict.empty")
    if getattr(spec, "fmt", None) is not None:
        return str(spec.fmt(value))
    if isinstance(value, bool):
        return t("common.yes" if value else "common.no")
    if isinstance(value, dt.date):
        return date(value)
    return str(value)


def conflict_panel(form_key: str, conflict: Mapping[str, Any] | None, fields: Sequence[Any]) -> None:
    """At the top of the form: who changed what, then each field both changed with theirs and yours side by side."""
    if not conflict:
        return
    error = VersionConflict(entity=conflict["entity"], changes=list(conflict["changes"]))
    st.error(describe_error(error), icon=":material/sync_problem:")
    specs = {spec.name: spec for spec in fields}

    def label(name: str) -> str:
        spec = specs.get(name)
        return t(spec.label) if spec is not None else name

    if conflict["merged"]:
        st.info(
            t("customers.conflict.merged", fields=", ".join(label(n) for n in conflict["merged"])),
            icon=":material/merge:",
        )
    if not conflict["fields"]:
        return
    st.warning(t("customers.conflict.both_changed"), icon=":material/compare_arrows:")
    for name, pair in conflict["fields"].items():
        spec = specs.get(name)
        with st.container(border=True):
            theirs_col, yours_col = st.columns(2)
            theirs_col.caption(f"**{label(name)}** · {t('customers.conflict.theirs', who=_plain(conflict['who']))}")
            theirs_col.text(_shown(spec, pair["theirs"]))
            yours_col.caption(f"**{label(name)}** · {t('customers.conflict.yours')}")
            yours_col.text(_shown(spec, pair["yours"]))
            choices = {THEIRS: t("customers.conflict.keep_theirs"), YOURS: t("customers.conflict.keep_yours")}
            st.radio(
                t("customers.conflict.keep", field=label(name)),
                list(choices),
                format_func=choices.get,
                horizontal=True,
                key=_keep_key(form_key, name),
            )


def settled_values(form_key: str, names: Sequence[str], conflict: Mapping[str, Any] | None) -> dict[str, Any]:
    """The form's values, each field both people changed settled as the user chose (theirs by default)."""
    values = form_values(form_key, names)
    if not conflict:
        return values
    keep = {name: st.session_state.get(_keep_key(form_key, name), THEIRS) for name in conflict["fields"]}
    both = [FieldConflict(name, None, pair["theirs"], pair["yours"]) for name, pair in conflict["fields"].items()]
    return keep_choices(values, both, keep)


def changed_since_loaded(form_key: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values that differ from the record the form was loaded with (after a conflict: the record as it is now)."""
    return changes_from(values, st.session_state.get(f"{form_key}__original", {}))


def save_or_merge(
    form_key: str,
    record_key: str,
    names: Sequence[str],
    save: Callable[[], T],
    current: Callable[[], tuple[Mapping[str, Any], int] | None],
) -> T | None:
    """Run a versioned save. On a conflict, merge the record as it is now (`current`: values, version) with the form.

    The next run shows the conflict at the top of the form; saving again applies the user's changes on top.
    """
    conflicted = False

    def guarded() -> T:
        nonlocal conflicted
        try:
            return save()
        except VersionConflict as error:
            now = current()
            if now is None:  # the record is gone: the message alone says what happened
                raise
            _remember(form_key, record_key, names, error, *now)
            conflicted = True
            return None  # type: ignore[return-value]

    result = run_action(form_key, guarded)
    if conflicted:
        st.rerun()
    if result is not None:
        st.session_state.pop(_state_key(form_key), None)
        forget_form(form_key)
        clear_after("customer")
    return result


def _remember(
    form_key: str,
    record_key: str,
    names: Sequence[str],
    error: VersionConflict,
    theirs: Mapping[str, Any],
    version: int,
) -> None:
    base = dict(st.session_state.get(f"{form_key}__original", {}))
    merge = three_way_merge(base, theirs, form_values(form_key, names), names)
    for name in names:
        st.session_state.pop(_keep_key(form_key, name), None)  # each new conflict starts on "theirs"
    st.session_state[_state_key(form_key)] = {
        "record": record_key,
        "entity": error.entity,
        "changes": error.changes,
        "who": ", ".join(sorted({str(c.get("who") or c.get("username") or "?") for c in error.changes})),
        "fields": {name: {"theirs": c.theirs, "yours": c.yours} for name, c in merge.conflicts.items()},
        "merged": list(merge.theirs_only),
        "pending": {name: merge.values[name] for name in merge.theirs_only},
    }
    # The form now stands on the record as it is: its next save sends what differs from that, at its version.
    st.session_state[f"{form_key}__original"] = dict(theirs)
    st.session_state[f"{form_key}__version"] = version
