"""Set-based writing of a classification run: vectorised explanations, a staging table, INSERT/UPDATE from it.

The changed customers go into a temporary table with raw driver executemany (one tuple per customer, no ORM, no
per-row SQL). From there one INSERT ... SELECT per dimension appends the class history (the explanation text is
built with numpy string operations, so no Python loop runs per changed class), and one UPDATE ... FROM writes the
cached columns. The explanations are the same JSON that crm.classification.service.Reason.to_json() produces for a
single customer (a test keeps the two in step).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    exists,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.engine import Connection

from crm.classification.rfm import COMPUTED_DIMENSIONS, Thresholds
from crm.platform.rollups import moving
from db.models import ClassChange, Customer, MoneySum, UTCDateTime

CHUNK = 50_000
RFM_COLUMNS = ("rfm_recency_days", "rfm_frequency", "rfm_monetary", "rfm_r", "rfm_f", "rfm_m")
CACHED_COLUMNS = (*COMPUTED_DIMENSIONS, *RFM_COLUMNS)
_SENTINEL = -(2**62)


def differs(new: pd.Series, old: pd.Series) -> np.ndarray:
    """Element-wise "changed", where two missing values count as equal (vectorised for codes and integers)."""
    if isinstance(old.dtype, pd.CategoricalDtype):
        values = new.to_numpy(dtype=object)
        new_codes = np.full(len(values), -1, dtype=np.int16)
        for index, category in enumerate(old.cat.categories):
            new_codes[values == category] = index
        # A value outside the categories (never written by a run) also shows as -1: count it as changed.
        unknown = (new_codes == -1) & new.notna().to_numpy()
        changed = new_codes != old.cat.codes.to_numpy()
        return np.asarray(changed | unknown, dtype=bool)
    left = pd.array(new, dtype="Int64").fillna(_SENTINEL).to_numpy(dtype=np.int64)
    right = pd.array(old, dtype="Int64").fillna(_SENTINEL).to_numpy(dtype=np.int64)
    return np.asarray(left != right, dtype=bool)


def new_cached(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """The cached column values a computed frame gives (rfm_monetary in cents)."""
    has = frame["orders"] > 0
    return {
        "value_tier": frame["value_tier"],
        "size_class": frame["size_class"],
        "relationship": frame["relationship"],
        "credit_risk": frame["credit_risk"],
        "rfm_recency_days": frame["recency_days"].where(has, pd.NA),
        "rfm_frequency": pd.Series(frame["orders"], dtype="Int64").where(has, pd.NA),
        "rfm_monetary": pd.Series(frame["total_cents"], dtype="Int64").where(has, pd.NA),
        "rfm_r": frame["rfm_r"],
        "rfm_f": frame["rfm_f"],
        "rfm_m": frame["rfm_m"],
    }


# --- explanations, vectorised ---------------------------------------------------------------------


def _money(cents: np.ndarray) -> list[str]:
    return [f"{c // 100}.{c % 100:02d}" for c in np.asarray(cents, dtype=np.int64).tolist()]


Param = tuple[str, Any, str]  # (name, values: a sequence or a constant, kind: "int" / "float" / "str")


def _json(keys: Any, params: list[Param]) -> list[str]:
    """Build '{"key": ..., "params": {...}}' for every row: one %-format per row, constants baked into the format.

    The text equals json.dumps({"key": k, "params": p}, sort_keys=True) for these plain values.
    """
    pieces, columns = [], [list(keys)]
    for name, values, kind in sorted(params, key=lambda p: p[0]):
        if np.ndim(values) == 0:
            constant = json.dumps(float(values) if kind == "float" else values)
            pieces.append(f'"{name}": {constant.replace("%", "%%")}')
            continue
        pieces.append(f'"{name}": ' + {"int": "%d", "float": "%r", "str": '"%s"'}[kind])
        column = np.asarray(values).tolist()
        columns.append([float(v) for v in column] if kind == "float" else column)
    template = '{"key": "%s", "params": {' + ", ".join(pieces) + "}}"
    return [template % row for row in zip(*columns, strict=True)]


def explanations(
    dimension: str, rows: pd.DataFrame, thresholds: Thresholds, facts: Mapping[str, Any], as_of: dt.date
) -> np.ndarray:
    """Return the JSON explanation of the computed class of every row, for one dimension."""
    result = np.empty(len(rows), dtype=object)
    if rows.empty:
        return result
    has = (rows["orders"] > 0).to_numpy()
    if dimension == "value_tier":
        result[~has] = json.dumps(
            {"key": "classification.why.value.none", "params": {"as_of": as_of.isoformat()}}, sort_keys=True
        )
        buyers = rows[has]
        if len(buyers):
            tiers = buyers["value_computed"].to_numpy(dtype=str)
            bound = np.where(tiers == "high", thresholds.tier_high, thresholds.tier_medium)
            result[has] = _json(
                np.char.add("classification.why.value.", tiers),
                [
                    ("recency", buyers["recency_days"].to_numpy(dtype=np.int64), "int"),
                    ("r", buyers["rfm_r"].to_numpy(dtype=np.int64), "int"),
                    ("frequency", buyers["orders"].to_numpy(dtype=np.int64), "int"),
                    ("f", buyers["rfm_f"].to_numpy(dtype=np.int64), "int"),
                    ("monetary", _money(buyers["total_cents"].to_numpy()), "str"),
                    ("m", buyers["rfm_m"].to_numpy(dtype=np.int64), "int"),
                    ("score", buyers["rfm_score"].to_numpy(dtype=np.int64), "int"),
                    ("bound", bound, "int"),
                    ("high", thresholds.tier_high, "int"),
                ],
            )
    elif dimension == "size_class":
        revenue = (rows["total_cents"] > 0).to_numpy()
        result[~revenue] = json.dumps({"key": "classification.why.size.no_orders", "params": {}})
        payers = rows[revenue]
        if len(payers):
            share = np.round(payers["preceding_share"].to_numpy(dtype=float), 4)
            keys = np.char.add("classification.why.size.", payers["size_computed"].to_numpy(dtype=str))
            result[revenue] = _json(
                keys,
                [
                    ("total", _money(payers["total_cents"].to_numpy()), "str"),
                    ("share", share, "float"),
                    ("limit", round(facts["key_share_percent"] / 100, 4), "float"),
                ],
            )
    elif dimension == "relationship":
        result[~has] = json.dumps({"key": "classification.why.relationship.none", "params": {}})
        buyers = rows[has]
        if len(buyers):
            computed = buyers["relationship_computed"].to_numpy(dtype=str)
            days = buyers["first_order_days"].to_numpy(dtype=np.int64)
            kind = np.where(
                computed == "established",
                "established",
                np.where(days <= thresholds.new_within_days, "new_recent", "new_few"),
            )
            first = np.datetime_as_string(pd.to_datetime(buyers["first_order"]).to_numpy().astype("datetime64[D]"))
            result[has] = _json(
                np.char.add("classification.why.relationship.", kind),
                [
                    ("first", first, "str"),
                    ("days", days, "int"),
                    ("orders", buyers["orders"].to_numpy(dtype=np.int64), "int"),
                    ("limit_days", thresholds.new_within_days, "int"),
                    ("min", thresholds.new_below_orders, "int"),
                ],
            )
    else:
        grades = rows["credit_computed"].to_numpy(dtype=str)
        bound = np.where(grades == "high", float(thresholds.credit_high), float(thresholds.credit_medium))
        result[:] = _json(
            np.char.add("classification.why.credit.", grades),
            [
                ("points", np.round(rows["credit_points"].to_numpy(dtype=float), 2), "float"),
                ("bound", bound, "float"),
                ("events", rows["credit_events"].to_numpy(dtype=np.int64), "int"),
                ("window", thresholds.credit_window_days, "int"),
            ],
        )
    return result


# --- writing -------------------------------------------------------------------------------------------


def _rfm_staging(name: str) -> Table:
    return Table(
        name,
        MetaData(),
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("rfm_recency_days", Integer),
        Column("rfm_frequency", Integer),
        Column("rfm_monetary", MoneySum),
        Column("rfm_r", Integer),
        Column("rfm_f", Integer),
        Column("rfm_m", Integer),
        prefixes=["TEMPORARY"],
    )


def _class_staging(name: str) -> Table:
    return Table(
        name,
        MetaData(),
        Column("id", Integer, primary_key=True, autoincrement=False),
        *(Column(dim, String(16)) for dim in COMPUTED_DIMENSIONS),
        *(Column(f"why_{dim}", Text) for dim in COMPUTED_DIMENSIONS),
        prefixes=["TEMPORARY"],
    )


def _column_values(series: pd.Series) -> list[Any]:
    """Plain Python values for the driver (ints, str, None), converted by numpy rather than per element."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return np.asarray(series.astype(object).where(series.notna(), None), dtype=object).tolist()
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        return series.to_numpy(dtype=object, na_value=None).tolist()
    return pd.array(series, dtype="Int64").to_numpy(dtype=object, na_value=None).tolist()


