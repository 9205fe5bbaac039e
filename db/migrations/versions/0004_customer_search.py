"""customer search: normalised text and n-grams per customer, filled for the existing customers

- customer_search_texts(customer_id, visible, emails, phones): each customer's normalised searchable text, one
  row per customer, which a search verifies its candidates against.
- customer_search_grams(gram, kind, customer_id): the distinct 2- and 3-character grams of that text. A search
  picks its candidates by its rarest grams with index range scans instead of LIKE '%term%' over every
  customer and contact (1.3-4.6 s at a million customers). See crm/search_index.py.

Revision ID: 0004_customer_search
Revises: 0003_follow_ups
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0004_customer_search"
down_revision: str | None = "0003_follow_ups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_search_texts",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("visible", sa.Text(), nullable=False),
        sa.Column("emails", sa.Text(), nullable=False),
        sa.Column("phones", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name="fk_customer_search_texts_customer_id_customers"),
        sa.PrimaryKeyConstraint("customer_id", name="pk_customer_search_texts"),
    )
    op.create_table(
        "customer_search_grams",
        sa.Column("gram", sa.String(3).with_variant(
            mysql.VARCHAR(3, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"), nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("customer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("gram", "kind", "customer_id", name="pk_customer_search_grams"),
        sqlite_with_rowid=False,
    )
    # The index of the customers already there is filled by 0009_search_grams_in_name_order: the filling code
    # (db.search_grams.rebuild) writes the latest format, which this table does not have yet.


def downgrade() -> None:
    op.drop_table("customer_search_grams")
    op.drop_table("customer_search_texts")
