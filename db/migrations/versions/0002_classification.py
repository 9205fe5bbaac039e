"""classification: a covering index for the per-customer order aggregates

The recompute reads max/min(order_date), count(*) and sum(amount) per customer over all orders up to a date.
With (customer_id, order_date, amount, archived_at) the databases answer that from the index alone, in
customer order, instead of one table lookup per order (on SQLite with 10M orders: seconds instead of minutes).
It replaces ix_orders_customer_date, whose columns are its prefix, so customer order lists keep their index.

Revision ID: 0002_classification
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002_classification"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Create the new index first: MariaDB needs an index starting with customer_id for the foreign key.
    op.create_index("ix_orders_customer_rfm", "orders", ["customer_id", "order_date", "amount", "archived_at"])
    op.drop_index("ix_orders_customer_date", table_name="orders")


def downgrade() -> None:
    op.create_index("ix_orders_customer_date", "orders", ["customer_id", "order_date"])
    op.drop_index("ix_orders_customer_rfm", table_name="orders")
