"""Pages a role may not see cannot be reached: not from the menu, by st.switch_page, by the URL path typed in a new
tab, by a stale page request, nor by running the page's script; a section (tab) a role may not see does not run when
its tab is asked for; a deep link to a customer the role may not read shows nothing of it. Viewers get no contact
details in a chart (tooltips, data) nor from a search by phone. Generated from crm.platform.permissions: every role
against every page of ui.navigation.PAGES and every section of every page."""

from __future__ import annotations

import ast
import io
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import select
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
from streamlit.testing.v1 import AppTest, local_script_runner
from streamlit.util import calc_hash

from crm.customers.records import ContactInput, add_contact
from crm.customers.service import CustomerInput, create_customer
from crm.demo.service import DEMO_ACCOUNTS, load_demo
from crm.platform.i18n import t
from crm.platform.permissions import PERMISSIONS, ROLES, Actor
from crm.platform.settings import update_settings
from crm.platform.users import get_user
from db.engine import Sessions
from db.models import Contact
from tests.app.conftest import APP, TIMEOUT, sign_in
from ui.auth import SIGNED_IN_AT_KEY
from ui.navigation import HOME_BY_ROLE, PAGES, PROJECT_ROOT, PageSpec

REFUSAL = t("app.page_not_allowed", "en")
LIVE_PAGES = [spec for spec in PAGES if (PROJECT_ROOT / spec.path).exists()]


def allowed(role: str, permission: str | None) -> bool:
    return permission is None or role in PERMISSIONS[permission]


def home_of(role: str) -> PageSpec:
    """The page a role lands on (ui.navigation: its HOME_BY_ROLE page, else the first it may open)."""
    mine = [spec for spec in LIVE_PAGES if allowed(role, spec.permission)]
    return next((spec for spec in mine if spec.path == HOME_BY_ROLE.get(role)), mine[0])


def actor_of(sessions: Sessions, username: str) -> Actor:
    user = get_user(sessions, username=username)
    assert user is not None
    return user.as_actor()


def shown(at: AppTest) -> list[str]:
    """What the main area shows, as text: titles, headings, texts, tables, figures, charts, widgets' labels."""
    out: list[str] = []
    for node in _walk(at.main):
        kind = getattr(node, "type", type(node).__name__)
        if kind in ("dataframe", "table"):
            out.append(f"{kind}:{node.value.to_csv()}")
        elif kind == "vega_lite_chart":
            out.append(f"chart:{node.proto.spec}")
        elif hasattr(node, "label") and kind not in ("tab",):
            out.append(f"{kind}:{node.label}:{getattr(node, 'value', '')}")
        elif hasattr(node, "value"):
            out.append(f"{kind}:{node.value}")
    return out


def _walk(node: Any) -> Iterator[Any]:
    children = getattr(node, "children", None)
    for child in (children.values() if isinstance(children, dict) else children) or []:
        yield child
        yield from _walk(child)


def signed_in_session(at: AppTest) -> dict[str, Any]:
    """What the re-login cookie restores in a new tab: who signed in, and when."""
    return {
        key: at.session_state[key]
        for key in ("authentication_status", "username", "name", SIGNED_IN_AT_KEY)
        if key in at.session_state
    }


def open_by_url(monkeypatch: pytest.MonkeyPatch, session: dict[str, Any], url_path: str) -> AppTest:
    """Open the app in a new tab at /url_path, signed in by the cookie (the browser sends the path's page name)."""
    monkeypatch.setattr(local_script_runner, "RerunData", lambda **kwargs: RerunData(**kwargs, page_name=url_path))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in session.items():
        at.session_state[key] = value
    at.run()
    monkeypatch.setattr(local_script_runner, "RerunData", RerunData)
    assert not at.exception, at.exception
    return at


