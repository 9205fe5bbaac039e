"""Typed SQLAlchemy models for every module of the customer-management policy (DOMAIN.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Store naive UTC in the database, hand out aware UTC datetimes (MariaDB has no time zones)."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        # MariaDB's DATETIME drops fractions of a second unless asked; session checks need them.
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


def utcnow() -> dt.datetime:
    """Return the current time as an aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


# One amount (an order, a contract, a payment): at most crm.platform.validation.MAX_AMOUNT, 999,999,999,999.99.
Money = Numeric(14, 2)
# A sum of amounts (a customer's revenue, a revenue target) has room for the largest amount on every order the
# orders table can number (INTEGER ids on PostgreSQL and MariaDB): (2**31 - 1) * 10**12 < 10**22.
MAX_ORDERS = 2**31 - 1
MONEY_SUM_DIGITS = 24
MoneySum = Numeric(MONEY_SUM_DIGITS, 2)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime(), Decimal: Money}


class Timestamped:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Versioned(Timestamped):
    """A record staff edit: optimistic locking by version, soft delete by archived_at, audited."""

    audited: ClassVar[bool] = True
    if TYPE_CHECKING:  # every concrete model defines these
        id: Mapped[int]
        __tablename__: str
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    archived_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


# --- accounts and settings -------------------------------------------------------------------


class User(Versioned, Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16), index=True)
    language: Mapped[str] = mapped_column(String(8), default="en")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0)
    # Failures count while each comes within the lockout (15 minutes) of the last, as sign_in_failures' do.
    last_failed_login_at: Mapped[dt.datetime | None] = mapped_column()
    locked_until: Mapped[dt.datetime | None] = mapped_column()
    # Cookies and sessions issued before this instant are void: logout, password or role change.
    sessions_valid_after: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column()
    audit_hidden_fields: ClassVar[frozenset[str]] = frozenset({"password_hash"})
    audit_ignored_fields: ClassVar[frozenset[str]] = frozenset(
        {"failed_login_count", "last_failed_login_at", "locked_until", "last_login_at", "sessions_valid_after"}
    )


class SignInFailure(Base):
    """Failed sign-ins under a name that is no active account, counted and locked as an account's are
    (crm/auth.py), so the answers never tell which usernames exist. Rows go once their failures are older than
    the lockout, so the table holds at most the names tried in the last 15 minutes."""

    __tablename__ = "sign_in_failures"
    name_key: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the name, never the name
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[dt.datetime] = mapped_column(index=True)
    locked_until: Mapped[dt.datetime | None] = mapped_column()


class Setting(Base):
    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Department(Versioned, Base):
    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # marketing / sales / service / product / tech / management (DOMAIN.md section 7)
    function: Mapped[str] = mapped_column(String(16))


