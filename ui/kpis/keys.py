"""The dashboard's session-state and widget keys, named once: filters, the drill-down, tabs, targets, the report."""

TAB = "dashboard_tab"

# The filters' widgets; their values live in the URL (ui/kpis/filters.py), these only draw them.
PERIOD_KIND = "dashboard_period_kind"
PERIOD_MONTH = "dashboard_period_month"
PERIOD_QUARTER = "dashboard_period_quarter"
PERIOD_YEAR = "dashboard_period_year"
PERIOD_RANGE = "dashboard_period_range"
OWNER = "dashboard_owner"
DEPARTMENT = "dashboard_department"
TIER = "dashboard_tier"
INDUSTRY = "dashboard_industry"
REGION = "dashboard_region"
CLEAR_FILTERS = "dashboard_clear_filters"
URL_SEEN = "dashboard_url_seen"  # the query string the widgets were last set from or wrote

# The drill-down: a card's button or a chart's bar sets what is listed; the list pages on its own.
DRILL = "dashboard_drill"  # (code, key or None, the view it was opened in)
DRILL_PAGE = "dashboard_drill_page"
DRILL_CLOSE = "dashboard_drill_close"
DRILL_OPEN = "dashboard_drill_open"  # the picker of the customer whose 360 view to open

# Trends: frozen month-end snapshots or live figures.
TREND_FROZEN = "dashboard_trend_frozen"
TREND_KPI = "dashboard_trend_kpi"

# Targets (managers).
TARGETS_PERIOD = "dashboard_targets_period"
TARGETS_EDITOR = "dashboard_targets_editor"
TARGETS_SAVE = "dashboard_targets_save"

# The report.
REPORT_BUILD = "dashboard_report_build"
REPORT_FILES = "dashboard_report_files"  # the files built for a view: (view key, language, {name: bytes})


def card_drill(code: str) -> str:
    """The button under a KPI card that lists what it counts."""
    return f"dashboard_card_{code}"


def chart(name: str) -> str:
    """A clickable chart's key (its selection state)."""
    return f"dashboard_chart_{name}"


def report_download(name: str) -> str:
    """A report file's download button."""
    return f"dashboard_download_{name}"
