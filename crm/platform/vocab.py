"""Domain vocabularies (DOMAIN.md): the stored codes of every class, channel and status.

Labels live in crm/messages/vocab.py under "<vocabulary>.<code>", e.g. t("stage.signed").
"""

from __future__ import annotations

import datetime as dt

CUSTOMER_TYPES = ("company", "individual")
INDUSTRIES = (
    "manufacturing",
    "software",
    "retail",
    "finance",
    "healthcare",
    "education",
    "logistics",
    "energy",
    "semiconductors",
    "government",
    "other",
)
REGIONS = ("east", "north", "south", "central", "southwest", "northwest", "northeast", "overseas")
COMPANY_SIZES = ("1-49", "50-199", "200-999", "1000+")
SOURCES = ("market_research", "referral", "website", "exhibition", "partner", "cold_call", "other")

STAGES = ("potential", "intent", "signed", "churned")
CHURN_REASONS = ("product", "service", "competitor", "price", "other")
VALUE_TIERS = ("high", "medium", "low")
SIZE_CLASSES = ("key", "small")
RELATIONSHIPS = ("new", "established")
NEED_TYPES = ("strategic", "ordinary", "special")
IMPORTANCE = ("strategic", "key", "ordinary")
URGENCY = ("eager", "hopeful", "watching")
CREDIT_RISKS = ("high", "medium", "low")

CONTACT_CHANNELS = ("phone", "email", "wechat", "visit", "meeting", "online")
OUTCOMES = ("reached", "no_answer", "interested", "not_interested", "deal", "issue_raised")
TASK_PURPOSES = ("regular_revisit", "care", "win_back", "complaint", "survey", "satisfaction_survey")
TASK_PRIORITIES = ("low", "normal", "high")
TASK_STATUSES = ("open", "done", "cancelled")

CONTRACT_STATUSES = ("draft", "active", "expired", "terminated")
COMPLAINT_CHANNELS = ("phone", "email", "online", "visit", "social_media", "other")
COMPLAINT_SEVERITIES = ("low", "medium", "high", "critical")
COMPLAINT_STATUSES = (
    "new",
    "acknowledged",
    "in_progress",
    "waiting_customer",
    "resolved",
    "closed",
    "reopened",
    "rejected",
)
SUGGESTION_STATUSES = ("new", "evaluated", "informed")  # crm/complaints/vocab.py has the rest
DEPARTMENT_FUNCTIONS = ("marketing", "sales", "service", "product", "tech", "management")


def urgency_of(expected_close_date: dt.date | None, today: dt.date) -> str | None:
    """Urgency of a prospect from its expected closing date: ≤1 month eager, ≤3 months hopeful, later watching."""
    if expected_close_date is None:
        return None
    if expected_close_date <= _add_months(today, 1):
        return "eager"
    if expected_close_date <= _add_months(today, 3):
        return "hopeful"
    return "watching"


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")
