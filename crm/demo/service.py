"""Demo data: a deterministic, realistic customer base for every module, bulk-loaded in one transaction."""

from __future__ import annotations

import datetime as dt
import gc
import math
import random
import secrets
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from itertools import accumulate
from operator import itemgetter
from typing import Any, TypeVar

from faker import Faker
from sqlalchemy import Connection, Date, Integer, Table, and_, insert, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm.classification import DEFAULT_POLICIES, Thresholds, company_today, default_weight, record_loaded_run
from crm.customers import SearchText, search_text
from crm.follow_ups import rebuild as rebuild_calendar_counts
from crm.platform.audit import audit_row, write_audit
from crm.platform.clock import utcnow
from crm.platform.errors import CrmError
from crm.platform.names import normalise_name
from crm.platform.permissions import SYSTEM
from crm.platform.rollups import rebuild_all as rebuild_rollups
from crm.platform.users import hash_password
from crm.satisfaction import DEFAULT_DIMENSIONS
from db.engine import Sessions, move_sequences_past_ids
from db.models import Activity, AuditLog, Base, Customer, Setting, User, UTCDateTime
from db.search_grams import load_all

T = TypeVar("T")
Row = dict[str, Any]

CHUNK = 5_000
DAY = 86_400


@dataclass(frozen=True)
class DemoAccount:
    """A demo sign-in, one per role, shown on the login screen."""

    username: str
    password: str
    role: str
    display_name: str
    language: str


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin", "admin-demo-1", "admin", "Alex Admin", "en"),
    DemoAccount("manager", "manager-demo-1", "manager", "李娜 Li Na", "zh"),
    DemoAccount("staff", "staff-demo-1", "staff", "张伟 Zhang Wei", "zh"),
    DemoAccount("viewer", "viewer-demo-1", "viewer", "Victoria Viewer", "en"),
)

# Owners only: their passwords are random and never shown. (username, display name, language, department)
_OWNER_STAFF: tuple[tuple[str, str, str, str], ...] = (
    ("wangfang", "王芳", "zh", "sales"),
    ("liuyang", "刘洋", "zh", "service"),
    ("chenjing", "陈静", "zh", "sales"),
    ("dmiller", "David Miller", "en", "sales"),
    ("sjohnson", "Sarah Johnson", "en", "service"),
    ("zhaolei", "赵磊", "zh", "marketing"),
)
_ACCOUNT_DEPARTMENTS = {"admin": "management", "manager": "sales", "staff": "sales", "viewer": "management"}
# User ids are 1..4 for the demo accounts (in DEMO_ACCOUNTS order), then 5.. for _OWNER_STAFF.
_PEOPLE: tuple[tuple[str, str, str, str, str], ...] = (  # (username, display name, language, role, department)
    *((a.username, a.display_name, a.language, a.role, _ACCOUNT_DEPARTMENTS[a.role]) for a in DEMO_ACCOUNTS),
    *((username, name, lang, "staff", dept) for username, name, lang, dept in _OWNER_STAFF),
)
_MANAGER_ID, _STAFF_ID, _MARKETING_ID = 2, 3, 10
_SERVICE_IDS = (6, 9)
# Share of customers per owner: the staff account gets a real queue, the viewer none.
_OWNER_WEIGHTS = ((_MANAGER_ID, 8), (_STAFF_ID, 15), (5, 15), (6, 10), (7, 15), (8, 13), (9, 9), (10, 15))

_DEPARTMENTS: tuple[tuple[str, str, str], ...] = (  # (code and function, English name, Chinese name)
    ("sales", "Sales", "销售部"),
    ("marketing", "Marketing", "市场部"),
    ("service", "Customer Service", "客服部"),
    ("product", "Product", "产品部"),
    ("tech", "Engineering", "技术部"),
    ("management", "Management", "管理层"),
)
_DEPARTMENT_ID = {code: index for index, (code, _, _) in enumerate(_DEPARTMENTS, start=1)}
# The customers' department is their owner's sales-side one (_PEOPLE); two owners work in the departments that
# fix what complaints reveal, so product and engineering have people (and heads) to hand complaints to.
_USER_DEPARTMENT = {user_id: _DEPARTMENT_ID[person[4]] for user_id, person in enumerate(_PEOPLE, start=1)}
_MEMBERSHIP = {**_USER_DEPARTMENT, 7: _DEPARTMENT_ID["product"], 8: _DEPARTMENT_ID["tech"]}
_DEPARTMENT_HEADS = {
    "sales": _MANAGER_ID,
    "marketing": _MARKETING_ID,
    "service": 6,
    "product": 7,
    "tech": 8,
    "management": 1,
}
_DEPARTMENT_MEMBERS = {
    d: tuple(u for u, m in sorted(_MEMBERSHIP.items()) if m == d and u != 4) for d in _DEPARTMENT_ID.values()
}  # the viewer (4) handles nothing

# --- classes and their shares ------------------------------------------------------------------

_STAGES = (("potential", 25), ("intent", 20), ("signed", 45), ("churned", 10))
_INDUSTRIES = (
    ("manufacturing", 18),
    ("software", 15),
    ("retail", 11),
    ("finance", 8),
    ("healthcare", 8),
    ("education", 7),
    ("logistics", 9),
    ("energy", 7),
    ("semiconductors", 10),
    ("government", 7),
)
_SIZES = (("1-49", 38), ("50-199", 30), ("200-999", 20), ("1000+", 12))
_SIZE_SPEND = {"1-49": -0.5, "50-199": 0.0, "200-999": 0.6, "1000+": 1.2, None: -1.0}
_SOURCES = (
    ("market_research", 10),
    ("referral", 22),
    ("website", 25),
    ("exhibition", 15),
    ("partner", 13),
    ("cold_call", 15),
)
_NEED_TYPES = (("strategic", 10), ("ordinary", 78), ("special", 12))
_IMPORTANCE_BY_SIZE = {
    "1000+": (("strategic", 25), ("key", 40), ("ordinary", 35)),
    "200-999": (("strategic", 8), ("key", 30), ("ordinary", 62)),
    "50-199": (("strategic", 2), ("key", 14), ("ordinary", 84)),
    "1-49": (("strategic", 1), ("key", 8), ("ordinary", 91)),
    None: (("key", 3), ("ordinary", 97)),
}
_CHURN_REASONS = (("product", 20), ("service", 20), ("competitor", 30), ("price", 22), ("other", 8))
_CHANNELS = (("phone", 35), ("wechat", 25), ("email", 15), ("visit", 10), ("meeting", 8), ("online", 7))
_OUTCOMES_BY_STAGE = {
    "potential": (("reached", 40), ("no_answer", 25), ("interested", 22), ("not_interested", 13)),
    "intent": (("reached", 40), ("no_answer", 12), ("interested", 40), ("not_interested", 8)),
    "signed": (("reached", 48), ("no_answer", 12), ("interested", 12), ("deal", 8), ("issue_raised", 20)),
    "churned": (("reached", 30), ("no_answer", 40), ("not_interested", 25), ("interested", 5)),
}
_ACTIVITY_COUNTS = {
    "potential": (0, 1, 1, 2, 2, 3),
    "intent": (1, 2, 2, 3, 4, 5),
    "signed": (1, 2, 2, 3, 3, 4, 5),
    "churned": (0, 1, 1, 2),
}
_CADENCE = {"high": 30, "medium": 60, "low": 120, "strategic": 14, "potential": 30, "intent": 14}
# Complaint time limits by severity, in hours: (acknowledge within, resolve within), crm/complaints' defaults.
_COMPLAINT_LIMITS = {"critical": (1, 24), "high": (4, 72), "medium": (8, 168), "low": (24, 336)}
_IMPACT_SCOPES = (("one_user", 35), ("one_site", 30), ("whole_customer", 25), ("several_customers", 10))
_COMPLAINT_POINTS = dict(zip(("low", "medium", "high", "critical"), Thresholds.complaint_points, strict=True))
_SEVERITIES = (("low", 35), ("medium", 40), ("high", 20), ("critical", 5))
_COMPLAINT_CHANNELS = (("phone", 35), ("email", 20), ("online", 25), ("visit", 5), ("social_media", 15))
_COMPLAINT_CATEGORIES = (
    ("product_quality", 30),
    ("technical", 25),
    ("service_attitude", 15),
    ("delivery", 15),
    ("billing", 10),
    ("other", 5),
)
_COMPLAINT_DEPARTMENT = {
    "product_quality": "product",
    "technical": "tech",
    "service_attitude": "service",
    "delivery": "service",
    "billing": "sales",
    "other": "service",
}
_ROOT_CAUSES = {
    "product_quality": ("design_defect", "supplier"),
    "technical": ("software_bug", "configuration"),
    "service_attitude": ("training", "communication"),
    "delivery": ("logistics", "process"),
    "billing": ("process", "communication"),
    "other": ("communication", "customer_misuse"),
}
_OPEN_STATUSES_RECENT = (
    ("new", 15),
    ("acknowledged", 20),
    ("in_progress", 30),
    ("waiting_customer", 15),
    ("resolved", 15),
    ("reopened", 5),
)
_STATUSES_OLD = (
    ("closed", 75),
    ("resolved", 8),
    ("rejected", 6),
    ("in_progress", 4),
    ("waiting_customer", 3),
    ("reopened", 2),
    ("acknowledged", 1),
    ("new", 1),
)
_SUGGESTION_CATEGORIES = (("product", 40), ("service", 20), ("process", 15), ("pricing", 10), ("other", 15))
_SUGGESTION_DEPARTMENT = {
    "product": "product",
    "service": "service",
    "process": "service",
    "pricing": "sales",
    "other": "management",
}
# The running survey campaign asks signed customers of high and medium value; its tasks are due 14 days after its run.
_RUNNING_CAMPAIGN_TARGET = {"lifecycle_stage": ["signed"], "value_tier": ["high", "medium"]}
_RUNNING_CAMPAIGN_DUE_DAYS = 14
_TAGS_EXTRA = ("reference", "newsletter", "expo-lead")

_PRODUCTS = (
    ("CloudDesk 云客服", 12),
    ("DataHub 数据中台", 10),
    ("SmartERP 企业版 Enterprise", 6),
    ("SmartERP 标准版 Standard", 10),
    ("EdgeBox 边缘网关 Gateway", 8),
    ("AI Vision 视觉模组 Module", 6),
    ("X200 MCU 芯片", 9),
    ("X500 SoC 芯片", 5),
    ("年度技术支持 Annual support", 12),
    ("实施服务 Implementation", 8),
    ("培训服务 Training", 7),
    ("安全审计 Security audit", 7),
)
# (installments a year, zh, en)
_PAYMENT_TERMS = (
    (1, "一次性付款，签约后30天内", "Paid in full within 30 days of signing"),
    (2, "分两期：签约付50%，验收付50%", "50% on signing, 50% on acceptance"),
    (4, "按季度预付，月结30天", "Quarterly in advance, net 30"),
    (12, "按月付款，月结15天", "Monthly, net 15"),
)
# Payment behaviour: (share of customers, p on time, p late, days late at most); the rest stays unpaid.
_PAYERS = ((70, 0.95, 0.05, 15), (22, 0.70, 0.25, 90), (8, 0.40, 0.35, 120))

# --- names, places, words (zh, en) -------------------------------------------------------------

