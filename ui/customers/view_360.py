"""The customer 360 view: profile, contacts, orders, contracts, timeline, follow-ups, duplicates and merge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st
from babel.numbers import format_compact_currency

from crm.classification.service import describe_stored
from crm.customers.duplicates import duplicates_of, merge_customers
from crm.customers.records import (
    ContactInput,
    ContractInput,
    OrderInput,
    PaymentInput,
    add_contact,
    add_contract,
    add_order,
    add_payment,
    set_contact_archived,
    set_contract_archived,
    set_order_archived,
    update_contact,
    update_contract,
    update_order,
    update_payment,
)
from crm.customers.service import (
    Customer360,
    CustomerView,
    archive_customer,
    filter_options,
    get_customer,
    get_customer_360,
    owner_choices,
    pick_customers,
    restore_customer,
    update_customer,
)
from crm.customers.timeline import TimelineEntry, customer_timeline
from crm.platform import i18n as catalog
from crm.platform.change_display import change_field_label, change_value_label
from crm.platform.errors import CrmError
from crm.platform.permissions import Actor
from crm.platform.vocab import (
    CHURN_REASONS,
    COMPANY_SIZES,
    CONTRACT_STATUSES,
    CUSTOMER_TYPES,
    IMPORTANCE,
    INDUSTRIES,
    NEED_TYPES,
    REGIONS,
    SOURCES,
    STAGES,
)
from db.engine import Sessions
from ui.badges import badge, show_class_badges
from ui.classification.explain import render_explanations
from ui.classification.labels import LABEL_PREFIX, class_label
from ui.complaints.customer import customer_complaints_tab
from ui.conflicts import changed_since_loaded, conflict_panel, pending_conflict, save_or_merge, settled_values
from ui.customers import keys
from ui.customers.listing import (
    close_customer,
    describe_error,
    forget_form,
    form_version,
    labeller,
    load_form,
    open_customer,
    optional,
    parse_tags,
)
from ui.follow_ups.log import log_contact_form
from ui.i18n import date, day, lang, lang_key, number, t, when
from ui.inert import inert, inert_t, long_text
from ui.reads import clear_after
from ui.satisfaction.customer import customer_satisfaction_tab
from ui.state import company_today, company_zone
from ui.widgets import create_token, data_table, error_boundary, field_error, form_token, run_action

TIMELINE_STEP = 30
INLINE_CHARS = 120  # a changed value longer than this (or on several lines) goes under the entry


# --- form fields --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One input of a record form: its name (= the service's field), label key and widget kind."""

    name: str
    label: str
    kind: str = "text"  # text / area / select / date / check
    options: Sequence[Any] = ()
    fmt: Callable[[Any], str] | None = None
    max_chars: int | None = None
    max_date: dt.date | None = None


def render_fields(form_key: str, fields: Sequence[Field], *, columns: int = 2) -> None:
    """Render the inputs of a form (values come from session state, filled by load_form)."""
    cols = st.columns(columns)
    for index, spec in enumerate(fields):
        with cols[index % columns]:
            key = f"{form_key}_{spec.name}"
            label = t(spec.label)
            if spec.kind == "area":
                st.text_area(label, key=key, height=80)
            elif spec.kind == "select":
                st.selectbox(
                    label,
                    list(spec.options),
                    format_func=spec.fmt or str,
                    key=lang_key(key),
                    placeholder=t("common.none"),
                )
            elif spec.kind == "date":
                st.date_input(label, key=key, max_value=spec.max_date, min_value=dt.date(1900, 1, 1))
            elif spec.kind == "check":
                st.checkbox(label, key=key)
            else:
                st.text_input(label, key=key, max_chars=spec.max_chars)
            field_error(form_key, spec.name)


def _names(fields: Sequence[Field]) -> list[str]:
    return [f.name for f in fields]


def _money(amount: Any, currency: str = "CNY") -> str:
    return catalog.format_money(amount, lang(), currency)


def _compact(amount: Any, currency: str = "CNY") -> str:
    """Money in few characters for metrics: ¥1.8M / ¥178万."""
    return format_compact_currency(amount or 0, currency, locale=catalog.locale_of(lang()), fraction_digits=1)


def _done(message: str) -> None:
    clear_after("customer")
    st.session_state[keys.NOTICE] = message
    st.rerun()


# --- header -----------------------------------------------------------------------------------------


