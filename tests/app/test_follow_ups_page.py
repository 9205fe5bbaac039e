"""The follow-up page: every view for every role, and each action through the real widgets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from crm.follow_ups.care import holiday_changes_from_editor, save_holidays
from crm.follow_ups.core import company_timezone_name, today_for
from crm.follow_ups.service import get_task, plan_follow_up
from crm.platform.i18n import t
from crm.platform.permissions import Actor
from crm.platform.snapshots import read_snapshot
from crm.platform.users import get_user
from db.engine import Sessions
from db.models import Activity, AutomationRule, FollowUpTask, utcnow
from tests.crm.follow_ups.follow_up_factories import make_contact, make_customer, tasks_of

PAGE = "pages/follow_ups.py"
TABS = {
    "queue": "My queue",
    "log": "Log a contact",
    "planned": "Planned",
    "team": "Team",
    "care": "Care dates",
    "rules": "Automatic rules",
}


def _actor(sessions: Sessions, username: str) -> Actor:
    user = get_user(sessions, username=username)
    assert user is not None
    return user.as_actor()


def _open(signed_in: Callable[[str], AppTest], role: str, tab: str = "queue") -> AppTest:
    at = signed_in(role)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    if tab != "queue":
        at.session_state["follow_ups_tab"] = TABS[tab]
        at.run()
        assert not at.exception, at.exception
    return at


def _button(at: AppTest, key: str):  # type: ignore[no-untyped-def]
    return at.button(key=key)


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


@pytest.mark.parametrize(
    ("role", "tabs"),
    [
        ("admin", ["queue", "log", "planned", "team", "care", "rules"]),
        ("manager", ["queue", "log", "planned", "team", "care", "rules"]),
        ("staff", ["queue", "log", "planned", "care"]),
        ("viewer", ["care"]),
    ],
)
def test_every_role_opens_each_of_its_views(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions, role: str, tabs: list[str]
) -> None:
    """As any role, I open the follow-up page and every view my role has, without an error."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="星河科技")
    plan_follow_up(
        role_accounts,
        actor=staff,
        customer_id=customer,
        due_at=utcnow() - dt.timedelta(hours=1),
        now=utcnow() - dt.timedelta(hours=2),
    )
    at = signed_in(role)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert [tab.label for tab in at.tabs] == [TABS[c] for c in tabs]
    for code in tabs:
        at.session_state["follow_ups_tab"] = TABS[code]
        at.run()
        assert not at.exception, (code, at.exception)


