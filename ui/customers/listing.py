"""Customer widgets: list filters, the list table with bulk actions, the new-customer form, versioned forms."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from crm.customers.duplicates import DuplicateCandidate, DuplicatesFound
from crm.customers.records import ContactInput
from crm.customers.service import (
    ARCHIVED_CHOICES,
    COUNT_CAP,
    FOLLOW_UP_STATES,
    PAGE_SIZES,
    SORTS,
    UNRATED,
    Choice,
    CustomerFilter,
    CustomerInput,
    CustomerPage,
    bulk_archive,
    bulk_reassign,
    bulk_tag,
    create_customer,
    filter_options,
    list_customers,
    owner_choices,
)
from crm.kpis.overview import list_scope
from crm.platform import i18n as catalog
from crm.platform.errors import CrmError
from crm.platform.permissions import Actor
from crm.platform.preferences import CUSTOMER_COLUMNS, get_preference, set_preference
from crm.platform.vocab import COMPANY_SIZES, CUSTOMER_TYPES, INDUSTRIES, REGIONS, SOURCES, STAGES, VALUE_TIERS
from db.engine import Sessions
from ui.badges import label, style_columns
from ui.customers import keys
from ui.i18n import (
    day,
    forget_widget_value,
    has_widget_value,
    lang,
    lang_key,
    number,
    set_widget_value,
    t,
    when,
    widget_value,
)
from ui.inert import inert_t
from ui.reads import clear_after
from ui.state import company_today
from ui.widgets import create_token, data_table, describe, field_error, form_token, run_action

QUERY_PARAM = "customer"
UNASSIGNED = 0  # owner filter choice for customers without an owner


# --- navigation -------------------------------------------------------------------------------------


def selected_customer_id() -> int | None:
    """The customer whose 360 view the URL asks for (?customer=ID), if any."""
    raw = st.query_params.get(QUERY_PARAM)
    try:
        return int(raw) if raw else None
    except (TypeError, ValueError):
        return None


def open_customer(customer_id: int) -> None:
    """Show a customer's 360 view: the id goes into the URL, so the link can be shared."""
    st.query_params[QUERY_PARAM] = str(customer_id)


def show_list_address() -> None:
    """Put the list's address (no ?customer=ID) in the browser, which keeps the 360's after a menu click.

    The menu's Customers link reaches the list without the query string, but the browser would go on
    showing ?customer=ID and send it back with the next click, reopening the 360 view.
    """
    st.query_params.clear()


def close_customer() -> None:
    """Back to the list."""
    if QUERY_PARAM in st.query_params:
        del st.query_params[QUERY_PARAM]


# --- versioned forms --------------------------------------------------------------------------------


def load_form(form_key: str, record_key: str, values: Mapping[str, Any], version: int) -> None:
    """Fill a form's widgets from a record once, remembering the version it was rendered with.

    Later reruns keep the user's input; a new record, or widgets Streamlit dropped while hidden, reload.
    """
    marker = f"{form_key}__loaded"
    missing = any(not has_widget_value(f"{form_key}_{name}") for name in values)
    if st.session_state.get(marker) != record_key or missing:
        for name, value in values.items():
            set_widget_value(f"{form_key}_{name}", value)
        st.session_state[f"{form_key}__version"] = version
        st.session_state[f"{form_key}__original"] = dict(values)
        st.session_state[marker] = record_key


def form_values(form_key: str, names: Any) -> dict[str, Any]:
    """The current widget values of a form, by field name."""
    return {name: widget_value(f"{form_key}_{name}") for name in names}


def form_version(form_key: str) -> int:
    return int(st.session_state.get(f"{form_key}__version", 0))


def forget_form(form_key: str) -> None:
    """Make the next run reload the form from the saved record."""
    st.session_state.pop(f"{form_key}__loaded", None)


def describe_error(error: CrmError) -> str:
    """A domain error as a sentence in the user's language."""
    return describe(error)


def labeller(prefix: str, *, none_key: str = "common.all") -> Callable[[Any], str]:
    """A format_func over domain codes, in the language of this run ('stage' + 'signed' -> 'Signed' / '签约').

    The language is fixed when the widget is drawn, so the labels never change under a widget.
    """
    language = lang()
    return lambda code: catalog.t(none_key, language) if code in (None, "") else catalog.t(f"{prefix}.{code}", language)


