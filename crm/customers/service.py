"""Customer records: the list (search, filters, sort, SQL paging), the 360 view, create / edit / archive, bulk."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, func, insert, join, or_, select, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.functions import FunctionElement

from crm.customers.duplicates import DuplicatesFound, duplicates_in_session
from crm.customers.records import (
    ActivityView,
    ContactView,
    ContractView,
    OrderTotals,
    OrderView,
    TaskView,
    clean_contact,
    contact_model_values,
    contacts_of,
    contracts_of,
    open_tasks_of,
    order_totals_of,
    orders_of,
    recent_activities_of,
)
from crm.customers.search_index import (
    PICKED_GRAMS,
    SearchPlan,
    candidate_ids,
    holds,
    plan_search,
    reindex_customers,
    search_condition,
    walk,
    walkable,
)
from crm.follow_ups import (
    CHURNED,
    Cadences,
    cadence_due_since,
    cancel_open_tasks,
    follow_up_state,
    load_cadences,
    today_for,
)
from crm.platform.access import can_edit, load_readable, load_writable, masks_contacts, next_code, visibility
from crm.platform.audit import audit_row, write_audit
from crm.platform.clock import utcnow
from crm.platform.errors import NotFound, ValidationCollector
from crm.platform.masking import MASK, mask_email_sql, mask_phone_sql
from crm.platform.names import normalise_name
from crm.platform.permissions import Actor, require
from crm.platform.rollups import moving
from crm.platform.stages import apply_stage_change, check_stage_change
from crm.platform.uow import check_version, transaction
from crm.platform.validation import TEXT_MAX, check_choice, check_code, check_length, check_not_future, check_required
from crm.platform.vocab import (
    CHURN_REASONS,
    COMPANY_SIZES,
    CUSTOMER_TYPES,
    IMPORTANCE,
    INDUSTRIES,
    NEED_TYPES,
    REGIONS,
    SOURCES,
    STAGES,
    urgency_of,
)
from db.engine import Sessions
from db.models import Complaint, Contact, Customer, CustomerTag, Department, StageChange, User, department_label

PAGE_SIZES = (25, 50, 100)
MAX_PAGE_SIZE = 200
ARCHIVED_CHOICES = ("active", "archived", "all")
FOLLOW_UP_STATES = ("none", "planned", "overdue", "out_of_cadence")
UNRATED = "none"  # value-tier filter choice for customers not yet rated
# Every sort is served by an index on its column (owner and department sort by id: their names would need
# the whole filtered set sorted), so the first page never sorts the table.
SORTS = (
    "name",
    "code",
    "created_at",
    "owner",
    "department",
    "lifecycle_stage",
    "value_tier",
    "industry",
    "region",
    "source_channel",
    "importance",
    "last_contact_at",
    "next_follow_up_at",
)
# Counts stop here: "10,000+" answers as fast with a million customers as with a thousand.
COUNT_CAP = 10_000
# A search counts its matches up to here: each is checked against the index row by row, and past a thousand
# matches a user refines the search rather than pages through it (the list then says "1,000+").
SEARCH_COUNT_CAP = 1_000
TAG_MAX = 40
BULK_MAX = 1_000
CODE_PREFIX = "C"
CODE_COUNTER = "customers.code_counter"
OWNER_ROLES = ("admin", "manager", "staff")
AnySelect = Select[*tuple[Any, ...]]
_CUSTOMERS = Customer.__table__  # for Core bulk updates


# --- the list --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerFilter:
    """What the list shows: a search text, filters, the archived choice and the sort (also used by exports)."""

    search: str = ""
    owner_ids: tuple[int | None, ...] = ()  # None = unassigned
    department_ids: tuple[int, ...] = ()
    stages: tuple[str, ...] = ()
    value_tiers: tuple[str, ...] = ()  # "none" = not rated yet
    industries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # customers with any of these tags
    follow_up_states: tuple[str, ...] = ()
    archived: str = "active"  # active / archived / all
    sort: str = "name"
    descending: bool = False


@dataclass(frozen=True)
class CustomerRow:
    """One line of the customer list (phone and email already masked for viewers)."""

    id: int
    code: str
    name: str
    customer_type: str
    owner_id: int | None
    owner_name: str | None
    department_id: int | None
    department_name: str | None
    lifecycle_stage: str
    value_tier: str | None
    size_class: str | None
    relationship: str | None
    credit_risk: str | None
    importance: str | None
    need_type: str | None
    industry: str | None
    region: str | None
    source_channel: str | None
    expected_close_date: dt.date | None
    last_contact_at: dt.datetime | None
    next_follow_up_at: dt.datetime | None
    follow_up_state: str
    created_at: dt.datetime
    updated_at: dt.datetime
    archived_at: dt.datetime | None
    version: int
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None
    tags: tuple[str, ...] = ()
    can_edit: bool = False


@dataclass(frozen=True)
class CustomerPage:
    """One page of the list, the totals of the whole filtered set, and whether contacts are masked."""

    rows: list[CustomerRow]
    total: int  # at most cap + 1: see total_capped
    overdue: int | None  # with a follow-up past due (capped at COUNT_CAP); None when searching, to spare a scan
    page: int
    page_size: int
    masked: bool
    cap: int = COUNT_CAP  # how far the total was counted: SEARCH_COUNT_CAP for a search

    @property
    def total_capped(self) -> bool:
        """True when there are more than `cap` matches (the total is then a lower bound)."""
        return self.total > self.cap

    @property
    def pages(self) -> int:
        return max(1, -(-min(self.total, self.cap) // self.page_size))


def _state_condition(state: str, cadences: Cadences, now: dt.datetime) -> ColumnElement[bool]:
    # The same cases as crm.follow_ups.cadence.follow_up_state, spelt out so that indexes can serve the first two.
    upcoming, last = Customer.next_follow_up_at, Customer.last_contact_at
    if state == "overdue":
        return and_(upcoming.is_not(None), upcoming < now)
    if state == "planned":
        return upcoming >= now
    due_since = cadence_due_since(cadences, now)
    churned = Customer.lifecycle_stage == CHURNED
    if state == "out_of_cadence":
        return and_(upcoming.is_(None), ~churned, or_(last.is_(None), last < due_since))
    return and_(upcoming.is_(None), or_(churned, last >= due_since))


def _in_or_null(column: Any, values: Sequence[Any], null_value: Any) -> ColumnElement[bool]:
    present = [v for v in values if v != null_value]
    parts = [column.in_(present)] if present else []
    if null_value in values:
        parts.append(column.is_(None))
    return or_(*parts)


class _Unindexed(FunctionElement[Any]):
    """The column, hidden from the planner's index choice (SQLite `+column`, MariaDB `IFNULL(column, NULL)`)."""

    inherit_cache = True

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(_Unindexed)
def _unindexed_default(element: _Unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(_Unindexed, "sqlite")
def _unindexed_sqlite(element: _Unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))


