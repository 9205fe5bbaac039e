"""The satisfaction rollups (satisfaction_months, satisfaction_alert_months) stay in step with the responses through
every write of the app, and the dashboard's figures and trend read from them equal the figures read from the
responses alone, for filter sets and periods of every shape, on every database."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from crm.customers.duplicates import merge_customers
from crm.customers.service import (
    archive_customer,
    bulk_reassign,
    get_customer,
    restore_customer,
    update_customer,
)
from crm.platform import clock
from crm.platform.permissions import SYSTEM, Actor
from crm.platform.rollups import check, ensure_built, rollups, stored
from crm.platform.settings import update_settings
from crm.platform.uow import transaction
from crm.satisfaction import (
    CampaignInput,
    SatisfactionFilters,
    archive_response,
    close_alert,
    create_campaign,
    import_responses,
    monthly_trend,
    record_response,
    response_detail,
    run_campaign,
    satisfaction_figures,
)
from crm.satisfaction import figures as figures_module
from db.engine import Sessions
from db.models import Customer, Department, SurveyResponse, User
from tests.crm.customers.customer_fixtures import count_statements
from tests.crm.satisfaction.conftest import SurveyWorld, answer, make_customer, make_user

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)  # Monday 7 December 2026, 11:00 in Shanghai
TODAY = dt.date(2026, 12, 7)
IN_STEP = {"satisfaction_months": 0, "satisfaction_alert_months": 0}


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with clock.frozen_at(NOW):
        yield


def differences(sessions: Sessions) -> dict[str, int]:
    """Keys of each satisfaction rollup whose stored measures differ from a recount."""
    with sessions.read() as session:
        found = check(session.connection())
    return {name: n for name, n in found.items() if name in IN_STEP}


def kept_rows(sessions: Sessions) -> dict[str, int]:
    """How many rows each satisfaction rollup holds."""
    with sessions.read() as session:
        return {r.name: len(stored(session.connection(), r)) for r in rollups() if r.name in IN_STEP}


def version_of(sessions: Sessions, customer_id: int) -> int:
    with sessions.read() as session:
        return int(session.scalar(select(Customer.version).where(Customer.id == customer_id)) or 0)


def code_of(sessions: Sessions, customer_id: int) -> str:
    with sessions.read() as session:
        return str(session.scalar(select(Customer.code).where(Customer.id == customer_id)))


# --- in step with every write ------------------------------------------------------------------------------------


def test_the_rollups_stay_in_step_through_every_write_of_a_response(
    sessions: Sessions, survey_world: SurveyWorld
) -> None:
    w = survey_world
    ensure_built(sessions)  # the calendar and every rollup, as the first read after the migration builds them
    assert differences(sessions) == IN_STEP
    # Recorded: today (now) and on earlier days, alerts among them, two at the same instant.
    alert_id = record_response(sessions, actor=w.staff, data=answer(w, overall=2, nps=3))
    record_response(sessions, actor=w.staff, data=answer(w, overall=5, nps=10))
    record_response(sessions, actor=w.staff, data=answer(w, responded_on=dt.date(2026, 10, 30), nps=4))
    record_response(sessions, actor=w.manager, data=answer(w, responded_on=dt.date(2026, 11, 1), overall=None))
    assert differences(sessions) == IN_STEP
    assert kept_rows(sessions) == {"satisfaction_months": 3, "satisfaction_alert_months": 2}

    # Imported.
    other_code = code_of(sessions, w.other_customer_id)
    rows = [
        ["customer_code", "date", "channel", "overall", "nps"],
        [code_of(sessions, w.customer_id), "2026-09-30", "phone", "1", "2"],
        [other_code, "2026-10-01", "online", "4", "9"],
        [other_code, "2026-11-15", "online", "2", ""],
    ]
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    report = import_responses(
        sessions, actor=w.manager, filename="survey.csv", data=buffer.getvalue().encode("utf-8-sig")
    )
    assert report.added == 3
    assert differences(sessions) == IN_STEP

    # An alert closed (counts nothing) and a response archived (counts no more).
    close_alert(sessions, actor=w.manager, response_id=alert_id, version=1, note="Called back")
    assert differences(sessions) == IN_STEP
    detail = response_detail(sessions, actor=w.manager, response_id=alert_id)
    archive_response(sessions, actor=w.manager, response_id=alert_id, version=detail.version)
    assert differences(sessions) == IN_STEP

    # A campaign run and answered.
    campaign_id = create_campaign(
        sessions,
        actor=w.manager,
        data=CampaignInput(name="Year-end", template_id=w.template_id, starts_on=TODAY, ends_on=None, due_in_days=7),
    )
    run_campaign(sessions, actor=w.manager, campaign_id=campaign_id)
    record_response(sessions, actor=w.staff, data=answer(w, campaign_id=campaign_id, nps=6))
    assert differences(sessions) == IN_STEP

    # The customers' segments move their responses: owner, region, archived and restored, merged.
    bulk_reassign(sessions, actor=w.manager, customer_ids=[w.customer_id], owner_id=w.other_staff.id)
    assert differences(sessions) == IN_STEP
    update_customer(
        sessions,
        actor=w.manager,
        customer_id=w.other_customer_id,
        version=version_of(sessions, w.other_customer_id),
        changes={"region": "east", "industry": "manufacturing"},
    )
    assert differences(sessions) == IN_STEP
    archive_customer(sessions, actor=w.manager, customer_id=w.customer_id, version=version_of(sessions, w.customer_id))
    assert differences(sessions) == IN_STEP
    restore_customer(sessions, actor=w.manager, customer_id=w.customer_id, version=version_of(sessions, w.customer_id))
    assert differences(sessions) == IN_STEP
    merge_customers(sessions, actor=w.manager, survivor_id=w.other_customer_id, duplicate_id=w.customer_id)
    assert get_customer(sessions, actor=w.manager, customer_id=w.customer_id).archived_at is not None
    assert differences(sessions) == IN_STEP

    # A new time zone moves the months.
    update_settings(sessions, actor=w.admin, changes={"timezone": "Europe/London"})
    assert differences(sessions) == IN_STEP


# --- the same figures as the responses give ------------------------------------------------------------------------


def local(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), SH).astimezone(dt.UTC)


@pytest.fixture
def spread(sessions: Sessions) -> dict[str, Any]:
    """Customers of two owners in two departments, of every tier, industry and region, with some 700 responses from
    October 2025 to 20 January 2027 (a few after now): alerts followed and not, at midnight on a month's first day
    and late on its last, several at the same instant, some archived; one customer archived."""
    manager = make_user(sessions, "lina", "manager")
    staff = make_user(sessions, "wei", "staff")
    other = make_user(sessions, "olivia", "staff")
    with transaction(sessions, actor=SYSTEM) as session:
        sales = Department(code="sales", name="Sales", name_zh="销售部", function="sales")
        service = Department(code="service", name="Service", name_zh="客服部", function="service")
        session.add_all([sales, service])
        session.flush()
        departments = (sales.id, service.id)
        for user, department in ((staff, sales.id), (other, service.id)):
            session.get(User, user.id).department_id = department  # type: ignore[union-attr]
    ensure_built(sessions)
    rng = random.Random(17)
    customers = []
    for n in range(24):
        owner = (staff, other, None)[n % 3]
        customer_id, _contact = make_customer(
            sessions,
            owner_id=owner.id if owner else None,
            department_id=departments[n % 2] if n % 5 else None,
            value_tier=("high", "medium", "low", None)[n % 4],
            industry=("manufacturing", "retail", None)[n % 3 if n % 2 else 0],
            region=("east", "north", None)[(n // 2) % 3],
        )
        customers.append(customer_id)
    first, last = dt.date(2025, 10, 1), dt.date(2027, 1, 20)
    with transaction(sessions, actor=SYSTEM) as session:
        for _ in range(700):
            customer_id = rng.choice(customers)
            day = first + dt.timedelta(days=rng.randrange((last - first).days + 1))
            shape = rng.random()
            if shape < 0.06:
                at = local(day.replace(day=1), 0)  # the month's first instant
            elif shape < 0.12:
                next_month = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
                at = local(next_month - dt.timedelta(days=1), 23, 59)  # the last minute of the month
            else:
                at = local(day, rng.randrange(24), rng.randrange(60))
            at = min(at, local(last, 23, 59))
            overall = rng.choice([None, 1, 2, 3, 4, 4, 5, 5])
            nps = rng.choice([None, 0, 3, 6, 7, 8, 9, 10, 10])
            copies = 2 if rng.random() < 0.05 else 1  # the same customer answering twice at one instant
            for _copy in range(copies):
                session.add(
                    SurveyResponse(
                        customer_id=customer_id,
                        channel="phone",
                        responded_at=at,
                        overall_score=overall,
                        nps=nps,
                        alert=(nps is not None and nps <= 6) or (overall is not None and overall <= 2),
                        archived_at=at if rng.random() < 0.04 else None,
                    )
                )
    archive_customer(sessions, actor=manager, customer_id=customers[5], version=version_of(sessions, customers[5]))
    assert differences(sessions) == IN_STEP
    return {
        "manager": manager,
        "staff": staff,
        "other": other,
        "sales": departments[0],
        "service": departments[1],
    }


PERIODS = [
    (dt.date(2026, 1, 1), TODAY),  # the last 12 months
    (dt.date(2025, 1, 1), dt.date(2025, 12, 7)),  # the year before (starting before the first response)
    (dt.date(2026, 1, 1), dt.date(2026, 12, 31)),  # a year running past today
    (dt.date(2026, 7, 1), dt.date(2026, 9, 30)),  # a quarter
    (dt.date(2026, 3, 17), dt.date(2026, 8, 12)),  # both ends inside months, read from the responses
    (dt.date(2026, 3, 3), dt.date(2026, 8, 28)),  # both ends inside months, the whole months less a few days
    (dt.date(2026, 5, 10), dt.date(2026, 5, 20)),  # inside one month
    (dt.date(2026, 5, 20), dt.date(2026, 6, 10)),  # two months in part
    (dt.date(2026, 6, 1), dt.date(2026, 6, 1)),  # one day, a month's first
    (dt.date(2020, 1, 1), dt.date(2020, 12, 31)),  # before the first response
    (dt.date(2027, 3, 1), dt.date(2027, 5, 31)),  # after the last
    (dt.date(2026, 2, 1), dt.date(2027, 1, 21)),  # running past LAST_ANSWERED, into the month of the last answers
    (dt.date(2027, 1, 1), dt.date(2027, 1, 21)),
    (dt.date(2026, 10, 10), dt.date(2027, 1, 25)),
]
# Just after the last response (20 January 2027, 23:59 in Shanghai): no response is dated after it.
LAST_ANSWERED = dt.datetime(2027, 1, 20, 18, 0, tzinfo=dt.UTC)


def filter_sets(world: dict[str, Any]) -> list[SatisfactionFilters]:
    return [
        SatisfactionFilters(),
        SatisfactionFilters(owner_id=world["staff"].id),
        SatisfactionFilters(department_id=world["sales"], value_tier="medium", region="east"),
        SatisfactionFilters(value_tier="none"),
        SatisfactionFilters(industry="retail", region="north"),
    ]


def from_responses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the figures read the responses alone, as before the rollups."""
    monkeypatch.setattr(figures_module, "_segment", lambda _actor, _filters: None)