def optional(prefix: str) -> Callable[[Any], str]:
    """format_func for a selectbox over [None, *codes]: None shows as a dash."""
    return labeller(prefix, none_key="common.none")


def parse_tags(text: str | None) -> tuple[str, ...]:
    """Tags typed as 'a, b；c' (English or Chinese commas)."""
    if not text:
        return ()
    for separator in ("，", "；", ";"):
        text = text.replace(separator, ",")
    return tuple(part.strip() for part in text.split(",") if part.strip())


# --- the list ---------------------------------------------------------------------------------------


def _reset_filters() -> None:
    for key in keys.FILTERS:
        forget_widget_value(key)
    st.session_state[keys.SEARCH] = ""


def _preset_nothing_planned() -> None:
    st.session_state[keys.F_MINE] = True
    set_widget_value(keys.F_STATE, ["none", "out_of_cadence"])


def filter_sidebar(sessions: Sessions, actor: Actor) -> CustomerFilter:
    """The list filters in the sidebar; returns the filter (without search and sort)."""
    options = filter_options(sessions, actor=actor)
    owners: dict[int, str] = {o.id: o.label for o in options.owners}
    owners[UNASSIGNED] = t("customers.filter.unassigned")
    departments = {d.id: d.label for d in options.departments}
    keep: dict[str, Any] = {"persist_state": "session", "placeholder": t("common.all")}
    with st.sidebar:
        st.subheader(t("common.filters"))
        mine = False
        if actor.id is not None and actor.can("customers.edit_own"):
            mine = st.toggle(t("customers.filter.mine"), key=keys.F_MINE, persist_state="session")
            st.button(
                t("customers.filter.nothing_planned"),
                key=keys.PRESET_NOTHING_PLANNED,
                on_click=_preset_nothing_planned,
                icon=":material/event_busy:",
            )
        owner_ids = st.multiselect(
            t("customers.col.owner"),
            list(owners),
            format_func=owners.get,
            key=lang_key(keys.F_OWNER),
            disabled=mine,
            **keep,
        )
        department_ids = st.multiselect(
            t("customers.col.department"),
            list(departments),
            format_func=departments.get,
            key=keys.F_DEPARTMENT,
            **keep,
        )
        stages = st.multiselect(
            t("customers.col.stage"), STAGES, format_func=labeller("stage"), key=lang_key(keys.F_STAGE), **keep
        )
        tiers = st.multiselect(
            t("customers.col.value_tier"),
            [*VALUE_TIERS, UNRATED],
            format_func=labeller("tier"),
            key=lang_key(keys.F_TIER),
            **keep,
        )
        industries = st.multiselect(
            t("customers.col.industry"),
            INDUSTRIES,
            format_func=labeller("industry"),
            key=lang_key(keys.F_INDUSTRY),
            **keep,
        )
        regions = st.multiselect(
            t("customers.col.region"),
            REGIONS,
            format_func=labeller("region"),
            key=lang_key(keys.F_REGION),
            **keep,
        )
        sources = st.multiselect(
            t("customers.col.source"),
            SOURCES,
            format_func=labeller("source"),
            key=lang_key(keys.F_SOURCE),
            **keep,
        )
        tags = st.multiselect(t("customers.col.tags"), options.tags, key=keys.F_TAG, **keep)
        states = st.multiselect(
            t("customers.col.follow_up_state"),
            FOLLOW_UP_STATES,
            format_func=labeller("follow_up_state"),
            key=lang_key(keys.F_STATE),
            **keep,
        )
        archived_key = lang_key(keys.F_ARCHIVED)
        archived = st.segmented_control(
            t("customers.filter.archived"),
            ARCHIVED_CHOICES,
            default=None if archived_key in st.session_state else "active",
            format_func=labeller("customers.archived"),
            required=True,
            key=archived_key,
            persist_state="session",
        )
        st.button(
            t("customers.filter.reset"),
            key=keys.RESET,
            on_click=_reset_filters,
            icon=":material/filter_alt_off:",
        )
    owner_filter: tuple[int | None, ...] = (
        (actor.id,) if mine else tuple(None if o == UNASSIGNED else o for o in owner_ids)
    )
    return CustomerFilter(
        owner_ids=owner_filter,
        department_ids=tuple(department_ids),
        stages=tuple(stages),
        value_tiers=tuple(tiers),
        industries=tuple(industries),
        regions=tuple(regions),
        sources=tuple(sources),
        tags=tuple(tags),
        follow_up_states=tuple(states),
        archived=archived or "active",
    )


