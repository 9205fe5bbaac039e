"""The customers page: list, search, filters, paging, the 360 view, edits, conflicts, merge, bulk, masking."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import event, select
from streamlit.testing.v1 import AppTest

from crm.customers.records import ContactInput
from crm.customers.service import CustomerInput, create_customer, get_customer, list_customers, update_customer
from crm.platform.permissions import Actor
from crm.platform.users import get_user
from db.engine import Sessions
from db.models import AuditLog
from ui.inert import inert

PAGE = "pages/customers.py"


def actor_of(sessions: Sessions, username: str) -> Actor:
    user = get_user(sessions, username=username)
    assert user is not None
    return user.as_actor()


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error] + [s.value for s in at.success]
    parts += [i.value for i in at.info] + [t.value for t in at.title] + [c.value for c in at.caption]
    parts += [w.value for w in at.warning] + [str(x.value) for x in at.toast]
    return "\n".join(str(p) for p in parts)


def table(at: AppTest, index: int = 0):  # type: ignore[no-untyped-def]
    return at.dataframe[index].value


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def customers(role_accounts: Sessions) -> dict[str, int]:
    """A few customers owned by the manager and the staff account, with contacts."""
    manager, staff = actor_of(role_accounts, "manager"), actor_of(role_accounts, "staff")

    def make(name: str, actor: Actor, contact: ContactInput | None = None, **fields) -> int:  # type: ignore[no-untyped-def]
        return create_customer(
            role_accounts,
            actor=actor,
            data=CustomerInput(name=name, **fields),
            contact=contact,
            confirm_duplicates=True,
        ).id

    return {
        "acme": make(
            "Acme Robotics Ltd",
            manager,
            ContactInput(name="John Smith", phone="13812345678", email="john@acme.example"),
            lifecycle_stage="signed",
            region="east",
            owner_id=manager.id,
        ),
        "xinghe": make(
            "上海星河软件有限公司",
            staff,
            ContactInput(name="王小明", phone="010-87654321"),
            lifecycle_stage="intent",
            region="south",
        ),
        "delta": make("Delta Clinics", staff, region="north"),
    }


@pytest.fixture
def open_page(signed_in: Callable[[str], AppTest]) -> Callable[..., AppTest]:
    def go(role: str, customer_id: int | None = None) -> AppTest:
        at = signed_in(role)
        if customer_id is not None:
            at.query_params["customer"] = str(customer_id)
        at.switch_page(PAGE)
        return run(at)

    return go


# --- list -------------------------------------------------------------------------------------------


def test_the_list_shows_the_customers_with_metrics(customers: dict[str, int], open_page) -> None:  # type: ignore[no-untyped-def]
    """As a manager I see every customer with its stage, owner and contact, and how many there are."""
    at = open_page("manager")
    frame = table(at)
    assert list(frame["Name"]) == ["Acme Robotics Ltd", "Delta Clinics", "上海星河软件有限公司"]
    assert list(frame["Phone"])[0] == "13812345678"
    assert at.metric[0].value == "3"
    assert at.title[0].value == "Customers"


def test_searching_finds_customers_by_contact_phone_and_chinese_name(customers, open_page) -> None:  # type: ignore[no-untyped-def]
    """As staff I type part of a phone number or a Chinese name and see only the matching customers."""
    at = open_page("staff")
    at.text_input(key="customers_search").input("8765 4321")
    run(at)
    assert list(table(at)["Name"]) == ["上海星河软件有限公司"]
    at.text_input(key="customers_search").input("星河")
    run(at)
    assert list(table(at)["Name"]) == ["上海星河软件有限公司"]
    at.text_input(key="customers_search").input("no such customer")
    run(at)
    assert "No customer matches." in texts(at)


def test_sidebar_filters_narrow_the_list(customers, open_page) -> None:  # type: ignore[no-untyped-def]
    """As a manager I filter by stage and region and by 'my customers with nothing planned'."""
    at = open_page("manager")
    at.multiselect(key="customers_f_stage").select("signed").select("intent")
    run(at)
    assert set(table(at)["Name"]) == {"Acme Robotics Ltd", "上海星河软件有限公司"}
    at.multiselect(key="customers_f_region").select("south")
    run(at)
    assert list(table(at)["Name"]) == ["上海星河软件有限公司"]
    at.button(key="customers_reset").click()
    run(at)
    at.button(key="customers_preset_nothing_planned").click()
    run(at)
    assert list(table(at)["Name"]) == ["Acme Robotics Ltd"]


def test_switching_language_keeps_the_filters_and_relabels_them(customers, open_page) -> None:  # type: ignore[no-untyped-def]
    """As a manager who switches to Chinese mid-search, my filters stay and their options read in Chinese."""
    at = open_page("manager")
    at.multiselect(key="customers_f_stage").select("signed").select("intent")
    run(at)
    at.selectbox(key="sidebar_language").set_value("zh")
    run(at)
    [stage] = [m for m in at.multiselect if m.key.startswith("customers_f_stage")]
    assert stage.key == "customers_f_stage__zh" and set(stage.value) == {"signed", "intent"}
    assert "签约" in stage.options
    assert set(table(at)["名称"]) == {"Acme Robotics Ltd", "上海星河软件有限公司"}
    stage.unselect("intent")
    run(at)
    at.selectbox(key="sidebar_language").set_value("en")
    run(at)
    assert at.multiselect(key="customers_f_stage").value == ["signed"]
    assert list(table(at)["Name"]) == ["Acme Robotics Ltd"]


def test_paging_walks_through_a_long_list(role_accounts: Sessions, open_page) -> None:  # type: ignore[no-untyped-def]
    """As a manager with many customers I page through them 25 at a time."""
    manager = actor_of(role_accounts, "manager")
    for n in range(30):
        create_customer(role_accounts, actor=manager, data=CustomerInput(name=f"Customer {n:02d}"))
    at = open_page("manager")
    at.selectbox(key="customers_page_size").select(25)
    run(at)
    assert len(table(at)) == 25
    at.number_input(key="customers_page").set_value(2)
    run(at)
    assert list(table(at)["Name"]) == [f"Customer {n:02d}" for n in range(25, 30)]
    assert "Page 2 of 2" in texts(at)


def test_a_viewer_sees_contacts_masked_in_the_list_and_the_360_view(customers, open_page) -> None:  # type: ignore[no-untyped-def]
    """As a viewer at a demo I see customers, but phone numbers and emails stay masked."""
    at = open_page("viewer")
    frame = table(at)
    row = frame[frame["Name"] == "Acme Robotics Ltd"].iloc[0]
    assert (row["Phone"], row["Email"]) == ("138****5678", "j***@acme.example")
    assert "masked for your role" in texts(at)
    at = open_page("viewer", customers["acme"])
    contacts = next(df.value for df in at.dataframe if "Phone" in df.value.columns)
    assert list(contacts["Phone"]) == ["138****5678"]
    assert "13812345678" not in texts(at)
    assert not [b for b in at.button if b.key and b.key.endswith("_submit")]  # nothing to edit
    assert "Log a contact" not in [e.label for e in at.expander]  # nothing to log either


# --- 360 view ---------------------------------------------------------------------------------------


def test_a_deep_link_opens_the_customer_360_view(customers, open_page) -> None:  # type: ignore[no-untyped-def]
    """As a colleague I open a link with ?customer=ID pasted in chat and land on that customer."""
    at = open_page("staff", customers["xinghe"])
    assert at.title[0].value == "上海星河软件有限公司"
    assert [tab.label for tab in at.tabs] == [
        "Profile",
        "Classes and why",
        "Contacts",
        "Orders",
        "Contracts",
        "Timeline",
        "Follow-ups",
        "Complaints",
        "Satisfaction",
        "Duplicates",
    ]
    assert ":blue-badge[Intent]" in texts(at)
    assert "Out of cadence" in texts(at)
    at.button(key="customers_back").click()
    run(at)
    assert at.title[0].value == "Customers"
    assert "customer" not in at.query_params


def test_picking_a_customer_in_the_list_opens_it_and_sets_the_link(customers, open_page) -> None:  # type: ignore[no-untyped-def]
    """As staff I choose a customer of the page and its 360 view opens, with its URL."""
    at = open_page("staff")
    at.selectbox(key="customers_open").select(customers["delta"])
    run(at)
    assert at.title[0].value == "Delta Clinics"
    assert at.query_params["customer"] == str(customers["delta"])


def test_an_unknown_customer_link_says_so(customers, open_page) -> None:  # type: ignore[no-untyped-def]
    """As a user following a stale link I get a clear message, not a traceback."""
    at = open_page("manager", 9999)
    assert "no longer exists" in texts(at)


def test_editing_the_profile_saves_and_is_audited(customers, open_page, role_accounts: Sessions) -> None:  # type: ignore[no-untyped-def]
    """As the owner I correct a customer's name and region in the edit form."""
    at = open_page("staff", customers["delta"])
    at.text_input(key="customers_edit_name").input("Delta Clinics Group")
    at.selectbox(key="customers_edit_region").select("east")
    at.button(key="customers_edit_submit").click()
    run(at)
    saved = get_customer(role_accounts, actor=actor_of(role_accounts, "staff"), customer_id=customers["delta"])
    assert (saved.name, saved.region) == ("Delta Clinics Group", "east")
    assert at.title[0].value == "Delta Clinics Group"
    with role_accounts.read() as session:
        assert (
            session.scalar(
                select(AuditLog.new_value).where(
                    AuditLog.entity_type == "customers", AuditLog.field == "region", AuditLog.action == "update"
                )
            )
            == "east"
        )


