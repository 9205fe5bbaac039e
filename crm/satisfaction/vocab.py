"""The satisfaction feature's stored codes: survey channels, the built-in dimensions, the alert thresholds.

Labels live in crm/satisfaction/messages/core.py: satisfaction.channel.<c>, satisfaction.dimension.<d>.
"""

from __future__ import annotations

import datetime as dt

CHANNELS: tuple[str, ...] = ("phone", "questionnaire", "online", "visit")
# The dimensions a new template offers (DOMAIN.md section 5), each scored 1-5; a template may add its own.
DEFAULT_DIMENSIONS: tuple[str, ...] = (
    "product_quality",
    "service_attitude",
    "response_speed",
    "problem_resolution",
    "value_for_money",
)
# A response with NPS <= 6 or an overall score <= 2 is an alert. These are the defaults: the configured values are
# the low_survey follow-up rule's nps_max and csat_max, read with alert_thresholds() so flag and task agree.
ALERT_NPS_MAX = 6
ALERT_OVERALL_MAX = 2
# NPS bands (fixed by the definition of NPS) and the score bands the responses list filters on.
DETRACTOR_MAX = 6
PROMOTER_MIN = 9
LOW_OVERALL_MAX = 2
SCORE_BANDS: tuple[str, ...] = ("detractor", "passive", "promoter", "low_overall")
SCORE_MIN, SCORE_MAX = 1, 5
NPS_MIN, NPS_MAX = 0, 10
EARLIEST_RESPONSE = dt.date(1990, 1, 1)
# The task purposes a response may complete: the campaign's survey, the check after a complaint, the callback.
ANSWERABLE_PURPOSES: tuple[str, ...] = ("satisfaction_survey", "complaint", "survey")