@compiles(_Unindexed, "mysql")
@compiles(_Unindexed, "mariadb")
def _unindexed_mysql(element: _Unindexed, compiler: Any, **kw: Any) -> str:
    return f"IFNULL({compiler.process(element.clauses, **kw)}, NULL)"


def filter_conditions(
    session: Session,
    actor: Actor,
    flt: CustomerFilter,
    *,
    now: dt.datetime,
    cadences: Cadences,
    for_counting: bool = False,
    visible: list[ColumnElement[bool]] | None = None,
    search_grams: int | None = None,
    search: bool = True,
    joined_search: bool = False,
) -> list[ColumnElement[bool]]:
    """Return the WHERE conditions of the filter, within what the actor may see (`visible`, if known).

    search_grams: how many of the search's rarest grams pick the candidates
        (crm.customers.search_index.search_condition);
    by default all picked ones when they are rare, none (every row checked, in the list's order) otherwise.
    search: False leaves the search out (the caller walks it: crm.customers.search_index.walk).
    joined_search: the caller joins the search's candidates (`_joined_candidates`); only their text check is left.
    """
    plan = _plan(session, actor, flt)
    if search_grams is None:
        search_grams = PICKED_GRAMS if plan is not None and plan.driven else 0
    conditions = list(visibility(session, actor) if visible is None else visible)
    if flt.archived == "active":
        # Nearly every customer is live, but SQLite (no statistics) and MariaDB (rough ones) take
        # "archived_at IS NULL" for a selective index lookup, then fetch and sort all live customers.
        # Only the name sort, whose index starts with archived_at, should use it; every other sort then
        # reads its own index in order, and counts scan the table once. A search whose grams pick the
        # candidates is read from them instead (see _order).
        use_index = _sorted_by_name(flt) and not for_counting and not search_grams
        archived_at = Customer.archived_at if use_index else _Unindexed(Customer.archived_at)
        conditions.append(archived_at.is_(None))
    elif flt.archived == "archived":
        conditions.append(Customer.archived_at.is_not(None))
    if flt.owner_ids:
        conditions.append(_in_or_null(Customer.owner_id, flt.owner_ids, None))
    if flt.department_ids:
        conditions.append(Customer.department_id.in_(flt.department_ids))
    if flt.stages:
        conditions.append(Customer.lifecycle_stage.in_(flt.stages))
    if flt.value_tiers:
        conditions.append(_in_or_null(Customer.value_tier, flt.value_tiers, UNRATED))
    if flt.industries:
        conditions.append(Customer.industry.in_(flt.industries))
    if flt.regions:
        conditions.append(Customer.region.in_(flt.regions))
    if flt.sources:
        conditions.append(Customer.source_channel.in_(flt.sources))
    if flt.tags:
        conditions.append(Customer.id.in_(select(CustomerTag.customer_id).where(CustomerTag.tag.in_(flt.tags))))
    if flt.follow_up_states:
        conditions.append(
            or_(*(_state_condition(s, cadences, now) for s in flt.follow_up_states if s in FOLLOW_UP_STATES))
        )
    if plan is not None and search:
        conditions.append(search_condition(plan, grams=search_grams, joined=joined_search))
    return conditions


def _joined_candidates(plan: SearchPlan | None, dialect: str, *, grams: int = PICKED_GRAMS) -> Any:
    """The candidates subquery a driven search joins to customers (crm.customers.search_index.candidate_ids), or None.

    Only on MariaDB, which runs `customers.id IN (candidates)` by reading every customer; the query then takes
    `filter_conditions(joined_search=True)`, which leaves only the text check.
    """
    if plan is None or dialect not in ("mysql", "mariadb"):
        return None
    return candidate_ids(plan, grams=grams)


def _sorted_by_name(flt: CustomerFilter) -> bool:
    return flt.sort == "name" or flt.sort not in SORTS


def _plan(session: Session, actor: Actor, flt: CustomerFilter) -> SearchPlan | None:
    return plan_search(session, flt.search, contact_details=not masks_contacts(actor))


def _driven(session: Session, actor: Actor, flt: CustomerFilter) -> bool:
    """True when the search's grams pick a few candidates, to be sorted rather than found in index order."""
    plan = _plan(session, actor, flt)
    return plan is not None and plan.driven


def _order(flt: CustomerFilter, dialect: str, *, driven: bool = False, entity: Any = Customer) -> list[Any]:
    """ORDER BY for the filter: the sort column (always served by an index), then id for a stable order.

    When a search's grams picked the candidates (`driven`), the few candidates are sorted instead: SQLite
    and MariaDB are kept from walking the sort column's index, and probing every customer on the way.
    """
    sort_columns: dict[str, Any] = {
        "owner": entity.owner_id,
        "department": entity.department_id,
        **{name: getattr(entity, name) for name in SORTS if name not in ("owner", "department")},
    }
    sort_column = sort_columns.get(flt.sort, entity.name)
    # PostgreSQL has no such hint: a driven page with its total reads every match first instead (_rows_select).
    if driven and dialect != "postgresql":
        sort_column = _Unindexed(sort_column)
    columns = [sort_column, entity.id]
    if flt.sort == "code":  # unique: no tie-breaker needed, and the unique index serves the order alone
        columns = [sort_column]
    elif sort_column is Customer.name and flt.archived == "active" and not driven and dialect == "postgresql":
        # archived_at is NULL on every listed row, so leading with it changes nothing, but it lets
        # PostgreSQL read the (archived_at, name) index in order instead of sorting all customers
        # (SQLite and MariaDB see that on their own, and MariaDB would sort if told so).
        # Not when a search's grams picked a few candidates: that would cost a walk through the whole index.
        columns = [Customer.archived_at, *columns]
    return [c.desc() for c in columns] if flt.descending else columns


