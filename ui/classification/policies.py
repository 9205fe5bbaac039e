"""Service policies section: each class's contact cadence and description, edited by managers, read by others."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm.classification.admin import list_policies, policy_changes, save_policies
from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.classification import keys
from ui.classification.labels import class_label
from ui.classification.reads import clear_classification_reads
from ui.i18n import t
from ui.widgets import data_editor, data_table, error_boundary, field_error, field_errors, form_token, run_action


def policies_section(sessions: Sessions, actor: Actor) -> None:
    """Explain the policies, then show them: an editor with Save for managers, a table for the others."""
    st.caption(t("classification.page.policies_help"))
    _policies(sessions, actor)


@st.fragment
def _policies(sessions: Sessions, actor: Actor) -> None:
    """The policies table; editing and saving redraw only this."""
    with error_boundary("classification policies"):
        policies = list_policies(sessions, actor=actor)
        frame = pd.DataFrame(
            [
                {
                    "dimension": t(f"classification.dimension.{p.dimension}"),
                    "class": class_label(p.dimension, p.class_value),
                    "cadence_days": p.cadence_days,
                    "description_en": p.description_en,
                    "description_zh": p.description_zh,
                }
                for p in policies
            ]
        )
        config = {
            "dimension": st.column_config.TextColumn(t("classification.page.col.dimension"), disabled=True),
            "class": st.column_config.TextColumn(t("classification.page.col.class"), disabled=True),
            "cadence_days": st.column_config.NumberColumn(
                t("classification.page.col.cadence"), min_value=1, max_value=3650, step=1
            ),
            "description_en": st.column_config.TextColumn(t("classification.page.col.description_en"), max_chars=1000),
            "description_zh": st.column_config.TextColumn(t("classification.page.col.description_zh"), max_chars=1000),
        }
        if not actor.can("classification.manage"):
            data_table(frame, column_config=config, hide_index=True, width="stretch")
            return
        data_editor(
            frame, column_config=config, hide_index=True, width="stretch", num_rows="fixed", key=keys.POLICIES_EDITOR
        )
        field_error(keys.POLICIES_FORM, "value_tier.high")
        if st.button(t("common.save"), key=keys.POLICIES_SAVE, type="primary"):
            edits = st.session_state.get(keys.POLICIES_EDITOR, {}).get("edited_rows", {})
            saved = run_action(
                keys.POLICIES_FORM,
                lambda: save_policies(
                    sessions, actor=actor, changes=policy_changes(policies, edits), token=form_token(keys.POLICIES_FORM)
                ),
                success=t("common.saved"),
            )
            if saved is not None:
                clear_classification_reads()
                st.rerun()
            for field, message in field_errors(keys.POLICIES_FORM).items():
                st.error(f"{field}: {message}")