def search_and_sort(flt: CustomerFilter) -> tuple[CustomerFilter, int]:
    """The search box, sort and page size above the table; returns the full filter and the page size."""
    keep = {"persist_state": "session"}
    search_col, sort_col, direction_col, size_col = st.columns([5, 2, 1.4, 1], vertical_alignment="bottom")
    search = search_col.text_input(
        t("customers.search"), key=keys.SEARCH, placeholder=t("customers.search_placeholder"), **keep
    )
    sort = sort_col.selectbox(
        t("customers.sort"), SORTS, format_func=labeller("customers.sort"), key=lang_key(keys.SORT), **keep
    )
    descending = direction_col.toggle(t("customers.descending"), key=keys.DESCENDING, **keep)
    page_size = size_col.selectbox(t("customers.page_size"), PAGE_SIZES, index=1, key=keys.PAGE_SIZE, **keep)
    return (replace(flt, search=search or "", sort=sort or "name", descending=bool(descending)), int(page_size or 50))


def _total_text(page: CustomerPage) -> str:
    return f"{number(page.cap)}+" if page.total_capped else number(page.total)


def count_label(flt: CustomerFilter, actor: Actor, scope: str) -> str:
    """Title the list's count with whose customers it counts (mine / all) and whether filters narrow it."""
    mine = scope == "own" or (actor.id is not None and flt.owner_ids == (actor.id,))
    rest = replace(flt, search=flt.search.strip(), sort=CustomerFilter.sort, descending=CustomerFilter.descending)
    narrowed = (replace(rest, owner_ids=()) if mine else rest) != CustomerFilter()
    return t(f"customers.metric.{'matching_' if narrowed else ''}{'mine' if mine else 'all'}")


def metrics_row(page: CustomerPage, count_title: str | None = None) -> None:
    cols = st.columns(4)
    cols[0].metric(count_title or t("customers.metric.matching"), _total_text(page))
    cols[1].metric(
        t("customers.metric.overdue"),
        t("common.none")
        if page.overdue is None
        else (f"{number(COUNT_CAP)}+" if page.overdue > COUNT_CAP else number(page.overdue)),
    )
    cols[2].metric(t("customers.metric.page"), f"{page.page + 1} / {number(page.pages)}")
    cols[3].metric(t("customers.metric.shown"), number(len(page.rows)))


# Every column of the list, in the order shown: code -> catalog key of its title.
LIST_COLUMNS: dict[str, str] = {
    "code": "customers.col.code",
    "name": "customers.col.name",
    "stage": "customers.col.stage",
    "value_tier": "customers.col.value_tier",
    "follow_up_state": "customers.col.follow_up_state",
    "next_follow_up": "customers.col.next_follow_up",
    "owner": "customers.col.owner",
    "contact": "customers.col.contact",
    "phone": "customers.col.phone",
    "email": "customers.col.email",
    "industry": "customers.col.industry",
    "region": "customers.col.region",
    "tags": "customers.col.tags",
    "created": "customers.col.created",
    "archived": "customers.col.archived",
}
# What fits a 1366 px screen beside the sidebar without cutting a phone number or an email; the rest is a pick away.
DEFAULT_COLUMNS = ("code", "name", "stage", "value_tier", "next_follow_up", "owner", "phone", "email")
# Pixel widths that fit the defaults in the ~905 px a 1366 px screen leaves beside the sidebar, selection boxes
# included; a column without one sizes to its content.
_COLUMN_WIDTHS: dict[str, Any] = {
    "code": 68,
    "name": 150,
    "stage": 82,
    "value_tier": 70,
    "next_follow_up": 124,
    "owner": 85,
    "phone": 118,
    "email": 170,
}


