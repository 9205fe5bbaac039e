"""`python -m crm satisfaction record | alerts`: a response recorded from the command line, its alert and task."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from crm.cli import main
from crm.platform import clock
from crm.platform.permissions import SYSTEM
from crm.platform.users import create_user
from crm.satisfaction import DEFAULT_DIMENSIONS, TemplateInput, create_template
from db.engine import make_engine, make_session_factory, upgrade_database
from db.models import Customer
from tests.crm.satisfaction.conftest import make_customer


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated file database with a staff member, their customer and a template; returns the customer's code."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    engine = make_engine(url)
    upgrade_database(engine)
    sessions = make_session_factory(engine)
    staff = create_user(
        sessions, actor=SYSTEM, username="wei", display_name="张伟 Zhang Wei", password="secret-pass-1", role="staff"
    )
    create_user(
        sessions, actor=SYSTEM, username="olivia", display_name="Olivia", password="secret-pass-1", role="staff"
    )
    create_template(sessions, actor=SYSTEM, data=TemplateInput(name="Annual", dimensions=DEFAULT_DIMENSIONS))
    customer_id, _ = make_customer(sessions, owner_id=staff.id, name="Acme")
    with sessions.read() as session:
        code = str(session.scalar(select(Customer.code).where(Customer.id == customer_id)))
    engine.dispose()
    return code


def test_record_prints_the_id_the_alert_and_the_owners_task_then_alerts_lists_it(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    today = clock.utcnow().astimezone(clock.zone_named(None)).date().isoformat()
    args = ["satisfaction", "record", "--customer", database, "--date", today, "--channel", "phone"]
    assert main([*args, "--overall", "4", "--nps", "3", "--score", "product_quality=2", "--as", "wei"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Response 1 recorded."
    assert out[1].startswith("Alert: callback task 1 for 张伟 Zhang Wei, due ")
    assert main(["satisfaction", "alerts", "--json"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    alert = json.loads(line)
    assert (alert["response_id"], alert["customer"], alert["nps"], alert["task_id"], alert["task_status"]) == (
        1,
        database,
        3,
        1,
        "open",
    )
    assert main(["satisfaction", "alerts", "--lang", "zh", "--as", "olivia"]) == 0
    assert capsys.readouterr().out.splitlines() == ["未处理预警：0"]


def test_record_names_each_bad_field(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["satisfaction", "record", "--customer", database, "--date", "1980-01-01", "--channel", "visit"]
    assert main([*args, "--nps", "12", "--as", "olivia"]) == 2
    error = capsys.readouterr().err
    assert "customer_id: You may record responses only for your own customers." in error
    assert "nps: Enter a whole number from 0 to 10." in error
    assert "responded_on: The date cannot be before 1990-01-01." in error
