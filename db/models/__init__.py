"""Typed SQLAlchemy models, one module per feature on one metadata (Base.metadata, Alembic's target).

Every module is imported here, so the metadata holds every table whichever model a caller imports, and every
model is re-exported: `from db.models import Customer` wherever the code needs one. A new feature's tables go in
a module of their own, imported and re-exported below.
"""

from db.models.base import (
    MAX_ORDERS,
    MONEY_SUM_DIGITS,
    NAMING_CONVENTION,
    Base,
    Money,
    MoneySum,
    Timestamped,
    UTCDateTime,
    Versioned,
    utcnow,
)
from db.models.cadence_rollups import KpiCadenceDay, KpiCadenceMonth, KpiZoneOffset
from db.models.classification import ClassChange, ClassOverride, CreditEvent, ServicePolicy
from db.models.complaint_rollups import ComplaintMonth, ComplaintTimeMonth
from db.models.complaints import (
    Complaint,
    ComplaintAttachment,
    ComplaintEvent,
    Inquiry,
    ReferenceCounter,
    Suggestion,
)
from db.models.customers import (
    SORT_INDEXED,
    Contact,
    Contract,
    ContractPayment,
    Customer,
    CustomerSearchGram,
    CustomerSearchGramCount,
    CustomerSearchText,
    CustomerTag,
    KeyDate,
    Order,
    StageChange,
)
from db.models.follow_ups import Activity, AutomationRule, FollowUpDayCount, FollowUpTask, Holiday
from db.models.kpis import KpiTarget
from db.models.platform import (
    AuditLog,
    Department,
    IdempotencyToken,
    KpiSnapshot,
    Setting,
    SignInFailure,
    User,
    department_label,
)
from db.models.rollups import (
    KpiMonth,
    KpiNewCustomerMonth,
    KpiOrderMonth,
    KpiRevenueWindow,
    KpiStageMonth,
    KpiStageMoveHour,
    KpiStageMoveMonth,
    KpiWindowRevenue,
)
from db.models.satisfaction import (
    SurveyCampaign,
    SurveyCampaignMember,
    SurveyResponse,
    SurveyScore,
    SurveyTemplate,
)
from db.models.satisfaction_rollups import SatisfactionAlertMonth, SatisfactionMonth

__all__ = [
    "MAX_ORDERS",
    "MONEY_SUM_DIGITS",
    "NAMING_CONVENTION",
    "SORT_INDEXED",
    "Activity",
    "AuditLog",
    "AutomationRule",
    "KpiCadenceDay",
    "KpiCadenceMonth",
    "KpiZoneOffset",
    "Base",
    "ClassChange",
    "ClassOverride",
    "Complaint",
    "ComplaintAttachment",
    "ComplaintEvent",
    "ComplaintMonth",
    "ComplaintTimeMonth",
    "Contact",
    "Contract",
    "ContractPayment",
    "CreditEvent",
    "Customer",
    "CustomerSearchGram",
    "CustomerSearchGramCount",
    "CustomerSearchText",
    "CustomerTag",
    "Department",
    "department_label",
    "FollowUpDayCount",
    "FollowUpTask",
    "Holiday",
    "IdempotencyToken",
    "Inquiry",
    "KeyDate",
    "KpiSnapshot",
    "KpiMonth",
    "KpiNewCustomerMonth",
    "KpiOrderMonth",
    "KpiRevenueWindow",
    "KpiStageMonth",
    "KpiStageMoveHour",
    "KpiStageMoveMonth",
    "KpiWindowRevenue",
    "KpiTarget",
    "Money",
    "MoneySum",
    "Order",
    "ReferenceCounter",
    "SatisfactionAlertMonth",
    "SatisfactionMonth",
    "ServicePolicy",
    "Setting",
    "SignInFailure",
    "StageChange",
    "Suggestion",
    "SurveyCampaign",
    "SurveyCampaignMember",
    "SurveyResponse",
    "SurveyScore",
    "SurveyTemplate",
    "Timestamped",
    "UTCDateTime",
    "User",
    "Versioned",
    "utcnow",
]
