"""The follow-up screens' session-state and widget keys, named once (tests find the widgets by these keys)."""

TAB = "follow_ups_tab"


def flash(prefix: str) -> str:
    """Where a place keeps the message its last save left, shown once (show_flash)."""
    return f"{prefix}__flash"


def log_form(prefix: str, customer_id: int, task_id: int | None) -> str:
    """The first key of a log-a-contact form; each logged contact moves it on (log.log_form_key)."""
    return f"{prefix}_log_{customer_id}_{task_id or 0}"


# --- my queue ---------------------------------------------------------------------------------------------
QUEUE = "follow_ups_queue"  # the prefix of the queue's log-a-contact form and of its flash
QUEUE_OWNER = "follow_ups_queue_owner"
QUEUE_CLOSE = "follow_ups_queue_close"
QUEUE_PAGES = "follow_ups_queue_pages"  # {queue section: 0-based page}
ACTIVE = "follow_ups_active"  # the customer (and follow-up) whose log-a-contact form the queue shows


def queue_log(section: str, row_id: int) -> str:
    return f"follow_ups_log_{section}_{row_id}"


def queue_previous(section: str) -> str:
    return f"follow_ups_prev_{section}"


def queue_next(section: str) -> str:
    return f"follow_ups_next_{section}"


# --- log a contact ------------------------------------------------------------------------------------------
LOG = "follow_ups_log"  # the prefix of the log view's form and of its flash
LOG_CUSTOMER = "follow_ups_log_customer"

# --- planned follow-ups -----------------------------------------------------------------------------------
PLANNED = "follow_ups_planned"  # the prefix of the planned view's log-a-contact form and of its flash
PLANNED_STATUS = "follow_ups_planned_status"
PLANNED_PURPOSE = "follow_ups_planned_purpose"
PLANNED_OWNER = "follow_ups_planned_owner"
PLANNED_PAGE = "follow_ups_planned_page"
PLANNED_PICK = "follow_ups_planned_pick"
PLANNED_ACTION = "follow_ups_planned_action"
PLAN_CUSTOMER = "follow_ups_plan_customer"


def plan_form(customer_id: int) -> str:
    return f"follow_ups_plan_{customer_id}"


def reschedule_form(task_id: int) -> str:
    return f"follow_ups_reschedule_{task_id}"


def reassign_form(task_id: int) -> str:
    return f"follow_ups_reassign_{task_id}"


def cancel_form(task_id: int) -> str:
    return f"follow_ups_cancel_{task_id}"


# --- team view and calendar -------------------------------------------------------------------------------
TEAM = "follow_ups_team"  # the prefix of the team view's flash
TEAM_PERIOD = "follow_ups_team_period"
TEAM_REFRESH = "follow_ups_team_refresh"
CALENDAR_VIEW = "follow_ups_calendar_view"
CALENDAR_ANCHOR = "follow_ups_calendar_anchor"
CALENDAR_OWNER = "follow_ups_calendar_owner"
CALENDAR_DAY = "follow_ups_calendar_day"

# --- care dates and holidays ----------------------------------------------------------------------------
CARE = "follow_ups_care"  # the prefix of the care view's flash
CARE_PAGE = "follow_ups_care_page"
HOLIDAY_YEAR = "follow_ups_holiday_year"
HOLIDAYS_REVISION = "follow_ups_holidays_rev"  # a new editor key after each save starts it from the saved rows
HOLIDAYS_SAVE = "follow_ups_holidays_save"


def greet(page: int, index: int) -> str:
    return f"follow_ups_greet_{page}_{index}"


def holidays_editor(year: int, revision: int) -> str:
    return f"follow_ups_holidays_{year}_{revision}"


# --- automatic rules --------------------------------------------------------------------------------------
RULES = "follow_ups_rules"  # the rules form, and the prefix of its flash
RULES_RUN = "follow_ups_rules_run"
RULES_RAN = "follow_ups_rules__ran"  # what the last run created, shown after its rerun
