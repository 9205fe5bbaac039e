"""Import customers, contacts and orders from CSV/XLSX: column mapping, validation, dry run, bulk upsert, audit."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Table as SqlTable
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from crm.customers import CODE_COUNTER, CODE_PREFIX, DuplicateCandidate, duplicates_in_bulk, reindex_customers
from crm.exchange.exports import defuse_formula
from crm.exchange.tabular import Table, fold, read_table
from crm.follow_ups import company_today
from crm.platform import vocab
from crm.platform.access import next_codes
from crm.platform.audit import audit_row
from crm.platform.clock import utcnow
from crm.platform.errors import CrmError, ValidationCollector
from crm.platform.i18n import t
from crm.platform.names import normalise_name
from crm.platform.permissions import Actor, require
from crm.platform.rollups import CUSTOMER_ATTRIBUTES, added, moving
from crm.platform.stages import check_stage_change
from crm.platform.uow import transaction
from crm.platform.validation import (
    CODE_PATTERN,
    NUL,
    TEXT_MAX,
    check_characters,
    check_email,
    check_length,
    check_phone,
    column_limit,
    is_blank,
    normalise_phone,
    parse_amount,
)
from db.engine import Sessions
from db.models import AuditLog, Contact, Customer, Department, Order, StageChange, User

KINDS = ("customers", "contacts", "orders")
# The tables behind the models, for Core bulk statements (typed as tables for mypy).
_CUSTOMERS = Customer.__table__
_CONTACTS = Contact.__table__
_ORDERS = Order.__table__
_STAGE_CHANGES = StageChange.__table__
_AUDIT_LOG = AuditLog.__table__
IN_CHUNK = 1000  # ids or codes per IN (...) list: far below every backend's bind-parameter limit
WRITE_CHUNK = 5000  # rows per executemany
PREVIEW_ROWS = 5

_CUSTOMER_CODE = (
    "customer code",
    "customer no",
    "customer id",
    "客户编号",
    "客户代码",
    "客户编码",
    "客户号",
    "code",
    "编号",
    "代码",
    "编码",
)
_CUSTOMER_NAME = (
    "customer name",
    "customer",
    "company",
    "company name",
    "客户名称",
    "客户名",
    "客户",
    "公司名称",
    "企业名称",
    "单位名称",
)
_TITLE = ("title", "job title", "position", "职务", "职位", "联系人职务")
_PHONE = (
    "phone",
    "mobile",
    "tel",
    "telephone",
    "phone number",
    "电话",
    "手机",
    "手机号",
    "手机号码",
    "联系电话",
    "电话号码",
    "联系方式",
)
_EMAIL = ("email", "e-mail", "mail", "邮箱", "电子邮件", "电子邮箱", "邮件", "邮箱地址")
_WECHAT = ("wechat", "weixin", "微信", "微信号")
_NOTES = ("notes", "note", "remarks", "comment", "备注", "说明")
_BIRTHDAY = ("birthday", "date of birth", "生日", "出生日期")


@dataclass(frozen=True)
class FieldSpec:
    """One column an import understands: its field name, the header spellings it answers to, required or not."""

    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False


FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "customers": (
        # Without a code column, codes are drawn as the new-customer form draws them and existing customers
        # are matched by the duplicate rules (crm.customers.duplicates); see ON_DUPLICATE.
        FieldSpec(
            "code",
            (
                "code",
                "customer code",
                "customer no",
                "customer id",
                "客户编号",
                "编号",
                "代码",
                "客户代码",
                "客户编码",
                "编码",
                "客户号",
            ),
        ),
        FieldSpec(
            "name",
            (
                "name",
                "customer",
                "customer name",
                "company",
                "company name",
                "客户名称",
                "客户名",
                "名称",
                "客户",
                "公司名称",
                "企业名称",
                "单位名称",
            ),
            required=True,
        ),
        FieldSpec("customer_type", ("type", "customer type", "客户类型", "类型")),
        FieldSpec("industry", ("industry", "行业", "所属行业")),
        FieldSpec("region", ("region", "area", "地区", "区域", "所属区域", "所属地区", "大区")),
        FieldSpec("address", ("address", "地址", "联系地址", "公司地址", "详细地址")),
        FieldSpec("company_size", ("size", "company size", "规模", "公司规模", "企业规模", "人员规模")),
        FieldSpec("source_channel", ("source", "source channel", "lead source", "来源", "客户来源", "来源渠道")),
        FieldSpec("owner", ("owner", "account manager", "sales rep", "负责人", "客户经理", "销售负责人", "归属人")),
        FieldSpec("department", ("department", "部门", "所属部门")),
        FieldSpec("lifecycle_stage", ("stage", "lifecycle stage", "阶段", "合作阶段", "客户阶段")),
        FieldSpec("churn_reason", ("churn reason", "流失原因")),
        FieldSpec("need_type", ("need type", "需求类型")),
        FieldSpec("importance", ("importance", "重要性", "重要程度")),
        FieldSpec("expected_close_date", ("expected close date", "预计成交日期", "预计签约日期")),
        FieldSpec("first_contact_date", ("first contact date", "首次接触日期", "首次联系日期")),
        FieldSpec("birthday", _BIRTHDAY),
        FieldSpec("needs", ("needs", "需求", "客户需求")),
        FieldSpec("products_in_use", ("products in use", "在用产品", "使用产品")),
        FieldSpec("decision_process", ("decision process", "决策流程")),
        FieldSpec("competitors", ("competitors", "竞争对手")),
        FieldSpec("preferences", ("preferences", "偏好", "客户偏好")),
        FieldSpec("notes", _NOTES),
        FieldSpec("contact_name", ("contact", "contact name", "contact person", "联系人", "联系人姓名")),
        FieldSpec("contact_title", _TITLE),
        FieldSpec("phone", _PHONE),
        FieldSpec("email", _EMAIL),
        FieldSpec("wechat", _WECHAT),
    ),
    "contacts": (
        FieldSpec("customer_code", _CUSTOMER_CODE, required=True),
        FieldSpec("customer_name", _CUSTOMER_NAME),
        FieldSpec(
            "contact_name",
            ("name", "contact", "contact name", "contact person", "联系人", "姓名", "联系人姓名"),
            required=True,
        ),
        FieldSpec("contact_title", _TITLE),
        FieldSpec("phone", _PHONE),
        FieldSpec("email", _EMAIL),
        FieldSpec("wechat", _WECHAT),
        FieldSpec(
            "is_primary",
            (
                "primary",
                "is primary",
                "main contact",
                "primary contact",
                "主要联系人",
                "是否主要联系人",
                "首要联系人",
                "主联系人",
            ),
        ),
        FieldSpec("birthday", _BIRTHDAY),
        FieldSpec("notes", _NOTES),
    ),
    "orders": (
        FieldSpec("customer_code", _CUSTOMER_CODE, required=True),
        FieldSpec("customer_name", _CUSTOMER_NAME),
        FieldSpec("order_no", ("order no", "order number", "order id", "订单号", "订单编号", "单号")),
        FieldSpec("order_date", ("order date", "date", "订单日期", "日期", "下单日期", "成交日期"), required=True),
        FieldSpec(
            "amount", ("amount", "total", "order amount", "金额", "订单金额", "总金额", "成交金额"), required=True
        ),
        FieldSpec("product", ("product", "product name", "产品", "产品名称", "商品")),
        FieldSpec("currency", ("currency", "币种", "货币")),
        FieldSpec("notes", _NOTES),
    ),
}

# Fields holding a code from crm/vocab.py; the file may give the code or its English or Chinese label.
VOCABULARIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "customer_type": ("customer_type", vocab.CUSTOMER_TYPES),
    "industry": ("industry", vocab.INDUSTRIES),
    "region": ("region", vocab.REGIONS),
    "company_size": ("company_size", vocab.COMPANY_SIZES),
    "source_channel": ("source", vocab.SOURCES),
    "lifecycle_stage": ("stage", vocab.STAGES),
    "churn_reason": ("churn_reason", vocab.CHURN_REASONS),
    "need_type": ("need_type", vocab.NEED_TYPES),
    "importance": ("importance", vocab.IMPORTANCE),
}
# Everyday spellings the catalog labels don't cover.
_VALUE_SYNONYMS: dict[str, dict[str, str]] = {
    "customer_type": {"公司": "company", "企业客户": "company", "个人客户": "individual", "person": "individual"},
    "industry": {
        "软件": "software",
        "互联网": "software",
        "it": "software",
        "制造": "manufacturing",
        "医疗": "healthcare",
        "芯片": "semiconductors",
        "集成电路": "semiconductors",
        "政府": "government",
        "银行": "finance",
    },
    "source_channel": {
        "推荐": "referral",
        "转介绍": "referral",
        "网站": "website",
        "陌拜": "cold_call",
        "电话营销": "cold_call",
        "市场": "market_research",
    },
    "lifecycle_stage": {"已签约": "signed", "已流失": "churned", "prospect": "potential"},
}
_VALUE_SUFFIXES = ("客户", "地区", "区域", "行业")
_TRUE = frozenset({"1", "true", "yes", "y", "t", "是", "√", "✓", "✔", "主要"})
_FALSE = frozenset({"0", "false", "no", "n", "f", "否", "×", "✗"})
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_CHURNED = "churned"
OWNER_ROLES = ("admin", "manager", "staff")  # viewers never own customers (as in crm.customers.service)
_PHONE_SEPARATORS = ("-", " ", "(", ")", "+", ".")


# (record id, version it was read at, {column: (old value, new value)})
_Change = tuple[int, int, dict[str, tuple[Any, Any]]]


def _limit(model: type, column: str) -> int | None:
    return column_limit(model, column)


# Text fields and their column in db/models.py, whose limit (crm.platform.validation.column_limit: the String length,
# TEXT_MAX for Text) is the forms' limit too; a field not listed gets TEXT_MAX.
_TEXT_LIMITS: dict[str, int | None] = {
    "name": _limit(Customer, "name"),
    "address": _limit(Customer, "address"),
    **{
        name: _limit(Customer, name)
        for name in ("needs", "products_in_use", "decision_process", "competitors", "preferences", "notes")
    },
    "contact_name": _limit(Contact, "name"),
    "contact_title": _limit(Contact, "title"),
    "wechat": _limit(Contact, "wechat"),
    "customer_name": _limit(Customer, "name"),
    "order_no": _limit(Order, "order_no"),
    "product": _limit(Order, "product"),
}
ON_DUPLICATE = ("skip", "update", "new")  # what a code-less customer row that matches an existing customer does


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportIssue:
    """One problem with one row: file line (header = 1), column, error or warning, and a catalog message."""

    line: int
    field: str | None
    column: str | None
    severity: str  # "error" or "warning"
    key: str
    params: dict[str, Any] = dataclass_field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        """Say what is wrong, in the language."""
        params = dict(self.params)
        vocabulary = params.pop("vocab", None)
        if vocabulary in VOCABULARIES:
            prefix, codes = VOCABULARIES[vocabulary]
            params["allowed"] = ", ".join(t(f"{prefix}.{code}", lang) for code in codes)
        for name, prefix in params.pop("translate", {}).items():
            if params.get(name):
                params[name] = t(f"{prefix}.{params[name]}", lang)
        if "matched_on" in params:
            params["matched"] = _matched_text(params.pop("matched_on"), lang)
        return t(self.key, lang, **params)

    def column_label(self, lang: str = "en") -> str:
        """Return the file's header for the column, or the field's name in the language."""
        if self.column:
            return self.column
        return t(f"imports.field.{self.field}", lang) if self.field else ""


@dataclass(frozen=True)
class DuplicateMatch:
    """A row of a customer file without codes that looks like an existing customer, and what was done with it."""

    line: int
    name: str
    candidate: DuplicateCandidate  # the closest existing customer (most rules matched, then the oldest)
    others: int  # further existing customers the row also looks like
    action: str  # one of ON_DUPLICATE

    def message(self, lang: str = "en") -> str:
        """Say which customer the row looks like, on what, and what the import does with it."""
        return t(
            f"imports.likely_duplicate.{self.action}",
            lang,
            code=self.candidate.code,
            name=self.candidate.name,
            matched=_matched_text(self.candidate.matched_on, lang),
        )


def _matched_text(labels: Sequence[str], lang: str) -> str:
    return t("imports.matched_on.separator", lang).join(t(f"imports.matched_on.{label}", lang) for label in labels)


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, for a dry run, would do), with every bad row and every warning."""

    kind: str
    filename: str
    encoding: str | None
    dry_run: bool
    written: bool
    total_rows: int
    bad_rows: int
    counts: dict[str, int]
    issues: tuple[ImportIssue, ...]
    duplicates: tuple[DuplicateMatch, ...] = ()  # customers without codes: the rows that match existing ones

    @property
    def errors(self) -> tuple[ImportIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[ImportIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def valid_rows(self) -> int:
        return self.total_rows - self.bad_rows

    @property
    def created(self) -> int:
        return self.counts.get(f"{self.kind}.created", 0)

    @property
    def updated(self) -> int:
        return self.counts.get(f"{self.kind}.updated", 0)

    @property
    def unchanged(self) -> int:
        return self.counts.get(f"{self.kind}.unchanged", 0)

    @property
    def skipped(self) -> int:
        return self.counts.get(f"{self.kind}.skipped", 0)

    @property
    def identical_rows(self) -> int:
        return self.counts.get(f"{self.kind}.identical_rows", 0)


@dataclass(frozen=True)
class FilePreview:
    """A file as read, before any import: headers, the suggested mapping, the first rows, the row count."""

    filename: str
    encoding: str | None
    headers: tuple[str, ...]
    mapping: dict[str, str | None]
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    total_rows: int


class ReportedIssue(Protocol):
    """What a report's table and CSV read of an issue (the customer import's and the survey import's alike)."""

    @property
    def line(self) -> int: ...
    @property
    def severity(self) -> str: ...
    def column_label(self, lang: str = "en") -> str: ...
    def message(self, lang: str = "en") -> str: ...


class IssueReport(Protocol):
    @property
    def issues(self) -> Sequence[ReportedIssue]: ...


def report_rows(report: IssueReport, lang: str = "en") -> list[dict[str, Any]]:
    """Return the report as rows with headers in the language (for a table or a CSV)."""
    return [
        {
            t("imports.report.line", lang): issue.line,
            t("imports.report.column", lang): issue.column_label(lang),
            t("imports.report.severity", lang): t(f"imports.severity.{issue.severity}", lang),
            t("imports.report.message", lang): issue.message(lang),
        }
        for issue in report.issues
    ]


def report_csv(report: IssueReport, lang: str = "en") -> bytes:
    """Return the report as a CSV file in UTF-8 with a BOM, so Excel shows Chinese correctly."""
    import csv
    import io

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([t(f"imports.report.{name}", lang) for name in ("line", "column", "severity", "message")])
    for issue in report.issues:  # headers and messages quote the file's text: quoted as the export quotes it
        writer.writerow(
            [
                issue.line,
                defuse_formula(issue.column_label(lang)),
                t(f"imports.severity.{issue.severity}", lang),
                defuse_formula(issue.message(lang)),
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


# --- header recognition and mapping ---------------------------------------------------------------


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise CrmError("imports.unknown_kind", kind=kind, kinds=", ".join(KINDS))


def _alias_index(kind: str) -> dict[str, str]:
    index: dict[str, str] = {}
    specs = FIELDS[kind]
    for spec in specs:  # the explicit spellings first: they win over catalog labels
        for alias in (spec.name, *spec.aliases):
            index.setdefault(fold(alias), spec.name)
    for spec in specs:
        for lang in ("en", "zh"):
            index.setdefault(fold(t(f"imports.field.{spec.name}", lang)), spec.name)
    return index


def field_names(kind: str) -> tuple[str, ...]:
    """Return the fields an import of this kind understands, in their usual order."""
    _check_kind(kind)
    return tuple(spec.name for spec in FIELDS[kind])


def required_fields(kind: str) -> tuple[str, ...]:
    _check_kind(kind)
    return tuple(spec.name for spec in FIELDS[kind] if spec.required)


def suggest_mapping(kind: str, headers: Sequence[str]) -> dict[str, str | None]:
    """Map each header to the field it names (English or Chinese, any case or spacing), None if unknown."""
    _check_kind(kind)
    index = _alias_index(kind)
    taken: set[str] = set()
    mapping: dict[str, str | None] = {}
    for header in headers:
        name = index.get(fold(header))
        if name in taken:
            name = None  # a second column for the same field (电话 and 手机): the first one wins
        if name:
            taken.add(name)
        mapping[header] = name
    return mapping


def preview_file(
    kind: str, filename: str, data: bytes, mapping: dict[str, str | None] | None = None, *, limit: int = PREVIEW_ROWS
) -> FilePreview:
    """Read a file and return its headers, the suggested (or given) mapping and its first rows."""
    _check_kind(kind)
    table = read_table(filename, data)
    return FilePreview(
        filename=filename,
        encoding=table.encoding,
        headers=table.headers,
        mapping=_complete_mapping(kind, table.headers, mapping),
        rows=tuple(table.rows[:limit]),
        total_rows=len(table.rows),
    )


def _complete_mapping(
    kind: str, headers: Sequence[str], mapping: dict[str, str | None] | None
) -> dict[str, str | None]:
    if mapping is None:
        return suggest_mapping(kind, headers)
    known = set(field_names(kind))
    return {h: (mapping.get(h) if mapping.get(h) in known else None) for h in headers}


# --- rows ----------------------------------------------------------------------------------------


class _Row:
    """One data row: its cells by field, its errors so far, and the values parsed from it."""

    __slots__ = ("line", "values", "_errors", "data")

    def __init__(self, line: int, values: dict[str, str]) -> None:
        self.line = line
        self.values = values
        self._errors: ValidationCollector | None = None  # made on the first error: most rows have none
        self.data: dict[str, Any] = {}

    @property
    def errors(self) -> ValidationCollector:
        if self._errors is None:
            self._errors = ValidationCollector()
        return self._errors

    @property
    def bad(self) -> bool:
        return self._errors is not None and bool(self._errors.fields)

    def error(self, name: str, key: str, /, **params: Any) -> None:
        self.errors.add(name, key, **params)

    def has(self, name: str) -> bool:
        return name in self.values

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        limit = _TEXT_LIMITS.get(name) or TEXT_MAX
        if len(value) > limit:
            self.error(name, "validation.too_long", max=limit)
        return value

    def code(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            self.error(name, "validation.required")
        elif not CODE_PATTERN.match(value):
            self.error(name, "validation.code_format")
        return value

    def choice(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        code = vocabulary_code(name, value)
        if code is None:
            self.error(name, "imports.unknown_value", value=value, vocab=name)
        return code

    def date(self, name: str, today: dt.date | None = None) -> dt.date | None:
        value = self.values.get(name)
        if value is None:
            return None
        day = parse_date(value)
        if day is None:
            self.error(name, "validation.date")
        elif today is not None and day > today:
            self.error(name, "validation.future_date")  # as crm.platform.validation.check_not_future
        return day

    def boolean(self, name: str) -> bool | None:
        value = self.values.get(name)
        if value is None:
            return None
        folded = fold(value)
        if folded in _TRUE or folded == fold(t("common.yes", "en")):
            return True
        if folded in _FALSE or folded == fold(t("common.no", "en")):
            return False
        self.error(name, "imports.boolean", value=value)
        return None


_VOCAB_INDEX: dict[str, dict[str, str]] = {}


def vocabulary_code(name: str, value: str) -> str | None:
    """Return the stored code for a vocabulary value given as a code or an English/Chinese label."""
    index = _VOCAB_INDEX.get(name)
    if index is None:
        prefix, codes = VOCABULARIES[name]
        index = {}
        for code in codes:
            for spelling in (code, t(f"{prefix}.{code}", "en"), t(f"{prefix}.{code}", "zh")):
                index.setdefault(fold(spelling), code)
        for spelling, code in _VALUE_SYNONYMS.get(name, {}).items():
            index.setdefault(fold(spelling), code)
        _VOCAB_INDEX[name] = index
    folded = fold(value)
    if folded in index:
        return index[folded]
    for suffix in _VALUE_SUFFIXES:
        if folded.endswith(suffix) and folded[: -len(suffix)] in index:
            return index[folded[: -len(suffix)]]
    return None


def parse_date(value: str) -> dt.date | None:
    """Parse 2024-03-05, 2024/3/5, 2024.03.05, 2024年3月5日 or 20240305 (a time after it is ignored)."""
    text = value.strip()
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if match is None:
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- the import run --------------------------------------------------------------------------------


class _Abandon(Exception):  # noqa: N818 - control flow: roll the transaction back, keep the report
    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__("import abandoned")


def preview_import(
    sessions: Sessions,
    *,
    actor: Actor,
    kind: str,
    filename: str,
    data: bytes,
    mapping: dict[str, str | None] | None = None,
    create_missing: bool = False,
    today: dt.date | None = None,
    on_duplicate: str = "skip",
    row_choices: dict[int, str] | None = None,
) -> ImportReport:
    """Dry run: check every row against the database and report what an import would do, writing nothing."""
    return import_file(
        sessions,
        actor=actor,
        kind=kind,
        filename=filename,
        data=data,
        mapping=mapping,
        dry_run=True,
        create_missing=create_missing,
        today=today,
        on_duplicate=on_duplicate,
        row_choices=row_choices,
    )


def import_file(
    sessions: Sessions,
    *,
    actor: Actor,
    kind: str,
    filename: str,
    data: bytes,
    mapping: dict[str, str | None] | None = None,
    dry_run: bool = False,
    all_or_nothing: bool = False,
    create_missing: bool = False,
    token: str | None = None,
    today: dt.date | None = None,
    on_duplicate: str = "skip",
    row_choices: dict[int, str] | None = None,
) -> ImportReport:
    """Import a CSV/XLSX file of customers, contacts or orders in one transaction and return the report.

    Good rows are written and bad rows reported; with all_or_nothing, any bad row means nothing is written.
    A customer file without a code column gets codes drawn as the new-customer form draws them; a row that
    looks like an existing customer (crm.customers.duplicates' rules) is skipped, updates that customer, or is imported
    as a new one, as on_duplicate says for the file and row_choices (file line -> choice) for single rows.
    """
    require(actor, "customers.import")
    _check_kind(kind)
    if on_duplicate not in ON_DUPLICATE or any(c not in ON_DUPLICATE for c in (row_choices or {}).values()):
        raise CrmError("imports.unknown_choice", choices=", ".join(ON_DUPLICATE))
    filename = (filename or "").replace(NUL, "")  # the name goes to the audit trail
    table = read_table(filename, data)
    importer_class = _IMPORTERS[kind]
    choices = dict(row_choices or {})
    if dry_run:
        with sessions.read() as session:
            importer = importer_class(
                session,
                actor=actor,
                kind=kind,
                filename=filename,
                table=table,
                mapping=mapping,
                create_missing=create_missing,
                today=today,
                lock=False,
                on_duplicate=on_duplicate,
                row_choices=choices,
            )
            importer.plan()
            return importer.report(dry_run=True, written=False)
    try:
        with transaction(sessions, actor=actor, token=token, operation=f"{kind}.import") as session:
            importer = importer_class(
                session,
                actor=actor,
                kind=kind,
                filename=filename,
                table=table,
                mapping=mapping,
                create_missing=create_missing,
                today=today,
                lock=True,
                on_duplicate=on_duplicate,
                row_choices=choices,
            )
            importer.plan()
            if importer.column_errors or (all_or_nothing and importer.has_errors):
                raise _Abandon(importer.report(dry_run=False, written=False))
            importer.apply()
            report = importer.report(dry_run=False, written=True)
    except _Abandon as abandoned:
        return abandoned.report
    if kind in CLASSIFIED_KINDS:
        # Orders and customers feed the computed classes (RFM, size, relationship): refresh them now,
        # in their own transaction, so the import itself never waits on the recomputation.
        from crm.classification import recompute_after_import

        recompute_after_import(sessions, actor=actor, as_of=today)
    return report


CLASSIFIED_KINDS = frozenset({"customers", "orders"})


class _Importer:
    """Shared machinery: mapping, parsing, customer resolution by code, bulk writes, audit rows."""

    kind: str

    def __init__(
        self,
        session: Session,
        *,
        actor: Actor,
        kind: str,
        filename: str,
        table: Table,
        mapping: dict[str, str | None] | None,
        create_missing: bool,
        today: dt.date | None,
        lock: bool,
        on_duplicate: str = "skip",
        row_choices: dict[int, str] | None = None,
    ) -> None:
        self.session = session
        self.on_duplicate = on_duplicate
        self.row_choices = row_choices or {}
        self.duplicates: list[DuplicateMatch] = []
        self.actor = actor
        self.kind = kind
        self.filename = filename
        self.table = table
        self.create_missing = create_missing
        self.today = today or company_today(session)
        self.lock = lock
        self.now = utcnow()
        self.counts: dict[str, int] = {}
        self.warnings: list[ImportIssue] = []
        self.file_issues: list[ImportIssue] = []
        self.column_errors = False
        self.audit: list[dict[str, Any]] = []
        self.mapping = _complete_mapping(kind, table.headers, mapping)
        self.header_of: dict[str, str] = {}
        self._check_mapping()
        self.rows: list[_Row] = [] if self.column_errors else self._rows()
        # customers created on the way (by a customers file, or --create-missing): code -> values
        self.new_customers: dict[str, dict[str, Any]] = {}
        self.customer_ids: dict[str, int] = {}
        self.search_changed: set[int] = set()  # customers whose name or contacts changed (crm.customers.search_index)
        self.created_ids: set[int] = set()  # customers inserted: added to the KPI rollups with their records

    # mapping and rows

    def _check_mapping(self) -> None:
        for header, name in self.mapping.items():
            if name is None:
                continue
            if name in self.header_of:
                self.file_issues.append(
                    ImportIssue(1, name, header, "error", "imports.mapped_twice", {"other": self.header_of[name]})
                )
                self.column_errors = True
            else:
                self.header_of[name] = header
        for name in required_fields(self.kind):
            if name not in self.header_of:
                self.file_issues.append(ImportIssue(1, name, None, "error", "imports.missing_column"))
                self.column_errors = True

    def _rows(self) -> list[_Row]:
        positions = [(name, self.table.headers.index(header)) for name, header in self.header_of.items()]
        formulas = self.table.formula_cells
        rows = []
        for line, cells in self.table.rows:
            values: dict[str, str] = {}
            row = _Row(line, values)
            for name, index in positions:
                if index < len(cells) and cells[index] and not is_blank(cells[index]):
                    cell = values[name] = cells[index]
                    # NUL (PostgreSQL cannot store it), other control characters and bidirectional overrides are
                    # refused here for every field, before parsing, as the forms refuse them.
                    check_characters(row.errors, name, cell)
                elif formulas and (line, index) in formulas:
                    # Read as empty, but the cell holds a formula Excel never calculated: say so (before any
                    # "Required"), rather than import a blank.
                    row.error(name, "imports.formula_without_value")
            rows.append(row)
        return rows

    @property
    def has_errors(self) -> bool:
        return self.column_errors or any(row.bad for row in self.rows)

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def warn(self, row: _Row, name: str | None, key: str, /, **params: Any) -> None:
        self.warnings.append(ImportIssue(row.line, name, self.header_of.get(name or ""), "warning", key, params))

    def report(self, *, dry_run: bool, written: bool) -> ImportReport:
        issues = list(self.file_issues)
        bad = len(self.table.rows) if self.column_errors else 0
        for row in self.rows:
            if row.bad:
                bad += 1
                for name, (key, params) in row.errors.fields.items():
                    issues.append(ImportIssue(row.line, name, self.header_of.get(name), "error", key, params))
        issues.extend(self.warnings)
        issues.sort(key=lambda i: (i.line, i.severity != "error"))
        return ImportReport(
            kind=self.kind,
            filename=self.filename,
            encoding=self.table.encoding,
            dry_run=dry_run,
            written=written,
            total_rows=len(self.table.rows),
            bad_rows=bad,
            counts=dict(sorted(self.counts.items())),
            issues=tuple(issues),
            duplicates=tuple(self.duplicates),
        )

    def plan(self) -> None:
        raise NotImplementedError

    def apply(self) -> None:
        raise NotImplementedError

    # customers by code

    def _customers_by_code(self, codes: Sequence[str], columns: Sequence[Any]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for chunk in _chunks(sorted(set(codes)), IN_CHUNK):
            statement = select(Customer.code, *columns).where(Customer.code.in_(chunk))
            if self.lock:
                statement = statement.with_for_update()
            for row in self.session.execute(statement):
                found[row.code] = row
        return found

    def _resolve_customer_codes(self, rows: list[_Row], code_field: str = "customer_code") -> None:
        """Find each row's customer by code; unknown codes are errors unless missing customers may be created."""
        good = [row for row in rows if not row.bad]
        existing = self._customers_by_code([row.data[code_field] for row in good], [Customer.id, Customer.archived_at])
        self.customer_ids.update({code: r.id for code, r in existing.items()})
        for row in good:
            code = row.data[code_field]
            if code in existing and existing[code].archived_at is not None:
                self.warn(row, code_field, "imports.customer_archived", code=code)
            if code in self.customer_ids or code in self.new_customers:
                continue
            if not self.create_missing:
                row.error(code_field, "imports.unknown_customer", code=code)
                continue
            name = row.data.get("customer_name") or code
            self.new_customers[code] = self._new_customer_values({"code": code, "name": name})

    def _prune_new_customers(self, code_field: str = "customer_code") -> None:
        """Create only the missing customers that a good row still needs, and count them."""
        needed = {row.data[code_field] for row in self.rows if not row.bad}
        self.new_customers = {code: v for code, v in self.new_customers.items() if code in needed}
        if self.new_customers:
            self.count("customers.created", len(self.new_customers))

    def _new_customer_values(self, values: dict[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = {column: None for column in _CUSTOMER_WRITE_COLUMNS}
        record.update(
            customer_type="company",
            lifecycle_stage="potential",
            share_consent=False,
            version=1,
            created_at=self.now,
            updated_at=self.now,
            stage_changed_at=self.now,
        )
        record.update({k: v for k, v in values.items() if v is not None})
        record["name_key"] = normalise_name(record["name"])[: _limit(Customer, "name_key")]
        return record

    def _insert_new_customers(self) -> None:
        if not self.new_customers:
            return
        placeholders = [key for key, values in self.new_customers.items() if values["code"] is None]
        if placeholders:  # rows of a file without codes: draw the codes as the new-customer form does
            codes = next_codes(
                self.session, column=Customer.code, prefix=CODE_PREFIX, counter=CODE_COUNTER, count=len(placeholders)
            )
            for key, code in zip(placeholders, codes, strict=True):
                self.new_customers[key]["code"] = code
        key_of = {values["code"]: key for key, values in self.new_customers.items()}
        created = self._insert_returning(_CUSTOMERS, list(self.new_customers.values()), _CUSTOMERS.c.code)
        stage_rows = []
        for customer_id, drawn in created:
            code = key_of[drawn]
            self.customer_ids[code] = customer_id
            self.search_changed.add(customer_id)
            self.created_ids.add(customer_id)
            values = self.new_customers[code]
            self.audit.append(audit_row(self.actor, "create", "customers", customer_id, version=1))
            stage_rows.append(
                {
                    "customer_id": customer_id,
                    "from_stage": None,
                    "to_stage": values["lifecycle_stage"],
                    "reason": None,
                    "changed_at": self.now,
                    "changed_by_id": self.actor.id,
                }
            )
        self._executemany(insert(_STAGE_CHANGES), stage_rows)

    # bulk writes

    def _insert_returning(self, table: SqlTable, rows: list[dict[str, Any]], *columns: Any) -> list[Any]:
        """Bulk insert; return the new rows' (id, *columns) in no particular order.

        Asking for parameter order would make SQLite insert row by row; callers match by a unique column.
        """
        found: list[Any] = []
        statement = insert(table).returning(table.c.id, *columns)
        for chunk in _chunks(rows, WRITE_CHUNK):
            found.extend(self.session.execute(statement, list(chunk)).all())
        return found

    def _executemany(self, statement: Any, rows: list[dict[str, Any]]) -> None:
        for chunk in _chunks(rows, WRITE_CHUNK):
            self.session.execute(statement, list(chunk))

    def _update_versioned(
        self, table: SqlTable, entity: str, changes: list[_Change], *, silent: frozenset[str] = frozenset()
    ) -> None:
        """Apply field changes [(id, version, {column: (old, new)})] grouped by column set; audit each field."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for record_id, version, fields in changes:
            columns = tuple(sorted(fields))
            bound: dict[str, Any] = {f"v_{c}": new for c, (_old, new) in fields.items()}
            bound.update(b_id=record_id, b_version=version)
            groups.setdefault(columns, []).append(bound)
            for column, (old, new) in fields.items():
                if column not in silent:
                    self.audit.append(
                        audit_row(
                            self.actor, "update", entity, record_id, field=column, old=old, new=new, version=version + 1
                        )
                    )
        for columns, params in groups.items():
            statement = (
                update(table)
                .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
                .values({c: bindparam(f"v_{c}") for c in columns})
                .values(version=table.c.version + 1, updated_at=self.now)
            )
            for chunk in _chunks(params, WRITE_CHUNK):
                result = self.session.execute(statement, list(chunk))
                multi = self.session.get_bind().dialect.supports_sane_multi_rowcount
                # version = the one read in this transaction: a lower count means someone else wrote meanwhile
                if multi and getattr(result, "rowcount", -1) not in (-1, len(chunk)):
                    raise CrmError("imports.concurrent_change")

    def _finish(self) -> None:
        # Core inserts pass the rollups' flush listener: the new customers count from here, with their orders.
        added(self.session.connection(), self.created_ids)
        reindex_customers(self.session, self.search_changed)
        summary: dict[str, Any] = dict(sorted(self.counts.items()))
        summary["file"] = self.filename
        self.audit.append(audit_row(self.actor, "import", self.kind, (self.filename or "-")[-40:], new=summary))
        # Core executemany on the table, as crm.platform.audit's flush listener does: the ORM bulk path is slower.
        self._executemany(insert(_AUDIT_LOG), self.audit)


_CUSTOMER_FIELDS = (
    "code",
    "name",
    "customer_type",
    "industry",
    "region",
    "address",
    "company_size",
    "source_channel",
    "lifecycle_stage",
    "churn_reason",
    "need_type",
    "importance",
    "expected_close_date",
    "first_contact_date",
    "birthday",
    "needs",
    "products_in_use",
    "decision_process",
    "competitors",
    "preferences",
    "notes",
)
_CUSTOMER_WRITE_COLUMNS = (
    *_CUSTOMER_FIELDS,
    "name_key",
    "owner_id",
    "department_id",
    "stage_changed_at",
    "share_consent",
    "version",
    "created_at",
    "updated_at",
)
_CUSTOMER_DIFF_COLUMNS = tuple(
    c
    for c in _CUSTOMER_WRITE_COLUMNS
    if c not in ("code", "share_consent", "version", "created_at", "updated_at", "stage_changed_at")
)
_CONTACT_FIELDS = ("contact_title", "phone", "email", "wechat", "birthday", "notes")
_CONTACT_COLUMN = {
    "contact_name": "name",
    "contact_title": "title",
    "phone": "phone",
    "email": "email",
    "wechat": "wechat",
    "birthday": "birthday",
    "notes": "notes",
    "is_primary": "is_primary",
}


class _Contacts:
    """Plans contact upserts keyed by (customer, folded name), with at most one primary contact per customer."""

    def __init__(self, importer: _Importer) -> None:
        self.importer = importer
        self.existing: dict[tuple[int, str], Any] = {}
        self.by_id: dict[int, Any] = {}
        self.primary_of: dict[int, set[int]] = {}  # customer id -> ids of its current primary contacts
        self.claimed: dict[str, int] = {}  # customer code -> line that made a contact primary
        self.seen: dict[tuple[str, str], int] = {}
        self.new: list[tuple[str, dict[str, Any]]] = []  # (customer code, values)
        self.changes: list[_Change] = []
        self.demote: set[int] = set()

    def load(self, customer_ids: Sequence[int]) -> None:
        c = _CONTACTS.c
        for chunk in _chunks(sorted(set(customer_ids)), IN_CHUNK):
            statement = select(
                c.id,
                c.customer_id,
                c.name,
                c.title,
                c.phone,
                c.email,
                c.wechat,
                c.is_primary,
                c.birthday,
                c.notes,
                c.version,
            ).where(c.customer_id.in_(chunk), c.archived_at.is_(None))
            if self.importer.lock:
                statement = statement.with_for_update()
            for row in self.importer.session.execute(statement):
                self.by_id[row.id] = row
                self.existing.setdefault((row.customer_id, fold(row.name)), row)
                if row.is_primary:
                    self.primary_of.setdefault(row.customer_id, set()).add(row.id)

    def add(
        self,
        row: _Row,
        code: str,
        values: dict[str, Any],
        *,
        primary: bool | None,
        primary_if_none: bool,
        name_field: str,
    ) -> str | None:
        """Plan one contact; return 'created', 'updated', 'unchanged', or None if the row is bad."""
        name = values["contact_name"]
        key = (code, fold(name))
        if key in self.seen:
            row.error(name_field, "imports.duplicate_contact_in_file", line=self.seen[key])
            return None
        if primary and code in self.claimed:
            row.error("is_primary", "imports.second_primary", line=self.claimed[code])
            return None
        self.seen[key] = row.line
        customer_id = self.importer.customer_ids.get(code)
        current = self.existing.get((customer_id, fold(name))) if customer_id is not None else None
        has_primary = bool(self.primary_of.get(customer_id, set())) if customer_id is not None else False
        if primary is None and primary_if_none and current is None:
            primary = not has_primary and code not in self.claimed
        if primary:
            self.claimed[code] = row.line
            if customer_id is not None:
                self.demote |= self.primary_of.get(customer_id, set()) - ({current.id} if current else set())
        if current is None:
            record: dict[str, Any] = {c: None for c in ("title", "phone", "email", "wechat", "birthday", "notes")}
            record.update({_CONTACT_COLUMN[k]: v for k, v in values.items() if k in _CONTACT_COLUMN and v is not None})
            record.update(
                name=name,
                is_primary=bool(primary),
                version=1,
                created_at=self.importer.now,
                updated_at=self.importer.now,
            )
            self.new.append((code, record))
            return "created"
        fields: dict[str, tuple[Any, Any]] = {}
        for name_in_file in _CONTACT_FIELDS:
            new = values.get(name_in_file)
            column = _CONTACT_COLUMN[name_in_file]
            if new is not None and not _same(column, getattr(current, column), new):
                fields[column] = (getattr(current, column), new)
        if primary is not None and bool(current.is_primary) != primary:
            fields["is_primary"] = (bool(current.is_primary), primary)
        if not fields:
            return "unchanged"
        self.changes.append((current.id, current.version, fields))
        return "updated"

    def apply(self) -> None:
        importer = self.importer
        # One UPDATE per contact: a demoted contact may also have its own row in the file.
        merged = {contact_id: (version, dict(fields)) for contact_id, version, fields in self.changes}
        for contact_id in sorted(self.demote):
            version, fields = merged.setdefault(contact_id, (self.by_id[contact_id].version, {}))
            fields["is_primary"] = (True, False)
        importer._update_versioned(
            _CONTACTS, "contacts", [(i, version, fields) for i, (version, fields) in merged.items()]
        )
        importer.search_changed.update(
            self.by_id[i].customer_id
            for i, (_version, fields) in merged.items()
            if {"name", "phone", "email"} & set(fields)
        )
        records = [{**record, "customer_id": importer.customer_ids[code]} for code, record in self.new]
        importer.search_changed.update(record["customer_id"] for record in records)
        created = importer._insert_returning(_CONTACTS, records)
        importer.audit.extend(audit_row(importer.actor, "create", "contacts", row.id, version=1) for row in created)


class _CustomerImporter(_Importer):
    """Customers upserted by code, with their primary contact from the same row.

    A file without a code column (most spreadsheets) is matched to existing customers by crm.customers.duplicates'
    rules instead: each likely duplicate is skipped, updates its match, or is imported as new (on_duplicate,
    row_choices); new customers get codes drawn as the new-customer form draws them.
    """

    def plan(self) -> None:
        self.codeless = "code" not in self.header_of
        seen_codes: dict[str, int] = {}
        seen_names: dict[str, tuple[str, int]] = {}
        for row in self.rows:
            self._parse(row)
            if self.codeless:
                name_key = row.data.get("name_key")
                if name_key and not row.bad:
                    if name_key in seen_names:  # no code to tell one customer from two: refuse, don't guess
                        row.error("name", "imports.same_name_without_code", line=seen_names[name_key][1])
                    else:
                        seen_names[name_key] = ("", row.line)
                continue
            code = row.data.get("code")
            if code and not row.bad:
                if code in seen_codes:
                    row.error("code", "imports.duplicate_in_file", line=seen_codes[code])
                    continue
                seen_codes[code] = row.line
                name_key = row.data.get("name_key")
                if name_key in seen_names and seen_names[name_key][0] != code:
                    self.warn(row, "name", "imports.same_name_in_file", line=seen_names[name_key][1])
                elif name_key:
                    seen_names[name_key] = (code, row.line)
        if self.codeless:
            self._match_existing([row for row in self.rows if not row.bad])
        rows = [row for row in self.rows if not row.data.get("skipped")]
        good = [row for row in rows if not row.bad]
        columns = [getattr(_CUSTOMERS.c, c) for c in ("id", "version", "archived_at", *_CUSTOMER_DIFF_COLUMNS)]
        self.existing = self._customers_by_code(
            [row.data["code"] for row in good if not _is_placeholder(row.data["code"])], columns
        )
        self.customer_ids = {code: r.id for code, r in self.existing.items()}
        owners, departments = self._owners(), self._departments()
        self.changes: list[_Change] = []
        self.stage_rows: list[tuple[str, str | None, str]] = []
        for row in rows:  # bad rows too, so that a dry run lists every problem of a row at once
            self._resolve(row, owners, departments)
        good = [row for row in rows if not row.bad]
        self.contacts = _Contacts(self)
        self.contacts.load(list(self.customer_ids.values()))
        for row in good:
            self._plan_row(row)
        if not self.codeless:  # without codes, the likely duplicates were matched (and reported) above
            self._warn_duplicates([row for row in self.rows if not row.bad])

    def _match_existing(self, rows: list[_Row]) -> None:
        """Give each row of a code-less file its customer: a likely duplicate's code per the choice, or a new one."""
        probes = [
            (
                row.data["name"],
                [row.data["phone"]] if row.data.get("phone") else [],
                [row.data["email"]] if row.data.get("email") else [],
            )
            for row in rows
        ]
        updated_by: dict[int, int] = {}  # existing customer id -> the line that updates it
        for row, candidates in zip(rows, duplicates_in_bulk(self.session, probes), strict=True):
            row.data["code"] = _placeholder(row.line)
            if not candidates:
                continue
            best = max(candidates, key=lambda c: (len(c.matched_on), -c.id))
            action = self.row_choices.get(row.line, self.on_duplicate)
            match = DuplicateMatch(
                line=row.line, name=row.data["name"], candidate=best, others=len(candidates) - 1, action=action
            )
            self.duplicates.append(match)
            if action == "update" and best.id in updated_by:
                row.error("name", "imports.same_match_in_file", line=updated_by[best.id], code=best.code)
                continue
            self.warnings.append(
                ImportIssue(
                    row.line,
                    "name",
                    self.header_of.get("name"),
                    "warning",
                    f"imports.likely_duplicate.{action}",
                    {"code": best.code, "name": best.name, "matched_on": best.matched_on},
                )
            )
            if action == "skip":
                row.data["skipped"] = True
                self.count("customers.skipped")
            elif action == "update":
                updated_by[best.id] = row.line
                row.data["code"] = best.code

    def _parse(self, row: _Row) -> None:
        data = row.data
        data["code"] = None if self.codeless else row.code("code")
        name = row.values.get("name")
        if name is None:
            row.error("name", "validation.required")
        else:
            data["name"] = row.text("name")
            data["name_key"] = normalise_name(name)[: _limit(Customer, "name_key")]
        for name in (
            "customer_type",
            "industry",
            "region",
            "company_size",
            "source_channel",
            "lifecycle_stage",
            "churn_reason",
            "need_type",
            "importance",
        ):
            data[name] = row.choice(name)
        for name in (
            "address",
            "needs",
            "products_in_use",
            "decision_process",
            "competitors",
            "preferences",
            "notes",
            "contact_name",
            "contact_title",
            "wechat",
        ):
            data[name] = row.text(name)
        data["expected_close_date"] = row.date("expected_close_date")
        data["first_contact_date"] = row.date("first_contact_date", self.today)
        data["birthday"] = row.date("birthday", self.today)
        data["phone"] = check_phone(row.errors, "phone", row.values.get("phone"))
        data["email"] = check_email(row.errors, "email", row.values.get("email"))
        if data["email"] is not None:
            check_length(row.errors, "email", data["email"], _limit(Contact, "email") or 254)
        data["owner"] = row.values.get("owner")
        data["department"] = row.values.get("department")

    def _owners(self) -> dict[str, int | None]:
        lookup: dict[str, int | None] = {}
        by_name: dict[str, int | None] = {}
        self.owner_departments: dict[int, int | None] = {}
        for user in self.session.execute(
            select(User.id, User.username, User.display_name, User.department_id).where(
                User.is_active.is_(True), User.role.in_(OWNER_ROLES)
            )
        ):
            self.owner_departments[user.id] = user.department_id
            lookup[fold(user.username)] = user.id
            key = fold(user.display_name)
            by_name[key] = None if key in by_name else user.id  # an ambiguous display name matches nobody
        for key, user_id in by_name.items():
            lookup.setdefault(key, user_id)
        return lookup

    def _departments(self) -> dict[str, int]:
        lookup: dict[str, int] = {}
        for dept in self.session.execute(
            select(Department.id, Department.code, Department.name).where(Department.archived_at.is_(None))
        ):
            lookup.setdefault(fold(dept.code), dept.id)
            lookup.setdefault(fold(dept.name), dept.id)
        return lookup

    def _resolve(self, row: _Row, owners: dict[str, int | None], departments: dict[str, int]) -> None:
        data = row.data
        if data["owner"] is not None:
            owner_id = owners.get(fold(data["owner"]))
            if owner_id is None:
                row.error("owner", "imports.unknown_owner", value=data["owner"])
            data["owner_id"] = owner_id
        if data["department"] is not None:
            department_id = departments.get(fold(data["department"]))
            if department_id is None:
                row.error("department", "imports.unknown_department", value=data["department"])
            data["department_id"] = department_id
        current = self.existing.get(data["code"])
        stage = data["lifecycle_stage"]
        if current is None:
            stage = stage or "potential"
            if stage == _CHURNED and data["churn_reason"] is None:
                row.error("churn_reason", "stages.churn_reason_required")
        elif stage is not None and stage != current.lifecycle_stage:
            check_stage_change(current.lifecycle_stage, stage, data["churn_reason"] or current.churn_reason, row.errors)
            key, params = row.errors.fields.get("lifecycle_stage", ("", {}))
            if key == "stages.not_allowed":
                row.errors.fields["lifecycle_stage"] = (
                    key,
                    {**params, "translate": {"current": "stage", "target": "stage"}},
                )

    def _plan_row(self, row: _Row) -> None:
        data = row.data
        code = data["code"]
        values: dict[str, Any] = {c: data[c] for c in _CUSTOMER_DIFF_COLUMNS if data.get(c) is not None}
        current = self.existing.get(code)
        target_stage = values.get("lifecycle_stage") or (current.lifecycle_stage if current else "potential")
        if target_stage != _CHURNED:
            values.pop("churn_reason", None)  # only a churned customer has a churn reason (as in the forms)
        if current is None:
            if values.get("department_id") is None and values.get("owner_id") is not None:
                values["department_id"] = self.owner_departments.get(values["owner_id"])  # as the form does
            # A placeholder's code (None) is drawn when the customers are written.
            self.new_customers[code] = self._new_customer_values(
                {"code": None if _is_placeholder(code) else code, **values}
            )
            self.count("customers.created")
        else:
            if current.archived_at is not None:
                self.warn(row, "code", "imports.customer_archived", code=code)
            stage = values.get("lifecycle_stage")
            if stage is not None and stage != current.lifecycle_stage:
                if stage != _CHURNED and current.churn_reason is not None:
                    values["churn_reason"] = None
                elif stage == _CHURNED and values.get("churn_reason") is None:
                    values["churn_reason"] = current.churn_reason
            fields = {c: (getattr(current, c), v) for c, v in values.items() if getattr(current, c) != v}
            if "lifecycle_stage" in fields:
                fields["stage_changed_at"] = (None, self.now)
                self.stage_rows.append((code, current.lifecycle_stage, stage))  # type: ignore[arg-type]
            if fields:
                self.changes.append((current.id, current.version, fields))
                self.count("customers.updated")
            else:
                self.count("customers.unchanged")
        if any(data.get(name) for name in ("contact_name", "contact_title", "phone", "email", "wechat")):
            contact = {name: data.get(name) for name in ("contact_title", "phone", "email", "wechat")}
            # No contact name: the customer's own name (a person, or the company's switchboard).
            contact["contact_name"] = data.get("contact_name") or data["name"][: _limit(Contact, "name")]
            outcome = self.contacts.add(
                row, code, contact, primary=None, primary_if_none=True, name_field="contact_name"
            )
            if outcome:
                self.count(f"contacts.{outcome}")

    def _warn_duplicates(self, rows: list[_Row]) -> None:
        """Warn about rows whose name, phone or email belongs to another existing customer."""
        by_key: dict[str, list[Any]] = {}
        keys = sorted({row.data["name_key"] for row in rows if row.data.get("name_key")})
        for chunk in _chunks(keys, IN_CHUNK):
            for found in self.session.execute(
                select(Customer.code, Customer.name, Customer.name_key).where(
                    Customer.name_key.in_(chunk), Customer.archived_at.is_(None)
                )
            ):
                by_key.setdefault(found.name_key, []).append(found)
        phones, emails = _contact_owners(self.session, rows)
        for row in rows:
            code = row.data["code"]
            for other in by_key.get(row.data.get("name_key") or "", []):
                if other.code != code:
                    self.warn(row, "name", "imports.possible_duplicate_name", code=other.code, name=other.name)
                    break
            _warn_contact_matches(self, row, code, phones, emails)

    def apply(self) -> None:
        self._insert_new_customers()
        updated_ids = {code: r.id for code, r in self.existing.items()}
        # Core writes pass the rollups' flush listener: customers whose segment or stage changes move here.
        moved = [i for i, _version, fields in self.changes if set(fields) & set(CUSTOMER_ATTRIBUTES)]
        with moving(self.session.connection(), moved):
            self._update_versioned(
                _CUSTOMERS, "customers", self.changes, silent=frozenset({"name_key", "stage_changed_at"})
            )
            self._executemany(
                insert(_STAGE_CHANGES),
                [
                    {
                        "customer_id": updated_ids[code],
                        "from_stage": old,
                        "to_stage": new,
                        "reason": None,
                        "changed_at": self.now,
                        "changed_by_id": self.actor.id,
                    }
                    for code, old, new in self.stage_rows
                ],
            )
        self.search_changed.update(customer_id for customer_id, _version, fields in self.changes if "name" in fields)
        self.contacts.apply()
        self._finish()


def _placeholder(line: int) -> str:
    # Keys a new customer of a code-less file until its code is drawn; "#" is in no valid code.
    return f"#{line}"


def _is_placeholder(code: str | None) -> bool:
    return bool(code) and code.startswith("#")  # type: ignore[union-attr]


def _same(column: str, old: Any, new: Any) -> bool:
    """Tell whether a stored contact value already says what the file says (phones as typed, emails any case)."""
    if old is None:
        return False
    if column == "phone":
        return normalise_phone(old) == new
    if column == "email":
        return str(old).lower() == str(new).lower()
    return bool(old == new)


def _phone_spellings(phone: str) -> set[str]:
    """Digit strings a stored phone may reduce to: 13812345678, 8613812345678, 008613812345678, ..."""
    digits = re.sub(r"\D", "", phone)
    if phone.startswith("+"):
        return {digits, "00" + digits}
    national = digits[1:] if digits.startswith("0") else digits
    return {digits, "86" + national, "0086" + national}


def _digits_sql(column: Any) -> Any:
    # Phones are stored as people typed them (+86 138 1234 5678, 010-1234 5678): compare digits only.
    expression = column
    for separator in _PHONE_SEPARATORS:
        expression = func.replace(expression, separator, "")
    return expression


def _contact_owners(session: Session, rows: list[_Row]) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """Existing customers owning each (normalised) phone and (lower-cased) email that the rows mention."""
    phones_in_file = sorted({row.data["phone"] for row in rows if row.data.get("phone")})
    emails_in_file = sorted({row.data["email"].lower() for row in rows if row.data.get("email")})
    phones: dict[str, list[Any]] = {}
    emails: dict[str, list[Any]] = {}
    base = (
        select(Contact.phone, Contact.email, Customer.code, Customer.name)
        .join(Customer, Customer.id == Contact.customer_id)
        .where(Contact.archived_at.is_(None), Customer.archived_at.is_(None))
    )
    wanted = set(phones_in_file)
    for chunk in _chunks(phones_in_file, IN_CHUNK // 3):
        spellings = sorted(set().union(*(_phone_spellings(p) for p in chunk)))
        for found in session.execute(base.where(_digits_sql(Contact.phone).in_(spellings))):
            canonical = normalise_phone(found.phone or "")
            if canonical is not None and canonical in wanted:
                phones.setdefault(canonical, []).append(found)
    for chunk in _chunks(emails_in_file, IN_CHUNK):
        for found in session.execute(base.where(func.lower(Contact.email).in_(chunk))):
            emails.setdefault(found.email.lower(), []).append(found)
    return phones, emails


def _warn_contact_matches(
    importer: _Importer, row: _Row, code: str, phones: dict[str, list[Any]], emails: dict[str, list[Any]]
) -> None:
    phone, email = row.data.get("phone"), row.data.get("email")
    for other in phones.get(phone or "", []):
        if other.code != code:
            importer.warn(row, "phone", "imports.possible_duplicate_phone", code=other.code, name=other.name)
            break
    for other in emails.get((email or "").lower(), []):
        if other.code != code:
            importer.warn(row, "email", "imports.possible_duplicate_email", code=other.code, name=other.name)
            break


class _ContactImporter(_Importer):
    """Contacts upserted by (customer code, name)."""

    def plan(self) -> None:
        for row in self.rows:
            data = row.data
            data["customer_code"] = row.code("customer_code")
            data["customer_name"] = row.text("customer_name")
            name = row.values.get("contact_name")
            if name is None:
                row.error("contact_name", "validation.required")
            data["contact_name"] = row.text("contact_name")
            data["contact_title"] = row.text("contact_title")
            data["wechat"] = row.text("wechat")
            data["notes"] = row.text("notes")
            data["birthday"] = row.date("birthday", self.today)
            data["phone"] = check_phone(row.errors, "phone", row.values.get("phone"))
            data["email"] = check_email(row.errors, "email", row.values.get("email"))
            data["is_primary"] = row.boolean("is_primary")
        self._resolve_customer_codes(self.rows)
        self.contacts = _Contacts(self)
        self.contacts.load(list(self.customer_ids.values()))
        for row in self.rows:
            if row.bad:
                continue
            outcome = self.contacts.add(
                row,
                row.data["customer_code"],
                row.data,
                primary=row.data["is_primary"],
                primary_if_none=False,
                name_field="contact_name",
            )
            if outcome:
                self.count(f"contacts.{outcome}")
        self._prune_new_customers()
        good = [row for row in self.rows if not row.bad]
        phones, emails = _contact_owners(self.session, good)
        for row in good:
            _warn_contact_matches(self, row, row.data["customer_code"], phones, emails)

    def apply(self) -> None:
        self._insert_new_customers()
        self.contacts.apply()
        self._finish()


class _OrderImporter(_Importer):
    """Orders matched by order_no when given, else by (customer, date, amount, product) and multiplicity.

    Rows of one file are never duplicates of each other unless they carry the same order number: a customer
    may buy the same thing twice a day. Without numbers, the k-th identical row of the file matches the k-th
    identical existing order (by id), so the same file imported twice changes nothing, and a file with one
    more identical row adds exactly one order.
    """

    def plan(self) -> None:
        for row in self.rows:
            self._parse(row)
        self._resolve_customer_codes(self.rows)
        good = [row for row in self.rows if not row.bad]
        by_no = self._existing_by_order_no(good)
        by_key = self._existing_keys(good)  # key -> existing orders with it, oldest first
        self.new_orders: list[tuple[str, dict[str, Any]]] = []
        self.changes: list[_Change] = []
        self.moved_customers: set[int] = set()  # existing customers (old and new) of the orders updated
        seen_no: dict[str, int] = {}
        matched: set[int] = set()  # existing orders a row of the file already stands for
        numbered: list[tuple[_Row, int | None, tuple[Any, ...]]] = []
        numberless: list[tuple[_Row, int | None, tuple[Any, ...]]] = []
        for row in good:
            data = row.data
            customer_id = self.customer_ids.get(data["customer_code"])
            key = (
                customer_id if customer_id is not None else data["customer_code"],
                data["order_date"],
                data["amount"],
                data["product"],
            )
            (numbered if data["order_no"] is not None else numberless).append((row, customer_id, key))
        # Numbered rows first: an order found by its number is not also the match of a numberless row.
        for row, customer_id, key in numbered:
            order_no = row.data["order_no"]
            if order_no in seen_no:
                row.error("order_no", "imports.duplicate_in_file", line=seen_no[order_no])
                continue
            seen_no[order_no] = row.line
            current = by_no.get(order_no)
            if current is None or current.id in matched:
                # imported before without its number: give it the number now
                current = next((o for o in by_key.get(key, ()) if o.order_no is None and o.id not in matched), None)
            if current is not None:
                matched.add(current.id)
                self._plan_update(row, current, customer_id)
                continue
            self._plan_new(row)
        seen_keys: set[tuple[Any, ...]] = set()
        for row, _customer_id, key in numberless:
            if key in seen_keys:
                self.count("orders.identical_rows")  # the same as an earlier row: an order of its own
            seen_keys.add(key)
            current = next((o for o in by_key.get(key, ()) if o.id not in matched), None)
            if current is not None:
                matched.add(current.id)
                self.count("orders.unchanged")
                continue
            self._plan_new(row)
        self._prune_new_customers()

    def _plan_new(self, row: _Row) -> None:
        data = row.data
        record = {
            "order_no": data["order_no"],
            "order_date": data["order_date"],
            "amount": data["amount"],
            "product": data["product"],
            "currency": data["currency"] or "CNY",
            "notes": data["notes"],
            "version": 1,
            "created_at": self.now,
            "updated_at": self.now,
        }
        self.new_orders.append((data["customer_code"], record))
        self.count("orders.created")

    def _parse(self, row: _Row) -> None:
        data = row.data
        data["customer_code"] = row.code("customer_code")
        data["customer_name"] = row.text("customer_name")
        data["order_no"] = row.text("order_no")
        data["product"] = row.text("product")
        data["notes"] = row.text("notes")
        if row.has("order_date"):
            data["order_date"] = row.date("order_date", self.today)
        else:
            row.error("order_date", "validation.required")
        raw_amount = row.values.get("amount")  # as crm.platform.validation.check_amount, without a collector per row
        data["amount"] = None if raw_amount is None else parse_amount(raw_amount)
        if raw_amount is None:
            row.error("amount", "validation.required")
        elif data["amount"] is None:
            row.error("amount", "validation.amount")
        currency = row.values.get("currency")
        if currency is not None:
            currency = currency.upper()
            if not _CURRENCY.match(currency):
                row.error("currency", "imports.currency", value=row.values["currency"])
        data["currency"] = currency

    def _existing_by_order_no(self, rows: list[_Row]) -> dict[str, Any]:
        numbers = sorted({row.data["order_no"] for row in rows if row.data["order_no"]})
        found: dict[str, Any] = {}
        c = _ORDERS.c
        for chunk in _chunks(numbers, IN_CHUNK):
            statement = select(
                c.id, c.customer_id, c.order_no, c.order_date, c.amount, c.product, c.currency, c.notes, c.version
            ).where(c.order_no.in_(chunk))
            if self.lock:
                statement = statement.with_for_update()
            for order in self.session.execute(statement):
                found[order.order_no] = order
        return found

    def _existing_keys(self, rows: list[_Row]) -> dict[tuple[Any, ...], list[Any]]:
        """Load the existing orders of the file's customers within the file's dates by dedupe key, oldest first."""
        customer_ids = sorted(
            {
                self.customer_ids[row.data["customer_code"]]
                for row in rows
                if row.data["customer_code"] in self.customer_ids
            }
        )
        if not customer_ids:
            return {}
        dates = [row.data["order_date"] for row in rows]
        first, last = min(dates), max(dates)
        c = _ORDERS.c
        keys: dict[tuple[Any, ...], list[Any]] = {}
        for chunk in _chunks(customer_ids, IN_CHUNK):
            statement = select(
                c.id, c.customer_id, c.order_no, c.order_date, c.amount, c.product, c.currency, c.notes, c.version
            ).where(c.customer_id.in_(chunk), c.order_date.between(first, last))
            for order in self.session.execute(statement):
                keys.setdefault(
                    (
                        order.customer_id,
                        order.order_date,
                        Decimal(order.amount).quantize(Decimal("0.01")),
                        order.product or None,
                    ),
                    [],
                ).append(order)
        for orders in keys.values():
            orders.sort(key=lambda order: order.id)
        return keys

    def _plan_update(self, row: _Row, current: Any, customer_id: int | None) -> None:
        data = row.data
        if customer_id is None:  # the number belongs to an order, but the file names a customer to be created
            row.error("order_no", "imports.order_no_taken", order_no=data["order_no"])
            return
        wanted = {
            "customer_id": customer_id,
            "order_no": data["order_no"],
            "order_date": data["order_date"],
            "amount": data["amount"],
            "product": data["product"],
            "currency": data["currency"],
            "notes": data["notes"],
        }
        fields = {c: (getattr(current, c), v) for c, v in wanted.items() if v is not None and getattr(current, c) != v}
        if fields:
            self.changes.append((current.id, current.version, fields))
            self.moved_customers.update((current.customer_id, customer_id))
            self.count("orders.updated")
        else:
            self.count("orders.unchanged")

    def apply(self) -> None:
        # Core writes pass the rollups' flush listener: the existing customers whose orders change move here, the
        # customers created on the way are added with their orders at the end (_finish).
        moved = self.moved_customers | {self.customer_ids[c] for c, _r in self.new_orders if c in self.customer_ids}
        self._insert_new_customers()
        with moving(self.session.connection(), moved):
            self._update_versioned(_ORDERS, "orders", self.changes)
            records = [{**record, "customer_id": self.customer_ids[code]} for code, record in self.new_orders]
            created = self._insert_returning(_ORDERS, records)
        template = audit_row(self.actor, "create", "orders", 0, version=1)
        self.audit.extend({**template, "entity_id": str(row.id)} for row in created)
        self._finish()


_IMPORTERS: dict[str, type[_Importer]] = {
    "customers": _CustomerImporter,
    "contacts": _ContactImporter,
    "orders": _OrderImporter,
}