def test_bad_input_is_shown_next_to_the_field(customers, open_page) -> None:  # type: ignore[no-untyped-def]
    """As a user who empties the name I see 'Required.' under it and nothing is saved."""
    at = open_page("staff", customers["delta"])
    at.text_input(key="customers_edit_name").input(" ")
    at.button(key="customers_edit_submit").click()
    run(at)
    assert [e.value for e in at.error] == ["Required."]
    assert at.title[0].value == "Delta Clinics"


def test_a_concurrent_edit_is_reported_and_my_input_is_kept(customers, open_page, role_accounts: Sessions) -> None:  # type: ignore[no-untyped-def]
    """As staff editing a customer that someone else just changed, I learn who changed what and keep my input."""
    at = open_page("staff", customers["delta"])
    admin = actor_of(role_accounts, "admin")
    current = get_customer(role_accounts, actor=admin, customer_id=customers["delta"])
    update_customer(
        role_accounts, actor=admin, customer_id=current.id, version=current.version, changes={"region": "northeast"}
    )
    at.text_input(key="customers_edit_name").input("Delta Clinics (mine)")
    at.button(key="customers_edit_submit").click()
    run(at)
    message = texts(at)
    assert "Not saved" in message and "Admin User" in message and "Region" in message
    assert "Northeast" in message and "northeast" not in message
    assert at.text_input(key="customers_edit_name").value == "Delta Clinics (mine)"
    assert get_customer(role_accounts, actor=admin, customer_id=current.id).name == "Delta Clinics"
    # Having seen their change, I save again: my name goes on top of their region.
    at.button(key="customers_edit_submit").click()
    run(at)
    saved = get_customer(role_accounts, actor=admin, customer_id=current.id)
    assert (saved.name, saved.region) == ("Delta Clinics (mine)", "northeast")


