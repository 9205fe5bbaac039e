"""The classification feature's public face: what other features may use."""

from crm.classification.admin import DEFAULT_POLICIES as DEFAULT_POLICIES
from crm.classification.credit import default_weight as default_weight
from crm.classification.rfm import Thresholds as Thresholds
from crm.classification.service import company_today as company_today
from crm.classification.service import recompute_after_import as recompute_after_import
from crm.classification.service import record_loaded_run as record_loaded_run
