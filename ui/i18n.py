"""The t() helper for pages: translates with the signed-in user's language from the session."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from crm.platform import i18n as catalog
from ui.state import company_day, company_zone

LANG_KEY = "lang"
LANG_CHOSEN_KEY = "lang_chosen"  # set when the user picked a language in this session (before sign-in: it wins)


# The language of the last script run in this process. Streamlit's test harness (AppTest) formats a widget's
# options again after the run, outside it, where no session is at hand; it then gets the run's language. A
# server only formats options inside a run, where the session's own language is always read.
_last_run_language = catalog.DEFAULT_LANGUAGE


def lang() -> str:
    """Return the current language code ('en' or 'zh')."""
    global _last_run_language
    if get_script_run_ctx(suppress_warning=True) is None:
        return _last_run_language
    value = st.session_state.get(LANG_KEY)
    if value not in catalog.LANGUAGES:
        browser = (getattr(st.context, "locale", None) or "").lower()
        value = "zh" if browser.startswith("zh") else catalog.DEFAULT_LANGUAGE
    _last_run_language = str(value)
    return _last_run_language


_RENDERED_IN = "_widget_languages"  # session key: widget key -> the language it was last rendered in


def lang_variant(key: str) -> str:
    """The current language's widget key of `key` (the plain key in English)."""
    current = lang()
    return key if current == catalog.DEFAULT_LANGUAGE else f"{key}__{current}"


def lang_keys(key: str) -> list[str]:
    """Every language's widget key of `key` (to reset or preset the widget whatever the language)."""
    return [key if code == catalog.DEFAULT_LANGUAGE else f"{key}__{code}" for code in catalog.LANGUAGES]


def lang_key(key: str) -> str:
    """Widget key for a widget whose option labels are translated, carrying its value across a language switch.

    Streamlit keeps a keyed widget's identity across reruns even when its option labels change,
    so the browser would go on showing labels in the previous language. English keeps the plain key
    (tests find widgets by it); other languages get their own widget, which starts with the value
    the user had chosen under the language they left.
    """
    own = lang_variant(key)
    rendered: dict[str, str] = st.session_state.setdefault(_RENDERED_IN, {})
    previous = rendered.get(key)
    if previous is not None and previous != lang():
        before = key if previous == catalog.DEFAULT_LANGUAGE else f"{key}__{previous}"
        if before in st.session_state:
            st.session_state[own] = st.session_state[before]
    elif own not in st.session_state:
        for other in lang_keys(key):
            if other in st.session_state:
                st.session_state[own] = st.session_state[other]
                break
    rendered[key] = lang()
    return own


def widget_value(key: str) -> Any:
    """The value of a widget keyed with lang_key (or a plain key), whatever the current language."""
    own = lang_variant(key)
    return st.session_state.get(own) if own in st.session_state else st.session_state.get(key)


def has_widget_value(key: str) -> bool:
    """Whether a widget keyed with lang_key (or a plain key) holds a value in the current language or English."""
    return lang_variant(key) in st.session_state or key in st.session_state


def forget_widget_value(key: str) -> None:
    """Drop a widget keyed with lang_key (or a plain key) in every language, so it starts from its default."""
    for variant in lang_keys(key):
        st.session_state.pop(variant, None)
    st.session_state.setdefault(_RENDERED_IN, {}).pop(key, None)


def set_widget_value(key: str, value: Any) -> None:
    """Preset a widget keyed with lang_key (or a plain key) in every language."""
    forget_widget_value(key)
    st.session_state[key] = value


def carry_label_choice(key: str, label_keys: list[str]) -> None:
    """Keep a widget whose value is a translated label (st.tabs) on the same choice after a language switch.

    Call before drawing the widget: a label of another language is replaced by the same entry's label now.
    """
    chosen = st.session_state.get(key)
    current = [t(label_key) for label_key in label_keys]
    if chosen is None or chosen in current:
        return
    for label_key, label in zip(label_keys, current, strict=True):
        if any(catalog.t(label_key, code) == chosen for code in catalog.LANGUAGES):
            st.session_state[key] = label
            return


def t(key: str, /, **params: Any) -> str:
    """Translate a catalog key into the current language."""
    return catalog.t(key, lang(), **params)


def money(amount: Decimal | float | int | None) -> str:
    return catalog.format_money(amount, lang())


def money_compact(amount: Decimal | float | int | None) -> str:
    return catalog.format_money_compact(amount, lang())


def number(value: Decimal | float | int | None) -> str:
    return catalog.format_number(value, lang())


def date(value: dt.date | None) -> str:
    """Format a day in the user's language: 5 Dec 2026 / 2026年12月5日."""
    return catalog.format_date(value, lang())


def day(value: dt.datetime | None) -> str:
    """Format the company-local day of a UTC instant (not its UTC date: 01:00 in Shanghai is still that day)."""
    return catalog.format_date(company_day(value) if value is not None else None, lang())


def when(value: dt.datetime | None) -> str:
    """Format a UTC instant in the company's time zone (the setting, for every user)."""
    return catalog.format_datetime(value, lang(), company_zone())


def language_picker(*, key: str, on_change: Any = None) -> str:
    """A language switcher (English / 简体中文) bound to the session's language."""
    current = lang()
    options = list(catalog.LANGUAGES)
    resync = key in st.session_state and st.session_state[key] != current
    if resync:
        st.session_state[key] = current  # keep the widget in step with the language chosen elsewhere

    def changed() -> None:
        # A callback runs before the rerun, so the whole page is drawn in the new language at once.
        st.session_state[LANG_KEY] = st.session_state[key]
        st.session_state[LANG_CHOSEN_KEY] = True
        if on_change:
            on_change(st.session_state[key])

    # The box's default is the current language, not English: the browser may drop the box's value between
    # runs (it does on a fresh server's first screen) and then shows the default. With English there, a
    # Chinese page showed "English" in the box, and picking English changed nothing, so nothing reran.
    # (Streamlit warns when a default and a value set through the session both exist: index 0 then.)
    choice = st.selectbox(
        catalog.t("app.language", current),
        options,
        index=0 if resync else options.index(current),
        format_func=lambda code: catalog.LANGUAGES[code],
        key=key,
        on_change=changed,
    )
    return str(choice)
