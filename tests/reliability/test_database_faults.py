"""Faults under a save: the connection lost in the middle of a transaction, the disk full. The transaction rolls
back, the user is told in their language that nothing was saved, and the retry succeeds once the database is back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from crm.customers.service import CustomerInput, create_customer, get_customer, update_customer
from crm.platform.errors import DatabaseFull, DatabaseUnavailable
from crm.platform.i18n import t
from crm.platform.permissions import SYSTEM
from db.engine import Sessions, make_engine, make_session_factory
from db.models import AuditLog, Customer
from tests.crm.follow_ups.follow_up_factories import make_customer
from tests.reliability.faults import connection_killed_before


@pytest.mark.parametrize("backend", ["postgresql", "mariadb"])
def test_a_save_whose_connection_is_lost_rolls_back_says_so_and_succeeds_when_retried(
    engine: Engine, sessions: Sessions
) -> None:
    customer_id = make_customer(sessions, owner=None, name="Before")
    version = get_customer(sessions, actor=SYSTEM, customer_id=customer_id).version
    with connection_killed_before(engine, "UPDATE CUSTOMERS") as killed:
        with pytest.raises(DatabaseUnavailable) as lost:
            update_customer(sessions, actor=SYSTEM, customer_id=customer_id, version=version, changes={"name": "After"})
    assert killed, "the save never reached its UPDATE"
    assert "Nothing was half-written" in t(lost.value.key, "en")
    assert "没有写入任何不完整的内容" in t(lost.value.key, "zh")
    with sessions.read() as session:  # the pool replaced the dead connection: reading works at once
        assert session.scalar(select(Customer.name).where(Customer.id == customer_id)) == "Before"
        assert session.scalar(select(Customer.version).where(Customer.id == customer_id)) == version
        assert not session.scalars(
            select(AuditLog.id).where(AuditLog.entity_id == str(customer_id), AuditLog.new_value == "After")
        ).all()
    saved = update_customer(sessions, actor=SYSTEM, customer_id=customer_id, version=version, changes={"name": "After"})
    assert (saved.name, saved.version) == ("After", version + 1)


@pytest.mark.parametrize("backend", ["postgresql", "mariadb"])
def test_a_new_record_whose_connection_is_lost_is_not_half_written(engine: Engine, sessions: Sessions) -> None:
    """The connection dies after the customer's INSERT, before its audit rows: neither is kept."""
    with connection_killed_before(engine, "INSERT INTO AUDIT_LOG"):
        with pytest.raises(DatabaseUnavailable):
            create_customer(sessions, actor=SYSTEM, data=CustomerInput(name="Half Written Ltd"))
    with sessions.read() as session:
        assert session.scalar(select(Customer.id).where(Customer.name == "Half Written Ltd")) is None
    created = create_customer(sessions, actor=SYSTEM, data=CustomerInput(name="Half Written Ltd"))
    assert created.name == "Half Written Ltd"


def test_a_full_disk_refuses_the_save_keeps_the_file_sound_and_reads_working(
    tmp_path: Path, sqlite_sessions: Sessions
) -> None:
    url = sqlite_sessions.engine.url.render_as_string(hide_password=False)
    customer_id = make_customer(sqlite_sessions, owner=None, name="Roomy")
    with sqlite_sessions.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # No free page left inside the file either (a migration that rebuilds tables leaves some behind).
        connection.exec_driver_sql("VACUUM")
    full = make_engine(url)

    @event.listens_for(full, "connect")
    def _no_room(dbapi_connection: Any, _record: Any) -> None:
        # As a full disk does: the file may not grow past the pages it has now.
        cursor = dbapi_connection.cursor()
        (pages,) = cursor.execute("PRAGMA page_count").fetchone()
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    sessions = make_session_factory(full)
    with pytest.raises(DatabaseFull) as refused:
        create_customer(sessions, actor=SYSTEM, data=CustomerInput(name="Big", notes="x" * 9_000))
    assert "disk is full" in t(refused.value.key, "en") and "磁盘已满" in t(refused.value.key, "zh")
    assert get_customer(sessions, actor=SYSTEM, customer_id=customer_id).name == "Roomy"
    with full.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert connection.scalar(select(Customer.id).where(Customer.name == "Big")) is None
    full.dispose()
