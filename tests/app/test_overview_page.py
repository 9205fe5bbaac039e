"""The overview and the customer list say whose customers they count: a staff member's own, or everyone's."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from crm.platform.permissions import SYSTEM
from crm.platform.settings import update_settings
from crm.platform.users import get_user
from db.engine import Sessions
from tests.crm.classification.classification_data import add_customer

CUSTOMERS = "pages/customers.py"
OVERVIEW = "pages/home.py"


@pytest.fixture
def shared_base(role_accounts: Sessions) -> Sessions:
    """Three customers: one owned by the staff account, two by the manager."""
    staff, manager = get_user(role_accounts, username="staff"), get_user(role_accounts, username="manager")
    assert staff is not None and manager is not None
    add_customer(role_accounts, "S1", owner_id=staff.id)
    add_customer(role_accounts, "M1", owner_id=manager.id, stage="potential")
    add_customer(role_accounts, "M2", owner_id=manager.id)
    return role_accounts


def _count(at: AppTest) -> tuple[str, str]:
    first = at.metric[0]
    return first.label, first.value


def test_staff_see_my_customers_on_the_overview_and_all_customers_on_the_list(
    shared_base: Sessions, signed_in: Callable[[str], AppTest]
) -> None:
    """As a staff member I can tell that the overview counts my customers and the list everyone's."""
    at = signed_in("staff")
    at.switch_page(OVERVIEW).run()
    assert not at.exception, at.exception
    assert _count(at) == ("My customers", "1")
    assert "count your own customers" in " ".join(c.value for c in at.caption)
    at.switch_page(CUSTOMERS).run()
    assert not at.exception, at.exception
    assert _count(at) == ("All customers", "3")
    at.toggle(key="customers_f_mine").set_value(True).run()
    assert not at.exception, at.exception
    assert _count(at) == ("My customers", "1")
    at.toggle(key="customers_f_mine").set_value(False)
    at.multiselect(key="customers_f_stage").select("potential").run()
    assert not at.exception, at.exception
    assert _count(at) == ("Matching, of all customers", "1")


def test_staff_who_may_read_only_their_own_customers_see_my_customers_on_the_list(
    shared_base: Sessions, signed_in: Callable[[str], AppTest]
) -> None:
    """As a staff member limited to my own customers, the list's count says it is mine."""
    update_settings(shared_base, actor=SYSTEM, changes={"staff_can_read_all": False})
    at = signed_in("staff")
    at.switch_page(CUSTOMERS).run()
    assert not at.exception, at.exception
    assert _count(at) == ("My customers", "1")


def test_a_manager_sees_all_customers_on_both(shared_base: Sessions, signed_in: Callable[[str], AppTest]) -> None:
    """As a manager both the overview and the list count every customer, and say so."""
    at = signed_in("manager")
    at.switch_page(OVERVIEW).run()
    assert not at.exception, at.exception
    assert _count(at) == ("All customers", "3")
    at.switch_page(CUSTOMERS).run()
    assert not at.exception, at.exception
    assert _count(at) == ("All customers", "3")


def test_the_counts_are_labelled_in_chinese(shared_base: Sessions, signed_in: Callable[[str], AppTest]) -> None:
    """As a Chinese-speaking staff member I read 我的客户 on the overview and 全部客户 on the list."""
    at = signed_in("staff")
    at.selectbox(key="sidebar_language").select("zh").run()
    at.switch_page(OVERVIEW).run()
    assert not at.exception, at.exception
    assert _count(at) == ("我的客户", "1")
    at.switch_page(CUSTOMERS).run()
    assert not at.exception, at.exception
    assert _count(at) == ("全部客户", "3")
