"""The satisfaction figures of a period, in SQL: CSAT, NPS and its interval, the dimensions, the monthly trend, the
breakdowns, the customers whose latest score fell, and the recovery after an alert.

A period is a range of company days (start and end included), turned into UTC instants in the company's zone; a
response belongs to the period (and to a month) by its `responded_at` in that zone. Archived responses never
count. Every filter and breakdown reads the customer as it is now (its owner, tier, stage, ...), not as it was
when the customer answered. Staff (no customers.view_all) count their own customers only.

- responses: the responses in the period.
- CSAT = the mean overall score (1-5) of the responses with one; satisfied share = overall 4-5 ÷ those responses.
- per dimension: the mean of the answered scores; answered = responses with a score for it; unanswered =
  responses whose template asks it and which left it blank (a response without a template asks nothing).
- NPS = 100 × (p₊ − p₋) over the responses with a likelihood to recommend (0-10): promoters 9-10 (p₊ their
  share), passives 7-8, detractors 0-6 (p₋). Its 95% confidence interval is the standard one for a difference
  of two proportions of one multinomial sample: var = (p₊ + p₋ − (p₊ − p₋)²) / n, NPS ± 1.96 × 100 × √var,
  clipped to [−100, 100]. Under 30 such responses the figure is marked a small sample.
- recovery rate = recovered ÷ alerted customers with a later response. An alerted customer had an alert response
  (NPS ≤ 6 or overall ≤ 2 when recorded) in the period; from their first one in it, their next response
  (strictly later, at any time up to now, even after the period: a cohort, as the complaint figures count) is
  "later"; recovered when that response is a promoter or passive (NPS ≥ 7) or satisfied (overall ≥ 4).
- fallen scores: customers whose latest response in the period scored lower than their response before it (at
  any earlier time): the overall scores when both have one, else the NPS when both have one.
Anything without a denominator is None ("no data"), never 0.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    and_,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from crm.platform.clock import company_zone, local_midnight, utcnow
from crm.platform.errors import ValidationCollector
from crm.platform.i18n import t
from crm.platform.permissions import Actor, require
from crm.platform.rollups import SegmentFilter, ensure_built
from crm.platform.vocab import INDUSTRIES, REGIONS, STAGES, VALUE_TIERS
from db.engine import Sessions
from db.models import (
    Customer,
    Department,
    SatisfactionAlertMonth,
    SatisfactionMonth,
    SurveyResponse,
    SurveyScore,
    SurveyTemplate,
    User,
)

BREAKDOWNS = ("value_tier", "lifecycle_stage", "owner", "department", "industry", "region")
RECOVERY_BREAKDOWNS = ("owner", "department")
SMALL_SAMPLE = 30  # NPS responses under which the figure is marked a small sample
Z_95 = 1.96
PROMOTER_MIN, PASSIVE_MIN = 9, 7  # NPS 9-10 promoters, 7-8 passives, 0-6 detractors
SATISFIED_MIN = 4  # overall 4-5
MONTHS_PER_STATEMENT = 120  # a trend's months per UNION ALL (SQLite takes at most 500 SELECTs in one)
Key = str | int | None
# The responses table under other names, made once: building an alias adapts every column (some 20 ms a call).
_LATER = aliased(SurveyResponse, name="later")
_FOLLOWING = aliased(SurveyResponse, name="following")
_SAME = aliased(SurveyResponse, name="same")
_BEFORE = aliased(SurveyResponse, name="before")
_LATEST = aliased(SurveyResponse, name="latest")
_PREVIOUS = aliased(SurveyResponse, name="previous")
_ALERT = aliased(SurveyResponse, name="alert")


@dataclass(frozen=True)
class SatisfactionFilters:
    """Which responses count: their customer's owner, department, value tier ("none": not rated yet), stage,
    industry and region (the customer's columns now), and the response's channel, template (any revision of the
    family) and campaign. None: any."""

    owner_id: int | None = None
    department_id: int | None = None
    value_tier: str | None = None
    lifecycle_stage: str | None = None
    industry: str | None = None
    region: str | None = None
    channel: str | None = None
    template_family_id: int | None = None
    campaign_id: int | None = None


@dataclass(frozen=True)
class Csat:
    """CSAT: the responses with an overall score, their mean and how many scored 4-5 (score_sum / responses is
    the mean, for whoever stores a numerator and a denominator)."""

    responses: int = 0
    mean: float | None = None
    satisfied: int = 0
    satisfied_share: float | None = None
    score_sum: int = 0


@dataclass(frozen=True)
class Nps:
    """NPS (-100..100) over the responses with a likelihood to recommend, with its 95% confidence interval."""

    responses: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    score: float | None = None
    low: float | None = None
    high: float | None = None
    small_sample: bool = True  # fewer than 30 responses (no responses included: the score is None then)


@dataclass(frozen=True)
class DimensionMean:
    mean: float | None
    answered: int
    unanswered: int
    score_sum: int = 0


@dataclass(frozen=True)
class Recovery:
    alerted_customers: int = 0
    with_later_response: int = 0
    recovered: int = 0
    rate: float | None = None  # recovered / with_later_response


@dataclass(frozen=True)
class SatisfactionFigures:
    csat: Csat
    nps: Nps
    responses: int
    dimensions: dict[str, DimensionMean]  # in the order the templates ask them
    recovery: Recovery


@dataclass(frozen=True)
class MonthFigures:
    month: dt.date  # its first day
    csat: Csat
    nps: Nps
    responses: int = 0


@dataclass(frozen=True)
class BreakdownRow:
    key: Key  # the stored value (a tier, a stage, an owner's or a department's id...); None: not set
    label: str  # in the language asked for
    csat: Csat
    nps: Nps
    responses: int = 0


@dataclass(frozen=True)
class RecoveryRow:
    key: int | None  # the owner's or the department's id; None: no owner / no department
    label: str
    recovery: Recovery


@dataclass(frozen=True)
class FallenScore:
    """A customer whose latest response in the period scored lower than the one before; basis: what fell
    ("overall" when both responses have an overall score, else "nps")."""

    customer_id: int
    customer_name: str
    owner_id: int | None
    owner_name: str | None
    basis: str
    previous_response_id: int
    previous_at: dt.datetime
    previous_overall: int | None
    previous_nps: int | None
    latest_response_id: int
    latest_at: dt.datetime
    latest_overall: int | None
    latest_nps: int | None


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def nps_from_counts(promoters: int, passives: int, detractors: int) -> Nps:
    """Compute NPS = 100·(p₊ − p₋) and its 95% interval NPS ± 1.96·100·√((p₊ + p₋ − (p₊ − p₋)²)/n), clipped to
    [−100, 100] (p₊, p₋: the shares of promoters and detractors among the n answers; None when n = 0)."""
    n = promoters + passives + detractors
    if n == 0:
        return Nps()
    plus, minus = promoters / n, detractors / n
    score = 100 * (plus - minus)
    variance = max(0.0, plus + minus - (plus - minus) ** 2) / n
    half = Z_95 * 100 * math.sqrt(variance)
    return Nps(
        responses=n,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        score=score,
        low=max(-100.0, score - half),
        high=min(100.0, score + half),
        small_sample=n < SMALL_SAMPLE,
    )


def csat_from_counts(responses: int, score_sum: int, satisfied: int) -> Csat:
    """Compute CSAT from the responses with an overall score, their sum and how many scored 4-5."""
    return Csat(
        responses=responses,
        mean=_rate(score_sum, responses),
        satisfied=satisfied,
        satisfied_share=_rate(satisfied, responses),
        score_sum=score_sum,
    )


class _Tally(NamedTuple):
    """What one GROUP BY row counts: every figure of CSAT and NPS is made from these."""

    responses: int = 0
    overall_answers: int = 0
    overall_sum: int = 0
    satisfied: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def csat(self) -> Csat:
        return csat_from_counts(self.overall_answers, self.overall_sum, self.satisfied)

    @property
    def nps(self) -> Nps:
        return nps_from_counts(self.promoters, self.passives, self.detractors)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _tally_columns(overall: Any, nps: Any) -> list[ColumnElement[Any]]:
    return [
        func.count(),
        func.count(overall),
        func.coalesce(func.sum(overall), 0),
        _count_if(overall >= SATISFIED_MIN),
        _count_if(nps >= PROMOTER_MIN),
        _count_if(and_(nps >= PASSIVE_MIN, nps < PROMOTER_MIN)),
        _count_if(nps < PASSIVE_MIN),
    ]


def _tally(values: Sequence[Any]) -> _Tally:
    return _Tally(*(int(v or 0) for v in values))


def _check_period(start: dt.date, end: dt.date) -> None:
    if start > end:
        errors = ValidationCollector()
        errors.add("start", "satisfaction.figures.error.period")
        errors.raise_if_any()


def _check_by(by: str, allowed: tuple[str, ...]) -> None:
    if by not in allowed:
        errors = ValidationCollector()
        errors.add("by", "satisfaction.figures.error.by")
        errors.raise_if_any()


def _bounds(session: Session, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = company_zone(session)
    return local_midnight(start, zone), local_midnight(end + dt.timedelta(days=1), zone)


def _response_filters(response: Any, filters: SatisfactionFilters) -> list[ColumnElement[bool]]:
    """The filters on the response itself (not its period), for the table or one of its aliases."""
    conditions = [response.archived_at.is_(None)]
    if filters.channel is not None:
        conditions.append(response.channel == filters.channel)
    if filters.campaign_id is not None:
        conditions.append(response.campaign_id == filters.campaign_id)
    if filters.template_family_id is not None:
        # A first revision's family_id is its own id (older rows may have left it empty).
        family = func.coalesce(SurveyTemplate.family_id, SurveyTemplate.id) == filters.template_family_id
        conditions.append(response.template_id.in_(select(SurveyTemplate.id).where(family)))
    return conditions


def _customer_filters(actor: Actor, filters: SatisfactionFilters) -> list[ColumnElement[bool]]:
    """The scope (staff: their own customers) and the filters on the customer (beyond its being live)."""
    conditions: list[ColumnElement[bool]] = []
    if not actor.can("customers.view_all"):
        conditions.append(Customer.owner_id == actor.id)
    for name in ("owner_id", "department_id", "lifecycle_stage", "industry", "region"):
        value = getattr(filters, name)
        if value is not None:
            conditions.append(getattr(Customer, name) == value)
    if filters.value_tier is not None:
        tier = filters.value_tier
        conditions.append(Customer.value_tier.is_(None) if tier == "none" else Customer.value_tier == tier)
    return conditions


class _Scope(NamedTuple):
    """Whose responses of which period count: the actor (staff: their own customers), the period's instants
    [since, until), the filters."""

    actor: Actor
    since: dt.datetime
    until: dt.datetime
    filters: SatisfactionFilters


def _scope(session: Session, actor: Actor, start: dt.date, end: dt.date, filters: SatisfactionFilters) -> _Scope:
    since, until = _bounds(session, start, end)
    return _Scope(actor, since, until, filters)


def _responses(columns: Sequence[Any], scope: _Scope, *, join_customers: bool = False) -> Select[Any]:
    """SELECT columns FROM the responses in the period that pass the filters (customers joined when needed)."""
    actor, since, until, filters = scope
    customer_conditions = _customer_filters(actor, filters)
    query = select(*columns).select_from(SurveyResponse)
    if customer_conditions:
        query = query.join(Customer, Customer.id == SurveyResponse.customer_id)
        customer_conditions.append(Customer.archived_at.is_(None))
    elif join_customers:
        # Every live customer counts: read the period's responses in order and look each customer up. Joined on
        # customer_id + 0, as SQLite may otherwise start from the customers and fetch each one's responses
        # through the (customer_id, responded_at) index, all over the table (5 s against 1 s at 500,000).
        query = query.join(Customer, Customer.id == SurveyResponse.customer_id + literal_column("0"))
        customer_conditions.append(Customer.archived_at.is_(None))
    else:
        # Archived customers are few: leaving their ids out costs less than joining every response's customer.
        archived = select(Customer.id).where(Customer.archived_at.is_not(None))
        customer_conditions.append(SurveyResponse.customer_id.not_in(archived))
    return query.where(
        SurveyResponse.responded_at >= since,
        SurveyResponse.responded_at < until,
        *_response_filters(SurveyResponse, filters),
        *customer_conditions,
    )


# --- reading the rollups (crm/satisfaction/rollups.py) ---------------------------------------------------------
#
# The figures without dimensions and the trend, when the filters are all on the customer's segment (owner,
# department, tier, industry, region): a month inside the period is read from satisfaction_months, a month the
# period covers in part from the responses of that part (or the whole month less the responses of the days left
# out, when those are fewer). The recovery reads its whole months from satisfaction_alert_months and the days
# before and after them from the responses (_rollup_recovery).

ROLLUP_FILTERS = ("owner_id", "department_id", "value_tier", "industry", "region")
_MONTH_MEASURES = (
    SatisfactionMonth.responses,
    SatisfactionMonth.csat_responses,
    SatisfactionMonth.csat_score_sum,
    SatisfactionMonth.satisfied,
    SatisfactionMonth.promoters,
    SatisfactionMonth.passives,
    SatisfactionMonth.detractors,
)


def _segment(actor: Actor, filters: SatisfactionFilters) -> SegmentFilter | None:
    """The scope and the filters as conditions on the rollups' segment; None when a filter is not on it (the stage,
    the channel, the template, the campaign): the figures are then read from the responses."""
    if any(
        getattr(filters, name) is not None
        for name in SatisfactionFilters.__dataclass_fields__
        if name not in ROLLUP_FILTERS
    ):
        return None
    owners = [filters.owner_id] if filters.owner_id is not None else []
    if not actor.can("customers.view_all"):
        if actor.id is None:
            return None
        owners.append(actor.id)
    return SegmentFilter(tuple(owners), filters.department_id, filters.value_tier, filters.industry, filters.region)


def _zoned_scope(
    session: Session, actor: Actor, start: dt.date, end: dt.date, filters: SatisfactionFilters
) -> tuple[_Scope, ZoneInfo]:
    zone = company_zone(session)
    since, until = local_midnight(start, zone), local_midnight(end + dt.timedelta(days=1), zone)
    return _Scope(actor, since, until, filters), zone


def _total(tallies: Iterable[_Tally]) -> _Tally:
    return _Tally(*(sum(values) for values in zip(_Tally(), *tallies, strict=False)))


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


class _Days(NamedTuple):
    """Days [first, last] of a month, read from the responses and added (sign 1) or subtracted (-1)."""

    month: dt.date
    first: dt.date
    last: dt.date
    sign: int


def _month_reads(start: dt.date, end: dt.date, today: dt.date) -> tuple[list[dt.date], list[_Days]]:
    """How the days [start, end] are read: (the months read whole from the rollup, the days read from the
    responses). A month the period covers in part is read from the responses of those days, or whole from the
    rollup less the responses of the days left out, whichever reads fewer days up to today (later days hold no
    responses, or few: the current month of a period ending today is read whole, less its days still to come)."""
    whole: list[dt.date] = []
    days: list[_Days] = []
    for month in _months(start, end):
        last_day = _next_month(month) - dt.timedelta(days=1)
        first, last = max(start, month), min(end, last_day)
        if first == month and last == last_day:
            whole.append(month)
            continue
        inside = _days_up_to(first, last, today)
        outside = _days_up_to(month, first - dt.timedelta(days=1), today) + _days_up_to(
            last + dt.timedelta(days=1), last_day, today
        )
        if inside <= outside:
            days.append(_Days(month, first, last, 1))
        else:
            whole.append(month)
            if first > month:
                days.append(_Days(month, month, first - dt.timedelta(days=1), -1))
            if last < last_day:
                days.append(_Days(month, last + dt.timedelta(days=1), last_day, -1))
    return whole, days


def _days_up_to(first: dt.date, last: dt.date, today: dt.date) -> int:
    """How many of the days [first, last] are not after today."""
    return max(0, (min(last, today) - first).days + 1)


def _month_tallies(
    session: Session, zone: ZoneInfo, scope: _Scope, segment: SegmentFilter, start: dt.date, end: dt.date
) -> dict[dt.date, _Tally]:
    """CSAT and NPS counts per month of the days [start, end] (months without responses left out)."""
    whole, days = _month_reads(start, end, utcnow().astimezone(zone).date())
    tallies: dict[dt.date, _Tally] = {}
    if whole:
        kept = SatisfactionMonth
        for month, *values in session.execute(
            select(kept.month, *(func.sum(m) for m in _MONTH_MEASURES))
            .where(kept.month.in_(whole), *segment.on(kept))
            .group_by(kept.month)
        ):
            tallies[month] = _tally(values)
    parts = [
        _responses(
            [literal_column(str(index)), *_tally_columns(SurveyResponse.overall_score, SurveyResponse.nps)],
            scope._replace(
                since=local_midnight(part.first, zone), until=local_midnight(part.last + dt.timedelta(days=1), zone)
            ),
        )
        for index, part in enumerate(days)
    ]
    if parts:
        for index, *values in session.execute(union_all(*parts) if len(parts) > 1 else parts[0]):
            part = days[int(index)]
            read = _tally(values)
            if part.sign < 0:
                read = _Tally(*(-v for v in read))
            tallies[part.month] = _total([tallies.get(part.month, _Tally()), read])
    return tallies


def _rollup_recovery(
    session: Session,
    zone: ZoneInfo,
    scope: _Scope,
    segment: SegmentFilter,
    start: dt.date,
    end: dt.date,
    *,
    now: dt.datetime,
) -> Recovery:
    """The recovery of the customers alerted in the period, its whole months read from satisfaction_alert_months.

    A customer alerted in the period is counted at their first alert in it: in the days before its first whole
    month (read from the responses), else in the whole months (the rollup's row of their first month alerted there,
    whose previous alert lies before those months; less the customers alerted in the days before, whose previous
    alert lies there), else in the days after them (read from the responses: those not alerted earlier in the
    period). The rollup holds what followed each alert at any time: when a response is dated after now (the later
    responses counted end there), the recovery is read from the responses alone; when none is, a period running
    past now reads its last month whole."""
    whole = [m for m in _months(start, end) if m >= start and _next_month(m) - dt.timedelta(days=1) <= end]
    future = session.scalar(select(SurveyResponse.id).where(SurveyResponse.responded_at > now).limit(1))
    last_month = end.replace(day=1)
    if future is None and scope.until > now and start <= last_month and last_month not in whole:
        # Nothing is dated after now, so the month a period running past now ends in has no response after the
        # period: read it whole.
        whole.append(last_month)
    if not whole or future is not None:
        return _recoveries(session, scope, now=now, by=None).get(None, Recovery())
    kept = SatisfactionAlertMonth
    row = session.execute(
        select(func.sum(kept.customers), func.sum(kept.followed), func.sum(kept.recovered)).where(
            kept.month >= whole[0], kept.month <= whole[-1], kept.previous_alert < whole[0], *segment.on(kept)
        )
    ).one()
    counts = [int(v or 0) for v in row]
    whole_since, whole_until = local_midnight(whole[0], zone), local_midnight(_next_month(whole[-1]), zone)
    if scope.since < whole_since:
        before = _first_alerts(scope._replace(until=whole_since)).subquery("first_alert")
        alert = _ALERT
        in_whole = (
            select(alert.responded_at)
            .where(
                alert.customer_id == before.c.customer_id,
                alert.alert == true(),
                alert.archived_at.is_(None),
                alert.responded_at >= whole_since,
                alert.responded_at < whole_until,
            )
            .order_by(alert.responded_at)
            .limit(1)
            .correlate(before)
            .scalar_subquery()
        )
        counted_twice = select(before.c.customer_id, in_whole.label("at")).subquery("counted_twice")
        for sign, first in ((1, before), (-1, counted_twice)):
            counts = [c + sign * n for c, n in zip(counts, _follow_counts(session, first, now=now), strict=True)]
    if whole_until < scope.until:
        after = _first_alerts(scope._replace(since=whole_until)).subquery("first_alert")
        alert = _ALERT
        earlier = (
            select(alert.id)
            .where(
                alert.customer_id == after.c.customer_id,
                alert.alert == true(),
                alert.archived_at.is_(None),
                alert.responded_at >= scope.since,
                alert.responded_at < whole_until,
            )
            .correlate(after)
        )
        first_here = select(after.c.customer_id, after.c.at).where(~exists(earlier)).subquery("first_here")
        counts = [c + n for c, n in zip(counts, _follow_counts(session, first_here, now=now), strict=True)]
    alerted, later, recovered = counts
    return Recovery(alerted, later, recovered, _rate(recovered, later))


def satisfaction_figures(
    sessions: Sessions,
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    filters: SatisfactionFilters = SatisfactionFilters(),  # noqa: B008 - frozen, shared safely
    now: dt.datetime | None = None,
    dimensions: bool = True,
) -> SatisfactionFigures:
    """Compute CSAT, NPS, the responses, the mean per dimension and the recovery for the period (company days,
    end included); now (default: the clock) bounds the later responses the recovery reads. dimensions=False
    leaves the dimensions out (an empty dict) and skips their query, the costliest (one row per score)."""
    require(actor, "satisfaction.view")
    _check_period(start, end)
    now = now or utcnow()
    segment = None if dimensions else _segment(actor, filters)
    if segment is not None:
        ensure_built(sessions)
        with sessions.read() as session:
            scope, zone = _zoned_scope(session, actor, start, end, filters)
            tally = _total(_month_tallies(session, zone, scope, segment, start, end).values())
            recovery = _rollup_recovery(session, zone, scope, segment, start, end, now=now)
        return SatisfactionFigures(
            csat=tally.csat, nps=tally.nps, responses=tally.responses, dimensions={}, recovery=recovery
        )
    with sessions.read() as session:
        scope = _scope(session, actor, start, end, filters)
        asked_by = _asking_templates(session) if dimensions else {}
        # Who asked each dimension, counted in the same pass: one CASE per distinct set of templates (templates
        # mostly share their dimensions). No GROUP BY: SQLite would sort every response of the period for it.
        template_sets = list(dict.fromkeys(asked_by.values()))
        row = session.execute(
            _responses(
                [
                    *_tally_columns(SurveyResponse.overall_score, SurveyResponse.nps),
                    *(_count_if(SurveyResponse.template_id.in_(ids)) for ids in template_sets),
                ],
                scope,
            )
        ).one()
        overall = _tally(row[: len(_Tally._fields)])
        asked_by_set = dict(zip(template_sets, (int(v or 0) for v in row[len(_Tally._fields) :]), strict=True))
        answered: dict[str, tuple[int, int]] = {}
        if asked_by and overall.responses:
            codes = list(asked_by)
            sums = session.execute(
                _responses(
                    [
                        column
                        for code in codes
                        for column in (
                            _count_if(SurveyScore.dimension == code),
                            func.coalesce(func.sum(case((SurveyScore.dimension == code, SurveyScore.score))), 0),
                        )
                    ],
                    scope,
                ).join(SurveyScore, SurveyScore.response_id == SurveyResponse.id)
            ).one()
            answered = {code: (int(sums[2 * k] or 0), int(sums[2 * k + 1] or 0)) for k, code in enumerate(codes)}
        recovery = _recoveries(session, scope, now=now, by=None).get(None, Recovery())
    means = {}
    for code, ids in asked_by.items():
        count, total = answered.get(code, (0, 0))
        asked = asked_by_set[ids]
        if count or asked:
            # record_response takes scores for the template's dimensions only: what was asked and not
            # answered is the rest.
            means[code] = DimensionMean(_rate(total, count), count, max(0, asked - count), total)
    return SatisfactionFigures(
        csat=overall.csat, nps=overall.nps, responses=overall.responses, dimensions=means, recovery=recovery
    )


def _asking_templates(session: Session) -> dict[str, tuple[int, ...]]:
    """Every dimension any template (revision) asks, in the templates' order, with the templates asking it."""
    asking: dict[str, list[int]] = {}
    for template_id, codes in session.execute(
        select(SurveyTemplate.id, SurveyTemplate.dimensions).order_by(SurveyTemplate.id)
    ):
        for code in codes or []:
            asking.setdefault(str(code), []).append(int(template_id))
    return {code: tuple(ids) for code, ids in asking.items()}


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months = []
    month = start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def monthly_trend(
    sessions: Sessions,
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    filters: SatisfactionFilters = SatisfactionFilters(),  # noqa: B008 - frozen, shared safely
) -> list[MonthFigures]:
    """Compute CSAT and NPS per company month of the period (every month, an empty one with no data)."""
    require(actor, "satisfaction.view")
    _check_period(start, end)
    months = _months(start, end)
    segment = _segment(actor, filters)
    if segment is not None:
        ensure_built(sessions)
        with sessions.read() as session:
            scope, zone = _zoned_scope(session, actor, start, end, filters)
            by_month = _month_tallies(session, zone, scope, segment, start, end)
        return [
            MonthFigures(m, t.csat, t.nps, t.responses) for m, t in ((m, by_month.get(m, _Tally())) for m in months)
        ]
    tallies: dict[int, _Tally] = {}
    with sessions.read() as session:
        zone = company_zone(session)
        scope = _scope(session, actor, start, end, filters)
        edges = [max(scope.since, local_midnight(m, zone)) for m in months] + [scope.until]
        # One aggregate per month, glued with UNION ALL: each reads its own range of the responded_at index, and
        # none needs the sort a GROUP BY on a computed month costs SQLite (it has no hash aggregation).
        parts = [
            _responses(
                [literal_column(str(index)), *_tally_columns(SurveyResponse.overall_score, SurveyResponse.nps)],
                scope._replace(since=edges[index], until=edges[index + 1]),
            )
            for index in range(len(months))
        ]
        for first in range(0, len(parts), MONTHS_PER_STATEMENT):
            for index, *values in session.execute(union_all(*parts[first : first + MONTHS_PER_STATEMENT])):
                tallies[int(index)] = _tally(values)
    return [
        MonthFigures(month, tally.csat, tally.nps, tally.responses)
        for month, tally in ((m, tallies.get(i, _Tally())) for i, m in enumerate(months))
    ]