def _title_key(spec: PageSpec) -> str:
    """The catalog key of the page's st.title (the customers page draws its title in ui/customers/screen.py)."""
    source = PROJECT_ROOT / ("ui/customers/screen.py" if spec.path == "pages/customers.py" else spec.path)
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "title" and node.args:
            inner = node.args[0]
            if isinstance(inner, ast.Call) and getattr(inner.func, "id", None) == "t":
                return str(inner.args[0].value)  # type: ignore[attr-defined]
    raise AssertionError(f"no st.title(t(...)) in {source}")


@pytest.fixture
def titles() -> dict[str, str]:
    """Each page's title in English, as its script draws it."""
    found = {spec.path: t(_title_key(spec), "en") for spec in LIVE_PAGES}
    assert len(set(found.values())) == len(found)
    return found


ROLES_REFUSED_A_PAGE = [role for role in ROLES if any(not allowed(role, spec.permission) for spec in LIVE_PAGES)]


# --- pages ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_menu_offers_exactly_the_pages_the_role_may_open(signed_in: Callable[[str], AppTest], role: str) -> None:
    """As each role I see in the menu the pages my role may open, and no other."""
    at = signed_in(role)
    links = {link.proto.label for link in at.sidebar.get("page_link")}
    assert links == {t(spec.title_key, "en") for spec in LIVE_PAGES if allowed(role, spec.permission)}


@pytest.mark.parametrize("role", ROLES)
def test_st_switch_page_reaches_exactly_the_pages_the_role_may_open(
    signed_in: Callable[[str], AppTest], titles: dict[str, str], role: str
) -> None:
    """As each role, switching pages takes me to those I may open; the others are not pages of my app at all."""
    at = signed_in(role)
    refused = 0
    for spec in LIVE_PAGES:
        if allowed(role, spec.permission):
            at.switch_page(spec.path).run()
            assert not at.exception, (spec.path, at.exception)
            assert at.title[0].value == titles[spec.path]
            assert REFUSAL not in [e.value for e in at.error], spec.path
        else:
            refused += 1
            # st.navigation never registered the page for this role: st.switch_page() to it raises, as here.
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(spec.path)
    assert refused == sum(1 for spec in LIVE_PAGES if not allowed(role, spec.permission))


@pytest.mark.parametrize("role", ROLES)
def test_a_page_typed_into_the_address_bar_opens_only_if_the_role_may_see_it(
    signed_in: Callable[[str], AppTest], titles: dict[str, str], monkeypatch: pytest.MonkeyPatch, role: str
) -> None:
    """As each role, opening /admin or /dashboard in a new tab shows it only if my role may; else my start page."""
    session = signed_in_session(signed_in(role))
    for spec in LIVE_PAGES:
        at = open_by_url(monkeypatch, session, spec.url_path)
        landed = spec if allowed(role, spec.permission) else home_of(role)
        assert at.title[0].value == titles[landed.path], (role, spec.url_path)
        assert REFUSAL not in [e.value for e in at.error]


@pytest.mark.parametrize("role", ROLES_REFUSED_A_PAGE)
def test_a_stale_request_for_a_page_of_another_role_runs_the_start_page(
    signed_in: Callable[[str], AppTest], titles: dict[str, str], role: str
) -> None:
    """A browser tab left open asks for a page by the id it was given when the user had another role."""
    at = signed_in(role)
    for spec in LIVE_PAGES:
        if allowed(role, spec.permission):
            continue
        at._page_hash = calc_hash(spec.url_path)  # what st.Page identifies the page by (AppTest has no public way)
        at.run()
        assert not at.exception, at.exception
        assert at.title[0].value == titles[home_of(role).path], spec.path


def test_every_page_checks_at_its_top_the_permission_the_menu_shows_it_for() -> None:
    """The menu and the page's own guard (page_actor) name the same permission, so neither is looser."""
    for spec in LIVE_PAGES:
        tree = ast.parse((PROJECT_ROOT / spec.path).read_text(encoding="utf-8"))
        guards = [
            node.args[0].value  # type: ignore[attr-defined]
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "page_actor"
        ]
        assert guards == [spec.permission], spec.path


