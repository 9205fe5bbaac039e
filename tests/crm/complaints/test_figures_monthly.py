"""Complaints per company month by category and department, and the repeat complainers, on every database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from crm.complaints.figures import root_causes
from crm.platform.errors import PermissionDenied
from crm.platform.permissions import SYSTEM
from crm.platform.uow import transaction
from db.engine import Sessions
from db.models import Complaint
from tests.crm.complaints.conftest import World, make_customer

SH = ZoneInfo("Asia/Shanghai")


def local(month: int, day: int, hour: int = 10, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=SH).astimezone(dt.UTC)


def _add(sessions: Sessions, customer_id: int, rows: list[tuple[dt.datetime, str | None, int | None]]) -> None:
    with transaction(sessions, actor=SYSTEM) as session:
        for received_at, category, department_id in rows:
            number = session.query(Complaint).count() + 1
            session.add(
                Complaint(
                    code=f"C-2026-{number:06d}",
                    customer_id=customer_id,
                    channel="phone",
                    received_at=received_at,
                    description="x",
                    severity="high",
                    category=category,
                    department_id=department_id,
                    status="new",
                )
            )
            session.flush()


def test_monthly_counts_and_repeat_complainers(sessions: Sessions, world: World) -> None:
    a, b = world.service_id, world.tech_id
    other, _ = make_customer(sessions, owner_id=None, name="Once Ltd")
    _add(
        sessions,
        world.customer_id,
        [
            (local(10, 31, 23), "delivery", a),  # 31 Oct 23:00 in Shanghai (15:00 UTC): October
            (local(11, 1, 1), "delivery", a),  # 1 Nov 01:00 Shanghai is 31 Oct 17:00 UTC: November
            (local(11, 20), "billing", b),
            (local(12, 2), "delivery", None),
        ],
    )
    _add(sessions, other, [(local(11, 3), None, b), (local(9, 30, 23), "delivery", a)])  # the second: before
    figures = root_causes(sessions, actor=world.manager, start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31))
    oct_, nov, dec = dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1)
    assert figures.by_category == {
        (oct_, "delivery"): 1,
        (nov, "delivery"): 1,
        (nov, "billing"): 1,
        (nov, None): 1,
        (dec, "delivery"): 1,
    }
    assert figures.by_department == {(oct_, a): 1, (nov, a): 1, (nov, b): 2, (dec, None): 1}
    assert figures.repeat_complainers == ((world.customer_id, "上海远景科技有限公司", 4),)


def test_a_period_starting_mid_month_counts_from_its_first_day(sessions: Sessions, world: World) -> None:
    _add(sessions, world.customer_id, [(local(11, 14), "delivery", None), (local(11, 16), "delivery", None)])
    figures = root_causes(sessions, actor=world.viewer, start=dt.date(2026, 11, 15), end=dt.date(2026, 11, 30))
    assert figures.by_category == {(dt.date(2026, 11, 1), "delivery"): 1}
    assert figures.repeat_complainers == ()


def test_staff_cannot_read_root_causes(sessions: Sessions, world: World) -> None:
    with pytest.raises(PermissionDenied):
        root_causes(sessions, actor=world.agent, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