def _cells(r: Any) -> dict[str, Any]:
    return {
        "code": r.code,
        "name": r.name,
        "stage": label("lifecycle_stage", r.lifecycle_stage),
        "value_tier": label("value_tier", r.value_tier),
        "follow_up_state": label("follow_up_state", r.follow_up_state),
        "next_follow_up": when(r.next_follow_up_at) if r.next_follow_up_at else "",
        "owner": r.owner_name or t("customers.filter.unassigned"),
        "contact": r.contact_name or "",
        "phone": r.contact_phone or "",
        "email": r.contact_email or "",
        "industry": t(f"industry.{r.industry}") if r.industry else "",
        "region": t(f"region.{r.region}") if r.region else "",
        "tags": ", ".join(r.tags),
        "created": day(r.created_at),
        "archived": "✓" if r.archived_at else "",
    }


def _table(page: CustomerPage, columns: tuple[str, ...] = tuple(LIST_COLUMNS)) -> pd.DataFrame:
    rows = [_cells(r) for r in page.rows]
    return pd.DataFrame(
        [{t(LIST_COLUMNS[c]): row[c] for c in columns} for row in rows], columns=[t(LIST_COLUMNS[c]) for c in columns]
    )


def _saved_columns(value: Any) -> tuple[str, ...]:
    picked = {c for c in value or () if c in LIST_COLUMNS}
    return tuple(c for c in LIST_COLUMNS if c in picked) or DEFAULT_COLUMNS


def list_columns(sessions: Sessions, actor: Actor) -> tuple[str, ...]:
    """The columns this user chose for the list (read from their account once per session), and the picker."""
    if st.session_state.get(keys.COLUMNS_USER) != actor.id or not has_widget_value(keys.COLUMNS):
        if st.session_state.get(keys.COLUMNS_USER) != actor.id:
            st.session_state[keys.COLUMNS_SAVED] = _saved_columns(
                get_preference(sessions, actor=actor, name=CUSTOMER_COLUMNS)
            )
            st.session_state[keys.COLUMNS_USER] = actor.id
        set_widget_value(keys.COLUMNS, list(st.session_state[keys.COLUMNS_SAVED]))

    def save(columns: tuple[str, ...] | None) -> None:
        chosen = _saved_columns(widget_value(keys.COLUMNS) if columns is None else columns)
        if columns is not None:
            set_widget_value(keys.COLUMNS, list(chosen))
        st.session_state[keys.COLUMNS_SAVED] = chosen
        set_preference(
            sessions, actor=actor, name=CUSTOMER_COLUMNS, value=None if chosen == DEFAULT_COLUMNS else list(chosen)
        )

    with st.popover(t("customers.columns.pick"), icon=":material/view_column:", help=t("customers.columns.help")):
        st.multiselect(
            t("customers.columns.pick"),
            list(LIST_COLUMNS),
            format_func=lambda c: t(LIST_COLUMNS[c]),
            key=lang_key(keys.COLUMNS),
            on_change=save,
            args=(None,),
        )
        st.button(
            t("customers.columns.reset"),
            key=keys.COLUMNS_RESET,
            icon=":material/restart_alt:",
            on_click=save,
            args=(DEFAULT_COLUMNS,),
        )
    return _saved_columns(widget_value(keys.COLUMNS))


def _on_table_select() -> None:
    ids = st.session_state.get(keys.PAGE_IDS, [])
    state = st.session_state.get(keys.TABLE)
    rows = list(state["selection"]["rows"]) if state else []
    picked = [ids[i] for i in rows if i < len(ids)]
    if st.session_state.get(keys.BULK_ENABLED):
        st.session_state[keys.BULK_IDS] = picked
    elif picked:
        open_customer(picked[0])


def _on_open_pick() -> None:
    picked = st.session_state.get(keys.OPEN)
    if picked is not None:
        st.session_state[keys.OPEN] = None
        open_customer(int(picked))


def customer_table(page: CustomerPage, *, bulk: bool, columns: tuple[str, ...] = DEFAULT_COLUMNS) -> None:
    """The page of customers; clicking a row opens it (or selects it for bulk actions)."""
    if not page.rows:
        st.info(t("customers.empty"))
        return
    labels = {r.id: f"{r.code} · {r.name}" for r in page.rows}
    st.session_state[keys.PAGE_IDS] = [r.id for r in page.rows]
    st.session_state[keys.BULK_ENABLED] = bulk
    known = st.session_state.setdefault(keys.LABELS, {})
    known.update(labels)
    if page.masked:
        st.caption(t("customers.masked_note"))
    widths = {
        t(LIST_COLUMNS[c]): st.column_config.TextColumn(width=w) for c, w in _COLUMN_WIDTHS.items() if c in columns
    }
    coloured = style_columns(
        _table(page, columns),
        {
            t("customers.col.stage"): "lifecycle_stage",
            t("customers.col.value_tier"): "value_tier",
            t("customers.col.follow_up_state"): "follow_up_state",
        },
    )
    data_table(
        coloured,
        hide_index=True,
        width="stretch",
        key=keys.TABLE,
        on_select=_on_table_select,
        column_config=widths,
        selection_mode="multi-row" if bulk else "single-row",
        height=min(38 + 35 * len(page.rows), 640),
    )