@pytest.mark.parametrize(
    ("role", "path"),
    [(role, spec.path) for role in ROLES for spec in LIVE_PAGES if not allowed(role, spec.permission)],
)
def test_a_page_script_run_by_itself_refuses_a_role_it_is_not_for(
    role_accounts: Sessions, role: str, path: str
) -> None:
    """Even if Streamlit ran a page's script without the app (a fresh server's first deep link), it checks the role."""
    at = AppTest.from_file(str(PROJECT_ROOT / path), default_timeout=TIMEOUT)
    at.session_state["crm_actor"] = actor_of(role_accounts, role)
    at.run()
    assert not at.exception, at.exception
    assert shown(at) == [f"error:{REFUSAL}"]


# --- sections --------------------------------------------------------------------------------------------------


def _sections() -> Iterator[tuple[PageSpec, str, list[tuple[str, str | None]]]]:
    """Each page's tab key and its sections as (label key, permission), read from the page's (or its screen's) code."""
    sources = {spec.path: PROJECT_ROOT / spec.path for spec in LIVE_PAGES}
    sources["pages/dashboard.py"] = PROJECT_ROOT / "ui" / "kpis" / "dashboard.py"
    for spec in LIVE_PAGES:
        tree = ast.parse(sources[spec.path].read_text(encoding="utf-8"))
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        keys_module = next(
            (
                f"{node.module}.keys"
                for node in tree.body
                if isinstance(node, ast.ImportFrom)
                and node.module
                and any(alias.name == "keys" for alias in node.names)
            ),
            None,
        )
        sections = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Section":
                permission = node.args[3] if len(node.args) > 3 else None
                if isinstance(permission, ast.Name):
                    permission = ast.Constant(constants[permission.id])
                label = node.args[1]
                assert isinstance(label, ast.Constant)
                sections.append((str(label.value), permission.value if isinstance(permission, ast.Constant) else None))
        if sections:
            assert keys_module is not None, spec.path
            module = __import__(keys_module, fromlist=["TAB"])
            yield spec, module.TAB, sections


SECTIONED = list(_sections())


def test_the_section_scan_finds_every_page_with_tabs() -> None:
    assert {spec.path for spec, _key, _sections in SECTIONED} >= {
        "pages/admin.py",
        "pages/classification.py",
        "pages/complaints.py",
        "pages/dashboard.py",
        "pages/follow_ups.py",
        "pages/satisfaction.py",
    }


@pytest.mark.parametrize("role", ROLES)
def test_a_tab_the_role_may_not_see_does_not_run_when_asked_for(signed_in: Callable[[str], AppTest], role: str) -> None:
    """As each role, the tabs I am offered are those my role may see; asking for another shows nothing more."""
    at = signed_in(role)
    for spec, tab_key, sections in SECTIONED:
        if not allowed(role, spec.permission):
            continue
        at.switch_page(spec.path).run()
        visible = [t(label, "en") for label, permission in sections if allowed(role, permission)]
        assert [tab.label for tab in at.tabs if tab.label in {t(label, "en") for label, _p in sections}] == visible
        before = shown(at)
        for label, permission in sections:
            if allowed(role, permission):
                continue
            at.session_state[tab_key] = t(label, "en")  # what a forged tab click would send
            at.run()
            assert not at.exception, (spec.path, label, at.exception)
            assert shown(at) == before, (spec.path, label)


# --- a customer by deep link -----------------------------------------------------------------------------------------