def test_the_timeline_shows_changed_values_as_labels_and_names(  # type: ignore[no-untyped-def]
    customers, open_page, role_accounts: Sessions
) -> None:
    """As a manager reading the timeline in Chinese I see 'industry: 能源 → 制造业' and owners by name, not ids."""
    manager, staff = actor_of(role_accounts, "manager"), actor_of(role_accounts, "staff")
    current = get_customer(role_accounts, actor=manager, customer_id=customers["delta"])
    update_customer(
        role_accounts,
        actor=manager,
        customer_id=current.id,
        version=current.version,
        changes={"industry": "energy", "owner_id": manager.id, "share_consent": True},
    )
    at = open_page("manager")
    at.selectbox(key="sidebar_language").set_value("zh")
    run(at)
    at.query_params["customer"] = str(customers["delta"])
    run(at)
    timeline = "\n".join(m.value for m in at.markdown)
    assert "**行业**: ∅ → 能源" in timeline
    assert "**负责人**: Staff User → Manager User" in timeline
    assert "**已书面同意对外共享数据**: 否 → 是" in timeline
    assert f"→ {manager.id}" not in timeline and "energy" not in timeline
    assert staff.id != manager.id


def test_staff_may_only_read_another_owners_customer(customers, open_page) -> None:  # type: ignore[no-untyped-def]
    """As staff I can look at a colleague's customer but get no edit form."""
    at = open_page("staff", customers["acme"])
    assert "You can view this customer but not change it." in texts(at)
    assert not [b for b in at.button if b.key == "customers_edit_submit"]