def _header(sessions: Sessions, actor: Actor, detail: Customer360) -> None:
    profile = detail.profile
    top = st.columns([4, 1], vertical_alignment="center")
    top[0].title(inert(profile.name), anchor=False)
    top[1].button(t("customers.back"), key=keys.BACK, icon=":material/arrow_back:", on_click=close_customer)
    owner = inert(profile.owner_name) or t("customers.filter.unassigned")
    parts = [f"`{profile.code}`", t(f"customer_type.{profile.customer_type}"), f"{t('customers.col.owner')}: {owner}"]
    if profile.department_name:
        parts.append(inert(profile.department_name))
    parts.append(f"{t('customers.col.created')}: {day(profile.created_at)}")
    st.caption(" · ".join(parts))
    show_class_badges(profile)
    if profile.archived_at:
        st.warning(t("customers.archived_banner", when=when(profile.archived_at)), icon=":material/inventory_2:")
    if profile.masked:
        st.caption(t("customers.masked_note"))
    totals = detail.order_totals
    top_row, bottom_row = st.columns(3), st.columns(3)
    top_row[0].metric(t("customers.metric.orders"), number(totals.count))
    top_row[1].metric(
        t("customers.metric.revenue"), _compact(totals.amounts.get("CNY", 0)), help=_money(totals.amounts.get("CNY", 0))
    )
    top_row[2].metric(
        t("customers.metric.revenue_12m"),
        _compact(totals.last_12_months.get("CNY", 0)),
        help=_money(totals.last_12_months.get("CNY", 0)),
    )
    bottom_row[0].metric(
        t("customers.metric.contract_value"),
        _compact(detail.contract_value),
        delta=t("customers.metric.outstanding", amount=_compact(detail.contract_outstanding))
        if detail.contract_outstanding
        else None,
        delta_color="off",
        delta_arrow="off",
    )
    bottom_row[1].metric(t("customers.metric.open_complaints"), number(detail.open_complaints))
    following = detail.next_follow_up
    bottom_row[2].metric(
        t("customers.metric.next_follow_up"),
        day(following.due_at) if following else t("common.none"),
        delta=t(f"purpose.{following.purpose}") if following else None,
        delta_color="inverse" if following and following.overdue else "off",
        delta_arrow="off",
    )


# --- profile ----------------------------------------------------------------------------------------


def _profile_fields(sessions: Sessions, actor: Actor, profile: CustomerView) -> list[Field]:
    options = filter_options(sessions, actor=actor)
    departments = {d.id: d.label for d in options.departments}
    owners = {c.id: c.label for c in owner_choices(sessions, actor=actor)}
    if profile.owner_id is not None and profile.owner_id not in owners:
        owners[profile.owner_id] = profile.owner_name or str(profile.owner_id)
    today = company_today()
    fields = [
        Field("name", "customers.field.name", max_chars=200),
        Field("code", "customers.field.code", max_chars=32),
        Field("customer_type", "customers.field.customer_type", "select", CUSTOMER_TYPES, labeller("customer_type")),
        Field("lifecycle_stage", "customers.col.stage", "select", STAGES, labeller("stage")),
        Field(
            "churn_reason", "customers.field.churn_reason", "select", [None, *CHURN_REASONS], optional("churn_reason")
        ),
        Field("industry", "customers.col.industry", "select", [None, *INDUSTRIES], optional("industry")),
        Field("region", "customers.col.region", "select", [None, *REGIONS], optional("region")),
        Field(
            "company_size", "customers.field.company_size", "select", [None, *COMPANY_SIZES], optional("company_size")
        ),
        Field("source_channel", "customers.col.source", "select", [None, *SOURCES], optional("source")),
        Field(
            "department_id",
            "customers.col.department",
            "select",
            [None, *departments],
            {None: t("common.none"), **departments}.get,
        ),
        Field("need_type", "customers.field.need_type", "select", [None, *NEED_TYPES], optional("need_type")),
        Field("importance", "customers.field.importance", "select", [None, *IMPORTANCE], optional("importance")),
        Field("expected_close_date", "customers.field.expected_close_date", "date"),
        Field("first_contact_date", "customers.field.first_contact_date", "date", max_date=today),
        Field("birthday", "customers.field.birthday", "date", max_date=today),
        Field("address", "customers.field.address", max_chars=300),
        Field("tags", "customers.field.tags"),
        Field("share_consent", "customers.field.share_consent", "check"),
    ]
    if actor.can("customers.reassign"):
        fields.insert(
            10,
            Field(
                "owner_id",
                "customers.col.owner",
                "select",
                [None, *owners],
                {None: t("customers.filter.unassigned"), **owners}.get,
            ),
        )
    fields += [
        Field(name, f"customers.field.{name}", "area")
        for name in ("needs", "products_in_use", "decision_process", "competitors", "preferences", "notes")
    ]
    return fields


def _profile_values(profile: CustomerView, names: Sequence[str]) -> dict[str, Any]:
    values = {name: getattr(profile, name) for name in names if name != "tags"}
    values["tags"] = ", ".join(profile.tags)
    for name in ("needs", "products_in_use", "decision_process", "competitors", "preferences", "notes", "address"):
        if name in values and values[name] is None:
            values[name] = ""
    return values


