"""The classification page's session-state keys, named once: the open tab, the drill-down, forms and panels."""

TAB = "classification_tab"

# The drill-down: a clicked bar or RFM cell sets these (ui/classification/charts.py), the distribution reads them.
DRILL_DIMENSION = "classification_drill_dimension"
DRILL_VALUE = "classification_drill_value"
DRILL_PAGE = "classification_drill_page"
DRILL_TABLE = "classification_drill_table"
BULK_FORM = "classification_bulk"

CADENCE_OWNER = "classification_cadence_owner"
CADENCE_PAGE = "classification_cadence_page"

POLICIES_FORM = "classification_policies"
POLICIES_EDITOR = "classification_policies_editor"
POLICIES_SAVE = "classification_policies_save"

THRESHOLDS_FORM = "classification_thresholds"
THRESHOLDS_PREVIEW = "classification_preview"  # the preview shown until Apply or Recompute
THRESHOLDS_PREVIEW_BASE = "classification_preview_base"  # the thresholds the preview was made against
THRESHOLDS_DONE = "classification_thr_done"  # what the last Apply or Recompute did, told after its rerun
APPLY = "classification_apply"
RECOMPUTE = "classification_recompute"

OVERRIDES_PAGE = "classification_ovr_page"
OVERRIDE_PICKER = "classification_ovr"
OVERRIDE_FORM = "classification_override"
OVERRIDE_REMOVE = "classification_ovr_remove"

CREDIT_PICKER = "classification_credit"
CREDIT_FORM = "classification_credit_event"
CREDIT_REMOVE = "classification_credit_remove"


def chart(dimension: str) -> str:
    """The key of a dimension's clickable chart ('rfm_cell' is the RFM grid)."""
    return "classification_chart_rfm" if dimension == "rfm_cell" else f"classification_chart_{dimension}"
