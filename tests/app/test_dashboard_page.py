"""The managers' dashboard: the start page of managers and viewers (staff keep their follow-ups), its filters read
from the URL, a card's drill-down, "No data" on an empty database, Chinese, the targets editor, the report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
import streamlit as st
from sqlalchemy import select, update
from streamlit.testing.v1 import AppTest

from crm.customers.service import CustomerInput, create_customer
from crm.kpis import KpiFilters
from crm.kpis.snapshots import snapshot_month
from crm.kpis.targets import list_targets
from crm.platform import clock
from crm.platform.i18n import t
from crm.platform.permissions import Actor
from crm.platform.rollups import moving
from crm.platform.users import get_user
from db.engine import Sessions
from db.models import Customer
from tests.app.conftest import TIMEOUT
from tests.app.test_query_counts import counting_statements
from tests.crm.classification.classification_data import add_customer, add_orders
from ui.navigation import PROJECT_ROOT
from ui.reads import clear_after

PAGE = "pages/dashboard.py"
TAB = "dashboard_tab"
NOW = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai, mid-June 2026


@pytest.fixture(autouse=True)
def _june_2026() -> Iterator[None]:
    with clock.frozen_at(NOW):
        yield


def _actor(sessions: Sessions, username: str) -> Actor:
    user = get_user(sessions, username=username)
    assert user is not None
    return user.as_actor()


@pytest.fixture
def base(role_accounts: Sessions) -> Sessions:
    """Three customers of the staff account: two high-tier buyers in May 2026 (¥1,000 and ¥500), a low-tier one."""
    staff = _actor(role_accounts, "staff")
    first = add_customer(role_accounts, "H1", owner_id=staff.id, name="上海星河贸易", value_tier="high")
    second = add_customer(role_accounts, "H2", owner_id=staff.id, name="Northwind Foods", value_tier="high")
    add_customer(role_accounts, "L1", owner_id=staff.id, name="Contoso Low", value_tier="low")
    add_orders(role_accounts, first, [(dt.date(2026, 5, 3), "1000")])
    add_orders(role_accounts, second, [(dt.date(2026, 5, 20), "500")])
    _created_in_january(role_accounts)
    return role_accounts


def _created_in_january(sessions: Sessions) -> None:
    """The builders stamp rows with the wall clock; the test's clock stands in June 2026."""
    with sessions.begin() as session:
        ids = list(session.scalars(select(Customer.id)))
        with moving(session.connection(), ids):  # a Core write: the KPI rollups moved as the app's writes move them
            session.execute(update(Customer).values(created_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC)))


