"""The satisfaction page: every tab for every role, recording a response (its values, field errors, the alert and
its task), the overview's figures ("No data" on an empty database), templates, campaigns, alerts, and Chinese."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from crm.demo.service import DEMO_ACCOUNTS, load_demo
from crm.platform.i18n import t
from crm.platform.permissions import Actor
from crm.platform.users import get_user
from crm.satisfaction import ResponseInput, TemplateInput, create_template, record_response
from db.engine import Sessions, make_session_factory
from db.models import Customer, FollowUpTask, SurveyResponse, SurveyScore, SurveyTemplate
from tests.app.conftest import APP, TIMEOUT, sign_in
from tests.crm.follow_ups.follow_up_factories import make_contact, make_customer

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
            assert not at.main.get("form"), f"a viewer sees no form ({code})"


def _record_form(template: int, customer: int, revision: int = 0, prefix: str = "satisfaction_record") -> str:
    return f"{prefix}_{template}_{customer}_r{revision}"


def test_staff_record_a_response_and_its_values_are_stored(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff, I find my customer, answer the dimensions I was told (one left unanswered), the overall score, the
    likelihood to recommend and a comment, and the response is stored as I entered it, with no alert."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="Acme Trading")
    make_contact(role_accounts, customer, name="Li Lei", is_primary=True)
    template = _template(role_accounts)
    at = _open(signed_in, "staff", "record")
    at.text_input(key="satisfaction_record_customer_search").input("Acme").run()
    form = _record_form(template, customer)
    at.selectbox(key=f"{form}_channel").set_value("visit")
    at.radio(key=f"{form}_overall").set_value(4)
    at.radio(key=f"{form}_nps").set_value(9)
    at.radio(key=f"{form}_dim_product_quality").set_value(5)
    at.radio(key=f"{form}_dim_service_attitude").set_value(3)
    at.text_area(key=f"{form}_comment").input("Good product, slow answers.")
    at.button(key=f"{form}_submit").click().run()
    _fine(at)
    with role_accounts.read() as session:
        response = session.scalars(select(SurveyResponse)).one()
        assert (response.customer_id, response.channel, response.overall_score, response.nps) == (
            customer,
            "visit",
            4,
            9,
        )
        assert response.comment == "Good product, slow answers." and response.contact_id is not None
        assert response.recorded_by_id == staff.id and response.alert is False
        scores = dict(session.execute(select(SurveyScore.dimension, SurveyScore.score)).tuples().all())
    assert scores == {"product_quality": 5, "service_attitude": 3}
    assert t("satisfaction.page.saved", customer="Acme Trading") in [s.value for s in at.success]
    assert t("satisfaction.page.no_alert") in [i.value for i in at.info]


def test_a_response_with_nothing_answered_is_explained_in_the_form(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff, I save the form without any answer: nothing is stored and the form says what is missing."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="Acme Trading")
    template = _template(role_accounts)
    at = _open(signed_in, "staff", "record")
    at.text_input(key="satisfaction_record_customer_search").input("Acme").run()
    at.button(key=f"{_record_form(template, customer)}_submit").click().run()
    _fine(at)
    errors = [e.value for e in at.error]
    assert t("satisfaction.error.nothing_answered") in errors and t("error.validation") in errors
    with role_accounts.read() as session:
        assert session.scalars(select(SurveyResponse)).first() is None


def test_nps_three_raises_an_alert_with_a_task_for_the_owner_that_the_alerts_tab_lists(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As a manager, I record an NPS of 3 for a customer staff own: the page says an alert was raised and a
    callback was planned for the owner; the Alerts tab lists it with the task; closing it with a note empties it."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="Acme Trading")
    template = _template(role_accounts)
    at = _open(signed_in, "manager", "record")
    at.text_input(key="satisfaction_record_customer_search").input("Acme").run()
    form = _record_form(template, customer)
    at.radio(key=f"{form}_nps").set_value(3)
    at.button(key=f"{form}_submit").click().run()
    _fine(at)
    with role_accounts.read() as session:
        response = session.scalars(select(SurveyResponse)).one()
        task = session.scalars(select(FollowUpTask).where(FollowUpTask.source_survey_id == response.id)).one()
        assert response.alert is True and (task.owner_id, task.purpose, task.status) == (staff.id, "survey", "open")
        response_id, task_id = response.id, task.id
    warning = " ".join(w.value for w in at.warning)
    assert t("purpose.survey") in warning and "Staff User" in warning
    _tab(at, "alerts")
    texts = _texts(at)
    assert t("satisfaction.page.alerts_count") in texts
    assert [m.value for m in at.metric if m.label == t("satisfaction.page.alerts_count")] == ["1"]
    table = at.dataframe[0].value
    assert list(table[t("satisfaction.page.col.customer")]) == ["Acme Trading"]
    assert list(table[t("satisfaction.page.col.nps")]) == ["3"]
    assert t("purpose.survey") in table[t("satisfaction.page.col.task")][0]
    assert list(table[t("satisfaction.page.col.link")]) == [f"/customers?customer={customer}"]
    close = f"satisfaction_a_close_{response_id}"
    at.text_area(key=f"{close}_note").input("Called back, replaced the part.")
    at.button(key=f"{close}_submit").click().run()
    _fine(at)
    assert t("satisfaction.page.alerts_none") in [i.value for i in at.info]
    with role_accounts.read() as session:
        assert session.get(SurveyResponse, response_id).alert_closed_at is not None  # type: ignore[union-attr]
        assert session.get(FollowUpTask, task_id).status == "done"  # type: ignore[union-attr]


def test_the_overview_says_no_data_on_an_empty_database(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As a manager on a database without responses, every figure reads "No data", never 0."""
    at = _open(signed_in, "manager")
    values = {m.label: m.value for m in at.metric}
    no_data = t("satisfaction.page.no_data")
    assert values[t("satisfaction.page.csat")] == no_data
    assert values[t("satisfaction.figures.nps")] == no_data
    assert values[t("satisfaction.figures.recovery_rate")] == no_data
    assert values[t("satisfaction.page.responses")] == "0"
    assert t("satisfaction.page.empty") in [i.value for i in at.info]


