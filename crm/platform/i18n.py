"""Translation catalogs (English, Simplified Chinese) and locale-aware formatting of dates and money."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_compact_currency as _babel_compact_currency
from babel.numbers import format_currency as _babel_currency
from babel.numbers import format_decimal as _babel_decimal
from babel.numbers import format_percent as _babel_percent

from crm.platform.clock import DEFAULT_TIMEZONE as DEFAULT_TIMEZONE  # format_datetime's default zone
from crm.platform.clock import zone_named

LANGUAGES: dict[str, str] = {"en": "English", "zh": "简体中文"}
DEFAULT_LANGUAGE = "en"
BABEL_LOCALES = {"en": "en_US", "zh": "zh_Hans_CN"}
# Unambiguous in both languages, 24-hour: 5 Dec 2026, 23:59 / 2026年12月5日 23:59 (never 12/5/26, 11:59 PM).
DATE_PATTERNS = {"en": "d MMM y", "zh": "y年M月d日"}
DATETIME_PATTERNS = {"en": "d MMM y, HH:mm", "zh": "y年M月d日 HH:mm"}

# key -> (English, 简体中文). Every string a user sees comes from here.
CATALOG: dict[str, tuple[str, str]] = {
    # app shell
    "app.title": ("Customer Management", "客户管理"),
    "app.tagline": ("Customers, follow-ups and service quality in one place.", "客户、跟进与服务质量，一处掌握。"),
    "app.language": ("Language", "语言"),
    "app.signed_in_as": ("Signed in as **{name}** ({role})", "当前用户：**{name}**（{role}）"),
    "app.logout": ("Sign out", "退出登录"),
    "app.logged_out": ("You have been signed out.", "您已退出登录。"),
    "app.session_ended": (
        "Your session has ended (signed out elsewhere, password or role changed, or account deactivated). Please sign in again.",
        "您的会话已失效（已在别处退出、密码或角色已更改，或账号已停用）。请重新登录。",
    ),
    "app.db_error_title": ("The database cannot be reached", "无法连接数据库"),
    "app.db_error_body": (
        "The app could not connect to **{url}**.\n\nCheck that the database server is running and reachable, that the URL in `CRM_DATABASE_URL` is right (user, password, host, port, database name), and that the user may connect. Details were written to the server log.",
        "应用无法连接到 **{url}**。\n\n请检查：数据库服务是否已启动且可访问；环境变量 `CRM_DATABASE_URL` 中的地址是否正确（用户名、密码、主机、端口、数据库名）；该用户是否有连接权限。详细信息已写入服务器日志。",
    ),
    "app.db_charset_title": ("The database cannot store Chinese text", "数据库无法保存中文"),
    "app.db_charset_body": (
        "The database's tables use the character set **{charset}**, which cannot hold Chinese characters, and the app does not convert tables that already exist. Create an empty database with `CREATE DATABASE crm CHARACTER SET utf8mb4` and point `CRM_DATABASE_URL` at it (the app creates its tables there), or convert this one with `ALTER TABLE ... CONVERT TO CHARACTER SET utf8mb4` for each table.",
        "数据库中的表使用字符集 **{charset}**，无法保存中文字符；应用不会转换已有的表。请用 `CREATE DATABASE crm CHARACTER SET utf8mb4` 新建一个空数据库并将 `CRM_DATABASE_URL` 指向它（应用会在其中建表），或对每张表执行 `ALTER TABLE ... CONVERT TO CHARACTER SET utf8mb4` 进行转换。",
    ),
    "app.page_not_allowed": ("Your role may not open this page.", "您的角色无权打开此页面。"),
    "app.unexpected_error": (
        "Something went wrong and nothing was saved. The error was logged; please try again.",
        "出现错误，未保存任何内容。错误已记录，请重试。",
    ),
    # navigation
    "nav.home": ("Overview", "概览"),
    "nav.admin": ("Administration", "系统管理"),
    "nav.customers": ("Customers", "客户"),
    "nav.classification": ("Classification", "客户分类"),
    "nav.follow_ups": ("Follow-ups", "跟进"),
    "nav.complaints": ("Complaints", "投诉与建议"),
    "nav.satisfaction": ("Satisfaction", "满意度"),
    "nav.section.work": ("Work", "工作"),
    "nav.section.manage": ("Manage", "管理"),
    # roles
    "role.admin": ("Administrator", "管理员"),
    "role.manager": ("Manager", "经理"),
    "role.staff": ("Staff", "员工"),
    "role.viewer": ("Viewer", "只读访客"),
    # login and first run
    "auth.form_title": ("Sign in", "登录"),
    "auth.username": ("Username", "用户名"),
    "auth.password": ("Password", "密码"),
    "auth.submit": ("Sign in", "登录"),
    "auth.invalid_credentials": ("Wrong username or password.", "用户名或密码错误。"),
    "auth.locked": (
        "Too many failed sign-ins: if this account exists, it is locked for 15 minutes. Try again later, or ask "
        "an administrator to unlock it.",
        "登录失败次数过多：如果该账号存在，它已被锁定 15 分钟。请稍后再试，或请管理员解锁。",
    ),
    "auth.signed_in": ("Signed in.", "登录成功。"),
    "auth.continue": ("Continue", "继续"),
    "auth.demo_hint": ("Demo accounts", "演示账号"),
    "first_run.title": ("Welcome: set up your customer-management workspace", "欢迎：初始化您的客户管理系统"),
    "first_run.intro": (
        "The database is empty. Create the administrator account to start with your own data, or explore the app with demo data first.",
        "数据库为空。您可以创建管理员账号，从自己的数据开始；也可以先用演示数据体验本系统。",
    ),
    "first_run.create_admin": ("Create the administrator", "创建管理员"),
    "first_run.display_name": ("Your name", "您的姓名"),
    "first_run.password_repeat": ("Repeat the password", "再次输入密码"),
    "first_run.create": ("Create administrator", "创建管理员"),
    "first_run.demo": ("Explore with demo data", "使用演示数据体验"),
    "first_run.demo_help": (
        "Fills the database with {n} realistic customers (Chinese and English), their orders, follow-ups, complaints and surveys, and one account per role.",
        "向数据库写入 {n} 个逼真的客户（中英文），以及订单、跟进、投诉与满意度调查，并为每种角色各建一个账号。",
    ),
    "first_run.demo_button": ("Load demo data", "加载演示数据"),
    "first_run.demo_loading": ("Loading demo data…", "正在加载演示数据……"),
    "first_run.demo_done": (
        "Demo data loaded. Sign in with one of these accounts:",
        "演示数据已加载。请使用以下账号之一登录：",
    ),
    "first_run.admin_created": ("Administrator created. Please sign in.", "管理员已创建，请登录。"),
    "first_run.passwords_differ": ("The two passwords differ.", "两次输入的密码不一致。"),
    # generic
    "common.save": ("Save", "保存"),
    "common.cancel": ("Cancel", "取消"),
    "common.yes": ("Yes", "是"),
    "common.no": ("No", "否"),
    "common.show_more": ("Show more", "显示更多"),
    "common.show_less": ("Show less", "收起"),
    "common.saved": ("Saved.", "已保存。"),
    "common.none": ("—", "—"),
    "common.page": ("Page", "页码"),
    "common.page_of": ("Page {page} of {pages} · {total} in all", "第 {page} / {pages} 页 · 共 {total} 条"),
    "common.from": ("From", "开始日期"),
    "common.to": ("To", "结束日期"),
    "common.all": ("All", "全部"),
    "common.filters": ("Filters", "筛选"),
    "common.no_rows": ("Nothing to show.", "暂无数据。"),
    # errors
    "error.generic": ("The operation failed.", "操作失败。"),
    "error.validation": ("Please correct the highlighted fields.", "请更正标出的字段。"),
    "error.permission_denied": ("You are not allowed to do this.", "您无权执行此操作。"),
    "error.not_found": ("The record no longer exists.", "该记录已不存在。"),
    "error.version_conflict": (
        "Not saved: {who} changed this record after you opened it ({fields}). Your input is kept below; review their change, then save again.",
        "未保存：在您打开后，{who} 修改了此记录（{fields}）。您的输入保留在下方；请先查看对方的修改，再重新保存。",
    ),
    "error.duplicate_submission": (
        "This form was already submitted; nothing was saved twice.",
        "该表单已提交过，未重复保存。",
    ),
    "error.database_read_only": (
        "The database is read-only, so nothing was saved (you can still look things up). Ask your administrator to "
        "check that the app may write the database file and its folder, that the disk is not full or mounted "
        "read-only, or that the app uses the primary database server rather than a read-only replica.",
        "数据库为只读，未保存任何内容（仍可查看数据）。请管理员检查：应用是否有权写入数据库文件及其所在文件夹，"
        "磁盘是否已满或以只读方式挂载，或应用连接的是否为主数据库服务器而非只读副本。",
    ),
    "validation.required": ("Required.", "必填。"),
    "validation.too_long": ("At most {max} characters.", "最多 {max} 个字符。"),
    "validation.password_short": ("At least {min} characters.", "至少 {min} 个字符。"),
    "validation.username_format": (
        "3–64 characters: lowercase letters, digits, dot, dash or underscore.",
        "3–64 个字符：小写字母、数字、点、横线或下划线。",
    ),
    "validation.username_taken": ("This username is taken.", "该用户名已被占用。"),
    "validation.email": ("Not a valid email address.", "邮箱格式不正确。"),
    "validation.role": ("Unknown role.", "未知角色。"),
    "validation.language": ("Unknown language.", "未知语言。"),
    "validation.last_admin": ("The last active administrator cannot lose that role.", "不能移除最后一个有效管理员。"),
    "validation.self_deactivate": ("You cannot deactivate your own account.", "不能停用自己的账号。"),
    "validation.date_range": ("The start date is after the end date.", "开始日期晚于结束日期。"),
    # admin page
    "admin.title": ("Administration", "系统管理"),
    "admin.tab.users": ("Users", "用户"),
    "admin.tab.audit": ("Audit trail", "审计日志"),
    "admin.tab.settings": ("Settings", "设置"),
    "admin.new_user": ("New user", "新建用户"),
    "admin.create_user": ("Create user", "创建用户"),
    "admin.user_created": ("User {username} created.", "用户 {username} 已创建。"),
    "admin.edit_user": ("Change a user", "修改用户"),
    "admin.pick_user": ("User", "用户"),
    "admin.set_role": ("Change role", "更改角色"),
    "admin.role_changed": ("Role of {username} is now {role}.", "{username} 的角色已改为 {role}。"),
    "admin.deactivate": ("Deactivate", "停用"),
    "admin.reactivate": ("Reactivate", "重新启用"),
    "admin.deactivated": (
        "{username} is deactivated and signed out everywhere.",
        "{username} 已停用，并已在所有会话中退出。",
    ),
    "admin.reactivated": ("{username} is active again.", "{username} 已重新启用。"),
    "admin.reset_password": ("Reset password", "重置密码"),
    "admin.new_password": ("New password", "新密码"),
    "admin.password_reset_done": (
        "Password of {username} reset; their open sessions are signed out.",
        "{username} 的密码已重置，其所有会话已退出。",
    ),
    "admin.unlock": ("Unlock", "解除锁定"),
    "admin.unlocked": ("{username} is unlocked.", "{username} 已解除锁定。"),
    "admin.col.username": ("Username", "用户名"),
    "admin.col.display_name": ("Name", "姓名"),
    "admin.col.email": ("Email", "邮箱"),
    "admin.col.role": ("Role", "角色"),
    "admin.col.language": ("Language", "语言"),
    "admin.col.active": ("Active", "启用"),
    "admin.col.locked_until": ("Locked until", "锁定至"),
    "admin.col.last_login": ("Last sign-in", "最近登录"),
    "admin.audit.user": ("User", "操作人"),
    "admin.audit.entity_type": ("Record type", "记录类型"),
    "admin.audit.col.at": ("When", "时间"),
    "admin.audit.col.user": ("Who", "操作人"),
    "admin.audit.col.action": ("Action", "操作"),
    "admin.audit.col.entity": ("Record", "记录"),
    "admin.audit.col.field": ("Field", "字段"),
    "admin.audit.col.old": ("Old value", "原值"),
    "admin.audit.col.new": ("New value", "新值"),
    "admin.settings.staff_read_all": (
        "Staff may view customers owned by others (read only)",
        "员工可查看他人负责的客户（只读）",
    ),
    "admin.settings.timezone": ("Company time zone", "公司时区"),
    "admin.settings.working_time": ("Follow-ups without a time are due at", "未指定时间的跟进截止于"),
    "admin.settings.working_time_help": (
        "When a follow-up planned for a day without a time is due, in the company time zone (a working hour).",
        "为某天计划跟进但未指定时间时，按公司时区在此时间到期（工作时间）。",
    ),
    "admin.settings.saved": ("Settings saved.", "设置已保存。"),
    # audit actions
    "audit.action.create": ("created", "创建"),
    "audit.action.update": ("updated", "修改"),
    "audit.action.archive": ("archived", "归档"),
    "audit.action.restore": ("restored", "恢复"),
    "audit.action.delete": ("deleted", "删除"),
    "audit.action.login": ("signed in", "登录"),
    "audit.action.login_failed": ("sign-in failed", "登录失败"),
    "audit.action.locked": ("locked", "锁定"),
    "audit.action.logout": ("signed out", "退出"),
    "audit.action.seed": ("demo data loaded", "加载演示数据"),
    # home
    "home.title": ("Overview", "概览"),
    "home.customers": ("Customers", "客户数"),
    "home.customers.own": ("My customers", "我的客户"),
    "home.customers.all": ("All customers", "全部客户"),
    "home.scope.own": (
        "These figures count your own customers and follow-ups; the Customers page may list more.",
        "以下数字只统计您负责的客户和跟进；客户页面可能列出更多客户。",
    ),
    "home.scope.all": ("These figures count all customers of the company.", "以下数字统计公司全部客户。"),
    "home.signed": ("Signed", "已签约"),
    "home.revenue_12m": ("Revenue, last 12 months", "近 12 个月收入"),
    "home.open_tasks": ("Open follow-ups", "待办跟进"),
    "home.overdue_tasks": ("Overdue follow-ups", "逾期跟进"),
    "home.open_complaints": ("Open complaints", "未结投诉"),
    "home.by_stage": ("Customers by lifecycle stage", "各合作阶段客户数"),
    "home.by_tier": ("Customers by value tier", "各价值等级客户数"),
    "home.count": ("Customers", "客户数"),
    "home.recent_changes": ("Recent changes", "最近变更"),
    "home.empty": ("No customers yet.", "暂无客户。"),
    # domain vocabularies
    "stage.potential": ("Potential", "潜在"),
    "stage.intent": ("Intent", "意向"),
    "stage.signed": ("Signed", "签约"),
    "stage.churned": ("Churned", "流失"),
    "tier.high": ("High", "高"),
    "tier.medium": ("Medium", "中"),
    "tier.low": ("Low", "低"),
    "tier.none": ("Unrated", "未评级"),
    "entity.users": ("User", "用户"),
    "entity.customers": ("Customer", "客户"),
    "entity.contacts": ("Contact", "联系人"),
    "entity.orders": ("Order", "订单"),
    "entity.contracts": ("Contract", "合同"),
    "entity.contract_payments": ("Payment", "回款"),
    "entity.departments": ("Department", "部门"),
    "entity.activities": ("Follow-up", "跟进记录"),
    "entity.follow_up_tasks": ("Planned follow-up", "跟进计划"),
    "entity.complaints": ("Complaint", "投诉"),
    "entity.suggestions": ("Suggestion", "建议"),
    "entity.survey_responses": ("Survey response", "满意度调查"),
    "entity.settings": ("Setting", "设置"),
    "entity.database": ("Database", "数据库"),
}


def catalog_files() -> list[Path]:
    """Every feature's catalog: crm/<feature>/messages.py, or crm/<feature>/messages/*.py when it has several."""
    crm_root = Path(__file__).resolve().parents[1]
    return sorted([*crm_root.glob("*/messages.py"), *crm_root.glob("*/messages/[!_]*.py")])


