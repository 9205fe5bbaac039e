"""follow-up task order indexes: (owner_id, status, due_at, id) and (status, due_at, id)

The queues and the planned list show open tasks by (due_at, id). The indexes ended at due_at, so when many
tasks fall due at the same moment, as when a rules run creates thousands at once, PostgreSQL read and sorted
every one of them to find the first page: an owner's planned list took 140 ms at 1,000,000 customers after the
rules' first run, against 2 ms before it. With id in the index the page is read in order and stops at its end.

Revision ID: 0011_follow_up_task_order
Revises: 0010_search_gram_counts
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_follow_up_task_order"
down_revision: str | None = "0010_search_gram_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The replacements first: MariaDB needs an index starting with owner_id for the foreign key.
    op.create_index("ix_follow_up_tasks_owner_status_due_id", "follow_up_tasks", ["owner_id", "status", "due_at", "id"])
    op.create_index("ix_follow_up_tasks_status_due_id", "follow_up_tasks", ["status", "due_at", "id"])
    op.drop_index("ix_follow_up_tasks_owner_status_due", table_name="follow_up_tasks")
    op.drop_index("ix_follow_up_tasks_status_due", table_name="follow_up_tasks")


def downgrade() -> None:
    op.create_index("ix_follow_up_tasks_owner_status_due", "follow_up_tasks", ["owner_id", "status", "due_at"])
    op.create_index("ix_follow_up_tasks_status_due", "follow_up_tasks", ["status", "due_at"])
    op.drop_index("ix_follow_up_tasks_owner_status_due_id", table_name="follow_up_tasks")
    op.drop_index("ix_follow_up_tasks_status_due_id", table_name="follow_up_tasks")
