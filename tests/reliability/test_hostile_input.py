"""Every case of the hostile-input catalogue through the services (three databases) and the customer import: the
exact error a user reads, or the exact value stored. Property-based tests (hypothesis) on the validators and the
file reader."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from crm.customers.records import ContactInput, OrderInput, add_contact, add_order
from crm.customers.service import CustomerInput, create_customer
from crm.exchange.imports import import_file
from crm.exchange.tabular import read_table
from crm.platform.errors import CrmError, ValidationCollector, ValidationError
from crm.platform.i18n import t
from crm.platform.permissions import SYSTEM
from crm.platform.validation import (
    MAX_AMOUNT,
    check_length,
    check_required,
    is_blank,
    is_email,
    normalise_phone,
    parse_amount,
)
from db.engine import Sessions
from db.models import Contact, Customer, Order
from tests.reliability.hostile_cases import CASES, NAME_CASES, Case, Refused, Stored

YESTERDAY = dt.date.today() - dt.timedelta(days=2)  # yesterday in any company zone


def _run(sessions: Sessions, case: Case) -> Any:
    """Write the case's value where its target says; return what was stored (raises ValidationError)."""
    kind, field = case.target.split(".")
    if kind == "customer":
        data = (
            CustomerInput(name=case.value) if field == "name" else CustomerInput(name="Hostile Ltd", notes=case.value)
        )
        customer_id = create_customer(sessions, actor=SYSTEM, data=data).id
        with sessions.read() as session:
            return session.scalar(select(getattr(Customer, field)).where(Customer.id == customer_id))
    customer_id = create_customer(sessions, actor=SYSTEM, data=CustomerInput(name="Hostile Ltd")).id
    if kind == "contact":
        contact = add_contact(
            sessions, actor=SYSTEM, customer_id=customer_id, data=ContactInput(name="Li Lei", **{field: case.value})
        )
        with sessions.read() as session:
            return session.scalar(select(getattr(Contact, field)).where(Contact.id == contact.id))
    values: dict[str, Any] = {"order_date": YESTERDAY, "amount": "1"}
    values[field] = case.value
    order = add_order(sessions, actor=SYSTEM, customer_id=customer_id, data=OrderInput(**values))
    with sessions.read() as session:
        return session.scalar(select(getattr(Order, field)).where(Order.id == order.id))


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_each_hostile_case_through_the_services(sessions: Sessions, case: Case) -> None:
    if isinstance(case.expect, Refused):
        with pytest.raises(ValidationError) as refused:
            _run(sessions, case)
        assert case.expect.field in refused.value.fields, refused.value.fields
        key, params = refused.value.fields[case.expect.field]
        assert key == case.expect.key
        assert t(key, "en", **params) != t(key, "zh", **params)  # a sentence in each language, not a key
    else:
        assert _run(sessions, case) == case.expect.value


def test_the_catalogue_holds_at_least_sixty_cases() -> None:
    assert len(CASES) >= 60 and len({case.id for case in CASES}) == len(CASES)


def _customer_file(name: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "customer_type"])
    writer.writerow([name, "company"])
    return buffer.getvalue().encode("utf-8")


@pytest.mark.parametrize("case", NAME_CASES, ids=[case.id for case in NAME_CASES])
def test_each_name_case_through_the_customer_import(sqlite_sessions: Sessions, case: Case) -> None:
    report = import_file(
        sqlite_sessions, actor=SYSTEM, kind="customers", filename="hostile.csv", data=_customer_file(case.value)
    )
    with sqlite_sessions.read() as session:
        names = session.scalars(select(Customer.name)).all()
    if isinstance(case.expect, Refused):
        assert report.bad_rows == 1 and names == []
        assert [issue.key for issue in report.errors] == [case.expect.key]
    else:
        assert report.bad_rows == 0, [issue.key for issue in report.errors]
        assert names == [case.expect.value]


# --- files: no header, extra and repeated columns, encodings, binary, size, formulas ---------------------------


def _import(sessions: Sessions, filename: str, data: bytes) -> Any:
    return import_file(sessions, actor=SYSTEM, kind="customers", filename=filename, data=data)


