"""Import survey responses from CSV/XLSX with the customer import's rules: column mapping, dry run, a reason per bad
row on its line and column, nothing half-written, and a re-import that adds nothing.

Files are read by crm.exchange (CSV in UTF-8, UTF-8 with BOM, GBK or UTF-16; Excel; a formula saved without its
result is an error, never an empty cell; a NUL character is refused). Headers are matched in English or Chinese,
any case or width, and each dimension of a template has a column named by its code or its label. Each row is
checked by crm.satisfaction.responses.check_response, as the record form checks one, and written by
insert_response (alert flag, the campaign member answered, the tasks it answers, the low_survey rule).

Like the customer import, good rows are written and bad rows reported (all_or_nothing: any bad row and nothing is
written), every row of one import in ONE transaction, so a bad row is never half-written and a failure writes
nothing. Each response written carries import_key = SHA-256 of (customer code, date, channel, template family,
overall, NPS, scores, comment): a row whose key exists is "already imported" and skipped, and so is a second
identical row of the file, so importing the same file twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm.exchange import FilePreview, Table, fold, parse_date, read_table
from crm.follow_ups import run_rules_for_customers
from crm.platform.audit import audit_row, write_audit
from crm.platform.errors import CrmError, ValidationCollector
from crm.platform.i18n import t
from crm.platform.permissions import Actor, require
from crm.platform.uow import transaction
from crm.platform.validation import NUL
from crm.satisfaction.responses import ALERT_RULE, ResponseInput, check_response, insert_response
from crm.satisfaction.templates import default_template, dimension_label
from crm.satisfaction.vocab import CHANNELS, DEFAULT_DIMENSIONS
from db.engine import Sessions
from db.models import Complaint, Contact, Customer, SurveyCampaign, SurveyResponse, SurveyTemplate

KIND = "survey_responses"
SCORE = "score."  # a dimension's field: score.<code>
DEFAULT_CHANNEL = "questionnaire"  # a file of answers is most often a questionnaire's
IN_CHUNK = 1000
PREVIEW_ROWS = 5
RETRIES = 2  # a concurrent import of the same rows: plan again, and the rows it wrote are "already imported"
_WHOLE = re.compile(r"^[+-]?\d+$")
_COMPLAINT_CODE = re.compile(r"^([A-Za-z])\s*-\s*(\d{4})\s*-\s*(\d{1,6})$")


@dataclass(frozen=True)
class FieldSpec:
    """A field a column may map to: its name, the header spellings it answers to, required or not."""

    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False


RESPONSE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "customer_code",
        (
            "customer code",
            "customer no",
            "customer id",
            "code",
            "客户编号",
            "客户代码",
            "客户编码",
            "客户号",
            "编号",
        ),
        required=True,
    ),
    FieldSpec(
        "date",
        (
            "date",
            "response date",
            "responded on",
            "survey date",
            "日期",
            "回复日期",
            "调查日期",
            "回访日期",
            "反馈日期",
            "填写日期",
        ),
        required=True,
    ),
    FieldSpec("channel", ("channel", "survey channel", "method", "渠道", "方式", "调查方式", "调查渠道", "回访方式")),
    FieldSpec("template", ("template", "survey", "questionnaire", "模板", "问卷", "问卷模板", "调查模板")),
    FieldSpec(
        "overall",
        (
            "overall",
            "overall score",
            "overall satisfaction",
            "csat",
            "satisfaction",
            "总体满意度",
            "整体满意度",
            "总体评分",
            "综合评分",
            "满意度",
        ),
    ),
    FieldSpec(
        "nps",
        (
            "nps",
            "recommend",
            "likelihood to recommend",
            "would recommend",
            "推荐意愿",
            "推荐度",
            "推荐可能性",
            "推荐指数",
            "净推荐值",
        ),
    ),
    FieldSpec(
        "comment",
        ("comment", "comments", "feedback", "remarks", "notes", "意见", "建议", "意见建议", "评论", "备注", "反馈"),
    ),
    FieldSpec("contact", ("contact", "contact name", "respondent", "联系人", "联系人姓名", "受访人", "受访者")),
    FieldSpec(
        "complaint",
        ("complaint", "complaint reference", "complaint no", "complaint code", "投诉编号", "投诉单号", "投诉"),
    ),
    FieldSpec("campaign", ("campaign", "survey campaign", "活动", "调查活动", "活动名称")),
)
FIELD_NAMES: tuple[str, ...] = tuple(spec.name for spec in RESPONSE_FIELDS)
REQUIRED_FIELDS: tuple[str, ...] = tuple(spec.name for spec in RESPONSE_FIELDS if spec.required)
# Where check_response's fields land in the file.
_FIELD_OF_INPUT = {
    "customer_id": "customer_code",
    "responded_on": "date",
    "channel": "channel",
    "template_id": "template",
    "overall": "overall",
    "nps": "nps",
    "comment": "comment",
    "contact_id": "contact",
    "complaint_id": "complaint",
    "campaign_id": "campaign",
}
# Everyday spellings of the channels beyond their codes and catalog labels.
_CHANNEL_SYNONYMS = {
    "电话回访": "phone",
    "电访": "phone",
    "tel": "phone",
    "telephone": "phone",
    "call": "phone",
    "问卷调查": "questionnaire",
    "纸质问卷": "questionnaire",
    "survey": "questionnaire",
    "form": "questionnaire",
    "线上": "online",
    "网上": "online",
    "网络": "online",
    "web": "online",
    "email": "online",
    "邮件": "online",
    "拜访": "visit",
    "上门": "visit",
    "走访": "visit",
    "面访": "visit",
    "visit in person": "visit",
}


# --- results -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportIssue:
    """One problem with one row: file line (header = 1), field, the file's column, error or warning, message."""

    line: int
    field: str | None
    column: str | None
    severity: str  # "error" or "warning"
    key: str
    params: dict[str, Any] = dataclass_field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        """Say what is wrong, in the language."""
        params = dict(self.params)
        if self.key == "satisfaction.import.unknown_channel":
            separator = t("imports.matched_on.separator", lang)  # ", " / "、"
            params["allowed"] = separator.join(t(f"satisfaction.channel.{c}", lang) for c in CHANNELS)
        return t(self.key, lang, **params)

    def column_label(self, lang: str = "en") -> str:
        """Return the file's header for the column, or the field's name in the language."""
        if self.column:
            return self.column
        return field_label(self.field, lang) if self.field else ""


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, for a dry run, would do): rows added, already imported, and every bad row."""

    filename: str
    encoding: str | None
    dry_run: bool
    written: bool
    total_rows: int
    added: int  # rows written (or, unless written, that an import would write)
    already_imported: int  # rows skipped: the same response is in the database, or earlier in the file
    bad_rows: int
    issues: tuple[ImportIssue, ...]
    response_ids: tuple[int, ...] = ()  # the responses written

    @property
    def errors(self) -> tuple[ImportIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[ImportIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def kind(self) -> str:
        return KIND


@dataclass(frozen=True)
class ImportField:
    """A field the mapping offers: its name (score.<code> for a dimension), required or not, its labels."""

    name: str
    required: bool
    label_en: str
    label_zh: str

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


def field_label(name: str, lang: str = "en", labels: Mapping[str, object] | None = None) -> str:
    """Return a field's label in the language (a dimension's: 'Score: <its label>')."""
    if name.startswith(SCORE):
        code = name[len(SCORE) :]
        return t("satisfaction.import.field.score", lang, dimension=dimension_label(code, labels, lang))
    return t(f"satisfaction.import.field.{name}", lang)


# --- headers and mapping -----------------------------------------------------------------------------


def _dimension_spellings(dimensions: Mapping[str, object] | None) -> dict[str, str]:
    """Folded spellings of every dimension's header -> its field: the code, and its labels in both languages."""
    index: dict[str, str] = {}
    labels: dict[str, object] = dict(dimensions or {})
    for code in (*DEFAULT_DIMENSIONS, *labels):
        name = f"{SCORE}{code}"
        for spelling in (code, dimension_label(code, labels, "en"), dimension_label(code, labels, "zh")):
            index.setdefault(fold(spelling), name)
            index.setdefault(fold(f"{SCORE}{spelling}"), name)
    return index


