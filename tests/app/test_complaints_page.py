"""The complaints page: every tab for every role, intake, only the allowed transitions, queues, a refused stale
action, and both languages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from crm.complaints import ComplaintInput, file_complaint, transition
from crm.platform.i18n import t
from crm.platform.permissions import Actor
from crm.platform.users import get_user
from db.engine import Sessions
from db.models import Complaint, ComplaintEvent
from db.models import utcnow as db_utcnow
from tests.crm.follow_ups.follow_up_factories import make_contact, make_customer

PAGE = "pages/complaints.py"
TAB = "complaints_tab"
TABS = ("queue", "new", "detail", "inquiries", "suggestions", "root_causes", "settings")


def _actor(sessions: Sessions, username: str) -> Actor:
    user = get_user(sessions, username=username)
    assert user is not None
    return user.as_actor()


def _open(signed_in: Callable[[str], AppTest], role: str, tab: str = "queue", language: str = "en") -> AppTest:
    at = signed_in(role)
    if language != "en":
        at.selectbox(key="sidebar_language").set_value(language).run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    if tab != "queue":
        _tab(at, tab, language)
    return at


def _tab(at: AppTest, tab: str, language: str = "en") -> None:
    at.session_state[TAB] = t(f"complaints.tab.{tab}", language)
    at.run()
    assert not at.exception, at.exception


def _texts(at: AppTest) -> str:
    return " ".join(
        [
            *(m.value for m in at.markdown),
            *(c.value for c in at.caption),
            *(s.value for s in at.subheader),
            *(e.value for e in at.error),
            *(s.value for s in at.success),
            *(i.value for i in at.info),
        ]
    )


def _file(sessions: Sessions, actor: Actor, customer_id: int, **fields: object) -> int:
    data = ComplaintInput(
        customer_id=customer_id,
        channel="phone",
        description=str(fields.pop("description", "Late")),
        severity=str(fields.pop("severity", "high")),
        **fields,
    )  # type: ignore[arg-type]
    return file_complaint(sessions, actor=actor, data=data).id


def _buttons(at: AppTest) -> set[str]:
    return {b.key for b in at.button if b.key}


def _open_detail(at: AppTest, complaint_id: int) -> None:
    at.session_state["complaints_open"] = complaint_id
    _tab(at, "detail")


@pytest.mark.parametrize(
    ("role", "tabs"),
    [
        ("admin", TABS),
        ("manager", TABS),
        ("staff", TABS[:5]),
        ("viewer", ("queue", "detail", "inquiries", "suggestions", "root_causes")),
    ],
)
def test_every_role_opens_each_of_its_tabs(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions, role: str, tabs: tuple[str, ...]
) -> None:
    """As any role, I open the complaints page and every tab my role has, without an error."""
    manager = _actor(role_accounts, "manager")
    customer = make_customer(role_accounts, owner=_actor(role_accounts, "staff"), name="星河科技")
    _file(role_accounts, manager, customer)
    at = _open(signed_in, role)
    assert [tab.label for tab in at.tabs] == [t(f"complaints.tab.{code}") for code in tabs]
    for code in tabs:
        _tab(at, code)


def test_staff_record_a_complaint_and_it_opens_with_its_reference(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff, I find my customer, describe what happened, and the complaint is recorded with a reference number
    and opened on its Detail tab."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="Acme Trading")
    make_contact(role_accounts, customer, name="Li Lei", is_primary=True)
    at = _open(signed_in, "staff", "new")
    at.text_input(key="complaints_intake_customer_search").input("Acme").run()
    form = f"complaints_intake_{customer}_r0"
    at.text_area(key=f"{form}_description").input("The delivery came two weeks late.")
    at.selectbox(key=f"{form}_severity").set_value("critical")
    at.selectbox(key=f"{form}_impact").set_value("one_site")
    at.button(key=f"{form}_submit").click().run()
    assert not at.exception, at.exception
    with role_accounts.read() as session:
        complaint = session.scalars(select(Complaint)).one()
        assert complaint.description == "The delivery came two weeks late." and complaint.severity == "critical"
        assert complaint.impact_scope == "one_site" and complaint.contact_id is not None
        code = complaint.code
    assert code.startswith("C-")
    assert at.session_state[TAB] == t("complaints.tab.detail")
    assert code in _texts(at)


def test_an_empty_description_is_explained_under_its_field(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff, I forget to say what happened: nothing is recorded and the form tells me under the field."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="Acme Trading")
    at = _open(signed_in, "staff", "new")
    at.text_input(key="complaints_intake_customer_search").input("Acme").run()
    at.button(key=f"complaints_intake_{customer}_r0_submit").click().run()
    assert not at.exception, at.exception
    assert t("validation.required") in [e.value for e in at.error]
    with role_accounts.read() as session:
        assert session.scalars(select(Complaint)).first() is None


def test_the_detail_offers_only_the_allowed_transitions(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As a manager, a new complaint offers acknowledge and reject, never start or resolve; once acknowledged
    through its button, it offers start instead."""
    manager = _actor(role_accounts, "manager")
    complaint_id = _file(role_accounts, manager, make_customer(role_accounts, owner=manager))
    at = _open(signed_in, "manager")
    _open_detail(at, complaint_id)
    buttons = _buttons(at)
    form = f"complaints_act_{complaint_id}"
    assert f"{form}_step_acknowledge" in buttons and f"{form}_reject_submit" in buttons
    assert not {f"{form}_step_start", f"{form}_resolve_submit", f"{form}_confirm_submit"} & buttons
    at.button(key=f"{form}_step_acknowledge").click().run()
    assert not at.exception, at.exception
    buttons = _buttons(at)
    assert f"{form}_step_start" in buttons and f"{form}_step_acknowledge" not in buttons
    with role_accounts.read() as session:
        assert session.get(Complaint, complaint_id).status == "acknowledged"  # type: ignore[union-attr]


