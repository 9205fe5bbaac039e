"""Root causes: complaints by category and department per month, repeat complainers, and the period's figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from crm.complaints import Figures
from crm.complaints.vocab import SEVERITIES
from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.complaints import keys
from ui.complaints.queue import queues_for
from ui.complaints.reads import cached_departments, cached_figures, cached_root_causes
from ui.complaints.widgets import category_label, departments, duration, vocab
from ui.i18n import lang, number, t
from ui.state import company_today
from ui.widgets import data_table

TOP = 20


def last_twelve_months(today: dt.date) -> tuple[dt.date, dt.date]:
    """From the first day of the month eleven months back to today: twelve months, the current one included."""
    month = today.month - 11
    year = today.year + (month - 1) // 12
    return dt.date(year, (month - 1) % 12 + 1, 1), today


def department_names(actor: Actor) -> dict[int, str]:
    """{department id: name} of every department, archived ones included (their complaints still count)."""
    return {d.id: d.label(lang()) for d in cached_departments(actor, include_archived=True)}


def rate(value: float | None) -> str:
    """A rate as a percentage; "no data" without a denominator (never 0%)."""
    return t("complaints.figure.no_data") if value is None else f"{value:.1%}"


def root_causes_section(sessions: Sessions, actor: Actor) -> None:
    """The period, the monthly charts with their click-through to the queue, repeat complainers, the figures."""
    period = _period()
    if period is None:
        return
    start, end = period
    causes = cached_root_causes(actor, start, end)
    figures = cached_figures(actor, start, end)
    if figures.overall.received == 0:
        st.info(t("complaints.rc.empty"), icon=":material/info:")
    else:
        names, live = department_names(actor), departments(actor)
        left, right = st.columns(2, gap="large")
        with left:
            _chart(
                t("complaints.rc.by_category"),
                causes.by_category,
                lambda code: category_label(actor, code) if code else t("complaints.rc.no_category"),
            )
            _open_in_queue(
                actor, keys.RC_CATEGORY, [c for c in {c for _, c in causes.by_category} if c], period, "category"
            )
        with right:
            _chart(
                t("complaints.rc.by_department"),
                causes.by_department,
                lambda dept: names.get(dept, "?") if dept is not None else t("complaints.rc.no_department"),
            )
            _open_in_queue(
                actor,
                keys.RC_DEPARTMENT,
                [d for d in {d for _, d in causes.by_department} if d is not None and d in live],
                period,
                "department",
            )
    st.subheader(t("complaints.rc.repeat"))
    if causes.repeat_complainers:
        data_table(
            pd.DataFrame(
                [(name, n) for _, name, n in causes.repeat_complainers[:TOP]],
                columns=[t("complaints.rc.customer"), t("complaints.rc.count")],
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption(t("complaints.rc.repeat_none"))
    st.subheader(t("complaints.rc.figures"))
    data_table(_figures_frame(actor, figures), hide_index=True, width="stretch")


def _period() -> tuple[dt.date, dt.date] | None:
    default = last_twelve_months(company_today())
    chosen = st.date_input(t("complaints.rc.period"), value=default, format="YYYY-MM-DD", key=keys.RC_PERIOD)
    if not isinstance(chosen, tuple | list) or len(chosen) < 2:
        st.caption(t("complaints.rc.pick_end"))
        return None
    return chosen[0], chosen[1]


def _chart(title: str, counts: dict[tuple[dt.date, Any], int], label: Callable[[Any], str]) -> None:
    month, count, what = t("complaints.rc.month"), t("complaints.rc.count"), title
    frame = pd.DataFrame(
        [(m.strftime("%Y-%m"), label(key), n) for (m, key), n in sorted(counts.items(), key=lambda kv: kv[0][0])],
        columns=[month, "label", count],
    )
    chart = (
        alt.Chart(frame, title=what)
        .mark_bar()
        .encode(
            x=alt.X(f"{month}:O", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(f"{count}:Q"),
            color=alt.Color("label:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=[month, alt.Tooltip("label:N", title=" "), count],
        )
    )
    st.altair_chart(chart, width="stretch")


def _open_in_queue(actor: Actor, key: str, values: list[Any], period: tuple[dt.date, dt.date], kind: str) -> None:
    """A choice of category or department and a button opening the queue filtered on it and on the period."""
    if not values:
        return
    names = departments(actor)
    label: Callable[[Any], str] = (
        (lambda code: category_label(actor, code)) if kind == "category" else (lambda dept: names.get(dept, "?"))
    )
    values = sorted(values, key=label)
    row = st.columns([3, 2], vertical_alignment="bottom")
    field = "category" if kind == "category" else "department_id"
    row[0].selectbox(t(f"complaints.field.{field}"), values, format_func=label, key=key)
    row[1].button(
        t("complaints.rc.open"),
        key=f"{key}_open",
        icon=":material/filter_list:",
        on_click=_show_in_queue,
        args=(actor, kind, key, period),
    )


def _show_in_queue(actor: Actor, kind: str, key: str, period: tuple[dt.date, dt.date]) -> None:
    """Set the queue's filters to the chosen category or department and the period, and open the Queue tab."""
    state = st.session_state
    value = state.get(key)
    if value is None:
        return
    if "all" in queues_for(actor):
        state[keys.QUEUE] = "all"
    for filter_key in (keys.Q_STATUS, keys.Q_SEVERITY, keys.Q_ASSIGNEE):
        state[filter_key] = []
    state[keys.Q_CATEGORY] = [value] if kind == "category" else []
    state[keys.Q_DEPARTMENT] = [value] if kind == "department" else []
    state[keys.Q_FROM], state[keys.Q_TO] = period
    state.pop(keys.Q_PAGE, None)
    state[keys.NEXT_TAB] = "complaints.tab.queue"


def _figures_frame(actor: Actor, figures: Any) -> pd.DataFrame:
    """One row for all complaints, one per department, one per severity; a rate without a denominator reads
    "no data"."""
    rows: list[tuple[str, Figures]] = [(t("complaints.rc.overall"), figures.overall)]
    names = department_names(actor)
    for dept, values in sorted(figures.by_department.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
        rows.append((names.get(dept, "?") if dept is not None else t("complaints.rc.no_department"), values))
    for severity in SEVERITIES:
        if severity in figures.by_severity:
            rows.append((vocab("complaints.severity", severity), figures.by_severity[severity]))
    no_data = t("complaints.figure.no_data")

    def median(seconds: float | None) -> str:
        return no_data if seconds is None else duration(seconds)

    columns = [
        t("complaints.rc.scope"),
        t("complaints.figure.received"),
        t("complaints.figure.resolution_rate"),
        t("complaints.figure.on_time_rate"),
        t("complaints.figure.reopen_rate"),
        t("complaints.figure.median_acknowledge"),
        t("complaints.figure.median_resolve"),
        t("complaints.figure.adoption_rate"),
    ]
    return pd.DataFrame(
        [
            (
                scope,
                number(f.received),
                rate(f.resolution_rate),
                rate(f.on_time_rate),
                rate(f.reopen_rate),
                median(f.median_acknowledge_seconds),
                median(f.median_resolve_seconds),
                rate(f.adoption_rate),
            )
            for scope, f in rows
        ],
        columns=columns,
    )