def test_an_order_with_a_bad_amount_is_refused_at_the_field(customers, open_page) -> None:  # type: ignore[no-untyped-def]
    """As staff I record an order; a negative amount is flagged, a correct one is added to the totals."""
    at = open_page("staff", customers["delta"])
    at.text_input(key="customers_order_form_amount").input("-5")
    at.text_input(key="customers_order_form_product").input("Annual licence")
    at.button(key="customers_order_form_submit").click()
    run(at)
    assert [e.value for e in at.error] == [
        "Not a valid amount: a number from 0 to 999,999,999,999.99 with at most two decimals."
    ]
    at.text_input(key="customers_order_form_amount").input("1,200.50")
    at.button(key="customers_order_form_submit").click()
    run(at)
    assert "CN¥1,200.50 in all" in texts(at)
    assert "CN¥1.2K" in [m.value for m in at.metric]
    orders = next(df.value for df in at.dataframe if "Product" in df.value.columns)
    assert list(orders["Product"]) == ["Annual licence"]


def test_a_contact_is_added_from_the_contacts_tab(customers, open_page, role_accounts: Sessions) -> None:  # type: ignore[no-untyped-def]
    """As staff I add a contact person; a bad phone number is refused first."""
    at = open_page("staff", customers["delta"])
    at.text_input(key="customers_contact_form_name").input("李雷")
    at.text_input(key="customers_contact_form_phone").input("12345")
    at.button(key="customers_contact_form_submit").click()
    run(at)
    assert "Not a valid phone number" in texts(at)
    at.text_input(key="customers_contact_form_phone").input("+86 139 0000 1111")
    at.button(key="customers_contact_form_submit").click()
    run(at)
    contacts = next(df.value for df in at.dataframe if "Phone" in df.value.columns)
    assert list(contacts["Phone"]) == ["13900001111"]


# --- create, duplicates, merge, bulk ----------------------------------------------------------------


def test_creating_a_duplicate_warns_then_creates_when_confirmed(
    customers,
    open_page,  # type: ignore[no-untyped-def]
    role_accounts: Sessions,
) -> None:
    """As staff I create 'ACME Robotics Co., Ltd.'; the app shows Acme as a likely duplicate before creating."""
    at = open_page("staff")
    at.text_input(key="customers_new_name").input("ACME Robotics Co., Ltd.")
    at.button(key="customers_new_submit").click()
    run(at)
    assert "look like the same one" in texts(at)
    assert any("Acme Robotics Ltd" in list(df.value.get("Name", [])) for df in at.dataframe)
    assert list_customers(role_accounts, actor=actor_of(role_accounts, "manager")).total == 3
    at.checkbox(key="customers_new_confirm").check()
    at.button(key="customers_new_submit").click()
    run(at)
    assert at.title[0].value == inert("ACME Robotics Co., Ltd.")  # shown as typed, Markdown escaped
    assert list_customers(role_accounts, actor=actor_of(role_accounts, "manager")).total == 4