def _profile_facts(profile: CustomerView) -> None:
    def row(label_key: str, value: Any) -> dict[str, str]:
        return {t("customers.fact"): t(label_key), t("customers.value"): "" if value in (None, "") else str(value)}

    facts = [
        row("customers.col.industry", t(f"industry.{profile.industry}") if profile.industry else None),
        row("customers.col.region", t(f"region.{profile.region}") if profile.region else None),
        row("customers.field.address", profile.address),
        row(
            "customers.field.company_size", t(f"company_size.{profile.company_size}") if profile.company_size else None
        ),
        row("customers.col.source", t(f"source.{profile.source_channel}") if profile.source_channel else None),
        row(
            "customers.field.first_contact_date",
            date(profile.first_contact_date) if profile.first_contact_date else None,
        ),
        row(
            "customers.field.expected_close_date",
            date(profile.expected_close_date) if profile.expected_close_date else None,
        ),
        row("customers.field.last_contact", when(profile.last_contact_at) if profile.last_contact_at else None),
        row(
            "customers.field.churn_reason", t(f"churn_reason.{profile.churn_reason}") if profile.churn_reason else None
        ),
        row("customers.field.tags", ", ".join(profile.tags)),
        row("customers.field.share_consent", t("common.yes") if profile.share_consent else t("common.no")),
    ]
    # st.table wraps a long address or label instead of cutting it; its cells are Markdown, so values are escaped.
    facts = [{name: inert(text) for name, text in f.items()} for f in facts if f[t("customers.value")]]
    left, right = st.columns(2)
    left.table(pd.DataFrame(facts), hide_index=True, hide_header=True, border="horizontal")
    with right:
        for name in ("needs", "products_in_use", "decision_process", "competitors", "preferences", "notes"):
            value = getattr(profile, name)
            if value:
                st.markdown(f"**{t(f'customers.field.{name}')}**")
                long_text(value, key=keys.profile_text(profile.id, name), lines=6, chars=600)


def profile_tab(sessions: Sessions, actor: Actor, detail: Customer360) -> None:
    profile = detail.profile
    _profile_facts(profile)
    if actor.can("customers.archive"):
        _archive_buttons(sessions, actor, profile)
    if not profile.can_edit:
        st.caption(t("customers.read_only"))
        return
    fields = _profile_fields(sessions, actor, profile)
    names = _names(fields)
    load_form(keys.PROFILE_FORM, str(profile.id), _profile_values(profile, names), profile.version)
    conflict = pending_conflict(keys.PROFILE_FORM, str(profile.id))
    st.subheader(t("customers.edit.title"))
    with st.form(keys.PROFILE_FORM, enter_to_submit=False):
        conflict_panel(keys.PROFILE_FORM, conflict, fields)  # above the inputs, where it is seen
        render_fields(keys.PROFILE_FORM, fields, columns=3)
        submitted = st.form_submit_button(
            t("common.save"), type="primary", icon=":material/save:", key=f"{keys.PROFILE_FORM}_submit"
        )
    if submitted:
        changes = changed_since_loaded(keys.PROFILE_FORM, settled_values(keys.PROFILE_FORM, names, conflict))
        if "tags" in changes:
            changes["tags"] = parse_tags(changes["tags"])
        version = form_version(keys.PROFILE_FORM)

        def now() -> tuple[dict[str, Any], int]:
            latest = get_customer(sessions, actor=actor, customer_id=profile.id)
            return _profile_values(latest, names), latest.version

        saved = save_or_merge(
            keys.PROFILE_FORM,
            str(profile.id),
            names,
            lambda: update_customer(
                sessions,
                actor=actor,
                customer_id=profile.id,
                version=version,
                changes=changes,
                token=form_token(keys.PROFILE_FORM),
            ),
            current=now,
        )
        if saved is not None:
            _done(inert_t("customers.edit.saved", name=saved.name))


def _archive_buttons(sessions: Sessions, actor: Actor, profile: CustomerView) -> None:
    if profile.archived_at is None:
        if st.button(t("customers.archive"), key=keys.ARCHIVE, icon=":material/inventory_2:"):
            done = run_action(
                keys.ARCHIVE,
                lambda: archive_customer(
                    sessions,
                    actor=actor,
                    customer_id=profile.id,
                    version=profile.version,
                    token=form_token(keys.ARCHIVE),
                ),
            )
            if done is not None:
                forget_form(keys.PROFILE_FORM)
                _done(inert_t("customers.archived_done", name=profile.name))
    elif st.button(t("customers.restore"), key=keys.RESTORE, icon=":material/unarchive:"):
        done = run_action(
            keys.RESTORE,
            lambda: restore_customer(
                sessions, actor=actor, customer_id=profile.id, version=profile.version, token=form_token(keys.RESTORE)
            ),
        )
        if done is not None:
            forget_form(keys.PROFILE_FORM)
            _done(inert_t("customers.restored_done", name=profile.name))


# --- related records: one generic add / edit / archive panel ----------------------------------------