class IdempotencyToken(Base):
    """One row per submitted form; a second submission of the same token is refused."""

    __tablename__ = "idempotency_tokens"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    operation: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class AuditLog(Base):
    """Append-only trail: who changed which field of which record, when, from what to what."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # create/update/archive/restore/delete/login/...
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(40))
    entity_version: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        Index("ix_audit_log_entity", "entity_type", "entity_id", "id"),
        Index("ix_audit_log_user_at", "user_id", "at"),
        Index("ix_audit_log_at", "at"),
    )


# --- customer records (DOMAIN.md section 1) ---------------------------------------------------


SORT_INDEXED = ("created_at", "industry", "region", "source_channel", "owner_id", "department_id", "lifecycle_stage",
                "importance", "value_tier", "last_contact_at", "next_follow_up_at")


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
        # Each sort of the list (0012_customer_sort_indexes): the column then id, the list's tie-breaker, so a
        # page is read in order from the index even where thousands of customers share a value.
        Index("ix_customers_archived_name_id", "archived_at", "name", "id"),
        *(Index(f"ix_customers_{column}_id", column, "id") for column in SORT_INDEXED),
        # 0006_follow_up_queue_index: my queue's "out of cadence, nothing planned" per owner, index-only.
        Index("ix_customers_owner_queue", "owner_id", "next_follow_up_at", "last_contact_at", "lifecycle_stage",
              "archived_at", "value_tier", "importance", "id"),
    )


class CustomerTag(Base):
    __tablename__ = "customer_tags"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


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


class Holiday(Versioned, Base):
    __tablename__ = "holidays"
    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    name: Mapped[str] = mapped_column(String(120))


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
    __table_args__ = (Index("ix_orders_customer_rfm", "customer_id", "order_date", "amount", "archived_at"),)


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


# --- classification (DOMAIN.md section 2) -----------------------------------------------------


class StageChange(Base):
    __tablename__ = "stage_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str | None] = mapped_column(String(200))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    __table_args__ = (Index("ix_stage_changes_customer_at", "customer_id", "changed_at"),)


class ClassChange(Base):
    """History of every class a customer has had in each dimension, with the reason why."""

    __tablename__ = "class_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    dimension: Mapped[str] = mapped_column(String(24))
    old_class: Mapped[str | None] = mapped_column(String(16))
    new_class: Mapped[str | None] = mapped_column(String(16))
    explanation: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    __table_args__ = (Index("ix_class_changes_customer_dim", "customer_id", "dimension", "changed_at"),)


class ClassOverride(Versioned, Base):
    __tablename__ = "class_overrides"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    dimension: Mapped[str] = mapped_column(String(24), index=True)
    value: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(300))
    expires_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)


class CreditEvent(Versioned, Base):
    """Evidence ledger for the credit-risk grade: late payments, overdue amounts, disputes."""

    __tablename__ = "credit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    event_date: Mapped[dt.date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(24))
    weight: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    amount: Mapped[Decimal | None] = mapped_column()
    days_late: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(300))


class ServicePolicy(Versioned, Base):
    __tablename__ = "service_policies"
    id: Mapped[int] = mapped_column(primary_key=True)
    dimension: Mapped[str] = mapped_column(String(24))
    class_value: Mapped[str] = mapped_column(String(16))
    cadence_days: Mapped[int] = mapped_column(Integer)
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_zh: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (UniqueConstraint("dimension", "class_value"),)


# --- follow-up (DOMAIN.md section 3) ----------------------------------------------------------


class Activity(Versioned, Base):
    """A logged contact with a customer (跟进记录)."""

    __tablename__ = "activities"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[dt.datetime] = mapped_column()
    summary: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(24))
    next_step: Mapped[str | None] = mapped_column(String(300))
    next_due_at: Mapped[dt.datetime | None] = mapped_column()
    task_id: Mapped[int | None] = mapped_column(ForeignKey("follow_up_tasks.id"), index=True)
    stage_before: Mapped[str | None] = mapped_column(String(16))
    stage_after: Mapped[str | None] = mapped_column(String(16))
    __table_args__ = (
        Index("ix_activities_customer_at", "customer_id", "occurred_at"),
        Index("ix_activities_owner_at", "owner_id", "occurred_at"),
    )


class FollowUpTask(Versioned, Base):
    """A planned follow-up (定期回访, 关怀, 挽回, ...) with a due date."""

    __tablename__ = "follow_up_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    # active_history: the calendar's counts need the old owner, due time and status of every change.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), active_history=True)
    due_at: Mapped[dt.datetime] = mapped_column(active_history=True)
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    purpose: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="open", active_history=True)  # open / done / cancelled
    # "customer:purpose" while open, NULL otherwise: a portable partial unique index, so rules
    # never create a second open task of the same purpose for a customer.
    open_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    recurrence_days: Mapped[int | None] = mapped_column(Integer)
    created_by_rule: Mapped[str | None] = mapped_column(String(32))
    reschedule_reason: Mapped[str | None] = mapped_column(String(300))
    completed_at: Mapped[dt.datetime | None] = mapped_column()
    source_complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    source_survey_id: Mapped[int | None] = mapped_column(ForeignKey("survey_responses.id"), index=True)
    __table_args__ = (
        # id last: the queues list by (due_at, id), and rules create thousands of tasks due at the same time.
        Index("ix_follow_up_tasks_owner_status_due_id", "owner_id", "status", "due_at", "id"),
        Index("ix_follow_up_tasks_status_due_id", "status", "due_at", "id"),
        # 0003_follow_ups: the customer's earliest open task; done per owner and period.
        Index("ix_follow_up_tasks_customer_status_due", "customer_id", "status", "due_at"),
        Index("ix_follow_up_tasks_owner_status_completed", "owner_id", "status", "completed_at"),
    )


class FollowUpDayCount(Base):
    """Open follow-ups due per owner and company-local day, kept in step with follow_up_tasks in the same
    transaction (crm/calendar_counts.py), so the calendar reads a few rows per day whatever the data's size."""

    __tablename__ = "follow_up_day_counts"
    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # 0: no owner
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    open_count: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (Index("ix_follow_up_day_counts_day", "day", "owner_id"),)


