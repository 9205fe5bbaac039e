"""search grams in name order: one row per gram and customer, keyed (gram, customer name, customer id)

A search sorted by name (the list's default) sorted every holder of its rarest gram: 30,000 customers for 华为
at 1,000,000, 227 ms for the page alone on PostgreSQL, where 1,000 customers took a few. With the customer's
name in the key, one gram's holders are read in the list's order and a page stops after a page's worth of
them (crm/search_index.py `walk`). A gram held in both the visible text and the contact details is one row
now, with both bits in `kinds` (1 visible, 2 contact details), instead of one row per kind.
customer_search_texts.name keeps the name the grams were written with, so a rename finds its old rows.

The index is rebuilt from the customers and contacts (as `python -m crm search reindex` does): about 20
minutes for a million customers on PostgreSQL, seconds for thousands. The downgrade writes the old format
back from the new rows (no rebuild).

Revision ID: 0009_search_grams_in_name_order
Revises: 0008_search_single_characters
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0009_search_grams_in_name_order"
down_revision: str | None = "0008_search_single_characters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_GRAM = sa.String(3).with_variant(mysql.VARCHAR(3, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb")
_SAVED = "customer_search_grams_0009"  # the new rows, kept while the old table is made again


def upgrade() -> None:
    op.drop_table("customer_search_grams")
    op.create_table(
        "customer_search_grams",
        sa.Column("gram", _GRAM, nullable=False),
        sa.Column("customer_name", sa.String(200), nullable=False),
        sa.Column("customer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kinds", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("gram", "customer_name", "customer_id", "kinds", name="pk_customer_search_grams"),
        sqlite_with_rowid=False,
    )
    op.add_column("customer_search_texts", sa.Column("name", sa.String(200), nullable=False, server_default=""))
    from db.search_grams import rebuild

    rebuild(op.get_bind(), count=False)  # the counts' table comes with 0010


def downgrade() -> None:
    bind = op.get_bind()
    bind.exec_driver_sql(f"CREATE TABLE {_SAVED} AS SELECT gram, customer_id, kinds FROM customer_search_grams")
    op.drop_table("customer_search_grams")
    op.create_table(
        "customer_search_grams",
        sa.Column("gram", _GRAM, nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("customer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("gram", "kind", "customer_id", name="pk_customer_search_grams"),
        sqlite_with_rowid=False,
    )
    # The old kinds: 0 for the visible text (bit 1), 1 for contact details (bit 2), one row each.
    bind.exec_driver_sql(
        f"INSERT INTO customer_search_grams (gram, kind, customer_id) "
        f"SELECT gram, 0, customer_id FROM {_SAVED} WHERE kinds IN (1, 3) "
        f"UNION ALL SELECT gram, 1, customer_id FROM {_SAVED} WHERE kinds IN (2, 3)")
    op.drop_table(_SAVED)
    with op.batch_alter_table("customer_search_texts") as batch:
        batch.drop_column("name")
