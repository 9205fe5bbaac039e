"""complaint handling: departments with heads, complaint workflow and deadlines, inquiries, attachments

Departments get a Chinese name and a head, who receives escalated complaints (no foreign key: users already
point at departments, and a key back would make the two tables a cycle). Complaints get the columns of the
workflow in crm/complaints (who filed it, warn-at instants and the running deadline the queues sort by, the
first resolution, the customer's confirmation, a rejection's reason, the escalation time) and three queue
indexes; their events a kind (transition, hand-off, severity, escalation, ...) and a confirmation's facts.
New tables: inquiries (one turned into a complaint points at it), complaint_attachments (bytes, MEDIUMBLOB on
MariaDB) and reference_counters (the per-year counter behind gap-free C-2026-000123 numbers). Suggestions get
their evaluation (adopt / adopt partly / not adopt), who evaluated it, the action taken and the contact.
Existing rows: complaints "assigned" become "acknowledged"; suggestion statuses become new / evaluated /
informed with the evaluation result read from the old status.

Revision ID: 0015_complaint_handling
Revises: 0014_sign_in_failures
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0015_complaint_handling"
down_revision: str | None = "0014_sign_in_failures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Naive UTC, with microseconds on MariaDB (as db.models.UTCDateTime stores it).
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
BYTES = sa.LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")

# Old suggestion status -> (new status, evaluation result); "informed" when the customer was told.
_SUGGESTIONS = {"new": ("new", None), "evaluating": ("new", None), "adopted": ("evaluated", "adopt"),
                "implemented": ("evaluated", "adopt"), "rejected": ("evaluated", "not_adopt")}


def _migrate_rows() -> None:
    op.execute("UPDATE complaints SET status = 'acknowledged' WHERE status = 'assigned'")
    op.execute("UPDATE complaint_events SET to_status = 'acknowledged' WHERE to_status = 'assigned'")
    op.execute("UPDATE complaint_events SET from_status = 'acknowledged' WHERE from_status = 'assigned'")
    op.execute("UPDATE complaints SET first_resolved_at = resolved_at WHERE resolved_at IS NOT NULL")
    op.execute("UPDATE complaints SET next_due_at = respond_due_at WHERE status = 'new'")
    op.execute("UPDATE complaints SET next_due_at = resolve_due_at "
               "WHERE status IN ('acknowledged', 'in_progress', 'reopened')")
    for old, (new, result) in _SUGGESTIONS.items():
        result_sql = f"'{result}'" if result else "NULL"
        op.execute(f"UPDATE suggestions SET status = '{new}', evaluation_result = {result_sql} WHERE status = '{old}'")
    op.execute("UPDATE suggestions SET status = 'informed' "
               "WHERE status = 'evaluated' AND customer_informed_at IS NOT NULL")


def _restore_rows() -> None:
    op.execute("UPDATE complaints SET status = 'assigned' WHERE status = 'acknowledged'")
    op.execute("UPDATE complaint_events SET to_status = 'assigned' WHERE to_status = 'acknowledged'")
    op.execute("UPDATE complaint_events SET from_status = 'assigned' WHERE from_status = 'acknowledged'")
    op.execute("UPDATE suggestions SET status = 'adopted' WHERE evaluation_result IN ('adopt', 'adopt_partly')")
    op.execute("UPDATE suggestions SET status = 'rejected' WHERE evaluation_result = 'not_adopt'")
    op.execute("UPDATE suggestions SET status = 'new' WHERE evaluation_result IS NULL")


def upgrade() -> None:
    op.create_table("reference_counters",
    sa.Column("kind", sa.String(length=8), nullable=False),
    sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
    sa.Column("last_number", sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint("kind", "year", name=op.f("pk_reference_counters"))
    )
    op.create_table("complaint_attachments",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("complaint_id", sa.Integer(), nullable=False),
    sa.Column("filename", sa.String(length=255), nullable=False),
    sa.Column("content_type", sa.String(length=100), nullable=False),
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("sha256", sa.String(length=64), nullable=False),
    sa.Column("content", BYTES, nullable=False),
    sa.Column("uploaded_at", TIMESTAMP, nullable=False),
    sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
    sa.Column("archived_at", TIMESTAMP, nullable=True),
    sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"], name=op.f("fk_complaint_attachments_complaint_id_complaints")),
    sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], name=op.f("fk_complaint_attachments_uploaded_by_id_users")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_attachments"))
    )
    with op.batch_alter_table("complaint_attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaint_attachments_complaint_id"), ["complaint_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaint_attachments_uploaded_by_id"), ["uploaded_by_id"], unique=False)

    op.create_table("inquiries",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("code", sa.String(length=32), nullable=False),
    sa.Column("customer_id", sa.Integer(), nullable=False),
    sa.Column("contact_id", sa.Integer(), nullable=True),
    sa.Column("channel", sa.String(length=16), nullable=False),
    sa.Column("received_at", TIMESTAMP, nullable=False),
    sa.Column("received_by_id", sa.Integer(), nullable=True),
    sa.Column("question", sa.Text(), nullable=False),
    sa.Column("answer", sa.Text(), nullable=True),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("department_id", sa.Integer(), nullable=True),
    sa.Column("assignee_id", sa.Integer(), nullable=True),
    sa.Column("respond_due_at", TIMESTAMP, nullable=True),
    sa.Column("answer_due_at", TIMESTAMP, nullable=True),
    sa.Column("responded_at", TIMESTAMP, nullable=True),
    sa.Column("answered_at", TIMESTAMP, nullable=True),
    sa.Column("answered_by_id", sa.Integer(), nullable=True),
    sa.Column("closed_at", TIMESTAMP, nullable=True),
    sa.Column("complaint_id", sa.Integer(), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("archived_at", TIMESTAMP, nullable=True),
    sa.Column("created_at", TIMESTAMP, nullable=False),
    sa.Column("updated_at", TIMESTAMP, nullable=False),
    sa.ForeignKeyConstraint(["answered_by_id"], ["users.id"], name=op.f("fk_inquiries_answered_by_id_users")),
    sa.ForeignKeyConstraint(["assignee_id"], ["users.id"], name=op.f("fk_inquiries_assignee_id_users")),
    sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"], name=op.f("fk_inquiries_complaint_id_complaints")),
    sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_inquiries_contact_id_contacts")),
    sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_inquiries_customer_id_customers")),
    sa.ForeignKeyConstraint(["department_id"], ["departments.id"], name=op.f("fk_inquiries_department_id_departments")),
    sa.ForeignKeyConstraint(["received_by_id"], ["users.id"], name=op.f("fk_inquiries_received_by_id_users")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_inquiries")),
    sa.UniqueConstraint("code", name=op.f("uq_inquiries_code"))
    )
    with op.batch_alter_table("inquiries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inquiries_answer_due_at"), ["answer_due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_inquiries_answered_by_id"), ["answered_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inquiries_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inquiries_complaint_id"), ["complaint_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inquiries_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inquiries_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inquiries_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inquiries_received_at"), ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_inquiries_received_by_id"), ["received_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inquiries_respond_due_at"), ["respond_due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_inquiries_status"), ["status"], unique=False)

    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), server_default="transition", nullable=False))
        batch_op.add_column(sa.Column("old_value", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("new_value", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("satisfied", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("confirmed_by", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("channel", sa.String(length=16), nullable=True))

    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("received_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("respond_warn_at", TIMESTAMP, nullable=True))
        batch_op.add_column(sa.Column("resolve_warn_at", TIMESTAMP, nullable=True))
        batch_op.add_column(sa.Column("next_due_at", TIMESTAMP, nullable=True))
        batch_op.add_column(sa.Column("next_warn_at", TIMESTAMP, nullable=True))
        batch_op.add_column(sa.Column("first_resolved_at", TIMESTAMP, nullable=True))
        batch_op.add_column(sa.Column("escalated_at", TIMESTAMP, nullable=True))
        batch_op.add_column(sa.Column("rejection_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("confirmed_at", TIMESTAMP, nullable=True))
        batch_op.add_column(sa.Column("confirmed_by", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("confirmation_channel", sa.String(length=16), nullable=True))
        batch_op.create_index("ix_complaints_assignee_queue", ["assignee_id", "status", "next_due_at", "archived_at", "id"], unique=False)
        batch_op.create_index("ix_complaints_customer_received", ["customer_id", "received_at"], unique=False)
        batch_op.create_index("ix_complaints_department_queue", ["department_id", "status", "next_due_at", "archived_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaints_received_by_id"), ["received_by_id"], unique=False)
        batch_op.create_index("ix_complaints_status_due", ["status", "next_due_at", "archived_at", "id"], unique=False)
        batch_op.create_index("ix_complaints_archived_due", ["archived_at", "next_due_at", "id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_complaints_received_by_id_users"), "users", ["received_by_id"], ["id"])

    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_zh", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("head_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_departments_head_id"), ["head_id"], unique=False)

    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("received_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("evaluation_result", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("evaluated_at", TIMESTAMP, nullable=True))
        batch_op.add_column(sa.Column("evaluated_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("action_taken", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_suggestions_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_suggestions_evaluated_by_id"), ["evaluated_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_suggestions_evaluation_result"), ["evaluation_result"], unique=False)
        batch_op.create_index(batch_op.f("ix_suggestions_received_by_id"), ["received_by_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_suggestions_contact_id_contacts"), "contacts", ["contact_id"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_suggestions_evaluated_by_id_users"), "users", ["evaluated_by_id"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_suggestions_received_by_id_users"), "users", ["received_by_id"], ["id"])

    _migrate_rows()


def downgrade() -> None:
    _restore_rows()
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_suggestions_received_by_id_users"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_suggestions_evaluated_by_id_users"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_suggestions_contact_id_contacts"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_suggestions_received_by_id"))
        batch_op.drop_index(batch_op.f("ix_suggestions_evaluation_result"))
        batch_op.drop_index(batch_op.f("ix_suggestions_evaluated_by_id"))
        batch_op.drop_index(batch_op.f("ix_suggestions_contact_id"))
        batch_op.drop_column("action_taken")
        batch_op.drop_column("evaluated_by_id")
        batch_op.drop_column("evaluated_at")
        batch_op.drop_column("evaluation_result")
        batch_op.drop_column("received_by_id")
        batch_op.drop_column("contact_id")

    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_departments_head_id"))
        batch_op.drop_column("head_id")
        batch_op.drop_column("name_zh")

    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_complaints_received_by_id_users"), type_="foreignkey")
        batch_op.drop_index("ix_complaints_status_due")
        batch_op.drop_index("ix_complaints_archived_due")
        batch_op.drop_index(batch_op.f("ix_complaints_received_by_id"))
        batch_op.drop_index("ix_complaints_department_queue")
        batch_op.drop_index("ix_complaints_customer_received")
        batch_op.drop_index("ix_complaints_assignee_queue")
        batch_op.drop_column("confirmation_channel")
        batch_op.drop_column("confirmed_by")
        batch_op.drop_column("confirmed_at")
        batch_op.drop_column("rejection_reason")
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("first_resolved_at")
        batch_op.drop_column("next_warn_at")
        batch_op.drop_column("next_due_at")
        batch_op.drop_column("resolve_warn_at")
        batch_op.drop_column("respond_warn_at")
        batch_op.drop_column("received_by_id")

    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.drop_column("channel")
        batch_op.drop_column("confirmed_by")
        batch_op.drop_column("satisfied")
        batch_op.drop_column("new_value")
        batch_op.drop_column("old_value")
        batch_op.drop_column("kind")

    # Dropping a table drops its indexes (MariaDB refuses to drop one a foreign key needs first).
    op.drop_table("inquiries")
    op.drop_table("complaint_attachments")
    op.drop_table("reference_counters")
