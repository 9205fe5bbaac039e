"""Care dates: the coming birthdays and anniversaries with a greeting planned in one click, and the holidays."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm.follow_ups.care import (
    CareDate,
    holiday_changes_from_editor,
    list_holidays,
    plan_greeting,
    save_holidays,
    upcoming_care_dates,
)
from crm.follow_ups.core import may_manage_customer
from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.follow_ups import keys
from ui.follow_ups.widgets import show_flash
from ui.i18n import date, t
from ui.inert import inert, inert_t
from ui.reads import clear_after
from ui.state import company_today
from ui.widgets import (
    action_errors,
    data_editor,
    data_table,
    error_boundary,
    field_error,
    form_token,
    pager,
    run_action,
)

CARE_PAGE = 20


def care_kind_label(kind: str, years: int | None) -> str:
    """What a care date is, with its count: "Birthday (36 years old)", "First-deal anniversary (1 year)"."""
    label = t(f"follow_ups.care.kind.{kind}")
    if not years:
        return label
    if kind == "birthday":
        count = t("follow_ups.care.age", n=years)
    else:
        count = t("follow_ups.care.years_one") if years == 1 else t("follow_ups.care.years", n=years)
    return f"{label} {count}"


def care_section(sessions: Sessions, actor: Actor) -> None:
    """The coming care dates, then the company's holidays."""
    show_flash(keys.CARE)
    care_dates(sessions, actor)
    st.subheader(t("follow_ups.holidays.title"))
    holidays(sessions, actor)


@st.fragment
def care_dates(sessions: Sessions, actor: Actor) -> None:
    """The coming care dates, the holidays among them, and a Plan greeting button where one may plan it.

    A fragment: turning the page reruns the list alone.
    """
    with error_boundary("follow-ups care"):
        care = upcoming_care_dates(sessions, actor=actor, today=company_today())
        st.caption(t("follow_ups.care.intro", days=care.days))
        for holiday in care.holidays:
            st.info(
                inert_t("follow_ups.care.holiday", day=date(holiday.date), name=holiday.name),
                icon=":material/celebration:",
            )
        if not care.dates:
            st.caption(t("follow_ups.care.none"))
        page = int(st.session_state.get(keys.CARE_PAGE, 1)) - 1
        for index, item in enumerate(care.dates[page * CARE_PAGE : (page + 1) * CARE_PAGE]):
            _care_row(sessions, actor, item, keys.greet(page, index))
        if len(care.dates) > CARE_PAGE:
            pager(keys.CARE_PAGE, len(care.dates), CARE_PAGE)
        if care.truncated:
            st.caption(t("follow_ups.care.truncated", n=len(care.dates)))


def _care_row(sessions: Sessions, actor: Actor, item: CareDate, greet_key: str) -> None:
    cols = st.columns([2, 2, 3, 3, 1.8], vertical_alignment="center")
    cols[0].write(date(item.day))
    cols[1].write(care_kind_label(item.kind, item.years))
    cols[2].markdown(f"**{inert(item.customer_name)}**  \n{inert(item.customer_code)}")
    cols[3].markdown(inert(" · ".join(x for x in (item.contact_name, item.label) if x)))
    if not (actor.can("follow_ups.log") and may_manage_customer(actor, item.owner_id)):
        return
    if cols[4].button(t("follow_ups.care.plan"), key=greet_key, icon=":material/redeem:", width="stretch"):
        if (
            run_action(greet_key, lambda: plan_greeting(sessions, actor=actor, care=item, token=form_token(greet_key)))
            is not None
        ):
            clear_after("follow_up")
            st.session_state[keys.flash(keys.CARE)] = inert_t("follow_ups.care.planned", name=item.customer_name)
            st.rerun()
    action_errors(greet_key)  # e.g. a care follow-up is already open for this customer


@st.fragment
def holidays(sessions: Sessions, actor: Actor) -> None:
    """A year's holidays: an editor for managers, a table for everyone else.

    A fragment: choosing the year or editing rows reruns the holidays alone.
    """
    with error_boundary("follow-ups holidays"):
        today = company_today()
        year = st.selectbox(t("follow_ups.holidays.year"), (today.year, today.year + 1), key=keys.HOLIDAY_YEAR)
        rows = list_holidays(sessions, actor=actor, year=year)
        frame = pd.DataFrame([{"date": h.date, "name": h.name} for h in rows], columns=["date", "name"])
        config = {
            "date": st.column_config.DateColumn(t("follow_ups.holidays.date"), format="YYYY-MM-DD", required=True),
            "name": st.column_config.TextColumn(t("follow_ups.holidays.name"), max_chars=120, required=True),
        }
        if not actor.can("follow_ups.manage"):
            if rows:
                data_table(frame, column_config=config, hide_index=True, width="stretch")
            else:
                st.caption(t("common.no_rows"))
            return
        revision = int(st.session_state.get(keys.HOLIDAYS_REVISION, 0))
        editor_key = keys.holidays_editor(year, revision)
        data_editor(frame, column_config=config, num_rows="dynamic", hide_index=True, width="stretch", key=editor_key)
        field_error(editor_key, "date")
        field_error(editor_key, "name")
        if st.button(t("common.save"), key=keys.HOLIDAYS_SAVE, type="primary"):
            changes = holiday_changes_from_editor(rows, st.session_state.get(editor_key, {}))
            if (
                run_action(
                    editor_key,
                    lambda: save_holidays(sessions, actor=actor, changes=changes, token=form_token(editor_key)),
                )
                is not None
            ):
                st.session_state[keys.HOLIDAYS_REVISION] = revision + 1  # the editor starts from the saved rows
                st.session_state[keys.flash(keys.CARE)] = t("follow_ups.holidays.saved")
                st.rerun()
