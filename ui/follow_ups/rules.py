"""The automatic rules (managers): which follow-ups the daily run plans, with their parameters, and a run now."""

from __future__ import annotations

import streamlit as st

from crm.follow_ups.automation import list_rules, update_rules
from crm.follow_ups.queues import run_daily
from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.follow_ups import keys
from ui.follow_ups.widgets import local, show_flash
from ui.i18n import t
from ui.reads import clear_after
from ui.state import company_zone
from ui.widgets import field_error, form_token, run_action


def rules_section(sessions: Sessions, actor: Actor) -> None:
    """Switch the automatic rules on and off, set their parameters, and run them now (managers)."""
    st.caption(t("follow_ups.rules.intro"))
    rules = list_rules(sessions, actor=actor)
    form = keys.RULES
    timezone = company_zone().key
    with st.form(form):
        enabled: dict[str, bool] = {}
        params: dict[str, dict[str, int]] = {}
        for rule in rules:
            with st.container(border=True):
                enabled[rule.code] = st.toggle(
                    t(f"follow_ups.rule.{rule.code}"), value=rule.enabled, key=f"{form}_{rule.code}_enabled"
                )
                st.caption(t(f"follow_ups.rule.{rule.code}.help"))
                cols = st.columns(max(1, len(rule.params)))
                params[rule.code] = {}
                for column, (name, value) in zip(cols, rule.params.items(), strict=False):
                    params[rule.code][name] = int(
                        column.number_input(
                            t(f"follow_ups.rule.param.{name}"),
                            value=int(value),
                            step=1,
                            key=f"{form}_{rule.code}_{name}",
                        )
                    )
                    with column:
                        field_error(form, f"{rule.code}.{name}")
                st.caption(
                    t(
                        "follow_ups.rule.last_run",
                        when=local(rule.last_run_at, timezone) if rule.last_run_at else t("follow_ups.rule.never"),
                    )
                )
        saved = st.form_submit_button(t("common.save"), type="primary", key=f"{form}_submit")
    if saved:
        if (
            run_action(
                form,
                lambda: update_rules(sessions, actor=actor, enabled=enabled, params=params, token=form_token(form)),
            )
            is not None
        ):
            st.session_state[keys.flash(keys.RULES)] = t("follow_ups.rule.saved")
            st.rerun()
    show_flash(keys.RULES)
    if st.button(t("follow_ups.rule.run_now"), key=keys.RULES_RUN, icon=":material/play_arrow:"):
        with st.spinner(t("follow_ups.rule.running")):
            created = run_action(keys.RULES_RUN, lambda: run_daily(sessions, actor=actor))
        if created is not None:
            clear_after("follow_up")
            # Rerun so each rule's "last run" above shows this run; the counts are shown after it.
            st.session_state[keys.RULES_RAN] = dict(created)
            st.rerun()
    ran = st.session_state.pop(keys.RULES_RAN, None)
    if ran is not None:
        st.success(t("follow_ups.rule.ran", n=sum(ran.values())), icon=":material/check_circle:")
        st.table(
            [
                {t("follow_ups.rule.col.rule"): t(f"follow_ups.rule.{code}"), t("follow_ups.rule.col.created"): count}
                for code, count in ran.items()
            ]
        )
