"""Export customers, contacts and orders to CSV (UTF-8 with BOM) or Excel, streamed from SQL in chunks."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from crm.customers import CustomerFilter, customer_query
from crm.platform import clock
from crm.platform.access import masks_contacts
from crm.platform.audit import audit_row, write_audit
from crm.platform.errors import CrmError
from crm.platform.i18n import t
from crm.platform.masking import mask_record
from crm.platform.permissions import Actor, require
from crm.platform.vocab import urgency_of
from db.engine import Sessions
from db.models import Contact, Customer, CustomerTag, Order, User

EXPORT_KINDS = ("customers", "contacts", "orders")
FORMATS = ("csv", "xlsx")
HEADER_STYLES = ("codes", "labels")
EXPORT_CHUNK = 2000
MIME_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Column:
    """One exported column: its header code, the catalog label (imports.field.<label>), its vocabulary."""

    name: str
    label: str = ""
    vocab: str | None = None  # catalog prefix of the values' labels ("stage" -> t("stage.signed"))

    @property
    def label_key(self) -> str:
        return f"imports.field.{self.label or self.name}"


COLUMNS: dict[str, tuple[Column, ...]] = {
    "customers": (
        Column("code"),
        Column("name"),
        Column("customer_type", vocab="customer_type"),
        Column("industry", vocab="industry"),
        Column("region", vocab="region"),
        Column("address"),
        Column("company_size", vocab="company_size"),
        Column("source_channel", vocab="source"),
        Column("owner"),
        Column("owner_name"),
        Column("department"),
        Column("contact_name"),
        Column("phone"),
        Column("email"),
        Column("tags"),
        Column("stage", "lifecycle_stage", vocab="stage"),
        Column("churn_reason", vocab="churn_reason"),
        Column("need_type", vocab="need_type"),
        Column("importance", vocab="importance"),
        Column("expected_close_date"),
        Column("urgency", vocab="urgency"),
        Column("value_tier", vocab="tier"),
        Column("size_class", vocab="size_class"),
        Column("relationship", vocab="relationship"),
        Column("credit_risk", vocab="credit_risk"),
        Column("rfm_recency_days"),
        Column("rfm_frequency"),
        Column("rfm_monetary"),
        Column("rfm_r"),
        Column("rfm_f"),
        Column("rfm_m"),
        Column("rfm_score"),
        Column("follow_up_state", vocab="follow_up_state"),
        Column("last_contact_at"),
        Column("next_follow_up_at"),
        Column("first_contact_date"),
        Column("birthday"),
        Column("needs"),
        Column("products_in_use"),
        Column("decision_process"),
        Column("competitors"),
        Column("preferences"),
        Column("notes"),
        Column("created_at"),
        Column("updated_at"),
        Column("archived_at"),
    ),
    "contacts": (
        Column("customer_code"),
        Column("customer_name"),
        Column("name", "contact_name"),
        Column("title", "contact_title"),
        Column("phone"),
        Column("email"),
        Column("wechat"),
        Column("is_primary"),
        Column("birthday"),
        Column("notes"),
    ),
    "orders": (
        Column("customer_code"),
        Column("customer_name"),
        Column("order_no"),
        Column("order_date"),
        Column("product"),
        Column("amount"),
        Column("currency"),
        Column("notes"),
    ),
}


def export_file_name(kind: str, fmt: str, today: dt.date) -> str:
    """Return a download name such as customers-2024-05-01.xlsx (today: the company's, crm.platform.clock)."""
    return f"{kind}-{today.isoformat()}.{fmt}"


def _check(kind: str, fmt: str, header_style: str) -> None:
    if kind not in EXPORT_KINDS:
        raise CrmError("imports.unknown_kind", kind=kind, kinds=", ".join(EXPORT_KINDS))
    if fmt not in FORMATS:
        raise CrmError("exports.unknown_format", format=fmt, formats=", ".join(FORMATS))
    if header_style not in HEADER_STYLES:
        raise CrmError("exports.unknown_format", format=header_style, formats=", ".join(HEADER_STYLES))


# --- what the actor may see ------------------------------------------------------------------------


def _visible(session: Session, actor: Actor) -> list[Any]:
    """Customers the actor may export: every one with customers.export_all (managers, admins; viewers masked),
    else only their own, even when staff_can_read_all lets staff read the others on screen.
    """
    require(actor, "customers.view")
    if actor.can("customers.export_all"):
        return []
    return [Customer.owner_id == actor.id]


def _customer_select(session: Session, actor: Actor, customer_filter: Any, now: dt.datetime) -> Select[Any]:
    """Return the customers' SELECT: the customer list's own query, with the columns only an export shows."""
    statement = customer_query(session, actor, customer_filter or CustomerFilter(), now=now)
    statement = statement.where(*_visible(session, actor))
    owner_username = select(User.username).where(User.id == Customer.owner_id).correlate(Customer).scalar_subquery()
    return statement.add_columns(
        owner_username.label("owner_username"),
        _tags_column(),
        Customer.address,
        Customer.company_size,
        Customer.churn_reason,
        Customer.rfm_recency_days,
        Customer.rfm_frequency,
        Customer.rfm_monetary,
        Customer.rfm_r,
        Customer.rfm_f,
        Customer.rfm_m,
        Customer.first_contact_date,
        Customer.birthday,
        Customer.needs,
        Customer.products_in_use,
        Customer.decision_process,
        Customer.competitors,
        Customer.preferences,
        Customer.notes,
    )


def _filtered_ids(session: Session, actor: Actor, customer_filter: Any, now: dt.datetime) -> Any | None:
    """A subquery of the filtered customers' ids, or None for every visible live customer."""
    if customer_filter is None:
        return None
    return _customer_select(session, actor, customer_filter, now).order_by(None).subquery()


# --- rows --------------------------------------------------------------------------------------------


def _tags_column() -> Any:
    # In the same statement: MariaDB cannot run a second query while a streamed result is open.
    return (
        select(func.aggregate_strings(CustomerTag.tag, ", "))
        .where(CustomerTag.customer_id == Customer.id)
        .correlate(Customer)
        .scalar_subquery()
        .label("tags")
    )


def _getter(row: Any) -> Any:
    """A name -> value lookup for one result row."""
    return dict(zip(row._fields, row, strict=True)).get


def _customer_rows(
    session: Session, actor: Actor, customer_filter: Any, today: dt.date, now: dt.datetime
) -> Iterator[dict[str, Any]]:
    statement = _customer_select(session, actor, customer_filter, now)
    mask = masks_contacts(actor)
    for row in session.execute(statement.execution_options(yield_per=EXPORT_CHUNK)):
        get = _getter(row)
        r, f, m = get("rfm_r"), get("rfm_f"), get("rfm_m")
        values = {
            "code": get("code"),
            "name": get("name"),
            "customer_type": get("customer_type"),
            "industry": get("industry"),
            "region": get("region"),
            "address": get("address"),
            "company_size": get("company_size"),
            "source_channel": get("source_channel"),
            "owner": get("owner_username"),
            "owner_name": get("owner_name"),
            "department": get("department_name"),
            "contact_name": get("contact_name"),
            "phone": get("contact_phone"),
            "email": get("contact_email"),
            "tags": get("tags"),
            "stage": get("lifecycle_stage"),
            "churn_reason": get("churn_reason"),
            "need_type": get("need_type"),
            "importance": get("importance"),
            "expected_close_date": get("expected_close_date"),
            "urgency": urgency_of(get("expected_close_date"), today),
            "value_tier": get("value_tier"),
            "size_class": get("size_class"),
            "relationship": get("relationship"),
            "credit_risk": get("credit_risk"),
            "rfm_recency_days": get("rfm_recency_days"),
            "rfm_frequency": get("rfm_frequency"),
            "rfm_monetary": get("rfm_monetary"),
            "rfm_r": r,
            "rfm_f": f,
            "rfm_m": m,
            "rfm_score": r + f + m if None not in (r, f, m) else None,
            "follow_up_state": get("follow_up_state"),
            "last_contact_at": get("last_contact_at"),
            "next_follow_up_at": get("next_follow_up_at"),
            "first_contact_date": get("first_contact_date"),
            "birthday": get("birthday"),
            "needs": get("needs"),
            "products_in_use": get("products_in_use"),
            "decision_process": get("decision_process"),
            "competitors": get("competitors"),
            "preferences": get("preferences"),
            "notes": get("notes"),
            "created_at": get("created_at"),
            "updated_at": get("updated_at"),
            "archived_at": get("archived_at"),
        }
        # Every personal field (the contact's phone and email, an individual's birthday) masked for viewers.
        yield mask_record(values) if mask else values


def _scoped(session: Session, actor: Actor, statement: Any, customer_filter: Any, now: dt.datetime) -> Any:
    statement = statement.where(*_visible(session, actor))
    ids = _filtered_ids(session, actor, customer_filter, now)
    if ids is None:
        return statement.where(Customer.archived_at.is_(None))
    # The filter decides which customers: archived ones too when the list shows them.
    return statement.where(Customer.id.in_(select(ids.c.id)))


def _contact_rows(
    session: Session, actor: Actor, customer_filter: Any, today: dt.date, now: dt.datetime
) -> Iterator[dict[str, Any]]:
    statement = _scoped(
        session,
        actor,
        (
            select(
                Customer.code,
                Customer.name.label("customer_name"),
                Contact.name,
                Contact.title,
                Contact.phone,
                Contact.email,
                Contact.wechat,
                Contact.is_primary,
                Contact.birthday,
                Contact.notes,
            )
            .join(Customer, Customer.id == Contact.customer_id)
            .where(Contact.archived_at.is_(None))
            .order_by(Customer.code, Contact.is_primary.desc(), Contact.id)
        ),
        customer_filter,
        now,
    )
    mask = masks_contacts(actor)
    for row in session.execute(statement.execution_options(yield_per=EXPORT_CHUNK)):
        values = {
            "customer_code": row.code,
            "customer_name": row.customer_name,
            "name": row.name,
            "title": row.title,
            "phone": row.phone,
            "email": row.email,
            "wechat": row.wechat,
            "is_primary": bool(row.is_primary),
            "birthday": row.birthday,
            "notes": row.notes,
        }
        # Phone, email, WeChat ID and birthday: every personal field masked for viewers (crm.platform.masking).
        yield mask_record(values) if mask else values


def _order_rows(
    session: Session, actor: Actor, customer_filter: Any, today: dt.date, now: dt.datetime
) -> Iterator[dict[str, Any]]:
    statement = _scoped(
        session,
        actor,
        (
            select(
                Customer.code,
                Customer.name.label("customer_name"),
                Order.order_no,
                Order.order_date,
                Order.product,
                Order.amount,
                Order.currency,
                Order.notes,
            )
            .join(Customer, Customer.id == Order.customer_id)
            .where(Order.archived_at.is_(None))
            .order_by(Order.order_date, Order.id)
        ),
        customer_filter,
        now,
    )
    for row in session.execute(statement.execution_options(yield_per=EXPORT_CHUNK)):
        yield {
            "customer_code": row.code,
            "customer_name": row.customer_name,
            "order_no": row.order_no,
            "order_date": row.order_date,
            "product": row.product,
            "amount": row.amount,
            "currency": row.currency,
            "notes": row.notes,
        }


_ROWS = {"customers": _customer_rows, "contacts": _contact_rows, "orders": _order_rows}


# --- formatting and writing ------------------------------------------------------------------------


class _Formatter:
    """Turn typed values into what a CSV cell or an Excel cell holds, in the chosen header style.

    Each column gets its converter once (translated labels cached per value), since an export of
    100,000 customers formats four and a half million cells.
    """

    def __init__(self, kind: str, lang: str, header_style: str, zone: ZoneInfo) -> None:
        self.columns = COLUMNS[kind]
        self.names = [c.name for c in self.columns]
        self.lang = lang
        self.labels = header_style == "labels"
        self.zone = zone
        self.converters = [self._converter(c) for c in self.columns]

    def headers(self) -> list[str]:
        return [t(c.label_key, self.lang) if self.labels else c.name for c in self.columns]

    def _converter(self, column: Column) -> Any:
        if self.labels and column.vocab:
            cache: dict[Any, str] = {}

            def label(value: Any, prefix: str = column.vocab) -> str:
                if value not in cache:
                    cache[value] = t(f"{prefix}.{value}", self.lang)
                return cache[value]

            return label
        return self._plain

    def _plain(self, value: Any) -> Any:
        if isinstance(value, bool):
            if self.labels:
                return t("common.yes" if value else "common.no", self.lang)
            return "true" if value else "false"
        if isinstance(value, dt.datetime):
            return value.astimezone(self.zone).replace(tzinfo=None, microsecond=0)
        return value

    def xlsx_row(self, row: dict[str, Any]) -> list[Any]:
        return [
            None if (value := row.get(name)) is None else convert(value)
            for name, convert in zip(self.names, self.converters, strict=True)
        ]

    def csv_row(self, row: dict[str, Any]) -> list[Any]:
        return [_csv_cell(value) for value in self.xlsx_row(row)]


# What makes a spreadsheet evaluate a cell: the formula signs, tab and carriage return, and the full-width signs
# Chinese input methods type (WPS and Excel with an East Asian locale take ＝１＋１ for a formula).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# Left as they are, since a spreadsheet reads them as what they are: a plain signed number (-12.5, +3, -1e5) and a
# phone in the app's own international form, digit groups after the country code separated by single spaces, maybe
# masked (+86 138 1234 5678, +86 138****5678, +44****0958). Anything else, -1-1 or -(1)*3 included, is arithmetic.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_APP_PHONE = re.compile(r"\+\d{1,3}(?: ?(?:\d+|\*{4}))+")


def defuse_formula(text: str) -> str:
    """Quote a text a spreadsheet would evaluate when it opens the CSV (=HYPERLINK(...), @SUM(...), -1-1).

    A leading apostrophe makes Excel show the text as typed; plain numbers and the app's phones are left alone.
    crm.exchange.tabular drops the apostrophe again on import, so an export re-imports to the same values.
    """
    if text.startswith(FORMULA_START) and not (_PLAIN_NUMBER.fullmatch(text) or _APP_PHONE.fullmatch(text)):
        return "'" + text
    return text


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return defuse_formula(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def write_export(
    sessions: Sessions,
    *,
    actor: Actor,
    kind: str,
    fmt: str,
    out: IO[bytes],
    customer_filter: Any = None,
    lang: str = "en",
    header_style: str = "codes",
    today: dt.date | None = None,
    audit: bool = True,
) -> int:
    """Write the customers, contacts or orders the actor may see to a binary stream; return the row count.

    Rows stream from SQL in chunks of EXPORT_CHUNK; Excel through XlsxWriter's constant-memory mode.
    Viewers get phones and emails masked. With a customer filter (crm.customers.service.CustomerFilter) only the
    filtered customers (and their contacts / orders) are exported.
    """
    require(actor, "customers.export")
    _check(kind, fmt, header_style)
    now = clock.utcnow()
    with sessions.read() as session:
        zone = clock.company_zone(session)
        today = today or clock.today(zone)
        formatter = _Formatter(kind, lang, header_style, zone)
        rows = _ROWS[kind](session, actor, customer_filter, today, now)
        count = _write_csv(out, formatter, rows) if fmt == "csv" else _write_xlsx(out, formatter, rows, kind, lang)
    if audit:
        with sessions.begin() as session:
            write_audit(
                session,
                [audit_row(actor, "export", kind, fmt, new={"rows": count, "filtered": customer_filter is not None})],
            )
    return count


def _write_csv(out: IO[bytes], formatter: _Formatter, rows: Iterator[dict[str, Any]]) -> int:
    # utf-8-sig writes the BOM first: without it Excel reads the file as the system code page and garbles Chinese.
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(formatter.headers())
    count = 0
    for row in rows:
        writer.writerow(formatter.csv_row(row))
        count += 1
    text.flush()
    text.detach()
    return count


def _write_xlsx(out: IO[bytes], formatter: _Formatter, rows: Iterator[dict[str, Any]], kind: str, lang: str) -> int:
    # XlsxWriter in constant-memory mode streams row by row, about three times faster than openpyxl.
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        out,
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    time_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet = workbook.add_worksheet(t(f"exports.sheet.{kind}", lang)[:31])
    sheet.write_row(0, 0, formatter.headers())
    count = 0
    for row in rows:
        count += 1
        for column, value in enumerate(formatter.xlsx_row(row)):
            if value is None:
                continue
            if isinstance(value, dt.datetime):
                sheet.write_datetime(count, column, value, time_format)
            elif isinstance(value, dt.date):
                sheet.write_datetime(count, column, value, date_format)
            elif isinstance(value, bool):
                sheet.write_boolean(count, column, value)
            elif isinstance(value, int | float | Decimal):
                sheet.write_number(count, column, float(value))
            else:
                sheet.write_string(count, column, str(value))
    sheet.freeze_panes(1, 0)
    workbook.close()
    return count


def export_bytes(
    sessions: Sessions,
    *,
    actor: Actor,
    kind: str,
    fmt: str,
    customer_filter: Any = None,
    lang: str = "en",
    header_style: str = "labels",
    today: dt.date | None = None,
) -> bytes:
    """Return an export as bytes (for a download button)."""
    buffer = io.BytesIO()
    write_export(
        sessions,
        actor=actor,
        kind=kind,
        fmt=fmt,
        out=buffer,
        customer_filter=customer_filter,
        lang=lang,
        header_style=header_style,
        today=today,
    )
    return buffer.getvalue()