def test_staff_are_never_offered_the_managers_rejection(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff, my own customer's new complaint offers acknowledge but not reject (a manager's call)."""
    staff = _actor(role_accounts, "staff")
    complaint_id = _file(role_accounts, staff, make_customer(role_accounts, owner=staff), assignee_id=staff.id)
    at = _open(signed_in, "staff")
    _open_detail(at, complaint_id)
    buttons = _buttons(at)
    assert f"complaints_act_{complaint_id}_step_acknowledge" in buttons
    assert f"complaints_act_{complaint_id}_reject_submit" not in buttons


def test_a_stale_action_is_refused_naming_the_current_state(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As a manager, I press Acknowledge on a complaint a colleague acknowledged meanwhile: nothing happens twice
    and I am told it is now acknowledged."""
    manager, admin = _actor(role_accounts, "manager"), _actor(role_accounts, "admin")
    complaint_id = _file(role_accounts, manager, make_customer(role_accounts, owner=manager))
    at = _open(signed_in, "manager")
    _open_detail(at, complaint_id)
    with role_accounts.read() as session:
        version = session.get(Complaint, complaint_id).version  # type: ignore[union-attr]
    transition(role_accounts, actor=admin, complaint_id=complaint_id, version=version, action="acknowledge")
    at.button(key=f"complaints_act_{complaint_id}_step_acknowledge").click().run()
    assert not at.exception, at.exception
    errors = " ".join(e.value for e in at.error)
    assert t("complaint_status.acknowledged") in errors, errors
    assert "{" not in errors
    with role_accounts.read() as session:
        acknowledged = session.scalars(
            select(ComplaintEvent).where(
                ComplaintEvent.complaint_id == complaint_id, ComplaintEvent.to_status == "acknowledged"
            )
        ).all()
    assert len(acknowledged) == 1


