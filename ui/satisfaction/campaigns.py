"""Campaigns (managers): the list with response rates, a new campaign with its target and a preview count, running
one (customers added, survey tasks planned, members already), and its members."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from crm.platform.permissions import Actor
from crm.platform.vocab import STAGES, VALUE_TIERS
from crm.satisfaction import (
    CampaignInput,
    CampaignView,
    MemberRow,
    campaign_members,
    create_campaign,
    preview_campaign,
    run_campaign,
)
from db.engine import Sessions
from ui.complaints.reads import cached_assignees
from ui.complaints.widgets import departments
from ui.i18n import lang, number, t, when
from ui.inert import inert
from ui.reads import clear_after
from ui.satisfaction import keys
from ui.satisfaction.downloads import csv_download
from ui.satisfaction.reads import cached_campaigns, cached_templates
from ui.satisfaction.widgets import flash, run_write, share_text, show_flash
from ui.state import company_today, get_sessions
from ui.widgets import data_table, field_error, form_errors, form_token, pager

MEMBERS_PAGE = 25
MEMBERS_CSV_MAX = 20_000


def campaigns_section(sessions: Sessions, actor: Actor) -> None:
    """The campaigns and their response rates, a new one, and the chosen one's run and members."""
    show_flash()
    st.caption(t("satisfaction.page.campaigns_intro"))
    campaigns = cached_campaigns(actor)
    if campaigns:
        frame = _frame(actor, campaigns)
        data_table(frame, hide_index=True, width="stretch")
        csv_download("campaigns", frame)
    else:
        st.info(t("satisfaction.page.campaign.none"), icon=":material/info:")
    if actor.can("satisfaction.manage"):
        with st.expander(t("satisfaction.page.campaign.new"), icon=":material/add:", expanded=not campaigns):
            _new_form(sessions, actor)
    if not campaigns:
        return
    labels = {c.id: c.name for c in campaigns}
    if st.session_state.get(keys.C_PICK) not in labels:
        st.session_state.pop(keys.C_PICK, None)
    picked = st.selectbox(t("satisfaction.page.campaign.pick"), list(labels), format_func=labels.get, key=keys.C_PICK)
    campaign = next((c for c in campaigns if c.id == picked), None)
    if campaign is not None:
        with st.container(border=True):
            _campaign_panel(sessions, actor, campaign)


def _target_text(actor: Actor, target: dict[str, object]) -> str:
    """Who a campaign asks, in words."""
    parts = []
    people = {c.id: c.label for c in cached_assignees(actor)}
    depts = departments(actor)
    for key, prefix in (("value_tier", "tier"), ("lifecycle_stage", "stage")):
        values = target.get(key) or []
        if values:
            parts.append(" / ".join(t(f"{prefix}.{v}") for v in values))  # type: ignore[union-attr]
    owners = target.get("owner_id") or []
    if owners:
        parts.append(" / ".join(people.get(int(v), str(v)) for v in owners))  # type: ignore[union-attr]
    department_ids = target.get("department_id") or []
    if department_ids:
        parts.append(" / ".join(depts.get(int(v), str(v)) for v in department_ids))  # type: ignore[union-attr]
    days = target.get("complaint_closed_within_days")
    if days:
        parts.append(t("satisfaction.page.campaign.target_days", n=days))
    return " · ".join(parts) or t("satisfaction.page.campaign.target_all")


def _frame(actor: Actor, campaigns: list[CampaignView]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                t("satisfaction.page.campaign.name"): c.name,
                t("satisfaction.campaign.col.state"): t(f"satisfaction.campaign.state.{c.state}"),
                t("satisfaction.campaign.col.members"): c.members,
                t("satisfaction.campaign.col.responded"): c.responded,
                t("satisfaction.campaign.col.response_rate"): share_text(c.response_rate),
                t("satisfaction.campaign.col.tasks_open"): c.tasks_open,
                t("satisfaction.campaign.col.tasks_done"): c.tasks_done,
                t("satisfaction.campaign.col.last_run_at"): when(c.last_run_at)
                if c.last_run_at
                else t("satisfaction.campaign.never_run"),
                t("satisfaction.page.campaign.starts_on"): c.starts_on.isoformat(),
                t("satisfaction.page.campaign.ends_on"): c.ends_on.isoformat() if c.ends_on else "",
                t("satisfaction.campaign.col.template"): c.template_name or "—",
                t("satisfaction.page.campaign.target_summary"): _target_text(actor, c.target),
            }
            for c in campaigns
        ]
    )


# --- a new campaign ----------------------------------------------------------------------------------------