def _alias_index(dimensions: Mapping[str, object] | None) -> dict[str, str]:
    index: dict[str, str] = {}
    for spec in RESPONSE_FIELDS:  # the explicit spellings first: they win over catalog labels
        for alias in (spec.name, *spec.aliases):
            index.setdefault(fold(alias), spec.name)
    for spec in RESPONSE_FIELDS:
        for lang in ("en", "zh"):
            index.setdefault(fold(t(f"satisfaction.import.field.{spec.name}", lang)), spec.name)
    for spelling, name in _dimension_spellings(dimensions).items():
        index.setdefault(spelling, name)
    return index


def suggest_mapping(headers: Sequence[str], dimensions: Mapping[str, object] | None = None) -> dict[str, str | None]:
    """Map each header to the field it names (English or Chinese, any case or spacing), None if unknown.

    dimensions: the labels of templates' own dimensions ({code: [English, Chinese]}); the built-in five are
    always known. A second column for a field already taken maps to nothing (the first one wins).
    """
    index = _alias_index(dimensions)
    taken: set[str] = set()
    mapping: dict[str, str | None] = {}
    for header in headers:
        name = index.get(fold(header))
        if name in taken:
            name = None
        if name:
            taken.add(name)
        mapping[header] = name
    return mapping


def _own_dimensions(session: Session) -> dict[str, object]:
    """The labels of every dimension the templates define beyond the built-in five: {code: [English, Chinese]}."""
    found: dict[str, object] = {}
    for dimensions, labels in session.execute(
        select(SurveyTemplate.dimensions, SurveyTemplate.labels).where(SurveyTemplate.archived_at.is_(None))
    ):
        for code in dimensions or []:
            if code not in DEFAULT_DIMENSIONS:
                found.setdefault(str(code), (labels or {}).get(code) or [str(code), str(code)])
    return found