@pytest.mark.parametrize(
    "now",
    [NOW, LAST_ANSWERED, dt.datetime(2027, 6, 1, tzinfo=dt.UTC)],
    ids=["responses-after-now", "just-after-the-last-response", "later"],
)
def test_the_figures_from_the_rollups_equal_the_figures_from_the_responses(
    sessions: Sessions, spread: dict[str, Any], monkeypatch: pytest.MonkeyPatch, now: dt.datetime
) -> None:
    actors: list[Actor] = [spread["manager"], spread["staff"]]
    cases = [(actor, f, start, end) for actor in actors for f in filter_sets(spread) for start, end in PERIODS]

    def read_all() -> list[Any]:
        return [
            (
                satisfaction_figures(sessions, actor=actor, start=start, end=end, filters=f, now=now, dimensions=False),
                monthly_trend(sessions, actor=actor, start=start, end=end, filters=f),
            )
            for actor, f, start, end in cases
        ]

    from_rollups = read_all()
    from_responses(monkeypatch)
    expected = read_all()
    for case, got, want in zip(cases, from_rollups, expected, strict=True):
        assert got == want, case
    # The data set is not empty where it matters: the last 12 months have responses and recovered customers.
    last_year = expected[0][0]
    assert last_year.responses > 300
    assert last_year.recovery.alerted_customers > 10
    assert 0 < last_year.recovery.recovered < last_year.recovery.with_later_response


