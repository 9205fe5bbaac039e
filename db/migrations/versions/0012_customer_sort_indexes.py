"""customer sort indexes: each sortable column's index ends with id, the list's tie-breaker

The list sorts by (column, id). An index on the column alone gives PostgreSQL the column's order but not id's
within a value, so where many customers share one (a stage, a department, an import's created_at) it read and
sorted every one of them to show a page: 250-600 ms at 1,000,000 customers for most sorts, against 20-30 ms for
code, whose index is unique. Each index (column) becomes (column, id), and (archived_at, name) becomes
(archived_at, name, id). SQLite and MariaDB already kept the row id in their indexes' order; they get the same
indexes, named alike.

Revision ID: 0012_customer_sort_indexes
Revises: 0011_follow_up_task_order
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_customer_sort_indexes"
down_revision: str | None = "0011_follow_up_task_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("created_at", "industry", "region", "source_channel", "owner_id", "department_id", "lifecycle_stage",
           "importance", "value_tier", "last_contact_at", "next_follow_up_at")


def upgrade() -> None:
    # The new ones first: MariaDB needs an index starting with owner_id (department_id) for the foreign key.
    op.create_index("ix_customers_archived_name_id", "customers", ["archived_at", "name", "id"])
    for column in COLUMNS:
        op.create_index(f"ix_customers_{column}_id", "customers", [column, "id"])
    op.drop_index("ix_customers_archived_name", table_name="customers")
    for column in COLUMNS:
        op.drop_index(f"ix_customers_{column}", table_name="customers")


def downgrade() -> None:
    op.create_index("ix_customers_archived_name", "customers", ["archived_at", "name"])
    for column in COLUMNS:
        op.create_index(f"ix_customers_{column}", "customers", [column])
    op.drop_index("ix_customers_archived_name_id", table_name="customers")
    for column in COLUMNS:
        op.drop_index(f"ix_customers_{column}_id", table_name="customers")