def _group_column(by: str) -> Any:
    """The customer's column a breakdown groups on."""
    return getattr(Customer, {"owner": "owner_id", "department": "department_id"}.get(by, by))


_VOCABULARIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "value_tier": ("tier", VALUE_TIERS),
    "lifecycle_stage": ("stage", STAGES),
    "industry": ("industry", INDUSTRIES),
    "region": ("region", REGIONS),
}
_NONE_LABELS = {
    "value_tier": "tier.none",
    "owner": "satisfaction.figures.no_owner",
    "department": "satisfaction.figures.no_department",
}


def _labels(session: Session, by: str, keys: Sequence[Key], lang: str) -> dict[Key, str]:
    """Each key's label in the language: the vocabulary's, the owner's name, the department's name."""
    none_label = t(_NONE_LABELS.get(by, "satisfaction.figures.not_set"), lang)
    labels: dict[Key, str] = {None: none_label}
    ids = [k for k in keys if isinstance(k, int)]
    if by == "owner" and ids:
        for user_id, name in session.execute(select(User.id, User.display_name).where(User.id.in_(ids))):
            labels[user_id] = name
    elif by == "department" and ids:
        for department_id, name, name_zh in session.execute(
            select(Department.id, Department.name, Department.name_zh).where(Department.id.in_(ids))
        ):
            labels[department_id] = (name_zh or name) if lang == "zh" else name
    elif by in _VOCABULARIES:
        prefix, _codes = _VOCABULARIES[by]
        for key in keys:
            if key is not None:
                text = t(f"{prefix}.{key}", lang)
                labels[key] = str(key) if text == f"{prefix}.{key}" else text
    return {key: labels.get(key, str(key)) for key in keys}


