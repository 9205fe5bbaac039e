"""The one way a page shows its sections: lazy tabs that run only the open section's code."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import streamlit as st

from crm.platform import i18n as catalog
from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.i18n import carry_label_choice, t
from ui.widgets import error_boundary


@dataclass(frozen=True)
class Section:
    """One section of a page: its code, its label's catalog key, who may see it, and the function drawing it."""

    code: str
    label_key: str
    render: Callable[[Sessions, Actor], None]
    permission: str | None = None


def _visible(sections: Sequence[Section], actor: Actor) -> list[Section]:
    return [section for section in sections if section.permission is None or actor.can(section.permission)]


def open_section(key: str, sections: Sequence[Section], actor: Actor) -> str | None:
    """The code of the section show_sections will run on this rerun: the chosen tab's (its label in any language),
    else the first the actor may see. Lets a page start that section's reads before it draws what comes above."""
    visible = _visible(sections, actor)
    chosen = st.session_state.get(key)
    for section in visible:
        if chosen is not None and chosen in {catalog.t(section.label_key, code) for code in catalog.LANGUAGES}:
            return section.code
    return visible[0].code if visible else None


def show_sections(key: str, sections: Sequence[Section], sessions: Sessions, actor: Actor) -> str | None:
    """Draw the sections the actor may see as tabs and run only the open one; return its code.

    The tabs track their state (``on_change="rerun"``), so a closed tab's queries never run; the chosen tab
    survives a language switch. Each section runs inside an error boundary of its own, so one failing section
    leaves the others usable.
    """
    visible = _visible(sections, actor)
    if not visible:
        return None
    label_keys = [section.label_key for section in visible]
    carry_label_choice(key, label_keys)
    tabs = st.tabs([t(label_key) for label_key in label_keys], key=key, on_change="rerun")
    opened = None
    for section, tab in zip(visible, tabs, strict=True):
        if tab.open is False:
            continue
        with tab, error_boundary(f"{key}:{section.code}"):
            section.render(sessions, actor)
        opened = opened or section.code
    return opened