def _metric(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert found, (label, [m.label for m in at.metric])
    return str(found[0])


def _open(at: AppTest, **query: str) -> AppTest:
    for name, value in query.items():
        at.query_params[name] = value
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


@pytest.mark.parametrize("role", ["manager", "viewer", "admin"])
def test_managers_and_viewers_start_on_the_dashboard(
    base: Sessions, signed_in: Callable[[str], AppTest], role: str
) -> None:
    """As a manager or a viewer, signing in opens the dashboard with every figure of the last 12 months."""
    at = signed_in(role)
    assert not at.exception, at.exception
    assert at.title[0].value == "Managers' dashboard"
    assert _metric(at, "Customers") == "3"
    assert _metric(at, "New customers") == "2"
    assert _metric(at, "Problem resolution rate") == "No data"  # no complaint: no denominator, never 0%


def test_staff_start_on_their_follow_ups_and_cannot_open_the_dashboard(
    base: Sessions, signed_in: Callable[[str], AppTest]
) -> None:
    """As a staff member I keep my own start page; the dashboard refuses me even by its address."""
    at = signed_in("staff")
    assert at.title[0].value == t("follow_ups.title")
    direct = AppTest.from_file(str(PROJECT_ROOT / PAGE), default_timeout=TIMEOUT)
    direct.session_state["crm_actor"] = _actor(base, "staff")
    direct.run()
    assert not direct.exception, direct.exception
    assert [e.value for e in direct.error] == [t("app.page_not_allowed")]
    assert not direct.metric


def test_the_filters_come_from_the_url_and_go_back_into_it(base: Sessions, signed_in: Callable[[str], AppTest]) -> None:
    """As a manager opening a bookmarked link, the dashboard shows May 2026's high-tier customers; a filter I
    change is written back into the address."""
    at = _open(signed_in("manager"), period="2026-05", tier="high")

    assert at.selectbox(key="dashboard_period_kind").value == "month"
    assert at.selectbox(key="dashboard_period_month").value == "2026-05"
    assert at.selectbox(key="dashboard_tier").value == "high"
    assert _metric(at, "Customers") == "2"
    assert _metric(at, "Revenue") == "CN¥1.5K"

    at.selectbox(key="dashboard_tier").set_value("low").run()
    assert not at.exception, at.exception
    assert at.query_params["tier"] == "low" and at.query_params["period"] == "2026-05"
    assert _metric(at, "Customers") == "1"
    assert _metric(at, "Revenue") == "CN¥0"

    at.selectbox(key="dashboard_period_kind").set_value("quarter").run()
    assert at.query_params["period"] == "2026-Q2"


def test_an_unreadable_link_says_so_and_shows_the_defaults(base: Sessions, signed_in: Callable[[str], AppTest]) -> None:
    at = _open(signed_in("manager"), period="not-a-period")
    assert t("dashboard.filter.unreadable") in [w.value for w in at.warning]
    assert at.selectbox(key="dashboard_period_kind").value == "last_12_months"


def test_a_cards_list_shows_the_customers_behind_it_with_their_360_links(
    base: Sessions, signed_in: Callable[[str], AppTest]
) -> None:
    """As a manager I click a card's List and see the customers it counts, each one a link to its 360 view."""
    at = _open(signed_in("manager"), period="2026-05")
    at.button(key="dashboard_card_new_customers").click().run()
    assert not at.exception, at.exception

    table = at.dataframe[0].value
    assert sorted(table[t("kpis.col.name")]) == ["Northwind Foods", "上海星河贸易"]
    assert all(link.startswith("/customers?customer=") for link in table[t("dashboard.drill.open")])
    assert at.selectbox(key="dashboard_drill_open").options  # the picker of the customer to open

    at.button(key="dashboard_drill_close").click().run()
    assert not at.dataframe


def test_an_empty_database_reads_no_data_instead_of_zero_rates(
    role_accounts: Sessions, signed_in: Callable[[str], AppTest]
) -> None:
    at = signed_in("manager")
    assert _metric(at, "Customers") == "0"
    for rate in ("Churn rate", "Conversion rate", "On-time handling rate", "Cadence compliance"):
        assert _metric(at, rate) == "No data", rate
    assert t("dashboard.empty") in [i.value for i in at.info]


def test_the_dashboard_speaks_chinese(base: Sessions, signed_in: Callable[[str], AppTest]) -> None:
    """As a Chinese-speaking manager I read the dashboard in Chinese, filters and figures included."""
    at = signed_in("manager")
    at.selectbox(key="sidebar_language").set_value("zh").run()
    at = _open(at, period="2026-05")
    assert at.title[0].value == "经营看板"
    assert _metric(at, "客户数") == "3"
    assert _metric(at, "问题解决率") == "无数据"
    assert "2026年5月" in " ".join(c.value for c in at.caption)


def test_a_manager_sets_a_target_and_the_card_is_marked_against_it(
    base: Sessions, signed_in: Callable[[str], AppTest]
) -> None:
    """As a manager I set May's revenue target at ¥2,000; May's revenue, ¥1,500, is then marked off target."""
    at = _open(signed_in("manager"), period="2026-05")
    at.session_state[TAB] = "Targets"
    at.run()
    assert at.selectbox(key="dashboard_targets_period").value == "2026-05"
    at.selectbox(key="dashboard_target_form_kpi").set_value("revenue")
    at.number_input(key="dashboard_target_form_value").set_value(2000.0)
    at.button(key="FormSubmitter:dashboard_target_form-Save the target").click().run()
    assert not at.exception, at.exception

    assert [(r.kpi, r.period, r.target) for r in list_targets(base, actor=_actor(base, "manager"))] == [
        ("revenue", "2026-05", Decimal("2000.0000"))
    ]
    assert any(":red-badge[Off target]" in m.value for m in at.markdown)


def test_a_viewer_sees_the_targets_but_cannot_set_them(base: Sessions, signed_in: Callable[[str], AppTest]) -> None:
    at = _open(signed_in("viewer"), period="2026-05")
    assert "Targets" not in [tab.label for tab in at.tabs]


def test_the_report_tab_offers_the_html_and_pdf_reports_and_each_charts_csv(
    base: Sessions, signed_in: Callable[[str], AppTest]
) -> None:
    at = _open(signed_in("manager"), period="2026-05")
    at.session_state[TAB] = "Report"
    at.run()
    assert not at.exception, at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels[:2] == ["Report (HTML)", "Report (PDF)"]
    assert len(labels) == 2 + 8  # and one CSV per chart


def test_a_staff_members_save_shows_on_the_managers_next_rerun(
    base: Sessions, signed_in: Callable[[str], AppTest]
) -> None:
    """A staff member adds a customer, on this server or another (nothing clears this server's cache): the
    manager's next rerun counts it, as the cached figures key on the database's data version."""
    at = signed_in("manager")
    assert _metric(at, "Customers") == "3"
    create_customer(base, actor=_actor(base, "staff"), data=CustomerInput(name="New Co"))  # audited, as every save
    _created_in_january(base)
    at.run()
    assert _metric(at, "Customers") == "4"
    add_customer(base, "N2", owner_id=_actor(base, "staff").id, name="Newer Co")  # not audited: the version stays
    _created_in_january(base)
    clear_after("customer")  # what the customer screens of this server call after their save: no wait at all
    at.run()
    assert _metric(at, "Customers") == "5"


def test_a_warm_rerun_reads_nothing_and_a_cold_one_does_not_grow_with_the_customers(
    base: Sessions, signed_in: Callable[[str], AppTest]
) -> None:
    """The figures are cached per view and data version: a rerun costs the app's own two statements (has_users,
    the session check) and the data version's two, filtered or not; computing them costs the same number of
    statements for 10 matching customers and for 40 (with none, a few lookups are skipped: owners' names, the
    revenue bucket read customer by customer)."""
    at = _open(signed_in("manager"), period="2026-05", tier="high", region="east")
    with counting_statements() as warm:
        at.run()
    assert len(warm) == 4, warm
    staff = _actor(base, "staff")

    def add(first: int, count: int) -> None:
        for n in range(first, first + count):
            customer = add_customer(base, f"X{n:02d}", owner_id=staff.id, value_tier="high", region="east")
            add_orders(base, customer, [(dt.date(2026, 5, 1 + n % 28), str(100 + n))])
        _created_in_january(base)

    add(0, 10)
    st.cache_data.clear()
    with counting_statements() as few:
        at.run()
    assert _metric(at, "Customers") == "10"
    add(10, 30)
    st.cache_data.clear()
    with counting_statements() as many:
        at.run()
    assert _metric(at, "Customers") == "40"
    assert len(many) == len(few), (len(few), len(many))


def test_the_trend_says_whether_its_months_are_frozen_or_live(
    base: Sessions, signed_in: Callable[[str], AppTest]
) -> None:
    """As a manager reading a trend I am told which months show frozen month-end values and which live ones."""
    at = _open(signed_in("manager"))
    at.session_state[TAB] = "Trends"
    at.run()
    assert not at.exception, at.exception
    captions = " ".join(c.value for c in at.caption)
    assert t("dashboard.trend.says_frozen", frozen=0, live=12) in captions  # nothing frozen yet
    assert t("dashboard.trend.month_to_date", month="2026-06") in captions
    at.toggle(key="dashboard_trend_frozen").set_value(False).run()
    assert t("dashboard.trend.says_live") in " ".join(c.value for c in at.caption)

    snapshot_month(base, actor=_actor(base, "manager"), month=dt.date(2026, 5, 1), filters=[KpiFilters()])
    clear_after("kpi_target")  # what a snapshot run leaves stale: the KPI reads
    at.toggle(key="dashboard_trend_frozen").set_value(True).run()
    assert t("dashboard.trend.says_frozen", frozen=1, live=11) in " ".join(c.value for c in at.caption)