def test_staff_log_a_contact_from_their_queue_in_one_click(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff, I click "Log contact" on an overdue follow-up, write what happened, and it is done."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="星河科技", lifecycle_stage="potential")
    make_contact(role_accounts, customer, name="王芳", is_primary=True)
    task = plan_follow_up(
        role_accounts,
        actor=staff,
        customer_id=customer,
        due_at=utcnow() - dt.timedelta(hours=1),
        now=utcnow() - dt.timedelta(hours=2),
    )
    at = _open(signed_in, "staff")
    assert "星河科技" in _texts(at)
    _button(at, f"follow_ups_log_overdue_{task.id}").click().run()
    assert not at.exception, at.exception
    form = f"follow_ups_queue_log_{customer}_{task.id}"
    assert at.selectbox(key=f"{form}_completes").value == task.id
    assert at.selectbox(key=f"{form}_contact").value is not None
    at.text_area(key=f"{form}_summary").input("客户很感兴趣，约下周演示")
    at.selectbox(key=f"{form}_outcome").set_value("interested")
    at.button(key=f"{form}_submit").click().run()
    assert not at.exception, at.exception
    assert "Contact logged." in _texts(at)
    assert get_task(role_accounts, actor=staff, task_id=task.id).status == "done"
    with role_accounts.read() as session:
        stage = session.scalar(select(Activity.stage_after).where(Activity.customer_id == customer))
    assert stage == "intent"
    assert at.session_state["follow_ups_tab"] == TABS["queue"]
    assert "follow_ups_active" not in at.session_state


def test_a_missing_summary_is_shown_under_the_field_and_nothing_is_saved(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff, I forget the summary; the form tells me under the field and keeps my input."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="Acme")
    at = _open(signed_in, "staff")
    _button(at, f"follow_ups_log_out_of_cadence_{customer}").click().run()
    form = f"follow_ups_queue_log_{customer}_0"
    at.text_input(key=f"{form}_next_step").input("Send the brochure")
    at.button(key=f"{form}_submit").click().run()
    assert not at.exception, at.exception
    assert any("Required." in e.value for e in at.error)
    assert at.text_input(key=f"{form}_next_step").value == "Send the brochure"
    with role_accounts.read() as session:
        assert session.scalar(select(Activity.id)) is None


def test_staff_find_a_customer_and_log_a_contact_with_a_next_step(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff, I search a customer by name, log a call and plan the next step in the same form."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="华为技术有限公司")
    make_customer(role_accounts, owner=_actor(role_accounts, "manager"), name="华为终端")
    at = _open(signed_in, "staff", "log")
    at.text_input(key="follow_ups_log_customer_search").input("华为").run()
    assert at.selectbox(key="follow_ups_log_customer_id").options == [
        "华为技术有限公司 · " + _code(role_accounts, customer)
    ]
    form = f"follow_ups_log_log_{customer}_0"
    at.text_area(key=f"{form}_summary").input("Phoned about the renewal")
    at.text_input(key=f"{form}_next_step").input("Send the quotation")
    tomorrow = (utcnow() + dt.timedelta(days=2)).date()
    at.date_input(key=f"{form}_next_date").set_value(tomorrow)
    at.button(key=f"{form}_submit").click().run()
    assert not at.exception, at.exception
    [task] = tasks_of(role_accounts, customer)
    assert (task.status, task.note, task.owner_id) == ("open", "Send the quotation", staff.id)


def _code(sessions: Sessions, customer_id: int) -> str:
    from db.models import Customer

    with sessions.read() as session:
        return str(session.scalar(select(Customer.code).where(Customer.id == customer_id)))


def _planned_task(sessions: Sessions, owner: Actor, name: str = "Acme") -> tuple[int, int]:
    customer = make_customer(sessions, owner=owner, name=name)
    task = plan_follow_up(sessions, actor=owner, customer_id=customer, due_at=utcnow() + dt.timedelta(days=1))
    return customer, task.id


def test_staff_reschedule_a_planned_follow_up_with_a_reason(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff, I move a planned follow-up to next week and say why."""
    staff = _actor(role_accounts, "staff")
    _, task_id = _planned_task(role_accounts, staff)
    at = _open(signed_in, "staff", "planned")
    at.segmented_control(key="follow_ups_planned_action").set_value("reschedule").run()
    form = f"follow_ups_reschedule_{task_id}"
    at.date_input(key=f"{form}_date").set_value((utcnow() + dt.timedelta(days=7)).date())
    at.text_input(key=f"{form}_reason").input("Customer on holiday")
    at.button(key=f"{form}_submit").click().run()
    assert not at.exception, at.exception
    task = get_task(role_accounts, actor=staff, task_id=task_id)
    assert task.reschedule_reason == "Customer on holiday" and task.version == 2
    assert "Follow-up rescheduled." in _texts(at)


def test_staff_cancel_a_planned_follow_up(signed_in: Callable[[str], AppTest], role_accounts: Sessions) -> None:
    """As staff, I cancel a follow-up that is no longer needed."""
    staff = _actor(role_accounts, "staff")
    _, task_id = _planned_task(role_accounts, staff)
    at = _open(signed_in, "staff", "planned")
    at.segmented_control(key="follow_ups_planned_action").set_value("cancel").run()
    at.button(key=f"follow_ups_cancel_{task_id}_submit").click().run()
    assert not at.exception, at.exception
    assert get_task(role_accounts, actor=staff, task_id=task_id).status == "cancelled"


def test_staff_complete_a_planned_follow_up_from_the_planned_list(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff, I pick a planned follow-up and complete it by logging the contact."""
    staff = _actor(role_accounts, "staff")
    customer, task_id = _planned_task(role_accounts, staff)
    at = _open(signed_in, "staff", "planned")
    form = f"follow_ups_planned_log_{customer}_{task_id}"
    assert at.selectbox(key=f"{form}_completes").value == task_id
    at.text_area(key=f"{form}_summary").input("Visited, all good")
    at.button(key=f"{form}_submit").click().run()
    assert not at.exception, at.exception
    assert get_task(role_accounts, actor=staff, task_id=task_id).status == "done"


def test_a_manager_reassigns_a_follow_up_and_staff_cannot(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As a manager, I give a colleague's follow-up to someone else; staff have no such action."""
    staff, manager = _actor(role_accounts, "staff"), _actor(role_accounts, "manager")
    _, task_id = _planned_task(role_accounts, staff)
    staff_view = _open(signed_in, "staff", "planned")
    assert "reassign" not in staff_view.segmented_control(key="follow_ups_planned_action").options
    at = _open(signed_in, "manager", "planned")
    at.selectbox(key="follow_ups_planned_owner").set_value(0).run()
    at.segmented_control(key="follow_ups_planned_action").set_value("reassign").run()
    form = f"follow_ups_reassign_{task_id}"
    at.selectbox(key=f"{form}_owner").set_value(manager.id)
    at.button(key=f"{form}_submit").click().run()
    assert not at.exception, at.exception
    assert get_task(role_accounts, actor=manager, task_id=task_id).owner_id == manager.id


def test_staff_plan_a_recurring_follow_up(signed_in: Callable[[str], AppTest], role_accounts: Sessions) -> None:
    """As staff, I plan a care call that repeats every 90 days."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="Delta Logistics")
    at = _open(signed_in, "staff", "planned")
    at.text_input(key="follow_ups_plan_customer_search").input("delta").run()
    form = f"follow_ups_plan_{customer}"
    at.selectbox(key=f"{form}_purpose").set_value("care")
    at.number_input(key=f"{form}_repeat").set_value(90)
    at.text_input(key=f"{form}_note").input("Quarterly care call")
    at.button(key=f"{form}_submit").click().run()
    assert not at.exception, at.exception
    [task] = tasks_of(role_accounts, customer)
    assert (task.purpose, task.recurrence_days, task.note) == ("care", 90, "Quarterly care call")
    assert "Follow-up planned." in _texts(at)


def test_a_manager_reads_the_team_view_and_its_month_calendar(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As a manager, I see open, overdue and compliance per owner, then the month calendar."""
    staff = _actor(role_accounts, "staff")
    _planned_task(role_accounts, staff)
    at = _open(signed_in, "manager", "team")
    frame = at.dataframe[0].value
    row = frame[frame["Owner"] == "Staff User"].iloc[0]
    assert (row["Open"], row["Overdue"], row["Customers"]) == (1, 0, 1)
    at.segmented_control(key="follow_ups_calendar_view").set_value("month").run()
    assert not at.exception, at.exception
    at.segmented_control(key="follow_ups_team_period").set_value("month").run()
    assert not at.exception, at.exception
    at.date_input(key="follow_ups_calendar_day").set_value((utcnow() + dt.timedelta(days=1)).date()).run()
    assert not at.exception, at.exception


def test_a_manager_sees_when_the_team_figures_were_computed_and_refreshes_them(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As a manager, I read "as of HH:MM" over the team figures, click Refresh and see today's figures, in 中文 too."""
    staff = _actor(role_accounts, "staff")
    _planned_task(role_accounts, staff)
    at = _open(signed_in, "manager", "team")
    with role_accounts.read() as session:
        snapshot = read_snapshot(session, "follow_ups.team:week")
    assert snapshot is not None
    shown = snapshot.computed_at.astimezone(ZoneInfo(company_timezone_name(role_accounts))).strftime("%H:%M")
    assert f"As of {shown}" in _texts(at)
    make_customer(role_accounts, owner=staff, name="新客户")  # the snapshot does not know of it yet
    at.run()
    frame = at.dataframe[0].value
    assert frame[frame["Owner"] == "Staff User"].iloc[0]["Customers"] == 1
    at.button(key="follow_ups_team_refresh").click().run()
    assert not at.exception, at.exception
    assert "Team figures recomputed." in _texts(at)
    frame = at.dataframe[0].value
    assert frame[frame["Owner"] == "Staff User"].iloc[0]["Customers"] == 2
    with role_accounts.read() as session:
        refreshed = read_snapshot(session, "follow_ups.team:week")
    assert refreshed is not None and refreshed.computed_at > snapshot.computed_at
    at.selectbox(key="sidebar_language").set_value("zh").run()
    at.session_state["follow_ups_tab"] = t("follow_ups.tab.team", "zh")  # the tabs are relabelled
    at.run()
    assert not at.exception, at.exception
    assert "数据截至" in _texts(at)
    assert at.button(key="follow_ups_team_refresh").label == "刷新"


def test_a_manager_switches_a_rule_off_and_runs_the_rules(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As a manager, I switch off the win-back rule and run the others now."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff)
    at = _open(signed_in, "manager", "rules")
    at.toggle(key="follow_ups_rules_churn_win_back_enabled").set_value(False)
    at.button(key="follow_ups_rules_submit").click().run()
    assert not at.exception, at.exception
    with role_accounts.read() as session:
        assert session.scalar(select(AutomationRule.enabled).where(AutomationRule.code == "churn_win_back")) is False
    at.button(key="follow_ups_rules_run").click().run()
    assert not at.exception, at.exception
    assert [t.purpose for t in tasks_of(role_accounts, customer)] == ["regular_revisit"]
    assert "1 follow-up(s) created." in _texts(at)
    last_runs = [c.value for c in at.caption if c.value.startswith("Last run:")]
    assert last_runs and "Last run: never" not in last_runs[0]  # the run just made shows at once


def test_staff_plan_a_birthday_greeting_from_the_care_dates(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff, I see a contact's birthday coming and plan the greeting in one click."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="星河科技")
    soon = (utcnow() + dt.timedelta(days=3)).date()
    make_contact(role_accounts, customer, name="王芳", birthday=soon.replace(year=1985))
    at = _open(signed_in, "staff", "care")
    assert "王芳" in _texts(at)
    at.button(key="follow_ups_greet_0_0").click().run()
    assert not at.exception, at.exception
    assert [t.purpose for t in tasks_of(role_accounts, customer)] == ["care"]


def test_only_managers_edit_the_holiday_list(signed_in: Callable[[str], AppTest], role_accounts: Sessions) -> None:
    """As a manager I get the holiday editor; as staff I only read the list."""
    manager = _actor(role_accounts, "manager")
    soon = today_for(role_accounts) + dt.timedelta(days=10)  # the list shows the company's coming holidays
    save_holidays(
        role_accounts,
        actor=manager,
        changes=holiday_changes_from_editor([], {"added_rows": [{"date": soon.isoformat(), "name": "New Year's Eve"}]}),
    )
    managed = _open(signed_in, "manager", "care")
    assert managed.button(key="follow_ups_holidays_save") is not None
    assert managed.button(key="follow_ups_holidays_save").label == "Save"
    read_only = _open(signed_in, "staff", "care")
    assert not [b for b in read_only.button if b.key == "follow_ups_holidays_save"]
    assert "New Year's Eve" in read_only.dataframe[-1].value["name"].tolist()


def test_a_viewer_sees_care_dates_without_any_form(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As a viewer, I read the care dates but can neither plan greetings nor log contacts."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="星河科技")
    make_contact(
        role_accounts, customer, name="王芳", birthday=(utcnow() + dt.timedelta(days=2)).date().replace(year=1990)
    )
    at = _open(signed_in, "viewer")
    assert [tab.label for tab in at.tabs] == [TABS["care"]]
    assert "王芳" in _texts(at)
    assert not [b for b in at.button if (b.key or "").startswith("follow_ups_greet")]
    assert "Read-only" in _texts(at)


def test_staff_have_no_queue_picker_and_managers_open_a_colleagues_queue(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As a manager I can open a staff member's queue; staff see only their own."""
    staff = _actor(role_accounts, "staff")
    make_customer(role_accounts, owner=staff, name="Only Staff's Customer")
    own = _open(signed_in, "staff")
    assert not [s for s in own.selectbox if s.key == "follow_ups_queue_owner"]
    at = _open(signed_in, "manager")
    at.selectbox(key="follow_ups_queue_owner").set_value(staff.id).run()
    assert not at.exception, at.exception
    assert "Only Staff's Customer" in _texts(at)


def test_the_log_form_works_on_its_own_for_the_customer_360_view(role_accounts: Sessions) -> None:
    """As staff on a customer's 360 view, I log a contact with the embedded form."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="Embedded Co")

    def script(customer_id: int, username: str) -> None:
        from crm.platform.users import get_user
        from ui.follow_ups.log import log_contact_form
        from ui.follow_ups.widgets import next_activity_badge
        from ui.state import get_sessions

        user = get_user(get_sessions(), username=username)
        next_activity_badge("out_of_cadence")
        log_contact_form(user.as_actor(), customer_id, key_prefix="customers_360")  # type: ignore[union-attr]

    at = AppTest.from_function(script, kwargs={"customer_id": customer, "username": "staff"}, default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    form = f"customers_360_log_{customer}_0"
    at.text_area(key=f"{form}_summary").input("Met at the exhibition")
    at.button(key=f"{form}_submit").click().run()
    assert not at.exception, at.exception
    with role_accounts.read() as session:
        assert (
            session.scalar(select(Activity.summary).where(Activity.customer_id == customer)) == "Met at the exhibition"
        )
        assert session.scalar(select(FollowUpTask.id)) is None
    assert "Contact logged." in _texts(at)


def test_after_logging_a_contact_the_form_starts_empty_and_pressing_log_again_saves_nothing(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff on the log view, I log a call; the form comes back empty (new widgets, so the browser shows no
    stale values) and pressing the button again only asks for a summary instead of logging the call twice."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="Twice Co")
    at = _open(signed_in, "staff", "log")
    at.text_input(key="follow_ups_log_customer_search").input("Twice").run()
    form = f"follow_ups_log_log_{customer}_0"
    at.text_area(key=f"{form}_summary").input("Phoned about the renewal")
    at.text_input(key=f"{form}_next_step").input("Send the quotation")
    at.date_input(key=f"{form}_next_date").set_value((utcnow() + dt.timedelta(days=2)).date())
    at.button(key=f"{form}_submit").click().run()
    assert not at.exception, at.exception
    assert "Contact logged." in _texts(at)
    assert not [w for w in at.text_area if w.key == f"{form}_summary"]  # the old widgets are gone
    again = f"{form}_r1"
    assert at.text_area(key=f"{again}_summary").value == ""
    assert at.text_input(key=f"{again}_next_step").value == ""
    assert at.date_input(key=f"{again}_next_date").value is None
    at.button(key=f"{again}_submit").click().run()
    assert not at.exception, at.exception
    assert any("Required." in e.value for e in at.error)
    with role_accounts.read() as session:
        assert len(session.scalars(select(Activity.id).where(Activity.customer_id == customer)).all()) == 1
    assert len(tasks_of(role_accounts, customer)) == 1


def test_switching_to_chinese_keeps_the_open_tab(signed_in: Callable[[str], AppTest], role_accounts: Sessions) -> None:
    """As staff on the Planned tab, I switch the language to 中文 and stay on the same tab, now in Chinese."""
    at = _open(signed_in, "staff", "planned")
    at.selectbox(key="sidebar_language").set_value("zh").run()
    assert not at.exception, at.exception
    assert at.session_state["follow_ups_tab"] == t("follow_ups.tab.planned", "zh")
    assert t("follow_ups.plan.title", "zh") in [s.value for s in at.subheader]  # the Planned tab's content ran


def test_planning_a_greeting_twice_says_why_instead_of_doing_nothing(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff, I press "Plan greeting" for a customer who already has an open care follow-up: I am told so."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="星河科技")
    make_contact(
        role_accounts, customer, name="王芳", birthday=(utcnow() + dt.timedelta(days=3)).date().replace(year=1985)
    )
    plan_follow_up(
        role_accounts, actor=staff, customer_id=customer, purpose="care", due_at=utcnow() + dt.timedelta(days=1)
    )
    at = _open(signed_in, "staff", "care")
    at.button(key="follow_ups_greet_0_0").click().run()
    assert not at.exception, at.exception
    assert any("already has an open follow-up with this purpose" in e.value for e in at.error)
    assert [t.purpose for t in tasks_of(role_accounts, customer)] == ["care"]
    at.run()
    assert not any("already has an open follow-up" in e.value for e in at.error)  # said once


def test_care_dates_say_how_old_and_how_many_years(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff, I read "Birthday (41 years old)" — not "41 years" of anniversary — in both languages."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="星河科技")
    soon = today_for(role_accounts) + dt.timedelta(days=3)
    make_contact(role_accounts, customer, name="王芳", birthday=soon.replace(year=soon.year - 41))
    at = _open(signed_in, "staff", "care")
    assert "Birthday (41 years old)" in _texts(at)
    at.selectbox(key="sidebar_language").set_value("zh").run()
    assert "生日 （41 岁）" in _texts(at)