def _names(sessions: Sessions) -> list[str]:
    with sessions.read() as session:
        return sorted(session.scalars(select(Customer.name)).all())


def test_a_file_without_a_header_row_says_which_column_is_missing(sqlite_sessions: Sessions) -> None:
    report = _import(sqlite_sessions, "noheader.csv", b"Acme Ltd,13812345678\nBeta Ltd,13900001111\n")
    assert not report.written and [issue.key for issue in report.errors] == ["imports.missing_column"]
    assert _names(sqlite_sessions) == []


def test_extra_columns_are_ignored_and_repeated_ones_refused_or_read_once(sqlite_sessions: Sessions) -> None:
    report = _import(sqlite_sessions, "extra.csv", b"name,customer_type,shoe size\nAcme Ltd,company,42\n")
    assert report.bad_rows == 0 and _names(sqlite_sessions) == ["Acme Ltd"]
    try:
        repeated = _import(sqlite_sessions, "repeated.csv", b"name,name\nBeta Ltd,Gamma Ltd\n")
    except CrmError as refused:  # a clear refusal is as good as reading one of them
        assert refused.key.startswith("imports.")
    else:
        assert repeated.bad_rows == 0 and _names(sqlite_sessions) in (
            ["Acme Ltd", "Beta Ltd"],
            ["Acme Ltd", "Gamma Ltd"],
        )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_chinese_names_survive_every_encoding_a_spreadsheet_writes(sqlite_sessions: Sessions, encoding: str) -> None:
    report = _import(sqlite_sessions, "zh.csv", "name\n上海𠀀贸易有限公司\n北京科技\n".encode(encoding))
    assert report.bad_rows == 0
    assert _names(sqlite_sessions) == sorted(["上海𠀀贸易有限公司", "北京科技"])


def test_a_file_of_mixed_encodings_is_refused_or_read_without_garbling_its_utf8_lines(
    sqlite_sessions: Sessions,
) -> None:
    data = "name\n北京科技\n".encode() + "上海贸易\n".encode("gb18030")
    try:
        _import(sqlite_sessions, "mixed.csv", data)
    except CrmError as refused:
        assert refused.key.startswith("imports.")
        return
    # Read as GB18030 (the fallback): the UTF-8 line cannot be told apart; nothing may crash or half-write.
    assert len(_names(sqlite_sessions)) == 2


