"""The customer list's columns: a default set that fits a 1366 px screen, the rest picked, remembered per user."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from crm.customers.records import ContactInput
from crm.customers.service import CustomerInput, create_customer
from crm.platform.permissions import SYSTEM
from crm.platform.preferences import CUSTOMER_COLUMNS, get_preference
from crm.platform.users import get_user
from db.engine import Sessions

PAGE = "pages/customers.py"
DEFAULT_TITLES = ["Code", "Name", "Lifecycle stage", "Value tier", "Next follow-up", "Owner", "Phone", "Email"]


def open_list(signed_in: Callable[[str], AppTest], role: str) -> AppTest:
    at = signed_in(role)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def columns(at: AppTest) -> list[str]:
    return list(at.dataframe[0].value.columns)


def seed(sessions: Sessions) -> None:
    create_customer(
        sessions,
        actor=SYSTEM,
        data=CustomerInput(name="Acme Robotics Ltd", industry="energy"),
        contact=ContactInput(name="John Smith", phone="13812345678", email="john@acme.example"),
    )


def test_the_list_shows_the_columns_a_user_needs_by_default(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff on a 1366 px laptop, the list shows code, name, stage, tier, next follow-up, owner, phone, email."""
    seed(role_accounts)
    at = open_list(signed_in, "staff")
    assert columns(at) == DEFAULT_TITLES
    row = at.dataframe[0].value.iloc[0]
    assert row["Phone"] == "13812345678" and row["Email"] == "john@acme.example"


def test_a_picked_column_is_shown_and_remembered_with_my_account(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff I add Industry and drop Value tier; signing in again, elsewhere, I get the same columns."""
    seed(role_accounts)
    at = open_list(signed_in, "staff")
    picker = at.multiselect(key="customers_columns")
    picker.select("industry").unselect("value_tier").run()
    assert not at.exception, at.exception
    chosen = ["Code", "Name", "Lifecycle stage", "Next follow-up", "Owner", "Phone", "Email", "Industry"]
    assert columns(at) == chosen
    assert at.dataframe[0].value.iloc[0]["Industry"] == "Energy"
    staff = get_user(role_accounts, username="staff")
    assert staff is not None
    assert get_preference(role_accounts, actor=staff.as_actor(), name=CUSTOMER_COLUMNS) == [
        "code",
        "name",
        "stage",
        "next_follow_up",
        "owner",
        "phone",
        "email",
        "industry",
    ]
    assert columns(open_list(signed_in, "staff")) == chosen  # a new session reads them from the account
    assert columns(open_list(signed_in, "manager")) == DEFAULT_TITLES  # another user keeps the defaults


def test_default_columns_puts_the_list_back_and_forgets_my_choice(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff who picked columns, Default columns shows the default set again, in this and later sessions."""
    seed(role_accounts)
    at = open_list(signed_in, "staff")
    at.multiselect(key="customers_columns").select("tags").run()
    assert "Tags" in columns(at)
    at.button(key="customers_columns_reset").click().run()
    assert not at.exception, at.exception
    assert columns(at) == DEFAULT_TITLES
    staff = get_user(role_accounts, username="staff")
    assert staff is not None
    assert get_preference(role_accounts, actor=staff.as_actor(), name=CUSTOMER_COLUMNS) is None
    assert columns(open_list(signed_in, "staff")) == DEFAULT_TITLES