def test_the_overview_shows_the_figures_and_a_clicked_bar_lists_its_responses(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As a manager, the overview computes CSAT, NPS and recovery from the responses, and the responses behind a
    value tier's bar are listed under the chart."""
    staff = _actor(role_accounts, "staff")
    high = make_customer(role_accounts, owner=staff, name="Acme Trading", value_tier="high")
    low = make_customer(role_accounts, owner=staff, name="Beta Retail", value_tier="low")
    template = _template(role_accounts)
    yesterday = dt.date.today() - dt.timedelta(days=1)
    _record(role_accounts, staff, high, template, overall=2, nps=3, responded_on=yesterday)  # an alert
    _record(role_accounts, staff, high, template, overall=5, nps=10)  # recovered
    _record(role_accounts, staff, low, template, overall=4, nps=8)
    at = _open(signed_in, "manager")
    values = {m.label: m.value for m in at.metric}
    assert values[t("satisfaction.page.csat")] == "3.67"  # (2 + 5 + 4) / 3
    assert values[t("satisfaction.figures.nps")] == "+0.0"  # 1 promoter, 1 detractor of 3
    assert values[t("satisfaction.page.responses")] == "3"
    assert values[t("satisfaction.figures.recovery_rate")] == "100.0%"
    assert t("satisfaction.page.csat_share", share="66.7%", n="3") in _texts(at)
    breakdown = at.dataframe[0].value
    assert list(breakdown[t("satisfaction.page.group")]) == [t("tier.high"), t("tier.low")]
    assert list(breakdown[t("satisfaction.page.count")]) == [2, 1]
    at.session_state["satisfaction_ov_behind"] = {"by": "value_tier", "code": "low"}
    at.run()
    _fine(at)
    assert t("satisfaction.page.behind", what=t("tier.low")) in _texts(at)
    behind = at.dataframe[1].value
    assert list(behind[t("satisfaction.page.col.customer")]) == ["Beta Retail"]
    at.button(key="satisfaction_ov_behind_open").click().run()
    _fine(at)
    assert at.session_state[TAB] == t("satisfaction.tab.responses")
    assert list(at.dataframe[0].value[t("satisfaction.page.col.customer")]) == ["Beta Retail"]


def test_editing_a_template_in_use_makes_a_new_revision(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As a manager, I add a dimension of our own to a template that has responses: the page says it is saved as
    revision 2 and the old responses keep revision 1."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="Acme Trading")
    template = _template(role_accounts)
    _record(role_accounts, staff, customer, template, overall=4)
    at = _open(signed_in, "manager", "templates")
    form = f"satisfaction_t_form_{template}_r0"
    assert t("satisfaction.page.template.in_use_note", n=1, revision=2) in _texts(at)
    at.text_area(key=f"{form}_own").input("Delivery on time | 准时交付")
    at.button(key=f"{form}_submit").click().run()
    _fine(at)
    assert t("satisfaction.page.template.revised", name="Quarterly survey", revision=2, old=1) in [
        s.value for s in at.success
    ]
    with role_accounts.read() as session:
        rows = session.execute(
            select(
                SurveyTemplate.revision, SurveyTemplate.is_active, SurveyTemplate.dimensions, SurveyTemplate.labels
            ).order_by(SurveyTemplate.revision)
        ).all()
    assert [(r.revision, r.is_active) for r in rows] == [(1, False), (2, True)]
    assert rows[1].dimensions == [*DIMENSIONS, "delivery_on_time"]
    assert rows[1].labels == {"delivery_on_time": ["Delivery on time", "准时交付"]}


def test_a_manager_creates_and_runs_a_campaign(signed_in: Callable[[str], AppTest], role_accounts: Sessions) -> None:
    """As a manager, I create a campaign for the high tier, count who it asks, run it (one survey task for each
    owner), and running it again adds no one."""
    staff = _actor(role_accounts, "staff")
    make_customer(role_accounts, owner=staff, name="Acme Trading", value_tier="high")
    make_customer(role_accounts, owner=staff, name="Beta Retail", value_tier="low")
    _template(role_accounts)
    at = _open(signed_in, "manager", "campaigns")
    form = "satisfaction_c_new_r0"
    at.text_input(key=f"{form}_name").input("Spring check")
    at.multiselect(key=f"{form}_tiers").set_value(["high"])
    at.button(key=f"{form}_preview").click().run()
    _fine(at)
    assert t("satisfaction.campaign.preview", count="1") in [i.value for i in at.info]
    at.button(key=f"{form}_create").click().run()
    _fine(at)
    assert t("satisfaction.page.campaign.created", name="Spring check") in [s.value for s in at.success]
    campaign = at.session_state["satisfaction_c_pick"]
    at.button(key=f"satisfaction_c_{campaign}_run").click().run()
    _fine(at)
    ran = t("satisfaction.campaign.ran", added="1", tasks="1", already="0", no_owner="0")
    assert ran in [s.value for s in at.success]
    with role_accounts.read() as session:
        tasks = session.scalars(select(FollowUpTask).where(FollowUpTask.purpose == "satisfaction_survey")).all()
        assert [(task.owner_id, task.status) for task in tasks] == [(staff.id, "open")]
    members = at.dataframe[1].value
    assert list(members[t("satisfaction.page.col.customer")]) == ["Acme Trading"]
    at.button(key=f"satisfaction_c_{campaign}_run").click().run()
    _fine(at)
    assert t("satisfaction.campaign.ran", added="0", tasks="0", already="1", no_owner="0") in [
        s.value for s in at.success
    ]


def test_the_page_reads_in_chinese(signed_in: Callable[[str], AppTest], role_accounts: Sessions) -> None:
    """As a manager working in Chinese, the tabs, the figures, the form and its options are in Chinese."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="星河科技")
    template = _template(role_accounts)
    _record(role_accounts, staff, customer, template, overall=5, nps=9)
    at = _open(signed_in, "manager", language="zh")
    assert [tab.label for tab in at.tabs] == [t(f"satisfaction.tab.{code}", "zh") for code in TABS]
    assert at.title[0].value == "满意度"
    labels = [m.label for m in at.metric]
    assert t("satisfaction.page.csat", "zh") in labels and t("satisfaction.figures.recovery_rate", "zh") in labels
    assert {m.value for m in at.metric if m.label == t("satisfaction.figures.recovery_rate", "zh")} == {"无数据"}
    _tab(at, "record", "zh")
    form = _record_form(template, customer)
    assert at.radio(key=f"{form}_overall").label == "总体满意度（1–5）"
    assert at.radio(key=f"{form}_dim_product_quality").label == "产品质量"
    assert "未作答" in at.radio(key=f"{form}_nps").options
    assert at.selectbox(key=f"{form}_channel").options[:2] == ["电话", "问卷"]


def test_the_customer_360_lists_the_responses_and_records_one(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff in my customer's 360 view, the Satisfaction tab lists their responses and records a new one."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="Acme Trading")
    template = _template(role_accounts)
    _record(role_accounts, staff, customer, template, overall=4, nps=8, comment="Fine")
    at = signed_in("staff")
    at.switch_page("pages/customers.py")
    at.query_params["customer"] = str(customer)
    at.run()
    _fine(at)
    assert t("customers.tab.satisfaction") in [tab.label for tab in at.tabs]
    assert t("satisfaction.page.customer_responses", n=1) in _texts(at)
    form = _record_form(template, customer, prefix="satisfaction_360_record")
    at.radio(key=f"{form}_overall").set_value(5)
    at.button(key=f"{form}_submit").click().run()
    _fine(at)
    with role_accounts.read() as session:
        assert sorted(session.scalars(select(SurveyResponse.overall_score))) == [4, 5]
    assert t("satisfaction.page.customer_responses", n=2) in _texts(at)


def test_an_alert_whose_callback_was_completed_is_no_longer_listed(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As staff, I complete the callback an NPS of 2 gave me, logging the call at the five-minute step the form
    offers (before the minute the response was recorded): the Alerts tab no longer lists the alert."""
    from crm.follow_ups.service import complete_follow_up

    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="Acme Trading")
    response = _record(role_accounts, staff, customer, _template(role_accounts), nps=2)
    with role_accounts.read() as session:
        task_id, version = session.execute(
            select(FollowUpTask.id, FollowUpTask.version).where(FollowUpTask.source_survey_id == response)
        ).one()
        responded_at = session.get(SurveyResponse, response).responded_at  # type: ignore[union-attr]
    at = _open(signed_in, "staff", "alerts")
    assert [m.value for m in at.metric if m.label == t("satisfaction.page.alerts_count")] == ["1"]
    complete_follow_up(
        role_accounts,
        actor=staff,
        task_id=task_id,
        version=version,
        channel="phone",
        occurred_at=responded_at.replace(second=0, microsecond=0) - dt.timedelta(minutes=3),
        summary="Called back",
    )
    at.run()
    _fine(at)
    assert t("satisfaction.page.alerts_none") in [i.value for i in at.info]


def test_the_tabs_do_not_grow_with_the_number_of_responses(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As a manager, a rerun of the Responses and Alerts tabs costs as many statements with 24 low scores on the
    page as with 2 of one customer (no query per row), and a rerun of the overview reads its figures from the
    cache."""
    from tests.app.test_query_counts import counting_statements

    staff = _actor(role_accounts, "staff")
    template = _template(role_accounts)
    customers = [make_customer(role_accounts, owner=staff, name=f"Customer {i:02d}") for i in range(12)]
    for nps in (1, 2):  # the second alert is covered by the callback the first one gave
        _record(role_accounts, staff, customers[0], template, overall=1, nps=nps, scores={"product_quality": 1})
    at = _open(signed_in, "manager")
    at.run()
    with counting_statements() as overview:
        at.run()
    counts: dict[str, int] = {}
    for tab in ("responses", "alerts"):
        _tab(at, tab)
        with counting_statements() as few:
            at.run()
        counts[tab] = len(few)
    for customer in customers[1:]:
        for nps in (1, 2):
            _record(role_accounts, staff, customer, template, overall=1, nps=nps, scores={"product_quality": 1})
    for tab in ("responses", "alerts"):
        _tab(at, tab)
        with counting_statements() as many:
            at.run()
        _fine(at)
        assert len(many) == counts[tab], (tab, counts[tab], many)
    assert len(overview) <= 3, overview  # the sign-in checks; the figures come from the cache


def test_a_manager_reads_a_response_and_archives_a_mistaken_one(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As a manager, I open a response from the list: its scores per dimension (unanswered ones said so), its
    comment and who recorded it; I archive it and it leaves the list."""
    staff = _actor(role_accounts, "staff")
    customer = make_customer(role_accounts, owner=staff, name="Acme Trading")
    template = _template(role_accounts)
    kept = _record(role_accounts, staff, customer, template, overall=5, nps=10, responded_on=dt.date(2026, 1, 5))
    mistaken = _record(
        role_accounts, staff, customer, template, overall=1, nps=0, scores={"product_quality": 1}, comment="Wrong one"
    )
    at = _open(signed_in, "manager", "responses")
    assert [m.value for m in at.metric if m.label == t("satisfaction.page.in_list")] == ["2"]
    at.selectbox(key="satisfaction_r_pick").set_value(mistaken)
    at.button(key="satisfaction_r_pick_open").click().run()
    _fine(at)
    assert at.session_state["satisfaction_r_open"] == mistaken
    scores = at.dataframe[1].value
    assert list(scores[t("satisfaction.figures.dimension")][:2]) == [t("satisfaction.dimension.product_quality")] + [
        t("satisfaction.dimension.service_attitude")
    ]
    assert list(scores[t("satisfaction.page.score")][:2]) == ["1", t("satisfaction.unanswered")]
    assert "Staff User" in _texts(at) and "Wrong one" in [x.value for x in at.text]
    at.button(key=f"satisfaction_r_archive_{mistaken}").click().run()
    _fine(at)
    assert t("satisfaction.page.archived") in [s.value for s in at.success]
    assert [m.value for m in at.metric if m.label == t("satisfaction.page.in_list")] == ["1"]
    with role_accounts.read() as session:
        archived = dict(session.execute(select(SurveyResponse.id, SurveyResponse.archived_at)).tuples().all())
    assert archived[mistaken] is not None and archived[kept] is None


def test_a_manager_dry_runs_and_imports_a_file_of_responses(
    signed_in: Callable[[str], AppTest], role_accounts: Sessions
) -> None:
    """As a manager, I upload a file of two responses, one with an NPS of 11: the dry run names the bad row and
    writes nothing; the import writes the good one; a dry run of the same file then finds it already imported."""
    staff = _actor(role_accounts, "staff")
    make_customer(role_accounts, owner=staff, name="Acme Trading")
    with role_accounts.read() as session:
        code = session.scalars(select(Customer.code)).one()
    _template(role_accounts)
    data = (
        "customer code,date,channel,template,overall,nps,comment\n"
        f"{code},2026-03-02,phone,Quarterly survey,4,9,Fine\n"
        f"{code},2026-03-03,phone,Quarterly survey,2,11,Typo\n"
    ).encode("utf-8-sig")
    at = _open(signed_in, "manager", "import")
    at.file_uploader(key="satisfaction_import_file").set_value(("responses.csv", data, "text/csv"))
    at.run()
    _fine(at)
    at.button(key="satisfaction_import_dry_run").click().run()
    _fine(at)
    assert t("imports.panel.dry_run_done") in [i.value for i in at.info]
    counts = {m.label: m.value for m in at.metric}
    assert (counts[t("satisfaction.page.import.added")], counts[t("imports.count.bad")]) == ("1", "1")
    problems = at.dataframe[-1].value
    assert list(problems[t("imports.report.line")]) == [3]
    with role_accounts.read() as session:
        assert session.scalars(select(SurveyResponse)).first() is None
    at.button(key="satisfaction_import_run").click().run()
    _fine(at)
    assert t("imports.panel.done") in [s.value for s in at.success]
    with role_accounts.read() as session:
        assert [(r.nps, r.comment) for r in session.scalars(select(SurveyResponse))] == [(9, "Fine")]
    at.button(key="satisfaction_import_dry_run").click().run()
    _fine(at)
    counts = {m.label: m.value for m in at.metric}
    assert (counts[t("satisfaction.page.import.added")], counts[t("satisfaction.page.import.already")]) == ("0", "1")


@pytest.fixture
def demo_database(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Sessions:
    """The backend's migrated database with a small demo data set (surveys, campaigns, alerts), used by the app."""
    monkeypatch.setenv("CRM_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("CRM_COOKIE_KEY", "test-cookie-key-that-is-long-enough-for-hs256")
    sessions = make_session_factory(engine)
    load_demo(sessions, customers=40, seed=3)
    return sessions


@pytest.mark.parametrize(("role", "language"), [("manager", "zh"), ("staff", "en")])
def test_every_tab_runs_its_queries_on_each_database(demo_database: Sessions, role: str, language: str) -> None:
    """On demo data in SQLite, PostgreSQL and MariaDB, each tab of the page (a bar's responses, a response's detail
    and a campaign's members included) renders without an error."""
    passwords = {account.username: account.password for account in DEMO_ACCOUNTS}
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    sign_in(at, role, passwords[role])
    if at.selectbox(key="sidebar_language").value != language:
        at.selectbox(key="sidebar_language").set_value(language).run()
    at.switch_page(PAGE).run()
    _fine(at, language)
    assert {m.label for m in at.metric} >= {t("satisfaction.page.responses", language)}
    at.session_state["satisfaction_ov_behind"] = {"by": "value_tier", "code": "high"}
    at.run()
    _fine(at, language)
    tabs = TABS if role == "manager" else TABS[:4]
    for code in tabs[1:]:
        _tab(at, code, language)
        assert not at.error, (code, [e.value for e in at.error])
        if code == "responses":
            at.button(key="satisfaction_r_pick_open").click().run()
            _fine(at, language)
            assert at.session_state["satisfaction_r_open"] is not None
