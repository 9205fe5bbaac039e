"""The customer search index's format: normalised text and grams of a customer, and bulk (re)building.

crm.search_index explains the design and keeps the index in step with every write; this module is the part
the migration that creates the index (0004_customer_search) also needs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, select

from db.models import Contact, Customer, CustomerSearchGram, CustomerSearchText

VISIBLE, DETAILS = 0, 1  # gram kinds: name/code/contact name; email/phone (hidden from viewers)
CHUNK = 500  # customers per reindex round trip
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
_NON_DIGIT = re.compile(r"\D")
SEPARATOR = "\n"  # between values in a text column: never in a normalised value nor in a search term


def normalise(value: str | None) -> str:
    """Fold a value or search term for matching: full width to half width (NFKC), lower case, no line breaks."""
    if not value:
        return ""
    return _CONTROL.sub(" ", unicodedata.normalize("NFKC", value).lower())


def phone_digits(phone: str | None) -> str:
    """The digits of a phone number (what a phone search compares)."""
    return _NON_DIGIT.sub("", phone or "")


def grams_of(line: str) -> set[str]:
    """Return the grams of one normalised value (the rule: crm.search_index)."""
    grams = set()
    for i in range(len(line) - 1):
        a, b = line[i], line[i + 1]
        if a.isspace() or b.isspace():
            continue
        if a.isascii() and b.isascii():
            if i + 2 < len(line) and not line[i + 2].isspace():
                grams.add(line[i:i + 3])
        else:
            grams.add(a + b)
    return grams


@dataclass(frozen=True)
class SearchText:
    """A customer's normalised searchable text (the customer_search_texts columns)."""

    visible: str
    emails: str
    phones: str

    def grams(self) -> set[tuple[str, int]]:
        """Return the (gram, kind) pairs of the text."""
        found = {(g, VISIBLE) for line in self.visible.split(SEPARATOR) for g in grams_of(line)}
        for column in (self.emails, self.phones):
            found.update((g, DETAILS) for line in column.split(SEPARATOR) for g in grams_of(line))
        return found


def search_text(name: str | None, code: str | None, contacts: Iterable[tuple[str | None, str | None, str | None]]
                ) -> SearchText:
    """Build a customer's search text from its name, code and live contacts' (name, email, phone)."""
    visible = [normalise(name), normalise(code)]
    emails, phones = [], []
    for contact_name, email, phone in contacts:
        if contact_name:
            visible.append(normalise(contact_name))
        if email:
            emails.append(normalise(email))
        digits = phone_digits(phone)
        if digits:
            phones.append(digits)
    return SearchText(SEPARATOR.join(v for v in visible if v), SEPARATOR.join(emails), SEPARATOR.join(phones))


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def texts_from_database(connection: Connection, ids: Sequence[int]) -> dict[int, SearchText]:
    customers = connection.execute(select(Customer.id, Customer.name, Customer.code).where(Customer.id.in_(ids)))
    contacts: dict[int, list[tuple[str | None, str | None, str | None]]] = {}
    for customer_id, name, email, phone in connection.execute(
            select(Contact.customer_id, Contact.name, Contact.email, Contact.phone)
            .where(Contact.customer_id.in_(ids), Contact.archived_at.is_(None)).order_by(Contact.id)):
        contacts.setdefault(customer_id, []).append((name, email, phone))
    return {i: search_text(name, code, contacts.get(i, ())) for i, name, code in customers}


def index_new(connection: Connection, texts: Iterable[tuple[int, SearchText]], *, batch: int = 20_000) -> None:
    """Insert the text and grams of customers not indexed yet (bulk loads: demo data, rebuilds)."""
    text_rows: list[tuple[int, str, str, str]] = []
    gram_rows: list[tuple[str, int, int]] = []

    def flush() -> None:
        bulk_insert(connection, "customer_search_texts", ("customer_id", "visible", "emails", "phones"), text_rows)
        insert_grams(connection, gram_rows)
        text_rows.clear()
        gram_rows.clear()

    for customer_id, text in texts:
        text_rows.append((customer_id, text.visible, text.emails, text.phones))
        gram_rows.extend((g, k, customer_id) for g, k in text.grams())
        if len(text_rows) >= batch:
            flush()
    flush()


def insert_grams(connection: Connection, rows: list[tuple[str, int, int]]) -> None:
    """Insert (gram, kind, customer_id) rows, in primary-key order (appends rather than jumps in the B-tree)."""
    rows.sort()
    bulk_insert(connection, "customer_search_grams", ("gram", "kind", "customer_id"), rows)


def bulk_insert(connection: Connection, table: str, columns: Sequence[str], rows: list[Any]) -> None:
    """Insert rows of plain values as fast as the driver allows (COPY on PostgreSQL, executemany elsewhere)."""
    if not rows:
        return
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    placeholder = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({', '.join([placeholder] * len(columns))})"
    for start in range(0, len(rows), 50_000):
        connection.exec_driver_sql(sql, rows[start:start + 50_000])


def rebuild(connection: Connection, *, progress: Callable[[str], None] = lambda _: None,
            batch: int = 20_000) -> int:
    """Empty the index and build it again from every customer (the `search reindex` command, migration 0004)."""
    connection.execute(delete(CustomerSearchGram.__table__))
    connection.execute(delete(CustomerSearchText.__table__))
    last, done = 0, 0
    while True:
        ids = list(connection.scalars(select(Customer.id).where(Customer.id > last).order_by(Customer.id)
                                      .limit(batch)))
        if not ids:
            return done
        texts: dict[int, SearchText] = {}
        for chunk in _chunks(ids, CHUNK * 4):
            texts.update(texts_from_database(connection, chunk))
        index_new(connection, sorted(texts.items()))
        last, done = ids[-1], done + len(ids)
        progress(f"{done:,} customers indexed")