def pager(page: CustomerPage) -> None:
    """The picker that opens a customer of this page, and the page number over the capped total."""
    if not page.rows:
        return
    labels = {r.id: f"{r.code} · {r.name}" for r in page.rows}
    open_col, page_col = st.columns([3, 1], vertical_alignment="bottom")
    open_col.selectbox(
        t("customers.open"),
        list(labels),
        index=None,
        format_func=labels.get,
        placeholder=t("customers.open_placeholder"),
        key=keys.OPEN,
        on_change=_on_open_pick,
    )
    if page.pages > 1:
        page_col.number_input(t("common.page"), min_value=1, max_value=page.pages, step=1, key=keys.PAGE)
    page_col.caption(t("common.page_of", page=page.page + 1, pages=number(page.pages), total=_total_text(page)))


def customer_list(sessions: Sessions, actor: Actor) -> CustomerFilter:
    """The whole list view: filters, search, metrics, table, pager, bulk actions; returns the filter shown."""
    flt = filter_sidebar(sessions, actor)
    flt, page_size = search_and_sort(flt)
    signature = repr((flt, page_size))
    if st.session_state.get(keys.FILTER_SIGNATURE) != signature:
        st.session_state[keys.FILTER_SIGNATURE] = signature
        st.session_state[keys.PAGE] = 1
    requested = int(st.session_state.get(keys.PAGE, 1)) - 1
    page = list_customers(sessions, actor=actor, flt=flt, page=requested, page_size=page_size)
    if page.page != requested:
        st.session_state[keys.PAGE] = page.page + 1
    metrics_row(page, count_label(flt, actor, list_scope(sessions, actor=actor)))
    if flt.search.strip() and page.total_capped:
        st.caption(t("customers.search.capped", cap=number(page.cap)))
    bulk = actor.can("customers.reassign")
    customer_table(page, bulk=bulk, columns=list_columns(sessions, actor))
    pager(page)
    if bulk and page.rows:
        bulk_actions(sessions, actor)
    return flt


# --- bulk actions -----------------------------------------------------------------------------------


def bulk_actions(sessions: Sessions, actor: Actor) -> None:
    """Reassign, tag, untag or archive the selected customers: one transaction, audited per customer."""
    labels: dict[int, str] = st.session_state.get(keys.LABELS, {})
    selected = [i for i in st.session_state.get(keys.BULK_IDS, []) if i in labels]
    st.session_state[keys.BULK_IDS] = selected
    with st.expander(t("customers.bulk.title"), expanded=bool(selected), icon=":material/checklist:"):
        options = list(dict.fromkeys([*st.session_state.get(keys.PAGE_IDS, []), *selected]))
        st.multiselect(
            t("customers.bulk.selected"), options, format_func=lambda i: labels.get(i, str(i)), key=keys.BULK_IDS
        )
        field_error(keys.BULK_FORM, "customer_ids")
        if len(st.session_state.get(keys.BULK_IDS, [])) == 1:
            st.button(
                t("customers.open"),
                key=keys.BULK_OPEN,
                icon=":material/open_in_new:",
                on_click=lambda: open_customer(st.session_state[keys.BULK_IDS][0]),
            )
        action = st.segmented_control(
            t("customers.bulk.action"),
            ("reassign", "tag", "untag", "archive"),
            default="reassign",
            required=True,
            format_func=labeller("customers.bulk"),
            key=keys.BULK_ACTION,
        )
        owners = {c.id: c.label for c in _owner_choices(sessions, actor)}
        if action == "reassign":
            st.selectbox(t("customers.col.owner"), list(owners), format_func=owners.get, key=keys.BULK_OWNER)
            field_error(keys.BULK_FORM, "owner_id")
        elif action in ("tag", "untag"):
            st.text_input(t("customers.bulk.tag"), key=keys.BULK_TAG, max_chars=40)
            field_error(keys.BULK_FORM, "tag")
        ids = list(st.session_state.get(keys.BULK_IDS, []))
        if st.button(t("customers.bulk.apply", n=len(ids)), key=keys.BULK_APPLY, type="primary", disabled=not ids):
            token = form_token(keys.BULK_FORM)

            def apply() -> Any:
                if action == "reassign":
                    return bulk_reassign(
                        sessions,
                        actor=actor,
                        customer_ids=ids,
                        owner_id=st.session_state.get(keys.BULK_OWNER),
                        token=token,
                    )
                if action in ("tag", "untag"):
                    return bulk_tag(
                        sessions,
                        actor=actor,
                        customer_ids=ids,
                        tag=st.session_state.get(keys.BULK_TAG) or "",
                        remove=action == "untag",
                        token=token,
                    )
                return bulk_archive(sessions, actor=actor, customer_ids=ids, token=token)

            result = run_action(keys.BULK_FORM, apply)
            if result is not None:
                clear_after("customer")
                st.session_state[keys.NOTICE] = t(
                    "customers.bulk.done", changed=result.changed, unchanged=result.unchanged
                )
                st.session_state.pop(keys.BULK_IDS, None)
                st.rerun()