def import_fields(sessions: Sessions, *, actor: Actor) -> tuple[ImportField, ...]:
    """Return the fields a column may map to: the response's, then one per dimension any template scores."""
    require(actor, "satisfaction.manage")
    with sessions.read() as session:
        own = _own_dimensions(session)
    names = [*FIELD_NAMES, *(f"{SCORE}{code}" for code in (*DEFAULT_DIMENSIONS, *own))]
    return tuple(
        ImportField(name, name in REQUIRED_FIELDS, field_label(name, "en", own), field_label(name, "zh", own))
        for name in names
    )


def preview_file(
    sessions: Sessions,
    *,
    actor: Actor,
    filename: str,
    data: bytes,
    mapping: Mapping[str, str | None] | None = None,
    limit: int = PREVIEW_ROWS,
) -> FilePreview:
    """Read a file and return its headers, the suggested (or given) mapping and its first rows."""
    require(actor, "satisfaction.manage")
    table = read_table(filename, data)
    with sessions.read() as session:
        own = _own_dimensions(session)
    return FilePreview(
        filename=filename,
        encoding=table.encoding,
        headers=table.headers,
        mapping=_complete_mapping(table.headers, mapping, own),
        rows=tuple(table.rows[:limit]),
        total_rows=len(table.rows),
    )


def _complete_mapping(
    headers: Sequence[str], mapping: Mapping[str, str | None] | None, own: Mapping[str, object]
) -> dict[str, str | None]:
    if mapping is None:
        return suggest_mapping(headers, own)
    known = {*FIELD_NAMES, *(f"{SCORE}{code}" for code in (*DEFAULT_DIMENSIONS, *own))}
    return {h: (mapping.get(h) if mapping.get(h) in known else None) for h in headers}


def parse_mapping_options(options: Sequence[str]) -> dict[str, str]:
    """Read the command line's --map "column=field" options (the column may hold '=': the last one splits)."""
    mapping: dict[str, str] = {}
    for option in options:
        column, separator, name = option.rpartition("=")
        if not separator or not column.strip() or not name.strip():
            raise CrmError("satisfaction.import.bad_map_option", option=option)
        mapping[column.strip()] = name.strip()
    return mapping