def _ordered(by: str, keys: Sequence[Key], labels: dict[Key, str]) -> list[Key]:
    """The vocabulary's order (high, medium, low...), else by label; "not set" last."""
    codes = _VOCABULARIES.get(by, ("", ()))[1]

    def rank(key: Key) -> tuple[int, int, str]:
        if key is None:
            return (2, 0, "")
        if key in codes:
            return (0, codes.index(str(key)), "")
        return (1, 0, labels[key].casefold())

    return sorted(keys, key=rank)


def breakdown(
    sessions: Sessions,
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    by: str,
    filters: SatisfactionFilters = SatisfactionFilters(),  # noqa: B008 - frozen, shared safely
    lang: str = "en",
) -> list[BreakdownRow]:
    """Compute CSAT and NPS per value tier, stage, owner, department, industry or region (by) for the period:
    one row per group that has responses, labelled in lang."""
    require(actor, "satisfaction.view")
    _check_period(start, end)
    _check_by(by, BREAKDOWNS)
    column = _group_column(by)
    with sessions.read() as session:
        scope = _scope(session, actor, start, end, filters)
        query = _responses(
            [column, *_tally_columns(SurveyResponse.overall_score, SurveyResponse.nps)],
            scope,
            join_customers=True,
        )
        tallies = {key: _tally(values) for key, *values in session.execute(query.group_by(column))}
        labels = _labels(session, by, list(tallies), lang)
    return [
        BreakdownRow(key, labels[key], tallies[key].csat, tallies[key].nps, tallies[key].responses)
        for key in _ordered(by, list(tallies), labels)
    ]