def test_a_filter_off_the_segment_reads_the_responses(sessions: Sessions, spread: dict[str, Any]) -> None:
    """The stage, the channel, the template and the campaign are not rollup keys: such figures read the
    responses, and agree with the unfiltered ones when the filter picks every response."""
    manager = spread["manager"]
    start, end = PERIODS[0]
    every = satisfaction_figures(sessions, actor=manager, start=start, end=end, now=NOW, dimensions=False)
    phone = satisfaction_figures(
        sessions,
        actor=manager,
        start=start,
        end=end,
        now=NOW,
        dimensions=False,
        filters=SatisfactionFilters(channel="phone"),
    )
    assert phone == every


def test_the_dashboard_figures_read_the_rollups_and_the_days_outside_whole_months(
    sessions: Sessions, spread: dict[str, Any]
) -> None:
    manager = spread["manager"]
    later = dt.datetime(2027, 6, 1, tzinfo=dt.UTC)
    with count_statements(sessions) as statements:
        satisfaction_figures(sessions, actor=manager, start=dt.date(2026, 1, 1), end=TODAY, now=later, dimensions=False)
    text = "\n".join(statements)
    assert "satisfaction_months" in text and "satisfaction_alert_months" in text
    with count_statements(sessions) as statements:
        monthly_trend(sessions, actor=manager, start=dt.date(2026, 1, 1), end=dt.date(2026, 11, 30))
    reads = [s for s in statements if "survey_responses" in s]
    assert reads == [], "whole months only: the responses are not read"
