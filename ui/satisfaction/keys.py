"""The satisfaction page's session-state and widget keys, named once (tests find the widgets by these keys)."""

TAB = "satisfaction_tab"
NEXT_TAB = "satisfaction_next_tab"  # a write or a click that opens another tab (a bar opens the Responses tab)
FLASH = "satisfaction_flash"  # what the last write did, shown once after its rerun

# --- overview ---------------------------------------------------------------------------------------------
OV_PERIOD = "satisfaction_ov_period"
OV_FROM = "satisfaction_ov_from"
OV_TO = "satisfaction_ov_to"
OV_OWNER = "satisfaction_ov_owner"
OV_DEPARTMENT = "satisfaction_ov_department"
OV_TIER = "satisfaction_ov_tier"
OV_STAGE = "satisfaction_ov_stage"
OV_INDUSTRY = "satisfaction_ov_industry"
OV_REGION = "satisfaction_ov_region"
OV_BY = "satisfaction_ov_by"
OV_MEASURE = "satisfaction_ov_measure"
OV_BARS = "satisfaction_ov_bars"  # the breakdown chart: a clicked bar lists its responses
OV_TREND_CSAT = "satisfaction_ov_trend_csat"
OV_TREND_NPS = "satisfaction_ov_trend_nps"
OV_DIMENSIONS = "satisfaction_ov_dimensions"
OV_BEHIND = "satisfaction_ov_behind"  # the breakdown value whose responses are listed under the chart
OV_BEHIND_PAGE = "satisfaction_ov_behind_page"


def download(name: str, fmt: str) -> str:
    """The download button of one chart or table (fmt: png, svg, csv)."""
    return f"satisfaction_dl_{name}_{fmt}"


# --- responses --------------------------------------------------------------------------------------------
R_FROM = "satisfaction_r_from"
R_TO = "satisfaction_r_to"
R_CHANNEL = "satisfaction_r_channel"
R_TEMPLATE = "satisfaction_r_template"
R_CAMPAIGN = "satisfaction_r_campaign"
R_OWNER = "satisfaction_r_owner"
R_BAND = "satisfaction_r_band"
R_ALERTS = "satisfaction_r_alerts"
R_PAGE = "satisfaction_r_page"
R_TABLE = "satisfaction_r_table"
R_OPEN = "satisfaction_r_open"  # the id of the response whose detail is shown
R_PICK = "satisfaction_r_pick"
R_ARCHIVE = "satisfaction_r_archive"
R_BEHIND = "satisfaction_r_behind"  # a breakdown bar's filter the Responses tab was opened with


# --- record a response -------------------------------------------------------------------------------------
RECORD = "satisfaction_record"  # the prefix of the record form (and of its customer picker)
RECORD_CUSTOMER = "satisfaction_record_customer"
RECORDED = "satisfaction_recorded"  # what the last saved response did (alert raised, task created)


def record_form(prefix: str, customer_id: int, revision: int) -> str:
    """The record form's key: a new one after each saved response, so the browser draws empty widgets."""
    return f"{prefix}_{customer_id}_r{revision}"


def dimension(form: str, code: str) -> str:
    return f"{form}_dim_{code}"


# --- templates --------------------------------------------------------------------------------------------
T_PICK = "satisfaction_t_pick"
T_PICK_NEXT = "satisfaction_t_pick_next"  # the template a save asks the picker to show on the next run
T_NEW = "satisfaction_t_new"
T_SHOW_RETIRED = "satisfaction_t_retired"


def template_form(template_id: int | None, revision: int = 0) -> str:
    return f"satisfaction_t_form_{template_id or 'new'}_r{revision}"


def template_action(template_id: int, action: str) -> str:
    return f"satisfaction_t_{template_id}_{action}"


# --- campaigns --------------------------------------------------------------------------------------------
C_NEW = "satisfaction_c_new"
C_PREVIEW = "satisfaction_c_preview"
C_PICK = "satisfaction_c_pick"
C_MEMBERS_PAGE = "satisfaction_c_members_page"
C_RESULT = "satisfaction_c_result"  # what the last run did, shown under the campaign


def campaign_action(campaign_id: int, action: str) -> str:
    return f"satisfaction_c_{campaign_id}_{action}"


# --- alerts -----------------------------------------------------------------------------------------------
A_PAGE = "satisfaction_a_page"
A_OWNER = "satisfaction_a_owner"
A_DEPARTMENT = "satisfaction_a_department"


def alert_form(response_id: int) -> str:
    return f"satisfaction_a_close_{response_id}"


A_PICK = "satisfaction_a_pick"

# --- import -----------------------------------------------------------------------------------------------
IMPORT_FILE = "satisfaction_import_file"
IMPORT_FORM = "satisfaction_import_form"
IMPORT_DRY_RUN = "satisfaction_import_dry_run"
IMPORT_RUN = "satisfaction_import_run"
IMPORT_ALL_OR_NOTHING = "satisfaction_import_all_or_nothing"
IMPORT_REPORT = "satisfaction_import_report"
IMPORT_REPORT_DOWNLOAD = "satisfaction_import_report_download"


def import_mapping(fingerprint: str, index: int) -> str:
    return f"satisfaction_import_map_{fingerprint}_{index}"


# --- the customer 360 view ---------------------------------------------------------------------------------
CUSTOMER_RECORD = "satisfaction_360_record"