def _recoveries(session: Session, scope: _Scope, *, now: dt.datetime, by: str | None) -> dict[Key, Recovery]:
    """The recovery of the customers alerted in the period, overall (key None) or per owner / department.

    Each alerted customer's first alert in the period comes from ix_survey_responses_alert_at, and their next
    response from ix_survey_responses_customer_at (one index seek per customer): the responses themselves are
    never scanned.
    """
    return _followed(session, _first_alerts(scope).subquery("first_alert"), now=now, by=by)


def _first_alerts(scope: _Scope) -> Select[Any]:
    """SELECT customer_id, at: each customer's first alert in the scope's period (of the responses it counts)."""
    # Grouped on customer_id + 0, not the column itself: offered the column, SQLite walks the whole
    # (customer_id, responded_at) index for its order and visits every response ever given, where the alerts of
    # the period are a range of ix_survey_responses_alert_at.
    customer = (SurveyResponse.customer_id + literal_column("0")).label("customer_id")
    return (
        _responses([customer, func.min(SurveyResponse.responded_at).label("at")], scope)
        .where(SurveyResponse.alert == true())
        .group_by(customer)
    )


def _follow_counts(session: Session, first: Subquery, *, now: dt.datetime) -> list[int]:
    """[customers, with a later response, recovered] of the first alerts (customer_id, at; at None: none)."""
    found = _followed(session, first, now=now, by=None).get(None, Recovery())
    return [found.alerted_customers, found.with_later_response, found.recovered]