_CN_REGIONS = {
    "east": (
        30,
        (
            ("上海市", ""),
            ("江苏省", "南京市"),
            ("江苏省", "苏州市"),
            ("浙江省", "杭州市"),
            ("浙江省", "宁波市"),
            ("山东省", "青岛市"),
            ("安徽省", "合肥市"),
            ("福建省", "厦门市"),
        ),
    ),
    "north": (17, (("北京市", ""), ("天津市", ""), ("河北省", "石家庄市"), ("山西省", "太原市"))),
    "south": (
        20,
        (
            ("广东省", "深圳市"),
            ("广东省", "广州市"),
            ("广东省", "东莞市"),
            ("广西壮族自治区", "南宁市"),
            ("海南省", "海口市"),
        ),
    ),
    "central": (10, (("湖北省", "武汉市"), ("湖南省", "长沙市"), ("河南省", "郑州市"), ("江西省", "南昌市"))),
    "southwest": (10, (("四川省", "成都市"), ("重庆市", ""), ("云南省", "昆明市"), ("贵州省", "贵阳市"))),
    "northwest": (5, (("陕西省", "西安市"), ("甘肃省", "兰州市"), ("新疆维吾尔自治区", "乌鲁木齐市"))),
    "northeast": (8, (("辽宁省", "沈阳市"), ("辽宁省", "大连市"), ("吉林省", "长春市"), ("黑龙江省", "哈尔滨市"))),
}
_CN_DISTRICTS = (
    "高新区",
    "经济技术开发区",
    "滨江区",
    "新区",
    "工业园区",
    "中心区",
    "东城区",
    "西城区",
    "南山区",
    "江北区",
    "开发区",
    "软件园",
)
_CN_STREETS = (
    "人民",
    "解放",
    "建设",
    "中山",
    "长江",
    "黄河",
    "科技",
    "创新",
    "学府",
    "世纪",
    "滨江",
    "东方",
    "和平",
    "文化",
    "新华",
    "光明",
    "金融",
    "高新",
    "迎宾",
    "景华",
)
_CN_STREET_SUFFIXES = ("路", "大道", "街", "东路", "西路", "南路", "北路")
_BRAND_CHARS = (
    ("明", "ming"),
    ("达", "da"),
    ("华", "hua"),
    ("信", "xin"),
    ("博", "bo"),
    ("远", "yuan"),
    ("鑫", "xin"),
    ("泰", "tai"),
    ("恒", "heng"),
    ("瑞", "rui"),
    ("宏", "hong"),
    ("盛", "sheng"),
    ("创", "chuang"),
    ("智", "zhi"),
    ("联", "lian"),
    ("通", "tong"),
    ("汇", "hui"),
    ("嘉", "jia"),
    ("昌", "chang"),
    ("润", "run"),
    ("德", "de"),
    ("正", "zheng"),
    ("天", "tian"),
    ("宇", "yu"),
    ("星", "xing"),
    ("辰", "chen"),
    ("海", "hai"),
    ("峰", "feng"),
    ("安", "an"),
    ("康", "kang"),
    ("凯", "kai"),
    ("腾", "teng"),
    ("航", "hang"),
    ("晟", "sheng"),
    ("睿", "rui"),
    ("景", "jing"),
    ("益", "yi"),
    ("源", "yuan"),
    ("新", "xin"),
    ("诚", "cheng"),
    ("拓", "tuo"),
    ("启", "qi"),
    ("卓", "zhuo"),
    ("越", "yue"),
    ("蓝", "lan"),
    ("云", "yun"),
    ("光", "guang"),
    ("中", "zhong"),
    ("科", "ke"),
    ("微", "wei"),
)
_CN_INDUSTRY_WORDS = {
    "manufacturing": ("机械制造", "精密制造", "智能装备", "汽车零部件", "电气设备"),
    "software": ("信息技术", "软件", "网络科技", "数据科技", "智能科技"),
    "retail": ("商贸", "零售连锁", "电子商务", "百货"),
    "finance": ("金融服务", "投资管理", "融资租赁", "保险经纪"),
    "healthcare": ("医疗器械", "生物医药", "健康科技", "医药"),
    "education": ("教育科技", "职业培训", "文化传播"),
    "logistics": ("物流", "供应链管理", "国际货运", "仓储服务"),
    "energy": ("新能源", "能源科技", "电力工程", "光伏科技"),
    "semiconductors": ("半导体", "微电子", "集成电路", "芯片科技"),
}
_CN_SUFFIXES = (("有限公司", 60), ("股份有限公司", 20), ("有限责任公司", 10), ("集团有限公司", 10))
_CN_BUREAUS = (
    "数据资源管理局",
    "工业和信息化局",
    "交通运输局",
    "教育局",
    "市场监督管理局",
    "大数据中心",
    "政务服务中心",
    "卫生健康委员会",
    "科学技术局",
    "住房和城乡建设局",
)
_CN_STATE_FIRMS = ("城市建设投资", "交通投资", "国有资本运营", "水务", "产业发展")
_CN_SURNAMES = (
    ("王", "wang", 70),
    ("李", "li", 70),
    ("张", "zhang", 66),
    ("刘", "liu", 52),
    ("陈", "chen", 46),
    ("杨", "yang", 34),
    ("黄", "huang", 24),
    ("赵", "zhao", 21),
    ("吴", "wu", 20),
    ("周", "zhou", 20),
    ("徐", "xu", 15),
    ("孙", "sun", 14),
    ("马", "ma", 13),
    ("朱", "zhu", 12),
    ("胡", "hu", 12),
    ("郭", "guo", 11),
    ("何", "he", 11),
    ("高", "gao", 10),
    ("林", "lin", 10),
    ("罗", "luo", 9),
    ("郑", "zheng", 9),
    ("梁", "liang", 9),
    ("谢", "xie", 8),
    ("宋", "song", 7),
    ("唐", "tang", 7),
    ("许", "xu", 7),
    ("韩", "han", 6),
    ("冯", "feng", 6),
    ("邓", "deng", 6),
    ("曹", "cao", 6),
    ("彭", "peng", 5),
    ("曾", "zeng", 5),
    ("肖", "xiao", 5),
    ("田", "tian", 5),
    ("董", "dong", 5),
    ("袁", "yuan", 5),
    ("潘", "pan", 4),
    ("于", "yu", 4),
    ("蒋", "jiang", 4),
    ("蔡", "cai", 4),
    ("杜", "du", 4),
    ("叶", "ye", 4),
    ("程", "cheng", 4),
    ("苏", "su", 3),
    ("魏", "wei", 3),
    ("吕", "lv", 3),
    ("丁", "ding", 3),
    ("任", "ren", 3),
    ("沈", "shen", 3),
    ("欧阳", "ouyang", 1),
)
_CN_TITLES = (
    "总经理",
    "副总经理",
    "采购经理",
    "采购主管",
    "技术总监",
    "IT经理",
    "财务经理",
    "运营总监",
    "项目经理",
    "行政主管",
    "董事长",
    "首席技术官",
)
_EN_TITLES = (
    "CEO",
    "CTO",
    "Head of Procurement",
    "Procurement Manager",
    "IT Director",
    "IT Manager",
    "Finance Manager",
    "COO",
    "Project Manager",
    "Office Manager",
    "Managing Director",
    "VP Engineering",
)
_EN_INDUSTRY_WORDS = {
    "manufacturing": ("Manufacturing", "Engineering", "Industries", "Precision"),
    "software": ("Software", "Systems", "Digital", "Technologies"),
    "retail": ("Retail", "Stores", "Trading", "Outfitters"),
    "finance": ("Capital", "Financial", "Partners", "Holdings"),
    "healthcare": ("Healthcare", "Medical", "Biotech", "Pharma"),
    "education": ("Learning", "Academy", "Education"),
    "logistics": ("Logistics", "Freight", "Shipping", "Supply Chain"),
    "energy": ("Energy", "Power", "Solar", "Renewables"),
    "semiconductors": ("Semiconductor", "Microsystems", "Silicon", "Electronics"),
}
_EN_SUFFIXES = {"en_US": ("Inc.", "LLC", "Corp.", "Co."), "en_GB": ("Ltd", "Limited", "PLC", "Group")}
_EN_CITIES = {
    "en_US": (
        "Austin",
        "Boston",
        "Chicago",
        "Denver",
        "Seattle",
        "San Jose",
        "Portland",
        "Atlanta",
        "Dallas",
        "Phoenix",
        "Columbus",
        "Raleigh",
        "Pittsburgh",
        "Minneapolis",
        "San Diego",
    ),
    "en_GB": (
        "Manchester",
        "Bristol",
        "Leeds",
        "Cambridge",
        "Oxford",
        "Birmingham",
        "Edinburgh",
        "Glasgow",
        "Cardiff",
        "Reading",
        "Nottingham",
        "Sheffield",
        "Southampton",
        "York",
        "Belfast",
    ),
}
_US_STATES = {
    "Austin": "TX",
    "Boston": "MA",
    "Chicago": "IL",
    "Denver": "CO",
    "Seattle": "WA",
    "San Jose": "CA",
    "Portland": "OR",
    "Atlanta": "GA",
    "Dallas": "TX",
    "Phoenix": "AZ",
    "Columbus": "OH",
    "Raleigh": "NC",
    "Pittsburgh": "PA",
    "Minneapolis": "MN",
    "San Diego": "CA",
}
# Public bodies: "{place} {body}", the place being a city or a county (a surname plus County / District).
_EN_GOVERNMENT = {
    "en_US": (
        "Public Schools",
        "Transit Authority",
        "Water Utility",
        "IT Department",
        "Public Works",
        "Health Department",
        "Public Library",
        "Parks and Recreation",
    ),
    "en_GB": (
        "City Council",
        "Borough Council",
        "Transport Authority",
        "Schools Trust",
        "NHS Trust",
        "Fire and Rescue Service",
        "Housing Association",
        "Library Service",
    ),
}
_EN_COUNTY = {"en_US": "County", "en_GB": "District Council"}
_CN_MAIL_DOMAINS = ("qq.com", "163.com", "126.com", "sina.com")
_EN_MAIL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com")

# Free text, each as (zh, en); index 0 for Chinese-speaking customers, 1 for English-speaking ones.
_NEEDS = (
    ("希望提升客户服务效率，统一管理客户信息。", "Wants faster customer service and one place for customer data."),
    ("需要一套可扩展的数据分析平台。", "Needs a data platform that can grow with the business."),
    ("计划明年上线新的生产管理系统。", "Plans to roll out a new production system next year."),
    ("关注数据安全与合规，要求本地化部署。", "Cares about security and compliance; wants on-premises hosting."),
    ("寻求性价比高的芯片方案，年用量约十万片。", "Looking for cost-effective chips, about 100k units a year."),
    ("需要驻场实施与员工培训支持。", "Needs on-site implementation and staff training."),
)
_DECISIONS = (
    ("采购部牵头，技术部评估，总经理审批。", "Procurement leads, IT evaluates, the managing director signs off."),
    ("需董事会审批，预算每年年初确定。", "Board approval needed; the budget is set each January."),
    ("公开招投标，周期约三个月。", "Public tender, about three months from notice to award."),
)
_COMPETITORS = (("云帆科技", "Apex Systems"), ("北辰软件", "Norwood Software"), ("海岳数据", "Bluegate Data"))
_PREFERENCES = (
    ("偏好微信沟通。", "Prefers email."),
    ("上午不方便接电话。", "Not available on Monday mornings."),
    ("重视价格，要求详细报价。", "Price-sensitive; wants itemised quotes."),
    ("喜欢现场拜访。", "Likes on-site visits."),
)
_SUMMARIES = {
    "reached": (
        ("电话回访，客户反馈系统运行稳定。", "Called; the customer says everything runs smoothly."),
        ("与对方确认了下季度的采购计划。", "Went through next quarter's purchasing plan."),
        ("例行回访，了解使用情况并记录新需求。", "Routine check-in; noted two new requests."),
    ),
    "no_answer": (
        ("电话无人接听，已发送微信留言。", "No answer; left a message."),
        ("对方出差，约定下周再联系。", "Contact travelling; agreed to call next week."),
    ),
    "interested": (
        ("客户对新版本功能很感兴趣，索取报价。", "Interested in the new release; asked for a quote."),
        ("演示后客户表示有明确采购意向。", "After the demo the customer confirmed intent to buy."),
    ),
    "not_interested": (
        ("客户暂无预算，半年后再跟进。", "No budget this year; follow up in six months."),
        ("客户表示已选择其他供应商。", "Customer says they chose another supplier."),
    ),
    "deal": (
        ("双方确认合同条款，客户下单。", "Terms agreed; the customer placed the order."),
        ("续约成功，追加两个模块。", "Renewed, with two extra modules."),
    ),
    "issue_raised": (
        ("客户反映报表导出偶尔失败，已转技术部。", "Report export fails at times; passed to engineering."),
        ("客户对交付时间有疑问，已协调物流。", "Asked about delivery dates; checked with logistics."),
    ),
}
_NEXT_STEPS = (
    ("发送报价单", "Send the quotation"),
    ("安排技术演示", "Arrange a technical demo"),
    ("下周再次电话跟进", "Call again next week"),
    ("提交方案给客户评审", "Send the proposal for review"),
    ("预约上门拜访", "Book an on-site visit"),
)
_TASK_NOTES = {
    "regular_revisit": ("定期回访", "Regular revisit"),
    "care": ("生日/节日问候", "Birthday or holiday greeting"),
    "win_back": ("流失客户挽回", "Win-back call"),
    "complaint": ("投诉处理跟进", "Complaint follow-up"),
    "survey": ("满意度低分回访", "Call back after a low survey score"),
    "satisfaction_survey": ("季度满意度调查", "Quarterly satisfaction survey"),
}
_STAGE_REASONS = {
    "potential": ("获取新线索", "New lead"),
    "intent": ("客户确认需求并索取报价", "Confirmed needs; asked for a quote"),
    "signed": ("签订合作协议", "Signed the agreement"),
}
_CHURN_TEXTS = {
    "product": ("产品不满足需求", "Product did not meet their needs"),
    "service": ("对服务不满意", "Unhappy with the service"),
    "competitor": ("转向竞争对手", "Moved to a competitor"),
    "price": ("价格因素", "Price"),
    "other": ("业务调整", "Business change"),
}
_COMPLAINT_TEXTS = {
    "product_quality": (
        ("设备批次故障率偏高，多台无法启动。", "Several units from one batch fail to start."),
        ("芯片在高温环境下不稳定。", "Chips are unstable at high temperatures."),
    ),
    "technical": (
        ("系统升级后报表无法导出。", "Reports no longer export after the upgrade."),
        ("接口响应缓慢，影响业务处理。", "The API is slow and holds up their work."),
    ),
    "service_attitude": (
        ("客服人员回复不及时，态度冷淡。", "Support replied late and was curt."),
        ("多次来电未得到明确答复。", "Called several times without a clear answer."),
    ),
    "delivery": (
        ("发货延迟一周，影响项目进度。", "Delivery a week late, delaying their project."),
        ("到货数量与订单不符。", "Delivered quantity does not match the order."),
    ),
    "billing": (
        ("发票金额与合同不一致。", "Invoice amount differs from the contract."),
        ("重复扣款，要求退款。", "Charged twice; wants a refund."),
    ),
    "other": (("对合同续签条款有异议。", "Disagrees with the renewal terms."),),
}
_IMPACT = (
    ("影响一个部门日常工作", "One department's daily work"),
    ("影响全公司业务", "The whole company"),
    ("影响个别用户", "A few users"),
    ("影响对外服务", "Their own customers"),
)
_EXPECTED = (
    ("尽快修复并说明原因", "A fix soon and an explanation"),
    ("更换产品或退款", "Replacement or refund"),
    ("书面道歉并改进流程", "A written apology and a better process"),
)
_RESOLUTIONS = (
    ("已修复问题并回访确认", "Fixed and confirmed with the customer"),
    ("已更换设备，客户确认正常", "Units replaced; customer confirms they work"),
    ("已退款并致歉", "Refunded with an apology"),
    ("已优化流程并培训人员", "Process improved and staff trained"),
)
_SUGGESTIONS = (
    ("希望增加移动端审批功能。", "Add approvals on the mobile app."),
    ("建议提供英文版操作手册。", "Provide an English user manual."),
    ("希望报表支持自定义字段。", "Let reports use custom fields."),
    ("建议缩短发货周期。", "Shorten delivery times."),
    ("希望提供年度价格优惠方案。", "Offer a yearly pricing plan."),
    ("建议增加在线培训课程。", "Add online training courses."),
    ("希望客服热线延长服务时间。", "Extend the support hotline's hours."),
)
_EVALUATIONS = (
    ("已纳入下季度开发计划", "Planned for next quarter"),
    ("评估中，需技术确认", "Under review with engineering"),
    ("与产品方向不符，暂不采纳", "Does not fit the product direction"),
)
_ACTIONS_TAKEN = (
    ("已在新版本中实现", "Shipped in the latest release"),
    ("已更新服务流程", "Service process updated"),
    ("已列入产品路线图", "Added to the product roadmap"),
)
_INQUIRIES = (
    (
        ("X2 型号是否支持 IPv6？", "Does the X2 support IPv6?"),
        ("支持，固件 2.1 及以上版本。", "Yes, from firmware 2.1."),
    ),
    (
        ("如何申请增值税专用发票？", "How do we request a VAT invoice?"),
        ("请在客户门户提交开票信息。", "Submit the invoice details in the customer portal."),
    ),
    (
        ("年度维保合同包含哪些服务？", "What does the yearly maintenance contract cover?"),
        ("包含上门检修和远程支持。", "On-site repairs and remote support."),
    ),
    (
        ("能否提供产品培训？", "Can you train our staff on the product?"),
        ("可以，我们每月举办线上培训。", "Yes, we hold online training every month."),
    ),
)
_CALLBACK_SUMMARIES = (
    (
        "低分回访：已致电客户，了解不满原因并给出改进方案。",
        "Low-score callback: called, heard the reasons, agreed a fix.",
    ),
    ("低分回访：客户反馈响应慢，已安排专人对接。", "Low-score callback: slow responses; a dedicated contact assigned."),
)
_SURVEY_COMMENTS = {
    True: (
        ("服务很及时，满意。", "Quick and helpful service."),
        ("产品稳定，值得推荐。", "Stable product, would recommend."),
    ),
    False: (
        ("响应太慢，希望改进。", "Responses are too slow."),
        ("问题反复出现，不满意。", "The same problem keeps coming back."),
    ),
}

