"""sign-in failures: unknown usernames are counted and locked like accounts, within a 15-minute window

Five wrong passwords for an account said "this account is locked", for an unknown name always "Wrong username
or password": the answer told which usernames exist. Names that are no active account now count their failures
in sign_in_failures (keyed by the name's SHA-256, pruned once older than the lockout), and every failure counts
only while it comes within the lockout of the previous one, for accounts too (users.last_failed_login_at), so the
two behave alike in every sequence of attempts.

Revision ID: 0014_sign_in_failures
Revises: 0013_money_sums
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0014_sign_in_failures"
down_revision: str | None = "0013_money_sums"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Naive UTC, with microseconds on MariaDB (as db.models.UTCDateTime stores it).
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "sign_in_failures",
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", TIMESTAMP, nullable=False),
        sa.Column("locked_until", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("name_key", name=op.f("pk_sign_in_failures")),
    )
    op.create_index(op.f("ix_sign_in_failures_last_failed_at"), "sign_in_failures", ["last_failed_at"])
    op.add_column("users", sa.Column("last_failed_login_at", TIMESTAMP, nullable=True))


def downgrade() -> None:
    op.drop_column("users", "last_failed_login_at")  # SQLite 3.35+ drops a column in place
    op.drop_index(op.f("ix_sign_in_failures_last_failed_at"), table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
