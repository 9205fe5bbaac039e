"""The managers' settings of complaint handling: time limits per severity, how time is counted, categories."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm.complaints.limits import MAX_DAYS, MAX_HOURS, Category, save_categories, save_policy
from crm.complaints.sla import MODES, SlaPolicy, Targets
from crm.complaints.vocab import SEVERITIES
from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.complaints import keys
from ui.complaints.reads import cached_categories, cached_policy, cached_what_if
from ui.complaints.root_causes import department_names, last_twelve_months, rate
from ui.complaints.widgets import run_case, show_flash, token, vocab
from ui.i18n import number, t
from ui.reads import clear_after
from ui.state import company_today
from ui.widgets import data_editor, data_table, field_error, field_errors, form_errors


def settings_section(sessions: Sessions, actor: Actor) -> None:
    """The time limits form, then the categories managers added."""
    show_flash()
    limits, categories = st.columns([3, 2], gap="large")
    with limits:
        _limits_form(sessions, actor, cached_policy(actor))
    with categories:
        _categories_form(sessions, actor)


def _limits_form(sessions: Sessions, actor: Actor, policy: SlaPolicy) -> None:
    form = keys.SLA_FORM
    with st.form(form):
        st.markdown(f"**{t('complaints.ui.limits')}**")
        mode = st.radio(
            t("complaints.field.mode"),
            MODES,
            index=MODES.index(policy.mode),
            horizontal=True,
            format_func=lambda m: t(f"complaints.sla.mode.{m}"),
            key=f"{form}_mode",
        )
        hours = st.columns(2)
        work_start = hours[0].time_input(
            t("complaints.field.work_start"), value=policy.work_start, key=f"{form}_work_start"
        )
        work_end = hours[1].time_input(t("complaints.field.work_end"), value=policy.work_end, key=f"{form}_work_end")
        field_error(form, "work_end")
        head = st.columns(3)
        head[1].caption(t("complaints.field.acknowledge_hours"))
        head[2].caption(t("complaints.field.resolve_days"))
        targets: dict[str, tuple[int, int]] = {}
        for severity in SEVERITIES:
            row = st.columns(3, vertical_alignment="center")
            row[0].markdown(vocab("complaints.severity", severity))
            target = policy.targets[severity]
            ack = row[1].number_input(
                t("complaints.field.acknowledge_hours"),
                1,
                MAX_HOURS,
                target.acknowledge_hours,
                key=f"{form}_{severity}_ack",
                label_visibility="collapsed",
            )
            res = row[2].number_input(
                t("complaints.field.resolve_days"),
                1,
                MAX_DAYS,
                target.resolve_days,
                key=f"{form}_{severity}_res",
                label_visibility="collapsed",
            )
            targets[severity] = (int(ack), int(res))
        inquiry = st.columns(2)
        respond = inquiry[0].number_input(
            t("complaints.field.inquiry_respond_hours"),
            1,
            MAX_HOURS,
            policy.inquiry_respond_hours,
            key=f"{form}_inq_respond",
        )
        answer = inquiry[1].number_input(
            t("complaints.field.inquiry_answer_days"), 1, MAX_DAYS, policy.inquiry_answer_days, key=f"{form}_inq_answer"
        )
        st.caption(t("complaints.ui.limits_help"))
        form_errors(form)
        buttons = st.columns(2)
        submitted = buttons[0].form_submit_button(t("common.save"), type="primary", key=f"{form}_submit")
        tried = buttons[1].form_submit_button(t("complaints.whatif.try"), icon=":material/science:", key=keys.WHAT_IF)
    if not (submitted or tried):
        return
    proposed = SlaPolicy(
        mode=mode,
        work_start=work_start,
        work_end=work_end,
        targets={s: Targets(a, r) for s, (a, r) in targets.items()},
        inquiry_respond_hours=int(respond),
        inquiry_answer_days=int(answer),
        version=policy.version,
    )
    if tried:
        _what_if(actor, proposed)
        return
    if (
        run_case(
            form,
            lambda: save_policy(sessions, actor=actor, policy=proposed, token=token(form)),
            success=t("common.saved"),
        )
        is not None
    ):
        clear_after("complaint_settings")
        st.rerun()


def _what_if(actor: Actor, proposed: SlaPolicy) -> None:
    """The on-time rate of the last 12 months per severity and department, as it is and had the proposed targets
    been in force; nothing is saved."""
    start, end = last_twelve_months(company_today())
    if proposed.work_end <= proposed.work_start:
        st.error(t("complaints.error.work_hours"), icon=":material/error:")
        return
    rows = cached_what_if(actor, proposed, start, end)
    st.markdown(f"**{t('complaints.whatif.title')}**")
    st.caption(t("complaints.whatif.not_saved"))
    if not rows:
        st.info(t("complaints.whatif.empty"), icon=":material/info:")
        return
    names = department_names(actor)
    frame = pd.DataFrame(
        [
            (
                vocab("complaints.severity", row.severity),
                names.get(row.department_id, "?")
                if row.department_id is not None
                else t("complaints.rc.no_department"),
                number(row.resolved),
                rate(row.rate_now),
                rate(row.rate_proposed),
            )
            for row in sorted(rows, key=lambda r: (SEVERITIES.index(r.severity), r.department_id or 0))
        ],
        columns=[
            t("complaints.field.severity"),
            t("complaints.field.department_id"),
            t("complaints.whatif.resolved"),
            t("complaints.whatif.now"),
            t("complaints.whatif.proposed"),
        ],
    )
    data_table(frame, hide_index=True, width="stretch")


def _categories_form(sessions: Sessions, actor: Actor) -> None:
    form = keys.CATEGORIES_FORM
    st.markdown(f"**{t('complaints.ui.categories')}**")
    categories = cached_categories(actor)
    st.caption(
        t(
            "complaints.ui.default_categories",
            names=", ".join(t(f"complaints.category.{c.code}") for c in categories if c.name_en is None),
        )
    )
    added = [c for c in categories if c.name_en is not None]
    revision = int(st.session_state.get(keys.CATEGORIES_REVISION, 0))
    columns = {
        "code": t("complaints.ui.col.code"),
        "name_en": t("complaints.field.name_en"),
        "name_zh": t("complaints.field.name_zh"),
    }
    frame = pd.DataFrame(
        [{"code": c.code, "name_en": c.name_en, "name_zh": c.name_zh} for c in added], columns=list(columns)
    )
    edited = data_editor(
        frame,
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        key=f"{form}_editor_{revision}",
        column_config={name: st.column_config.TextColumn(label, max_chars=120) for name, label in columns.items()},
    )
    if field_errors(form):
        st.error(t("complaints.ui.categories_invalid"), icon=":material/error:")
    if st.button(t("common.save"), key=f"{form}_submit"):
        rows = [
            Category(
                str(r["code"] or "").strip(),
                str(r["name_en"] or "").strip() or None,
                str(r["name_zh"] or "").strip() or None,
            )
            for r in edited.fillna("").to_dict("records")
            if any(str(v).strip() for v in r.values())
        ]
        if (
            run_case(
                form,
                lambda: save_categories(sessions, actor=actor, added=rows, token=token(form)),
                success=t("common.saved"),
            )
            is not None
        ):
            clear_after("complaint_settings")
            st.session_state[keys.CATEGORIES_REVISION] = revision + 1
            st.rerun()
