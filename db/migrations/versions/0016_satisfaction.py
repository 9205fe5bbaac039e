"""satisfaction: template revisions, campaign members, who recorded a response, import keys and alerts

Survey templates get revisions (family_id: the first revision's id; revision: 1, 2, ...) and labels for their own
dimensions; a template with responses is never changed, a new revision replaces it. Campaigns get the due date of
the survey tasks they create and when they last ran; survey_campaign_members holds one row per campaign and
customer (the task it created, the response that answered it), so running a campaign again adds no one twice.
Responses get who recorded them, an import key (re-importing a file adds nothing) and the alert flag (NPS <= 6 or
overall <= 2) with when and by whom an alert was closed. Existing responses are flagged by those thresholds.

Revision ID: 0016_satisfaction
Revises: 0015_complaint_handling
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0016_satisfaction"
down_revision: str | None = "0015_complaint_handling"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Naive UTC, with microseconds on MariaDB (as db.models.UTCDateTime stores it).
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "survey_campaign_members",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("added_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["survey_campaigns.id"],
            name=op.f("fk_survey_campaign_members_campaign_id_survey_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_survey_campaign_members_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["survey_responses.id"],
            name=op.f("fk_survey_campaign_members_response_id_survey_responses"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["follow_up_tasks.id"], name=op.f("fk_survey_campaign_members_task_id_follow_up_tasks")
        ),
        sa.PrimaryKeyConstraint("campaign_id", "customer_id", name=op.f("pk_survey_campaign_members")),
    )
    with op.batch_alter_table("survey_campaign_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_campaign_members_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_survey_campaign_members_response_id"), ["response_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_survey_campaign_members_task_id"), ["task_id"], unique=False)

    with op.batch_alter_table("survey_campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_in_days", sa.Integer(), nullable=False, server_default="7"))
        batch_op.add_column(sa.Column("last_run_at", TIMESTAMP, nullable=True))

    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("import_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("alert", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("alert_closed_at", TIMESTAMP, nullable=True))
        batch_op.add_column(sa.Column("alert_closed_by_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_survey_responses_alert_at", ["alert", "responded_at"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_survey_responses_import_key"), ["import_key"])
        batch_op.create_foreign_key(
            batch_op.f("fk_survey_responses_alert_closed_by_id_users"), "users", ["alert_closed_by_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_survey_responses_recorded_by_id_users"), "users", ["recorded_by_id"], ["id"]
        )
    op.execute(
        "UPDATE survey_responses SET alert = (nps <= 6 OR overall_score <= 2) WHERE nps <= 6 OR overall_score <= 2"
    )

    with op.batch_alter_table("survey_templates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("labels", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("family_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        batch_op.create_index(batch_op.f("ix_survey_templates_family_id"), ["family_id"], unique=False)
    op.execute("UPDATE survey_templates SET family_id = id, labels = '{}'")
    with op.batch_alter_table("survey_templates", schema=None) as batch_op:
        batch_op.alter_column("labels", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("survey_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_templates_family_id"))
        batch_op.drop_column("revision")
        batch_op.drop_column("family_id")
        batch_op.drop_column("labels")

    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_survey_responses_recorded_by_id_users"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_survey_responses_alert_closed_by_id_users"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_survey_responses_import_key"), type_="unique")
        batch_op.drop_index("ix_survey_responses_alert_at")
        batch_op.drop_column("alert_closed_by_id")
        batch_op.drop_column("alert_closed_at")
        batch_op.drop_column("alert")
        batch_op.drop_column("import_key")
        batch_op.drop_column("recorded_by_id")

    with op.batch_alter_table("survey_campaigns", schema=None) as batch_op:
        batch_op.drop_column("last_run_at")
        batch_op.drop_column("due_in_days")

    op.drop_table("survey_campaign_members")
