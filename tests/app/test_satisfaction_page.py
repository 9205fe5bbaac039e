"""The satisfaction page: every tab for every role, recording a response (its values, field errors, the alert and
its task), the overview's figures ("No data" on an empty database), templates, campaigns, alerts, and Chinese."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from crm.platform.i18n import t
from crm.platform.permissions import Actor
from crm.platform.users import get_user
from crm.satisfaction import ResponseInput, TemplateInput, create_template, record_response
from db.engine import Sessions
from tests.crm.follow_ups.follow_up_factories import make_customer

PAGE = "pages/satisfaction.py"
TAB = "satisfaction_tab"
TABS = ("overview", "responses", "record", "alerts", "campaigns", "templates", "import")
DIMENSIONS = ("product_quality", "service_attitude", "response_speed", "problem_resolution", "value_for_money")


def _actor(sessions: Sessions, username: str) -> Actor:
    user = get_user(sessions, username=username)
    assert user is not None
    return user.as_actor()


def _template(sessions: Sessions, name: str = "Quarterly survey") -> int:
    return create_template(
        sessions, actor=_actor(sessions, "manager"), data=TemplateInput(name=name, dimensions=DIMENSIONS)
    )


def _record(sessions: Sessions, actor: Actor, customer: int, template: int, **fields: object) -> int:
    data = ResponseInput(
        customer_id=customer,
        responded_on=fields.pop("responded_on", dt.date.today()),  # type: ignore[arg-type]
        channel=str(fields.pop("channel", "phone")),
        template_id=template,
        scores=fields.pop("scores", {}),  # type: ignore[arg-type]
        overall=fields.pop("overall", None),  # type: ignore[arg-type]
        nps=fields.pop("nps", None),  # type: ignore[arg-type]
        **fields,  # type: ignore[arg-type]
    )
    return record_response(sessions, actor=actor, data=data)


def _open(signed_in: Callable[[str], AppTest], role: str, tab: str = "overview", language: str = "en") -> AppTest:
    at = signed_in(role)
    if language != "en":
        at.selectbox(key="sidebar_language").set_value(language).run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    if tab != "overview":
        _tab(at, tab, language)
    return at


def _tab(at: AppTest, tab: str, language: str = "en") -> None:
    at.session_state[TAB] = t(f"satisfaction.tab.{tab}", language)
    at.run()
    _fine(at, language)


def _fine(at: AppTest, language: str = "en") -> None:
    """No traceback and no section that failed into the error boundary."""
    assert not at.exception, at.exception
    assert t("app.unexpected_error", language) not in [e.value for e in at.error]


def _texts(at: AppTest) -> str:
    return " ".join(
        [
            *(m.value for m in at.markdown),
            *(c.value for c in at.caption),
            *(s.value for s in at.subheader),
            *(e.value for e in at.error),
            *(s.value for s in at.success),
            *(i.value for i in at.info),
            *(w.value for w in at.warning),
            *(str(m.value) for m in at.metric),
            *(m.label for m in at.metric),
        ]
    )


@pytest.mark.parametrize(
    ("role", "tabs"),
    [
        ("admin", TABS),
        ("manager", TABS),
        ("staff", TABS[:4]),
        ("viewer", ("overview", "responses", "alerts")),
    ],
)
def test_every_role_opens_each_of_its_tabs(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions, role: str, tabs: tuple[str, ...]
) -> None:
    """As any role, I open the satisfaction page and every tab my role has, without an error."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="星河科技")
    template = _template(role_accounts)
    _record(role_accounts, staff, customer, template, overall=2, nps=3, comment="Slow delivery")
    _record(role_accounts, staff, customer, template, overall=5, nps=10)
    at = _open(signed_in, role)
    assert [tab.label for tab in at.tabs] == [t(f"satisfaction.tab.{code}") for code in tabs]
    for code in tabs:
        _tab(at, code)
    if role == "viewer":
        assert not at.get("form"), "a viewer sees no form"
