"""Why a customer is in each class: the explanation panel of the customer 360 view."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from crm.classification.service import Explanation, Reason, describe, explain_customer
from crm.platform.permissions import Actor
from ui.classification.labels import class_label
from ui.i18n import lang, t
from ui.inert import inert
from ui.state import get_sessions

# Parameters of a reason that carry what users typed (an override's reason, who set it, a credit note).
_TYPED_PARAMS = frozenset({"reason", "by", "note"})


def _described(reason: Reason, language: str) -> str:
    """A reason in the language, what users typed in it escaped for Markdown."""
    params = {
        name: inert(value) if name in _TYPED_PARAMS and isinstance(value, str) else value
        for name, value in reason.params.items()
    }
    return describe(Reason(reason.key, params), language)


def render_explanations(actor: Actor, customer_id: int, as_of: dt.date | None = None) -> list[Explanation]:
    """Show why the customer is in each class (for the customer 360 view); returns the explanations."""
    explanations = explain_customer(get_sessions(), actor=actor, customer_id=customer_id, as_of=as_of)
    language = lang()
    for item in explanations:
        label = t(f"classification.dimension.{item.dimension}")
        value = class_label(item.dimension, item.value)
        st.markdown(f"**{label}: {value}** — {_described(item.reason, language)}")
        if item.override is not None:
            st.caption(_described(item.override, language))
        for evidence in item.evidence:
            st.caption(f"· {_described(evidence, language)}")
        if item.computed is not None and item.cached != item.value:
            st.caption(t("classification.page.pending_recompute", cached=class_label(item.dimension, item.cached)))
    return explanations