def test_a_deep_link_to_someone_elses_customer_shows_staff_nothing_of_it_unless_the_setting_lets_them_read(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff, /customers?customer=ID of a manager's customer opens only when staff may read every customer."""
    manager, admin = actor_of(role_accounts, "manager"), actor_of(role_accounts, "admin")
    secret = create_customer(
        role_accounts,
        actor=manager,
        data=CustomerInput(name="Hidden Holdings", notes="Negotiating a 30% discount", owner_id=manager.id),
        contact=ContactInput(name="Wang Fang", phone="13700001111", email="wang@hidden.example"),
    )
    for may_read in (False, True):
        update_settings(role_accounts, actor=admin, changes={"staff_can_read_all": may_read})
        at = signed_in("staff")
        at.query_params["customer"] = str(secret.id)
        at.switch_page("pages/customers.py").run()
        assert not at.exception, at.exception
        text = "\n".join(shown(at))
        assert ("Hidden Holdings" in text) is may_read
        assert ("Negotiating a 30% discount" in text) is may_read
        assert ("13700001111" in text) is may_read


# --- viewers and contact details -------------------------------------------------------------------------------------


def test_a_viewer_searching_the_customer_list_by_a_full_phone_number_learns_nothing(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As a viewer I cannot find out whose phone number a number is; a manager finds the customer."""
    manager = actor_of(role_accounts, "manager")
    made = create_customer(role_accounts, actor=manager, data=CustomerInput(name="Phone Owner Ltd"))
    add_contact(role_accounts, actor=manager, customer_id=made.id, data=ContactInput(name="Qian", phone="13912340000"))
    for role, found in (("viewer", False), ("manager", True)):
        at = signed_in(role)
        at.switch_page("pages/customers.py").run()
        at.text_input(key="customers_search").input("13912340000").run()
        assert not at.exception, at.exception
        assert ("Phone Owner Ltd" in "\n".join(shown(at))) is found, role


PHONE_OR_EMAIL = re.compile(r"\d{3}[\d*]{4}\d{4}|[\w.*+-]+@[\w-]+\.[\w.]+")
CONTACT_FIELDS = re.compile(r"phone|email|e-mail|wechat|birthday|address|contact|电话|邮箱|微信|生日|地址|联系人", re.I)


def _tooltip_fields(spec: Any) -> Iterator[str]:
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "tooltip":
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, dict) and "field" in item:
                        yield str(item.get("title") or item["field"])
                        yield str(item["field"])
            else:
                yield from _tooltip_fields(value)
    elif isinstance(spec, list):
        for item in spec:
            yield from _tooltip_fields(item)


def _chart_values(chart: Any) -> Iterator[str]:
    for dataset in [*chart.proto.datasets, chart.proto]:
        data = dataset.data.data
        if data:
            table = pa.ipc.open_stream(io.BytesIO(data)).read_all()
            for column in table.columns:
                yield from (str(value) for value in column.to_pylist())
            yield from table.column_names


def test_a_viewers_charts_carry_no_contact_details_in_their_tooltips_or_data(
    app_sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a viewer I open every tab of every page on demo data: no chart names a contact field or holds a phone,
    an email or a WeChat id, masked or not."""
    load_demo(app_sessions, customers=40, seed=3)
    with app_sessions.read() as session:
        details = {
            value
            for row in session.execute(select(Contact.phone, Contact.email, Contact.wechat))
            for value in row
            if value
        }
    assert len(details) > 40
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    sign_in(at, "viewer", {a.username: a.password for a in DEMO_ACCOUNTS}["viewer"])
    assert not at.exception, at.exception
    charts = 0
    for spec in LIVE_PAGES:
        if not allowed("viewer", spec.permission):
            continue
        at.switch_page(spec.path).run()
        tabs = next((sections for page, _key, sections in SECTIONED if page == spec), [])
        tab_key = next((key for page, key, _sections in SECTIONED if page == spec), None)
        for label, permission in tabs or [("", None)]:
            if not allowed("viewer", permission):
                continue
            if tab_key:
                at.session_state[tab_key] = t(label, "en")
            at.run()
            assert not at.exception, (spec.path, label, at.exception)
            for chart in (node for node in _walk(at.main) if getattr(node, "type", "") == "vega_lite_chart"):
                charts += 1
                fields = list(_tooltip_fields(json.loads(chart.proto.spec)))
                assert not [f for f in fields if CONTACT_FIELDS.search(f)], (spec.path, label, fields)
                values = set(_chart_values(chart))
                assert not values & details, (spec.path, label)
                assert not [v for v in values if PHONE_OR_EMAIL.fullmatch(v)], (spec.path, label)
    assert charts >= 15  # the dashboard's, the overview's, classification's, complaints' and satisfaction's
