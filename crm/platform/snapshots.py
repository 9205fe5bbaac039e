"""KPI snapshots: figures frozen with the instant they were computed, read while fresh, upserted when recomputed.

A snapshot is one row of kpi_snapshots (key, computed_at, JSON payload). A reader decides what "fresh" means
(a max age, and a basis such as the period the figures are for, kept inside the payload); when the row is
missing or stale it computes the figures live, in its read transaction, and stores them in a short write
transaction of their own, so the expensive computation never holds a write lock. Two refreshes racing both
succeed: the upsert never raises on the key, and the later computation is the one that stays.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, insert, select
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from db.engine import Sessions, is_read_only_error
from db.models import KpiSnapshot

log = logging.getLogger("crm.platform.snapshots")


@dataclass(frozen=True)
class Snapshot:
    key: str
    computed_at: dt.datetime
    payload: Any

    def is_fresh(self, now: dt.datetime, max_age: dt.timedelta) -> bool:
        """True when computed no longer than max_age before now (and not in now's future by more than that)."""
        return abs(now - self.computed_at) <= max_age


def read_snapshot(session: Session, key: str) -> Snapshot | None:
    """Return the stored snapshot for key, or None."""
    row = session.execute(select(KpiSnapshot.computed_at, KpiSnapshot.payload).where(KpiSnapshot.key == key)).first()
    return Snapshot(key, row.computed_at, row.payload) if row else None


def upsert_snapshot(session: Session, *, key: str, payload: Any, computed_at: dt.datetime) -> None:
    """Insert or replace the snapshot in the caller's transaction, unless a later computation is already stored.

    One statement per dialect (ON CONFLICT / ON DUPLICATE KEY), so concurrent writers never hit a unique
    violation, whoever inserts first.
    """
    table = KpiSnapshot.__table__
    values = {"key": key, "computed_at": computed_at, "payload": payload}
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        module: Any = postgresql if dialect == "postgresql" else sqlite
        statement = module.insert(table).values(values)
        excluded = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"computed_at": excluded.computed_at, "payload": excluded.payload},
            where=table.c.computed_at <= excluded.computed_at,
        )
    elif dialect in ("mysql", "mariadb"):
        statement = mysql.insert(table).values(values)
        new = statement.inserted
        # MySQL applies the assignments left to right: payload must look at the old computed_at first.
        statement = statement.on_duplicate_key_update(
            [
                ("payload", case((table.c.computed_at <= new.computed_at, new.payload), else_=table.c.payload)),
                ("computed_at", func.greatest(table.c.computed_at, new.computed_at)),
            ]
        )
    else:  # pragma: no cover - the three supported databases are handled above
        statement = insert(table).values(values)
    session.execute(statement)


def store_snapshot(sessions: Sessions, *, key: str, payload: Any, computed_at: dt.datetime) -> Snapshot:
    """Store a snapshot in its own short transaction and return it (unstored on a read-only database)."""
    try:
        with sessions.begin() as session:
            upsert_snapshot(session, key=key, payload=payload, computed_at=computed_at)
    except DBAPIError as error:
        if not is_read_only_error(error):
            raise
        # Figures computed live are right, only not kept: the reader still gets them.
        log.warning("the database is read-only: snapshot %s not stored", key)
    return Snapshot(key, computed_at, payload)