def _new_form(sessions: Sessions, actor: Actor) -> None:
    templates = [tpl for tpl in cached_templates(actor) if tpl.is_active]
    if not templates:
        st.warning(t("satisfaction.page.no_template"), icon=":material/warning:")
        return
    revision = int(st.session_state.get(f"{keys.C_NEW}__rev", 0))
    form = f"{keys.C_NEW}_r{revision}"
    template_names = {tpl.id: tpl.name for tpl in templates}
    people = {c.id: c.label for c in cached_assignees(actor)}
    depts = departments(actor)
    today = company_today()
    with st.form(form):
        top = st.columns([3, 2])
        name = top[0].text_input(t("satisfaction.campaign.field.name"), max_chars=120, key=f"{form}_name")
        field_error(form, "name")
        template_id = top[1].selectbox(
            t("satisfaction.campaign.field.template_id"),
            list(template_names),
            format_func=template_names.get,
            key=f"{form}_template",
        )
        field_error(form, "template_id")
        dates = st.columns(3)
        starts_on = dates[0].date_input(
            t("satisfaction.campaign.field.starts_on"), value=today, format="YYYY-MM-DD", key=f"{form}_starts"
        )
        field_error(form, "starts_on")
        ends_on = dates[1].date_input(
            t("satisfaction.campaign.field.ends_on"), value=None, format="YYYY-MM-DD", key=f"{form}_ends"
        )
        field_error(form, "ends_on")
        due_in_days = dates[2].number_input(
            t("satisfaction.campaign.field.due_in_days"), min_value=0, max_value=365, value=7, step=1, key=f"{form}_due"
        )
        field_error(form, "due_in_days")
        st.markdown(f"**{t('satisfaction.page.campaign.target')}**")
        st.caption(t("satisfaction.campaign.target_help"))
        target = st.columns(2)
        tiers = target[0].multiselect(
            t("satisfaction.campaign.field.value_tiers"),
            VALUE_TIERS,
            format_func=lambda c: t(f"tier.{c}"),
            key=f"{form}_tiers",
        )
        field_error(form, "value_tiers")
        stages = target[1].multiselect(
            t("satisfaction.campaign.field.stages"), STAGES, format_func=lambda c: t(f"stage.{c}"), key=f"{form}_stages"
        )
        field_error(form, "stages")
        owners = target[0].multiselect(
            t("satisfaction.campaign.field.owner_ids"), list(people), format_func=people.get, key=f"{form}_owners"
        )
        field_error(form, "owner_ids")
        department_ids = target[1].multiselect(
            t("satisfaction.campaign.field.department_ids"), list(depts), format_func=depts.get, key=f"{form}_depts"
        )
        field_error(form, "department_ids")
        days = st.number_input(
            t("satisfaction.campaign.field.complaint_closed_within_days"),
            min_value=1,
            max_value=3650,
            value=None,
            step=1,
            key=f"{form}_days",
        )
        field_error(form, "complaint_closed_within_days")
        form_errors(form)
        buttons = st.columns(2)
        preview = buttons[0].form_submit_button(
            t("satisfaction.page.campaign.preview"), icon=":material/groups:", key=f"{form}_preview"
        )
        create = buttons[1].form_submit_button(
            t("satisfaction.page.campaign.create"), type="primary", icon=":material/add:", key=f"{form}_create"
        )
    if not (preview or create):
        return
    data = CampaignInput(
        name=name or "",
        template_id=int(template_id),
        starts_on=starts_on,  # type: ignore[arg-type]
        ends_on=ends_on,  # type: ignore[arg-type]
        due_in_days=int(due_in_days if due_in_days is not None else 7),
        value_tiers=tuple(tiers),
        stages=tuple(stages),
        owner_ids=tuple(int(o) for o in owners),
        department_ids=tuple(int(d) for d in department_ids),
        complaint_closed_within_days=int(days) if days else None,
    )
    if preview:
        count = run_write(form, lambda: preview_campaign(sessions, actor=actor, data=data))
        if count is not None:
            st.info(t("satisfaction.campaign.preview", count=number(count)), icon=":material/groups:")
        return
    token = form_token(form)
    created = run_write(form, lambda: create_campaign(sessions, actor=actor, data=data, token=token))
    if created is None:
        return
    flash(t("satisfaction.page.campaign.created", name=inert(data.name.strip())))
    st.session_state[f"{keys.C_NEW}__rev"] = revision + 1
    st.session_state[keys.C_PICK] = created
    clear_after("satisfaction_settings")
    st.rerun()