# --- rows --------------------------------------------------------------------------------------------


class _Row:
    """One data row: its cells by field, its errors, what was parsed and resolved from it."""

    __slots__ = ("line", "values", "errors", "data", "key")

    def __init__(self, line: int, values: dict[str, str]) -> None:
        self.line = line
        self.values = values
        self.errors = ValidationCollector()
        self.data: dict[str, Any] = {}
        self.key: str | None = None

    @property
    def bad(self) -> bool:
        return bool(self.errors.fields)

    def error(self, name: str, key: str, /, **params: Any) -> None:
        self.errors.add(name, key, **params)

    def whole(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None:
            return None
        text = unicodedata.normalize("NFKC", value).strip()
        if text.endswith(".0"):  # 4.0 from a spreadsheet that stored the score as a decimal
            text = text[:-2]
        if not _WHOLE.match(text):
            self.error(name, "satisfaction.import.whole_number", value=value)
            return None
        return int(text)


def _channel_code(value: str) -> str | None:
    folded = fold(value)
    for code in CHANNELS:
        if folded in (
            fold(code),
            fold(t(f"satisfaction.channel.{code}", "en")),
            fold(t(f"satisfaction.channel.{code}", "zh")),
        ):
            return code
    return next((code for spelling, code in _CHANNEL_SYNONYMS.items() if fold(spelling) == folded), None)


def _complaint_code(reference: str) -> str | None:
    """Spell a complaint reference as stored: c-2026-123 and C-2026-000123 are C-2026-000123."""
    match = _COMPLAINT_CODE.match(unicodedata.normalize("NFKC", reference).strip())
    if match is None:
        return None
    return f"{match.group(1).upper()}-{match.group(2)}-{int(match.group(3)):06d}"


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def import_key(
    customer_code: str,
    day: dt.date,
    channel: str,
    family_id: int,
    overall: int | None,
    nps: int | None,
    scores: Mapping[str, int | None],
    comment: str | None,
) -> str:
    """Return what makes an imported response the same again: SHA-256 of its identifying values, 64 hex digits."""
    answered = {code: score for code, score in sorted(scores.items()) if score is not None}
    text = json.dumps(
        [customer_code, day.isoformat(), channel, family_id, overall, nps, answered, (comment or "").strip()],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Abandon(Exception):  # noqa: N818 - control flow: roll the transaction back, keep the report
    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__("import abandoned")


class _Importer:
    """Plan an import (parse, resolve, check, find what is already there), then write the good rows."""

    def __init__(
        self, session: Session, *, actor: Actor, filename: str, table: Table, mapping: Mapping[str, str | None] | None
    ) -> None:
        self.session = session
        self.actor = actor
        self.filename = filename
        self.table = table
        self.own = _own_dimensions(session)
        self.mapping = _complete_mapping(table.headers, mapping, self.own)
        self.file_issues: list[ImportIssue] = []
        self.warnings: list[ImportIssue] = []
        self.header_of: dict[str, str] = {}
        self.column_errors = False
        self._check_mapping()
        self.rows: list[_Row] = [] if self.column_errors else self._rows()
        self.to_add: list[tuple[_Row, ResponseInput]] = []
        self.already = 0
        self.written: list[int] = []
        # The records the rows name, held so that check_response's session.get finds them in the identity map
        # (it holds them weakly) instead of reading each again for every row.
        self.held: list[Any] = []

    # mapping and cells

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
        for name in REQUIRED_FIELDS:
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
                if index < len(cells) and cells[index]:
                    cell = values[name] = cells[index]
                    if NUL in cell:  # PostgreSQL cannot store it; refused for every field, before parsing
                        row.error(name, "validation.nul")
                elif formulas and (line, index) in formulas:
                    row.error(name, "imports.formula_without_value")
            rows.append(row)
        return rows

    # the plan

    def plan(self) -> None:
        for row in self.rows:
            self._parse(row)
        self._resolve()
        seen: dict[str, int] = {}
        candidates: list[_Row] = []
        for row in self.rows:
            if row.bad:
                continue
            data = row.data
            row.key = import_key(
                data["customer_code"],
                data["date"],
                data["channel"],
                data["family_id"],
                data["overall"],
                data["nps"],
                data["scores"],
                data["comment"],
            )
            if row.key in seen:
                self.already += 1
                self.warn(row, None, "satisfaction.import.same_as_line", line=seen[row.key])
                continue
            seen[row.key] = row.line
            candidates.append(row)
        existing = self._existing_keys([row.key for row in candidates if row.key])
        for row in candidates:
            if row.key in existing:
                self.already += 1
                self.warn(row, None, "satisfaction.import.already_imported")
                continue
            response = ResponseInput(
                customer_id=row.data["customer_id"],
                responded_on=row.data["date"],
                channel=row.data["channel"],
                template_id=row.data["template_id"],
                scores=row.data["scores"],
                overall=row.data["overall"],
                nps=row.data["nps"],
                comment=row.data["comment"],
                contact_id=row.data["contact_id"],
                complaint_id=row.data["complaint_id"],
                campaign_id=row.data["campaign_id"],
            )
            errors = ValidationCollector()
            check_response(self.session, self.actor, response, errors)
            for name, (key, params) in errors.fields.items():
                row.error(self._field_of(name), key, **params)
            if not row.bad:
                self.to_add.append((row, response))

    def _field_of(self, input_field: str) -> str:
        if input_field.startswith("scores."):
            return f"{SCORE}{input_field[len('scores.') :]}"
        return _FIELD_OF_INPUT.get(input_field, input_field)

    def _parse(self, row: _Row) -> None:
        values, data = row.values, row.data
        code = values.get("customer_code")
        data["customer_code"] = code.strip() if code else None
        if not code:
            row.error("customer_code", "validation.required")
        raw_date = values.get("date")
        data["date"] = parse_date(raw_date) if raw_date else None
        if raw_date is None:
            row.error("date", "validation.required")
        elif data["date"] is None:
            row.error("date", "validation.date")
        raw_channel = values.get("channel")
        data["channel"] = _channel_code(raw_channel) if raw_channel else DEFAULT_CHANNEL
        if raw_channel and data["channel"] is None:
            row.error("channel", "satisfaction.import.unknown_channel", value=raw_channel)
        data["overall"] = row.whole("overall")
        data["nps"] = row.whole("nps")
        data["scores"] = {name[len(SCORE) :]: row.whole(name) for name in self.header_of if name.startswith(SCORE)}
        data["comment"] = values.get("comment")  # its length is check_response's

    def _resolve(self) -> None:
        """Turn codes and names into ids, a few queries for the whole file."""
        live = [row for row in self.rows if not row.bad]
        customers = self._customers(sorted({row.data["customer_code"] for row in live}))
        templates = self._templates()
        campaigns = self._campaigns()
        complaints = self._complaints(sorted({row.values["complaint"] for row in live if "complaint" in row.values}))
        contacts = self._contacts(
            sorted({customers[row.data["customer_code"]] for row in live if row.data["customer_code"] in customers})
        )
        default = default_template(self.session)
        for row in live:
            values, data = row.values, row.data
            data["customer_id"] = customers.get(data["customer_code"])
            if data["customer_id"] is None:
                row.error("customer_code", "satisfaction.import.unknown_customer", code=data["customer_code"])
            if "template" in values:
                found = templates(values["template"])
                if isinstance(found, str):
                    row.error("template", found, value=values["template"])
                    found = None
            else:
                found = (default.id, default.family_id or default.id) if default is not None else None
                if found is None:
                    row.error("template", "satisfaction.import.no_template")
            data["template_id"], data["family_id"] = found if found else (None, None)
            data["campaign_id"] = None
            if "campaign" in values:
                campaign = campaigns(values["campaign"])
                if isinstance(campaign, str):
                    row.error("campaign", campaign, value=values["campaign"])
                else:
                    data["campaign_id"] = campaign
            data["complaint_id"] = None
            if "complaint" in values:
                data["complaint_id"] = complaints.get(_complaint_code(values["complaint"]) or "")
                if data["complaint_id"] is None:
                    row.error("complaint", "satisfaction.import.unknown_complaint", value=values["complaint"])
            data["contact_id"] = None
            if "contact" in values and data["customer_id"] is not None:
                data["contact_id"] = contacts.get((data["customer_id"], fold(values["contact"])))
                if data["contact_id"] is None:
                    row.error("contact", "satisfaction.import.unknown_contact", value=values["contact"])

    def _customers(self, codes: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in _chunks(codes):
            for customer in self.session.scalars(select(Customer).where(Customer.code.in_(chunk))):
                self.held.append(customer)
                found[customer.code] = customer.id
        return found

    def _templates(self) -> Any:
        """A lookup of a template by number (that revision) or name (the family's revision in force)."""
        rows = self.session.scalars(select(SurveyTemplate).where(SurveyTemplate.archived_at.is_(None))).all()
        self.held.extend(rows)
        by_id = {r.id: (r.id, r.family_id or r.id) for r in rows}
        by_name: dict[str, dict[int, tuple[int, int, bool]]] = {}
        for r in sorted(rows, key=lambda r: r.id):
            family = r.family_id or r.id
            current = by_name.setdefault(fold(r.name), {}).get(family)
            # the family's revision in force, else its latest
            if current is None or r.is_active or not current[2]:
                by_name[fold(r.name)][family] = (r.id, family, bool(r.is_active))

        def lookup(value: str) -> tuple[int, int] | str:
            text = unicodedata.normalize("NFKC", value).strip()
            if text.isdigit() and int(text) in by_id:
                return by_id[int(text)]
            families = by_name.get(fold(value), {})
            if len(families) > 1:
                return "satisfaction.import.ambiguous_template"
            if not families:
                return "satisfaction.import.unknown_template"
            template_id, family, _active = next(iter(families.values()))
            return template_id, family

        return lookup

    def _campaigns(self) -> Any:
        rows = self.session.scalars(select(SurveyCampaign).where(SurveyCampaign.archived_at.is_(None))).all()
        self.held.extend(rows)
        ids = {r.id for r in rows}
        by_name: dict[str, list[int]] = {}
        for r in rows:
            by_name.setdefault(fold(r.name), []).append(r.id)

        def lookup(value: str) -> int | str:
            text = unicodedata.normalize("NFKC", value).strip()
            if text.isdigit() and int(text) in ids:
                return int(text)
            named = by_name.get(fold(value), [])
            if len(named) > 1:
                return "satisfaction.import.ambiguous_campaign"
            return named[0] if named else "satisfaction.import.unknown_campaign"

        return lookup

    def _complaints(self, references: list[str]) -> dict[str, int]:
        codes = sorted({code for code in map(_complaint_code, references) if code})
        found: dict[str, int] = {}
        for chunk in _chunks(codes):
            for complaint in self.session.scalars(select(Complaint).where(Complaint.code.in_(chunk))):
                self.held.append(complaint)
                found[complaint.code] = complaint.id
        return found

    def _contacts(self, customer_ids: list[int]) -> dict[tuple[int, str], int]:
        """(customer, folded name) -> contact; of two contacts with one name, the primary, else the first."""
        found: dict[tuple[int, str], int] = {}
        for chunk in _chunks(customer_ids):
            rows = self.session.execute(
                select(Contact.customer_id, Contact.name, Contact.id)
                .where(Contact.customer_id.in_(chunk), Contact.archived_at.is_(None))
                .order_by(Contact.is_primary.desc(), Contact.id)
            )
            for customer_id, name, contact_id in rows:
                found.setdefault((customer_id, fold(name)), contact_id)
        return found

    def _existing_keys(self, keys: list[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(sorted(set(keys))):
            found.update(
                k
                for k in self.session.scalars(
                    select(SurveyResponse.import_key).where(SurveyResponse.import_key.in_(chunk))
                )
                if k
            )
        return found

    # writing and the report

    def apply(self) -> None:
        alerted: set[int] = set()
        for row, response in self.to_add:
            written = insert_response(self.session, self.actor, response, import_key=row.key, run_rules=False)
            self.written.append(written.id)
            if written.alert:
                alerted.add(response.customer_id)
        # The rule insert_response runs for each alert, run once for the file: one callback task per customer.
        run_rules_for_customers(self.session, actor=self.actor, customer_ids=sorted(alerted), codes=[ALERT_RULE])
        summary = {
            "file": self.filename,
            "added": len(self.written),
            "already_imported": self.already,
            "bad_rows": self.bad_rows,
        }
        write_audit(self.session, [audit_row(self.actor, "import", KIND, (self.filename or "-")[-40:], new=summary)])

    def warn(self, row: _Row, name: str | None, key: str, /, **params: Any) -> None:
        self.warnings.append(ImportIssue(row.line, name, self.header_of.get(name or ""), "warning", key, params))

    @property
    def bad_rows(self) -> int:
        return len(self.table.rows) if self.column_errors else sum(1 for row in self.rows if row.bad)

    @property
    def has_errors(self) -> bool:
        return self.column_errors or any(row.bad for row in self.rows)

    def report(self, *, dry_run: bool, written: bool) -> ImportReport:
        issues = list(self.file_issues)
        for row in self.rows:
            for name, (key, params) in row.errors.fields.items():
                issues.append(ImportIssue(row.line, name, self.header_of.get(name), "error", key, params))
        issues.extend(self.warnings)
        issues.sort(key=lambda i: (i.line, i.severity != "error"))
        return ImportReport(
            filename=self.filename,
            encoding=self.table.encoding,
            dry_run=dry_run,
            written=written,
            total_rows=len(self.table.rows),
            added=len(self.written) if written else len(self.to_add),
            already_imported=self.already,
            bad_rows=self.bad_rows,
            issues=tuple(issues),
            response_ids=tuple(self.written),
        )


# --- use cases ---------------------------------------------------------------------------------------


def dry_run_import(
    sessions: Sessions, *, actor: Actor, filename: str, data: bytes, mapping: Mapping[str, str | None] | None = None
) -> ImportReport:
    """Check every row against the database and report what an import would do, writing nothing."""
    return import_responses(sessions, actor=actor, filename=filename, data=data, mapping=mapping, dry_run=True)


def import_responses(
    sessions: Sessions,
    *,
    actor: Actor,
    filename: str,
    data: bytes,
    mapping: Mapping[str, str | None] | None = None,
    dry_run: bool = False,
    all_or_nothing: bool = False,
    token: str | None = None,
) -> ImportReport:
    """Import a CSV/XLSX file of survey responses in one transaction and return the report (managers).

    Good rows are written and bad rows reported, as the customer import does; with all_or_nothing, any bad row
    means nothing is written. A missing required column or a column mapped twice writes nothing.
    """
    require(actor, "satisfaction.manage")
    filename = (filename or "").replace(NUL, "")  # the name goes to the audit trail
    table = read_table(filename, data)
    if dry_run:
        with sessions.read() as session:
            importer = _Importer(session, actor=actor, filename=filename, table=table, mapping=mapping)
            importer.plan()
            return importer.report(dry_run=True, written=False)
    for attempt in range(RETRIES):
        try:
            with transaction(sessions, actor=actor, token=token, operation="satisfaction.import") as session:
                importer = _Importer(session, actor=actor, filename=filename, table=table, mapping=mapping)
                importer.plan()
                if importer.column_errors or (all_or_nothing and importer.has_errors):
                    raise _Abandon(importer.report(dry_run=False, written=False))
                importer.apply()
                return importer.report(dry_run=False, written=True)
        except _Abandon as abandoned:
            return abandoned.report
        except IntegrityError:
            # Someone imported the same rows meanwhile (import_key is unique): nothing of ours was written;
            # planning again finds their rows and reports them as already imported.
            if attempt == RETRIES - 1:
                raise
            token = None  # the first attempt's token went with its rollback
    raise AssertionError("unreachable")
