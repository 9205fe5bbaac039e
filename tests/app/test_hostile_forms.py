"""The hostile-input catalogue's name cases typed into the new-customer form (tests/reliability/hostile_cases.py):
each is refused with its message under the field, in the user's language, and nothing is created, or it is
created with exactly the text typed and shown as typed."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from crm.platform.i18n import t
from db.engine import Sessions
from db.models import Customer
from tests.reliability.hostile_cases import NAME_CASES, Refused

PAGE = "pages/customers.py"


def _names(sessions: Sessions) -> list[str]:
    with sessions.read() as session:
        return list(session.scalars(select(Customer.name).order_by(Customer.id)))


def test_every_name_case_through_the_new_customer_form_in_both_languages(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    at = signed_in("manager")
    created: list[str] = []
    # Over-long names never reach the service from the form: the text box takes at most 200 characters, as a
    # browser enforces (checked below); the service's refusal of them is in tests/reliability.
    typed = [case for case in NAME_CASES if not (isinstance(case.expect, Refused) and case.expect.key.endswith("long"))]
    for number, case in enumerate(typed):
        language = "zh" if number % 2 else "en"  # every other case in Chinese
        at.query_params.clear()
        at.switch_page(PAGE).run()
        if at.selectbox(key="sidebar_language").value != language:
            at.selectbox(key="sidebar_language").set_value(language).run()
        at.text_input(key="customers_new_name").input(case.value)
        at.button(key="customers_new_submit").click().run()
        assert not at.exception, (case.id, at.exception)
        if isinstance(case.expect, Refused):
            shown = [m.value for m in at.markdown] + [e.value for e in at.error] + [c.value for c in at.caption]
            message = t(case.expect.key, language, max=200)
            assert any(message in str(text) for text in shown), (case.id, message, shown)
            assert _names(role_accounts) == created, case.id
        else:
            if "customers_new_confirm" in {box.key for box in at.checkbox}:
                at.checkbox(key="customers_new_confirm").check()  # a name like one made before: a likely duplicate
                at.button(key="customers_new_submit").click().run()
            created.append(case.expect.value)
            assert _names(role_accounts) == created, case.id
    at.query_params.clear()
    at.switch_page(PAGE).run()
    assert at.text_input(key="customers_new_name").max_chars == 200
