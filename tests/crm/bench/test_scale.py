"""`bench --issue-scale`'s data set: the demo multiplied in SQL to exact totals, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, func, select, text

from crm.bench.dataset import MARKER, prepare
from crm.bench.scale import Targets, offset_for, replicate
from crm.classification import company_today
from crm.cli import main
from crm.demo import load_demo
from crm.follow_ups import calendar_counts
from crm.platform import rollups
from db.engine import Sessions, make_engine, make_session_factory, upgrade_database
from db.models import Activity, Customer, Order, Setting

BASE = 50
TARGETS = Targets(customers=140, orders=1_000, activities=900, complaints=40, survey_responses=45, base=BASE)
# The columns with a unique index (db/models, the migrations), and the keys of the tables without an id.
UNIQUE = {
    "customers": ["code"],
    "orders": ["order_no"],
    "complaints": ["code"],
    "survey_responses": ["import_key"],
    "follow_up_tasks": ["open_key"],
    "survey_scores": ["response_id, dimension"],
    "customer_search_texts": ["customer_id"],
    "customer_search_grams": ["gram, customer_name, customer_id, kinds"],
}
# Each reference of a copied table, and the table it must find its row in.
REFERENCES = [
    ("contacts", "customer_id", "customers"),
    ("orders", "customer_id", "customers"),
    ("activities", "customer_id", "customers"),
    ("activities", "contact_id", "contacts"),
    ("activities", "task_id", "follow_up_tasks"),
    ("follow_up_tasks", "customer_id", "customers"),
    ("follow_up_tasks", "source_complaint_id", "complaints"),
    ("follow_up_tasks", "source_survey_id", "survey_responses"),
    ("stage_changes", "customer_id", "customers"),
    ("complaints", "customer_id", "customers"),
    ("complaint_events", "complaint_id", "complaints"),
    ("survey_responses", "customer_id", "customers"),
    ("survey_responses", "complaint_id", "complaints"),
    ("survey_scores", "response_id", "survey_responses"),
    ("customer_search_texts", "customer_id", "customers"),
    ("customer_search_grams", "customer_id", "customers"),
]


def _count(connection: Connection, sql: str) -> int:
    return int(connection.execute(text(sql)).scalar_one())


@pytest.fixture
def replicated(sessions: Sessions) -> Sessions:
    load_demo(sessions, customers=BASE, seed=7)
    replicate(sessions, targets=TARGETS)
    return sessions


def test_the_replication_reaches_exactly_the_targets(replicated: Sessions) -> None:
    with replicated.engine.connect() as connection:
        totals = {
            table: _count(connection, f"SELECT count(*) FROM {table}")
            for table in ("customers", "orders", "activities", "complaints", "survey_responses")
        }
        assert totals == {
            "customers": 140,
            "orders": 1_000,
            "activities": 900,
            "complaints": 40,
            "survey_responses": 45,
        }
        # The customers' own rows came with every copy: 140 / 50 = 2.8 times the base's contacts, say.
        contacts = _count(connection, "SELECT count(*) FROM contacts")
        base_contacts = _count(connection, f"SELECT count(*) FROM contacts WHERE customer_id <= {BASE}")
        assert 2 * base_contacts < contacts <= 3 * base_contacts


def test_unique_values_stay_unique_and_every_reference_finds_its_row(replicated: Sessions) -> None:
    with replicated.engine.connect() as connection:
        for table, keys in UNIQUE.items():
            for key in keys:
                duplicated = _count(
                    connection,
                    f"SELECT count(*) FROM (SELECT {key} FROM {table} WHERE {key.split(',')[0]} IS NOT NULL "
                    f"GROUP BY {key} HAVING count(*) > 1) d",
                )
                assert duplicated == 0, f"{table}.{key}"
        for table, column, parent in REFERENCES:
            orphans = _count(
                connection,
                f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL "
                f"AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = t.{column})",
            )
            assert orphans == 0, f"{table}.{column}"
        # References stay within a customer: a logged contact's contact person is its own customer's.
        assert (
            _count(
                connection,
                "SELECT count(*) FROM activities a JOIN contacts c ON c.id = a.contact_id "
                "WHERE c.customer_id <> a.customer_id",
            )
            == 0
        )


def test_copies_keep_their_originals_attributes_and_dates_stay_in_range(replicated: Sessions) -> None:
    offset = offset_for(BASE)
    with replicated.read() as session:
        original, copy = (
            session.execute(
                select(
                    Customer.owner_id,
                    Customer.department_id,
                    Customer.value_tier,
                    Customer.industry,
                    Customer.region,
                    Customer.lifecycle_stage,
                    Customer.created_at,
                    Customer.last_contact_at,
                    Customer.code,
                ).where(Customer.id == customer_id)
            ).one()
            for customer_id in (7, 7 + 2 * offset)
        )
        assert copy[:-1] == original[:-1] and copy.code == f"{original.code}-2"
        connection = session.connection()
        today = company_today(session)
        # The extra copies lie back in time: never after today, no order before its customer was created (as in the
        # demo), and no more logged contacts before it than the copies of the demo's own.
        dated = session.execute(
            select(Order.order_date, Customer.created_at).join(Customer, Customer.id == Order.customer_id)
        ).all()
        assert all(created.date() <= day <= today for day, created in dated)
        logged = session.execute(
            select(Activity.occurred_at, Customer.created_at, Activity.customer_id).join(
                Customer, Customer.id == Activity.customer_id
            )
        ).all()
        assert all(at.date() <= today for at, _created, _customer in logged)
        early_in_base = sum(1 for at, created, customer in logged if at < created and customer <= BASE)
        assert sum(1 for at, created, _customer in logged if at < created) <= 10 * early_in_base
        assert (
            _count(
                connection,
                "SELECT count(*) FROM customers c WHERE c.last_contact_at < "
                "(SELECT max(a.occurred_at) FROM activities a WHERE a.customer_id = c.id)",
            )
            == 0
        )
        # rfm_frequency counts the orders again, extra copies included.
        assert session.scalar(select(func.sum(Customer.rfm_frequency))) == session.scalar(
            select(func.count()).select_from(Order).where(Order.archived_at.is_(None))
        )
        assert calendar_counts.stored(connection) == calendar_counts.recount(connection)
        assert set(rollups.check(connection).values()) == {0}  # the KPI rollups hold every copy


def test_the_bench_data_set_is_built_once_then_reused(tmp_path: Path) -> None:
    sessions = make_session_factory(make_engine(f"sqlite:///{tmp_path}/issue.db"))
    upgrade_database(sessions.engine)
    lines: list[str] = []
    built = prepare(sessions, customers=TARGETS.customers, seed=7, scaled=TARGETS, progress=lines.append)
    assert built.reused is False and built.rows["customers"] == 140 and built.rows["orders"] == 1_000
    assert any(line.startswith("customer copy 2 of 2") for line in lines)
    with sessions.read() as session:
        marker = session.scalar(select(Setting.value).where(Setting.key == MARKER))
    assert marker == {"customers": 140, "seed": 7, "generator": "issue-scale"}
    again = prepare(sessions, customers=TARGETS.customers, seed=7, scaled=TARGETS)
    assert again.reused is True and again.rows == built.rows
    sessions.engine.dispose()


def test_issue_scale_with_load_only_builds_the_data_set_and_runs_no_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("crm.bench.scale.ISSUE_SCALE", TARGETS)
    url = f"sqlite:///{tmp_path}/issue.db"
    assert main(["bench", "--issue-scale", "--load-only", "--url", url, "--json", "-"]) == 0
    err = capsys.readouterr().err
    assert "multiplying it to 140 customers" in err and "replicated in" in err
    assert main(["bench", "--issue-scale", "--customers", "10", "--url", url, "--json", "-"]) == 2