def _insert(connection: Connection, table: Table, columns: list[list[Any]]) -> None:
    """Fill a staging table: COPY on PostgreSQL, raw driver executemany elsewhere (plain tuples, no ORM)."""
    names = ", ".join(c.name for c in table.columns)
    if connection.dialect.name == "postgresql":
        raw: Any = connection.connection.dbapi_connection  # psycopg 3
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in zip(*columns, strict=True):
                copy.write_row(row)
        return
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join([mark] * len(table.columns))})"
    connection.exec_driver_sql(sql, list(zip(*columns, strict=True)))


def write_changes(
    connection: Connection,
    *,
    frame: pd.DataFrame,
    thresholds: Thresholds,
    facts: Mapping[str, Any],
    as_of: dt.date,
    override_reasons: Mapping[tuple[int, str], str],
    actor_id: int | None,
    now: dt.datetime,
) -> tuple[int, dict[str, int], int]:
    """Write the cached columns and class history of the customers whose values changed.

    Returns (customers written, class changes per dimension, customers whose class changed in any dimension):
    a customer who moves in two dimensions is one customer and two class changes.

    Two staging tables: the RFM figures of every changed customer (most of them, every day, as recency moves),
    and the classes with their explanations of the customers whose class changed (few, after the first run).
    Updating the indexed class columns only where a class changed keeps the daily run cheap.
    """
    new = new_cached(frame)
    class_masks = {dim: differs(new[dim], frame[f"cur_{dim}"]) for dim in COMPUTED_DIMENSIONS}
    class_changed = np.zeros(len(frame), dtype=bool)
    for mask in class_masks.values():
        class_changed |= mask
    rfm_changed = np.zeros(len(frame), dtype=bool)
    for name in RFM_COLUMNS:
        rfm_changed |= differs(new[name], frame[f"cur_{name}"])
    changed = {dim: int(mask.sum()) for dim, mask in class_masks.items()}
    touched = class_changed | rfm_changed
    reclassified = int(class_changed.sum())
    if not touched.any():
        return 0, changed, reclassified
    suffix = uuid.uuid4().hex[:12]
    rfm_table, class_table = _rfm_staging(f"tmp_rfm_{suffix}"), _class_staging(f"tmp_class_{suffix}")
    rfm_table.create(connection)
    class_table.create(connection)
    # In chunks, so that a first run's millions of explanation texts never sit in memory all at once.
    for start in range(0, len(frame), CHUNK):
        window = slice(start, start + CHUNK)
        chunk_touched = touched[window]
        if not chunk_touched.any():
            continue
        ids = frame["id"].to_numpy()[window]
        rfm_columns: list[list[Any]] = [ids[chunk_touched].tolist()]
        for name in RFM_COLUMNS:
            values = _column_values(new[name].iloc[window][chunk_touched])
            if name == "rfm_monetary":
                values = (
                    [None if c is None else c / 100 for c in values]
                    if connection.dialect.name == "sqlite"
                    else [None if c is None else Decimal(c).scaleb(-2) for c in values]
                )
            rfm_columns.append(values)
        _insert(connection, rfm_table, rfm_columns)
        chunk_changed = class_changed[window]
        if not chunk_changed.any():
            continue
        rows = frame.iloc[window][chunk_changed]
        class_columns: list[list[Any]] = [ids[chunk_changed].tolist()]
        class_columns += [_column_values(new[dim].iloc[window][chunk_changed]) for dim in COMPUTED_DIMENSIONS]
        row_ids = rows["id"].to_numpy()
        for dim in COMPUTED_DIMENSIONS:
            mask = class_masks[dim][window][chunk_changed]
            texts = np.full(len(rows), None, dtype=object)
            if mask.any():
                texts[mask] = explanations(dim, rows[mask], thresholds, facts, as_of)
                for position in np.flatnonzero(mask & rows[f"{dim}_overridden"].to_numpy()):
                    texts[position] = override_reasons[(int(row_ids[position]), dim)]
            class_columns.append(texts.tolist())
        _insert(connection, class_table, class_columns)
    target = Customer.__table__
    # No try/finally around the staging tables: on a failure the transaction is rolled back, which drops them on
    # SQLite and PostgreSQL; on MariaDB they live on (uniquely named) until the connection closes.
    for dim in COMPUTED_DIMENSIONS:
        if changed[dim]:
            # Compared with the row as it is now: it may have changed since the classes were read.
            result = connection.execute(
                insert(ClassChange).from_select(
                    [
                        "customer_id",
                        "dimension",
                        "old_class",
                        "new_class",
                        "explanation",
                        "changed_at",
                        "changed_by_id",
                    ],
                    select(
                        class_table.c.id,
                        literal(dim, String(24)),
                        target.c[dim],
                        class_table.c[dim],
                        class_table.c[f"why_{dim}"],
                        literal(now, UTCDateTime()),
                        literal(actor_id, Integer),
                    )
                    .join(target, target.c.id == class_table.c.id)
                    .where(
                        class_table.c[f"why_{dim}"].is_not(None), target.c[dim].is_distinct_from(class_table.c[dim])
                    ),
                )
            )
            if result.rowcount >= 0:  # psycopg reports -1 for INSERT ... SELECT: keep the count of the masks then
                changed[dim] = result.rowcount
    # Each customer's row is rewritten once: RFM figures only where no class changed, everything where one did.
    if (touched & ~class_changed).any():
        connection.execute(
            update(target)
            .where(target.c.id == rfm_table.c.id, ~exists().where(class_table.c.id == rfm_table.c.id))
            .values(
                {name: rfm_table.c[name] for name in RFM_COLUMNS}
                | {"classified_at": now, "updated_at": target.c.updated_at}
            )
        )
    if class_changed.any():
        # The rollups segment customers by value tier and size class: their histories move with them.
        with moving(connection, frame["id"].to_numpy()[class_changed].tolist()):
            connection.execute(
                update(target)
                .where(target.c.id == class_table.c.id, rfm_table.c.id == class_table.c.id)
                .values(
                    {dim: class_table.c[dim] for dim in COMPUTED_DIMENSIONS}
                    | {name: rfm_table.c[name] for name in RFM_COLUMNS}
                    | {"classified_at": now, "updated_at": target.c.updated_at}
                )
            )
    rfm_table.drop(connection)
    class_table.drop(connection)
    return int(touched.sum()), changed, reclassified