@pytest.mark.parametrize(
    "filename,data",
    [
        ("image.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40),
        ("zip.csv", b"PK\x03\x04" + bytes(200)),
        ("empty.csv", b""),
        ("sheet.xlsx", b"not really a spreadsheet"),
        ("report.pdf", b"%PDF-1.7"),
    ],
)
def test_files_that_are_not_tables_get_a_clear_error(sqlite_sessions: Sessions, filename: str, data: bytes) -> None:
    with pytest.raises(CrmError) as refused:
        _import(sqlite_sessions, filename, data)
    assert t(refused.value.key, "en", **refused.value.params) != refused.value.key
    assert _names(sqlite_sessions) == []


def test_a_50_mb_file_is_refused_quickly_with_the_limit_named(sqlite_sessions: Sessions) -> None:
    data = b"name\n" + b"Acme Trading Company Limited\n" * (50 * 1024 * 1024 // 29)
    with pytest.raises(CrmError) as refused:
        _import(sqlite_sessions, "big.csv", data)
    assert refused.value.key == "imports.too_large"
    assert "MB" in t(refused.value.key, "en", **refused.value.params)
    assert _names(sqlite_sessions) == []


def test_a_header_only_file_imports_nothing_and_says_so(sqlite_sessions: Sessions) -> None:
    try:
        report = _import(sqlite_sessions, "header.csv", b"name,customer_type\n")
    except CrmError as refused:
        assert refused.key.startswith("imports.")
    else:
        assert report.total_rows == 0
    assert _names(sqlite_sessions) == []


# --- properties -----------------------------------------------------------------------------------------------


@given(st.text())
def test_the_length_check_never_passes_a_nul_a_control_or_an_overlong_text(text: str) -> None:
    errors = ValidationCollector()
    check_length(errors, "f", text, 50)
    bad = "\x00" in text or len(text) > 50 or any(ord(c) < 32 and c not in "\t\n\r" or c == "\x7f" for c in text)
    bidi = any("\u202a" <= c <= "\u202e" or "\u2066" <= c <= "\u2069" for c in text)
    assert bool(errors.fields) == (bad or bidi)


@given(st.text())
def test_required_refuses_exactly_the_texts_with_nothing_visible(text: str) -> None:
    errors = ValidationCollector()
    check_required(errors, "f", text, 10_000)
    assert (errors.fields.get("f", ("",))[0] == "validation.required") == is_blank(text)


@given(st.one_of(st.text(), st.decimals(allow_nan=True, allow_infinity=True), st.floats(), st.integers()))
def test_an_amount_is_finite_non_negative_within_the_limit_with_two_decimals_or_refused(raw: Any) -> None:
    value = parse_amount(raw)
    if value is not None:
        assert value.is_finite() and Decimal(0) <= value <= MAX_AMOUNT
        assert value == value.quantize(Decimal("0.01"))


@given(st.text(max_size=40))
def test_a_phone_is_canonical_digits_or_refused(raw: str) -> None:
    phone = normalise_phone(raw)
    if phone is not None:
        assert phone == normalise_phone(phone)  # canonical: normalising again changes nothing
        assert all(c.isascii() and (c.isdigit() or c in "+-") for c in phone)


@given(st.text(max_size=300))
def test_an_email_is_ascii_without_spaces_or_refused(raw: str) -> None:
    if is_email(raw):
        assert raw.isascii() and " " not in raw and "@" in raw and len(raw) <= 254


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_the_file_reader_reads_any_bytes_or_refuses_them_clearly(data: bytes) -> None:
    for name in ("any.csv", "any.xlsx"):
        try:
            table = read_table(name, data)
        except CrmError as refused:
            assert refused.key.startswith("imports.")
        else:
            assert all(isinstance(h, str) for h in table.headers)
            assert all(isinstance(c, str) for _, cells in table.rows for c in cells)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.text(max_size=12), min_size=1, max_size=4), min_size=1, max_size=6))
def test_a_csv_written_by_a_spreadsheet_reads_back_cell_for_cell(rows: list[list[str]]) -> None:
    width = max(len(row) for row in rows)
    header = [f"col{i}" for i in range(width)]
    clean = [[cell.replace("\x00", "").replace("\r", "") for cell in row] + [""] * (width - len(row)) for row in rows]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *clean])
    table = read_table("any.csv", buffer.getvalue().encode("utf-8"))
    assert list(table.headers) == header
    read = [list(cells) + [""] * (width - len(cells)) for _, cells in table.rows]
    expected = [row for row in clean if any(cell.strip() for cell in row)]
    assert [[c.strip() for c in row] for row in read] == [[c.strip() for c in row] for row in expected]


# --- every stored name through both exports: no formula runs, nothing breaks the file -----------------------


def test_every_stored_name_exports_to_csv_and_excel_with_formulas_defused(sqlite_sessions: Sessions) -> None:
    import openpyxl

    from crm.exchange.exports import export_bytes

    stored = [case.expect.value for case in NAME_CASES if isinstance(case.expect, Stored)]
    for name in stored:
        create_customer(sqlite_sessions, actor=SYSTEM, data=CustomerInput(name=name), confirm_duplicates=True)
    text = export_bytes(sqlite_sessions, actor=SYSTEM, kind="customers", fmt="csv").decode("utf-8-sig")
    cells = {row[1] for row in csv.reader(io.StringIO(text))} | {row[0] for row in csv.reader(io.StringIO(text))}
    workbook = openpyxl.load_workbook(
        io.BytesIO(export_bytes(sqlite_sessions, actor=SYSTEM, kind="customers", fmt="xlsx"))
    )
    excel = {str(cell.value): cell.data_type for row in workbook.active.iter_rows() for cell in row if cell.value}
    for name in stored:
        assert excel.get(name) == "s", name  # Excel: the exact text in a text cell, never a formula
        if name[0] in "=+-@＝":  # CSV: quoted with an apostrophe, which the import drops again
            assert "'" + name in cells and name not in cells, name
        else:
            assert name in cells, name