def _rows_select(
    actor: Actor,
    conditions: list[ColumnElement[bool]],
    flt: CustomerFilter,
    *,
    now: dt.datetime,
    cadences: Cadences,
    dialect: str,
    limit: int | None = None,
    offset: int = 0,
    with_total: bool = False,
    driven: bool = False,
    page_ids: Any = None,
    candidates: Any = None,
) -> AnySelect:
    owner = aliased(User, name="owner")
    contact = aliased(Contact, name="primary_contact")
    # The primary contact, or the oldest live one if none is marked primary.
    primary_id = (
        select(Contact.id)
        .where(Contact.customer_id == Customer.id, Contact.archived_at.is_(None))
        .order_by(Contact.is_primary.desc(), Contact.id)
        .limit(1)
        .correlate(Customer)
        .scalar_subquery()
    )
    phone: Any = contact.phone
    email: Any = contact.email
    if masks_contacts(actor):
        phone, email = mask_phone_sql(contact.phone), mask_email_sql(contact.email)
    order = _order(flt, dialect, driven=driven)
    query = select(
        Customer.id,
        Customer.code,
        Customer.name,
        Customer.customer_type,
        Customer.owner_id,
        owner.display_name.label("owner_name"),
        Customer.department_id,
        department_label().label("department_name"),
        Customer.lifecycle_stage,
        Customer.value_tier,
        Customer.size_class,
        Customer.relationship,
        Customer.credit_risk,
        Customer.importance,
        Customer.need_type,
        Customer.industry,
        Customer.region,
        Customer.source_channel,
        Customer.expected_close_date,
        Customer.last_contact_at,
        Customer.next_follow_up_at,
        follow_up_state(cadences, now).label("follow_up_state"),
        Customer.created_at,
        Customer.updated_at,
        Customer.archived_at,
        Customer.version,
        contact.name.label("contact_name"),
        phone.label("contact_phone"),
        email.label("contact_email"),
    ).select_from(Customer)
    if page_ids is not None:  # a subquery of the page's customer_id, already picked (a search's walk)
        query = query.join(page_ids, page_ids.c.customer_id == Customer.id)
        conditions = []
    elif limit is not None:
        # A "deferred join": pick the page's ids with a narrow query the planner gets right (index
        # order or a top-N sort), then join owners, departments and contacts for those rows only.
        page_from = (
            Customer if candidates is None else join(Customer, candidates, candidates.c.customer_id == Customer.id)
        )
        picked = select(Customer.id).select_from(page_from).where(*conditions)
        page_order = order
        if driven and with_total and dialect == "postgresql":
            # Every match is read for the total anyway, so find them all first (OFFSET 0 keeps the subquery
            # whole), then sort. Left to itself, PostgreSQL can misjudge a search's candidates by a hundred
            # times, read the sort column's index in order and check the text of every customer on the way.
            matches = aliased(
                Customer, select(Customer).select_from(page_from).where(*conditions).offset(0).subquery("matches")
            )
            picked = select(matches.id)
            page_order = _order(flt, dialect, driven=driven, entity=matches)
        if with_total:
            picked = picked.add_columns(func.count().over().label("total_matches"))
        page = picked.order_by(*page_order).limit(limit).offset(offset).subquery("page")
        query = query.join(page, page.c.id == Customer.id)
        if with_total:
            query = query.add_columns(page.c.total_matches)
        conditions = []
    elif candidates is not None:
        query = query.join(candidates, candidates.c.customer_id == Customer.id)
    return (
        query.outerjoin(owner, owner.id == Customer.owner_id)
        .outerjoin(Department, Department.id == Customer.department_id)
        .outerjoin(contact, and_(contact.customer_id == Customer.id, contact.id == primary_id))
        .where(*conditions)
        .order_by(*order)
    )


def customer_query(
    session: Session, actor: Actor, flt: CustomerFilter | None = None, *, now: dt.datetime | None = None
) -> AnySelect:
    """Return the SELECT of the filtered, sorted list (no LIMIT): the list pages it, exports stream it.

    Columns are those of CustomerRow except tags and can_edit; contact_phone / contact_email are
    already masked in SQL when the actor may not see them. Raises PermissionDenied without customers.view.
    """
    flt = flt or CustomerFilter()
    now = now or utcnow()
    cadences = load_cadences(session)
    dialect = session.get_bind().dialect.name
    plan = _plan(session, actor, flt)
    driven = plan is not None and plan.driven
    candidates = _joined_candidates(plan, dialect) if driven else None
    conditions = filter_conditions(
        session, actor, flt, now=now, cadences=cadences, joined_search=candidates is not None
    )
    return _rows_select(
        actor, conditions, flt, now=now, cadences=cadences, dialect=dialect, driven=driven, candidates=candidates
    )


