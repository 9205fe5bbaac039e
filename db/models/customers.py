"""Customer records (DOMAIN.md section 1): contacts, care dates, orders, contracts, tags, stages, search index."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, MoneySum, Versioned, utcnow

SORT_INDEXED = (
    "created_at",
    "industry",
    "region",
    "source_channel",
    "owner_id",
    "department_id",
    "lifecycle_stage",
    "importance",
    "value_tier",
    "last_contact_at",
    "next_follow_up_at",
)


class Customer(Versioned, Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Name folded for duplicate detection: case, width, punctuation and company suffixes removed.
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    customer_type: Mapped[str] = mapped_column(String(16), default="company")
    industry: Mapped[str | None] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(300))
    company_size: Mapped[str | None] = mapped_column(String(32))
    source_channel: Mapped[str | None] = mapped_column(String(32))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    needs: Mapped[str | None] = mapped_column(Text)
    products_in_use: Mapped[str | None] = mapped_column(Text)
    decision_process: Mapped[str | None] = mapped_column(Text)
    competitors: Mapped[str | None] = mapped_column(Text)
    preferences: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    birthday: Mapped[dt.date | None] = mapped_column(Date)  # individuals; companies use key dates
    first_contact_date: Mapped[dt.date | None] = mapped_column(Date)
    share_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    # judged dimensions (DOMAIN.md section 2)
    lifecycle_stage: Mapped[str] = mapped_column(String(16), default="potential")
    stage_changed_at: Mapped[dt.datetime | None] = mapped_column()
    churn_reason: Mapped[str | None] = mapped_column(String(32))
    need_type: Mapped[str | None] = mapped_column(String(16), index=True)
    importance: Mapped[str | None] = mapped_column(String(16))
    expected_close_date: Mapped[dt.date | None] = mapped_column(Date)
    # computed dimensions, cached by the classification run (see class_history for the trail)
    value_tier: Mapped[str | None] = mapped_column(String(8))
    size_class: Mapped[str | None] = mapped_column(String(8), index=True)
    relationship: Mapped[str | None] = mapped_column(String(16), index=True)
    credit_risk: Mapped[str | None] = mapped_column(String(8), index=True)
    rfm_recency_days: Mapped[int | None] = mapped_column(Integer)
    rfm_frequency: Mapped[int | None] = mapped_column(Integer)
    rfm_monetary: Mapped[Decimal | None] = mapped_column(MoneySum)  # the sum of the customer's orders
    rfm_r: Mapped[int | None] = mapped_column(Integer)
    rfm_f: Mapped[int | None] = mapped_column(Integer)
    rfm_m: Mapped[int | None] = mapped_column(Integer)
    classified_at: Mapped[dt.datetime | None] = mapped_column()
    # follow-up state, maintained by the follow-up service for fast queues
    last_contact_at: Mapped[dt.datetime | None] = mapped_column()
    next_follow_up_at: Mapped[dt.datetime | None] = mapped_column()
    # Derived from audited fields (the name, the stage), as the import leaves them out of the trail too: a
    # conflict message or the timeline would otherwise show "name_key" to the user.
    audit_ignored_fields: ClassVar[frozenset[str]] = frozenset({"name_key", "stage_changed_at"})
    __table_args__ = (
        Index("ix_customers_owner_stage", "owner_id", "lifecycle_stage"),
        # 0017_kpi_indexes: the dashboard's customers per stage and tier, index-only in group order.
        Index("ix_customers_kpi_stage", "lifecycle_stage", "value_tier", "archived_at", "created_at"),
        # 0021: the customers created in part of a month (the KPIs' stage counts at an instant inside it).
        Index("ix_customers_created_at", "created_at"),
        # Each sort of the list (0012_customer_sort_indexes): the column then id, the list's tie-breaker, so a
        # page is read in order from the index even where thousands of customers share a value.
        Index("ix_customers_archived_name_id", "archived_at", "name", "id"),
        *(Index(f"ix_customers_{column}_id", column, "id") for column in SORT_INDEXED),
        # 0006_follow_up_queue_index: my queue's "out of cadence, nothing planned" per owner, index-only.
        Index(
            "ix_customers_owner_queue",
            "owner_id",
            "next_follow_up_at",
            "last_contact_at",
            "lifecycle_stage",
            "archived_at",
            "value_tier",
            "importance",
            "id",
        ),
    )


class Contact(Versioned, Base):
    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    title: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    wechat: Mapped[str | None] = mapped_column(String(64))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    birthday: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)


class KeyDate(Versioned, Base):
    """Care dates (客户关怀): anniversaries and other dates worth a greeting."""

    __tablename__ = "key_dates"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # birthday / anniversary / other
    month_day: Mapped[str] = mapped_column(String(5), index=True)  # "MM-DD", for yearly lookups
    date: Mapped[dt.date] = mapped_column(Date)
    label: Mapped[str | None] = mapped_column(String(120))


class CustomerTag(Base):
    __tablename__ = "customer_tags"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Order(Versioned, Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    order_no: Mapped[str | None] = mapped_column(String(40), unique=True)
    order_date: Mapped[dt.date] = mapped_column(Date, index=True)
    product: Mapped[str | None] = mapped_column(String(120))
    amount: Mapped[Decimal] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    notes: Mapped[str | None] = mapped_column(Text)
    # Covers the classification's per-customer aggregates (migration 0002) and customer order lists.
    __table_args__ = (
        Index("ix_orders_customer_rfm", "customer_id", "order_date", "amount", "archived_at"),
        # 0017_kpi_indexes: a period's orders and revenue per customer, index-only (crm/kpis).
        Index("ix_orders_kpi_date", "order_date", "customer_id", "amount", "archived_at"),
    )


class Contract(Versioned, Base):
    __tablename__ = "contracts"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    value: Mapped[Decimal] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    payment_terms: Mapped[str | None] = mapped_column(String(200))


class ContractPayment(Versioned, Base):
    __tablename__ = "contract_payments"
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    due_date: Mapped[dt.date] = mapped_column(Date, index=True)
    amount: Mapped[Decimal] = mapped_column()
    paid_date: Mapped[dt.date | None] = mapped_column(Date)
    paid_amount: Mapped[Decimal | None] = mapped_column()


class StageChange(Base):
    __tablename__ = "stage_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str | None] = mapped_column(String(200))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    __table_args__ = (
        Index("ix_stage_changes_customer_at", "customer_id", "changed_at"),
        # 0017_kpi_indexes: a period's moves, and each customer's first change after an instant, index-only (crm/kpis).
        Index("ix_stage_changes_kpi", "customer_id", "changed_at", "id", "from_stage", "to_stage"),
        Index("ix_stage_changes_kpi_at", "changed_at", "to_stage", "from_stage", "customer_id"),
        # 0021: one target stage's moves in a period (churned, signed), index-only.
        Index("ix_stage_changes_kpi_to", "to_stage", "changed_at", "from_stage", "customer_id"),
    )


class CustomerSearchText(Base):
    """A customer's normalised searchable text, to verify the candidates its grams pick (crm.customers.search_index)."""

    __tablename__ = "customer_search_texts"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    visible: Mapped[str] = mapped_column(Text)  # name, code and live contacts' names, one per line
    emails: Mapped[str] = mapped_column(Text)  # live contacts' emails (not searchable by viewers)
    phones: Mapped[str] = mapped_column(Text)  # live contacts' phone digits (not searchable by viewers)
    # The customer's name when indexed: the grams' sort key, which a rename rewrites (see CustomerSearchGram).
    name: Mapped[str] = mapped_column(String(200), default="")


