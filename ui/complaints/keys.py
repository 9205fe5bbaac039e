"""The complaints page's session-state and widget keys, named once (tests find the widgets by these keys)."""

TAB = "complaints_tab"
OPEN = "complaints_open"  # the id of the complaint the Detail tab shows
JUMP = "complaints_jump"  # set by a queue row's click: the fragment reruns the whole page to show the detail
NEXT_TAB = "complaints_next_tab"  # a write that opens another tab (a complaint filed opens its detail)
FLASH = "complaints_flash"  # what the last write did, shown once after its rerun

# --- queue ---------------------------------------------------------------------------------------------
QUEUE = "complaints_queue"
Q_STATUS = "complaints_q_status"
Q_SEVERITY = "complaints_q_severity"
Q_CATEGORY = "complaints_q_category"
Q_DEPARTMENT = "complaints_q_department"
Q_ASSIGNEE = "complaints_q_assignee"
Q_CUSTOMER = "complaints_q_customer"
Q_FROM = "complaints_q_from"
Q_TO = "complaints_q_to"
Q_PAGE = "complaints_q_page"
Q_TABLE = "complaints_q_table"
Q_PICK = "complaints_q_pick"
Q_OPEN = "complaints_q_open"

# --- new complaint ---------------------------------------------------------------------------------------
INTAKE = "complaints_intake"  # the form's key (and the prefix of its widgets)
INTAKE_CUSTOMER = "complaints_intake_customer"


def intake_form(prefix: str, revision: int) -> str:
    """The intake form's key: a new one after each filed complaint, so the browser draws empty widgets."""
    return f"{prefix}_r{revision}"


# --- detail ---------------------------------------------------------------------------------------------
def action_form(complaint_id: int, action: str) -> str:
    return f"complaints_act_{complaint_id}_{action}"


CONFIRM = "confirm"  # the one form recording the customer's answer (satisfied closes, not satisfied reopens)
HAND_OFF = "hand_off"
SEVERITY = "change_severity"
NOTE = "note"
ATTACH = "attach"
EDIT = "edit"


def download(attachment_id: int) -> str:
    return f"complaints_download_{attachment_id}"


# --- inquiries ------------------------------------------------------------------------------------------
INQ_STATUS = "complaints_inq_status"
INQ_PAGE = "complaints_inq_page"
INQ_PICK = "complaints_inq_pick"
INQ_NEW = "complaints_inq_new"
INQ_CUSTOMER = "complaints_inq_customer"


def inquiry_form(inquiry_id: int, action: str) -> str:
    return f"complaints_inq_{inquiry_id}_{action}"


# --- suggestions ----------------------------------------------------------------------------------------
SUG_STATUS = "complaints_sug_status"
SUG_PAGE = "complaints_sug_page"
SUG_PICK = "complaints_sug_pick"
SUG_NEW = "complaints_sug_new"
SUG_CUSTOMER = "complaints_sug_customer"


def suggestion_form(suggestion_id: int, action: str) -> str:
    return f"complaints_sug_{suggestion_id}_{action}"


# --- settings -------------------------------------------------------------------------------------------
SLA_FORM = "complaints_sla"
CATEGORIES_FORM = "complaints_categories"
CATEGORIES_REVISION = "complaints_categories_rev"

# --- root causes ----------------------------------------------------------------------------------------
RC_PERIOD = "complaints_rc_period"
RC_CATEGORY = "complaints_rc_category"
RC_DEPARTMENT = "complaints_rc_department"
RC_OPEN_CATEGORY = "complaints_rc_open_category"
RC_OPEN_DEPARTMENT = "complaints_rc_open_department"

# --- what-if --------------------------------------------------------------------------------------------
WHAT_IF = "complaints_what_if"

# --- the customer 360 view -------------------------------------------------------------------------------
CUSTOMER_INTAKE = "complaints_360_intake"
