"""The stored codes of complaints, inquiries, suggestions and departments; labels are in messages.py."""

from __future__ import annotations

# Complaints (DOMAIN.md section 4). Labels: complaints.<vocabulary>.<code>.
CHANNELS = ("phone", "email", "online", "visit", "social_media", "other")
SEVERITIES = ("critical", "high", "medium", "low")
# The default list; managers may add categories (setting complaints.categories).
DEFAULT_CATEGORIES = ("product_quality", "delivery", "service_attitude", "billing", "technical", "other")
IMPACT_SCOPES = ("one_user", "one_site", "whole_customer", "several_customers")
STATUSES = ("new", "acknowledged", "in_progress", "waiting_customer", "resolved", "closed", "reopened", "rejected")
# Still being handled: counted as open, and listed in the working queues.
OPEN_STATUSES = ("new", "acknowledged", "in_progress", "waiting_customer", "reopened")
FINAL_STATUSES = ("closed", "rejected")
CONFIRMATION_CHANNELS = ("phone", "email", "online", "visit", "wechat", "other")
# What a complaint event records: a status change (a confirmation is one), a hand-off, a severity change, an
# escalation, a note, the inquiry it was converted from.
EVENT_KINDS = ("transition", "handoff", "severity", "escalation", "note", "converted")

# Inquiries (咨询).
INQUIRY_STATUSES = ("new", "answered", "closed", "converted")

# Suggestions (建议).
SUGGESTION_SOURCES = ("phone", "email", "online", "visit", "survey", "social_media", "other")
SUGGESTION_CATEGORIES = ("product", "service", "process", "pricing", "other")
SUGGESTION_EVALUATIONS = ("adopt", "adopt_partly", "not_adopt")
SUGGESTION_STATUSES = ("new", "evaluated", "informed")

# Departments: what each does (the list, plus marketing and management the demo already had).
DEPARTMENT_FUNCTIONS = ("sales", "service", "product", "tech", "finance", "marketing", "management", "other")
