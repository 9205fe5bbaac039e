"""The team view (managers): each owner's follow-ups and cadence compliance, and the calendar of what is due."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import altair as alt
import pandas as pd
import streamlit as st

from crm.follow_ups.queues import PERIODS, TeamOverview, calendar_counts, calendar_range, calendar_tasks, team_overview
from crm.follow_ups.service import assignable_users
from crm.platform.clock import utcnow
from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.follow_ups import keys
from ui.follow_ups.reads import cached_team_overview
from ui.follow_ups.widgets import local, option_labels, show_flash
from ui.i18n import date, number, t
from ui.reads import clear_after
from ui.state import company_today, company_zone, get_sessions
from ui.widgets import data_table, error_boundary, run_action


def team_section(sessions: Sessions, actor: Actor) -> None:
    """The team's figures for a period, then the calendar of open follow-ups."""
    team_figures(actor)
    st.subheader(t("follow_ups.team.calendar"))
    team_calendar(sessions, actor)


@st.fragment
def team_figures(actor: Actor) -> None:
    """Per owner: open, overdue, done, contacts and cadence compliance; compliance per value tier.

    A fragment: choosing another period reruns the figures alone.
    """
    with error_boundary("follow-ups team"):
        period = (
            st.segmented_control(
                t("follow_ups.team.period"),
                PERIODS,
                default="week",
                format_func=lambda p: t(f"follow_ups.team.period.{p}"),
                key=keys.TEAM_PERIOD,
            )
            or "week"
        )
        team = cached_team_overview(actor, period)
        st.caption(
            t("follow_ups.team.range", start=date(team.period_start), end=date(team.period_end - dt.timedelta(days=1)))
        )
        team_freshness(actor, team)
        compliance = t("follow_ups.team.compliance")
        data_table(
            pd.DataFrame(
                [
                    {
                        t("follow_ups.field.owner"): row.owner_name,
                        t("follow_ups.team.open"): row.open,
                        t("follow_ups.team.overdue"): row.overdue,
                        t("follow_ups.team.done"): row.done,
                        t("follow_ups.team.contacts"): row.contacts,
                        t("follow_ups.team.customers"): row.customers,
                        compliance: round(100 * row.compliance, 1) if row.compliance is not None else None,
                    }
                    for row in team.owners
                ]
            ),
            hide_index=True,
            width="stretch",
            column_config={
                compliance: st.column_config.ProgressColumn(
                    compliance, min_value=0, max_value=100, format="%.1f%%", help=t("follow_ups.team.compliance_help")
                )
            },
        )
        st.subheader(t("follow_ups.team.by_tier"))
        data_table(
            pd.DataFrame(
                [
                    {
                        t("follow_ups.team.tier"): t(f"tier.{row.value_tier}"),
                        t("follow_ups.team.customers"): row.customers,
                        t("follow_ups.team.in_cadence"): row.in_cadence,
                        compliance: round(100 * row.compliance, 1) if row.compliance is not None else None,
                    }
                    for row in team.tiers
                ]
            ),
            hide_index=True,
            width="stretch",
            column_config={
                compliance: st.column_config.ProgressColumn(compliance, min_value=0, max_value=100, format="%.1f%%")
            },
        )


def as_of(when: dt.datetime, timezone: str) -> str:
    """HH:MM in the company time zone when it is today there, else the short date and time."""
    tz = ZoneInfo(timezone)
    local_when = when.astimezone(tz)
    return (
        local_when.strftime("%H:%M") if local_when.date() == utcnow().astimezone(tz).date() else local(when, timezone)
    )


def team_freshness(actor: Actor, team: TeamOverview) -> None:
    """Show when the team figures were computed, and a Refresh button that recomputes them now."""
    head = st.columns([5, 1], vertical_alignment="center")
    head[0].caption(
        t("follow_ups.team.as_of", time=as_of(team.computed_at, team.timezone)),
        help=t("follow_ups.team.as_of_help", minutes=team.max_age_minutes),
    )
    if head[1].button(t("follow_ups.team.refresh"), key=keys.TEAM_REFRESH, icon=":material/refresh:", width="stretch"):
        with st.spinner(t("follow_ups.team.refresh")):
            refreshed = run_action(
                keys.TEAM_REFRESH, lambda: team_overview(get_sessions(), actor=actor, period=team.period, refresh=True)
            )
        if refreshed is not None:
            clear_after("team_figures")
            st.session_state[keys.flash(keys.TEAM)] = t("follow_ups.team.refreshed")
            st.rerun()
    show_flash(keys.TEAM)


