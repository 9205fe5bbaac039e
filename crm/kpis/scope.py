"""What every KPI query shares: the customers the actor and the filters pick, the period's instants, and a
customer's lifecycle stage at a past instant read from the stage history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, case, select
from sqlalchemy.orm import Session, aliased

from crm.kpis.definitions import KpiFilters
from crm.kpis.periods import Period
from crm.kpis.rollups import segment_conditions
from crm.platform.clock import company_zone, local_midnight, utcnow
from crm.platform.parallel import shared
from crm.platform.permissions import Actor, require
from db.models import Customer, StageChange


@dataclass(frozen=True)
class Window:
    """The period as instants: [start_at, end_at) is the period's company-local days; as_of = min(end_at, now),
    the instant "at the period's end" figures (customers, stages, cadence, overdue work) are read at."""

    period: Period
    start_at: dt.datetime
    end_at: dt.datetime
    as_of: dt.datetime
    now: dt.datetime
    today: dt.date  # the company-local day of `now`: the days after it hold (almost) no records yet

    @property
    def live(self) -> bool:
        """True when the period is not over: its end figures are read from the current columns."""
        return self.as_of >= self.now

    @property
    def last_day(self) -> dt.date:
        """The last day whose orders count (the period's end)."""
        return self.period.end


def reading_now() -> dt.datetime:
    """The instant figures are read at: now, the same one for every read of a page (a sharing() block of
    crm/platform/parallel.py), so that its figures agree and read the same instants' stage events once."""
    return shared("now", utcnow)


def window(session: Session, period: Period, now: dt.datetime) -> Window:
    """The period's instants in the company's time zone."""
    zone = company_zone(session)
    start_at = local_midnight(period.start, zone)
    end_at = local_midnight(period.end + dt.timedelta(days=1), zone)
    return Window(period, start_at, end_at, min(end_at, now), now, now.astimezone(zone).date())


def month_starts(session: Session, months: list[dt.date]) -> list[dt.datetime]:
    """The instant each company-local month starts."""
    zone = company_zone(session)
    return [local_midnight(m, zone) for m in months]


def own_scope(actor: Actor) -> bool:
    """Staff get the figures of their own customers (as the overview); other roles the whole company."""
    require(actor, "customers.view")
    return not actor.can("customers.view_all")


def customer_conditions(actor: Actor, filters: KpiFilters) -> list[ColumnElement[bool]]:
    """The WHERE conditions picking the live customers the figures count, for the actor and the filters."""
    conditions: list[ColumnElement[bool]] = [Customer.archived_at.is_(None)]
    if own_scope(actor):
        conditions.append(Customer.owner_id == actor.id)
    if filters.owner_id is not None:
        conditions.append(Customer.owner_id == filters.owner_id)
    if filters.department_id is not None:
        conditions.append(Customer.department_id == filters.department_id)
    if filters.value_tier is not None:
        tier = filters.value_tier
        conditions.append(Customer.value_tier.is_(None) if tier == "none" else Customer.value_tier == tier)
    if filters.industry is not None:
        conditions.append(Customer.industry == filters.industry)
    if filters.region is not None:
        conditions.append(Customer.region == filters.region)
    return conditions


@dataclass(frozen=True)
class Scope:
    """The customers the figures count: conditions on customers, and how a record's customer_id is held to them."""

    conditions: tuple[ColumnElement[bool], ...]
    everyone: bool  # no filter and the whole company: only archived customers are left out
    owner_id: int | None = None  # staff: their own customers only
    filters: KpiFilters = KpiFilters()

    def on(self, rollup: Any) -> list[ColumnElement[bool]]:
        """The same customers as conditions on a rollup's segment columns (crm/kpis/rollups.py)."""
        return segment_conditions(rollup, self.owner_id, self.filters)

    def records(self, customer_id: Any) -> ColumnElement[bool]:
        """The record's customer is counted: NOT IN the (few) archived customers when everyone counts, else EXISTS
        the customer under the conditions (a key lookup per record, never a list of every customer's id)."""
        # correlate_except: the customers table stays the subquery's own even where the outer query joins it.
        if self.everyone:
            archived = select(Customer.id).where(Customer.archived_at.is_not(None)).correlate_except(Customer)
            return customer_id.not_in(archived)
        own = select(Customer.id).where(Customer.id == customer_id, *self.conditions).correlate_except(Customer)
        return own.exists()


def scope_for(actor: Actor, filters: KpiFilters) -> Scope:
    """The scope of the actor (staff: their own customers) under the filters."""
    conditions = customer_conditions(actor, filters)
    return Scope(
        tuple(conditions),
        everyone=len(conditions) == 1 and filters.is_empty(),
        owner_id=actor.id if own_scope(actor) else None,
        filters=filters,
    )


def customer_ids(actor: Actor, filters: KpiFilters) -> Select[Any]:
    """SELECT of the ids of the customers the figures count."""
    return select(Customer.id).where(*customer_conditions(actor, filters))


def first_change_since(instant: dt.datetime) -> Subquery:
    """Each customer's first stage change at or after the instant: its from_stage is the stage held at the instant
    (None: the customer was created after it). Customers without one still hold their current stage.

    The customers changed since the instant come from a range of the changes' time index; each one's first change
    is then one lookup in (customer_id, changed_at, id, from_stage): a short period costs its own changes, not a
    pass over everyone's history.
    """
    changed = (
        select(StageChange.customer_id.label("customer_id"))
        # SQLite otherwise reads the whole (customer_id, changed_at) index for the DISTINCT.
        .with_hint(StageChange, "INDEXED BY ix_stage_changes_kpi_at", "sqlite")
        .where(StageChange.changed_at >= instant)
        .distinct()
        .subquery()
    )
    later = aliased(StageChange)
    held = (
        select(later.from_stage)
        .where(later.customer_id == changed.c.customer_id, later.changed_at >= instant)
        .order_by(later.changed_at, later.id)
        .limit(1)
        .scalar_subquery()
    )
    return select(changed.c.customer_id, held.label("from_stage")).subquery()


def stage_at(first: Subquery | None) -> Any:
    """The customer's stage at the instant `first` was built for (None: not yet created); the current stage when
    first is None (the instant is now)."""
    if first is None:
        return Customer.lifecycle_stage
    return case((first.c.customer_id.is_(None), Customer.lifecycle_stage), else_=first.c.from_stage)


def customers_at(instant: dt.datetime, now: dt.datetime) -> tuple[Any, Any, list[Any]]:
    """(FROM clause, stage expression, conditions) for the customers existing at the instant with their stage then."""
    if instant >= now:
        return Customer, Customer.lifecycle_stage, [Customer.created_at < instant]
    first = first_change_since(instant)
    stage = stage_at(first)
    from_ = Customer.__table__.outerjoin(first, first.c.customer_id == Customer.id)
    return from_, stage, [Customer.created_at < instant, stage.is_not(None)]
