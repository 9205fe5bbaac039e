"""search gram counts: how many customers hold each gram, to pick a term's rarest gram without counting

A search counted, live, how many customers hold each of its grams (up to 150,000 each) to choose the rarest:
50-130 ms of a 170 ms search at 1,000,000 customers on PostgreSQL. customer_search_gram_counts keeps those
counts, refreshed by every rebuild of the index and by `python -m crm search analyze`; grams newer than the
last count are still counted live (crm/search_index.py). Filled here from the index (one GROUP BY).

Revision ID: 0010_search_gram_counts
Revises: 0009_search_grams_in_name_order
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0010_search_gram_counts"
down_revision: str | None = "0009_search_grams_in_name_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_search_gram_counts",
        sa.Column("gram", sa.String(3).with_variant(
            mysql.VARCHAR(3, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"), nullable=False),
        sa.Column("holders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("gram", name="pk_customer_search_gram_counts"),
    )
    op.get_bind().exec_driver_sql(
        "INSERT INTO customer_search_gram_counts (gram, holders) "
        "SELECT gram, COUNT(*) FROM customer_search_grams GROUP BY gram")


def downgrade() -> None:
    op.drop_table("customer_search_gram_counts")