# --- the story the managers' dashboard tells (issue 17) ---------------------------------------------
# Orders and signings by month of the year: the rush before the Spring Festival, its holiday lull, a summer dip and
# the year-end peak.
_SEASON = {1: 1.5, 2: 0.6, 3: 1.0, 4: 1.0, 5: 1.05, 6: 1.1, 7: 0.65, 8: 0.55, 9: 1.0, 10: 0.95, 11: 1.4, 12: 1.8}
# A logistics partner failed four and five months ago: delivery complaints at several times their usual count for
# those two months, mostly handled late, then resolved and closed with the customers satisfied.
_SPIKE_CATEGORY = "delivery"
_SPIKE_SHARE = 0.008  # extra complaints per customer over the two months
_SPIKE_TEXTS = (
    ("新物流服务商发货延误，货物迟到十天。", "The new logistics partner shipped ten days late."),
    ("物流转运中货物破损，需要补发。", "Goods damaged in transit by the carrier; a reshipment is needed."),
    ("物流信息长时间不更新，无法确认到货时间。", "Tracking has not moved for days; no delivery date in sight."),
)
_SPIKE_RESOLUTIONS = (
    ("已更换物流服务商并补发货物，客户确认收货", "Carrier replaced and goods reshipped; the customer confirms receipt"),
    ("已赔偿运费并加急补发，客户满意", "Freight refunded and an express reshipment sent; the customer is satisfied"),
)
# Low-value customers drifting to churn: signed customers lost on price to cheaper competitors over the last six
# months, more each month.
_DRIFT_SHARE = 0.08  # of the signed customers
_DRIFT_REASONS = (("price", 55), ("competitor", 45))
# One owner behind on cadence: most of David Miller's customers were last contacted long ago, and many of their
# revisits are overdue.
_LAGGARD_ID = 8

_CARE_LABELS = {
    "partnership": ("合作周年", "Partnership anniversary"),
    "founding": ("公司成立纪念日", "Company founding day"),
    "conference": ("客户年会", "Customer's annual conference"),
}
_HOLIDAYS_FIXED = ((1, 1, "元旦 New Year's Day"), (5, 1, "劳动节 Labour Day"), (10, 1, "国庆节 National Day"))
# Lunar holidays fall on different dates each year.
_HOLIDAYS_LUNAR = {
    "春节 Chinese New Year": (
        "2024-02-10",
        "2025-01-29",
        "2026-02-17",
        "2027-02-06",
        "2028-01-26",
        "2029-02-13",
        "2030-02-03",
        "2031-01-23",
        "2032-02-11",
    ),
    "中秋节 Mid-Autumn Festival": (
        "2024-09-17",
        "2025-10-06",
        "2026-09-25",
        "2027-09-15",
        "2028-10-03",
        "2029-09-22",
        "2030-09-12",
        "2031-10-01",
        "2032-09-19",
    ),
}


def _chooser(rng: random.Random, weighted: Sequence[tuple[T, float]]) -> Callable[[], T]:
    """Return a fast weighted picker (bisect over cumulative weights) drawing from the RNG."""
    values = [value for value, _ in weighted]
    cumulative = list(accumulate(weight for _, weight in weighted))
    total = cumulative[-1]
    draw = rng.random

    def pick() -> T:
        return values[bisect_right(cumulative, draw() * total)]

    return pick


def _band(value: int, bounds: Sequence[int], *, upper: bool) -> int:
    """Score 5..1 against bounds given best first: upper bounds (recency) or lower bounds (frequency, money)."""
    for score, bound in zip((5, 4, 3, 2), bounds, strict=True):
        if (value <= bound) if upper else (value >= bound):
            return score
    return 1


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


class _Pools:
    """Names and addresses drawn once from Faker, then combined with the RNG for every row."""

    def __init__(self, seed: int) -> None:
        us, gb, cn = Faker("en_US"), Faker("en_GB"), Faker("zh_CN")
        for index, faker in enumerate((us, gb, cn)):
            faker.seed_instance(seed + index)
        self.en_first = {"en_US": [us.first_name() for _ in range(400)], "en_GB": [gb.first_name() for _ in range(400)]}
        self.en_last = {"en_US": [us.last_name() for _ in range(400)], "en_GB": [gb.last_name() for _ in range(400)]}
        self.en_company = {"en_US": [us.company() for _ in range(300)], "en_GB": [gb.company() for _ in range(300)]}
        self.en_street = {
            "en_US": [us.street_address().replace("\n", ", ") for _ in range(500)],
            "en_GB": [gb.street_address().replace("\n", ", ") for _ in range(500)],
        }
        self.us_zip = [us.zipcode() for _ in range(300)]
        self.gb_postcode = [gb.postcode() for _ in range(300)]
        self.cn_given = [cn.first_name() for _ in range(600)]


class _CustomerWork:
    """One customer's follow-up state while its activities and tasks are generated."""

    __slots__ = (
        "contact_count",
        "customer_id",
        "first_contact",
        "lang",
        "last_contact",
        "next_due",
        "open_purposes",
        "worker",
    )

    def __init__(self, customer_id: int, lang: int, worker: int, first_contact: int, contact_count: int) -> None:
        self.customer_id, self.lang, self.worker = customer_id, lang, worker
        self.first_contact, self.contact_count = first_contact, contact_count
        self.last_contact = 0
        self.next_due: int | None = None
        self.open_purposes: set[str] = set()