def tags_by_customer(session: Session, customer_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """Return the tags of the given customers, in one query (lower-level helper, e.g. for exports)."""
    ids = list(customer_ids)
    tags: dict[int, list[str]] = {}
    if ids:
        for customer_id, tag in session.execute(
            select(CustomerTag.customer_id, CustomerTag.tag)
            .where(CustomerTag.customer_id.in_(ids))
            .order_by(CustomerTag.customer_id, CustomerTag.tag)
        ):
            tags.setdefault(customer_id, []).append(tag)
    return {k: tuple(v) for k, v in tags.items()}


def list_customers(
    sessions: Sessions,
    *,
    actor: Actor,
    flt: CustomerFilter | None = None,
    page: int = 0,
    page_size: int = 50,
    now: dt.datetime | None = None,
) -> CustomerPage:
    """Return one page of the customers the actor may see, with the filtered totals (all counted in SQL)."""
    flt = flt or CustomerFilter()
    now = now or utcnow()
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    with sessions.read() as session:
        cadences = load_cadences(session)
        dialect = session.get_bind().dialect.name
        visible = visibility(session, actor)
        plan = _plan(session, actor, flt)
        cap = COUNT_CAP if plan is None else SEARCH_COUNT_CAP
        driven = plan is not None and plan.driven
        candidates = _joined_candidates(plan, dialect) if driven else None
        conditions = filter_conditions(
            session, actor, flt, now=now, cadences=cadences, visible=visible, joined_search=candidates is not None
        )
        # A common term's capped count reads the customers holding its rarest gram, in id order, and stops
        # at cap + 1 matches (checking every customer would take seconds when matches are 1 in 1,000).
        count_grams = 1 if plan is not None and plan.candidate_grams is not None and not driven else None
        counted = filter_conditions(
            session,
            actor,
            flt,
            now=now,
            cadences=cadences,
            visible=visible,
            for_counting=True,
            search_grams=count_grams,
        )

        def count(*extra: ColumnElement[bool]) -> Any:
            capped = select(Customer.id).where(*counted, *extra).limit(cap + 1).subquery()
            return select(func.count()).select_from(capped).scalar_subquery()

        def fetch(page: int, *, with_total: bool = False) -> list[dict[str, Any]]:
            return [
                dict(r)
                for r in session.execute(
                    _rows_select(
                        actor,
                        conditions,
                        flt,
                        now=now,
                        cadences=cadences,
                        dialect=dialect,
                        limit=page_size,
                        offset=page * page_size,
                        with_total=with_total,
                        driven=driven,
                        candidates=candidates,
                    )
                ).mappings()
            ]

        def walked(descending: bool = False) -> tuple[Any, list[Any]]:
            assert plan is not None
            filters = filter_conditions(
                session, actor, flt, now=now, cadences=cadences, visible=visible, for_counting=True, search=False
            )
            return walk(plan, filters, descending=descending)

        def last_page(total: int) -> int:
            """The page asked for, or the last one of the (capped) total."""
            return max(0, min(int(page), max(0, (min(total, cap) - 1) // page_size)))

        overdue = None
        if _sorted_by_name(flt) and walkable(plan):
            # Walk the holders of one of the term's grams in name order: a page costs a page's worth of
            # holders, the capped count at most cap + 1 matches, whatever the customer count.
            matches, order = walked(flt.descending)
            # The holders of one gram, each checked by primary key, up to cap + 1 matches: a join would
            # let PostgreSQL hash every customer to count a few thousand.
            total = int(session.scalar(select(func.count()).select_from(matches.limit(cap + 1).subquery())) or 0)
            page = last_page(total)
            page_ids = matches.order_by(*order).limit(page_size).offset(page * page_size).subquery("page")
            result = (
                [
                    dict(r)
                    for r in session.execute(
                        _rows_select(
                            actor, [], flt, now=now, cadences=cadences, dialect=dialect, driven=True, page_ids=page_ids
                        )
                    ).mappings()
                ]
                if total
                else []
            )
        elif driven:
            # The search's grams picked at most a few thousand candidates, all read to sort them anyway:
            # the same read gives the page and the total (a window count).
            result = fetch(max(0, int(page)), with_total=True)
            if result:
                total, page = min(int(result[0]["total_matches"]), cap + 1), max(0, int(page))
            elif int(page) <= 0:  # the first page is empty: nothing matches
                total, page = 0, 0
            else:  # past the last page: the first page tells the total, if any
                first = fetch(0, with_total=True)
                total = min(int(first[0]["total_matches"]), cap + 1) if first else 0
                page = last_page(total)
                result = fetch(page, with_total=True) if total else []
            for row in result:
                row.pop("total_matches", None)
        elif plan is not None and walkable(plan):
            # Another sort than the name. Up to cap + 1 matches from the walk give the total and, when that is
            # all of them, the customers to sort. More than cap (at least one customer in a thousand at a
            # million): read the sort column's (column, id) index in order and check each row's grams by key.
            matched = list(session.scalars(walked()[0].limit(cap + 1)))
            total = len(matched)
            page = last_page(total)
            searched: list[ColumnElement[bool]] = holds(plan) if total > cap else [Customer.id.in_(matched)]
            conditions = (
                filter_conditions(session, actor, flt, now=now, cadences=cadences, visible=visible, search=False)
                + searched
            )
            driven = total <= cap
            result = fetch(page) if total else []
        elif plan is not None:
            total = int(session.scalar(select(count())) or 0)
            page = last_page(total)
            if count_grams and (total <= cap or not plan.common):
                # Few matches (say "wonka trading", or a code prefix), or a rarest gram that a few percent of
                # customers hold: sort its holders' matches. Walking the list's index could check most
                # customers before filling a page (Chinese names all sort after the English ones).
                driven = True
                candidates = _joined_candidates(plan, dialect, grams=PICKED_GRAMS)
                conditions = filter_conditions(
                    session,
                    actor,
                    flt,
                    now=now,
                    cadences=cadences,
                    visible=visible,
                    search_grams=PICKED_GRAMS,
                    joined_search=candidates is not None,
                )
            # Otherwise very common (or too short for grams): rows are checked in the list's order and the
            # page fills quickly.
            result = fetch(page)
        else:
            total, overdue = session.execute(select(count(), count(Customer.next_follow_up_at < now))).one()
            total = int(total or 0)
            page = last_page(total)
            result = fetch(page)
        tags = tags_by_customer(session, (r["id"] for r in result))
    rows = [CustomerRow(**r, tags=tags.get(r["id"], ()), can_edit=can_edit(actor, r["owner_id"])) for r in result]
    return CustomerPage(
        rows=rows,
        total=total,
        overdue=None if overdue is None else int(overdue),
        page=page,
        page_size=page_size,
        masked=masks_contacts(actor),
        cap=cap,
    )


@dataclass(frozen=True)
class Choice:
    """An id and a label, for pickers."""

    id: int
    label: str


@dataclass(frozen=True)
class FilterOptions:
    owners: list[Choice]
    departments: list[Choice]
    tags: list[str]


def filter_options(sessions: Sessions, *, actor: Actor, tag_limit: int = 500) -> FilterOptions:
    """Return the owners, departments and tags to offer in the list filters."""
    require(actor, "customers.view")
    with sessions.read() as session:
        owners = [
            Choice(i, n)
            for i, n in session.execute(
                select(User.id, User.display_name)
                .where(User.role.in_(OWNER_ROLES), User.is_active.is_(True))
                .order_by(User.display_name)
            )
        ]
        departments = [
            Choice(i, n)
            for i, n in session.execute(
                select(Department.id, department_label())
                .where(Department.archived_at.is_(None))
                .order_by(Department.name)
            )
        ]
        tags = list(session.scalars(select(CustomerTag.tag).distinct().order_by(CustomerTag.tag).limit(tag_limit)))
    return FilterOptions(owners=owners, departments=departments, tags=tags)


def pick_customers(
    sessions: Sessions, *, actor: Actor, search: str = "", limit: int = 20, exclude_id: int | None = None
) -> list[Choice]:
    """Return up to `limit` live customers matching the search, as 'code · name' choices (for pickers)."""
    flt = CustomerFilter(search=search, sort="name")
    with sessions.read() as session:
        plan = _plan(session, actor, flt)
        walked = walkable(plan)
        conditions = filter_conditions(session, actor, flt, now=utcnow(), cadences=Cadences({}), search=not walked)
        if exclude_id is not None:
            conditions.append(Customer.id != exclude_id)
        query = select(Customer.id, Customer.code, Customer.name)
        if walked:
            assert plan is not None
            matches, order = walk(plan, conditions)
            picked = matches.order_by(*order).limit(limit).subquery("picked")
            query, conditions = query.join(picked, picked.c.customer_id == Customer.id), []
        order = _order(flt, session.get_bind().dialect.name, driven=walked or _driven(session, actor, flt))
        rows = session.execute(query.where(*conditions).order_by(*order).limit(limit)).all()
    return [Choice(i, f"{code} · {name}") for i, code, name in rows]


# --- one customer -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerInput:
    """The fields staff edit on a customer (the computed classes are the classification run's)."""

    name: str = ""
    code: str = ""  # empty on create: the next C000123 is drawn
    customer_type: str = "company"
    industry: str | None = None
    region: str | None = None
    address: str | None = None
    company_size: str | None = None
    source_channel: str | None = None
    owner_id: int | None = None
    department_id: int | None = None
    needs: str | None = None
    products_in_use: str | None = None
    decision_process: str | None = None
    competitors: str | None = None
    preferences: str | None = None
    notes: str | None = None
    birthday: dt.date | None = None
    first_contact_date: dt.date | None = None
    share_consent: bool = False
    lifecycle_stage: str = "potential"
    churn_reason: str | None = None
    need_type: str | None = None
    importance: str | None = None
    expected_close_date: dt.date | None = None
    tags: tuple[str, ...] = ()


EDITABLE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(CustomerInput))
_TEXT_FIELDS = ("needs", "products_in_use", "decision_process", "competitors", "preferences", "notes")
_CHOICES: dict[str, tuple[str, ...]] = {
    "customer_type": CUSTOMER_TYPES,
    "industry": INDUSTRIES,
    "region": REGIONS,
    "company_size": COMPANY_SIZES,
    "source_channel": SOURCES,
    "need_type": NEED_TYPES,
    "importance": IMPORTANCE,
    "churn_reason": CHURN_REASONS,
}
_LENGTHS = {"name": 200, "code": 32, "address": 300}


@dataclass(frozen=True)
class CustomerView:
    """A customer's profile as the actor may see it."""

    id: int
    code: str
    name: str
    customer_type: str
    industry: str | None
    region: str | None
    address: str | None
    company_size: str | None
    source_channel: str | None
    owner_id: int | None
    owner_name: str | None
    department_id: int | None
    department_name: str | None
    needs: str | None
    products_in_use: str | None
    decision_process: str | None
    competitors: str | None
    preferences: str | None
    notes: str | None
    birthday: dt.date | None
    first_contact_date: dt.date | None
    share_consent: bool
    lifecycle_stage: str
    stage_changed_at: dt.datetime | None
    churn_reason: str | None
    need_type: str | None
    importance: str | None
    expected_close_date: dt.date | None
    urgency: str | None
    value_tier: str | None
    size_class: str | None
    relationship: str | None
    credit_risk: str | None
    classified_at: dt.datetime | None
    last_contact_at: dt.datetime | None
    next_follow_up_at: dt.datetime | None
    follow_up_state: str
    created_at: dt.datetime
    updated_at: dt.datetime
    archived_at: dt.datetime | None
    version: int
    tags: tuple[str, ...] = ()
    can_edit: bool = False
    masked: bool = False


def customer_view_in(
    session: Session,
    actor: Actor,
    customer_id: int,
    *,
    now: dt.datetime | None = None,
    cadences: Cadences | None = None,
) -> CustomerView:
    """Build the profile view inside an open session (lower-level helper: checks read access)."""
    now = now or utcnow()
    cadences = cadences or load_cadences(session)
    owner = aliased(User, name="owner")
    row = session.execute(
        select(Customer, owner.display_name, department_label(), follow_up_state(cadences, now))
        .outerjoin(owner, owner.id == Customer.owner_id)
        .outerjoin(Department, Department.id == Customer.department_id)
        .where(Customer.id == customer_id)
    ).one_or_none()
    if row is None:
        raise NotFound(entity="customers", id=customer_id)
    customer, owner_name, department_name, state = row
    load_readable(session, actor, customer_id)
    tags = tags_by_customer(session, [customer_id]).get(customer_id, ())
    values = {
        name: getattr(customer, name)
        for name in (
            "id",
            "code",
            "name",
            "customer_type",
            "industry",
            "region",
            "address",
            "company_size",
            "source_channel",
            "owner_id",
            "department_id",
            *_TEXT_FIELDS,
            "birthday",
            "first_contact_date",
            "share_consent",
            "lifecycle_stage",
            "stage_changed_at",
            "churn_reason",
            "need_type",
            "importance",
            "expected_close_date",
            "value_tier",
            "size_class",
            "relationship",
            "credit_risk",
            "classified_at",
            "last_contact_at",
            "next_follow_up_at",
            "created_at",
            "updated_at",
            "archived_at",
            "version",
        )
    }
    masked = masks_contacts(actor)
    if masked:  # a person's own details are as personal as a contact's: a viewer sees neither
        values["birthday"] = None
        if customer.customer_type == "individual" and customer.address:
            values["address"] = MASK
    return CustomerView(
        **values,
        owner_name=owner_name,
        department_name=department_name,
        follow_up_state=state,
        urgency=urgency_of(customer.expected_close_date, now.date())
        if customer.lifecycle_stage in ("potential", "intent")
        else None,
        tags=tags,
        can_edit=can_edit(actor, customer.owner_id),
        masked=masked,
    )


def get_customer(sessions: Sessions, *, actor: Actor, customer_id: int, now: dt.datetime | None = None) -> CustomerView:
    """Return a customer's profile (PermissionDenied if the actor may not read it)."""
    with sessions.read() as session:
        return customer_view_in(session, actor, customer_id, now=now)


@dataclass(frozen=True)
class Customer360:
    """Everything about one customer on one screen (the timeline is paged separately: crm.customers.timeline)."""

    profile: CustomerView
    contacts: list[ContactView]
    orders: list[OrderView]
    order_totals: OrderTotals
    contracts: list[ContractView]
    contract_value: Decimal  # live contracts that are active
    contract_outstanding: Decimal
    open_tasks: list[TaskView]
    recent_activities: list[ActivityView]
    open_complaints: int

    @property
    def next_follow_up(self) -> TaskView | None:
        return self.open_tasks[0] if self.open_tasks else None


OPEN_COMPLAINT_STATUSES = ("new", "acknowledged", "in_progress", "waiting_customer", "reopened")


def get_customer_360(
    sessions: Sessions, *, actor: Actor, customer_id: int, orders_limit: int = 50, now: dt.datetime | None = None
) -> Customer360:
    """Return the profile, contacts, orders with totals, contracts with payments and open follow-ups."""
    now = now or utcnow()
    today = now.date()
    with sessions.read() as session:
        profile = customer_view_in(session, actor, customer_id, now=now)
        contracts = contracts_of(session, customer_id, today=today)
        active = [c for c in contracts if c.status == "active"]
        return Customer360(
            profile=profile,
            contacts=contacts_of(session, actor, customer_id),
            orders=orders_of(session, customer_id, limit=orders_limit),
            order_totals=order_totals_of(session, customer_id, today=today),
            contracts=contracts,
            contract_value=sum((c.value for c in active), Decimal(0)),
            contract_outstanding=sum((c.outstanding for c in active), Decimal(0)),
            open_tasks=open_tasks_of(session, customer_id, now=now),
            recent_activities=recent_activities_of(session, customer_id),
            open_complaints=int(
                session.scalar(
                    select(func.count())
                    .select_from(Complaint)
                    .where(
                        Complaint.customer_id == customer_id,
                        Complaint.archived_at.is_(None),
                        Complaint.status.in_(OPEN_COMPLAINT_STATUSES),
                    )
                )
                or 0
            ),
        )


# --- validation -------------------------------------------------------------------------------------


def _clean_text(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def clean_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Strip tags, drop empty and repeated ones (order kept)."""
    seen: dict[str, None] = {}
    for tag in tags:
        text = " ".join(str(tag).split())
        if text:
            seen.setdefault(text, None)
    return tuple(seen)


def clean_customer_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Normalise submitted customer fields: strip text, empty text to None, tags de-duplicated."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise KeyError(f"not editable: {sorted(unknown)}")
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        if name == "tags":
            cleaned[name] = clean_tags(value or ())
        elif name in ("name", "code"):
            cleaned[name] = (value or "").strip()
        elif name == "share_consent":
            cleaned[name] = bool(value)
        else:
            cleaned[name] = _clean_text(value)
    return cleaned


def check_customer_values(errors: ValidationCollector, values: Mapping[str, Any], *, today: dt.date) -> None:
    """Validate the given (cleaned) customer fields without the database: required, lengths, choices, dates."""
    if "name" in values:
        check_required(errors, "name", values["name"], _LENGTHS["name"])
    if values.get("code"):
        check_code(errors, "code", values["code"])
    if "customer_type" in values:
        check_choice(errors, "customer_type", values["customer_type"], CUSTOMER_TYPES, required=True)
    for name, choices in _CHOICES.items():
        if name in values and name != "customer_type":
            check_choice(errors, name, values[name], choices)
    if "lifecycle_stage" in values:
        check_choice(errors, "lifecycle_stage", values["lifecycle_stage"], STAGES, required=True)
    if "address" in values:
        check_length(errors, "address", values["address"], _LENGTHS["address"])
    for name in _TEXT_FIELDS:
        if name in values:
            check_length(errors, name, values[name], TEXT_MAX)
    for name in ("birthday", "first_contact_date"):
        if name in values:
            if values[name] is not None and not isinstance(values[name], dt.date):
                errors.add(name, "validation.date")
            else:
                check_not_future(errors, name, values[name], today)
    if values.get("expected_close_date") is not None and not isinstance(values["expected_close_date"], dt.date):
        errors.add("expected_close_date", "validation.date")
    for tag in values.get("tags", ()):
        check_length(errors, "tags", tag, TAG_MAX)


def _check_owner(session: Session, errors: ValidationCollector, owner_id: int | None) -> None:
    if owner_id is None:
        return
    role = session.scalar(select(User.role).where(User.id == owner_id, User.is_active.is_(True)))
    if role not in OWNER_ROLES:
        errors.add("owner_id", "customers.validation.owner")


def _check_department(session: Session, errors: ValidationCollector, department_id: int | None) -> None:
    if (
        department_id is not None
        and session.scalar(
            select(Department.id).where(Department.id == department_id, Department.archived_at.is_(None))
        )
        is None
    ):
        errors.add("department_id", "validation.choice")


def _check_code_free(session: Session, errors: ValidationCollector, code: str | None, customer_id: int | None) -> None:
    if code and "code" not in errors.fields:
        taken = session.scalar(select(Customer.id).where(Customer.code == code))
        if taken is not None and taken != customer_id:
            errors.add("code", "validation.code_taken")


def name_key_of(name: str) -> str:
    """Return the duplicate-detection key stored in customers.name_key."""
    return normalise_name(name)[:200]


def _set_tags(session: Session, actor: Actor, customer: Customer, tags: Sequence[str], *, new: bool = False) -> None:
    """Give the customer exactly these tags; a change is a change of the customer (version bumped, audited).

    The customer's row is written (UPDATE ... WHERE version = n) before its tags, so that of two saves from
    the same version only one writes tags, and the other gets the conflict (crm.platform.uow) naming who changed them.
    """
    with session.no_autoflush:  # the customer's other changes go in the same UPDATE as the bump below
        current = set(session.scalars(select(CustomerTag.tag).where(CustomerTag.customer_id == customer.id)))
    wanted = set(tags)
    added, removed = sorted(wanted - current), sorted(current - wanted)
    if (added or removed) and not new:
        customer.updated_at = utcnow()  # the row is written even when only tags change: one version bump
        session.flush()
    if removed:
        session.execute(delete(CustomerTag).where(CustomerTag.customer_id == customer.id, CustomerTag.tag.in_(removed)))
    if added:
        session.execute(
            insert(CustomerTag), [{"customer_id": customer.id, "tag": t, "created_at": utcnow()} for t in added]
        )
    if added or removed:
        write_audit(
            session,
            [
                audit_row(
                    actor,
                    "update",
                    "customers",
                    customer.id,
                    field="tags",
                    old=_tags_text(current),
                    new=_tags_text(wanted),
                    version=customer.version,
                )
            ],
        )


def _tags_text(tags: Iterable[str]) -> str | None:
    """A customer's whole set of tags as the audit trail keeps it ('a, b'; None for none)."""
    return ", ".join(sorted(tags)) or None


# --- create, update, archive ------------------------------------------------------------------------


def create_customer(
    sessions: Sessions,
    *,
    actor: Actor,
    data: CustomerInput,
    contact: Any = None,
    confirm_duplicates: bool = False,
    token: str | None = None,
    today: dt.date | None = None,
) -> CustomerView:
    """Create a customer (with an optional first contact, a crm.customers.records.ContactInput).

    Staff always own what they create. Unless confirm_duplicates, a customer whose name, phone or email
    matches a live one is refused with DuplicatesFound listing the candidates.
    """
    require(actor, "customers.create")
    today = today or today_for(sessions)
    values = clean_customer_values(asdict(data))
    if not actor.can("customers.reassign"):
        values["owner_id"] = actor.id
    errors = ValidationCollector()
    check_customer_values(errors, values, today=today)
    contact_values = None
    if contact is not None:
        contact_values = clean_contact(errors, contact, today=today, prefix="contact_", required=False)
    with transaction(sessions, actor=actor, token=token, operation="customers.create") as session:
        _check_owner(session, errors, values["owner_id"])
        _check_department(session, errors, values["department_id"])
        _check_code_free(session, errors, values["code"], None)
        check_stage_change("potential", values["lifecycle_stage"], values["churn_reason"], errors)
        errors.raise_if_any()
        if not confirm_duplicates:
            candidates = duplicates_in_session(
                session,
                name=values["name"],
                phones=[contact_values["phone"]] if contact_values and contact_values.get("phone") else [],
                emails=[contact_values["email"]] if contact_values and contact_values.get("email") else [],
                actor=actor,
            )
            if candidates:
                raise DuplicatesFound(candidates)
        if values["department_id"] is None and values["owner_id"] is not None:
            values["department_id"] = session.scalar(select(User.department_id).where(User.id == values["owner_id"]))
        tags = values.pop("tags")
        code = values.pop("code") or next_code(session, column=Customer.code, prefix=CODE_PREFIX, counter=CODE_COUNTER)
        now = utcnow()
        customer = Customer(**values, code=code, name_key=name_key_of(values["name"]), stage_changed_at=now)
        if values["lifecycle_stage"] != "churned":
            customer.churn_reason = None
        session.add(customer)
        session.flush()
        session.add(
            StageChange(
                customer_id=customer.id,
                from_stage=None,
                to_stage=customer.lifecycle_stage,
                changed_at=now,
                changed_by_id=actor.id,
            )
        )
        if tags:
            _set_tags(session, actor, customer, tags, new=True)
        if contact_values and contact_values.get("name"):
            session.add(Contact(customer_id=customer.id, **contact_model_values(contact_values), is_primary=True))
        reindex_customers(session, [customer.id])
        return customer_view_in(session, actor, customer.id)


def update_customer(
    sessions: Sessions,
    *,
    actor: Actor,
    customer_id: int,
    version: int,
    changes: Mapping[str, Any],
    token: str | None = None,
    today: dt.date | None = None,
) -> CustomerView:
    """Apply the changed fields to a customer the actor may edit, if it is still at `version`.

    Only the fields in `changes` are touched, so saving after a conflict does not undo the other
    person's edits of other fields. A stage change goes through crm.platform.stages (history row, rules).
    """
    today = today or today_for(sessions)
    values = clean_customer_values(changes)
    errors = ValidationCollector()
    check_customer_values(errors, values, today=today)
    if "code" in values and not values["code"]:
        errors.add("code", "validation.required")
    with transaction(sessions, actor=actor, token=token, operation="customers.update") as session:
        customer = load_writable(session, actor, customer_id)
        check_version(session, customer, version)
        if "owner_id" in values and values["owner_id"] != customer.owner_id:
            require(actor, "customers.reassign")
            _check_owner(session, errors, values["owner_id"])
        if "department_id" in values and values["department_id"] != customer.department_id:
            _check_department(session, errors, values["department_id"])
        if "code" in values and values["code"] != customer.code:
            _check_code_free(session, errors, values["code"], customer.id)
        stage = values.pop("lifecycle_stage", customer.lifecycle_stage)
        churn_reason = values.pop("churn_reason", customer.churn_reason)
        if stage != customer.lifecycle_stage:
            check_stage_change(customer.lifecycle_stage, stage, churn_reason, errors)
        elif stage == "churned" and churn_reason not in CHURN_REASONS:
            errors.add("churn_reason", "stages.churn_reason_required")
        errors.raise_if_any()
        tags = values.pop("tags", None)
        for name, value in values.items():
            if getattr(customer, name) != value:
                setattr(customer, name, value)
        if "name" in values:
            customer.name_key = name_key_of(customer.name)
        if stage != customer.lifecycle_stage:
            apply_stage_change(session, actor=actor, customer=customer, to_stage=stage, churn_reason=churn_reason)
        elif stage == "churned" and churn_reason != customer.churn_reason:
            customer.churn_reason = churn_reason
        if tags is not None:  # flushes the customer's other changes with it: one version for the whole save
            _set_tags(session, actor, customer, tags)
        session.flush()
        if "name" in values or "code" in values:
            reindex_customers(session, [customer.id])
        return customer_view_in(session, actor, customer.id)


def _set_archived(
    sessions: Sessions, *, actor: Actor, customer_id: int, version: int, archived: bool, token: str | None
) -> CustomerView:
    require(actor, "customers.archive")
    operation = "customers.archive" if archived else "customers.restore"
    with transaction(sessions, actor=actor, token=token, operation=operation) as session:
        customer = load_writable(session, actor, customer_id)
        check_version(session, customer, version)
        if (customer.archived_at is not None) != archived:
            customer.archived_at = utcnow() if archived else None
            if archived:  # an archived customer keeps no open follow-ups (the queues count on it)
                cancel_open_tasks(session, actor=actor, customer_ids=[customer.id])
        session.flush()
        return customer_view_in(session, actor, customer.id)


def archive_customer(
    sessions: Sessions, *, actor: Actor, customer_id: int, version: int, token: str | None = None
) -> CustomerView:
    """Archive (soft-delete) a customer; managers only."""
    return _set_archived(sessions, actor=actor, customer_id=customer_id, version=version, archived=True, token=token)


def restore_customer(
    sessions: Sessions, *, actor: Actor, customer_id: int, version: int, token: str | None = None
) -> CustomerView:
    """Bring an archived customer back; managers only."""
    return _set_archived(sessions, actor=actor, customer_id=customer_id, version=version, archived=False, token=token)


# --- bulk actions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkResult:
    """How many of the selected customers changed, and how many already were as asked."""

    changed: int
    unchanged: int
    ids: tuple[int, ...] = field(default=())


def _bulk_ids(customer_ids: Iterable[int]) -> list[int]:
    ids = sorted({int(i) for i in customer_ids})
    if not ids:
        errors = ValidationCollector()
        errors.add("customer_ids", "customers.bulk.none_selected")
        errors.raise_if_any()
    if len(ids) > BULK_MAX:
        errors = ValidationCollector()
        errors.add("customer_ids", "customers.bulk.too_many", max=BULK_MAX)
        errors.raise_if_any()
    return ids


def _bulk_load(session: Session, ids: list[int], *columns: Any) -> Sequence[Any]:
    rows = session.execute(
        select(Customer.id, Customer.version, *columns).where(Customer.id.in_(ids)).with_for_update()
    ).all()
    if len(rows) != len(ids):
        raise NotFound(entity="customers", id=sorted(set(ids) - {r[0] for r in rows}))
    return rows


def bulk_reassign(
    sessions: Sessions, *, actor: Actor, customer_ids: Iterable[int], owner_id: int | None, token: str | None = None
) -> BulkResult:
    """Give the selected customers to another owner, in one transaction, audited per customer."""
    require(actor, "customers.reassign")
    ids = _bulk_ids(customer_ids)
    with transaction(sessions, actor=actor, token=token, operation="customers.bulk_reassign") as session:
        errors = ValidationCollector()
        _check_owner(session, errors, owner_id)
        errors.raise_if_any()
        rows = _bulk_load(session, ids, Customer.owner_id)
        changing = [r for r in rows if r.owner_id != owner_id]
        if changing:
            # A Core UPDATE passes the rollups' flush listener: the customers' histories move owner here.
            with moving(session.connection(), [r.id for r in changing]):
                session.execute(
                    update(_CUSTOMERS)
                    .where(_CUSTOMERS.c.id.in_([r.id for r in changing]))
                    .values(owner_id=owner_id, version=_CUSTOMERS.c.version + 1, updated_at=utcnow())
                )
            write_audit(
                session,
                [
                    audit_row(
                        actor,
                        "update",
                        "customers",
                        r.id,
                        field="owner_id",
                        old=r.owner_id,
                        new=owner_id,
                        version=r.version + 1,
                    )
                    for r in changing
                ],
            )
    return BulkResult(changed=len(changing), unchanged=len(rows) - len(changing), ids=tuple(r.id for r in changing))


def bulk_tag(
    sessions: Sessions,
    *,
    actor: Actor,
    customer_ids: Iterable[int],
    tag: str,
    remove: bool = False,
    token: str | None = None,
) -> BulkResult:
    """Add a tag to (or remove it from) the selected customers, in one transaction, audited per customer."""
    require(actor, "customers.edit_all")
    ids = _bulk_ids(customer_ids)
    cleaned = clean_tags([tag])
    errors = ValidationCollector()
    if not cleaned:
        errors.add("tag", "validation.required")
    else:
        check_length(errors, "tag", cleaned[0], TAG_MAX)
    errors.raise_if_any()
    text = cleaned[0]
    with transaction(sessions, actor=actor, token=token, operation="customers.bulk_tag") as session:
        rows = _bulk_load(session, ids)
        having = set(
            session.scalars(
                select(CustomerTag.customer_id).where(CustomerTag.customer_id.in_(ids), CustomerTag.tag == text)
            )
        )
        changing = [r for r in rows if (r.id in having) == remove]
        if changing:
            changed_ids = [r.id for r in changing]
            # A tag is part of the customer: its version moves, so a form opened before refuses to save over it.
            session.execute(
                update(_CUSTOMERS)
                .where(_CUSTOMERS.c.id.in_(changed_ids))
                .values(version=_CUSTOMERS.c.version + 1, updated_at=utcnow())
            )
            if remove:
                session.execute(
                    delete(CustomerTag).where(CustomerTag.tag == text, CustomerTag.customer_id.in_(changed_ids))
                )
            else:
                session.execute(
                    insert(CustomerTag), [{"customer_id": i, "tag": text, "created_at": utcnow()} for i in changed_ids]
                )
        tags = tags_by_customer(session, [r.id for r in changing])
        write_audit(
            session,
            [
                audit_row(
                    actor,
                    "update",
                    "customers",
                    r.id,
                    field="tags",
                    old=_tags_text(set(tags.get(r.id, ())) ^ {text}),
                    new=_tags_text(tags.get(r.id, ())),
                    version=r.version + 1,
                )
                for r in changing
            ],
        )
    return BulkResult(changed=len(changing), unchanged=len(rows) - len(changing), ids=tuple(r.id for r in changing))


def bulk_archive(
    sessions: Sessions, *, actor: Actor, customer_ids: Iterable[int], token: str | None = None
) -> BulkResult:
    """Archive the selected customers, in one transaction, audited per customer."""
    require(actor, "customers.archive")
    ids = _bulk_ids(customer_ids)
    with transaction(sessions, actor=actor, token=token, operation="customers.bulk_archive") as session:
        rows = _bulk_load(session, ids, Customer.archived_at)
        changing = [r for r in rows if r.archived_at is None]
        if changing:
            now = utcnow()
            with moving(session.connection(), [r.id for r in changing]):  # their histories leave the rollups
                session.execute(
                    update(_CUSTOMERS)
                    .where(_CUSTOMERS.c.id.in_([r.id for r in changing]))
                    .values(archived_at=now, version=_CUSTOMERS.c.version + 1, updated_at=now)
                )
            write_audit(
                session,
                [
                    audit_row(actor, "archive", "customers", r.id, field="archived_at", new=now, version=r.version + 1)
                    for r in changing
                ],
            )
            cancel_open_tasks(session, actor=actor, customer_ids=[r.id for r in changing])
    return BulkResult(changed=len(changing), unchanged=len(rows) - len(changing), ids=tuple(r.id for r in changing))


def owner_choices(sessions: Sessions, *, actor: Actor) -> list[Choice]:
    """Return the active users who may own customers (for the owner pickers)."""
    require(actor, "customers.view")
    with sessions.read() as session:
        return [
            Choice(i, n)
            for i, n in session.execute(
                select(User.id, User.display_name)
                .where(User.role.in_(OWNER_ROLES), User.is_active.is_(True))
                .order_by(User.display_name)
            )
        ]
