"""follow-ups: indexes for the queues, the team view and the cached next follow-up

- follow_up_tasks(customer_id, status, due_at) answers min(due_at) of a customer's open tasks (the cached
  customers.next_follow_up_at) with one index probe. With only (customer_id) and (status, due_at), SQLite's and
  PostgreSQL's min() optimisation walks (status, due_at) in due order looking for the customer: on 800k open
  tasks, a rules run refreshing 2,000 customers took minutes instead of milliseconds. It replaces
  ix_follow_up_tasks_customer_id, whose column is its prefix.
- follow_up_tasks(owner_id, status, completed_at): "done this period" per owner in the team view.
- customers(owner_id, next_follow_up_at, last_contact_at): "out of cadence, nothing planned" in my queue reads
  only the owner's customers with nothing planned instead of all of the owner's customers.

Revision ID: 0003_follow_ups
Revises: 0002_classification
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003_follow_ups"
down_revision: str | None = "0002_classification"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Create the replacement first: MariaDB needs an index starting with customer_id for the foreign key.
    op.create_index("ix_follow_up_tasks_customer_status_due", "follow_up_tasks", ["customer_id", "status", "due_at"])
    op.drop_index("ix_follow_up_tasks_customer_id", table_name="follow_up_tasks")
    op.create_index("ix_follow_up_tasks_owner_status_completed", "follow_up_tasks",
                    ["owner_id", "status", "completed_at"])
    op.create_index("ix_customers_owner_next_follow_up", "customers",
                    ["owner_id", "next_follow_up_at", "last_contact_at"])


def downgrade() -> None:
    op.drop_index("ix_customers_owner_next_follow_up", table_name="customers")
    op.drop_index("ix_follow_up_tasks_owner_status_completed", table_name="follow_up_tasks")
    op.create_index("ix_follow_up_tasks_customer_id", "follow_up_tasks", ["customer_id"])
    op.drop_index("ix_follow_up_tasks_customer_status_due", table_name="follow_up_tasks")
