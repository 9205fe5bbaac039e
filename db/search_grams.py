"""The customer search index's format: normalised text and grams of a customer, and bulk (re)building.

crm.customers.search_index explains the design and keeps the index in step with every write; this module is the part
the migration that creates the index (0004_customer_search) also needs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, select

from db.models import Contact, Customer, CustomerSearchGram, CustomerSearchGramCount, CustomerSearchText

VISIBLE, DETAILS = 1, 2  # where a gram is (bits of kinds): name/code/contact name; email/phone (not for viewers)
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
    """Return the grams of one normalised value (the rule: crm.customers.search_index)."""
    grams: set[str] = set()
    for word in line.split():  # grams never hold whitespace
        if word.isascii():  # the common case, and the fast one
            grams.update([word[i : i + 3] for i in range(len(word) - 2)])
            continue
        # Each non-ASCII character alone too: a one-character Chinese search (a surname, 王) is then one gram.
        grams.update([c for c in word if not c.isascii()])
        for i in range(len(word) - 1):
            a, b = word[i], word[i + 1]
            if not (a.isascii() and b.isascii()):
                grams.add(a + b)
            elif i + 2 < len(word):
                grams.add(word[i : i + 3])
    return grams


@dataclass(frozen=True)
class SearchText:
    """A customer's normalised searchable text (the customer_search_texts columns)."""

    visible: str
    emails: str
    phones: str
    name: str  # the customer's name as it is (the grams' sort key)

    def grams(self) -> set[tuple[str, int]]:
        """Return the (gram, kinds) pairs of the text: each gram once, with the bits of where it is."""
        # SEPARATOR is whitespace, which grams never hold: each column is one line for grams_of.
        kinds = dict.fromkeys(grams_of(self.visible), VISIBLE)
        for gram in grams_of(self.emails + SEPARATOR + self.phones):
            kinds[gram] = kinds.get(gram, 0) | DETAILS
        return set(kinds.items())

    def rows(self, customer_id: int) -> list[tuple[str, str, int, int]]:
        """Return the customer_search_grams rows (gram, customer_name, customer_id, kinds) of the text."""
        return [(gram, self.name, customer_id, kinds) for gram, kinds in self.grams()]


