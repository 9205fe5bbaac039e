"""The classification page: every role opens it; managers preview and apply thresholds, override, set in bulk."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from crm.classification.service import load_thresholds, recompute
from crm.follow_ups.core import today_for
from crm.platform.permissions import SYSTEM
from crm.platform.users import get_user
from db.engine import Sessions
from db.models import ClassOverride, Customer
from tests.crm.classification.classification_data import add_buyer, add_customer, cached

PAGE = "pages/classification.py"
TABS = {
    "distribution": "Distribution",
    "rfm": "RFM grid",
    "cadence": "Out of cadence",
    "stages": "Stages",
    "policies": "Service policies",
    "thresholds": "Thresholds",
    "overrides": "Overrides",
    "credit": "Credit ledger",
}


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error] + [s.value for s in at.success]
    parts += [i.value for i in at.info] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    return "\n".join(str(p) for p in parts)


@pytest.fixture
def classified(role_accounts: Sessions) -> Sessions:
    """A few customers with orders, one of them owned by the staff account, classified as of today."""
    staff = get_user(role_accounts, username="staff")
    assert staff is not None
    today = today_for(role_accounts)  # the company's day, as the page computes it (not the server's UTC date)
    add_buyer(role_accounts, "BIG", recency=5, count=20, total="600000", as_of=today)  # 5 + 5 + 5
    add_buyer(role_accounts, "MID", recency=40, count=6, total="30000", owner_id=staff.id, as_of=today)  # 4 + 3 + 3
    add_buyer(role_accounts, "SML", recency=300, count=1, total="900", as_of=today)  # 2 + 1 + 1
    add_customer(role_accounts, "NEW", stage="potential", owner_id=staff.id)
    recompute(role_accounts, actor=SYSTEM)
    return role_accounts


def _section(at: AppTest, key: str) -> AppTest:
    at.session_state["classification_tab"] = TABS[key]  # the lazy tabs' open tab, as a click sets it
    at.run()
    assert not at.exception, (key, at.exception)
    return at


def _open(signed_in: Callable[[str], AppTest], role: str) -> AppTest:
    at = signed_in(role)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("role", ["admin", "manager", "staff", "viewer"])
def test_every_role_opens_the_classification_page(
    classified: Sessions, signed_in: Callable[[str], AppTest], role: str
) -> None:
    """As any signed-in user I see the customers by class, the RFM grid and the cadence exceptions."""
    at = _open(signed_in, role)
    sections = [tab.label for tab in at.tabs]
    assert sections[:5] == ["Distribution", "RFM grid", "Out of cadence", "Stages", "Service policies"]
    assert ("Thresholds" in sections) == (role in ("admin", "manager"))
    assert bool([s for s in at.selectbox if s.key == "classification_bulk_need"]) == (role != "viewer")
    assert "Classes computed as of" in _texts(at)
    extra = ["thresholds", "overrides", "credit"] if role in ("admin", "manager") else []
    for section in ["rfm", "cadence", "stages", "policies", *extra, "distribution"]:
        _section(at, section)


def test_an_empty_database_shows_a_hint_instead_of_charts(
    role_accounts: Sessions, signed_in: Callable[[str], AppTest]
) -> None:
    """As a manager on a fresh install I am told there is nothing to classify yet."""
    at = _open(signed_in, "manager")
    assert "No customers yet." in _texts(at)
    assert "have not been computed yet" in _texts(at)


def test_choosing_a_class_lists_its_customers(classified: Sessions, signed_in: Callable[[str], AppTest]) -> None:
    """As a manager I pick a dimension and a class and see those customers."""
    at = _open(signed_in, "manager")
    at.selectbox(key="classification_drill_dimension").select("size_class").run()
    at.selectbox(key="classification_drill_value").select("key").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Code"]) == ["BIG"]


def test_a_manager_previews_thresholds_then_applies_them(
    classified: Sessions, signed_in: Callable[[str], AppTest]
) -> None:
    """As a manager I lower the high-value score, see who would move, and apply it in one step."""
    at = _section(_open(signed_in, "manager"), "thresholds")
    at.number_input(key="classification_thr_tier_high").set_value(9)
    at.number_input(key="classification_thr_tier_medium").set_value(5)
    preview_form = next(b for b in at.button if b.label == "Preview")
    preview_form.click().run()
    assert not at.exception
    assert "would change class" in _texts(at)
    assert {code: cached(classified, _id(classified, code))["value_tier"] for code in ("MID", "SML")} == {
        "MID": "medium",
        "SML": "low",
    }
    at.button(key="classification_apply").click().run()
    assert not at.exception
    assert "Thresholds saved and applied" in _texts(at)
    with classified.read() as session:
        assert load_thresholds(session).tier_high == 9
    assert {code: cached(classified, _id(classified, code))["value_tier"] for code in ("MID", "SML")} == {
        "MID": "high",
        "SML": "low",
    }


@pytest.fixture
def unclassified(role_accounts: Sessions) -> Sessions:
    """The same customers as `classified`, never classified: no run has been recorded."""
    today = today_for(role_accounts)
    add_buyer(role_accounts, "BIG", recency=5, count=20, total="600000", as_of=today)
    add_buyer(role_accounts, "MID", recency=40, count=6, total="30000", as_of=today)
    add_buyer(role_accounts, "SML", recency=300, count=1, total="900", as_of=today)
    add_customer(role_accounts, "NEW", stage="potential")
    return role_accounts


def _preview(at: AppTest) -> AppTest:
    at.number_input(key="classification_thr_tier_high").set_value(9)
    at.number_input(key="classification_thr_tier_medium").set_value(5)
    next(b for b in at.button if b.label == "Preview").click().run()
    assert not at.exception, at.exception
    return at


def test_applying_thresholds_shows_the_new_classes_at_once(
    unclassified: Sessions, signed_in: Callable[[str], AppTest]
) -> None:
    """As a manager who applies thresholds I see at once that the classes are computed, and the preview is gone."""
    at = _section(_open(signed_in, "manager"), "thresholds")
    assert "have not been computed yet" in _texts(at)
    counts = next(c.value for c in _preview(at).caption if "in at least one dimension" in c.value)
    assert counts.startswith("4 customers change class in at least one dimension; that makes 15 class changes")
    at.button(key="classification_apply").click().run()
    assert not at.exception, at.exception
    assert "have not been computed yet" not in _texts(at)
    assert "Classes computed as of" in _texts(at)
    assert not [b for b in at.button if b.key == "classification_apply"]
    assert "would change class" not in _texts(at)
    done = [s.value for s in at.success]
    assert len(done) == 1 and ": 4 customers changed class, 15 class changes across the four dimensions" in done[0]


def test_recomputing_shows_the_new_run_at_once(unclassified: Sessions, signed_in: Callable[[str], AppTest]) -> None:
    """As a manager who recomputes the classes I see the run at the top of the page straight away."""
    at = _section(_open(signed_in, "manager"), "thresholds")
    at.button(key="classification_recompute").click().run()
    assert not at.exception, at.exception
    assert "have not been computed yet" not in _texts(at)
    assert "Classes computed as of" in _texts(at)
    assert "4 customers classified" in _texts(at) and "4 changed class" in _texts(at)


def test_the_threshold_preview_labels_rows_from_and_columns_to(
    classified: Sessions, signed_in: Callable[[str], AppTest]
) -> None:
    """As a manager reading the preview's tables I can tell the class now (rows) from the new class (columns)."""
    at = _preview(_section(_open(signed_in, "manager"), "thresholds"))
    tiers = next(df.value for df in at.dataframe if "To: High" in df.value.columns)
    assert list(tiers.columns)[0] == "From (now)"
    assert dict(zip(tiers["From (now)"], tiers["To: High"], strict=True)) == {"High": 1, "Medium": 1, "Low": 0}
    assert "rows are the class customers have now (from)" in _texts(at)
    at.selectbox(key="sidebar_language").select("zh").run()
    assert not at.exception, at.exception
    assert any("原类别（现在）" in df.value.columns and "新类别：高" in df.value.columns for df in at.dataframe)