def test_the_whole_workflow_through_the_detail_tab(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As a manager, I acknowledge, start, resolve, record the customer's "not satisfied", start and resolve again,
    then record "satisfied": the complaint is closed with its reopen counted and every step in its history."""
    manager = _actor(role_accounts, "manager")
    complaint_id = _file(role_accounts, manager, make_customer(role_accounts, owner=manager))
    at = _open(signed_in, "manager")
    _open_detail(at, complaint_id)
    form = f"complaints_act_{complaint_id}"

    def confirm(satisfied: bool) -> None:
        at.text_input(key=f"{form}_confirm_who").input("Li Lei")
        at.radio(key=f"{form}_confirm_satisfied").set_value(satisfied)
        at.button(key=f"{form}_confirm_submit").click().run()
        assert not at.exception, at.exception

    def resolve(text: str) -> None:
        at.text_area(key=f"{form}_resolve_resolution").input(text)
        at.button(key=f"{form}_resolve_submit").click().run()
        assert not at.exception, at.exception

    for action in ("acknowledge", "start"):
        at.button(key=f"{form}_step_{action}").click().run()
        assert not at.exception, at.exception
    resolve("Sent the missing parts.")
    confirm(False)
    at.button(key=f"{form}_step_start").click().run()
    resolve("Replaced the whole order.")
    confirm(True)
    with role_accounts.read() as session:
        complaint = session.get(Complaint, complaint_id)
        assert complaint is not None
        assert complaint.status == "closed" and complaint.reopen_count == 1 and complaint.customer_satisfied
    texts = _texts(at)
    assert t("complaint_status.closed") in texts and "Replaced the whole order." in " ".join(x.value for x in at.text)
    assert not {b for b in _buttons(at) if b.startswith(form)}  # nothing left to do on a closed complaint


def test_staff_correct_the_recorded_facts_and_an_empty_description_is_refused_in_place(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """The detail's "Correct what was recorded" form saves description, impact and expected resolution; an emptied
    description is refused under its field and nothing changes."""
    staff = _actor(role_accounts, "staff")
    complaint_id = _file(role_accounts, staff, make_customer(role_accounts, owner=staff), description="Lat")
    at = _open(signed_in, "staff")
    _open_detail(at, complaint_id)
    form = f"complaints_act_{complaint_id}_edit"
    assert at.text_area(key=f"{form}_description").value == "Lat"
    at.text_area(key=f"{form}_description").input("")
    at.button(key=f"{form}_submit").click().run()
    assert not at.exception, at.exception
    assert t("validation.required") in _texts(at)
    with role_accounts.read() as session:
        assert session.get(Complaint, complaint_id).description == "Lat"  # type: ignore[union-attr]
    at.text_area(key=f"{form}_description").input("Late delivery, twice")
    at.selectbox(key=f"{form}_impact").set_value("one_site")
    at.text_area(key=f"{form}_expected").input("A refund of the shipping")
    at.button(key=f"{form}_submit").click().run()
    assert not at.exception, at.exception
    with role_accounts.read() as session:
        complaint = session.get(Complaint, complaint_id)
        assert complaint is not None
        assert (complaint.description, complaint.impact_scope, complaint.expected_resolution) == (
            "Late delivery, twice",
            "one_site",
            "A refund of the shipping",
        )
        assert complaint.version == 2


def test_queues_list_breached_complaints_first_and_all_only_for_managers(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As a manager, the All queue lists an overdue complaint first, flagged; staff have no All queue."""
    manager, staff = _actor(role_accounts, "manager"), _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff)
    _file(role_accounts, manager, customer, severity="low", description="Fresh")
    late = _file(
        role_accounts,
        manager,
        customer,
        severity="critical",
        description="Old",
        received_at=db_utcnow() - dt.timedelta(hours=5),
    )
    at = _open(signed_in, "manager")
    at.session_state["complaints_queue"] = "all"
    at.run()
    assert not at.exception, at.exception
    assert at.dataframe, _texts(at)
    frame = at.dataframe[0].value
    with role_accounts.read() as session:
        late_code = session.get(Complaint, late).code  # type: ignore[union-attr]
    assert frame.iloc[0][t("complaints.field.code")] == late_code
    assert t("complaints.flag.breached") in frame.iloc[0][t("complaints.ui.col.flag")]
    assert len(frame) == 2
    at.session_state["complaints_queue"] = "breached"
    at.run()
    assert len(at.dataframe[0].value) == 1
    staff_at = _open(signed_in, "staff")
    options = staff_at.button_group(key="complaints_queue").options
    assert list(options) == [
        t(f"complaints.queue.{q}") for q in ("mine", "department", "breached", "waiting_confirmation")
    ]


