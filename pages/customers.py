"""Customers: the list (search, filters, bulk actions, new customer) or, with ?customer=ID, one customer's 360 view."""

from ui.auth import page_actor
from ui.customers.screen import customers_screen
from ui.state import get_sessions

actor = page_actor("customers.view")
customers_screen(get_sessions(), actor)
