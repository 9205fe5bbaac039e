"""money sums: columns holding a sum of amounts get room for the largest amount on every order

An amount is at most 999,999,999,999.99 (crm.platform.validation.MAX_AMOUNT, Numeric(14, 2)), but a customer's revenue
(customers.rfm_monetary) is the sum of its orders and was Numeric(14, 2) too: two valid orders of
600,000,000,000 overflowed it on PostgreSQL and MariaDB, and the classification failed, and with it every later
import. It becomes Numeric(24, 2): (2**31 - 1) orders of the largest amount fit. A KPI target (kpi_targets.target,
a revenue target is such a sum) gets the same 22 digits before the point, with its 4 decimals.

SQLite keeps any number in a NUMERIC column whatever its declared precision, so its tables are left as they are
(rewriting the customers table for a declaration would cost a copy of every customer). PostgreSQL widens a
numeric without rewriting the table; MariaDB copies the customers table once.

Downgrade: revenues that no longer fit are cleared (a cache the next classification run recomputes); a target
that does not fit fails the downgrade.

Revision ID: 0013_money_sums
Revises: 0012_customer_sort_indexes
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_money_sums"
down_revision: str | None = "0012_customer_sort_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (  # table, column, old type, new type, nullable
    ("customers", "rfm_monetary", sa.Numeric(14, 2), sa.Numeric(24, 2), True),
    ("kpi_targets", "target", sa.Numeric(18, 4), sa.Numeric(26, 4), False),
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, column, old, new, nullable in COLUMNS:
        op.alter_column(table, column, type_=new, existing_type=old, existing_nullable=nullable)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    customers = sa.table("customers", sa.column("rfm_monetary", sa.Numeric(24, 2)))
    op.execute(customers.update().where(customers.c.rfm_monetary >= 10**12).values(rfm_monetary=None))
    for table, column, old, new, nullable in COLUMNS:
        op.alter_column(table, column, type_=old, existing_type=new, existing_nullable=nullable)
