"""search single characters: every non-ASCII character is a gram of its own

A one-character Chinese search (a surname such as 王, or 华) had no gram, so it was checked row by row in the
list's order: 7.5 s at 1,000,000 customers on PostgreSQL. Each non-ASCII character of a customer's search text
is now a gram too (crm/search_index.py), which makes such a search one exact gram like 华为. The index was
rebuilt here; the next revision, which changes the format again, rebuilds it instead.

Revision ID: 0008_search_single_characters
Revises: 0007_follow_up_day_counts
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_search_single_characters"
down_revision: str | None = "0007_follow_up_day_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The rebuild now happens in 0009_search_grams_in_name_order: the filling code (db.search_grams.rebuild)
    # writes the latest format, which this revision's table does not have.
    pass


def downgrade() -> None:
    # The rule before this revision had no single-character grams: every such gram is one this one added.
    bind = op.get_bind()
    bind.exec_driver_sql("DELETE FROM customer_search_grams WHERE " + (
        "CHAR_LENGTH(gram) = 1" if bind.dialect.name in ("mysql", "mariadb") else "LENGTH(gram) = 1"))
