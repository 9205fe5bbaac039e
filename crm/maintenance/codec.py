"""How a row of any table travels in a backup: one JSON value per column, typed by its column, and its checksum.

Every value is written so that reading it back gives the same Python value on SQLite, PostgreSQL and MariaDB:
- integers and booleans as JSON numbers and true/false; text as JSON strings (Chinese as it is, UTF-8);
- amounts (Numeric) as strings at the column's scale ("12.30"), never as binary floats;
- instants (UTCDateTime) as UTC ISO 8601 with microseconds ("2026-05-01T08:30:00.000123"), dates as ISO dates;
- bytes (complaint attachments) as base64;
- a JSON column's value wrapped in a one-element list, so that SQL NULL (null) and JSON null ([null]) stay apart.
A table's checksum does not depend on the order its rows were read in: it is the sum, modulo 2**256, of each
row's SHA-256 (rows are distinct by their primary key). PostgreSQL, MariaDB and SQLite order text keys by
different collations, and the checksum of a table read from any of them must agree.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ColumnElement,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    TypeDecorator,
)

from db.models.base import UTCDateTime

# The kinds a column's values are written as; a column of any other type is refused (UnsupportedColumn).
KINDS = ("int", "bool", "str", "decimal", "float", "instant", "datetime", "date", "json", "bytes")
_MODULUS = 2**256


class UnsupportedColumn(Exception):
    """A column whose type the backup cannot write exactly (a new type in a model: teach it to the codec)."""


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    kind: str
    scale: int | None = None  # decimals: the digits after the point every value is written with

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "scale": self.scale}


def column_kind(column: Column[Any]) -> ColumnSpec:
    """Return how a column's values are written."""
    kind_type: Any = column.type
    if isinstance(kind_type, UTCDateTime):
        return ColumnSpec(column.name, "instant")
    if isinstance(kind_type, TypeDecorator):
        kind_type = kind_type.impl_instance
    if isinstance(kind_type, Boolean):
        return ColumnSpec(column.name, "bool")
    if isinstance(kind_type, Integer):
        return ColumnSpec(column.name, "int")
    if isinstance(kind_type, Float):
        return ColumnSpec(column.name, "float")
    if isinstance(kind_type, Numeric):
        return ColumnSpec(column.name, "decimal", kind_type.scale)
    if isinstance(kind_type, DateTime):
        return ColumnSpec(column.name, "datetime")
    if isinstance(kind_type, Date):
        return ColumnSpec(column.name, "date")
    if isinstance(kind_type, JSON):
        return ColumnSpec(column.name, "json")
    if isinstance(kind_type, LargeBinary):
        return ColumnSpec(column.name, "bytes")
    if isinstance(kind_type, String):  # Text too
        return ColumnSpec(column.name, "str")
    raise UnsupportedColumn(f"{column.table.name}.{column.name}: {column.type!r}")


def table_spec(table: Table) -> tuple[ColumnSpec, ...]:
    """Return how each column of the table is written, in the table's column order."""
    return tuple(column_kind(column) for column in table.columns)


def selected_columns(table: Table) -> list[ColumnElement[Any]]:
    """The columns a backup reads: each column, and for a JSON column whether it holds SQL NULL."""
    selected: list[ColumnElement[Any]] = []
    for column in table.columns:
        selected.append(column)
        if column_kind(column).kind == "json":
            selected.append(column.is_(None).label(f"{column.name}__is_null"))
    return selected


def encode_row(specs: Sequence[ColumnSpec], row: Sequence[Any]) -> list[Any]:
    """Turn a row read with `selected_columns` into the JSON values a backup holds."""
    encoded: list[Any] = []
    values = iter(row)
    for spec in specs:
        value = next(values)
        if spec.kind == "json":
            is_null = next(values)
            encoded.append(None if is_null else [value])
        else:
            encoded.append(_encode(spec, value))
    return encoded


def _encode(spec: ColumnSpec, value: Any) -> Any:
    if value is None:
        return None
    kind = spec.kind
    if kind == "int":
        return int(value)
    if kind == "bool":
        return bool(value)
    if kind == "str":
        return str(value)
    if kind == "decimal":
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        if spec.scale is not None:
            number = number.quantize(Decimal(1).scaleb(-spec.scale))
        if number.is_zero():
            # A sum SQLite keeps as a REAL (a KPI rollup's revenue) can drift to -1e-12, read as -0.00; every
            # database stores that back as 0, so the backup says 0.00 and the restored table checks as equal.
            number = abs(number)
        return format(number, "f")
    if kind == "float":
        return float(value)
    if kind == "instant":
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    if kind == "datetime":
        return value.isoformat(timespec="microseconds")
    if kind == "date":
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    raise UnsupportedColumn(kind)


def decode_row(specs: Sequence[ColumnSpec], encoded: Sequence[Any]) -> dict[str, Any]:
    """Turn a backup's row back into the values to insert, keyed by column name.

    A JSON column's SQL NULL is None and its JSON null is JSON.NULL (insert with `insert_types`).
    """
    return {spec.name: _decode(spec, value) for spec, value in zip(specs, encoded, strict=True)}


def _decode(spec: ColumnSpec, value: Any) -> Any:
    if value is None:
        return None
    kind = spec.kind
    if kind == "json":
        (inner,) = value
        return JSON.NULL if inner is None else inner
    if kind in ("int", "bool", "str", "float"):
        return value
    if kind == "decimal":
        return Decimal(value)
    if kind == "instant":
        return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
    if kind == "datetime":
        return dt.datetime.fromisoformat(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value)
    raise UnsupportedColumn(kind)


def row_line(encoded: Sequence[Any]) -> bytes:
    """The row as the one line the archive holds, and the bytes its checksum is taken of."""
    return json.dumps(encoded, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8") + b"\n"


def parse_line(line: bytes) -> list[Any]:
    """Read one archived row."""
    values = json.loads(line)
    if not isinstance(values, list):
        raise ValueError("an archived row is not a JSON array")
    return values


class TableDigest:
    """The count and the order-independent checksum of a table's rows."""

    def __init__(self) -> None:
        self.rows = 0
        self._sum = 0

    def add(self, line: bytes) -> None:
        self.rows += 1
        self._sum = (self._sum + int.from_bytes(hashlib.sha256(line).digest(), "big")) % _MODULUS

    @property
    def checksum(self) -> str:
        return f"{self._sum:064x}"