# Grams compare byte for byte: MariaDB's default collations would fold case and accents and make 'é' and 'e'
# one primary key.
_GRAM = String(3).with_variant(mysql.VARCHAR(3, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb")


class CustomerSearchGram(Base):
    """One gram of a customer's search text (crm.customers.search_index): a gram's rows come in the list's name order.

    The key is (gram, customer_name, customer_id): reading one gram's holders in key order is reading them
    sorted as the list sorts by name (customer_name is customers.name, same type and collation), so a search's
    first page is found by walking its rarest gram's holders and stopping at a page, whatever the customer
    count. `kinds` says which part of the text holds the gram (bits: 1 visible, 2 contact details).
    No foreign key and no customer_id index on purpose: rows are deleted by primary key (the old grams are
    recomputed from customer_search_texts), so each write touches one B-tree.
    """

    __tablename__ = "customer_search_grams"
    gram: Mapped[str] = mapped_column(_GRAM, primary_key=True)
    customer_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # In the key too, so PostgreSQL answers from the index alone (index-only scans).
    kinds: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    __table_args__ = {"sqlite_with_rowid": False}


class CustomerSearchGramCount(Base):
    """How many customers held a gram when last counted (`python -m crm search analyze`, every rebuild).

    Only for choosing which of a term's grams to read (the rarest): a stale count makes a search slower,
    never wrong. A gram missing here is newer than the count and is counted live (crm.customers.search_index).
    """

    __tablename__ = "customer_search_gram_counts"
    gram: Mapped[str] = mapped_column(_GRAM, primary_key=True)
    holders: Mapped[int] = mapped_column(Integer)
