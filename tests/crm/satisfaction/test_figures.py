"""The satisfaction figures (CSAT, NPS and its interval, dimensions, trend, breakdowns, fallen scores, recovery)
against hand-computed values, on every database."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from crm.platform.errors import ValidationError
from crm.platform.names import normalise_name
from crm.platform.permissions import SYSTEM, Actor
from crm.platform.uow import transaction
from crm.platform.users import create_user
from crm.satisfaction.figures import (
    Csat,
    DimensionMean,
    Nps,
    Recovery,
    SatisfactionFigures,
    SatisfactionFilters,
    breakdown,
    fallen_scores,
    monthly_trend,
    nps_from_counts,
    recovery_by,
    satisfaction_figures,
)
from db.engine import Sessions
from db.models import Customer, Department, SurveyResponse, SurveyScore, SurveyTemplate, User
from tests.crm.customers.customer_fixtures import count_statements

SH = ZoneInfo("Asia/Shanghai")  # the company's zone (the default)
MARCH, APRIL, MAY = dt.date(2026, 3, 1), dt.date(2026, 4, 1), dt.date(2026, 5, 1)
START, END = MARCH, dt.date(2026, 5, 31)  # the period of most tests: March to May 2026
NOW = dt.datetime(2026, 7, 1, 2, 0, tzinfo=dt.UTC)  # when the figures are read (recovery's "up to now")
_codes = itertools.count(1)


def local(month: int, day: int, hour: int = 10) -> dt.datetime:
    """An instant given as Shanghai time in 2026."""
    return dt.datetime(2026, month, day, hour, tzinfo=SH).astimezone(dt.UTC)


@dataclass(frozen=True)
class Company:
    manager: Actor
    staff: Actor  # owns the "own" customer
    other: Actor  # staff in another department
    viewer: Actor
    sales_id: int
    service_id: int
    template_id: int  # asks product, attitude, speed


def _user(sessions: Sessions, username: str, role: str, name: str) -> Actor:
    return create_user(
        sessions, actor=SYSTEM, username=username, display_name=name, password="secret-pass-1", role=role
    ).as_actor()


@pytest.fixture
def company(sessions: Sessions) -> Company:
    manager = _user(sessions, "lina", "manager", "李娜 Li Na")
    staff = _user(sessions, "zhangwei", "staff", "张伟 Zhang Wei")
    other = _user(sessions, "olivia", "staff", "Olivia Other")
    viewer = _user(sessions, "victor", "viewer", "Victor Viewer")
    with transaction(sessions, actor=SYSTEM) as session:
        sales = Department(code="sales", name="Sales", name_zh="销售部", function="sales")
        service = Department(code="service", name="Customer Service", name_zh="客服部", function="service")
        template = SurveyTemplate(name="Annual", dimensions=["product", "attitude", "speed"], labels={}, revision=1)
        session.add_all([sales, service, template])
        session.flush()
        template.family_id = template.id
        session.execute(update(User).where(User.id == staff.id).values(department_id=sales.id))
        session.execute(update(User).where(User.id == other.id).values(department_id=service.id))
        return Company(manager, staff, other, viewer, sales.id, service.id, template.id)


def customer(
    sessions: Sessions,
    owner: Actor | None,
    *,
    department_id: int | None = None,
    tier: str | None = None,
    stage: str = "signed",
    industry: str | None = None,
    region: str | None = None,
) -> int:
    number = next(_codes)
    name = f"Customer {number}"
    with transaction(sessions, actor=SYSTEM) as session:
        row = Customer(
            code=f"S{number:06d}",
            name=name,
            name_key=normalise_name(name),
            owner_id=owner.id if owner else None,
            department_id=department_id,
            value_tier=tier,
            lifecycle_stage=stage,
            industry=industry,
            region=region,
        )
        session.add(row)
        session.flush()
        return row.id


def respond(
    sessions: Sessions,
    customer_id: int,
    at: dt.datetime,
    *,
    overall: int | None = None,
    nps: int | None = None,
    scores: dict[str, int] | None = None,
    template_id: int | None = None,
    channel: str = "phone",
    archived: bool = False,
) -> int:
    """Record a response as stored (the alert flag as the low_survey rule sets it: NPS <= 6 or overall <= 2)."""
    with transaction(sessions, actor=SYSTEM) as session:
        row = SurveyResponse(
            customer_id=customer_id,
            channel=channel,
            responded_at=at,
            overall_score=overall,
            nps=nps,
            template_id=template_id,
            alert=(nps is not None and nps <= 6) or (overall is not None and overall <= 2),
            archived_at=at if archived else None,
        )
        session.add(row)
        session.flush()
        for dimension, score in (scores or {}).items():
            session.add(SurveyScore(response_id=row.id, dimension=dimension, score=score))
        return row.id


def figures(
    sessions: Sessions, actor: Actor, start: dt.date = START, end: dt.date = END, **filters: Any
) -> SatisfactionFigures:
    """The figures of the period as the actor reads them, at NOW."""
    return satisfaction_figures(
        sessions, actor=actor, start=start, end=end, filters=SatisfactionFilters(**filters), now=NOW
    )


# --- CSAT and NPS ------------------------------------------------------------------------------------------------


def test_an_empty_period_is_no_data_never_zero(sessions: Sessions, company: Company) -> None:
    result = figures(sessions, company.manager)
    assert result.responses == 0
    assert result.csat == Csat(responses=0, mean=None, satisfied=0, satisfied_share=None)
    assert result.nps == Nps(0, 0, 0, 0, None, None, None, True)
    assert result.dimensions == {}
    assert result.recovery == Recovery(0, 0, 0, None)


def test_one_response(sessions: Sessions, company: Company) -> None:
    respond(sessions, customer(sessions, company.staff), local(3, 5), overall=4, nps=9)
    result = figures(sessions, company.manager)
    assert result.responses == 1
    assert result.csat == Csat(responses=1, mean=4.0, satisfied=1, satisfied_share=1.0, score_sum=4)
    # One promoter: p+ = 1, p- = 0, var = (1 + 0 - 1²) / 1 = 0, so the interval is the point itself.
    assert result.nps == Nps(1, 1, 0, 0, 100.0, 100.0, 100.0, True)


def test_all_detractors(sessions: Sessions, company: Company) -> None:
    someone = customer(sessions, company.staff)
    for nps in (0, 3, 6):
        respond(sessions, someone, local(4, 10), overall=2, nps=nps)
    result = figures(sessions, company.manager)
    # p- = 1: NPS = -100 and var = (0 + 1 - (-1)²) / 3 = 0, the interval [-100, -100].
    assert result.nps == Nps(3, 0, 0, 3, -100.0, -100.0, -100.0, True)
    assert result.csat == Csat(responses=3, mean=2.0, satisfied=0, satisfied_share=0.0, score_sum=6)


def test_a_mixed_set_gives_the_hand_computed_csat_nps_and_interval(sessions: Sessions, company: Company) -> None:
    someone = customer(sessions, company.staff)
    answers = [(5, 10), (5, 9), (4, 9), (4, 10), (4, 9), (3, 8), (3, 7), (2, 8), (1, 4), (None, 0)]
    for overall, nps in answers:
        respond(sessions, someone, local(4, 1), overall=overall, nps=nps)
    respond(sessions, someone, local(4, 2), overall=5)  # an overall score without a likelihood to recommend
    result = figures(sessions, company.manager)
    assert result.responses == 11
    # CSAT: 10 overall scores 5+5+4+4+4+3+3+2+1+5 = 36, mean 3.6; satisfied (4-5) 6 of 10.
    assert result.csat == Csat(responses=10, mean=3.6, satisfied=6, satisfied_share=0.6, score_sum=36)
    # NPS: 10 answers, promoters 5 (10, 9, 9, 10, 9), passives 3 (8, 7, 8), detractors 2 (4, 0).
    # p+ = 0.5, p- = 0.2, NPS = 100 x 0.3 = 30; var = (0.5 + 0.2 - 0.3²) / 10 = 0.061,
    # half-width = 1.96 x 100 x sqrt(0.061) = 196 x 0.246982 = 48.40843; interval [-18.40843, 78.40843].
    nps = result.nps
    assert (nps.responses, nps.promoters, nps.passives, nps.detractors) == (10, 5, 3, 2)
    assert nps.score == pytest.approx(30.0, abs=1e-9)
    assert nps.low == pytest.approx(-18.40843, abs=1e-5)
    assert nps.high == pytest.approx(78.40843, abs=1e-5)
    assert nps.small_sample


def test_the_interval_is_clipped_and_small_samples_end_at_30() -> None:
    # 2 promoters, 1 detractor: p+ = 2/3, p- = 1/3, NPS 33.3333; var = (1 - 1/9) / 3 = 8/27, half-width
    # 196 x 0.544331 = 106.6889: [-73.3556, 139.9] clipped to 100 at the top.
    nps = nps_from_counts(2, 0, 1)
    assert nps.score == pytest.approx(100 / 3)
    assert (nps.low, nps.high) == (pytest.approx(-73.3556, abs=1e-4), 100.0)
    assert nps_from_counts(10, 10, 9).small_sample and not nps_from_counts(10, 10, 10).small_sample
    # 30 answers, 15 promoters, 15 passives: NPS 50, var = (0.5 - 0.5²) / 30 = 0.008333, half-width
    # 196 x 0.091287 = 17.89227: [32.10773, 67.89227].
    wide = nps_from_counts(15, 15, 0)
    assert (wide.low, wide.high) == (pytest.approx(32.10773, abs=1e-5), pytest.approx(67.89227, abs=1e-5))


def test_archived_responses_never_count(sessions: Sessions, company: Company) -> None:
    someone = customer(sessions, company.staff)
    respond(sessions, someone, local(3, 5), overall=5, nps=10)
    respond(sessions, someone, local(3, 6), overall=1, nps=0, archived=True)
    result = figures(sessions, company.manager)
    assert (result.responses, result.csat.mean, result.nps.score) == (1, 5.0, 100.0)
    assert result.recovery.alerted_customers == 0  # the archived response was the alert


def test_an_archived_customers_responses_do_not_count(sessions: Sessions, company: Company) -> None:
    kept, gone = customer(sessions, company.staff), customer(sessions, company.staff)
    respond(sessions, kept, local(3, 5), overall=5, nps=10)
    respond(sessions, gone, local(3, 5), overall=1, nps=0)
    with transaction(sessions, actor=SYSTEM) as session:
        session.execute(update(Customer).where(Customer.id == gone).values(archived_at=NOW))
    assert figures(sessions, company.manager).responses == 1
    assert figures(sessions, company.manager, region=None, owner_id=company.staff.id).responses == 1


def test_the_period_is_company_days(sessions: Sessions, company: Company) -> None:
    someone = customer(sessions, company.staff)
    respond(sessions, someone, local(3, 1, 1), overall=5)  # 1 March 01:00 Shanghai = 28 Feb 17:00 UTC: in
    respond(sessions, someone, local(2, 28, 23), overall=1)  # 28 Feb 23:00 Shanghai: before the period
    respond(sessions, someone, local(5, 31, 23), overall=4)  # 31 May 23:00 Shanghai: the last day, in
    respond(sessions, someone, local(6, 1, 0), overall=1)  # 1 June 00:00 Shanghai: after
    assert figures(sessions, company.manager).csat == Csat(2, 4.5, 2, 1.0, 9)


def test_a_period_ending_before_it_starts_is_refused(sessions: Sessions, company: Company) -> None:
    with pytest.raises(ValidationError) as error:
        figures(sessions, company.manager, start=END, end=START)
    assert error.value.fields["start"][0] == "satisfaction.figures.error.period"
    with pytest.raises(ValidationError) as error:
        breakdown(sessions, actor=company.manager, start=START, end=END, by="colour")
    assert error.value.fields["by"][0] == "satisfaction.figures.error.by"


def test_the_figures_read_in_five_statements(sessions: Sessions, company: Company) -> None:
    respond(sessions, customer(sessions, company.staff), local(3, 5), overall=4, nps=9, template_id=company.template_id)
    with count_statements(sessions) as statements:
        figures(sessions, company.manager)
    # the zone, CSAT and NPS per template, the dimensions, the templates' dimensions, the recovery
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 5, statements


# --- dimensions -------------------------------------------------------------------------------------------------


def test_dimension_means_leave_unanswered_dimensions_out_and_count_them(sessions: Sessions, company: Company) -> None:
    with transaction(sessions, actor=SYSTEM) as session:
        pulse = SurveyTemplate(name="Pulse", dimensions=["value", "product"], labels={}, revision=1)
        session.add(pulse)
        session.flush()
        pulse_id = pulse.id
    someone = customer(sessions, company.staff)
    annual = company.template_id  # asks product, attitude, speed
    respond(sessions, someone, local(3, 2), overall=4, template_id=annual, scores={"product": 5, "attitude": 4})
    respond(sessions, someone, local(3, 3), overall=3, template_id=annual, scores={"product": 2})
    respond(sessions, someone, local(3, 4), overall=4, template_id=annual, scores={"product": 4, "attitude": 3})
    respond(sessions, someone, local(3, 5), overall=5, template_id=pulse_id, scores={"value": 2})  # product blank
    respond(sessions, someone, local(6, 5), overall=5, template_id=annual, scores={"speed": 5})  # after the period
    result = figures(sessions, company.manager)
    assert result.dimensions == {
        # product: 5, 2, 4 answered; asked by all four responses, left blank once (the pulse survey)
        "product": DimensionMean(mean=11 / 3, answered=3, unanswered=1, score_sum=11),
        "attitude": DimensionMean(mean=3.5, answered=2, unanswered=1, score_sum=7),
        "speed": DimensionMean(mean=None, answered=0, unanswered=3, score_sum=0),  # asked three times, never answered
        "value": DimensionMean(mean=2.0, answered=1, unanswered=0, score_sum=2),
    }
    assert list(result.dimensions) == ["product", "attitude", "speed", "value"]  # the templates' order
    assert figures(sessions, company.manager, template_family_id=pulse_id).dimensions == {
        "product": DimensionMean(mean=None, answered=0, unanswered=1, score_sum=0),
        "value": DimensionMean(mean=2.0, answered=1, unanswered=0, score_sum=2),
    }
    without = satisfaction_figures(sessions, actor=company.manager, start=START, end=END, dimensions=False)
    assert without.dimensions == {} and without.responses == 4


# --- filters and scope ------------------------------------------------------------------------------------------


@pytest.fixture
def spread(sessions: Sessions, company: Company) -> dict[str, int]:
    """Four customers: the staff member's (sales, high), another's (service, low), the manager's (no department,
    not rated) and one without an owner (medium); one response each in April."""
    ids = {
        "own": customer(
            sessions, company.staff, department_id=company.sales_id, tier="high", industry="software", region="east"
        ),
        "other": customer(sessions, company.other, department_id=company.service_id, tier="low", region="north"),
        "manager": customer(sessions, company.manager, stage="intent"),
        "nobody": customer(sessions, None, tier="medium", industry="software"),
    }
    respond(sessions, ids["own"], local(4, 3), overall=5, nps=10, channel="online", template_id=company.template_id)
    respond(sessions, ids["other"], local(4, 3), overall=2, nps=3)
    respond(sessions, ids["manager"], local(4, 3), overall=4, nps=8)
    respond(sessions, ids["nobody"], local(4, 3), overall=3, nps=9)
    return ids


def test_filters_pick_the_customers_and_the_responses(
    sessions: Sessions, company: Company, spread: dict[str, int]
) -> None:
    def means(**filters: Any) -> tuple[int, float | None]:
        result = figures(sessions, company.manager, **filters)
        return result.responses, result.csat.mean

    assert means() == (4, 3.5)
    assert means(owner_id=company.staff.id) == (1, 5.0)
    assert means(department_id=company.service_id) == (1, 2.0)
    assert means(value_tier="high") == (1, 5.0)
    assert means(value_tier="none") == (1, 4.0)  # not rated yet
    assert means(lifecycle_stage="intent") == (1, 4.0)
    assert means(industry="software") == (2, 4.0)
    assert means(region="north") == (1, 2.0)
    assert means(channel="online") == (1, 5.0)
    assert means(template_family_id=company.template_id) == (1, 5.0)
    assert means(campaign_id=99) == (0, None)
    assert means(industry="software", value_tier="medium") == (1, 3.0)


def test_a_later_revision_of_a_template_counts_in_its_family(
    sessions: Sessions, company: Company, spread: dict[str, int]
) -> None:
    with transaction(sessions, actor=SYSTEM) as session:
        revision = SurveyTemplate(
            name="Annual", dimensions=["product"], labels={}, family_id=company.template_id, revision=2
        )
        session.add(revision)
        session.flush()
        revision_id = revision.id
    respond(sessions, spread["own"], local(4, 20), overall=1, template_id=revision_id)
    result = figures(sessions, company.manager, template_family_id=company.template_id)
    assert (result.responses, result.csat.mean) == (2, 3.0)


def test_staff_count_their_own_customers_only(sessions: Sessions, company: Company, spread: dict[str, int]) -> None:
    own = figures(sessions, company.staff)
    assert (own.responses, own.csat.mean, own.nps.score) == (1, 5.0, 100.0)
    assert figures(sessions, company.staff, owner_id=company.other.id).responses == 0
    assert figures(sessions, company.viewer).responses == 4
    rows = breakdown(sessions, actor=company.staff, start=START, end=END, by="owner")
    assert [(row.key, row.responses) for row in rows] == [(company.staff.id, 1)]


# --- trend and breakdowns ---------------------------------------------------------------------------------------


def test_the_trend_has_every_month_an_empty_one_with_no_data(sessions: Sessions, company: Company) -> None:
    someone = customer(sessions, company.staff)
    respond(sessions, someone, local(3, 31, 23), overall=5, nps=10)  # 15:00 UTC on 31 March: March
    respond(sessions, someone, local(5, 1, 1), overall=2, nps=2)  # 17:00 UTC on 30 April: May in Shanghai
    respond(sessions, someone, local(5, 20), overall=4, nps=7)
    trend = monthly_trend(sessions, actor=company.manager, start=START, end=END, filters=SatisfactionFilters())
    assert [m.month for m in trend] == [MARCH, APRIL, MAY]
    assert [(m.responses, m.csat.mean, m.nps.score) for m in trend] == [
        (1, 5.0, 100.0),
        (0, None, None),
        (2, 3.0, -50.0),
    ]
    assert trend[1].csat == Csat() and trend[1].nps == Nps()


def test_a_trend_of_twelve_years_has_every_month(sessions: Sessions, company: Company) -> None:
    someone = customer(sessions, company.staff)
    respond(sessions, someone, dt.datetime(2015, 1, 10, 2, tzinfo=dt.UTC), overall=3)
    respond(sessions, someone, local(12, 10), overall=5)
    trend = monthly_trend(sessions, actor=company.manager, start=dt.date(2015, 1, 1), end=dt.date(2026, 12, 31))
    assert len(trend) == 144 and trend[-1].month == dt.date(2026, 12, 1)  # read 120 months per statement
    assert [(m.month, m.csat.mean) for m in trend if m.responses] == [
        (dt.date(2015, 1, 1), 3.0),
        (dt.date(2026, 12, 1), 5.0),
    ]


def test_a_trend_starting_mid_month_counts_from_its_first_day(sessions: Sessions, company: Company) -> None:
    someone = customer(sessions, company.staff)
    respond(sessions, someone, local(3, 14), overall=1)
    respond(sessions, someone, local(3, 16), overall=5)
    trend = monthly_trend(sessions, actor=company.viewer, start=dt.date(2026, 3, 15), end=dt.date(2026, 3, 31))
    assert [(m.month, m.csat.mean) for m in trend] == [(MARCH, 5.0)]


def test_breakdowns_by_tier_department_owner_and_region(
    sessions: Sessions, company: Company, spread: dict[str, int]
) -> None:
    def rows(by: str, lang: str = "en") -> list[tuple[object, str, int, float | None]]:
        found = breakdown(sessions, actor=company.manager, start=START, end=END, by=by, lang=lang)
        return [(row.key, row.label, row.responses, row.csat.mean) for row in found]

    assert rows("value_tier") == [
        ("high", "High", 1, 5.0),
        ("medium", "Medium", 1, 3.0),
        ("low", "Low", 1, 2.0),
        (None, "Unrated", 1, 4.0),
    ]
    assert rows("value_tier", "zh")[0][1] == "高"
    assert rows("department") == [
        (company.service_id, "Customer Service", 1, 2.0),
        (company.sales_id, "Sales", 1, 5.0),
        (None, "No department", 2, 3.5),
    ]
    assert [label for _key, label, _n, _mean in rows("department", "zh")] == ["客服部", "销售部", "无部门"]
    assert rows("owner") == [
        (company.other.id, "Olivia Other", 1, 2.0),  # by name (code points), "no owner" last
        (company.staff.id, "张伟 Zhang Wei", 1, 5.0),
        (company.manager.id, "李娜 Li Na", 1, 4.0),
        (None, "No owner", 1, 3.0),
    ]
    assert rows("region") == [
        ("east", "East China", 1, 5.0),
        ("north", "North China", 1, 2.0),
        (None, "Not set", 2, 3.5),
    ]
    assert rows("lifecycle_stage") == [("intent", "Intent", 1, 4.0), ("signed", "Signed", 3, 10 / 3)]
    by_tier = breakdown(
        sessions,
        actor=company.manager,
        start=START,
        end=END,
        by="industry",
        filters=SatisfactionFilters(value_tier="high"),
    )
    assert [(row.key, row.label, row.nps.score) for row in by_tier] == [("software", "Software & internet", 100.0)]


# --- fallen scores ----------------------------------------------------------------------------------------------


def test_fallen_scores_compare_the_latest_response_in_the_period_with_the_one_before(
    sessions: Sessions, company: Company
) -> None:
    fell = customer(sessions, company.staff)
    respond(sessions, fell, local(1, 10), overall=5, nps=10)  # before the period: still "the one before"
    latest_fell = respond(sessions, fell, local(4, 2), overall=3, nps=10)
    rose = customer(sessions, company.staff)
    respond(sessions, rose, local(3, 2), overall=2, nps=1)
    respond(sessions, rose, local(4, 2), overall=4, nps=1)  # the overall score rose: the NPS is not read
    by_nps = customer(sessions, company.other)
    respond(sessions, by_nps, local(3, 3), overall=4, nps=9)
    respond(sessions, by_nps, local(5, 3), nps=4)  # no overall score in the latest: the NPS fell
    once = customer(sessions, company.staff)
    respond(sessions, once, local(4, 5), overall=1, nps=0)  # nothing to compare with
    earlier = customer(sessions, company.staff)
    respond(sessions, earlier, local(3, 1), overall=5)
    respond(sessions, earlier, local(3, 20), overall=2)  # fell within the period...
    respond(sessions, earlier, local(4, 20), overall=3)  # ...but the latest rose again
    after = customer(sessions, company.staff)
    respond(sessions, after, local(3, 10), overall=5)
    respond(sessions, after, local(6, 10), overall=1)  # after the period: the latest in it is 5, compared with nothing

    rows, total = fallen_scores(sessions, actor=company.manager, start=START, end=END, filters=SatisfactionFilters())
    assert total == 2
    assert [
        (r.customer_id, r.basis, r.previous_overall, r.latest_overall, r.previous_nps, r.latest_nps) for r in rows
    ] == [
        (by_nps, "nps", 4, None, 9, 4),  # the most recent latest response first
        (fell, "overall", 5, 3, 10, 10),
    ]
    assert rows[1].latest_response_id == latest_fell and rows[1].latest_at == local(4, 2)
    assert rows[1].previous_at == local(1, 10) and rows[1].owner_name == "张伟 Zhang Wei"
    assert rows[1].customer_name.startswith("Customer ")
    page, total = fallen_scores(sessions, actor=company.manager, start=START, end=END, page=1, page_size=1)
    assert ([r.customer_id for r in page], total) == ([fell], 2)
    mine, total = fallen_scores(sessions, actor=company.staff, start=START, end=END)
    assert ([r.customer_id for r in mine], total) == ([fell], 1)


# --- recovery ---------------------------------------------------------------------------------------------------


def test_recovery_counts_the_next_response_after_the_first_alert(sessions: Sessions, company: Company) -> None:
    recovered = customer(sessions, company.staff, department_id=company.sales_id)
    respond(sessions, recovered, local(3, 5), overall=4, nps=3)  # alert (NPS <= 6)
    respond(sessions, recovered, local(3, 20), overall=5, nps=9)  # next: a promoter -> recovered
    still_low = customer(sessions, company.staff, department_id=company.sales_id)
    respond(sessions, still_low, local(4, 1), overall=2, nps=8)  # alert (overall <= 2)
    respond(sessions, still_low, local(4, 9), overall=3, nps=2)  # next: a detractor -> not recovered
    respond(sessions, still_low, local(4, 30), overall=5, nps=10)  # later still: not the next one
    silent = customer(sessions, company.other, department_id=company.service_id)
    respond(sessions, silent, local(5, 2), nps=0)  # alert, no later response: not in the denominator
    late = customer(sessions, company.other, department_id=company.service_id)
    respond(sessions, late, local(5, 30), nps=5)  # alert near the end of the period...
    respond(sessions, late, local(6, 15), overall=4)  # ...answered after it (before now): satisfied -> recovered
    future = customer(sessions, company.other, department_id=company.service_id)
    respond(sessions, future, local(5, 10), nps=1)
    respond(sessions, future, local(8, 1), nps=10)  # after "now": not yet a later response
    before = customer(sessions, company.manager)
    respond(sessions, before, local(2, 1), nps=0)  # alerted before the period: not in it
    respond(sessions, before, local(3, 1), nps=10)

    result = figures(sessions, company.manager)
    # alerted in the period: recovered, still_low, silent, late, future (5); with a later response up to now:
    # recovered, still_low, late (3); recovered: recovered, late (2): 2 / 3.
    assert result.recovery == Recovery(alerted_customers=5, with_later_response=3, recovered=2, rate=2 / 3)
    by_owner = recovery_by(sessions, actor=company.manager, start=START, end=END, by="owner", now=NOW)
    assert [(row.key, row.label, row.recovery) for row in by_owner] == [
        (company.other.id, "Olivia Other", Recovery(3, 1, 1, 1.0)),
        (company.staff.id, "张伟 Zhang Wei", Recovery(2, 2, 1, 0.5)),
    ]
    by_department = recovery_by(
        sessions, actor=company.manager, start=START, end=END, by="department", now=NOW, lang="zh"
    )
    assert [(row.label, row.recovery.rate) for row in by_department] == [("客服部", 1.0), ("销售部", 0.5)]
    mine = figures(sessions, company.staff)
    assert mine.recovery == Recovery(2, 2, 1, 0.5)
    assert (
        figures(sessions, company.manager, start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 30)).recovery == Recovery()
    )


def test_the_first_alert_in_the_period_is_the_one_followed(sessions: Sessions, company: Company) -> None:
    someone = customer(sessions, company.staff)
    respond(sessions, someone, local(3, 5), nps=2)  # the first alert
    respond(sessions, someone, local(3, 6), nps=3)  # its next response: another alert, not recovered
    respond(sessions, someone, local(3, 7), nps=10)
    assert figures(sessions, company.manager).recovery == Recovery(1, 1, 0, 0.0)
    # A period starting after the first alert follows the second one, whose next response is a promoter.
    assert figures(sessions, company.manager, start=dt.date(2026, 3, 6)).recovery == Recovery(1, 1, 1, 1.0)