def test_after_loading_the_demo_data_the_classes_show_as_computed(
    app_sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As someone trying the demo, the classification page says when the demo's classes were computed."""
    from crm.demo.service import load_demo
    from tests.app.conftest import APP, sign_in

    monkeypatch.setenv("CRM_BCRYPT_ROUNDS", "4")
    load_demo(app_sessions, customers=60, seed=7)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    sign_in(at, "admin", "admin-demo-1")
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert "have not been computed yet" not in _texts(at)
    assert "Classes computed as of" in _texts(at)


def test_bad_thresholds_are_explained_next_to_the_field(
    classified: Sessions, signed_in: Callable[[str], AppTest]
) -> None:
    """As a manager who enters a medium score above the high one I am told what is wrong."""
    at = _section(_open(signed_in, "manager"), "thresholds")
    at.number_input(key="classification_thr_tier_high").set_value(9)
    at.number_input(key="classification_thr_tier_medium").set_value(10)
    next(b for b in at.button if b.label == "Preview").click().run()
    assert not at.exception
    assert "More than 3 and less than the high-value score." in [e.value for e in at.error]


def test_a_manager_overrides_a_class_with_a_reason(classified: Sessions, signed_in: Callable[[str], AppTest]) -> None:
    """As a manager I set a customer's value tier by hand, with a reason, and it shows at once."""
    at = _section(_open(signed_in, "manager"), "overrides")
    at.text_input(key="classification_ovr_search").input("SML").run()
    at.selectbox(key="classification_ovr_pair").select("value_tier:high")
    at.text_input(key="classification_ovr_reason").input("Parent company is a key account")
    next(b for b in at.button if b.label == "Save the override").click().run()
    assert not at.exception
    customer = _id(classified, "SML")
    assert cached(classified, customer)["value_tier"] == "high"
    with classified.read() as session:
        assert session.scalar(select(ClassOverride.reason)) == "Parent company is a key account"
    reasons = [list(df.value["Reason"]) for df in at.dataframe if "Reason" in df.value.columns]
    assert reasons == [["Parent company is a key account"]]


def test_staff_set_the_need_type_of_their_own_customers(
    classified: Sessions, signed_in: Callable[[str], AppTest]
) -> None:
    """As a staff member I find my customers and set their need type in one step."""
    at = _open(signed_in, "staff")
    assert not [s for s in at.selectbox if s.key == "classification_bulk_importance"]  # management's judgement
    at.text_input(key="classification_bulk_search").input("MID").run()
    at.multiselect(key="classification_bulk_more").select(_id(classified, "MID"))
    at.selectbox(key="classification_bulk_need").select("special")
    next(b for b in at.button if b.label == "Apply to the selected customers").click().run()
    assert not at.exception
    assert "1 of 1 customers changed" in _texts(at)
    with classified.read() as session:
        assert session.scalar(select(Customer.need_type).where(Customer.code == "MID")) == "special"


def test_bulk_setting_without_customers_says_so(classified: Sessions, signed_in: Callable[[str], AppTest]) -> None:
    """As a staff member who forgot to pick customers I am told to select some."""
    at = _open(signed_in, "staff")
    at.selectbox(key="classification_bulk_need").select("special")
    next(b for b in at.button if b.label == "Apply to the selected customers").click().run()
    assert not at.exception
    assert "Select at least one customer." in [e.value for e in at.error]


def test_the_page_speaks_chinese(classified: Sessions, signed_in: Callable[[str], AppTest]) -> None:
    """As a Chinese-speaking manager I read the classification page in Chinese."""
    at = signed_in("manager")
    at.selectbox(key="sidebar_language").select("zh").run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.title[0].value == "客户分类"
    assert "分布" in [tab.label for tab in at.tabs]


def _id(sessions: Sessions, code: str) -> int:
    with sessions.read() as session:
        value = session.scalar(select(Customer.id).where(Customer.code == code))
    assert value is not None
    return int(value)


def test_the_page_costs_the_same_queries_with_many_more_customers(
    classified: Sessions, signed_in: Callable[[str], AppTest]
) -> None:
    """As a manager with a growing customer base, the page reads in SQL aggregates, not per customer."""
    import streamlit as st

    from tests.app.test_query_counts import counting_statements

    at = _open(signed_in, "manager")
    st.cache_data.clear()
    with counting_statements() as few:
        at.run()
    for i in range(30):
        add_buyer(
            classified,
            f"X{i:02d}",
            recency=10 + i,
            count=1 + i % 7,
            total=str(1000 * (i + 1)),
            as_of=today_for(classified),
        )
    recompute(classified, actor=SYSTEM)
    st.cache_data.clear()
    with counting_statements() as many:
        at.run()
    assert not at.exception
    assert len(many) == len(few), (few, many)
    assert len(few) <= 40, few


def test_a_manager_records_a_dispute_in_the_credit_ledger(
    classified: Sessions, signed_in: Callable[[str], AppTest]
) -> None:
    """As a manager I record a dispute for a customer and its credit-risk grade goes up at once."""
    at = _section(_open(signed_in, "manager"), "credit")
    at.text_input(key="classification_credit_search").input("SML").run()
    at.selectbox(key="classification_credit_kind").select("dispute")
    at.text_input(key="classification_credit_note").input("Disputed invoice INV-7")
    next(b for b in at.button if b.label == "Record the event").click().run()
    assert not at.exception
    assert cached(classified, _id(classified, "SML"))["credit_risk"] == "medium"  # a dispute weighs 2 points
    assert any("Disputed invoice INV-7" in list(df.value.get("Note", [])) for df in at.dataframe)


def test_a_viewer_reads_the_policies_but_cannot_edit_them(
    classified: Sessions, signed_in: Callable[[str], AppTest]
) -> None:
    """As a viewer I see each class's service policy, read only."""
    at = _section(_open(signed_in, "viewer"), "policies")
    assert not [b for b in at.button if b.key == "classification_policies_save"]
    assert "a dedicated owner" in at.dataframe[0].value["description_en"].iloc[0]


def _explanation_panel() -> None:
    from crm.platform.permissions import SYSTEM
    from ui.classification.explain import render_explanations

    render_explanations(SYSTEM, 1)


def test_the_360_view_panel_explains_every_dimension(classified: Sessions) -> None:
    """As a user on a customer's 360 view I read why the customer is in each class."""
    at = AppTest.from_function(_explanation_panel, default_timeout=30).run()
    assert not at.exception, at.exception
    text = "\n".join(m.value for m in at.markdown)
    assert "**Value: High** — High value: last order 5 days ago (R 5), 20 orders (F 5)" in text
    assert "**Credit risk: Low risk**" in text and "**Urgency: Not set**" in text
