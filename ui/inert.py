"""What users typed, shown as text: escaped where Streamlit renders Markdown, wrapped and cut short where it is long.

Streamlit renders Markdown (with links, images, colour directives, maths and emoji shortcodes) in st.markdown,
st.write of a string, titles, captions, alerts, toasts, expander and tab labels, widget labels, metric labels
and radio options. A customer named ``![x](http://evil.example/x.png)`` would load an image from that server,
``[click](http://evil.example)`` would make a link that looks like ours. Every user value that goes into one of
those goes through `inert` (or `inert_t` for a catalog message); long texts go through `long_text`, which uses
st.text (never parsed).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import streamlit as st

from ui.i18n import t

# CommonMark lets a backslash escape any ASCII punctuation and shows the character itself. These are the ones
# Markdown, GFM and Streamlit give a meaning to: emphasis, code, links and images, HTML (\<) and entities (\&),
# headings, lists and tables, maths (\$) and colour directives (\:red[...]); commas, quotes and the like stay
# as they are, so what is escaped still reads as typed.
_ESCAPED = {ord(c): "\\" + c for c in "\\`*_{}[]()<>#+-.!|~$:&="}
# Emoji and icon shortcodes (:smile:, :material/home:) and GFM's bare links (http://x, www.x, a@b.c) are found in
# the text after Markdown is parsed, so escaping does not stop them; a word joiner (invisible, not a space) after
# the colon, between "www" and its dot and after the "@" does.
_FOUND_AFTER_PARSING = re.compile(r"(\\:)(?=[\w/+-])|(www)(?=\\\.)|(@)", re.IGNORECASE)
_WORD_JOINER = "\u2060"
_LINE_BREAKS = re.compile(r"\s*[\r\n\u2028\u2029]+\s*")
PREVIEW_LINES = 3
PREVIEW_CHARS = 300


def inert(value: Any) -> str:
    """Return a user value as Markdown that shows exactly its text, on one line ('' for None)."""
    if value is None:
        return ""
    text = _LINE_BREAKS.sub(" ", str(value))
    return _FOUND_AFTER_PARSING.sub(lambda match: match.group(0) + _WORD_JOINER, text.translate(_ESCAPED))


def inert_t(key: str, /, **params: Any) -> str:
    """Translate a catalog message for a Markdown place, each parameter (a user value) escaped."""
    return t(key, **{name: inert(value) for name, value in params.items()})


def preview(text: str | None, *, lines: int = PREVIEW_LINES, chars: int = PREVIEW_CHARS) -> tuple[str, bool]:
    """Return the first lines of a text (at most `chars` characters) and whether anything was left out."""
    text = (text or "").strip()
    head = "\n".join(text.splitlines()[:lines])
    if len(head) > chars:
        head = head[:chars].rstrip()
    cut = head != text
    return (head + " …" if cut else head), cut


def long_text(
    text: str | None, *, key: str, lines: int = PREVIEW_LINES, chars: int = PREVIEW_CHARS, container: Any = None
) -> None:
    """Show a user's text as plain wrapped text: its first lines, the whole of it after "Show more"."""
    place: Any = container if container is not None else st
    short, cut = preview(text, lines=lines, chars=chars)
    if not short:
        return
    state_key = f"{key}__more"
    opened = bool(st.session_state.get(state_key))
    place.text((text or "").strip() if opened and cut else short, wrap=True)
    if cut:
        place.button(
            t("common.show_less") if opened else t("common.show_more"),
            key=f"{key}__toggle",
            type="tertiary",
            icon=":material/unfold_less:" if opened else ":material/unfold_more:",
            on_click=_toggle(state_key),
        )


def _toggle(state_key: str) -> Callable[[], None]:
    def flip() -> None:
        st.session_state[state_key] = not st.session_state.get(state_key)

    return flip
