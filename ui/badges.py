"""Coloured badges for a customer's classes and follow-up state, as Streamlit Markdown directives."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui.i18n import t

# dimension -> (label prefix in the catalog, {class: colour}); colours are Streamlit's badge colours.
DIMENSIONS: dict[str, tuple[str, dict[str, str]]] = {
    "lifecycle_stage": ("stage", {"potential": "gray", "intent": "blue", "signed": "green", "churned": "red"}),
    "value_tier": ("tier", {"high": "violet", "medium": "blue", "low": "gray"}),
    "size_class": ("size_class", {"key": "violet", "small": "gray"}),
    "relationship": ("relationship", {"new": "blue", "established": "green"}),
    "credit_risk": ("credit_risk", {"high": "red", "medium": "orange", "low": "green"}),
    "importance": ("importance", {"strategic": "violet", "key": "blue", "ordinary": "gray"}),
    "need_type": ("need_type", {"strategic": "violet", "ordinary": "gray", "special": "orange"}),
    "urgency": ("urgency", {"eager": "red", "hopeful": "orange", "watching": "gray"}),
    # nothing planned grey, planned green, overdue red, out of cadence amber (Streamlit's orange)
    "follow_up_state": (
        "follow_up_state",
        {"none": "gray", "planned": "green", "overdue": "red", "out_of_cadence": "orange"},
    ),
}
# Shown before the class where the class word alone is ambiguous ("High" value or "High" risk?).
_PREFIXED = frozenset({"value_tier", "importance", "need_type", "size_class", "relationship"})
# Text colours for table cells, where Markdown badges do not render (pandas Styler CSS).
CSS_COLOURS = {
    "gray": "#808495",
    "green": "#21a354",
    "red": "#e0393e",
    "orange": "#e8890c",
    "blue": "#1c83e1",
    "violet": "#803df5",
}


def _escape(text: str) -> str:
    return text.replace("[", "(").replace("]", ")")


def label(dimension: str, value: str | None) -> str:
    """The class's name in the user's language ('' when unset)."""
    if not value:
        return ""
    prefix, _ = DIMENSIONS[dimension]
    return t(f"{prefix}.{value}")


def colour(dimension: str, value: str | None) -> str:
    return DIMENSIONS[dimension][1].get(value or "", "gray")


def badge(dimension: str, value: str | None) -> str:
    """A Markdown badge for one class, e.g. ':green-badge[Signed]' ('' when unset)."""
    if not value:
        return ""
    text = label(dimension, value)
    if dimension in _PREFIXED:
        text = f"{t(f'customers.dimension.{dimension}')}: {text}"
    return f":{colour(dimension, value)}-badge[{_escape(text)}]"


def cell_style(dimension: str, labels_to_codes: dict[str, str]) -> Any:
    """A Styler function colouring a table cell that shows a class label (by its code's colour)."""

    def style(text: Any) -> str:
        code = labels_to_codes.get(str(text))
        if not code:
            return ""
        return f"color: {CSS_COLOURS[colour(dimension, code)]}; font-weight: 600"

    return style


def style_columns(frame: Any, columns: dict[str, str]) -> Any:
    """Colour the class columns of a table: {column title: dimension}."""
    styler = frame.style
    for title, dimension in columns.items():
        if title in frame.columns:
            codes = {label(dimension, code): code for code in DIMENSIONS[dimension][1]}
            styler = styler.map(cell_style(dimension, codes), subset=[title])
    return styler


def class_badges(profile: Any) -> str:
    """Every class the customer is in, as one line of badges (unset dimensions left out)."""
    parts = [badge(dimension, getattr(profile, dimension, None)) for dimension in DIMENSIONS]
    return " ".join(p for p in parts if p)


def show_class_badges(profile: Any) -> None:
    """Render the customer's class badges (or nothing if it has none yet)."""
    line = class_badges(profile)
    if line:
        st.markdown(line)