class AutomationRule(Base):
    __tablename__ = "automation_rules"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    params: Mapped[Any] = mapped_column(JSON, default=dict)
    last_run_at: Mapped[dt.datetime | None] = mapped_column()


# --- complaints and suggestions (DOMAIN.md section 4) -----------------------------------------


class Complaint(Versioned, Base):
    __tablename__ = "complaints"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[dt.datetime] = mapped_column(index=True)
    occurred_at: Mapped[dt.datetime | None] = mapped_column()
    description: Mapped[str] = mapped_column(Text)
    impact_scope: Mapped[str | None] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(8), index=True)  # low / medium / high / critical
    expected_resolution: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    respond_due_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    resolve_due_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    responded_at: Mapped[dt.datetime | None] = mapped_column()
    resolved_at: Mapped[dt.datetime | None] = mapped_column()
    closed_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    waiting_since: Mapped[dt.datetime | None] = mapped_column()
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    root_cause: Mapped[str | None] = mapped_column(String(64), index=True)
    resolution: Mapped[str | None] = mapped_column(Text)
    customer_satisfied: Mapped[bool | None] = mapped_column(Boolean)


class ComplaintEvent(Base):
    """Status history of a complaint: each step, who, when, and which department held it."""

    __tablename__ = "complaint_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (Index("ix_complaint_events_complaint_at", "complaint_id", "at"),)


class Suggestion(Versioned, Base):
    __tablename__ = "suggestions"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[dt.datetime] = mapped_column(index=True)
    content: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(32), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    evaluation: Mapped[str | None] = mapped_column(Text)
    adopted: Mapped[bool | None] = mapped_column(Boolean)
    customer_informed_at: Mapped[dt.datetime | None] = mapped_column()


# --- satisfaction (DOMAIN.md section 5) -------------------------------------------------------


class SurveyTemplate(Versioned, Base):
    __tablename__ = "survey_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    dimensions: Mapped[Any] = mapped_column(JSON)  # list of dimension codes, scored 1-5
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class SurveyCampaign(Versioned, Base):
    __tablename__ = "survey_campaigns"
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("survey_templates.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    target: Mapped[Any] = mapped_column(JSON, default=dict)  # filter by class or stage
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)


class SurveyResponse(Versioned, Base):
    __tablename__ = "survey_responses"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("survey_templates.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("survey_campaigns.id"), index=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # questionnaire / phone / online
    responded_at: Mapped[dt.datetime] = mapped_column(index=True)
    overall_score: Mapped[int | None] = mapped_column(Integer)  # 1-5 (CSAT)
    nps: Mapped[int | None] = mapped_column(Integer)  # 0-10
    comment: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (Index("ix_survey_responses_customer_at", "customer_id", "responded_at"),)


class SurveyScore(Base):
    __tablename__ = "survey_scores"
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id"), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(32), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)


# --- KPIs (DOMAIN.md section 6) ---------------------------------------------------------------


class KpiSnapshot(Base):
    """Figures frozen at computed_at under a key (the team view per period, the managers' KPIs): readers use a
    row while it is fresh enough for them and recompute and upsert it otherwise (crm/snapshots.py)."""

    __tablename__ = "kpi_snapshots"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)  # e.g. "follow_ups.team:week"
    computed_at: Mapped[dt.datetime] = mapped_column()
    payload: Mapped[Any] = mapped_column(JSON)


class KpiTarget(Versioned, Base):
    __tablename__ = "kpi_targets"
    id: Mapped[int] = mapped_column(primary_key=True)
    kpi: Mapped[str] = mapped_column(String(48))
    period: Mapped[str] = mapped_column(String(7))
    target: Mapped[Decimal] = mapped_column(Numeric(MONEY_SUM_DIGITS + 2, 4))  # may be a sum: revenue
    __table_args__ = (UniqueConstraint("kpi", "period"),)

