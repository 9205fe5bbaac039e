"""What each kind of write makes stale: the one table from a save to the cached reads it clears.

Each feature keeps its cached reads and a function forgetting them (ui/<feature>/reads.py). A save calls
clear_after(kind), so one person's save empties only the caches that save changes, never every cache of every
user (st.cache_data.clear()). The company clock (ui/state.py) is cleared by saving the settings alone.
"""

from __future__ import annotations

from collections.abc import Callable

from ui.follow_ups.reads import clear_follow_up_reads
from ui.kpis.reads import cached_overview, clear_kpi_reads
from ui.state import READ_TTL_SECONDS

# READ_TTL_SECONDS and cached_overview are imported from here by ui/classification/reads.py.
__all__ = ["CLEARS", "READ_TTL_SECONDS", "cached_overview", "clear_after"]

# What each feature's cached reads depend on:
#   kpis            the overview: customers (stage, tier, owner, archived), 12 months of orders, open and overdue
#                   follow-ups, open complaints
#   follow_ups      the team figures: the team snapshot, recomputed when older than team_snapshot_max_age_minutes,
#                   on Refresh and by the daily run, so saves in between do not change them
#   classification distributions, RFM grid, customers of a class, cadence exceptions (last contact, next
#                   follow-up), stage statistics: every customer's classes, stage and contact dates
CLEARS: dict[str, tuple[str, ...]] = {
    # a customer created, edited, archived, merged or bulk-edited; its contacts, orders, contracts, payments,
    # complaints; an import. The team figures stay cached: they are a snapshot with its own age and Refresh.
    "customer": ("kpis", "classification"),
    # a follow-up planned, rescheduled, reassigned, cancelled or completed, a greeting planned, a contact logged
    # (it may move the stage and plan the next step), the automatic rules run (they also recompute the snapshot)
    "follow_up": ("kpis", "follow_ups", "classification"),
    # the team snapshot recomputed (Refresh)
    "team_figures": ("follow_ups",),
    # a complaint, inquiry or suggestion filed or moved (the overview counts open complaints; the complaints
    # page's figures and root causes count them)
    "complaint": ("kpis", "complaints"),
    # departments, their members, the complaint time limits or categories saved (the complaints page's lists)
    "complaint_settings": ("complaints",),
    # a survey response recorded, archived or imported, an alert closed, a campaign run: the satisfaction figures,
    # and the follow-ups they complete or plan (the overview's open tasks, the cadence exceptions' next follow-up)
    "satisfaction": ("kpis", "classification", "satisfaction"),
    # a survey template or campaign saved (the satisfaction page's lists)
    "satisfaction_settings": ("satisfaction",),
    # a KPI target set on the dashboard (its cards' marks and the targets list)
    "kpi_target": ("kpis",),
}
# A classification write (classes recomputed or overridden, thresholds, credit events, service policies) calls
# ui.classification.reads.clear_classification_reads, which clears the classification reads and the overview.


def _clear_functions() -> dict[str, Callable[[], None]]:
    # ui.classification.reads takes READ_TTL_SECONDS from this module: imported here, when first needed.
    from ui.classification.reads import clear_classification_reads
    from ui.complaints.reads import clear_complaint_reads
    from ui.satisfaction.reads import clear_satisfaction_reads

    return {
        "kpis": clear_kpi_reads,
        "follow_ups": clear_follow_up_reads,
        "classification": clear_classification_reads,
        "complaints": clear_complaint_reads,
        "satisfaction": clear_satisfaction_reads,
    }


def clear_after(kind: str) -> None:
    """Forget the cached reads a write of this kind makes stale (see CLEARS)."""
    clear = _clear_functions()
    for feature in CLEARS[kind]:
        clear[feature]()
