"""The complaints screens' cached reads (the short lists every form offers), and the one function forgetting them."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from crm.complaints import DepartmentView, PeriodFigures, WhatIfRow, list_departments, period_figures, what_if_on_time
from crm.complaints.figures import RootCauses, root_causes
from crm.complaints.limits import Category, list_categories, read_policy
from crm.complaints.sla import SlaPolicy
from crm.customers.service import Choice, owner_choices
from crm.platform.permissions import Actor
from ui.state import READ_TTL_SECONDS, get_sessions


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_departments(actor: Actor, include_archived: bool = False) -> list[DepartmentView]:
    """The departments (with heads and member counts), by name."""
    return list_departments(get_sessions(), actor=actor, include_archived=include_archived)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_categories(actor: Actor) -> list[Category]:
    """The complaint categories: the default list, then the ones managers added."""
    return list_categories(get_sessions(), actor=actor)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_policy(actor: Actor) -> SlaPolicy:
    """The time limits in force."""
    return read_policy(get_sessions(), actor=actor)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_assignees(actor: Actor) -> list[Choice]:
    """The people a complaint, inquiry or department can be given to (active users who may own customers)."""
    return owner_choices(get_sessions(), actor=actor)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_figures(actor: Actor, start: dt.date, end: dt.date) -> PeriodFigures:
    """The figures of the complaints and suggestions received in a period."""
    return period_figures(get_sessions(), actor=actor, start=start, end=end)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_root_causes(actor: Actor, start: dt.date, end: dt.date) -> RootCauses:
    """Complaints per month by category and department, and the repeat complainers, of a period."""
    return root_causes(get_sessions(), actor=actor, start=start, end=end)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def cached_what_if(actor: Actor, proposed: SlaPolicy, start: dt.date, end: dt.date) -> list[WhatIfRow]:
    """The on-time rate per severity and department as it is and under the proposed time limits."""
    return what_if_on_time(get_sessions(), actor=actor, proposed=proposed, start=start, end=end)


def clear_complaint_reads() -> None:
    """Forget the departments, categories, time limits and people: after a write to any of them."""
    for cached in (
        cached_departments,
        cached_categories,
        cached_policy,
        cached_assignees,
        cached_figures,
        cached_root_causes,
        cached_what_if,
    ):
        cached.clear()