def _record_panel(
    *,
    key: str,
    records: Sequence[Any],
    fields: Sequence[Field],
    blank: dict[str, Any],
    values_of: Callable[[Any], dict[str, Any]],
    label_of: Callable[[Any], str],
    make_input: Callable[[dict], Any],
    add: Callable[[Any, str], Any] | None,
    update: Callable[[Any, Any, int, str], Any],
    archive: Callable[[Any, int, str], Any] | None,
    latest: Callable[[Any], Any],
    add_label: str,
) -> None:
    """Add a record, or pick one to edit or archive; each save is one versioned, audited service call."""
    names = _names(fields)
    by_id = {r.id: r for r in records}
    choices = ["new", *by_id] if add else list(by_id)
    if not choices:
        return
    labels = {i: add_label if i == "new" else label_of(by_id[i]) for i in choices}
    picked = st.selectbox(t("customers.records.pick"), choices, key=f"{key}_pick", format_func=labels.get)
    form_key = f"{key}_form"
    record = by_id.get(picked)
    load_form(form_key, f"{picked}", values_of(record) if record else blank, record.version if record else 0)
    conflict = pending_conflict(form_key, f"{picked}")
    with st.form(form_key, enter_to_submit=False):
        conflict_panel(form_key, conflict, fields)
        render_fields(form_key, fields)
        submitted = st.form_submit_button(
            t("common.save"), type="primary", icon=":material/save:", key=f"{form_key}_submit"
        )
    if submitted:
        data = make_input(settled_values(form_key, names, conflict))
        token = create_token(form_key) if record is None else form_token(form_key)
        if record is None and add is not None:
            result = run_action(form_key, lambda: add(data, token))
            if result is not None:
                forget_form(form_key)
                _done(t("customers.records.added"))
        elif record is not None:
            version = form_version(form_key)

            def now() -> tuple[dict[str, Any], int] | None:
                fresh = latest(record)
                return None if fresh is None else (values_of(fresh), fresh.version)

            result = save_or_merge(
                form_key, f"{picked}", names, lambda: update(record, data, version, token), current=now
            )
            if result is not None:
                _done(t("common.saved"))
    if (
        record is not None
        and archive is not None
        and st.button(t("customers.records.archive"), key=f"{key}_archive", icon=":material/delete:")
    ):
        archive_token = form_token(f"{key}_archive")
        if run_action(f"{key}_archive", lambda: archive(record, record.version, archive_token)) is not None:
            st.session_state.pop(f"{key}_pick", None)
            forget_form(form_key)
            _done(t("customers.records.archived"))