def _merge_module_catalogs() -> None:
    """Add each feature's catalog (a MESSAGES dict of the same shape) to CATALOG.

    The files are read as plain data, without importing their packages: a feature package imports this
    module, so importing it from here would run half-initialised code.
    """
    import importlib.util

    for path in catalog_files():
        spec = importlib.util.spec_from_file_location(
            f"_crm_catalog_{path.parent.parent.name}_{path.parent.name}_{path.stem}", path
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for key, entry in module.MESSAGES.items():
            if key in CATALOG and CATALOG[key] != entry:
                raise ValueError(f"message key {key!r} defined twice with different texts")
            CATALOG[key] = entry


_merge_module_catalogs()


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
    """Translate a catalog key into the language, filling in its parameters."""
    entry = CATALOG.get(key)
    if entry is None:
        text = key
    else:
        text = entry[1] if lang == "zh" else entry[0]
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def locale_of(lang: str) -> str:
    return BABEL_LOCALES.get(lang, BABEL_LOCALES[DEFAULT_LANGUAGE])


def format_money(amount: Decimal | float | int | None, lang: str, currency: str = "CNY") -> str:
    """Format an amount of money for the language's locale (¥1,234.50 / ¥1,234.50)."""
    if amount is None:
        return t("common.none", lang)
    return _babel_currency(amount, currency, locale=locale_of(lang))


def format_money_compact(amount: Decimal | float | int | None, lang: str, currency: str = "CNY") -> str:
    """Format a large amount briefly for headline figures (CN¥71.2M / ¥7123.5万)."""
    if amount is None:
        return t("common.none", lang)
    return _babel_compact_currency(amount, currency, locale=locale_of(lang), fraction_digits=1)


def format_number(value: Decimal | float | int | None, lang: str) -> str:
    if value is None:
        return t("common.none", lang)
    return _babel_decimal(value, locale=locale_of(lang))


def format_figure(value: Decimal | float | int | None, lang: str) -> str:
    """A figure's numerator or denominator: a count whole, a sum of money with its cents and no currency
    (288,637,128.50, not 288,637,128.5), any other fraction to two places."""
    if isinstance(value, Decimal):
        return _babel_decimal(value, format="#,##0.00", locale=locale_of(lang))
    if isinstance(value, float):
        value = int(value) if value.is_integer() else round(value, 2)
    return format_number(value, lang)


def format_percent(value: float | None, lang: str) -> str:
    if value is None:
        return t("common.none", lang)
    return _babel_percent(value, format="#,##0.0%", locale=locale_of(lang))


def format_date(value: dt.date | None, lang: str) -> str:
    """Format a day: 5 Dec 2026 / 2026年12月5日."""
    if value is None:
        return t("common.none", lang)
    pattern = DATE_PATTERNS.get(lang, DATE_PATTERNS[DEFAULT_LANGUAGE])
    return _babel_date(value, format=pattern, locale=locale_of(lang))


def format_datetime(value: dt.datetime | None, lang: str, tz: str | ZoneInfo = DEFAULT_TIMEZONE) -> str:
    """Format a UTC instant in the company's time zone: 5 Dec 2026, 23:59 / 2026年12月5日 23:59."""
    if value is None:
        return t("common.none", lang)
    if value.tzinfo is None:  # naive values read back from the database are UTC
        value = value.replace(tzinfo=dt.UTC)
    zone = tz if isinstance(tz, ZoneInfo) else zone_named(tz)
    pattern = DATETIME_PATTERNS.get(lang, DATETIME_PATTERNS[DEFAULT_LANGUAGE])
    return _babel_datetime(value.astimezone(zone), format=pattern, tzinfo=zone, locale=locale_of(lang))
