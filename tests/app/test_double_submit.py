"""A double click or a resubmitted form never writes twice (issue 18, faults).

A real double click reaches Streamlit as two runs that each send the form as the browser drew it: the second may
arrive after the first has saved, renewed the form's token and redrawn the form. The tests send AppTest's widget
states of the click twice (`press`: what the browser sends, old values and submit trigger included). Each form must
then write once: a form whose key changes after a save (the complaint intake, the satisfaction response) ignores the
old trigger; a create form whose key stays (a contact, a new customer) gets the token of the save it repeats
(ui.widgets.create_token) and the service refuses it. If the token was never renewed (the first run cut off between
its commit and the renewal), the service refuses the same token: crm.platform.uow.transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

import ui.widgets
from crm.complaints import ComplaintInput, file_complaint
from crm.platform.errors import DuplicateSubmission
from crm.platform.i18n import t
from crm.platform.permissions import Actor
from crm.platform.users import get_user
from crm.satisfaction import ResponseInput, TemplateInput, create_template, record_response
from db.engine import Sessions
from db.models import Complaint, Contact, Customer, SurveyResponse
from tests.crm.follow_ups.follow_up_factories import make_contact, make_customer
from ui.inert import inert

DUPLICATE = t("error.duplicate_submission")


def _actor(sessions: Sessions, username: str) -> Actor:
    user = get_user(sessions, username=username)
    assert user is not None
    return user.as_actor()


def _count(sessions: Sessions, model: type) -> int:
    with sessions.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _fine(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert t("app.unexpected_error") not in [e.value for e in at.error]


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def press(button: Any) -> Callable[[], None]:
    """Click a button; return a function that sends that click to the app, as often as it is called."""
    at: AppTest = button.root._runner
    sent = button.click().root.get_widget_states()  # what the browser sends for this click, as the page was drawn

    def send() -> None:
        at._run(sent)
        _fine(at)

    return send


def _open(at: AppTest, page: str, tab_key: str, tab: str) -> AppTest:
    at.switch_page(page).run()
    _fine(at)
    at.session_state[tab_key] = t(tab)
    at.run()
    _fine(at)
    return at


# --- complaint --------------------------------------------------------------------------------------


def _complaint_form(signed_in: Callable[[str], AppTest], customer: int) -> tuple[AppTest, str]:
    at = _open(signed_in("staff"), "pages/complaints.py", "complaints_tab", "complaints.tab.new")
    at.text_input(key="complaints_intake_customer_search").input("Acme").run()
    _fine(at)
    form = f"complaints_intake_{customer}_r0"
    at.text_area(key=f"{form}_description").input("The delivery came two weeks late.")
    at.selectbox(key=f"{form}_severity").set_value("high")
    return at, form


def _back_on_the_intake_tab(at: AppTest) -> None:
    # A filed complaint opens on the Detail tab; the browser that had not redrawn still shows (and sends) the intake
    # tab, but AppTest sends no tab state: set it as the browser would.
    at.session_state["complaints_tab"] = t("complaints.tab.new")


def test_a_double_clicked_complaint_is_filed_once(signed_in: Callable[[str], AppTest], role_accounts: Sessions) -> None:
    """As staff I click 'File' twice on a new complaint: one complaint is recorded."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="Acme Trading")
    make_contact(role_accounts, customer, name="Li Lei", is_primary=True)
    at, form = _complaint_form(signed_in, customer)
    click = press(at.button(key=f"{form}_submit"))
    click()
    assert _count(role_accounts, Complaint) == 1
    _back_on_the_intake_tab(at)
    click()  # the second click, sent from the form as first drawn
    assert _count(role_accounts, Complaint) == 1
    assert DUPLICATE not in _errors(at)  # the old form's button is gone: nothing to refuse, nothing written


