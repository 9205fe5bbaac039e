"""The follow ups feature's public face: what other features may use."""

from crm.follow_ups.automation import cancel_open_tasks as cancel_open_tasks
from crm.follow_ups.automation import insert_open_tasks as insert_open_tasks
from crm.follow_ups.automation import rule_settings as rule_settings
from crm.follow_ups.automation import run_rules_for_customers as run_rules_for_customers
from crm.follow_ups.cadence import CHURNED as CHURNED
from crm.follow_ups.cadence import DEFAULT_CADENCES as DEFAULT_CADENCES
from crm.follow_ups.cadence import Cadences as Cadences
from crm.follow_ups.cadence import cadence_days_sql as cadence_days_sql
from crm.follow_ups.cadence import cadence_due_since as cadence_due_since
from crm.follow_ups.cadence import follow_up_state as follow_up_state
from crm.follow_ups.cadence import load_cadences as load_cadences
from crm.follow_ups.calendar_counts import apply_changes as apply_changes
from crm.follow_ups.calendar_counts import rebuild as rebuild
from crm.follow_ups.calendar_counts import recount, stored
from crm.follow_ups.core import company_today as company_today
from crm.follow_ups.core import open_key as open_key
from crm.follow_ups.core import refresh_follow_up_columns as refresh_follow_up_columns
from crm.follow_ups.core import today_for as today_for
from crm.follow_ups.service import close_task as close_task
from crm.follow_ups.service import complete_follow_up as complete_follow_up
from crm.follow_ups.service import get_task as get_task
from crm.follow_ups.service import reschedule_follow_up as reschedule_follow_up

# The calendar's stored day counts and a recount from the open follow-ups, under names that say what they count.
recount_day_counts = recount
stored_day_counts = stored
