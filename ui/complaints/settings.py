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
from ui.complaints.reads import cached_categories, cached_policy
from ui.complaints.widgets import run_case, show_flash, token, vocab
from ui.i18n import t
from ui.reads import clear_after
from ui.widgets import data_editor, field_error, field_errors, form_errors


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
        submitted = st.form_submit_button(t("common.save"), type="primary", key=f"{form}_submit")
    if not submitted:
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