def _followed(session: Session, first: Subquery, *, now: dt.datetime, by: str | None) -> dict[Key, Recovery]:
    """The recovery of the customers whose alert is followed (first: customer_id, at; rows with no at left
    out): each one's next response is one seek in ix_survey_responses_customer_at."""
    later = _LATER
    next_id = (
        select(later.id)
        .where(
            later.customer_id == first.c.customer_id,
            later.archived_at.is_(None),
            later.responded_at > first.c.at,
            later.responded_at <= now,
        )
        .order_by(later.responded_at, later.id)
        .limit(1)
        .correlate(first)
        .scalar_subquery()
    )
    pairs = select(first.c.customer_id, next_id.label("next_id")).where(first.c.at.is_not(None)).subquery("alerted")
    following = _FOLLOWING
    key = _group_column(by) if by else None
    query = select(
        *([key] if key is not None else []),
        func.count(),
        func.count(following.id),
        _count_if(or_(following.nps >= PASSIVE_MIN, following.overall_score >= SATISFIED_MIN)),
    ).select_from(pairs)
    query = query.outerjoin(following, following.id == pairs.c.next_id)
    if key is not None:
        query = query.join(Customer, Customer.id == pairs.c.customer_id).group_by(key)
    result: dict[Key, Recovery] = {}
    for row in session.execute(query):
        group: Key = row[0] if key is not None else None
        alerted, later_count, recovered = (int(v or 0) for v in row[-3:])
        if alerted:
            result[group] = Recovery(alerted, later_count, recovered, _rate(recovered, later_count))
    return result