def test_a_complaint_resubmitted_with_its_token_is_refused(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff my 'File' click reaches the server again with the token already used: refused, one complaint."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="Acme Trading")
    at, form = _complaint_form(signed_in, customer)
    at.session_state[f"{form}__token"] = "complaint-double-click"
    click = press(at.button(key=f"{form}_submit"))
    click()
    assert _count(role_accounts, Complaint) == 1
    # As if the first run had stopped between its commit and the token's renewal: the same form, the same token.
    _back_on_the_intake_tab(at)
    at.session_state["complaints_intake__rev"] = 0
    at.session_state[f"{form}__token"] = "complaint-double-click"
    click()
    assert DUPLICATE in _errors(at)
    with role_accounts.read() as session:
        assert session.scalars(select(Complaint.description)).all() == ["The delivery came two weeks late."]


# --- satisfaction response --------------------------------------------------------------------------


def _response_form(signed_in: Callable[[str], AppTest], template: int, customer: int) -> tuple[AppTest, str]:
    at = _open(signed_in("staff"), "pages/satisfaction.py", "satisfaction_tab", "satisfaction.tab.record")
    at.text_input(key="satisfaction_record_customer_search").input("Acme").run()
    _fine(at)
    form = f"satisfaction_record_{template}_{customer}_r0"
    at.radio(key=f"{form}_overall").set_value(4)
    at.radio(key=f"{form}_nps").set_value(9)
    at.text_area(key=f"{form}_comment").input("Good product, slow answers.")
    return at, form


def _template(sessions: Sessions) -> int:
    data = TemplateInput(name="Quarterly survey", dimensions=("product_quality", "service_attitude"))
    return create_template(sessions, actor=_actor(sessions, "manager"), data=data)


def test_a_double_clicked_satisfaction_response_is_recorded_once(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff I click 'Save response' twice: one response is recorded."""
    customer = make_customer(role_accounts, owner=_actor(role_accounts, "staff"), name="Acme Trading")
    template = _template(role_accounts)
    at, form = _response_form(signed_in, template, customer)
    click = press(at.button(key=f"{form}_submit"))
    click()
    assert _count(role_accounts, SurveyResponse) == 1
    click()
    assert _count(role_accounts, SurveyResponse) == 1
    assert DUPLICATE not in _errors(at)


def test_a_satisfaction_response_resubmitted_with_its_token_is_refused(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff my 'Save response' click reaches the server again with the token already used: refused, one
    response."""
    customer = make_customer(role_accounts, owner=_actor(role_accounts, "staff"), name="Acme Trading")
    template = _template(role_accounts)
    at, form = _response_form(signed_in, template, customer)
    at.session_state[f"{form}__token"] = "response-double-click"
    click = press(at.button(key=f"{form}_submit"))
    click()
    at.session_state["satisfaction_record__rev"] = 0
    at.session_state[f"{form}__token"] = "response-double-click"
    click()
    assert DUPLICATE in _errors(at)
    with role_accounts.read() as session:
        assert [tuple(row) for row in session.execute(select(SurveyResponse.overall_score, SurveyResponse.nps))] == [
            (4, 9)
        ]


# --- a form whose key stays the same after a save ----------------------------------------------------


def _contact_form(signed_in: Callable[[str], AppTest], customer: int) -> AppTest:
    at = signed_in("staff")
    at.query_params["customer"] = str(customer)
    at.switch_page("pages/customers.py").run()
    _fine(at)
    return at


def _add_contact(at: AppTest, name: str) -> Callable[[], None]:
    at.text_input(key="customers_contact_form_name").input(name)
    click = press(at.button(key="customers_contact_form_submit"))
    click()
    return click


def test_a_double_clicked_contact_is_added_once_and_the_next_one_still_is(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As staff I double-click 'Save' on a new contact: one contact, and the app says nothing was saved twice; the
    next contact I type is added; the same one typed again later is added too (a deliberate second entry)."""
    customer = make_customer(role_accounts, owner=_actor(role_accounts, "staff"), name="Delta Clinics")
    at = _contact_form(signed_in, customer)
    click = _add_contact(at, "李雷")
    assert _count(role_accounts, Contact) == 1
    click()
    assert DUPLICATE in _errors(at)
    assert _count(role_accounts, Contact) == 1

    _add_contact(at, "韩梅梅")
    assert _count(role_accounts, Contact) == 2
    monkeypatch.setattr(ui.widgets, "RESUBMISSION_WINDOW_S", -1.0)  # long after the save
    _add_contact(at, "韩梅梅")
    with role_accounts.read() as session:
        assert sorted(session.scalars(select(Contact.name)).all()) == ["李雷", "韩梅梅", "韩梅梅"]


def test_a_double_clicked_new_customer_is_created_once(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff I double-click 'Create' on a new customer whose likely duplicate I confirmed: one customer (the
    second click is warned of the customer the first one created)."""
    make_customer(role_accounts, owner=_actor(role_accounts, "staff"), name="Acme Robotics Ltd")
    at = signed_in("staff")
    at.switch_page("pages/customers.py").run()
    _fine(at)
    at.text_input(key="customers_new_name").input("ACME Robotics Co., Ltd.")
    at.button(key="customers_new_submit").click().run()  # warned of Acme Robotics Ltd, nothing created
    _fine(at)
    at.checkbox(key="customers_new_confirm").check()
    click = press(at.button(key="customers_new_submit"))
    click()
    assert at.title[0].value == inert("ACME Robotics Co., Ltd.")  # its 360 view opened
    # The browser that had not redrawn still has the list's URL, without ?customer=: AppTest keeps the URL here.
    del at.query_params["customer"]
    click()
    _fine(at)
    with role_accounts.read() as session:
        names = sorted(session.scalars(select(Customer.name)).all())
    assert names == ["ACME Robotics Co., Ltd.", "Acme Robotics Ltd"]


def test_archiving_a_contact_twice_archives_it_once(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff I double-click 'Archive' on a contact: it is archived once, the second click changes nothing."""
    customer = make_customer(role_accounts, owner=_actor(role_accounts, "staff"), name="Delta Clinics")
    contact = make_contact(role_accounts, customer, name="Li Lei", is_primary=True)
    at = _contact_form(signed_in, customer)
    at.selectbox(key="customers_contact_pick").set_value(contact).run()
    _fine(at)
    click = press(at.button(key="customers_contact_archive"))
    click()
    click()
    with role_accounts.read() as session:
        row = session.get(Contact, contact)
        assert row is not None and row.archived_at is not None and row.version == 2


# --- the services themselves -------------------------------------------------------------------------


def test_the_same_token_files_one_complaint_and_records_one_response(role_accounts: Sessions) -> None:
    """Called twice with one form token, file_complaint and record_response write once and refuse the second."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="Acme Trading")
    complaint = ComplaintInput(customer_id=customer, channel="phone", description="Late", severity="high")
    file_complaint(role_accounts, actor=staff, data=complaint, token="complaint-token")
    with pytest.raises(DuplicateSubmission):
        file_complaint(role_accounts, actor=staff, data=complaint, token="complaint-token")
    response = ResponseInput(
        customer_id=customer,
        responded_on=dt.date(2026, 3, 2),
        channel="phone",
        template_id=_template(role_accounts),
        scores={},
        overall=4,
        nps=None,
    )
    record_response(role_accounts, actor=staff, data=response, token="response-token")
    with pytest.raises(DuplicateSubmission):
        record_response(role_accounts, actor=staff, data=response, token="response-token")
    assert (_count(role_accounts, Complaint), _count(role_accounts, SurveyResponse)) == (1, 1)
