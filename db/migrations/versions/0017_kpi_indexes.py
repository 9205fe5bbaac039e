"""kpi indexes: covering indexes for the managers' dashboard (crm/kpis), so its counts read indexes, not rows

- customers (lifecycle_stage, value_tier, archived_at, created_at): customers per stage and tier, in group order;
- orders (order_date, customer_id, amount, archived_at): a period's orders, revenue per customer, first orders;
- stage_changes (changed_at, to_stage, from_stage, customer_id): a period's moves (churned, converted, entered) and
  the customers changed since an instant; (customer_id, changed_at, id, from_stage, to_stage): each of those
  customers' first change after the instant (the stage it held then), one lookup each;
- follow_up_tasks (status, due_at, archived_at, customer_id): open and overdue follow-ups.

Revision ID: 0017_kpi_indexes
Revises: 0016_satisfaction
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_kpi_indexes"
down_revision: str | None = "0016_satisfaction"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_customers_kpi_stage", "customers", ["lifecycle_stage", "value_tier", "archived_at", "created_at"]),
    ("ix_orders_kpi_date", "orders", ["order_date", "customer_id", "amount", "archived_at"]),
    ("ix_stage_changes_kpi_at", "stage_changes", ["changed_at", "to_stage", "from_stage", "customer_id"]),
    ("ix_stage_changes_kpi", "stage_changes", ["customer_id", "changed_at", "id", "from_stage", "to_stage"]),
    ("ix_follow_up_tasks_kpi", "follow_up_tasks", ["status", "due_at", "archived_at", "customer_id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