def contacts_tab(sessions: Sessions, actor: Actor, detail: Customer360) -> None:
    contacts = detail.contacts
    if contacts:
        data_table(
            pd.DataFrame(
                [
                    {
                        t("customers.contact.name"): ("★ " if c.is_primary else "") + c.name,
                        t("customers.contact.title"): c.title or "",
                        t("customers.col.phone"): c.phone or "",
                        t("customers.col.email"): c.email or "",
                        t("customers.contact.wechat"): c.wechat or "",
                        t("customers.field.birthday"): date(c.birthday) if c.birthday else "",
                    }
                    for c in contacts
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.info(t("customers.contact.none"))
    if not detail.profile.can_edit:
        return
    st.subheader(t("customers.contact.edit"))
    fields = [
        Field("name", "customers.contact.name", max_chars=120),
        Field("title", "customers.contact.title", max_chars=120),
        Field("phone", "customers.col.phone", max_chars=32),
        Field("email", "customers.col.email", max_chars=254),
        Field("wechat", "customers.contact.wechat", max_chars=64),
        Field("birthday", "customers.field.birthday", "date", max_date=company_today()),
        Field("is_primary", "customers.contact.primary", "check"),
        Field("notes", "customers.field.notes", "area"),
    ]
    customer_id = detail.profile.id
    _record_panel(
        key=keys.CONTACTS,
        records=contacts,
        fields=fields,
        add_label=t("customers.contact.add"),
        blank={
            "name": "",
            "title": "",
            "phone": "",
            "email": "",
            "wechat": "",
            "birthday": None,
            "is_primary": not contacts,
            "notes": "",
        },
        values_of=lambda c: {
            "name": c.name,
            "title": c.title or "",
            "phone": c.phone or "",
            "email": c.email or "",
            "wechat": c.wechat or "",
            "birthday": c.birthday,
            "is_primary": c.is_primary,
            "notes": c.notes or "",
        },
        label_of=lambda c: f"{c.name}{' · ' + c.title if c.title else ''}",
        make_input=lambda v: ContactInput(**v),
        add=lambda data, token: add_contact(sessions, actor=actor, customer_id=customer_id, data=data, token=token),
        update=lambda c, data, version, token: update_contact(
            sessions, actor=actor, contact_id=c.id, version=version, data=data, token=token
        ),
        archive=lambda c, version, token: set_contact_archived(
            sessions, actor=actor, contact_id=c.id, version=version, archived=True, token=token
        ),
        latest=lambda c: _latest(sessions, actor, customer_id, "contacts", c.id),
    )


def _latest(sessions: Sessions, actor: Actor, customer_id: int, kind: str, record_id: int) -> Any:
    """The record as it is now (None if it is gone), to merge with a form whose save was refused."""
    detail = get_customer_360(sessions, actor=actor, customer_id=customer_id, orders_limit=500)
    if kind == "contacts":
        records: list[Any] = detail.contacts
    elif kind == "orders":
        records = detail.orders
    elif kind == "contracts":
        records = detail.contracts
    else:
        records = [p for c in detail.contracts for p in c.payments]
    return next((r for r in records if r.id == record_id), None)


def orders_tab(sessions: Sessions, actor: Actor, detail: Customer360) -> None:
    totals = detail.order_totals
    if totals.count:
        st.caption(
            t(
                "customers.orders.summary",
                count=number(totals.count),
                first=date(totals.first_date),
                last=date(totals.last_date),
                total=" + ".join(_money(v, c) for c, v in totals.amounts.items()),
            )
        )
        data_table(
            pd.DataFrame(
                [
                    {
                        t("customers.order.date"): date(o.order_date),
                        t("customers.order.no"): o.order_no or "",
                        t("customers.order.product"): o.product or "",
                        t("customers.order.amount"): _money(o.amount, o.currency),
                        t("customers.field.notes"): o.notes or "",
                    }
                    for o in detail.orders
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        if totals.count > len(detail.orders):
            st.caption(t("customers.orders.latest_only", n=len(detail.orders)))
    else:
        st.info(t("customers.orders.none"))
    if not detail.profile.can_edit:
        return
    st.subheader(t("customers.order.edit"))
    customer_id = detail.profile.id
    fields = [
        Field("order_date", "customers.order.date", "date", max_date=company_today()),
        Field("amount", "customers.order.amount"),
        Field("product", "customers.order.product", max_chars=120),
        Field("order_no", "customers.order.no", max_chars=40),
        Field("currency", "customers.order.currency", max_chars=3),
        Field("notes", "customers.field.notes", "area"),
    ]
    _record_panel(
        key=keys.ORDERS,
        records=detail.orders,
        fields=fields,
        add_label=t("customers.order.add"),
        blank={
            "order_date": company_today(),
            "amount": "",
            "product": "",
            "order_no": "",
            "currency": "CNY",
            "notes": "",
        },
        values_of=lambda o: {
            "order_date": o.order_date,
            "amount": format(o.amount, "f"),
            "product": o.product or "",
            "order_no": o.order_no or "",
            "currency": o.currency,
            "notes": o.notes or "",
        },
        label_of=lambda o: f"{date(o.order_date)} · {o.product or o.order_no or ''} · {_money(o.amount, o.currency)}",
        make_input=lambda v: OrderInput(**v),
        add=lambda data, token: add_order(sessions, actor=actor, customer_id=customer_id, data=data, token=token),
        update=lambda o, data, version, token: update_order(
            sessions, actor=actor, order_id=o.id, version=version, data=data, token=token
        ),
        archive=lambda o, version, token: set_order_archived(
            sessions, actor=actor, order_id=o.id, version=version, archived=True, token=token
        ),
        latest=lambda o: _latest(sessions, actor, customer_id, "orders", o.id),
    )


def contracts_tab(sessions: Sessions, actor: Actor, detail: Customer360) -> None:
    if not detail.contracts:
        st.info(t("customers.contracts.none"))
    for contract in detail.contracts:
        title = (
            f"{inert(contract.code)} · {inert(contract.title)} · {t(f'contract_status.{contract.status}')} · "
            f"{_money(contract.value)}"
        )
        with st.expander(title, icon=":material/contract:"):
            st.caption(
                t(
                    "customers.contract.period",
                    start=date(contract.start_date),
                    end=date(contract.end_date),
                    terms=inert(contract.payment_terms) or t("common.none"),
                )
            )
            cols = st.columns(3)
            cols[0].metric(t("customers.contract.value"), _money(contract.value))
            cols[1].metric(t("customers.contract.paid"), _money(contract.paid))
            cols[2].metric(t("customers.contract.outstanding"), _money(contract.outstanding))
            if contract.payments:
                data_table(
                    pd.DataFrame(
                        [
                            {
                                t("customers.payment.due"): date(p.due_date),
                                t("customers.payment.amount"): _money(p.amount),
                                t("customers.payment.paid_date"): date(p.paid_date) if p.paid_date else "",
                                t("customers.payment.paid_amount"): _money(p.paid_amount)
                                if p.paid_amount is not None
                                else "",
                                t("customers.payment.overdue"): "⚠️" if p.overdue else "",
                            }
                            for p in contract.payments
                        ]
                    ),
                    hide_index=True,
                    width="stretch",
                )
    if not detail.profile.can_edit:
        return
    customer_id = detail.profile.id
    st.subheader(t("customers.contract.edit"))
    fields = [
        Field("title", "customers.contract.title", max_chars=200),
        Field("code", "customers.contract.code", max_chars=40),
        Field("value", "customers.contract.value"),
        Field("status", "customers.contract.status", "select", CONTRACT_STATUSES, labeller("contract_status")),
        Field("start_date", "customers.contract.start", "date"),
        Field("end_date", "customers.contract.end", "date"),
        Field("payment_terms", "customers.contract.terms", max_chars=200),
    ]
    _record_panel(
        key=keys.CONTRACTS,
        records=detail.contracts,
        fields=fields,
        add_label=t("customers.contract.add"),
        blank={
            "title": "",
            "code": "",
            "value": "",
            "status": "draft",
            "start_date": None,
            "end_date": None,
            "payment_terms": "",
        },
        values_of=lambda c: {
            "title": c.title,
            "code": c.code,
            "value": format(c.value, "f"),
            "status": c.status,
            "start_date": c.start_date,
            "end_date": c.end_date,
            "payment_terms": c.payment_terms or "",
        },
        label_of=lambda c: f"{c.code} · {c.title}",
        make_input=lambda v: ContractInput(**v),
        add=lambda data, token: add_contract(sessions, actor=actor, customer_id=customer_id, data=data, token=token),
        update=lambda c, data, version, token: update_contract(
            sessions, actor=actor, contract_id=c.id, version=version, data=data, token=token
        ),
        archive=lambda c, version, token: set_contract_archived(
            sessions, actor=actor, contract_id=c.id, version=version, archived=True, token=token
        ),
        latest=lambda c: _latest(sessions, actor, customer_id, "contracts", c.id),
    )
    if detail.contracts:
        _payments_panel(sessions, actor, detail)


def _payments_panel(sessions: Sessions, actor: Actor, detail: Customer360) -> None:
    st.subheader(t("customers.payment.edit"))
    contracts = {c.id: c for c in detail.contracts}
    contract_labels = {i: f"{c.code} · {c.title}" for i, c in contracts.items()}
    contract_id = st.selectbox(
        t("customers.payment.contract"),
        list(contracts),
        key=keys.PAYMENT_CONTRACT,
        format_func=contract_labels.get,
    )
    contract = contracts[contract_id]
    fields = [
        Field("due_date", "customers.payment.due", "date"),
        Field("amount", "customers.payment.amount"),
        Field("paid_date", "customers.payment.paid_date", "date", max_date=company_today()),
        Field("paid_amount", "customers.payment.paid_amount"),
    ]
    _record_panel(
        key=keys.payments(contract_id),
        records=contract.payments,
        fields=fields,
        add_label=t("customers.payment.add"),
        blank={"due_date": None, "amount": "", "paid_date": None, "paid_amount": ""},
        values_of=lambda p: {
            "due_date": p.due_date,
            "amount": format(p.amount, "f"),
            "paid_date": p.paid_date,
            "paid_amount": format(p.paid_amount, "f") if p.paid_amount is not None else "",
        },
        label_of=lambda p: f"{date(p.due_date)} · {_money(p.amount)}",
        make_input=lambda v: PaymentInput(**v),
        add=lambda data, token: add_payment(sessions, actor=actor, contract_id=contract_id, data=data, token=token),
        update=lambda p, data, version, token: update_payment(
            sessions, actor=actor, payment_id=p.id, version=version, data=data, token=token
        ),
        archive=None,
        latest=lambda p: _latest(sessions, actor, detail.profile.id, "payments", p.id),
    )


# --- timeline ---------------------------------------------------------------------------------------

_ICONS = {
    "change": ":material/edit_note:",
    "activity": ":material/forum:",
    "complaint": ":material/report:",
    "complaint_event": ":material/assignment_turned_in:",
    "suggestion": ":material/lightbulb:",
    "survey": ":material/sentiment_satisfied:",
    "stage": ":material/trending_up:",
    "class": ":material/category:",
}


def _vocab(prefix: str, code: str | None) -> str:
    if not code:
        return "∅"
    key = f"{prefix}.{code}"
    return t(key) if key in catalog.CATALOG else code


def _short(value: str | None) -> str | None:
    """A value short enough to stay on the entry's line, or None."""
    text = value or ""
    return text if len(text) <= INLINE_CHARS and "\n" not in text else None


def describe_entry(entry: TimelineEntry) -> tuple[str, str]:
    """What happened: one line of Markdown (every user value in it escaped) and the entry's text, if any."""
    if entry.kind == "change":
        what = f"{_vocab('entity', entry.entity)} · {_vocab('audit.action', entry.action)}"
        if not entry.field:
            return what, ""
        language = lang()
        old, new = (
            change_value_label(entry.entity, entry.field, v, language, company_zone().key)
            for v in (entry.old, entry.new)
        )
        what += f" · **{change_field_label(entry.field, language)}**"
        short_old, short_new = _short(old), _short(new)
        if short_old is not None and short_new is not None:
            return f"{what}: {inert(short_old or '∅')} → {inert(short_new or '∅')}", ""
        return what, f"{old or '∅'}\n→\n{new or '∅'}"
    if entry.kind == "activity":
        line = _vocab("channel", entry.field)
        return line + (f" · *{_vocab('outcome', entry.detail)}*" if entry.detail else ""), entry.text or ""
    if entry.kind == "complaint":
        return (
            f"**{inert(entry.entity)}** · {_vocab('severity', entry.field)} · "
            f"{_vocab('complaint_status', entry.action)}"
        ), entry.text or ""
    if entry.kind == "complaint_event":
        step = _vocab("complaint_status", entry.new)
        if entry.old != entry.new:
            step = f"{_vocab('complaint_status', entry.old)} → **{step}**"
        return f"**{inert(entry.entity)}** · {step}", entry.text or ""
    if entry.kind == "suggestion":
        return _vocab("suggestion_status", entry.action), entry.text or ""
    if entry.kind == "survey":
        return t("customers.timeline.survey", score=entry.old or "∅", nps=entry.new or "∅"), entry.text or ""
    if entry.kind == "stage":
        return f"{_vocab('stage', entry.old)} → **{_vocab('stage', entry.new)}**", entry.text or ""
    dimension = t(f"customers.dimension.{entry.field}") if entry.field else ""
    old_class, new_class = (
        class_label(entry.field, v) if entry.field in LABEL_PREFIX else inert(v or "∅") for v in (entry.old, entry.new)
    )
    return f"{dimension}: {old_class} → **{new_class}**", describe_stored(entry.text, lang())


def _entry_key(customer_id: int, entry: TimelineEntry, seen: set[str]) -> str:
    """A widget key that stays with the entry when newer entries arrive or older ones are loaded."""
    key = keys.timeline_entry(
        customer_id, f"{entry.kind}_{entry.ref_id or ''}_{entry.field or ''}_{int(entry.at.timestamp() * 1000)}"
    )
    while key in seen:
        key += "_"
    seen.add(key)
    return key


def timeline_tab(sessions: Sessions, actor: Actor, customer_id: int) -> None:
    limit_key = keys.timeline_limit(customer_id)
    limit = int(st.session_state.get(limit_key, TIMELINE_STEP))
    page = customer_timeline(sessions, actor=actor, customer_id=customer_id, limit=limit)
    if not page.entries:
        st.info(t("customers.timeline.empty"))
        return
    seen: set[str] = set()
    for entry in page.entries:
        line, body = describe_entry(entry)
        with st.container(border=False):
            cols = st.columns([1, 5])
            cols[0].markdown(f"{_ICONS.get(entry.kind, '')} {when(entry.at)}")
            who = f"{inert(entry.who)} · " if entry.who else ""
            cols[1].markdown(f"{t(f'customers.timeline.kind.{entry.kind}')} · {who}{line}")
            # Notes, descriptions and long values: plain wrapped text, first lines only until "Show more".
            long_text(body, key=_entry_key(customer_id, entry, seen), container=cols[1])
    if page.has_more:
        st.button(
            t("customers.timeline.more"),
            key=keys.TIMELINE_MORE,
            icon=":material/expand_more:",
            on_click=lambda: st.session_state.__setitem__(limit_key, limit + TIMELINE_STEP),
        )


# --- follow-ups (read only; the follow-up feature adds its "log a contact" widget here) ---------------


def follow_ups_tab(sessions: Sessions, actor: Actor, detail: Customer360) -> None:
    st.markdown(badge("follow_up_state", detail.profile.follow_up_state))
    if actor.can("follow_ups.log"):  # read-only roles would find nothing in it but a note
        with st.expander(t("customers.log_contact"), icon=":material/add_call:", expanded=False):
            log_contact_form(actor, detail.profile.id, key_prefix=keys.LOG_CONTACT)
    st.subheader(t("customers.follow_ups.open"))
    if detail.open_tasks:
        data_table(
            pd.DataFrame(
                [
                    {
                        t("customers.follow_ups.due"): when(task.due_at),
                        t("customers.follow_ups.purpose"): t(f"purpose.{task.purpose}"),
                        t("customers.follow_ups.priority"): t(f"priority.{task.priority}"),
                        t("customers.col.owner"): task.owner_name or "",
                        t("customers.field.notes"): task.note or "",
                        t("customers.follow_ups.overdue"): "🔴" if task.overdue else "",
                    }
                    for task in detail.open_tasks
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption(t("customers.follow_ups.none_open"))
    st.subheader(t("customers.follow_ups.recent"))
    if detail.recent_activities:
        data_table(
            pd.DataFrame(
                [
                    {
                        t("customers.follow_ups.when"): when(a.occurred_at),
                        t("customers.follow_ups.channel"): t(f"channel.{a.channel}"),
                        t("customers.follow_ups.summary"): a.summary,
                        t("customers.follow_ups.outcome"): t(f"outcome.{a.outcome}") if a.outcome else "",
                        t("customers.follow_ups.next_step"): a.next_step or "",
                        t("customers.col.owner"): a.owner_name or "",
                    }
                    for a in detail.recent_activities
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption(t("customers.follow_ups.none_logged"))


# --- duplicates and merge ---------------------------------------------------------------------------


def duplicates_tab(sessions: Sessions, actor: Actor, detail: Customer360) -> None:
    profile = detail.profile
    candidates = duplicates_of(sessions, actor=actor, customer_id=profile.id)
    if candidates:
        st.warning(t("customers.duplicates.warning", n=len(candidates)), icon=":material/content_copy:")
        data_table(
            pd.DataFrame(
                [
                    {
                        t("customers.col.code"): c.code,
                        t("customers.col.name"): c.name,
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
    else:
        st.success(t("customers.duplicates.none"), icon=":material/check:")
    if not actor.can("customers.merge") or profile.archived_at is not None:
        return
    st.subheader(t("customers.merge.title"))
    st.caption(t("customers.merge.help"))
    search = st.text_input(t("customers.merge.search"), key=keys.MERGE_SEARCH)
    options = {c.id: f"{c.code} · {c.name}" for c in candidates}
    if search.strip():
        options.update(
            {c.id: c.label for c in pick_customers(sessions, actor=actor, search=search, exclude_id=profile.id)}
        )
    if not options:
        return
    with st.form(keys.MERGE_FORM, enter_to_submit=False):
        other = st.selectbox(
            t("customers.merge.other"), list(options), format_func=options.get, key=f"{keys.MERGE_FORM}_other"
        )
        keep_labels = {k: inert_t(f"customers.merge.keep_{k}", name=profile.name) for k in ("this", "other")}
        keep = st.radio(
            t("customers.merge.keep"),
            list(keep_labels),
            horizontal=True,
            key=f"{keys.MERGE_FORM}_keep",
            format_func=keep_labels.get,
        )
        confirm = st.checkbox(t("customers.merge.confirm"), key=f"{keys.MERGE_FORM}_confirm")
        field_error(keys.MERGE_FORM, "confirm")
        submitted = st.form_submit_button(
            t("customers.merge.submit"), type="primary", icon=":material/merge:", key=f"{keys.MERGE_FORM}_submit"
        )
    if submitted:
        if not confirm:
            st.session_state[f"{keys.MERGE_FORM}__errors"] = {"confirm": t("customers.merge.confirm_required")}
            st.rerun()
        survivor, duplicate = (profile.id, other) if keep == "this" else (other, profile.id)
        versions = {profile.id: profile.version}
        result = run_action(
            keys.MERGE_FORM,
            lambda: merge_customers(
                sessions,
                actor=actor,
                survivor_id=survivor,
                duplicate_id=duplicate,
                survivor_version=versions.get(survivor),
                duplicate_version=versions.get(duplicate),
                token=form_token(keys.MERGE_FORM),
            ),
        )
        if result is not None:
            for key in ("other", "keep", "confirm"):
                st.session_state.pop(f"{keys.MERGE_FORM}_{key}", None)
            forget_form(keys.PROFILE_FORM)
            moved = sum(result.moved.values())
            open_customer(result.survivor_id)
            _done(t("customers.merge.done", moved=moved, cancelled=result.cancelled_tasks))


# --- the view ---------------------------------------------------------------------------------------


def customer_360(sessions: Sessions, actor: Actor, customer_id: int) -> None:
    """The whole 360 view of one customer, or a message if it cannot be shown."""
    try:
        detail = get_customer_360(sessions, actor=actor, customer_id=customer_id)
    except CrmError as error:
        st.error(describe_error(error))
        st.button(t("customers.back"), key=keys.BACK, icon=":material/arrow_back:", on_click=close_customer)
        return
    _header(sessions, actor, detail)
    names = ["profile", "classes", "contacts", "orders", "contracts", "timeline", "follow_ups", "duplicates"]
    if actor.can("complaints.view"):
        names.insert(names.index("follow_ups") + 1, "complaints")
    if actor.can("satisfaction.view"):
        names.insert(names.index("follow_ups") + 1 + ("complaints" in names), "satisfaction")
    tabs = st.tabs([t(f"customers.tab.{n}") for n in names])
    panels: dict[str, Callable[[], None]] = {
        "profile": lambda: profile_tab(sessions, actor, detail),
        "classes": lambda: render_explanations(actor, customer_id),
        "contacts": lambda: contacts_tab(sessions, actor, detail),
        "orders": lambda: orders_tab(sessions, actor, detail),
        "contracts": lambda: contracts_tab(sessions, actor, detail),
        "timeline": lambda: timeline_tab(sessions, actor, customer_id),
        "follow_ups": lambda: follow_ups_tab(sessions, actor, detail),
        "duplicates": lambda: duplicates_tab(sessions, actor, detail),
        "complaints": lambda: customer_complaints_tab(sessions, actor, customer_id),
        "satisfaction": lambda: customer_satisfaction_tab(sessions, actor, customer_id, detail.profile.owner_id),
    }
    for name, tab in zip(names, tabs, strict=True):
        with tab, error_boundary(f"customers.{name}"):
            panels[name]()