def _owner_choices(sessions: Sessions, actor: Actor) -> list[Choice]:
    return owner_choices(sessions, actor=actor)


# --- new customer -----------------------------------------------------------------------------------


_NEW_FIELDS = (
    "name",
    "code",
    "customer_type",
    "lifecycle_stage",
    "industry",
    "region",
    "source_channel",
    "company_size",
    "first_contact_date",
    "owner_id",
    "contact_name",
    "contact_phone",
    "contact_email",
    "tags",
    "needs",
)


def _candidates_table(candidates: list[DuplicateCandidate]) -> None:
    data_table(
        pd.DataFrame(
            [
                {
                    t("customers.col.code"): c.code,
                    t("customers.col.name"): t("customers.duplicates.hidden") if c.hidden else c.name,
                    t("customers.col.owner"): c.owner_name or t("customers.filter.unassigned"),
                    t("customers.duplicates.matched_on"): ", ".join(
                        t(f"customers.duplicates.on.{m}") for m in c.matched_on
                    ),
                }
                for c in candidates
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def new_customer_form(sessions: Sessions, actor: Actor) -> None:
    """Create a customer (with its first contact); likely duplicates are shown and must be confirmed."""
    owners = {c.id: c.label for c in _owner_choices(sessions, actor)}
    if f"{keys.NEW_FORM}_owner_id" not in st.session_state and actor.id in owners:
        st.session_state[f"{keys.NEW_FORM}_owner_id"] = actor.id
    candidates: list[DuplicateCandidate] = st.session_state.get(keys.NEW_CANDIDATES, [])
    with st.form(keys.NEW_FORM, enter_to_submit=False):
        left, right = st.columns(2)
        with left:
            st.text_input(t("customers.field.name"), key=f"{keys.NEW_FORM}_name", max_chars=200)
            field_error(keys.NEW_FORM, "name")
            st.text_input(
                t("customers.field.code"),
                key=f"{keys.NEW_FORM}_code",
                max_chars=32,
                placeholder=t("customers.field.code_auto"),
            )
            field_error(keys.NEW_FORM, "code")
            st.selectbox(
                t("customers.field.customer_type"),
                CUSTOMER_TYPES,
                format_func=labeller("customer_type"),
                key=lang_key(f"{keys.NEW_FORM}_customer_type"),
            )
            st.selectbox(
                t("customers.col.stage"),
                STAGES[:3],
                format_func=labeller("stage"),
                key=lang_key(f"{keys.NEW_FORM}_lifecycle_stage"),
            )
            st.selectbox(
                t("customers.col.industry"),
                [None, *INDUSTRIES],
                format_func=optional("industry"),
                key=lang_key(f"{keys.NEW_FORM}_industry"),
            )
            st.selectbox(
                t("customers.col.region"),
                [None, *REGIONS],
                format_func=optional("region"),
                key=lang_key(f"{keys.NEW_FORM}_region"),
            )
            st.selectbox(
                t("customers.col.source"),
                [None, *SOURCES],
                format_func=optional("source"),
                key=lang_key(f"{keys.NEW_FORM}_source_channel"),
            )
            st.selectbox(
                t("customers.field.company_size"),
                [None, *COMPANY_SIZES],
                format_func=optional("company_size"),
                key=lang_key(f"{keys.NEW_FORM}_company_size"),
            )
        with right:
            st.date_input(
                t("customers.field.first_contact_date"),
                value=None,
                max_value=company_today(),
                key=f"{keys.NEW_FORM}_first_contact_date",
            )
            field_error(keys.NEW_FORM, "first_contact_date")
            if actor.can("customers.reassign"):
                st.selectbox(
                    t("customers.col.owner"),
                    list(owners),
                    format_func=owners.get,
                    index=None,
                    key=f"{keys.NEW_FORM}_owner_id",
                    placeholder=t("customers.filter.unassigned"),
                )
                field_error(keys.NEW_FORM, "owner_id")
            st.text_input(t("customers.field.contact_name"), key=f"{keys.NEW_FORM}_contact_name", max_chars=120)
            field_error(keys.NEW_FORM, "contact_name")
            st.text_input(
                t("customers.col.phone"),
                key=f"{keys.NEW_FORM}_contact_phone",
                max_chars=32,
                placeholder="13812345678 / 010-12345678 / +44 20 7946 0958",
            )
            field_error(keys.NEW_FORM, "contact_phone")
            st.text_input(t("customers.col.email"), key=f"{keys.NEW_FORM}_contact_email", max_chars=254)
            field_error(keys.NEW_FORM, "contact_email")
            st.text_input(
                t("customers.field.tags"), key=f"{keys.NEW_FORM}_tags", placeholder=t("customers.field.tags_help")
            )
            field_error(keys.NEW_FORM, "tags")
            st.text_area(t("customers.field.needs"), key=f"{keys.NEW_FORM}_needs", height=68)
        if candidates:
            st.warning(t("customers.duplicates.warning", n=len(candidates)), icon=":material/content_copy:")
            _candidates_table(candidates)
            st.checkbox(t("customers.duplicates.create_anyway"), key=f"{keys.NEW_FORM}_confirm")
        submitted = st.form_submit_button(
            t("customers.new.submit"), type="primary", icon=":material/person_add:", key=f"{keys.NEW_FORM}_submit"
        )
    if submitted:
        values = form_values(keys.NEW_FORM, _NEW_FIELDS)

        def create() -> Any:
            try:
                return create_customer(
                    sessions,
                    actor=actor,
                    token=create_token(keys.NEW_FORM),
                    confirm_duplicates=bool(st.session_state.get(f"{keys.NEW_FORM}_confirm")),
                    data=CustomerInput(
                        name=values["name"] or "",
                        code=values["code"] or "",
                        customer_type=values["customer_type"] or "company",
                        lifecycle_stage=values["lifecycle_stage"] or "potential",
                        industry=values["industry"],
                        region=values["region"],
                        source_channel=values["source_channel"],
                        company_size=values["company_size"],
                        first_contact_date=values["first_contact_date"],
                        owner_id=values["owner_id"],
                        tags=parse_tags(values["tags"]),
                        needs=values["needs"],
                    ),
                    contact=ContactInput(
                        name=values["contact_name"] or "",
                        phone=values["contact_phone"],
                        email=values["contact_email"],
                        is_primary=True,
                    ),
                )
            except DuplicatesFound as found:
                st.session_state[keys.NEW_CANDIDATES] = found.candidates
                raise

        created = run_action(keys.NEW_FORM, create)
        if created is not None:
            clear_after("customer")
            for name in (*_NEW_FIELDS, "confirm"):
                forget_widget_value(f"{keys.NEW_FORM}_{name}")
            st.session_state.pop(keys.NEW_CANDIDATES, None)
            st.session_state[keys.NOTICE] = inert_t("customers.new.created", code=created.code, name=created.name)
            open_customer(created.id)
            st.rerun()
        elif st.session_state.get(keys.NEW_CANDIDATES) and not candidates:
            st.rerun()  # show the candidates and the "create anyway" box inside the form
