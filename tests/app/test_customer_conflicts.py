"""Two people edit the same customer in the 360 view: the later save is refused, then settled field by field."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from crm.customers.records import ContactInput, add_contact, update_contact
from crm.customers.service import CustomerInput, create_customer, get_customer, get_customer_360, update_customer
from crm.platform.permissions import Actor
from crm.platform.users import get_user
from db.engine import Sessions
from ui.customers import view_360 as customer_360_ui

PAGE = "pages/customers.py"


def actor_of(sessions: Sessions, username: str) -> Actor:
    user = get_user(sessions, username=username)
    assert user is not None
    return user.as_actor()


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def walk(node: Any) -> Iterator[Any]:
    """Every element of the page in the order it is drawn."""
    yield node
    for child in getattr(node, "children", {}).values():
        yield from walk(child)


def drawn_before(at: AppTest, first: Callable[[Any], bool], then: Callable[[Any], bool]) -> bool:
    order = list(walk(at._tree))
    return min(i for i, n in enumerate(order) if first(n)) < min(i for i, n in enumerate(order) if then(n))


@pytest.fixture
def customer_id(role_accounts: Sessions) -> int:
    staff = actor_of(role_accounts, "staff")
    return create_customer(
        role_accounts, actor=staff, data=CustomerInput(name="Delta Clinics", address="1 Old Road", region="north")
    ).id


@pytest.fixture
def open_customer(signed_in: Callable[[str], AppTest], customer_id: int) -> Callable[..., AppTest]:
    def go(role: str, language: str = "en") -> AppTest:
        at = signed_in(role)
        at.switch_page(PAGE)
        run(at)
        if language != "en":  # chosen on the list, as a user would, before the customer opens
            at.selectbox(key="sidebar_language").set_value(language)
            run(at)
        at.query_params["customer"] = str(customer_id)
        return run(at)

    return go


def save(at: AppTest) -> AppTest:
    at.button(key="customers_edit_submit").click()
    return run(at)


def test_staff_refused_after_the_manager_sees_both_addresses_and_keeps_theirs_by_default(
    open_customer, customer_id: int, role_accounts: Sessions
) -> None:  # type: ignore[no-untyped-def]
    """As staff whose save lost to the manager's, I see their address and mine side by side; my notes are saved."""
    staff, manager = open_customer("staff"), open_customer("manager")
    manager.text_input(key="customers_edit_address").input("2 Manager Street")
    manager.selectbox(key="customers_edit_region").select("east")
    save(manager)
    staff.text_input(key="customers_edit_address").input("3 Staff Lane")
    staff.text_area(key="customers_edit_notes").input("Moved to a new office.")
    save(staff)

    conflict = next(e for e in staff.error if "Not saved" in e.value)
    assert "Manager User" in conflict.value and "Address" in conflict.value and "Region" in conflict.value
    # The message sits at the top of the form, above its inputs and its Save button.
    assert drawn_before(staff, lambda n: n is conflict, lambda n: getattr(n, "key", None) == "customers_edit_name")
    assert drawn_before(staff, lambda n: n is conflict, lambda n: getattr(n, "key", None) == "customers_edit_submit")
    shown = [x.value for x in staff.text]
    assert "2 Manager Street" in shown and "3 Staff Lane" in shown
    keep = staff.radio(key="customers_edit_keep_address")
    assert keep.value == "theirs"
    # Fields only the manager changed now show the manager's value; mine are kept.
    assert staff.selectbox(key="customers_edit_region").value == "east"
    assert staff.text_area(key="customers_edit_notes").value == "Moved to a new office."
    saved_before = get_customer(role_accounts, actor=actor_of(role_accounts, "admin"), customer_id=customer_id)
    assert saved_before.address == "2 Manager Street" and saved_before.notes is None

    save(staff)
    saved = get_customer(role_accounts, actor=actor_of(role_accounts, "admin"), customer_id=customer_id)
    assert (saved.address, saved.region, saved.notes) == ("2 Manager Street", "east", "Moved to a new office.")
    assert not [e for e in staff.error if "Not saved" in e.value]


def test_staff_who_chooses_their_own_address_keeps_it_and_the_managers_other_edits(
    open_customer,
    customer_id: int,
    role_accounts: Sessions,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As staff I keep my address over the manager's; their region stays, my notes are saved, in Chinese too."""
    # AppTest re-runs widgets' format functions in the test's thread, where the session's language is unknown:
    # the log-a-contact form's labels (ui.follow_ups.sections) then come out in English and AppTest fails on them. That
    # form has nothing to do with this story, so it is left out here.
    monkeypatch.setattr(customer_360_ui, "log_contact_form", lambda *args, **kwargs: None)
    staff = open_customer("staff", "zh")
    # The manager saves from another screen (a second AppTest in Chinese and English at once would share
    # format functions across sessions, which the real server never does).
    seen = get_customer(role_accounts, actor=actor_of(role_accounts, "manager"), customer_id=customer_id)
    update_customer(
        role_accounts,
        actor=actor_of(role_accounts, "manager"),
        customer_id=customer_id,
        version=seen.version,
        changes={"address": "2 Manager Street", "region": "east"},
    )
    staff.text_input(key="customers_edit_address").input("3 Staff Lane")
    staff.text_area(key="customers_edit_notes").input("搬到了新办公室。")
    save(staff)
    message = "\n".join(e.value for e in staff.error)
    assert "未保存" in message and "Manager User" in message and "地址" in message
    assert "你们都修改了" in "\n".join(w.value for w in staff.warning)
    staff.radio(key="customers_edit_keep_address").set_value("yours")
    save(staff)
    saved = get_customer(role_accounts, actor=actor_of(role_accounts, "admin"), customer_id=customer_id)
    assert (saved.address, saved.region, saved.notes) == ("3 Staff Lane", "east", "搬到了新办公室。")


def test_a_contact_edit_that_lost_shows_both_titles_and_keeps_my_other_change(
    open_customer, customer_id: int, role_accounts: Sessions
) -> None:  # type: ignore[no-untyped-def]
    """As staff editing a contact the manager just changed, I pick between titles and my phone is kept."""
    staff_actor, manager_actor = actor_of(role_accounts, "staff"), actor_of(role_accounts, "manager")
    contact = add_contact(
        role_accounts, actor=staff_actor, customer_id=customer_id, data=ContactInput(name="Li Lei", title="Buyer")
    )
    staff = open_customer("staff")
    staff.selectbox(key="customers_contact_pick").select(contact.id)
    run(staff)
    update_contact(
        role_accounts,
        actor=manager_actor,
        contact_id=contact.id,
        version=contact.version,
        data=ContactInput(name="Li Lei", title="Head of purchasing", wechat="lilei88", is_primary=True),
    )
    staff.text_input(key="customers_contact_form_title").input("Chief buyer")
    staff.text_input(key="customers_contact_form_phone").input("13900001111")
    staff.button(key="customers_contact_form_submit").click()
    run(staff)
    assert any("Manager User" in e.value for e in staff.error)
    assert staff.radio(key="customers_contact_form_keep_title").value == "theirs"
    assert staff.text_input(key="customers_contact_form_wechat").value == "lilei88"
    staff.button(key="customers_contact_form_submit").click()
    run(staff)
    now = next(
        c
        for c in get_customer_360(role_accounts, actor=manager_actor, customer_id=customer_id).contacts
        if c.id == contact.id
    )
    assert (now.title, now.phone, now.wechat) == ("Head of purchasing", "13900001111", "lilei88")
