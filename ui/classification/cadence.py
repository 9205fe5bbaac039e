"""Out-of-cadence section: customers not contacted within their class's cadence, by owner."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm.platform.permissions import Actor
from db.engine import Sessions
from ui.classification import keys
from ui.classification.labels import class_label
from ui.classification.reads import cached_exception_owners, cached_exceptions
from ui.i18n import number, t, when
from ui.widgets import data_table, error_boundary, pager

PAGE_SIZE = 50


def cadence_section(sessions: Sessions, actor: Actor) -> None:
    """Explain the cadence, then list the customers out of it."""
    st.caption(t("classification.page.cadence_help"))
    _exceptions(actor)


@st.fragment
def _exceptions(actor: Actor) -> None:
    """The owner filter, the count and one page of customers out of cadence: the filter redraws only this."""
    with error_boundary("classification cadence"):
        owners = cached_exception_owners(actor)
        owner_names = {
            o["owner_id"]: f"{o['owner'] or t('classification.page.unassigned')} ({o['customers']:,})"
            for o in owners
            if o["owner_id"] is not None
        }
        owner_options: list[int | None] = [None, *owner_names]
        owner_filter = st.selectbox(
            t("classification.page.col.owner"),
            owner_options,
            format_func=lambda o: t("common.all") if o is None else owner_names[o],
            key=keys.CADENCE_OWNER,
        )
        page = st.session_state.get(keys.CADENCE_PAGE, 1) - 1
        rows, total = cached_exceptions(actor, owner_filter, page, PAGE_SIZE)
        st.metric(t("classification.page.out_of_cadence"), number(total))
        if rows:
            data_table(
                pd.DataFrame(
                    [
                        {
                            t("classification.page.col.code"): r["code"],
                            t("classification.page.col.name"): r["name"],
                            t("classification.page.col.owner"): r["owner"] or t("classification.page.unassigned"),
                            t("classification.dimension.value_tier"): class_label("value_tier", r["value_tier"]),
                            t("classification.dimension.importance"): class_label("importance", r["importance"]),
                            t("classification.page.col.cadence"): r["cadence_days"],
                            t("classification.page.col.last_contact"): when(r["last_contact_at"])
                            if r["last_contact_at"]
                            else t("classification.page.never"),
                            t("classification.page.col.days_since"): r["days_since_contact"],
                        }
                        for r in rows
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
        pager(keys.CADENCE_PAGE, total, PAGE_SIZE)
