"""Migration 0015 carries existing complaints and suggestions into the workflow's statuses, and back."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text

from db.engine import alembic_config, make_engine


def test_existing_rows_move_to_the_new_statuses_and_back(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine.url.render_as_string(hide_password=False))

    def migrate(step: str, revision: str) -> None:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            getattr(command, step)(config, revision)

    migrate("upgrade", "0014_sign_in_failures")
    stamp = "'2026-12-01 02:00:00.000000'"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO customers (id, code, name, name_key, customer_type, share_consent, lifecycle_stage, "
                "version, created_at, updated_at) "
                f"VALUES (1, 'K1', 'A', 'a', 'company', 0, 'signed', 1, {stamp}, {stamp})"
            )
        )
        for n, status in enumerate(("assigned", "resolved", "new"), start=1):
            resolved = stamp if status == "resolved" else "NULL"
            connection.execute(
                text(
                    "INSERT INTO complaints (id, code, customer_id, channel, received_at, description, severity, "
                    "status, respond_due_at, resolve_due_at, resolved_at, paused_seconds, reopen_count, escalated, "
                    "version, created_at, updated_at) "
                    f"VALUES ({n}, 'CP{n}', 1, 'phone', {stamp}, 'x', 'high', '{status}', "
                    f"'2026-12-01 06:00:00.000000', '2026-12-04 02:00:00.000000', {resolved}, 0, 0, 0, 1, {stamp}, "
                    f"{stamp})"
                )
            )
        for n, (status, informed) in enumerate(
            (("adopted", stamp), ("rejected", "NULL"), ("evaluating", "NULL")), start=1
        ):
            connection.execute(
                text(
                    "INSERT INTO suggestions (id, customer_id, channel, received_at, content, status, "
                    f"customer_informed_at, version, created_at, updated_at) VALUES ({n}, 1, 'email', {stamp}, 'x', "
                    f"'{status}', {informed}, 1, {stamp}, {stamp})"
                )
            )
    migrate("upgrade", "0015_complaint_handling")
    with engine.connect() as connection:
        complaints = connection.execute(
            text("SELECT status, next_due_at IS NOT NULL, first_resolved_at IS NOT NULL FROM complaints ORDER BY id")
        ).all()
        suggestions = connection.execute(text("SELECT status, evaluation_result FROM suggestions ORDER BY id")).all()
    assert [tuple(r) for r in complaints] == [("acknowledged", 1, 0), ("resolved", 0, 1), ("new", 1, 0)]
    assert [tuple(r) for r in suggestions] == [("informed", "adopt"), ("evaluated", "not_adopt"), ("new", None)]
    migrate("downgrade", "0014_sign_in_failures")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT status FROM complaints ORDER BY id")).scalars().all() == [
            "assigned",
            "resolved",
            "new",
        ]
        assert connection.execute(text("SELECT status FROM suggestions ORDER BY id")).scalars().all() == [
            "adopted",
            "rejected",
            "new",
        ]
    engine.dispose()
