"""The drill-down: the customers, complaints, responses or tasks behind a card or a chart's bar, a page at a time,
each customer one click from its 360 view."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st

from crm.platform.i18n import CATALOG
from crm.platform.permissions import Actor
from ui.i18n import date, day, lang, money, number, t
from ui.inert import inert
from ui.kpis import keys
from ui.kpis.filters import DashboardView, current_view
from ui.kpis.reads import cached_drill
from ui.widgets import data_table, pager

PAGE_SIZE = 20
CUSTOMER_ID = "customer_id"
CUSTOMERS_PAGE = "pages/customers.py"
# Columns whose codes are shown through a vocabulary's labels (the first of the catalog's keys that exists).
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "stage": ("stage",),
    "tier": ("tier",),
    "value_tier": ("tier",),
    "severity": ("complaints.severity",),
    "category": ("complaints.category",),
    "status": ("complaint_status", "task_status"),
    "churn_reason": ("churn_reason",),
    "purpose": ("purpose",),
    "channel": ("channel", "complaints.channel"),
    "industry": ("industry",),
    "region": ("region",),
}
SHARE_COLUMNS = {"cumulative_share"}
MONEY_COLUMNS = {"revenue", "amount"}


def open_drill(code: str, key: str | None, title: str, view: DashboardView | None = None) -> None:
    """Ask for the list behind a figure (a card) or behind one bar or stage of a chart (key), from its first page."""
    st.session_state[keys.DRILL] = (code, key, title)
    st.session_state.pop(keys.DRILL_PAGE, None)


def close_drill() -> None:
    """Close the list."""
    st.session_state.pop(keys.DRILL, None)
    st.session_state.pop(keys.DRILL_PAGE, None)


def drill_section(actor: Actor) -> None:
    """The list asked for, under the cards: its title, one page of rows, links to the customers' 360 views."""
    asked = st.session_state.get(keys.DRILL)
    if not asked:
        return
    code, key, title = asked
    view = current_view()
    with st.container(border=True):
        head, close = st.columns([6, 1], vertical_alignment="center")
        head.markdown(f"#### {inert(t('dashboard.drill.title', what=title, period=view.period.label(lang())))}")
        close.button(t("dashboard.drill.close"), key=keys.DRILL_CLOSE, icon=":material/close:", on_click=close_drill)
        page = int(st.session_state.get(keys.DRILL_PAGE, 1) or 1) - 1
        rows, total = cached_drill(actor, code, key, view.period, view.filters, page, PAGE_SIZE)
        if total == 0:
            st.info(t("dashboard.drill.empty"), icon=":material/info:")
            return
        if not rows and page > 0:  # the list shrank under a later page: back to the first
            rows, total = cached_drill(actor, code, key, view.period, view.filters, 0, PAGE_SIZE)
        st.caption(t("dashboard.drill.count", count=number(total)))
        frame, links = rows_frame(rows)
        column_config: dict[str, Any] = {}
        if links is not None:
            frame.insert(0, t("dashboard.drill.open"), links)
            column_config[t("dashboard.drill.open")] = st.column_config.LinkColumn(
                display_text=t("dashboard.drill.open_text"), width="small"
            )
        data_table(frame, hide_index=True, width="stretch", column_config=column_config)
        pager(keys.DRILL_PAGE, total, PAGE_SIZE)
        _open_one(rows)


def _open_one(rows: list[dict[str, Any]]) -> None:
    """A picker of this page's customers and a link opening the chosen one's 360 view in this tab."""
    customers = {int(r[CUSTOMER_ID]): str(r.get("name") or r[CUSTOMER_ID]) for r in rows if r.get(CUSTOMER_ID)}
    if not customers:
        return
    pick, go = st.columns([3, 2], vertical_alignment="bottom")
    chosen = pick.selectbox(
        t("dashboard.drill.pick"), list(customers), format_func=lambda i: customers.get(i, str(i)), key=keys.DRILL_OPEN
    )
    if chosen is not None:
        go.page_link(
            CUSTOMERS_PAGE,
            label=t("dashboard.drill.open_360"),
            icon=":material/open_in_new:",
            query_params={"customer": str(chosen)},
        )


def rows_frame(rows: list[dict[str, Any]]) -> tuple[pd.DataFrame, list[str] | None]:
    """The rows as a table with translated headers and labelled codes, and each row's 360 link (None without
    customers)."""
    if not rows:
        return pd.DataFrame(), None
    columns = [c for c in rows[0] if c != "id" and not c.endswith("_id")]
    table = {_header(c): [_cell(c, r.get(c)) for r in rows] for c in columns}
    links = [f"/customers?customer={int(r[CUSTOMER_ID])}" if r.get(CUSTOMER_ID) else "" for r in rows]
    return pd.DataFrame(table), links if any(links) else None


def _header(column: str) -> str:
    column = {"value_tier": "tier"}.get(column, column)
    for key in (f"kpis.col.{column}", f"dashboard.col.{column}"):
        if key in CATALOG:
            return t(key)
    return column


def _cell(column: str, value: Any) -> Any:
    if value is None:
        return ""
    if column in VOCABULARIES and isinstance(value, str):
        for vocabulary in VOCABULARIES[column]:
            if f"{vocabulary}.{value}" in CATALOG:
                return t(f"{vocabulary}.{value}")
        return value
    if column in SHARE_COLUMNS and isinstance(value, int | float | Decimal):
        return f"{float(value):.1%}"
    if column in MONEY_COLUMNS and isinstance(value, int | float | Decimal):
        return money(value)
    if isinstance(value, bool):
        return t("common.yes") if value else t("common.no")
    if isinstance(value, dt.datetime):
        return day(value)  # the company-local day of the instant
    if isinstance(value, dt.date):
        return date(value)
    if isinstance(value, float | Decimal):
        return number(round(float(value), 2))
    return value
