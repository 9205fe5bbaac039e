"""The Customers page's two screens: the list with its panels, or, with ?customer=ID, one customer's 360 view."""

from __future__ import annotations

import streamlit as st

from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.customers import keys
from ui.customers.import_panel import render_export_buttons, render_import_panel
from ui.customers.listing import customer_list, new_customer_form, selected_customer_id, show_list_address
from ui.customers.view_360 import customer_360
from ui.i18n import t


def customers_screen(sessions: Sessions, actor: Actor) -> None:
    """Tell what the last save did, then show the customer the address names, or else the list."""
    show_notice()
    customer_id = selected_customer_id()
    if customer_id is not None:
        customer_360(sessions, actor, customer_id)
    else:
        list_screen(sessions, actor)


def show_notice() -> None:
    """Show, once, as a toast, what the last save left to tell (it reran the page to show its result)."""
    notice = st.session_state.pop(keys.NOTICE, None)
    if notice:
        st.toast(notice, icon=":material/check_circle:")


def list_screen(sessions: Sessions, actor: Actor) -> None:
    """The list: a new customer, the filtered table with its bulk actions, the export and the import."""
    show_list_address()
    st.title(t("customers.title"))
    if actor.can("customers.create"):
        with st.expander(
            t("customers.new.title"),
            icon=":material/person_add:",
            expanded=bool(st.session_state.get(keys.NEW_CANDIDATES)),
        ):
            new_customer_form(sessions, actor)
    shown = customer_list(sessions, actor)
    with st.expander(t("exports.title"), icon=":material/download:"):
        render_export_buttons(actor, shown)
    if actor.can("customers.import"):
        with st.expander(t("imports.panel.title"), icon=":material/upload:"):
            render_import_panel(actor)