def test_a_manager_merges_a_duplicate_into_the_survivor(customers, open_page, role_accounts: Sessions) -> None:  # type: ignore[no-untyped-def]
    """As a manager I merge a duplicate customer: its contacts move over and it is archived."""
    staff = actor_of(role_accounts, "staff")
    duplicate = create_customer(
        role_accounts,
        actor=staff,
        data=CustomerInput(name="ACME robotics"),
        contact=ContactInput(name="Jo Backup", email="jo@acme.example"),
        confirm_duplicates=True,
    )
    at = open_page("manager", customers["acme"])
    assert "ACME robotics" in " ".join(" ".join(map(str, df.value.get("Name", []))) for df in at.dataframe)
    at.selectbox(key="customers_merge_other").select(duplicate.id)
    at.radio(key="customers_merge_keep").set_value("this")
    at.button(key="customers_merge_submit").click()
    run(at)
    assert "Tick the box to confirm." in texts(at)
    at.checkbox(key="customers_merge_confirm").check()
    at.button(key="customers_merge_submit").click()
    run(at)
    assert at.title[0].value == "Acme Robotics Ltd"
    manager = actor_of(role_accounts, "manager")
    assert get_customer(role_accounts, actor=manager, customer_id=duplicate.id).archived_at is not None
    contacts = next(df.value for df in at.dataframe if "Phone" in df.value.columns)
    assert sorted(contacts["Name"]) == ["Jo Backup", "★ John Smith"]


def test_a_manager_reassigns_selected_customers_in_bulk(customers, open_page, role_accounts: Sessions) -> None:  # type: ignore[no-untyped-def]
    """As a manager I select two customers and hand them to the staff member in one step."""
    at = open_page("manager")
    at.multiselect(key="customers_bulk_ids").select(customers["acme"]).select(customers["delta"])
    run(at)
    staff = actor_of(role_accounts, "staff")
    at.selectbox(key="customers_bulk_owner").select(staff.id)
    at.button(key="customers_bulk_apply").click()
    run(at)
    manager = actor_of(role_accounts, "manager")
    owners = {c: get_customer(role_accounts, actor=manager, customer_id=i).owner_id for c, i in customers.items()}
    assert owners == {"acme": staff.id, "xinghe": staff.id, "delta": staff.id}
    with role_accounts.read() as session:
        rows = session.scalars(
            select(AuditLog.entity_id).where(AuditLog.field == "owner_id", AuditLog.action == "update")
        ).all()
    assert sorted(rows) == sorted([str(customers["acme"])])  # delta already was the staff member's


def test_staff_get_no_bulk_actions(customers, open_page) -> None:  # type: ignore[no-untyped-def]
    """As staff I cannot reassign or archive customers in bulk."""
    at = open_page("staff")
    assert not [b for b in at.button if b.key == "customers_bulk_apply"]


def test_a_list_render_issues_a_bounded_number_of_statements(
    customers,
    open_page,  # type: ignore[no-untyped-def]
    role_accounts: Sessions,
) -> None:
    """As an operator I want the list page to cost the same few queries however many customers there are."""
    at = open_page("manager")
    from ui.state import get_sessions  # the app's cached engine, shared with the test thread

    engine = get_sessions().engine
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        run(at)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    page_selects = [s for s in selects if "customers" in s or "service_policies" in s]
    assert len(page_selects) <= 8, page_selects
    assert len(selects) <= 16, selects


# --- on the demo data -------------------------------------------------------------------------------


@pytest.fixture
def demo(app_sessions: Sessions) -> Sessions:
    from crm.demo.service import load_demo

    load_demo(app_sessions, customers=80, seed=3)
    return app_sessions


@pytest.mark.parametrize("role", ["admin", "manager", "staff", "viewer"])
def test_every_role_browses_the_demo_customers_and_opens_one(demo: Sessions, role: str) -> None:
    """As any demo user I list the demo customers, search, and open a customer's 360 view with its timeline."""
    from crm.demo.service import DEMO_ACCOUNTS
    from tests.app.conftest import APP, TIMEOUT, sign_in

    account = next(a for a in DEMO_ACCOUNTS if a.role == role)
    at = run(AppTest.from_file(APP, default_timeout=TIMEOUT))
    sign_in(at, account.username, account.password)
    at.switch_page(PAGE)
    run(at)
    frame = table(at)
    assert len(frame) == 50
    first = list_customers(demo, actor=actor_of(demo, account.username), page_size=1).rows[0]
    at.query_params["customer"] = str(first.id)
    run(at)
    assert at.title[0].value == inert(first.name)
    assert any(tab.label in ("Timeline", "时间线") for tab in at.tabs)
    if role == "viewer":
        assert all("****" in p or not p for p in frame["Phone"])