def test_a_viewer_starts_on_every_complaint_and_staff_on_their_own(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """A viewer handles no complaint, so "Mine" would always be empty: their queue opens on All."""
    manager, staff = _actor(role_accounts, "manager"), _actor(role_accounts, "staff")
    _file(role_accounts, manager, make_customer(role_accounts, owner=staff), description="Seen by the viewer")
    viewer_at = _open(signed_in, "viewer")
    assert viewer_at.button_group(key="complaints_queue").value == "all"
    assert len(viewer_at.dataframe[0].value) == 1
    assert _open(signed_in, "staff").button_group(key="complaints_queue").value == "mine"


def test_the_page_speaks_chinese(signed_in: Callable[[str], AppTest], role_accounts: Sessions) -> None:
    """As a manager who reads Chinese, the page, its tabs and a complaint's detail are in Chinese."""
    manager = _actor(role_accounts, "manager")
    complaint_id = _file(role_accounts, manager, make_customer(role_accounts, owner=manager))
    at = _open(signed_in, "manager", language="zh")
    assert at.title[0].value == t("complaints.title", "zh")
    assert [tab.label for tab in at.tabs][:3] == [t(f"complaints.tab.{c}", "zh") for c in TABS[:3]]
    at.session_state["complaints_open"] = complaint_id
    _tab(at, "detail", "zh")
    assert t("complaint_status.new", "zh") in _texts(at) or any(
        t("complaint_status.new", "zh") in str(b) for b in at.get("badge")
    )
    assert t("complaints.action.acknowledge", "zh") in [b.label for b in at.button]


def test_the_customer_360_view_lists_the_customers_cases_and_files_a_new_complaint(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff, my customer's 360 view shows its complaints, and its New complaint form records one for it."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="Acme Trading")
    _file(role_accounts, staff, customer, description="First")
    at = signed_in("staff")
    at.switch_page("pages/customers.py")
    at.query_params["customer"] = str(customer)
    at.run()
    assert not at.exception, at.exception
    assert t("customers.tab.complaints") in [tab.label for tab in at.tabs]
    assert t("complaints.ui.customer_complaints", n=1) in _texts(at)
    form = f"complaints_360_intake_{customer}_r0"
    at.text_area(key=f"{form}_description").input("Second problem")
    at.button(key=f"{form}_submit").click().run()
    assert not at.exception, at.exception
    with role_accounts.read() as session:
        assert [c.description for c in session.scalars(select(Complaint).order_by(Complaint.id))] == [
            "First",
            "Second problem",
        ]
    assert t("complaints.ui.customer_complaints", n=2) in _texts(at)


def test_an_administrator_creates_a_department_and_puts_a_user_in_it(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As an administrator, on the Departments tab I create 客户服务部 with its head, and put the staff member in it."""
    from db.models import Department, User

    at = signed_in("admin")
    at.switch_page("pages/admin.py").run()
    at.session_state["admin_tab"] = t("admin.tab.departments")
    at.run()
    assert not at.exception, at.exception
    form = "admin_department_new"
    at.text_input(key=f"{form}_code").input("CS")
    at.text_input(key=f"{form}_name_en").input("Customer service")
    at.text_input(key=f"{form}_name_zh").input("客户服务部")
    at.selectbox(key=f"{form}_head").set_value(_actor(role_accounts, "manager").id)
    at.button(key=f"{form}_submit").click().run()
    assert not at.exception, at.exception
    with role_accounts.read() as session:
        department = session.scalars(select(Department)).one()
        assert (department.name, department.name_zh, department.function) == (
            "Customer service",
            "客户服务部",
            "service",
        )
        department_id = department.id
    staff = _actor(role_accounts, "staff")
    at.selectbox(key="admin_department_member_user").set_value(staff.id)
    at.selectbox(key="admin_department_member_department").set_value(department_id)
    at.button(key="admin_department_member_submit").click().run()
    assert not at.exception, at.exception
    with role_accounts.read() as session:
        assert session.get(User, staff.id).department_id == department_id  # type: ignore[union-attr]


def _demo_like(sessions: Sessions) -> tuple[int, int]:
    """Two departments, a customer with three complaints (one resolved on time), another with one: the shape of
    the demo data. Returns the first customer's and the first department's ids."""
    from crm.complaints import DepartmentInput, save_department

    admin, manager = _actor(sessions, "admin"), _actor(sessions, "manager")
    service = save_department(
        sessions,
        actor=admin,
        data=DepartmentInput(code="svc", name_en="Service", name_zh="客服部", function="service", head_id=None),
    ).id
    tech = save_department(
        sessions,
        actor=admin,
        data=DepartmentInput(code="tech", name_en="Engineering", name_zh="技术部", function="tech", head_id=None),
    ).id
    often = make_customer(sessions, owner=manager, name="Often Unhappy Ltd")
    once = make_customer(sessions, owner=manager, name="Once Ltd")
    now = db_utcnow()
    first = _file(
        sessions,
        manager,
        often,
        category="delivery",
        department_id=service,
        received_at=now - dt.timedelta(days=40),
    )
    _file(sessions, manager, often, category="billing", department_id=tech, received_at=now - dt.timedelta(days=3))
    _file(sessions, manager, often, category="delivery", department_id=service)
    _file(sessions, manager, once, category="delivery", department_id=tech)
    version = None
    for action, at in (("acknowledge", 39.9), ("start", 39.8), ("resolve", 38)):  # resolved in 2 days
        version = transition(
            sessions,
            actor=manager,
            complaint_id=first,
            version=version if version is not None else _version(sessions, first),
            action=action,
            note="Sent the missing parts." if action == "resolve" else None,
            now=now - dt.timedelta(days=at),
        ).version
    return often, service


def _version(sessions: Sessions, complaint_id: int) -> int:
    with sessions.read() as session:
        return session.get(Complaint, complaint_id).version  # type: ignore[union-attr]


def test_root_causes_show_the_months_repeat_complainers_and_figures(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As a manager, Root causes shows complaints by category and department per month, the customer who
    complained three times, and the figures; a category opens the queue filtered on it."""
    _demo_like(role_accounts)
    at = _open(signed_in, "manager", "root_causes")
    assert len(at.get("vega_lite_chart")) == 2
    repeat, figures = (frame.value for frame in at.dataframe)
    assert list(repeat.iloc[0]) == ["Often Unhappy Ltd", 3]
    assert len(repeat) == 1
    overall = figures.iloc[0]
    assert overall[t("complaints.rc.scope")] == t("complaints.rc.overall")
    assert overall[t("complaints.figure.received")] == "4"
    assert overall[t("complaints.figure.on_time_rate")] == "100.0%"
    assert overall[t("complaints.figure.resolution_rate")] == "0.0%"  # a denominator, no complaint closed
    assert set(figures[t("complaints.rc.scope")]) >= {"Service", "Engineering", t("complaints.severity.high")}
    at.selectbox(key="complaints_rc_category").set_value("delivery")
    at.button(key="complaints_rc_category_open").click().run()
    assert not at.exception, at.exception
    assert at.session_state["complaints_q_category"] == ["delivery"]
    assert at.session_state[TAB] == t("complaints.tab.queue")
    assert len(at.dataframe[0].value) == 3  # the three delivery complaints, in the All queue


def test_root_causes_of_an_empty_period_show_no_data_never_zero(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As a manager who picks a period without complaints, the rates read "no data" (in both languages)."""
    _demo_like(role_accounts)
    for language in ("en", "zh"):
        at = _open(signed_in, "manager", "root_causes", language)
        at.date_input(key="complaints_rc_period").set_value((dt.date(2020, 1, 1), dt.date(2020, 3, 31))).run()
        assert not at.exception, at.exception
        assert t("complaints.rc.empty", language) in _texts(at)
        overall = at.dataframe[-1].value.iloc[0]
        assert overall[t("complaints.figure.received", language)] == "0"
        for figure in ("resolution_rate", "on_time_rate", "reopen_rate", "median_resolve", "adoption_rate"):
            assert overall[t(f"complaints.figure.{figure}", language)] == t("complaints.figure.no_data", language)


def test_the_what_if_shows_the_on_time_rate_now_and_with_the_proposed_targets(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As a manager, I propose resolving high severity within 1 day instead of 3 and see, before saving, that the
    complaint resolved in 2 days would have been late; nothing is saved."""
    from crm.complaints.limits import read_policy

    _demo_like(role_accounts)
    at = _open(signed_in, "manager", "settings")
    at.number_input(key="complaints_sla_high_res").set_value(1)
    at.button(key="complaints_what_if").click().run()
    assert not at.exception, at.exception
    frame = next(f.value for f in at.dataframe if t("complaints.whatif.proposed") in f.value.columns)
    row = frame.iloc[0]
    assert row[t("complaints.field.severity")] == t("complaints.severity.high")
    assert row[t("complaints.field.department_id")] == "Service"
    assert (row[t("complaints.whatif.now")], row[t("complaints.whatif.proposed")]) == ("100.0%", "0.0%")
    assert t("complaints.whatif.not_saved") in _texts(at)
    policy = read_policy(role_accounts, actor=_actor(role_accounts, "manager"))
    assert policy.targets["high"].resolve_days == 3
