"""A customer picker for the classification forms: a search box and a pick list of the customers one may see."""

from __future__ import annotations

import streamlit as st

from crm.classification.reads import visible_customers
from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.i18n import t


def customer_picker(sessions: Sessions, actor: Actor, prefix: str) -> int | None:
    """A search box and a pick list of the customers the actor may see; returns the chosen id."""
    search = st.text_input(t("classification.page.search_customer"), key=f"{prefix}_search")
    found = visible_customers(sessions, actor=actor, search=search, limit=50)
    labels = {row["id"]: f"{row['code']} · {row['name']}" for row in found}
    if not labels:
        st.info(t("common.no_rows"))
        return None
    return st.selectbox(
        t("classification.page.customer"),
        list(labels),
        format_func=labels.get,  # type: ignore[arg-type]
        key=f"{prefix}_customer",
    )