def search_text(
    name: str | None, code: str | None, contacts: Iterable[tuple[str | None, str | None, str | None]]
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
    return SearchText(
        SEPARATOR.join(v for v in visible if v), SEPARATOR.join(emails), SEPARATOR.join(phones), name or ""
    )


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def texts_from_database(connection: Connection, ids: Sequence[int]) -> dict[int, SearchText]:
    customers = connection.execute(select(Customer.id, Customer.name, Customer.code).where(Customer.id.in_(ids)))
    contacts: dict[int, list[tuple[str | None, str | None, str | None]]] = {}
    for customer_id, name, email, phone in connection.execute(
        select(Contact.customer_id, Contact.name, Contact.email, Contact.phone)
        .where(Contact.customer_id.in_(ids), Contact.archived_at.is_(None))
        .order_by(Contact.id)
    ):
        contacts.setdefault(customer_id, []).append((name, email, phone))
    return {i: search_text(name, code, contacts.get(i, ())) for i, name, code in customers}


SEARCH_TABLES = ("customer_search_texts", "customer_search_grams", "customer_search_gram_counts")
_LOAD = "customer_search_grams_load"
MARIADB_SORT_BUFFER = 256 * 1024 * 1024  # bytes, for the one sorted copy of a bulk load
_GRAM_COLUMNS = ("gram", "customer_name", "customer_id", "kinds")
_LOAD_ROW = (*_GRAM_COLUMNS, "name_order")
_TEXT_COLUMNS = ("customer_id", "visible", "emails", "phones", "name")
_LOAD_COLUMNS = {
    "sqlite": "gram TEXT, customer_name TEXT, customer_id INTEGER, kinds INTEGER, name_order INTEGER",
    "postgresql": "gram VARCHAR(3), customer_name VARCHAR(200), customer_id INTEGER, kinds SMALLINT, "
    "name_order INTEGER",
    "mysql": "gram VARCHAR(3) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, customer_name VARCHAR(200), "
    "customer_id INTEGER, kinds SMALLINT, name_order INTEGER",
}


def index_new(connection: Connection, texts: Iterable[tuple[int, SearchText]], *, batch: int = 20_000) -> None:
    """Insert the text and grams of customers not indexed yet (bulk loads: demo data, rebuilds).

    More than one batch of customers goes through a staging table, copied into the index in primary-key
    order at the end: inserting batch after batch would touch every page of the grams' B-tree each time.
    Each staged row carries its customer's place in (name, id) order, and the copy sorts by (gram,
    name_order): the same order as (gram, name, id), with a key of two short values. Sorting by the name
    itself took MariaDB over 12 minutes for 100,000 customers (it sorts VARCHAR(200) keys at full width).
    """
    text_rows: list[tuple[int, str, str, str, str]] = []
    gram_rows: list[tuple[str, str, int, int]] = []
    positions: dict[int, int] = {}  # customer id: place in (name, id) order, once staged
    staged = False
    mariadb = connection.dialect.name in ("mysql", "mariadb")

    def flush(last: bool) -> None:
        nonlocal staged
        bulk_insert(connection, "customer_search_texts", _TEXT_COLUMNS, text_rows)
        if not last and not staged:
            staged = True
            columns = _LOAD_COLUMNS.get(connection.dialect.name, _LOAD_COLUMNS["mysql"])
            temporary = "TEMPORARY" if mariadb else "TEMP"
            connection.exec_driver_sql(f"CREATE {temporary} TABLE {_LOAD} ({columns})")
            positions.update(
                (customer_id, n)
                for n, customer_id in enumerate(
                    connection.scalars(select(Customer.id).order_by(Customer.name, Customer.id))
                )
            )
        if staged:
            bulk_insert(connection, _LOAD, _LOAD_ROW, [(*row, positions[row[2]]) for row in gram_rows])
        else:
            insert_grams(connection, gram_rows)
        text_rows.clear()
        gram_rows.clear()
        if last and staged:
            if mariadb:  # its default 2 MB sort buffer takes twice as long
                connection.exec_driver_sql(f"SET SESSION sort_buffer_size = {MARIADB_SORT_BUFFER}")
            connection.exec_driver_sql(
                f"INSERT INTO customer_search_grams ({', '.join(_GRAM_COLUMNS)}) SELECT {', '.join(_GRAM_COLUMNS)} "
                f"FROM {_LOAD} ORDER BY gram, name_order"
            )
            if mariadb:
                connection.exec_driver_sql("SET SESSION sort_buffer_size = DEFAULT")
            # MariaDB drops a temporary table with DROP TEMPORARY TABLE: plain DROP TABLE commits implicitly.
            connection.exec_driver_sql(f"DROP {'TEMPORARY ' if mariadb else ''}TABLE {_LOAD}")

    for customer_id, text in texts:
        text_rows.append((customer_id, text.visible, text.emails, text.phones, text.name))
        gram_rows.extend(text.rows(customer_id))
        if len(text_rows) >= batch:
            flush(last=False)
    flush(last=True)


def load_all(connection: Connection, texts: Sequence[tuple[int, SearchText]]) -> None:
    """Index customers not indexed yet, all at once (the demo loader, which holds every row in memory anyway).

    The customers are sorted by (name, id) once and their grams bucketed per gram in that order, so the rows
    come out in primary-key order after sorting only the few thousand distinct grams (sorting millions of
    tuples in Python took longer than writing them).
    """
    bulk_insert(
        connection,
        "customer_search_texts",
        _TEXT_COLUMNS,
        [(customer_id, text.visible, text.emails, text.phones, text.name) for customer_id, text in texts],
    )
    holders: dict[str, list[tuple[str, str, int, int]]] = {}
    for customer_id, text in sorted(texts, key=lambda item: (item[1].name, item[0])):
        for row in text.rows(customer_id):
            bucket = holders.get(row[0])
            if bucket is None:
                holders[row[0]] = [row]
            else:
                bucket.append(row)
    rows = [row for gram in sorted(holders) for row in holders[gram]]
    holders.clear()
    bulk_insert(connection, "customer_search_grams", _GRAM_COLUMNS, rows)
    count_grams(connection)


def insert_grams(connection: Connection, rows: list[tuple[str, str, int, int]]) -> None:
    """Insert (gram, customer_name, customer_id, kinds) rows in key order (appends rather than jumps in the B-tree)."""
    rows.sort()
    bulk_insert(connection, "customer_search_grams", _GRAM_COLUMNS, rows)


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
        connection.exec_driver_sql(sql, rows[start : start + 50_000])


def count_grams(connection: Connection) -> int:
    """Count again how many customers hold each gram (the search's choice of gram); returns how many grams."""
    connection.execute(delete(CustomerSearchGramCount.__table__))
    connection.exec_driver_sql(
        "INSERT INTO customer_search_gram_counts (gram, holders) "
        "SELECT gram, COUNT(*) FROM customer_search_grams GROUP BY gram"
    )
    return int(connection.scalar(select(func.count()).select_from(CustomerSearchGramCount)) or 0)


def rebuild(
    connection: Connection, *, progress: Callable[[str], None] = lambda _: None, batch: int = 20_000, count: bool = True
) -> int:
    """Empty the index and build it again from every customer (the `search reindex` command, migration 0009).

    count: also count the grams' holders (customer_search_gram_counts, which migration 0009 does not have yet).
    """
    connection.execute(delete(CustomerSearchGram.__table__))
    connection.execute(delete(CustomerSearchText.__table__))
    done = 0

    def texts() -> Iterator[tuple[int, SearchText]]:
        nonlocal done
        last = 0
        while True:
            ids = list(
                connection.scalars(select(Customer.id).where(Customer.id > last).order_by(Customer.id).limit(batch))
            )
            if not ids:
                return
            found: dict[int, SearchText] = {}
            for chunk in _chunks(ids, CHUNK * 4):
                found.update(texts_from_database(connection, chunk))
            yield from sorted(found.items())
            last, done = ids[-1], done + len(ids)
            progress(f"{done:,} customers read")

    index_new(connection, texts(), batch=batch)
    if count:
        progress(f"{count_grams(connection):,} grams counted")
    return done
