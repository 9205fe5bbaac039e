"""Reading CSV and Excel tables as text cells with file line numbers; header and value folding for matching."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from crm.platform.errors import CrmError

CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
SUPPORTED_SUFFIXES = ("csv", "xlsx")
# What Excel and Chinese office software write: UTF-8 (with or without BOM) or GBK, of which GB18030 is a superset.
CSV_ENCODINGS = ("utf-8-sig", "utf-8", "gb18030")
_DELIMITERS = (",", "\t", ";", "|")
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】")
_IGNORED_IN_KEYS = re.compile(r"[\s_\-.*:#/\\'\"`]+")


@dataclass(frozen=True)
class Table:
    """A sheet read as text: the header cells, then (file line, cells) for every non-blank row."""

    headers: tuple[str, ...]
    rows: list[tuple[int, tuple[str, ...]]]
    encoding: str | None  # the encoding a CSV file was read with; None for Excel
    # Excel: (file line, column index) of formula cells saved without a calculated value (read as empty)
    formula_cells: frozenset[tuple[int, int]] = frozenset()

    def cell(self, cells: tuple[str, ...], index: int) -> str:
        return cells[index] if index < len(cells) else ""


def fold(text: str) -> str:
    """Fold a header or a label for matching: width, case, spaces, punctuation, bracketed units removed."""
    text = unicodedata.normalize("NFKC", text or "").replace("\ufeff", "").casefold()
    text = _BRACKETED.sub("", text)
    return _IGNORED_IN_KEYS.sub("", text)


# Larger files are refused before they are read: a file is imported in one transaction, held in memory, and
# 20 MB of CSV is already about 150,000 customers. Split a bigger file, or use the command line in parts.
MAX_FILE_BYTES = 20 * 1024 * 1024


def read_table(filename: str, data: bytes) -> Table:
    """Read an uploaded CSV or XLSX file; raise CrmError with a catalog key if it cannot be read."""
    if len(data) > MAX_FILE_BYTES:
        raise CrmError(
            "imports.too_large", mb=f"{len(data) / 1024 / 1024:,.1f}", max_mb=MAX_FILE_BYTES // (1024 * 1024)
        )
    suffix = PurePath(filename or "").suffix.lower()
    if suffix in XLSX_SUFFIXES or (not suffix and data[:2] == b"PK"):
        return _read_xlsx(data)
    if suffix in CSV_SUFFIXES or not suffix:
        return _read_csv(data)
    raise CrmError("imports.unsupported_format", name=filename, formats=", ".join(SUPPORTED_SUFFIXES))


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode a text file: UTF-16 by its BOM, else UTF-8 (BOM or not), else GB18030; return (text, encoding)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        # Excel's "Unicode text" export: UTF-16 with a BOM, tab-separated.
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    for encoding in CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
            encoding = "utf-8"
        return text, encoding
    best = _guess_encoding(data)
    if best is not None:
        return best
    raise CrmError("imports.encoding")


def _guess_encoding(data: bytes) -> tuple[str, str] | None:
    # Last resort for files in other legacy encodings (Big5, Shift-JIS, ...).
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - charset-normalizer is a dependency of requests
        return None
    match = from_bytes(data[:200_000]).best()
    if match is None:
        return None
    try:
        return data.decode(match.encoding), match.encoding
    except (UnicodeDecodeError, LookupError):
        return None


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(data: bytes) -> Table:
    sample = data[:65536]
    if sample[:2] not in (b"\xff\xfe", b"\xfe\xff") and sample.count(0) > max(8, len(sample) // 100):
        # Text holds no NUL bytes but UTF-16 (a stray one in a cell is reported on its row): an image, an archive
        # or a workbook renamed .csv.
        raise CrmError("imports.binary_file")
    text, encoding = decode_text(data)
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(first_line))
    headers: tuple[str, ...] | None = None
    rows: list[tuple[int, tuple[str, ...]]] = []
    next_line = 1
    try:
        for record in reader:
            line = next_line  # a quoted cell may span lines: report the line the record starts on
            next_line = reader.line_num + 1
            cells = tuple(_undo_defused(cell.strip()) for cell in record)
            if not any(cells):
                continue
            if headers is None:
                headers = cells
            else:
                rows.append((line, cells))
    except csv.Error as exc:
        raise CrmError("imports.unreadable", line=next_line, reason=str(exc)) from exc
    if headers is None:
        raise CrmError("imports.empty_file")
    return Table(headers=unique_headers(headers), rows=rows, encoding=encoding)


def _undo_defused(cell: str) -> str:
    # Our CSV exports quote formula-like texts with an apostrophe (crm.exchange.exports.defuse_formula); take it off.
    if cell.startswith("'") and cell[1:2] in ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"):
        return cell[1:]
    return cell


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any damage to the zip or its XML means the same to the user
        raise CrmError("imports.unreadable", line=1, reason=type(exc).__name__) from exc
    try:
        sheet = workbook.worksheets[0]
        formulas = _uncalculated_formulas(sheet)
        formula_rows = {line for line, _column in formulas}  # read as blank, but not blank: keep and report them
        headers: tuple[str, ...] | None = None
        rows: list[tuple[int, tuple[str, ...]]] = []
        for line, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            cells = tuple(cell_text(value) for value in values)
            if not any(cells) and (headers is None or line not in formula_rows):
                continue
            if headers is None:
                headers = cells
            else:
                rows.append((line, cells))
    finally:
        workbook.close()
    if headers is None:
        raise CrmError("imports.empty_file")
    return Table(headers=unique_headers(headers), rows=rows, encoding=None, formula_cells=formulas)


_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_STRING_TYPES = frozenset({"str", "s", "inlineStr"})


def _uncalculated_formulas(sheet: Any) -> frozenset[tuple[int, int]]:
    """Return (row, column index) of the formula cells saved without a calculated value.

    data_only=True reads them as empty: a file written by a program (not Excel) that never calculated its
    formulas. Excel saves a formula's result next to it (<f>..</f><v>result</v>); an empty result of a text
    formula is typed "str". The sheet's XML is searched for "<f" first, so files without formulas cost one scan.
    """
    from xml.etree.ElementTree import iterparse

    from openpyxl.utils.cell import coordinate_to_tuple

    with sheet._get_source() as source:  # the worksheet's XML inside the workbook's zip
        has_formulas = False
        tail = b""
        while chunk := source.read(1 << 20):
            if b"<f" in tail + chunk or b":f>" in tail + chunk or b":f " in tail + chunk:
                has_formulas = True
                break
            tail = chunk[-3:]
    if not has_formulas:
        return frozenset()
    found: set[tuple[int, int]] = set()
    row_number, column = 0, 0
    with sheet._get_source() as source:
        for event, element in iterparse(source, events=("start", "end")):
            if event == "start":
                if element.tag == f"{_SHEET_NS}row":
                    row_number = int(element.get("r") or row_number + 1)
                    column = 0
                continue
            if element.tag != f"{_SHEET_NS}c":
                if element.tag == f"{_SHEET_NS}row":
                    element.clear()
                continue
            reference = element.get("r")
            if reference:
                row_number, column = coordinate_to_tuple(reference)
            else:
                column += 1
            if element.find(f"{_SHEET_NS}f") is not None:
                value = element.find(f"{_SHEET_NS}v")
                if value is None or (not value.text and element.get("t") not in _STRING_TYPES):
                    found.add((row_number, column - 1))
    return frozenset(found)


def cell_text(value: Any) -> str:
    """Turn an Excel cell value into the text a user typed (no 13812345678.0, no 00:00:00 on dates)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value).strip()


def unique_headers(headers: tuple[str, ...]) -> tuple[str, ...]:
    """Name blank headers by column number and make repeated ones distinct, so a mapping can name each."""
    seen: dict[str, int] = {}
    result = []
    for index, header in enumerate(headers, start=1):
        name = header.strip() or f"#{index}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        result.append(name)
    return tuple(result)
