"""Migration 0007: the calendar's day counts are filled from the open follow-ups already in the database."""

from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import Engine

from crm.follow_ups import calendar_counts
from crm.follow_ups.service import plan_follow_up
from db.engine import alembic_config, make_session_factory, upgrade_database
from tests.crm.follow_ups.follow_up_factories import make_customer, make_user, set_timezone, utc


def _downgrade(engine: Engine, target: str) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, target)


def test_the_upgrade_counts_existing_open_follow_ups_on_their_local_day(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    set_timezone(sessions, "America/Los_Angeles")
    staff = make_user(sessions, "wangfang", "staff")
    for due in (utc(2026, 11, 24, 7, 30), utc(2026, 11, 24, 8, 30), utc(2026, 11, 24, 9, 0)):
        customer_id = make_customer(sessions, owner=staff)
        plan_follow_up(sessions, actor=staff, customer_id=customer_id, due_at=due, now=utc(2026, 11, 20))
    _downgrade(engine, "0006_follow_up_queue_index")
    upgrade_database(engine)
    with engine.connect() as connection:
        # 07:30 UTC is 23:30 on the 23rd in Los Angeles; 08:30 and 09:00 are on the 24th.
        assert calendar_counts.stored(connection) == {
            (staff.id, dt.date(2026, 11, 23)): 1,
            (staff.id, dt.date(2026, 11, 24)): 2,
        }