class _Builder:
    """Generates every table's rows in memory; ids are assigned here so children need no round trips.

    Timestamps stay integer UTC epoch seconds in the rows (cheap to make and compare); `_insert_rows`
    turns them into what each database stores.
    """

    def __init__(self, *, customers: int, seed: int, today: dt.date) -> None:
        self.n = customers
        self.rng = rng = random.Random(seed)
        self.r = rng.random
        self.today = today
        self.today_ord = today.toordinal()
        # Midnight UTC of the day (08:00 in Shanghai), or now when that is still to come (a load between 16:00 and
        # 24:00 UTC, already the next day in Shanghai): no generated instant lies after the load.
        midnight = int(dt.datetime.combine(today, dt.time(), dt.UTC).timestamp())
        self.anchor_ts = min(midnight, int(utcnow().timestamp()))
        self.rows: dict[str, list[Row]] = {}
        self.pools = _Pools(seed)
        self.pick_stage = _chooser(rng, _STAGES)
        self.pick_industry = _chooser(rng, _INDUSTRIES)
        self.pick_size = _chooser(rng, _SIZES)
        self.pick_source = _chooser(rng, _SOURCES)
        self.pick_need = _chooser(rng, _NEED_TYPES)
        self.pick_importance = {size: _chooser(rng, w) for size, w in _IMPORTANCE_BY_SIZE.items()}
        self.pick_owner = _chooser(rng, _OWNER_WEIGHTS)
        self.pick_churn = _chooser(rng, _CHURN_REASONS)
        self.pick_channel = _chooser(rng, _CHANNELS)
        self.pick_outcome = {stage: _chooser(rng, w) for stage, w in _OUTCOMES_BY_STAGE.items()}
        self.pick_product = _chooser(rng, [(index, w) for index, (_, w) in enumerate(_PRODUCTS)])
        self.pick_region = _chooser(rng, [(code, w) for code, (w, _) in _CN_REGIONS.items()])
        self.pick_cn_suffix = _chooser(rng, _CN_SUFFIXES)
        self.pick_surname = _chooser(rng, [((zh, py), w) for zh, py, w in _CN_SURNAMES])
        self.pick_terms = _chooser(rng, [(terms, w) for terms, w in zip(_PAYMENT_TERMS, (30, 30, 30, 10), strict=True)])
        self.pick_payer = _chooser(rng, [(index, p[0]) for index, p in enumerate(_PAYERS)])
        self.pick_severity = _chooser(rng, _SEVERITIES)
        self.pick_complaint_channel = _chooser(rng, _COMPLAINT_CHANNELS)
        self.pick_category = _chooser(rng, _COMPLAINT_CATEGORIES)
        self.pick_recent_status = _chooser(rng, _OPEN_STATUSES_RECENT)
        self.pick_old_status = _chooser(rng, _STATUSES_OLD)
        self.pick_suggestion_category = _chooser(rng, _SUGGESTION_CATEGORIES)
        self.pick_impact = _chooser(rng, _IMPACT_SCOPES)
        self.pick_drift_reason = _chooser(rng, _DRIFT_REASONS)
        self.used_names: set[str] = set()
        # Cumulative seasonal weights of every day the demo dates (season_day draws from them).
        self.season_origin = origin = self.today_ord - 2_000
        fromordinal = dt.date.fromordinal
        self.season_cum = list(accumulate(_SEASON[fromordinal(day).month] for day in range(origin, origin + 3_200)))

    # --- helpers -------------------------------------------------------------------------------

    def table(self, name: str) -> list[Row]:
        return self.rows.setdefault(name, [])

    def one(self, options: Sequence[T]) -> T:
        return options[int(self.r() * len(options))]

    def between(self, low: int, high: int) -> int:
        """Return a random integer in [low, high] (cheaper than randint)."""
        return low + int(self.r() * (high - low + 1))

    def day_ts(self, day: int) -> int:
        """Return the UTC timestamp of midnight starting the day with this ordinal."""
        return self.anchor_ts + (day - self.today_ord) * DAY

    def work_ts(self, day: int) -> int:
        """Return a random instant in Beijing office hours (09:00-18:00, UTC+8) on the day."""
        return self.anchor_ts + (day - self.today_ord) * DAY + 3600 + int(self.r() * 32_400)

    def due_ts(self, day: int) -> int:
        """Return when a task planned for the day is due: mostly at 09:00 Beijing (a plan without a time), else
        at a time in office hours."""
        if self.r() < 0.6:
            return self.day_ts(day) + 3600
        return self.work_ts(day)

    def text(self, pairs: Sequence[tuple[str, str]], lang: int) -> str:
        return pairs[int(self.r() * len(pairs))][lang]

    def service_years(self, index: int) -> list[tuple[int, int]]:
        """The last year and the year before it (first and last day), each cut to the days the customer existed:
        complaints, suggestions, surveys and routine contacts are drawn for each year, so that the dashboard's
        last 12 months compare with a year that had them too."""
        today, created = self.today_ord, self.c_created[index]
        years = [(max(created, today - 365), today - 1), (max(created, today - 730), today - 366)]
        return [(first, last) for first, last in years if first <= last]

    def season_day(self, low: int, high: int) -> int:
        """Return a day in [low, high], busy months (_SEASON) more likely than quiet ones."""
        cum, origin = self.season_cum, self.season_origin
        low, high = max(low, origin), min(high, origin + len(cum) - 1)
        base = cum[low - origin - 1] if low > origin else 0.0
        return min(high, origin + bisect_right(cum, base + self.r() * (cum[high - origin] - base)))

    # --- accounts and organisation -------------------------------------------------------------

    def departments(self) -> None:
        created = self.anchor_ts - 1500 * DAY
        self.rows["departments"] = [
            {
                "id": _DEPARTMENT_ID[code],
                "code": code,
                "name": name,
                "name_zh": name_zh,
                "function": code,
                "head_id": _DEPARTMENT_HEADS[code],
                "version": 1,
                "created_at": created,
                "updated_at": created,
            }
            for code, name, name_zh in _DEPARTMENTS
        ]

    def users(self, hashes: list[str]) -> None:
        now = utcnow()
        self.rows["users"] = [
            {
                "id": index,
                "username": username,
                "display_name": name,
                "email": f"{username}@demo.example.com",
                "password_hash": password_hash,
                "role": role,
                "language": lang,
                "department_id": _MEMBERSHIP[index],
                "is_active": True,
                "failed_login_count": 0,
                "sessions_valid_after": now,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for index, ((username, name, lang, role, dept), password_hash) in enumerate(
                zip(_PEOPLE, hashes, strict=True), start=1
            )
        ]

    # --- customers, contacts, stage history ----------------------------------------------------

    def _unique(self, make: Callable[[], str]) -> str:
        for _ in range(30):
            name = make()
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        name = f"{make()} {len(self.used_names)}"
        self.used_names.add(name)
        return name

    def _cn_company(self, short_city: str, industry: str) -> tuple[str, str]:
        first, second = self.one(_BRAND_CHARS), self.one(_BRAND_CHARS)
        brand, pinyin = first[0] + second[0], first[1] + second[1]
        if industry == "government":
            if self.r() < 0.5:
                return self._unique(lambda: f"{short_city}市{self.one(_CN_DISTRICTS)}{self.one(_CN_BUREAUS)}"), "gov.cn"
            return self._unique(
                lambda: (
                    f"{short_city}{self.one(_CN_STATE_FIRMS)}集团有限公司"
                    if self.r() < 0.3
                    else f"{short_city}{brand}{self.one(_CN_STATE_FIRMS)}集团有限公司"
                )
            ), f"{pinyin}group.com.cn"

        def make() -> str:
            word = self.one(_CN_INDUSTRY_WORDS[industry])
            if self.r() < 0.15:
                return f"{brand}{word}（{short_city}）{self.pick_cn_suffix()}"
            return f"{short_city}{brand}{word}{self.pick_cn_suffix()}"

        domain = f"{pinyin}{self.one(('', 'tech', 'group', 'cn'))}.{self.one(('com.cn', 'cn', 'com'))}"
        return self._unique(make), domain

    def _en_company(self, locale: str, industry: str) -> tuple[str, str]:
        pools = self.pools
        lasts = pools.en_last[locale]
        city = self.one(_EN_CITIES[locale])
        if industry == "government":

            def make_public() -> str:
                if self.r() < 0.4:
                    return f"{self.one(_EN_CITIES[locale])} {self.one(_EN_GOVERNMENT[locale])}"
                county = f"{self.one(lasts)} {_EN_COUNTY[locale]}"
                return county if locale == "en_GB" else f"{county} {self.one(_EN_GOVERNMENT[locale])}"

            name = self._unique(make_public)
            place = "".join(ch for ch in name.split()[0].lower() if ch.isalpha())
            return name, f"{place}.{'gov' if locale == 'en_US' else 'gov.uk'}"

        def make() -> str:
            roll = self.r()
            words = _EN_INDUSTRY_WORDS[industry]
            suffix = self.one(_EN_SUFFIXES[locale])
            if roll < 0.5:
                return f"{self.one(lasts)} {self.one(words)} {suffix}"
            if roll < 0.65:
                return f"{self.one(lasts)} & {self.one(lasts)} {self.one(words)}"
            if roll < 0.8:
                return self.one(pools.en_company[locale])
            return f"{city} {self.one(words)} {suffix}"

        name = self._unique(make)
        word = "".join(ch for ch in name.split()[0].lower() if ch.isalpha()) or "mail"
        return name, f"{word}.{'com' if locale == 'en_US' else 'co.uk'}"

    def _cn_address(self, province: str, city: str, company: bool) -> str:
        street = f"{self.one(_CN_STREETS)}{self.one(_CN_STREET_SUFFIXES)}{self.between(1, 999)}号"
        place = f"{province}{city}{self.one(_CN_DISTRICTS)}{street}"
        if company and self.r() < 0.6:
            place += f"{self.one('ABCDE')}座{self.between(2, 28)}{self.between(1, 20):02d}室"
        return place

    def _en_address(self, locale: str) -> str:
        pools = self.pools
        street = self.one(pools.en_street[locale])
        city = self.one(_EN_CITIES[locale])
        if locale == "en_US":
            return f"{street}, {city}, {_US_STATES[city]} {self.one(pools.us_zip)}, USA"
        return f"{street}, {city} {self.one(pools.gb_postcode)}, United Kingdom"

    def _person(self, zh: bool, locale: str) -> tuple[str, str]:
        """Return a person's name and an e-mail local part that fits it."""
        if zh:
            surname, pinyin = self.pick_surname()
            return surname + self.one(self.pools.cn_given), f"{pinyin}{self.between(1, 9999):04d}"
        first, last = self.one(self.pools.en_first[locale]), self.one(self.pools.en_last[locale])
        return f"{first} {last}", f"{first}.{last}".lower().replace(" ", "").replace("'", "")

    def _phone(self, zh: bool, locale: str) -> str:
        r = self.r
        if zh:
            return f"+86 1{'3456789'[int(r() * 7)]}{int(r() * 1e9):09d}"
        if locale == "en_US":
            return f"+1 ({200 + int(r() * 790)}) 555-{int(r() * 10_000):04d}"
        return f"+44 20 7946 {int(r() * 1000):04d}"

    def customers(self) -> None:
        r, today = self.r, self.today_ord
        n = self.n
        customers = self.table("customers")
        contacts = self.table("contacts")
        stage_changes = self.table("stage_changes")
        # Per-customer state kept in parallel lists (index = id - 1) for the later passes.
        self.c_stage: list[str] = []
        self.c_lang: list[int] = []
        self.c_owner: list[int | None] = []
        self.c_created: list[int] = []
        self.c_signed: list[int | None] = []
        self.c_churned: list[int | None] = []
        self.c_contacts: list[tuple[int, int]] = []  # (first contact id, count)
        self.c_size: list[str | None] = []
        self.c_products: list[list[int]] = []
        self.c_path: list[list[tuple[str | None, str, int]]] = []
        self.c_drift: list[bool] = []  # lost on price lately (_DRIFT_SHARE)
        birth_start = dt.date(1962, 1, 1).toordinal()
        for cid in range(1, n + 1):
            zh = r() < 0.6
            locale = "zh_CN" if zh else ("en_US" if r() < 0.55 else "en_GB")
            lang = 0 if zh else 1
            company = r() < 0.85
            stage = self.pick_stage()
            drift = stage == "signed" and r() < _DRIFT_SHARE
            if drift:
                stage = "churned"
            owner: int | None = self.pick_owner()
            if stage == "potential" and r() < 0.03:
                owner = None  # an unassigned lead from marketing, waiting for a manager to hand it out
            industry = self.pick_industry() if company else None
            if industry == "government" and not zh and r() < 0.7:
                industry = self.pick_industry()  # few foreign public bodies buy from a Chinese vendor
            size = self.pick_size() if company else None
            if zh or r() < 0.45:
                region = self.pick_region()
                province, city = self.one(_CN_REGIONS[region][1])
                short_city = (city or province)[:-1]
                address: str | None = self._cn_address(province, city, company)
            else:
                region, address, short_city = "overseas", self._en_address(locale), ""
            if company:
                assert industry is not None
                if zh:
                    name, domain = self._cn_company(short_city or "上海", industry)
                else:
                    name, domain = self._en_company(locale, industry)
            else:
                name, own_mailbox = self._person(zh, locale)
                domain = self.one(_CN_MAIL_DOMAINS if zh else _EN_MAIL_DOMAINS)
                if r() < 0.4:
                    address = None
            # The customer's path through the stages, as day ordinals.
            intent_day = signed_day = churn_day = None
            if stage == "potential":
                first_day = today - 1 - int(365 * r() ** 1.5)
            elif stage == "intent":
                intent_day = today - 1 - int(r() * 400)
                first_day = intent_day - self.between(7, 150)
            else:
                if stage == "signed":
                    recent = r() < 0.3
                    signed_day = (
                        self.season_day(today - 365, today - 7)
                        if recent
                        else self.season_day(today - 1460, today - 366)
                    )
                else:
                    signed_day = self.season_day(today - 1460, today - 300)
                    if drift:  # the last six months, more each month
                        churn_day = today - 1 - int(179 * (1 - math.sqrt(r())))
                    else:
                        churn_day = today - self.between(30, min(540, today - signed_day - 120))
                intent_day = signed_day - self.between(14, 120)
                first_day = intent_day - self.between(7, 180)
            created = self.work_ts(first_day)
            path: list[tuple[str | None, str, int, int]] = [(None, "potential", first_day, created)]
            if intent_day is not None:
                path.append(("potential", "intent", intent_day, self.work_ts(intent_day)))
            if signed_day is not None:
                path.append(("intent", "signed", signed_day, self.work_ts(signed_day)))
            churn_reason = None
            if churn_day is not None:
                churn_reason = self.pick_drift_reason() if drift else self.pick_churn()
                path.append(("signed", "churned", churn_day, self.work_ts(churn_day)))
            for before, after, _, ts in path:
                if after == "churned":
                    reason = _CHURN_TEXTS[churn_reason][lang]  # type: ignore[index]
                else:
                    reason = _STAGE_REASONS[after][lang]
                stage_changes.append(
                    {
                        "id": len(stage_changes) + 1,
                        "customer_id": cid,
                        "from_stage": before,
                        "to_stage": after,
                        "reason": reason,
                        "changed_at": ts,
                        "changed_by_id": owner or _MARKETING_ID,
                    }
                )
            stage_ts = path[-1][3]
            expected_close = None
            if stage == "potential":
                expected_close = dt.date.fromordinal(today + int(r() * 181))
            elif stage == "intent":
                expected_close = dt.date.fromordinal(today + int(181 * r() ** 1.6))
            # Contacts: one for a person (themself), one to three for a company, the first is primary.
            first_contact_id = len(contacts) + 1
            count = 1 if not company else (1 if r() < 0.45 else (2 if r() < 0.64 else 3))
            customer_birthday = None
            for k in range(count):
                if company or k:
                    person, local = self._person(zh, locale)
                    title = self.one(_CN_TITLES if zh else _EN_TITLES)
                else:
                    person, local, title = name, own_mailbox, None
                email = f"{local}@{domain}" if r() < (0.8 if zh else 0.95) else None
                wechat = None
                if r() < (0.8 if zh else 0.1):
                    wechat = f"wxid_{self.rng.getrandbits(40):010x}" if r() < 0.5 else f"{local[:12]}_{int(r() * 1000)}"
                birthday = None
                if r() < 0.3:
                    birthday = dt.date.fromordinal(birth_start + int(r() * 13_500))
                    if not company:  # a person's birthday is kept once, on the customer
                        customer_birthday, birthday = birthday, None
                contact_id = first_contact_id + k
                contacts.append(
                    {
                        "id": contact_id,
                        "customer_id": cid,
                        "name": person,
                        "title": title,
                        "phone": self._phone(zh, locale) if r() < 0.95 else None,
                        "email": email,
                        "wechat": wechat,
                        "is_primary": k == 0,
                        "birthday": birthday,
                        "notes": None,
                        "version": 1,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
            importance = self.pick_importance[size]()
            customers.append(
                {
                    "id": cid,
                    "code": f"C{cid:06d}",
                    "name": name,
                    "name_key": normalise_name(name),
                    "customer_type": "company" if company else "individual",
                    "industry": industry,
                    "region": region,
                    "address": address,
                    "company_size": size,
                    "source_channel": self.pick_source(),
                    "owner_id": owner,
                    "department_id": _USER_DEPARTMENT[owner] if owner else None,
                    "needs": self.text(_NEEDS, lang) if r() < 0.7 else None,
                    "products_in_use": None,
                    "decision_process": self.text(_DECISIONS, lang) if company and r() < 0.4 else None,
                    "competitors": self.one(_COMPETITORS)[lang] if r() < 0.3 else None,
                    "preferences": self.text(_PREFERENCES, lang) if r() < 0.3 else None,
                    "notes": None,
                    "birthday": customer_birthday,
                    "first_contact_date": dt.date.fromordinal(first_day),
                    "share_consent": r() < 0.2,
                    "lifecycle_stage": stage,
                    "stage_changed_at": stage_ts,
                    "churn_reason": churn_reason,
                    "need_type": self.pick_need(),
                    "importance": importance,
                    "expected_close_date": expected_close,
                    "value_tier": None,
                    "size_class": None,
                    "relationship": None,
                    "credit_risk": None,
                    "rfm_recency_days": None,
                    "rfm_frequency": None,
                    "rfm_monetary": None,
                    "rfm_r": None,
                    "rfm_f": None,
                    "rfm_m": None,
                    "classified_at": None,
                    "last_contact_at": None,
                    "next_follow_up_at": None,
                    "version": 1,
                    "created_at": created,
                    "updated_at": stage_ts,
                }
            )
            self.c_stage.append(stage)
            self.c_lang.append(lang)
            self.c_owner.append(owner)
            self.c_created.append(first_day)
            self.c_signed.append(signed_day)
            self.c_churned.append(churn_day)
            self.c_contacts.append((first_contact_id, count))
            self.c_path.append([(before, after, ts) for before, after, _, ts in path])
            self.c_size.append(size)
            self.c_drift.append(drift)

    # --- orders, contracts, payments, credit -----------------------------------------------------

    def commerce(self) -> None:
        r, gauss, today = self.r, self.rng.gauss, self.today_ord
        orders = self.table("orders")
        contracts = self.table("contracts")
        payments = self.table("contract_payments")
        credit = self.table("credit_events")
        n = self.n
        self.o_count = [0] * n
        self.o_sum = [0] * n  # cents
        self.o_last: list[int | None] = [None] * n
        self.o_first = [0] * n
        self.contract_end: list[int | None] = [None] * n  # end of the active contract
        self.c_products = [[] for _ in range(n)]
        window_start = today - 730
        exp, fromordinal = math.exp, dt.date.fromordinal
        product_names = [name for name, _ in _PRODUCTS]
        day_zero = self.anchor_ts - today * DAY + 3600  # + day * DAY: 09:00 Beijing time on that day
        for index in range(n):
            signed = self.c_signed[index]
            if signed is None:
                continue
            cid = index + 1
            lang = self.c_lang[index]
            churned = self.c_churned[index]
            low = max(signed, window_start)
            high = today - 1 if churned is None else min(churned, today - 180)
            roll = r()
            # Heavy-tailed: most customers order 1-10 times in two years, a few 20-60 times.
            base = self.between(1, 10) if roll < 0.8 else self.between(11, 19) if roll < 0.96 else self.between(20, 60)
            drift = self.c_drift[index]
            if drift:  # small, price-sensitive buyers: low value
                base = min(base, 4)
            count = max(1, round(base * (high - low + 1) / 730))
            season_day = self.season_day
            days = sorted(season_day(low, high) for _ in range(count))
            if signed >= window_start:
                days[0] = signed  # the first deal is the signing
            products = sorted({self.pick_product() for _ in range(1 + int(r() * 3))})
            self.c_products[index] = products
            mu = math.log(12_000) + _SIZE_SPEND[self.c_size[index]] + gauss(0, 0.5) - (0.8 if drift else 0.0)
            total = 0
            for day in days:  # the hottest loop of all: kept to plain local operations
                product = products[int(r() * len(products))] if r() < 0.85 else self.pick_product()
                cents = int(min(500_000, max(1_000, exp(mu + 0.9 * gauss(0, 1)))) * 100)
                total += cents
                order_id = len(orders) + 1
                created = day_zero + day * DAY + int(r() * 32_400)
                order_date = fromordinal(day)
                orders.append(
                    {
                        "id": order_id,
                        "customer_id": cid,
                        "order_no": f"SO{order_date.year}{order_date.month:02d}-{order_id:07d}",
                        "order_date": order_date,
                        "product": product_names[product],
                        "amount": Decimal(cents).scaleb(-2),
                        "currency": "CNY",
                        "notes": None,
                        "version": 1,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
            self.o_count[index] = count
            self.o_sum[index] = total
            self.o_last[index] = days[-1]
            self.o_first[index] = days[0]
            if r() < (0.7 if churned is None else 0.6):
                self._contracts(index, lang, signed, churned, mu, products, contracts, payments, credit)

    def _contracts(
        self,
        index: int,
        lang: int,
        signed: int,
        churned: int | None,
        mu: float,
        products: list[int],
        contracts: list[Row],
        payments: list[Row],
        credit: list[Row],
    ) -> None:
        r, today = self.r, self.today_ord
        cid = index + 1
        payer = _PAYERS[self.pick_payer()]
        start = signed
        while start + 365 < today - 730:  # older contracts are out of the demo's two-year window
            start += 365
        last_end = churned if churned is not None else today + 800
        while start <= last_end - 30:
            length = 730 if r() < 0.2 else 365
            end = min(start + length - 1, last_end)
            status = "active" if end >= today else "expired"
            contract_id = len(contracts) + 1
            product = _PRODUCTS[self.one(products)][0]
            terms = self.pick_terms()
            value = int(min(3_000_000, max(5_000, math.exp(mu + 1.1 + 0.4 * self.rng.gauss(0, 1)))) * 100)
            created = self.work_ts(start - self.between(3, 20))
            contracts.append(
                {
                    "id": contract_id,
                    "customer_id": cid,
                    "code": f"HT{dt.date.fromordinal(start).year}-{contract_id:06d}",
                    "title": f"{product} {'年度合作协议' if lang == 0 else 'annual agreement'}",
                    "start_date": dt.date.fromordinal(start),
                    "end_date": dt.date.fromordinal(end),
                    "value": _money(value),
                    "status": status,
                    "payment_terms": terms[1 + lang],
                    "version": 1,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            installments = terms[0]
            step = max(1, length // installments)
            share = value // installments
            for k in range(installments):
                due = start + 30 + k * step if installments == 1 else start + k * step + 15
                if due > end + 30:
                    break
                amount = share if k < installments - 1 else value - share * (installments - 1)
                paid_date = paid_amount = None
                if due < today:
                    roll = r()
                    if roll < payer[1]:
                        paid = due - int(r() * 6)
                    elif roll < payer[1] + payer[2]:
                        paid = due + 1 + int(r() * payer[3])
                    else:
                        paid = None
                    if paid is not None and paid >= today:
                        paid = None
                    if paid is not None:
                        paid_date, paid_amount = dt.date.fromordinal(paid), _money(amount)
                        late = paid - due
                        if late > 0:
                            self._credit_event(credit, index, "late_payment", paid, late, amount, lang)
                    else:
                        self._credit_event(credit, index, "overdue", due + 1, today - due, amount, lang)
                payments.append(
                    {
                        "id": len(payments) + 1,
                        "contract_id": contract_id,
                        "due_date": dt.date.fromordinal(due),
                        "amount": _money(amount),
                        "paid_date": paid_date,
                        "paid_amount": paid_amount,
                        "version": 1,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
            if status == "active":
                self.contract_end[index] = end
                if end - today < 60 and r() < 0.4:
                    contracts.append(
                        {
                            "id": len(contracts) + 1,
                            "customer_id": cid,
                            "code": f"HT{dt.date.fromordinal(end + 1).year}-{len(contracts) + 1:06d}",
                            "title": f"{product} {'续约协议（草稿）' if lang == 0 else 'renewal (draft)'}",
                            "start_date": dt.date.fromordinal(end + 1),
                            "end_date": dt.date.fromordinal(end + 365),
                            "value": _money(value),
                            "status": "draft",
                            "payment_terms": terms[1 + lang],
                            "version": 1,
                            "created_at": self.anchor_ts,
                            "updated_at": self.anchor_ts,
                        }
                    )
                break
            if churned is None and r() > 0.85:
                break  # not renewed; the customer still orders without a framework agreement
            start = end + 1

    def _credit_event(
        self, credit: list[Row], index: int, kind: str, day: int, days_late: int, cents: int, lang: int
    ) -> None:
        weight = default_weight(kind, days_late)
        if day > self.today_ord - Thresholds.credit_window_days:
            self.credit_points[index] += float(weight)
        created = self.work_ts(min(day, self.today_ord - 1))
        if kind == "overdue":
            note = f"逾期未付 {days_late} 天" if lang == 0 else f"Unpaid, {days_late} days overdue"
        else:
            note = f"延迟 {days_late} 天付款" if lang == 0 else f"Paid {days_late} days late"
        credit.append(
            {
                "id": len(credit) + 1,
                "customer_id": index + 1,
                "event_date": dt.date.fromordinal(day),
                "kind": kind,
                "weight": weight,
                "amount": _money(cents),
                "days_late": days_late,
                "note": note,
                "version": 1,
                "created_at": created,
                "updated_at": created,
            }
        )

    # --- classification (rough; the classification service recomputes it) ---------------------

    def classify(self) -> None:
        """Fill the computed classes by the default thresholds (crm/rfm.py), as a classification run would."""
        today, customers, th = self.today_ord, self.rows["customers"], Thresholds()
        monetary_cents = [amount * 100 for amount in th.monetary]
        buyers = [i for i in range(self.n) if self.o_count[i]]
        total = sum(self.o_sum[i] for i in buyers)
        key_accounts: set[int] = set()
        preceding = 0
        for i in sorted(buyers, key=lambda i: -self.o_sum[i]):  # ties keep code order, as size_classes does
            if preceding * 100 >= th.key_share_percent * total:
                break
            key_accounts.add(i)
            preceding += self.o_sum[i]
        self.value_tier: list[str] = ["low"] * self.n
        for i in range(self.n):
            row = customers[i]
            tier, relationship = "low", None
            if self.o_count[i]:
                recency, frequency, cents = today - self.o_last[i], self.o_count[i], self.o_sum[i]  # type: ignore[operator]
                rs = _band(recency, th.recency_days, upper=True)
                fs = _band(frequency, th.frequency, upper=False)
                ms = _band(cents, monetary_cents, upper=False)
                score = rs + fs + ms
                tier = "high" if score >= th.tier_high else ("medium" if score >= th.tier_medium else "low")
                first = self.o_first[i]
                relationship = (
                    "new" if today - first <= th.new_within_days or frequency < th.new_below_orders else "established"
                )
                row.update(
                    rfm_recency_days=recency,
                    rfm_frequency=frequency,
                    rfm_monetary=_money(cents),
                    rfm_r=rs,
                    rfm_f=fs,
                    rfm_m=ms,
                    products_in_use=("、" if self.c_lang[i] == 0 else ", ").join(
                        _PRODUCTS[p][0] for p in self.c_products[i]
                    ),
                )
            points = self.credit_points[i]
            risk = "high" if points >= th.credit_high else ("medium" if points >= th.credit_medium else "low")
            self.value_tier[i] = tier
            row.update(
                value_tier=tier,
                size_class="key" if i in key_accounts else "small",
                relationship=relationship,
                credit_risk=risk,
                classified_at=self.anchor_ts,
            )

    # --- complaints, suggestions, surveys ------------------------------------------------------

    def complaints(self) -> None:
        """Complaints as crm/complaints leaves them: C-YYYY-NNNNNN numbers, deadlines, events along the workflow."""
        r = self.r
        complaints = self.table("complaints")
        events = self.table("complaint_events")
        self.open_complaints: list[tuple[int, int, int, int]] = []  # (customer index, complaint id, assignee, due ts)
        self.closed_complaints: list[tuple[int, int, int, bool]] = []  # (index, complaint id, closed ts, satisfied)
        self.c_complained = [False] * self.n
        chance = {"signed": 0.12, "churned": 0.15, "intent": 0.03, "potential": 0.005}
        now_ts = self.anchor_ts
        # (received, customer index, lang, owner, in the spike): numbered in order
        filed: list[tuple[int, int, int, int | None, bool]] = []
        for index in range(self.n):
            for first, last in self.service_years(index):
                if r() >= chance[self.c_stage[index]]:
                    continue
                self.c_complained[index] = True
                for _ in range(2 if r() < 0.15 else 1):
                    filed.append(
                        (self.work_ts(self.between(first, last)), index, self.c_lang[index], self.c_owner[index], False)
                    )
        # The spike: the calendar months five and four before today's month.
        this_month = self.today.replace(day=1)
        spike_start = (this_month - dt.timedelta(days=140)).replace(day=1).toordinal()
        spike_end = (this_month - dt.timedelta(days=80)).replace(day=1).toordinal() - 1
        buyers = [i for i in range(self.n) if self.c_signed[i] is not None and self.c_signed[i] < spike_start]  # type: ignore[operator]
        for _ in range(round(self.n * _SPIKE_SHARE) if buyers else 0):
            index = self.one(buyers)
            self.c_complained[index] = True
            received = self.work_ts(self.between(spike_start, spike_end))
            filed.append((received, index, self.c_lang[index], self.c_owner[index], True))
        filed.sort()
        numbers: dict[int, int] = {}
        for received, index, lang, owner, spike in filed:
            cid = index + 1
            age_days = (now_ts - received) // DAY
            status = self.pick_recent_status() if age_days <= 14 else self.pick_old_status()
            if age_days > 365:  # a complaint from the year before has long been settled
                status = "rejected" if status == "rejected" else "closed"
            severity = self.pick_severity()
            category = self.pick_category()
            if spike:  # resolved since: closed with the customer satisfied, a few still awaiting confirmation
                category, status = _SPIKE_CATEGORY, "closed" if r() < 0.9 else "resolved"
            respond_h, resolve_h = _COMPLAINT_LIMITS[severity]
            department = _DEPARTMENT_ID[_COMPLAINT_DEPARTMENT[category]]
            members = _DEPARTMENT_MEMBERS[department]
            assignee = self.one(members) if members else _SERVICE_IDS[0]
            recorder = owner or _MARKETING_ID
            late_response = r() < (0.4 if spike else 0.15)
            late_resolution = r() < (0.95 if spike else 0.2)
            # The status path to the current status, with offsets in seconds from receipt.
            steps: list[tuple[str, int]] = [("new", 0)]
            respond = int(respond_h * 3600 * (1 + 2 * r() if late_response else 0.1 + 0.85 * r()))
            paused = 0
            if status != "new":
                steps.append(("acknowledged", respond))
            if status == "rejected":
                steps.append(("rejected", respond + self.between(3600, 3 * DAY)))
            elif status not in ("new", "acknowledged"):
                work = respond + self.between(600, 4 * 3600)
                steps.append(("in_progress", work))
                if status == "waiting_customer" or r() < 0.2:
                    waited_at = work + self.between(3600, DAY)
                    steps.append(("waiting_customer", waited_at))
                    if status != "waiting_customer":
                        pause = self.between(3600, 3 * DAY)
                        paused += pause
                        steps.append(("in_progress", waited_at + pause))
                if status in ("resolved", "closed", "reopened"):
                    limit = resolve_h * 3600 + paused
                    solved = int(limit * (1.1 + r() if late_resolution else 0.3 + 0.65 * r()))
                    steps.append(("resolved", max(solved, steps[-1][1] + 600)))
                    reopened = status == "reopened" or (status == "closed" and r() < 0.1 and not spike)
                    if reopened:  # the customer was not satisfied with the resolution
                        steps.append(("reopened", steps[-1][1] + self.between(DAY, 4 * DAY)))
                    if status == "closed":
                        if reopened:
                            steps.append(("in_progress", steps[-1][1] + self.between(3600, DAY)))
                            steps.append(("resolved", steps[-1][1] + self.between(DAY, 5 * DAY)))
                        steps.append(("closed", steps[-1][1] + self.between(DAY, 5 * DAY)))
            # Squeeze the path into the time since receipt, so that nothing happens in the future.
            span = now_ts - 600 - received
            if steps[-1][1] > span:
                factor = span / steps[-1][1]
                steps = [(name, int(offset * factor)) for name, offset in steps]
                paused = int(paused * factor)
            times: dict[str, int] = {}
            for name, offset in steps:
                times.setdefault(f"first_{name}", received + offset)
                times[name] = received + offset
            year = dt.datetime.fromtimestamp(received, dt.UTC).year
            numbers[year] = numbers.get(year, 0) + 1
            complaint_id = len(complaints) + 1
            reopen_count = sum(1 for name, _ in steps if name == "reopened")
            satisfied = True if status == "closed" else (False if reopen_count else None)
            resolved_ts = times.get("resolved") if status in ("resolved", "closed") else None
            closed_ts = times.get("closed", times.get("rejected"))
            waiting_since = received + steps[-1][1] if status == "waiting_customer" else None
            respond_due = received + respond_h * 3600
            # The resolve deadline moves with the finished pauses (calendar time); a running pause stops the clock.
            resolve_due = received + resolve_h * 3600 + paused
            respond_warn = received + int(respond_h * 3600 * 0.75)
            resolve_warn = received + int(resolve_h * 3600 * 0.75) + paused
            running = {
                "new": (respond_due, respond_warn),
                "acknowledged": (resolve_due, resolve_warn),
                "in_progress": (resolve_due, resolve_warn),
                "reopened": (resolve_due, resolve_warn),
            }
            next_due, next_warn = running.get(status, (None, None))
            contact_id = self.c_contacts[index][0]
            confirmed = times.get("closed", times.get("reopened")) if satisfied is not None else None
            contact_name = self.rows["contacts"][contact_id - 1]["name"]
            complaints.append(
                {
                    "id": complaint_id,
                    "code": f"C-{year}-{numbers[year]:06d}",
                    "customer_id": cid,
                    "contact_id": contact_id,
                    "channel": self.pick_complaint_channel(),
                    "received_at": received,
                    "received_by_id": recorder,
                    "occurred_at": received - self.between(0, 3 * DAY),
                    "description": self.text(_SPIKE_TEXTS if spike else _COMPLAINT_TEXTS[category], lang),
                    "impact_scope": self.pick_impact(),
                    "severity": severity,
                    "expected_resolution": self.text(_EXPECTED, lang),
                    "category": category,
                    "status": status,
                    "department_id": department,
                    "assignee_id": assignee,
                    "respond_due_at": respond_due,
                    "respond_warn_at": respond_warn,
                    "resolve_due_at": resolve_due,
                    "resolve_warn_at": resolve_warn,
                    "next_due_at": next_due,
                    "next_warn_at": next_warn,
                    "responded_at": times.get("acknowledged"),
                    "first_resolved_at": times.get("first_resolved"),
                    "resolved_at": resolved_ts,
                    "closed_at": closed_ts,
                    "waiting_since": waiting_since,
                    "paused_seconds": paused,
                    "reopen_count": reopen_count,
                    "escalated": False,
                    "escalated_at": None,
                    "root_cause": ("logistics" if spike else self.one(_ROOT_CAUSES[category])) if resolved_ts else None,
                    "resolution": self.text(_SPIKE_RESOLUTIONS if spike else _RESOLUTIONS, lang)
                    if "resolved" in times
                    else None,
                    "rejection_reason": (
                        ("不属于产品责任" if lang == 0 else "Not caused by our product")
                        if status == "rejected"
                        else None
                    ),
                    "customer_satisfied": satisfied,
                    "confirmed_at": confirmed,
                    "confirmed_by": contact_name if confirmed else None,
                    "confirmation_channel": self.one(("phone", "email", "wechat")) if confirmed else None,
                    "version": len(steps) + 1,
                    "created_at": received,
                    "updated_at": received + steps[-1][1],
                }
            )

            # (at, kind, from, to, actor, note, satisfied): each status change, and the hand-off on intake.
            history: list[tuple[int, str, str | None, str, int, str | None, bool | None]] = []
            previous = None
            for name, offset in steps:
                at = received + offset
                note = {"resolved": complaints[-1]["resolution"], "rejected": complaints[-1]["rejection_reason"]}.get(
                    name
                )
                confirmation = True if name == "closed" else (False if name == "reopened" else None)
                history.append(
                    (at, "transition", previous, name, recorder if name == "new" else assignee, note, confirmation)
                )
                if name == "new":  # handed to the responsible department and person on intake
                    history.append((at, "handoff", "new", "new", recorder, None, None))
                previous = name
            for at, kind, before, after, actor, note, confirmation in history:
                handoff = kind == "handoff"
                events.append(
                    {
                        "id": len(events) + 1,
                        "complaint_id": complaint_id,
                        "kind": kind,
                        "at": at,
                        "from_status": before,
                        "to_status": after,
                        "department_id": department if handoff else None,
                        "assignee_id": assignee if handoff else None,
                        "actor_id": actor,
                        "note": note,
                        "old_value": None,
                        "new_value": None,
                        "satisfied": confirmation,
                        "confirmed_by": contact_name if confirmation is not None else None,
                        "channel": complaints[-1]["confirmation_channel"] if confirmation is not None else None,
                    }
                )
            if status != "rejected" and age_days < Thresholds.credit_window_days:  # rejected ones are no evidence
                self.credit_points[index] += _COMPLAINT_POINTS[severity]
            if status in ("new", "acknowledged", "in_progress", "reopened"):
                self.open_complaints.append((index, complaint_id, assignee, resolve_due))
            elif status == "closed" and closed_ts is not None:
                self.closed_complaints.append((index, complaint_id, closed_ts, True))
        self.rows["reference_counters"] = [
            {"kind": "C", "year": year, "last_number": n} for year, n in sorted(numbers.items())
        ]

    def suggestions(self) -> None:
        r = self.r
        suggestions = self.table("suggestions")
        for index, (first, last) in ((i, year) for i in range(self.n) for year in self.service_years(i)):
            if r() >= (0.08 if self.c_stage[index] == "signed" else 0.02):
                continue
            lang = self.c_lang[index]
            received = self.work_ts(self.between(first, last))
            age = (self.anchor_ts - received) // DAY
            roll = r()
            if age < 10:
                result = None if roll < 0.6 else "adopt_partly"
            else:
                result = (
                    "adopt" if roll < 0.3 else "adopt_partly" if roll < 0.5 else "not_adopt" if roll < 0.8 else None
                )
                if result is None and age > 365:  # left over a year: decided against since
                    result = "not_adopt"
            category = self.pick_suggestion_category()
            department = _DEPARTMENT_ID[_SUGGESTION_DEPARTMENT[category]]
            evaluated = min(received + self.between(1, 10) * DAY, self.anchor_ts - 900) if result else None
            informed = None
            if result is not None and r() < 0.85:
                informed = min(evaluated + self.between(1, 10) * DAY, self.anchor_ts - 600)  # type: ignore[operator]
            reason = None
            if result is not None:
                reason = _EVALUATIONS[0 if result == "adopt" else (2 if result == "not_adopt" else 1)][lang]
            members = _DEPARTMENT_MEMBERS[department]
            suggestions.append(
                {
                    "id": len(suggestions) + 1,
                    "customer_id": index + 1,
                    "contact_id": self.c_contacts[index][0],
                    "channel": self.one(("phone", "email", "online", "visit")),
                    "received_at": received,
                    "received_by_id": self.c_owner[index] or _MARKETING_ID,
                    "content": self.text(_SUGGESTIONS, lang),
                    "category": category,
                    "department_id": department,
                    "status": "informed" if informed else ("evaluated" if result else "new"),
                    "evaluation_result": result,
                    "evaluation": reason,
                    "evaluated_at": evaluated,
                    "evaluated_by_id": (members[0] if members else _MANAGER_ID) if result else None,
                    "adopted": None if result is None else result != "not_adopt",
                    "action_taken": self.text(_ACTIONS_TAKEN, lang) if result in ("adopt", "adopt_partly") else None,
                    "customer_informed_at": informed,
                    "version": 1,
                    "created_at": received,
                    "updated_at": informed or evaluated or received,
                }
            )
        self.inquiries()

    def inquiries(self) -> None:
        """A few questions a month from signed customers: most answered, some turned into nothing more."""
        r, today = self.r, self.today_ord
        inquiries = self.table("inquiries")
        service = _DEPARTMENT_ID["service"]
        filed = []
        for index in range(self.n):
            if self.c_stage[index] in ("signed", "intent") and r() < 0.05:
                filed.append((self.work_ts(self.between(max(self.c_created[index], today - 120), today - 1)), index))
        filed.sort()
        numbers: dict[int, int] = {}
        for received, index in filed:
            lang = self.c_lang[index]
            year = dt.datetime.fromtimestamp(received, dt.UTC).year
            numbers[year] = numbers.get(year, 0) + 1
            age = self.anchor_ts - received
            answered = received + self.between(600, 2 * DAY) if age > 2 * DAY or r() < 0.5 else None
            if answered is not None and answered >= self.anchor_ts:
                answered = None
            closed = answered + self.between(3600, 3 * DAY) if answered and r() < 0.6 else None
            if closed is not None and closed >= self.anchor_ts:
                closed = None
            question, answer = _INQUIRIES[int(r() * len(_INQUIRIES))]
            assignee = self.one(_DEPARTMENT_MEMBERS[service])
            inquiries.append(
                {
                    "id": len(inquiries) + 1,
                    "code": f"Q-{year}-{numbers[year]:06d}",
                    "customer_id": index + 1,
                    "contact_id": self.c_contacts[index][0],
                    "channel": self.one(("phone", "email", "online")),
                    "received_at": received,
                    "received_by_id": assignee,
                    "question": question[lang],
                    "answer": answer[lang] if answered else None,
                    "status": "closed" if closed else ("answered" if answered else "new"),
                    "department_id": service,
                    "assignee_id": assignee,
                    "respond_due_at": received + 4 * 3600,
                    "answer_due_at": received + 2 * DAY,
                    "responded_at": answered,
                    "answered_at": answered,
                    "answered_by_id": assignee if answered else None,
                    "closed_at": closed,
                    "complaint_id": None,
                    "version": 1 + (answered is not None) + (closed is not None),
                    "created_at": received,
                    "updated_at": closed or answered or received,
                }
            )
        self.rows["reference_counters"] += [
            {"kind": "Q", "year": year, "last_number": n} for year, n in sorted(numbers.items())
        ]

    def surveys(self) -> None:
        """Templates, campaigns and responses as crm/satisfaction leaves them.

        The five default dimensions, some left unanswered; alerts flagged (NPS <= 6 or overall <= 2); checks after
        closed complaints linked to them; the running campaign's members (their tasks are made in follow_up).
        """
        r, gauss, today = self.r, self.rng.gauss, self.today_ord
        skip = random.Random(int(r() * 2**31)).random  # the new choices draw apart, leaving the main stream's order
        created = self.anchor_ts - 400 * DAY
        self.rows["survey_templates"] = [
            {
                "id": family,
                "family_id": family,
                "revision": 1,
                "name": name,
                "dimensions": list(DEFAULT_DIMENSIONS),
                "labels": {},
                "is_active": True,
                "version": 1,
                "created_at": created,
                "updated_at": created,
            }
            for family, name in ((1, "年度满意度调查 Annual satisfaction survey"), (2, "投诉回访 Post-complaint check"))
        ]
        self.running_campaign_start = running = today - 12
        campaigns = (
            (1, today - 300, today - 240, "年度满意度调查 Annual survey", {"lifecycle_stage": ["signed"]}, 7),
            (2, running, today + 40, "季度回访 Quarterly pulse", _RUNNING_CAMPAIGN_TARGET, _RUNNING_CAMPAIGN_DUE_DAYS),
            (3, today - 665, today - 605, "年度满意度调查 Annual survey", {"lifecycle_stage": ["signed"]}, 7),
        )
        self.rows["survey_campaigns"] = [
            {
                "id": cid,
                "template_id": 1,
                "name": f"{dt.date.fromordinal(start).year} {name}",
                "target": target,
                "starts_on": dt.date.fromordinal(start),
                "ends_on": dt.date.fromordinal(end),
                "due_in_days": due_days,
                "last_run_at": self.day_ts(start) + 2 * 3600,  # 10:00 in Beijing on its first day
                "version": 1,
                "created_at": self.day_ts(start),
                "updated_at": self.day_ts(start) + 2 * 3600,
            }
            for cid, start, end, name, target, due_days in campaigns
        ]
        # The running campaign asks its target's customers who have an owner: index -> the response answering it.
        self.campaign_members: dict[int, int | None] = {
            index: None
            for index in range(self.n)
            if self.c_stage[index] == "signed"
            and self.value_tier[index] in _RUNNING_CAMPAIGN_TARGET["value_tier"]
            and self.c_owner[index] is not None
        }
        responses = self.table("survey_responses")
        scores = self.table("survey_scores")
        self.alerts: dict[int, list[tuple[int, int]]] = {}  # customer index -> [(response id, responded ts)]
        closed_by_customer = {c[0]: c for c in self.closed_complaints if r() < 0.5}
        for index in range(self.n):
            post = closed_by_customer.get(index)
            annual = self.c_stage[index] == "signed" and r() < 0.3
            pulse = index in self.campaign_members and skip() < 0.35  # answered the running campaign already
            # The year before: customers signed by then, not yet churned and with an owner answered that year's survey.
            signed, churned = self.c_signed[index], self.c_churned[index]
            a_year_on = signed is not None and signed <= today - 366 and (churned is None or churned > today - 366)
            earlier = a_year_on and self.c_owner[index] is not None and skip() < 0.3
            if not (annual or post or pulse or earlier):
                continue
            lang = self.c_lang[index]
            mood = 4.1 - (0.7 if self.c_complained[index] else 0.0) + gauss(0, 0.7)
            for kind in ("earlier", "annual", "pulse", "post"):
                if kind in ("annual", "earlier"):
                    if not (annual if kind == "annual" else earlier):
                        continue
                    # Its campaign's weeks (campaign 1 last year, 3 the year before) or any day of that year.
                    back = 0 if kind == "annual" else 365
                    campaign = (1 if kind == "annual" else 3) if r() < 0.45 else None
                    if campaign is not None:
                        day = self.between(today - 300 - back, today - 240 - back)
                    else:
                        day = self.between(today - 365 - back, today - 1 - back)
                    day = max(day, self.c_signed[index] or day)
                    responded = self.work_ts(min(day, today - 1 - back))
                    template, complaint_id, channel = 1, None, self.one(("questionnaire", "online", "phone"))
                    level = mood
                elif kind == "pulse":
                    if not pulse:
                        continue
                    campaign, template, complaint_id = 2, 1, None
                    responded = self.work_ts(running + 1 + int(skip() * (today - running - 1)))
                    channel = ("questionnaire", "online", "phone")[int(skip() * 3)]
                    level = mood
                else:
                    if post is None:
                        continue
                    campaign, template, complaint_id, channel = None, 2, post[1], "phone"
                    # In office hours, one to seven days after the complaint was closed.
                    closed_day = self.today_ord + (post[2] - self.anchor_ts) // DAY
                    responded = min(self.work_ts(closed_day + self.between(1, 7)), self.anchor_ts - 600)
                    level = mood + 0.4
                response_id = len(responses) + 1
                dimension_scores = [min(5, max(1, round(level + gauss(0, 0.6)))) for _ in DEFAULT_DIMENSIONS]
                overall = min(5, max(1, round(sum(dimension_scores) / len(dimension_scores) + gauss(0, 0.3))))
                nps = min(10, max(0, round((overall - 1) * 2.4 + 0.6 + gauss(0, 1.2))))
                comment = self.text(_SURVEY_COMMENTS[overall >= 4], lang) if r() < 0.3 else None
                alert = nps <= 6 or overall <= 2
                responses.append(
                    {
                        "id": response_id,
                        "customer_id": index + 1,
                        "contact_id": self.c_contacts[index][0],
                        "template_id": template,
                        "campaign_id": campaign,
                        "complaint_id": complaint_id,
                        "channel": channel,
                        "responded_at": responded,
                        "overall_score": overall,
                        "nps": nps,
                        "comment": comment,
                        "recorded_by_id": self.c_owner[index],
                        "alert": alert,
                        "alert_closed_at": None,
                        "alert_closed_by_id": None,
                        "version": 1,
                        "created_at": responded,
                        "updated_at": responded,
                    }
                )
                # A questionnaire or an online form leaves a dimension blank now and then; at least one is answered.
                blank = 0.15 if channel != "phone" else 0.05
                answered = [skip() >= blank for _ in DEFAULT_DIMENSIONS]
                if not any(answered):
                    answered[0] = True
                for dimension, score, kept in zip(DEFAULT_DIMENSIONS, dimension_scores, answered, strict=True):
                    if kept:
                        scores.append({"response_id": response_id, "dimension": dimension, "score": score})
                if alert:
                    self.alerts.setdefault(index, []).append((response_id, responded))
                if campaign == 2 and self.campaign_members.get(index) is None:
                    self.campaign_members[index] = response_id
        self.survey_skip = skip

    def _survey_follow_ups(self, work: _CustomerWork, index: int, owner: int | None) -> None:
        """The callbacks of the customer's alerts and its running-campaign survey task, as the app leaves them.

        Each alert of a customer with an owner gave the owner a callback (the low_survey rule). About half the
        older ones were followed up by a logged call that completed it, a quarter closed by hand, the rest done
        without a call logged (or, under two months old, still waiting); a recent one is open, or called back.
        """
        skip, responses = self.survey_skip, self.rows["survey_responses"]
        for response_id, responded in self.alerts.get(index, ()) if owner is not None else ():
            start = responded + 600  # the rule ran as the response was recorded
            due = responded + 3 * DAY
            age_days = (self.anchor_ts - responded) // DAY
            roll = skip()
            if age_days > 21 and roll < 0.5 or age_days > 3 and roll < 0.3:
                called = min(responded + self.between(1, 5) * DAY, self.anchor_ts - 3600)
                task_id = self._task(
                    work,
                    "survey",
                    due,
                    "done",
                    completed=called,
                    rule="low_survey",
                    survey=response_id,
                    created=start,
                )
                self._activity(work, called, "reached", task_id, summary=_CALLBACK_SUMMARIES)
            elif age_days > 21 and roll < 0.75:
                closed = min(responded + self.between(1, 7) * DAY, self.anchor_ts - 3600)
                self._task(
                    work,
                    "survey",
                    due,
                    "done",
                    completed=closed,
                    rule="low_survey",
                    survey=response_id,
                    created=start,
                )
                responses[response_id - 1]["alert_closed_at"] = closed
                responses[response_id - 1]["alert_closed_by_id"] = work.worker
                responses[response_id - 1]["version"] = 2
                responses[response_id - 1]["updated_at"] = closed
            elif age_days > 60:  # done long ago, without a contact logged for it
                done = min(responded + self.between(2, 10) * DAY, self.anchor_ts - 3600)
                self._task(
                    work, "survey", due, "done", completed=done, rule="low_survey", survey=response_id, created=start
                )
            else:
                self._task(work, "survey", due, "open", rule="low_survey", survey=response_id, created=start)
        if index not in self.campaign_members:
            return
        answered_by = self.campaign_members[index]
        run_at = self.day_ts(self.running_campaign_start) + 2 * 3600
        due = self.day_ts(self.running_campaign_start + _RUNNING_CAMPAIGN_DUE_DAYS) + 3600  # 09:00 in Beijing
        if answered_by is None:
            task_id = self._task(work, "satisfaction_survey", due, "open", created=run_at)
        else:
            answered_at = responses[answered_by - 1]["responded_at"]
            task_id = self._task(
                work, "satisfaction_survey", due, "done", completed=max(answered_at, run_at + 600), created=run_at
            )
        self.table("survey_campaign_members").append(
            {
                "campaign_id": 2,
                "customer_id": index + 1,
                "task_id": task_id or None,
                "response_id": answered_by,
                "added_at": run_at,
            }
        )

    # --- follow-up: activities and tasks -------------------------------------------------------

    def follow_up(self) -> None:
        r, today = self.r, self.today_ord
        customers = self.rows["customers"]
        history_ts = self.day_ts(today - 730)  # the two years of service history (service_years)
        open_complaints: dict[int, list[tuple[int, int, int, int]]] = {}
        for item in self.open_complaints:
            open_complaints.setdefault(item[0], []).append(item)
        stage_outcomes = {"potential": "reached", "intent": "interested", "signed": "deal", "churned": "not_interested"}
        for index in range(self.n):
            stage, owner, churned = self.c_stage[index], self.c_owner[index], self.c_churned[index]
            row = customers[index]
            first_contact, contact_count = self.c_contacts[index]
            work = _CustomerWork(index + 1, self.c_lang[index], owner or _MARKETING_ID, first_contact, contact_count)
            # Contacts that moved the customer along, logged with the stage change they caused.
            for before, after, ts in self.c_path[index]:
                if ts >= history_ts:
                    self._activity(work, ts, stage_outcomes[after], before=before, after=after)
            # Routine contacts in each of the two years, some of them completing a planned task.
            pick_outcome = self.pick_outcome[stage]
            behind = owner == _LAGGARD_ID and r() < 0.95  # not called for months
            for low, high in self.service_years(index):
                for _ in range(self.one(_ACTIVITY_COUNTS[stage])):
                    last_day = high if churned is None or r() < 0.2 else min(high, churned)
                    if behind:
                        last_day = min(last_day, today - 130)
                    if last_day < low:
                        continue
                    ts = self.work_ts(self.between(low, last_day))
                    task_id = None
                    if r() < 0.35:
                        purpose = (
                            "win_back"
                            if churned is not None and ts > self.day_ts(churned)
                            else ("care" if r() < 0.12 else "regular_revisit")
                        )
                        task_id = self._task(
                            work,
                            purpose,
                            ts - self.between(-3, 5) * DAY,
                            "done",
                            completed=ts,
                            rule="cadence_revisit" if purpose == "regular_revisit" else None,
                        )
                    self._activity(work, ts, pick_outcome(), task_id)
            # Open work: the revisit cadence, win-back, care, complaint and survey follow-ups.
            tier, strategic = self.value_tier[index], row["importance"] == "strategic"
            prospect = stage in ("potential", "intent")
            cadence = _CADENCE["strategic"] if strategic else _CADENCE[stage if prospect else tier]
            if owner is not None and stage != "churned" and r() < 0.9:
                roll = r()
                if behind and roll < 0.9:
                    due_day = today - self.between(10, 120)  # long overdue
                elif roll < 0.2:
                    due_day = today - self.between(1, 45)  # overdue
                elif roll < 0.28:
                    due_day = today
                elif roll < 0.43:
                    due_day = today + self.between(1, 6)  # this week
                else:
                    due_day = today + self.between(7, max(7, cadence))
                self._task(
                    work,
                    "regular_revisit",
                    self.due_ts(due_day),
                    "open",
                    rule="cadence_revisit",
                    recurrence=cadence,
                    priority="high" if tier == "high" or strategic else "normal",
                )
            if owner is not None and churned is not None and r() < 0.5:
                self._task(
                    work,
                    "win_back",
                    self.due_ts(today + self.between(-10, 30)),
                    "open",
                    rule="churn_win_back",
                    priority="high" if tier == "high" else "normal",
                )
            if owner is not None and stage == "signed" and r() < 0.04:
                self._task(work, "care", self.due_ts(today + self.between(0, 14)), "open")
            for _, complaint_id, assignee, due in open_complaints.get(index, ()):
                if "complaint" not in work.open_purposes:
                    self._task(
                        work, "complaint", due, "open", priority="high", assignee=assignee, complaint=complaint_id
                    )
            self._survey_follow_ups(work, index, owner)
            if r() < 0.03:
                self._task(
                    work, self.one(("regular_revisit", "care")), self.work_ts(today - self.between(5, 120)), "cancelled"
                )
            row["last_contact_at"] = work.last_contact or None
            row["next_follow_up_at"] = work.next_due

    def _activity(
        self,
        work: _CustomerWork,
        ts: int,
        outcome: str,
        task_id: int | None = None,
        before: str | None = None,
        after: str | None = None,
        summary: Sequence[tuple[str, str]] | None = None,
    ) -> None:
        r, lang = self.r, work.lang
        activities = self.table("activities")
        when = ts
        next_step = next_due_at = None
        if r() < 0.4 and outcome not in ("deal", "not_interested"):
            next_step = self.text(_NEXT_STEPS, lang)
            next_due_at = ts + self.between(7, 30) * DAY
        activities.append(
            {
                "id": len(activities) + 1,
                "customer_id": work.customer_id,
                "contact_id": work.first_contact + int(r() * work.contact_count),
                "owner_id": work.worker,
                "channel": self.pick_channel(),
                "occurred_at": when,
                "summary": self.text(summary or _SUMMARIES[outcome], lang),
                "outcome": outcome,
                "next_step": next_step,
                "next_due_at": next_due_at,
                "task_id": task_id,
                "stage_before": before,
                "stage_after": after,
                "version": 1,
                "created_at": when,
                "updated_at": when,
            }
        )
        work.last_contact = max(work.last_contact, ts)

    def _task(
        self,
        work: _CustomerWork,
        purpose: str,
        due: int,
        status: str,
        *,
        completed: int | None = None,
        rule: str | None = None,
        recurrence: int | None = None,
        priority: str = "normal",
        assignee: int | None = None,
        complaint: int | None = None,
        survey: int | None = None,
        created: int | None = None,
    ) -> int:
        tasks = self.table("follow_up_tasks")
        task_id = len(tasks) + 1
        if created is None:
            created = min(due, self.anchor_ts) - self.between(1, 30) * DAY - int(self.r() * 20_000)
        open_key = None
        if status == "open":
            if purpose in work.open_purposes:  # at most one open task per customer and purpose
                return 0
            work.open_purposes.add(purpose)
            work.next_due = due if work.next_due is None else min(work.next_due, due)
            open_key = f"{work.customer_id}:{purpose}"
        lang = work.lang
        tasks.append(
            {
                "id": task_id,
                "customer_id": work.customer_id,
                "contact_id": work.first_contact,
                "owner_id": assignee or work.worker,
                "due_at": due,
                "priority": priority,
                "purpose": purpose,
                "channel": self.pick_channel(),
                "note": _TASK_NOTES[purpose][lang],
                "status": status,
                "open_key": open_key,
                "recurrence_days": recurrence,
                "created_by_rule": rule,
                "reschedule_reason": ("客户要求改期" if lang == 0 else "Customer asked to reschedule")
                if status == "cancelled"
                else None,
                "completed_at": completed if completed is not None else None,
                "source_complaint_id": complaint,
                "source_survey_id": survey,
                "version": 1,
                "created_at": created,
                "updated_at": completed or created,
            }
        )
        return task_id

    # --- care dates, tags, reference data --------------------------------------------------------

    def tags_and_anniversaries(self) -> None:
        r, today = self.r, self.today_ord
        customers = self.rows["customers"]
        tags = self.table("customer_tags")
        key_dates = self.table("key_dates")
        for index in range(self.n):
            row = customers[index]
            cid = index + 1
            chosen: list[str] = []
            if row["value_tier"] == "high" and r() < 0.6:
                chosen.append("vip")
            if row["industry"] == "government":
                chosen.append("gov")
            if row["credit_risk"] == "high" or (row["lifecycle_stage"] == "signed" and r() < 0.04):
                chosen.append("at-risk")
            end = self.contract_end[index]
            if end is not None and end - today <= 180:
                chosen.append(f"renewal-{dt.date.fromordinal(end).year}")
            if r() < 0.08:
                chosen.append(self.one(_TAGS_EXTRA))
            created = row["created_at"]
            for tag in list(dict.fromkeys(chosen))[:2]:
                tags.append({"customer_id": cid, "tag": tag, "created_at": created})
            # Care dates (crm/care.py reads birthdays from contacts and customers, and first deals from
            # orders): here only what those cannot show, the signing of partnerships older than the orders
            # kept, and companies' founding days.
            lang = self.c_lang[index]
            signed = self.c_signed[index]
            if signed is not None and self.c_churned[index] is None and signed < today - 730:
                self._key_date(key_dates, cid, "anniversary", signed, _CARE_LABELS["partnership"][lang], created)
            if row["customer_type"] == "company" and r() < 0.2:
                founded = self.between(dt.date(1992, 1, 1).toordinal(), dt.date(2020, 12, 31).toordinal())
                self._key_date(key_dates, cid, "anniversary", founded, _CARE_LABELS["founding"][lang], created)
            elif row["lifecycle_stage"] == "signed" and r() < 0.05:
                event = today + self.between(1, 300)
                self._key_date(key_dates, cid, "other", event, _CARE_LABELS["conference"][lang], created)

    def _key_date(self, key_dates: list[Row], customer_id: int, kind: str, day: int, label: str, created: int) -> None:
        date = dt.date.fromordinal(day)
        key_dates.append(
            {
                "id": len(key_dates) + 1,
                "customer_id": customer_id,
                "contact_id": None,
                "kind": kind,
                "month_day": f"{date.month:02d}-{date.day:02d}",
                "date": date,
                "label": label,
                "version": 1,
                "created_at": created,
                "updated_at": created,
            }
        )

    def reference_data(self) -> None:
        created = self.anchor_ts - 400 * DAY
        self.rows["service_policies"] = [
            {
                "id": index,
                "dimension": dimension,
                "class_value": value,
                "cadence_days": days,
                "description_en": en,
                "description_zh": zh,
                "version": 1,
                "created_at": created,
                "updated_at": created,
            }
            for index, ((dimension, value), (days, en, zh)) in enumerate(DEFAULT_POLICIES.items(), start=1)
        ]
        holidays: list[tuple[dt.date, str]] = []
        for year in (self.today.year, self.today.year + 1):
            holidays += [(dt.date(year, month, day), name) for month, day, name in _HOLIDAYS_FIXED]
        for name, dates in _HOLIDAYS_LUNAR.items():
            holidays += [(dt.date.fromisoformat(d), name) for d in dates]
        horizon = self.today + dt.timedelta(days=366)
        coming = sorted(h for h in holidays if self.today <= h[0] < horizon)
        self.rows["holidays"] = [
            {"id": index, "date": day, "name": name, "version": 1, "created_at": created, "updated_at": created}
            for index, (day, name) in enumerate(coming, start=1)
        ]

    def build(self, hashes: list[Future[str]]) -> None:
        """Generate every table's rows (the customers' computed columns need all the others first)."""
        self.departments()
        self.customers()
        self.credit_points = [0.0] * self.n
        self.commerce()
        self.complaints()
        self.classify()
        self.suggestions()
        self.surveys()
        self.follow_up()
        self.tags_and_anniversaries()
        self.reference_data()
        self.users([future.result() for future in hashes])


@contextmanager
def _no_gc() -> Iterator[None]:
    # Millions of small dicts make the cyclic collector rescan the heap over and over; none are cyclic.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _delete_order() -> list[Table]:
    """Tables children first (reversed: parents first); activities before follow_up_tasks, their use_alter FK."""
    tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name != "activities"]
    return [Activity.__table__, *tables]


def _sqlite_datetime(value: dt.datetime) -> str:
    """Format an aware datetime as UTCDateTime stores it on SQLite: naive UTC, "YYYY-MM-DD HH:MM:SS.ffffff"."""
    if value.tzinfo is not dt.UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(dt.UTC)
    return value.isoformat(" ", "microseconds")[:26]


class _IsoDays(dict[int, str]):
    """Days since 1970-01-01 to ISO dates, filled in on first use."""

    def __missing__(self, day: int) -> str:
        text = self[day] = (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()
        return text


@cache
def _sqlite_stamps() -> Callable[[Any], str]:
    """Return a formatter from epoch seconds (or an aware datetime) to UTCDateTime's SQLite form."""
    clock = [f"{h:02d}:{m:02d}:{s:02d}.000000" for h in range(24) for m in range(60) for s in range(60)]
    days = _IsoDays()

    def format_stamp(value: Any) -> str:
        if value.__class__ is int:
            return f"{days[value // DAY]} {clock[value % DAY]}"
        return _sqlite_datetime(value)

    return format_stamp


def _insert_rows(session: Session, table: Table, rows: list[Row]) -> None:
    """Bulk insert rows (dicts with the same keys) in chunks of CHUNK."""
    keys = list(rows[0])
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        quote = connection.dialect.identifier_preparer.quote
        sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(key) for key in keys)}) "
            f"VALUES ({', '.join('?' * len(keys))})"
        )
        for batch in _sqlite_batches(connection, table, rows, keys):
            connection.exec_driver_sql(sql, batch)
        return
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(table), _typed(table, rows[start : start + CHUNK], keys))


def _typed(table: Table, rows: list[Row], keys: Sequence[str]) -> list[Row]:
    """Copy the rows' keys for insert(table), with epoch seconds made aware datetimes for UTCDateTime."""
    stamps = {key for key in keys if isinstance(table.c[key].type, UTCDateTime)}
    return [
        {
            key: dt.datetime.fromtimestamp(row[key], dt.UTC) if key in stamps and type(row[key]) is int else row[key]
            for key in keys
        }
        for row in rows
    ]


def _sqlite_batches(connection: Connection, table: Table, rows: list[Row], keys: list[str]) -> Iterator[list[Any]]:
    """Yield chunks of value tuples, in the order of keys, as SQLite stores them."""
    # On SQLite the Python side of insert(table) (parameter building and type processing, a few
    # microseconds per value) costs more than SQLite itself, so values are brought into their stored
    # form here: the two timestamp types by hand (the formats SQLAlchemy's SQLite DATE and DATETIME
    # store, checked by a test), every other type by its own bind processor.
    dialect = connection.dialect
    converters: list[tuple[int, Callable[[Any], Any]]] = []
    format_stamp = _sqlite_stamps()
    for position, key in enumerate(keys):
        column_type = table.c[key].type
        convert: Callable[[Any], Any] | None
        if isinstance(column_type, UTCDateTime):
            convert = format_stamp
        elif isinstance(column_type, Date):
            convert = dt.date.isoformat
        else:
            convert = column_type.dialect_impl(dialect).bind_processor(dialect)
        if convert is not None:
            converters.append((position, convert))
    values_of = itemgetter(*keys) if len(keys) > 1 else lambda row: (row[keys[0]],)
    for start in range(0, len(rows), CHUNK):
        tuples = list(map(values_of, rows[start : start + CHUNK]))
        if converters:  # column by column: transposing with zip is far cheaper than a loop per row
            columns: list[Sequence[Any]] = list(zip(*tuples, strict=True))
            done: list[tuple[Sequence[Any], Callable[[Any], Any], Sequence[Any]]] = []
            for position, convert in converters:
                raw = columns[position]
                # created_at and updated_at (and occurred_at) are often the very same values: convert once.
                same = next((out for seen, how, out in done if how is convert and seen == raw), None)
                columns[position] = same if same is not None else [None if v is None else convert(v) for v in raw]
                done.append((raw, convert, columns[position]))
            tuples = list(zip(*columns, strict=True))
        yield tuples


@contextmanager
def _sqlite_bulk_load(session: Session) -> Iterator[None]:
    """On SQLite, drop the secondary indexes for the load and build them again at the end."""
    # Building an index once from sorted data is cheaper than updating it for every inserted row, and a
    # big page cache keeps SQLite from spilling the same dirty pages to the WAL again and again. The
    # DROP and CREATE run in the load's transaction, so a failed load rolls them back with the rows.
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    previous = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    connection.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MiB
    try:
        indexes = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
        ).all()
        for name, _ in indexes:
            connection.exec_driver_sql(f'DROP INDEX "{name}"')
        yield
        for _, create in indexes:
            connection.exec_driver_sql(create)
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(previous)}")


def _delete_everything(session: Session) -> None:
    session.execute(text("UPDATE activities SET task_id = NULL"))
    for table in _delete_order():
        session.execute(table.delete())


def _reset_sequences(session: Session) -> None:
    move_sequences_past_ids(
        session.connection(),
        [
            table.name
            for table in Base.metadata.sorted_tables
            if (column := table.c.get("id")) is not None and column.primary_key and isinstance(column.type, Integer)
        ],
    )


def _search_texts(builder: _Builder) -> list[tuple[int, SearchText]]:
    """The customers' search text (crm.customers.search_index), from the generated rows (no contact is archived)."""
    contacts: dict[int, list[tuple[str | None, str | None, str | None]]] = {}
    for contact in builder.rows["contacts"]:
        contacts.setdefault(contact["customer_id"], []).append((contact["name"], contact["email"], contact["phone"]))
    return [(c["id"], search_text(c["name"], c["code"], contacts.get(c["id"], ()))) for c in builder.rows["customers"]]


# The settings row a load writes first: two loads racing on an empty database both try to insert it, and the
# second waits for the first to commit, then finds it there (a unique key) and is refused.
MARKER = "demo_data"
# Audit rows with no user that the demo's own data may gain without anyone entering data: the load's own seed row,
# a classification run (python -m crm classify) and the follow-ups the automatic rules plan (follow-ups generate).
_UNATTENDED = (("seed", "database"), ("recompute", "classification"), (None, "follow_up_tasks"))


def _require_empty(session: Session) -> None:
    if session.scalar(select(Customer.id).limit(1)) is not None or session.scalar(select(User.id).limit(1)):
        raise CrmError("demo.not_empty")


def _claim_empty(session: Session, *, customers: int, seed: int) -> None:
    """Write the marker, then check the database is empty, inside the load's transaction (refused if not)."""
    try:
        with session.begin_nested():
            session.add(Setting(key=MARKER, value={"customers": customers, "seed": seed}))
    except IntegrityError as exc:  # another load (or an earlier one) got there first
        raise CrmError("demo.not_empty") from exc
    _require_empty(session)


def demo_only(session: Session) -> bool:
    """Tell whether everything in the database was made by the demo (or by its accounts using the app).

    That is: the demo's seed record is there; every account is one of the demo's own (same id, same username);
    and no audit row without a user is anything but the unattended jobs (_UNATTENDED), so nothing was imported or
    added from the command line. Any other account, or an account's changes recorded under another name, means
    real work is in the database.
    """
    seeded = session.scalar(
        select(AuditLog.id)
        .where(AuditLog.action == "seed", AuditLog.entity_type == "database", AuditLog.entity_id == "demo")
        .limit(1)
    )
    if seeded is None:
        return False
    people = {(user_id, person[0]) for user_id, person in enumerate(_PEOPLE, start=1)}
    if any((user_id, username) not in people for user_id, username in session.execute(select(User.id, User.username))):
        return False
    unattended = or_(
        *(
            and_(AuditLog.entity_type == entity, *([AuditLog.action == action] if action else []))
            for action, entity in _UNATTENDED
        )
    )
    by_hand = session.scalar(select(AuditLog.id).where(AuditLog.user_id.is_(None), ~unattended).limit(1))
    return by_hand is None


def _require_demo_only(session: Session) -> None:
    if not demo_only(session):
        raise CrmError("demo.not_demo_data")


def load_demo(
    sessions: Sessions,
    *,
    customers: int = 2000,
    seed: int = 42,
    reset: bool = False,
    delete_everything: bool = False,
    today: dt.date | None = None,
) -> dict[str, int]:
    """Fill an empty database (or, with reset, replace earlier demo data) with demo data; return rows per table.

    Without reset only an empty database is filled, checked inside the transaction that writes (two browsers
    clicking "Load demo data" at once: one loads, the other is refused). A reset replaces only a database that
    holds nothing but demo data (demo_only); delete_everything replaces whatever it holds, real data included.
    `today` (default: today in the company time zone) anchors every date: history lies before it, plans after.
    """
    if customers < 1:
        raise CrmError("demo.customers_positive")
    reset = reset or delete_everything
    passwords = [account.password for account in DEMO_ACCOUNTS]
    passwords += [secrets.token_urlsafe(24) for _ in _OWNER_STAFF]
    with sessions.read() as session:  # fail before spending seconds on generation
        if not reset:
            _require_empty(session)
        elif not delete_everything:
            _require_demo_only(session)
        today = today or company_today(session)
    counts: dict[str, int] = {}
    with _no_gc():
        with ThreadPoolExecutor(max_workers=2) as background:
            # bcrypt releases the GIL: hash on the other core while the rows are generated.
            hashes = [background.submit(hash_password, password) for password in passwords]
            builder = _Builder(customers=customers, seed=seed, today=today)
            builder.build(hashes)
        search_texts = _search_texts(builder)
        with sessions.begin() as session:
            # Again, inside the transaction that writes: the database may have changed during the generation.
            if not reset:
                _claim_empty(session, customers=customers, seed=seed)
            else:
                # One reset at a time: a second waits here, then finds the first one's demo data.
                session.scalar(select(Setting.key).where(Setting.key == MARKER).with_for_update())
                if not delete_everything:
                    _require_demo_only(session)
            with _sqlite_bulk_load(session):
                if reset:
                    _delete_everything(session)
                    session.add(Setting(key=MARKER, value={"customers": customers, "seed": seed}))
                    session.flush()
                for table in reversed(_delete_order()):  # parents first
                    rows = builder.rows.pop(table.name, None)
                    if rows is None:
                        continue
                    if rows:
                        _insert_rows(session, table, rows)
                    counts[table.name] = len(rows)
                    del rows  # free each table's rows as soon as they are written
                load_all(session.connection(), search_texts)
                counts["customer_search_texts"] = len(search_texts)
                counts["follow_up_day_counts"] = rebuild_calendar_counts(session.connection())
                counts.update(rebuild_rollups(session.connection()))
            record_loaded_run(session, as_of=today)  # the classes were computed above, as a run would
            write_audit(
                session, [audit_row(SYSTEM, "seed", "database", "demo", new=f"{customers} customers, seed {seed}")]
            )
            counts["audit_log"] = 1
            if session.get_bind().dialect.name == "postgresql":
                _reset_sequences(session)
    return counts