@st.fragment
def team_calendar(sessions: Sessions, actor: Actor) -> None:
    """A week (per owner) or month heat map of the open follow-ups due, and the list of one day's.

    A fragment: the view, the week or month shown, the owner and the day rerun the calendar alone.
    """
    with error_boundary("follow-ups calendar"):
        cal = st.columns(3)
        view = (
            cal[0].segmented_control(
                t("follow_ups.team.view"),
                ("week", "month"),
                default="week",
                format_func=lambda v: t(f"follow_ups.team.view.{v}"),
                key=keys.CALENDAR_VIEW,
            )
            or "week"
        )
        anchor = cal[1].date_input(
            t("follow_ups.team.anchor"), value=company_today(), format="YYYY-MM-DD", key=keys.CALENDAR_ANCHOR
        )
        people = option_labels(assignable_users(sessions, actor=actor))
        who = cal[2].selectbox(
            t("follow_ups.field.owner"),
            [None, *people],
            format_func=lambda o: t("follow_ups.planned.everyone") if o is None else people[o],
            key=keys.CALENDAR_OWNER,
        )
        start, days = calendar_range(view, anchor)
        counts = calendar_counts(sessions, actor=actor, start=start, days=days, owner_id=who, by_owner=view == "week")
        if view == "week":
            names = {o.id: o.label for o in counts.owners}
            frame = pd.DataFrame(
                [
                    {
                        "day": f"{t(f'follow_ups.weekday.{d.weekday()}')} {d.day}",
                        "owner": names.get(owner, f"#{owner}"),
                        "count": n,
                    }
                    for (owner, d), n in counts.counts.items()
                ],
                columns=["day", "owner", "count"],
            )
            order = [f"{t(f'follow_ups.weekday.{d.weekday()}')} {d.day}" for d in counts.days]
            chart = alt.Chart(frame).encode(
                x=alt.X("day:O", sort=order, title=None, scale=alt.Scale(domain=order)), y=alt.Y("owner:N", title=None)
            )
        else:
            frame = pd.DataFrame(
                [
                    {
                        "weekday": t(f"follow_ups.weekday.{d.weekday()}"),
                        "week": str(d - dt.timedelta(days=d.weekday())),
                        "label": f"{d.day}",
                        "count": counts.total(d),
                    }
                    for d in counts.days
                ]
            )
            order = [t(f"follow_ups.weekday.{i}") for i in range(7)]
            chart = alt.Chart(frame).encode(
                x=alt.X("weekday:O", sort=order, title=None), y=alt.Y("week:O", title=None, axis=None)
            )
        heat = chart.mark_rect().encode(
            color=alt.Color("count:Q", title=t("follow_ups.team.planned"), scale=alt.Scale(scheme="greens")),
            tooltip=list(frame.columns),
        )
        text = chart.mark_text().encode(text="label:N" if view == "month" else "count:Q")
        rows_shown = len(counts.owners) if view == "week" else days // 7
        st.altair_chart((heat + text).properties(height=max(140, 32 * rows_shown)), width="stretch")
        day = st.date_input(t("follow_ups.team.day"), value=anchor, format="YYYY-MM-DD", key=keys.CALENDAR_DAY)
        day_tasks, day_total = calendar_tasks(sessions, actor=actor, day=day, owner_id=who)
        st.caption(t("follow_ups.team.day_total", n=number(day_total)))
        if day_tasks:
            timezone = company_zone().key
            data_table(
                pd.DataFrame(
                    [
                        {
                            t("follow_ups.col.due"): local(task.due_at, timezone),
                            t("follow_ups.col.customer"): task.customer_name,
                            t("follow_ups.field.owner"): task.owner_name or "",
                            t("follow_ups.field.purpose"): t(f"purpose.{task.purpose}"),
                            t("follow_ups.field.priority"): t(f"priority.{task.priority}"),
                        }
                        for task in day_tasks
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
