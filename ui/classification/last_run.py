"""The classification page's heading line: when the classes were last computed, and how."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from crm.classification.service import read_last_run
from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.i18n import date, t, when
from ui.widgets import error_boundary


def last_run_caption(sessions: Sessions, actor: Actor) -> None:
    """Say as of which day and when the classes were computed, and in which mode, or that they never were."""
    with error_boundary("classification last run"):
        run_facts = read_last_run(sessions, actor=actor)
        if run_facts:
            st.caption(
                t(
                    "classification.page.last_run",
                    as_of=date(dt.date.fromisoformat(run_facts["as_of"])),
                    at=when(dt.datetime.fromisoformat(run_facts["at"])),
                    mode=t(f"classification.page.mode.{run_facts.get('mode', 'bands')}"),
                )
            )
        else:
            st.caption(t("classification.page.never_run"))