# --- one campaign ------------------------------------------------------------------------------------------


def _campaign_panel(sessions: Sessions, actor: Actor, campaign: CampaignView) -> None:
    st.markdown(f"**{inert(campaign.name)}** · {t(f'satisfaction.campaign.state.{campaign.state}')}")
    st.caption(f"{t('satisfaction.page.campaign.target_summary')}: {inert(_target_text(actor, campaign.target))}")
    figures = st.columns(4)
    figures[0].metric(t("satisfaction.campaign.col.members"), number(campaign.members))
    figures[1].metric(t("satisfaction.campaign.col.responded"), number(campaign.responded))
    figures[2].metric(t("satisfaction.campaign.col.response_rate"), share_text(campaign.response_rate))
    figures[3].metric(t("satisfaction.campaign.col.tasks_open"), number(campaign.tasks_open))
    last_run = when(campaign.last_run_at) if campaign.last_run_at else t("satisfaction.campaign.never_run")
    st.caption(f"{t('satisfaction.campaign.col.last_run_at')}: {last_run}")
    result_key = f"{keys.C_RESULT}_{campaign.id}"
    result = st.session_state.pop(result_key, None)
    if result:
        st.success(result, icon=":material/check_circle:")
    if actor.can("satisfaction.manage") and campaign.state == "running":
        key = keys.campaign_action(campaign.id, "run")
        if st.button(t("satisfaction.campaign.run"), key=key, type="primary", icon=":material/play_arrow:"):
            ran = run_write(key, lambda: run_campaign(sessions, actor=actor, campaign_id=campaign.id))
            if ran is not None:
                st.session_state[result_key] = t(
                    "satisfaction.campaign.ran",
                    added=number(ran.added),
                    tasks=number(ran.tasks_created),
                    already=number(ran.already_members),
                    no_owner=number(ran.skipped_no_owner),
                )
                clear_after("satisfaction")
                st.rerun()
    _members(sessions, actor, campaign)


def _member_frame(rows: list[MemberRow]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                t("satisfaction.page.col.customer"): r.customer_name,
                t("satisfaction.page.col.owner"): r.owner_name or "—",
                t("satisfaction.campaign.col.added_at"): when(r.added_at),
                t("satisfaction.campaign.col.task"): t(f"task_status.{r.task_status}")
                if r.task_status
                else t("satisfaction.campaign.task_status.none"),
                t("satisfaction.page.col.due"): when(r.task_due_at) if r.task_due_at else "",
                t("satisfaction.campaign.col.answered"): t("common.yes") if r.answered else t("common.no"),
            }
            for r in rows
        ]
    )


def _members(sessions: Sessions, actor: Actor, campaign: CampaignView) -> None:
    st.markdown(f"**{t('satisfaction.page.campaign.members_of', name=inert(campaign.name))}**")
    page_key = f"{keys.C_MEMBERS_PAGE}_{campaign.id}"
    page_index = int(st.session_state.get(page_key, 1) or 1) - 1
    rows, total = campaign_members(
        sessions, actor=actor, campaign_id=campaign.id, page=page_index, page_size=MEMBERS_PAGE
    )
    if not rows:
        st.caption(t("satisfaction.page.campaign.members_none"))
        return
    data_table(_member_frame(rows), hide_index=True, width="stretch")
    if total > MEMBERS_PAGE:
        pager(page_key, total, MEMBERS_PAGE)
    csv_download(f"campaign-{campaign.id}-members", _deferred_members(actor, campaign.id, lang()))


def _deferred_members(actor: Actor, campaign_id: int, language: str) -> Callable[[], pd.DataFrame]:
    sessions = get_sessions()

    def build() -> pd.DataFrame:
        # Called when the button is clicked, on its own thread: the table in the language of the page.
        from crm.platform.i18n import t as translate

        rows, _ = campaign_members(sessions, actor=actor, campaign_id=campaign_id, page=0, page_size=MEMBERS_CSV_MAX)
        return pd.DataFrame(
            [
                {
                    translate("satisfaction.page.col.customer", language): r.customer_name,
                    translate("satisfaction.page.col.owner", language): r.owner_name or "",
                    translate("satisfaction.campaign.col.added_at", language): r.added_at.isoformat(timespec="minutes"),
                    translate("satisfaction.campaign.col.task", language): translate(
                        f"task_status.{r.task_status}", language
                    )
                    if r.task_status
                    else "",
                    translate("satisfaction.campaign.col.answered", language): translate(
                        "common.yes" if r.answered else "common.no", language
                    ),
                }
                for r in rows
            ]
        )

    return build