def recovery_by(
    sessions: Sessions,
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    by: str,
    filters: SatisfactionFilters = SatisfactionFilters(),  # noqa: B008 - frozen, shared safely
    lang: str = "en",
    now: dt.datetime | None = None,
) -> list[RecoveryRow]:
    """Compute the recovery per owner or department (by) of the customers alerted in the period: one row per
    group with an alerted customer, labelled in lang."""
    require(actor, "satisfaction.view")
    _check_period(start, end)
    _check_by(by, RECOVERY_BREAKDOWNS)
    with sessions.read() as session:
        recoveries = _recoveries(session, _scope(session, actor, start, end, filters), now=now or utcnow(), by=by)
        labels = _labels(session, by, list(recoveries), lang)
    return [
        RecoveryRow(None if key is None else int(key), labels[key], recoveries[key])
        for key in _ordered(by, list(recoveries), labels)
    ]


def fallen_scores(
    sessions: Sessions,
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    filters: SatisfactionFilters = SatisfactionFilters(),  # noqa: B008 - frozen, shared safely
    page: int = 0,
    page_size: int = 25,
) -> tuple[list[FallenScore], int]:
    """List the customers whose latest response in the period scored lower than the one before it (page 0 first,
    the most recent latest response first), and how many they are in all."""
    require(actor, "satisfaction.view")
    _check_period(start, end)
    with sessions.read() as session:
        scope = _scope(session, actor, start, end, filters)
        customer = (SurveyResponse.customer_id + literal_column("0")).label("customer_id")  # as in _recoveries
        latest_at = (
            _responses([customer, func.max(SurveyResponse.responded_at).label("at")], scope)
            .group_by(customer)
            .subquery("latest_at")
        )
        same, before = _SAME, _BEFORE
        latest_id = (
            select(same.id)
            .where(
                same.customer_id == latest_at.c.customer_id,
                same.responded_at == latest_at.c.at,
                *_response_filters(same, filters),
            )
            .order_by(same.id.desc())
            .limit(1)
            .correlate(latest_at)
            .scalar_subquery()
        )
        previous_id = (
            select(before.id)
            .where(
                before.customer_id == latest_at.c.customer_id,
                before.responded_at < latest_at.c.at,
                *_response_filters(before, filters),
            )
            .order_by(before.responded_at.desc(), before.id.desc())
            .limit(1)
            .correlate(latest_at)
            .scalar_subquery()
        )
        pairs = select(
            latest_at.c.customer_id, latest_id.label("latest_id"), previous_id.label("previous_id")
        ).subquery("pairs")
        latest, previous = _LATEST, _PREVIOUS
        both_overall = and_(latest.overall_score.is_not(None), previous.overall_score.is_not(None))
        fell = or_(
            and_(both_overall, latest.overall_score < previous.overall_score),
            and_(~both_overall, latest.nps.is_not(None), previous.nps.is_not(None), latest.nps < previous.nps),
        )
        base = (
            select(pairs.c.customer_id)
            .join(latest, latest.id == pairs.c.latest_id)
            .join(previous, previous.id == pairs.c.previous_id)
            .where(fell)
        )
        total = int(session.scalar(select(func.count()).select_from(base.subquery())) or 0)
        rows = session.execute(
            base.add_columns(
                Customer.name,
                Customer.owner_id,
                User.display_name,
                case((both_overall, "overall"), else_="nps"),
                previous.id,
                previous.responded_at,
                previous.overall_score,
                previous.nps,
                latest.id,
                latest.responded_at,
                latest.overall_score,
                latest.nps,
            )
            .join(Customer, Customer.id == pairs.c.customer_id)
            .outerjoin(User, User.id == Customer.owner_id)
            .order_by(latest.responded_at.desc(), pairs.c.customer_id)
            .offset(max(0, page) * page_size)
            .limit(page_size)
        ).all()
    return [FallenScore(*row) for row in rows], total
