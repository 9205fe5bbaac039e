"""Customers: the list (search, filters, bulk actions, new customer) or, with ?customer=ID, one customer's 360 view."""

import streamlit as st

from ui.auth import page_actor
from ui.customers.import_panel import render_export_buttons, render_import_panel
from ui.customers.listing import customer_list, new_customer_form, selected_customer_id, show_list_address
from ui.customers.view_360 import customer_360
from ui.i18n import t
from ui.state import get_sessions

actor = page_actor("customers.view")
sessions = get_sessions()

notice = st.session_state.pop("customers_notice", None)
if notice:
    st.toast(notice, icon=":material/check_circle:")

customer_id = selected_customer_id()
if customer_id is not None:
    customer_360(sessions, actor, customer_id)
    st.stop()
show_list_address()

st.title(t("customers.title"))
if actor.can("customers.create"):
    with st.expander(t("customers.new.title"), icon=":material/person_add:",
                     expanded=bool(st.session_state.get("customers_new__candidates"))):
        new_customer_form(sessions, actor)
shown = customer_list(sessions, actor)
with st.expander(t("exports.title"), icon=":material/download:"):
    render_export_buttons(actor, shown)
if actor.can("customers.import"):
    with st.expander(t("imports.panel.title"), icon=":material/upload:"):
        render_import_panel(actor)
