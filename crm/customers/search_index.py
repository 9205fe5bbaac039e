"""The customer search index: normalised text and n-grams per customer, kept in step by every write path.

Design (what `crm.customers.service` searches with):
- Each customer has one `customer_search_texts` row: the normalised (NFKC, so full width becomes half width,
  then lower case) text of its name, code and live contacts' names (`visible`), of its live contacts' emails
  (`emails`) and the digits of their phones (`phones`), one value per line. A search verifies its candidates
  with LIKE on these columns, so it matches the same way on SQLite, PostgreSQL and MariaDB.
- `customer_search_grams` holds the distinct grams of those lines, one row per gram and customer, keyed
  (gram, customer name, customer id) so that one gram's holders are read in the list's name order. The grams:
  each non-ASCII character alone (a surname such as 王 is one gram), two characters where either is not ASCII
  (so a 2-character Chinese search such as 华为 is one exact gram), three characters where both first ones are
  ASCII (two ASCII characters are too common to pick anything out of a million customers). Grams never hold
  whitespace. `kinds` has bit 1 when `visible` holds the gram, bit 2 when emails or phones do: a viewer's
  search, which may not use contact details, reads bit 1 only.
- A search sorted by name (the list's default) walks the holders of one gram of the term in key order, checks
  each against the filters and the text, and stops at the end of the page (`walk`): a few hundred rows
  whatever the number of customers, and the capped count reads at most the holders of that gram. A term that
  is one gram needs no text check (`SearchPlan.exact`), nor a frequency lookup; a longer one walks its rarest
  gram. Other sorts pick the candidates with the rarest grams (index range scans only), then verify and sort
  them. A term with no gram (one or two ASCII characters) is verified row by row in the list's order: such
  terms match many customers, so the first page and the capped count stop early.
- Archived customers stay indexed: the list's archived filter applies as for every other filter, and a restore
  needs no reindex. Archived contacts are left out, as the search has always ignored them.
- Grams carry no foreign key nor customer_id index: a customer's old grams are recomputed from its stored text
  and deleted by primary key, which keeps the write paths to one B-tree per gram.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    true,
    union,
    update,
)
from sqlalchemy.orm import Session, aliased

from db.engine import Sessions
from db.models import Customer, CustomerSearchGram, CustomerSearchGramCount, CustomerSearchText
from db.search_grams import (
    DETAILS,
    SEPARATOR,
    VISIBLE,
    SearchText,
    count_grams,
    grams_of,
    index_new,
    insert_grams,
    normalise,
    phone_digits,
    rebuild,
    search_text,
    texts_from_database,
)

__all__ = [
    "DETAILS",
    "SEPARATOR",
    "VISIBLE",
    "SearchPlan",
    "SearchText",
    "grams_of",
    "index_new",
    "normalise",
    "phone_digits",
    "plan_search",
    "rebuild",
    "reindex_all",
    "reindex_customers",
    "search_condition",
    "search_text",
    "candidate_ids",
    "holds",
    "walk",
    "walkable",
]
CHUNK = 500  # customers per reindex round trip
# A gram held by fewer customers than this picks the candidates; when every gram of a term is commoner, the
# term matches so many customers that checking rows in the list's order finds a page sooner.
RARE = 20_000
# Above this, sorting every holder of the rarest gram would cost more than walking the list's order.
COMMON = 150_000
PROBED_GRAMS = 12  # grams of a long term whose frequency is looked up (any subset still finds every match)
PICKED_GRAMS = 3  # rarest grams a candidate must have
LIKE_ESCAPE = "/"
_PHONE_LIKE = re.compile(r"[\d\s\-+()]+")  # a search text that can only be (part of) a phone number


# --- searching -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchPlan:
    """How one search runs: the normalised term, what it matches, and the candidates its grams pick."""

    term: str
    details: bool  # may match contact emails and phones (not for viewers)
    digits: str | None  # the phone digits to match, when the term reads as a phone number
    # per branch (the term; its phone digits): its rarest grams first, and the kinds they may come from
    candidate_grams: tuple[tuple[tuple[str, ...], tuple[int, ...]], ...] | None  # None: the term has no gram
    rare: bool = False  # every branch has a gram held by fewer than RARE customers
    common: bool = False  # a branch's grams are all held by COMMON customers or more

    @property
    def exact(self) -> bool:
        """True when the term is a gram itself (王, 华为, acm, 138): holding it is matching, nothing to verify."""
        return self.candidate_grams is not None and len(self.candidate_grams) == 1 and self.term in grams_of(self.term)

    @property
    def driven(self) -> bool:
        """True when the grams pick a few candidates (to sort); False when rows are checked in the list's order."""
        return self.rare


def like_pattern(text: str) -> str:
    """Return a LIKE pattern (escape LIKE_ESCAPE) matching text anywhere."""
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    return f"%{escaped}%"


def _spread(grams: list[str], n: int) -> list[str]:
    if len(grams) <= n:
        return grams
    return [grams[round(i * (len(grams) - 1) / (n - 1))] for i in range(n)]


def _gram_rows(grams: Any, gram: str, kinds: tuple[int, ...]) -> list[ColumnElement[bool]]:
    """The rows of a gram found in any of these kinds (VISIBLE, DETAILS): no kinds condition for both."""
    wanted = 0
    for kind in kinds:
        wanted |= kind
    if wanted == VISIBLE | DETAILS:
        return [grams.gram == gram]
    return [grams.gram == gram, grams.kinds.in_([k for k in (VISIBLE, DETAILS, VISIBLE | DETAILS) if k & wanted])]


def plan_search(session: Session, search: str, *, contact_details: bool) -> SearchPlan | None:
    """Plan a search (None for an empty one): look up how common the term's grams are, pick the rarest."""
    term = normalise(search).strip()
    if not term:
        return None
    cache = session.info.setdefault("search_plans", {})
    key = (term, contact_details)
    if key in cache:
        return cache[key]
    digits = None
    if contact_details and _PHONE_LIKE.fullmatch(term):
        digits = phone_digits(term)
        if len(digits) < 3:
            digits = None
    kinds: tuple[int, ...] = (VISIBLE, DETAILS) if contact_details else (VISIBLE,)
    branches: list[tuple[list[str], tuple[int, ...]]] = [(sorted(grams_of(term)), kinds)]
    if digits is not None and digits != term:
        branches.append((sorted(grams_of(digits)), (DETAILS,)))
    texts = [term, digits or ""][: len(branches)]  # what each branch's grams come from
    picked: tuple[tuple[tuple[str, ...], tuple[int, ...]], ...] | None = None
    frequencies: list[tuple[list[tuple[int, str]], tuple[int, ...]]] = []
    rare = common = False
    if len(branches) == 1 and term in branches[0][0]:
        picked = (((term,), branches[0][1]),)  # the term is a gram (exact): nothing to rank
    elif all(grams for grams, _kinds in branches) and (stored := _stored_counts(session, branches)) is not None:
        # Counted earlier (customer_search_gram_counts): a gram missing there is newer, so held by few; count
        # those live, up to RARE.
        missing = [([g for g in grams if g not in stored][:PROBED_GRAMS], kinds) for grams, kinds in branches]
        probes = [m for m in missing if m[0]]
        live = {g: n for counted, _kinds in _frequencies(session, probes, RARE) for n, g in counted} if probes else {}
        frequencies = [
            (sorted((stored.get(g, live.get(g, 0)), g) for g in grams if g in stored or g in live), kinds)
            for grams, kinds in branches
        ]
        rare = all(frequency[0][0] < RARE for frequency, _kinds in frequencies)
        common = any(frequency[0][0] >= COMMON for frequency, _kinds in frequencies)
    elif all(grams for grams, _kinds in branches):  # never counted: count the grams live
        frequencies = _frequencies(session, [(_spread(grams, PROBED_GRAMS), kinds) for grams, kinds in branches], RARE)
        rare = all(frequency[0][0] < RARE for frequency, _kinds in frequencies)
        if not rare:  # how common, really, are the commonest terms' rarest grams?
            frequencies = _frequencies(
                session,
                [([g for _n, g in frequency[: PICKED_GRAMS + 1]], kinds) for frequency, kinds in frequencies],
                COMMON,
            )
            common = any(frequency[0][0] >= COMMON for frequency, _kinds in frequencies)
    if picked is None and frequencies:
        picked = tuple(
            (_pick(frequency, text), kinds) for (frequency, kinds), text in zip(frequencies, texts, strict=True)
        )
    plan = cache[key] = SearchPlan(
        term=term, details=contact_details, digits=digits, candidate_grams=picked, rare=rare, common=common
    )
    return plan


def _pick(frequency: list[tuple[int, str]], text: str) -> tuple[str, ...]:
    """The PICKED_GRAMS grams a candidate must hold: the rarest, then the rarest that do not overlap it.

    Overlapping grams of one word (won, onk, nka of "wonka") are held by the same customers, so requiring
    them rules out nobody; a gram of another part of the term ("adi" of "trading") rules out most.
    """
    spans: list[range] = []
    chosen: list[str] = []
    for _n, gram in frequency:
        at = text.find(gram)
        span = range(at, at + len(gram))
        if at >= 0 and any(span.start < taken.stop and taken.start < span.stop for taken in spans):
            continue
        chosen.append(gram)
        spans.append(span)
        if len(chosen) == PICKED_GRAMS:
            return tuple(chosen)
    rest = [g for _n, g in frequency if g not in chosen]
    return tuple(chosen + rest[: PICKED_GRAMS - len(chosen)])


def _stored_counts(session: Session, branches: list[tuple[list[str], tuple[int, ...]]]) -> dict[str, int] | None:
    """The stored holder counts of the branches' grams (those stored); None when grams were never counted."""
    grams = sorted({g for grams, _kinds in branches for g in grams})
    count = CustomerSearchGramCount
    # With the first stored gram too, whatever it is: no row at all means never counted, in the same statement.
    first = select(func.min(count.gram)).scalar_subquery()
    found = dict(
        session.execute(select(count.gram, count.holders).where(or_(count.gram.in_(grams), count.gram == first))).all()
    )
    if not found:
        return None
    return {g: n for g, n in found.items() if g in grams}


def _frequencies(
    session: Session, probes: list[tuple[list[str], tuple[int, ...]]], cap: int
) -> list[tuple[list[tuple[int, str]], tuple[int, ...]]]:
    """Count (up to cap) the customers holding each gram: one statement of index range scans."""
    counts = iter(
        session.execute(
            select(
                *(
                    select(func.count())
                    .select_from(
                        select(CustomerSearchGram.customer_id)
                        .where(*_gram_rows(CustomerSearchGram, gram, kinds))
                        .limit(cap)
                        .subquery()
                    )
                    .scalar_subquery()
                    for grams, kinds in probes
                    for gram in grams
                )
            )
        ).one()
    )
    return [(sorted((int(next(counts)), gram) for gram in grams), kinds) for grams, kinds in probes]


def _same_part(gram: Any, other: Any) -> ColumnElement[bool]:
    """Both grams are in the same part of the text (visible, or contact details), as every gram of a match is:
    a term lies within one value. A code's "b00" and a phone's "001" are not a candidate for "b00001"."""
    return gram.kinds.op("&")(other.kinds) != 0


def _candidates(grams: tuple[str, ...], kinds: tuple[int, ...]) -> Select[int]:
    first = aliased(CustomerSearchGram, name="gram_1")
    query = select(first.customer_id).where(*_gram_rows(first, grams[0], kinds))
    for n, gram in enumerate(grams[1:], start=2):
        other = aliased(CustomerSearchGram, name=f"gram_{n}")
        # The same customer's rows have the same name: (gram, name, id) seeks the row in the key.
        query = query.where(
            exists().where(
                *_gram_rows(other, gram, kinds),
                other.customer_name == first.customer_name,
                other.customer_id == first.customer_id,
                _same_part(other, first),
            )
        )
    return query


def _verified(plan: SearchPlan, customer_id: Any) -> ColumnElement[bool]:
    """The customer (by its id column) matches the term: its normalised text holds it."""
    text = CustomerSearchText
    pattern = like_pattern(plan.term)
    matches = [text.visible.like(pattern, escape=LIKE_ESCAPE)]
    if plan.details:
        matches.append(text.emails.like(pattern, escape=LIKE_ESCAPE))
    if plan.digits is not None:
        matches.append(text.phones.like(f"%{plan.digits}%"))
    # A per-row check rather than EXISTS: PostgreSQL would turn EXISTS into a join, misjudge how few rows
    # LIKE '%...%' keeps, and scan every customer's text instead of reading the grams' few candidates.
    return select(or_(*matches)).where(text.customer_id == customer_id).scalar_subquery().is_(True)


def walkable(plan: SearchPlan | None) -> bool:
    """True when the matches are best read in name order from one gram's holders (`walk`).

    Not for a term with a rare gram (held by fewer than RARE customers, as a phone fragment's): intersecting
    its rarest grams' holders by index leaves a few candidates to sort (`search_condition`), where a walk
    would check every holder of one gram to count them.
    """
    return (
        plan is not None
        and plan.candidate_grams is not None
        and len(plan.candidate_grams) == 1
        and (plan.exact or not plan.rare)
    )


def holds(plan: SearchPlan) -> list[ColumnElement[bool]]:
    """Conditions that the customer row (Customer) matches a walkable plan, each a key lookup on that row.

    For reading another sort's index in order when matches are common: the customer's own rows of the term's
    grams are found by (gram, name, id), then the text is checked for a longer term.
    """
    assert plan.candidate_grams is not None and len(plan.candidate_grams) == 1
    ((rarest, kinds),) = plan.candidate_grams
    conditions: list[ColumnElement[bool]] = []
    for n, gram in enumerate((plan.term,) if plan.exact else rarest[:PICKED_GRAMS], start=1):
        held = aliased(CustomerSearchGram, name=f"held_{n}")
        conditions.append(
            select(held.customer_id)
            .where(*_gram_rows(held, gram, kinds), held.customer_name == Customer.name, held.customer_id == Customer.id)
            .scalar_subquery()
            .is_not(None)
        )
    if not plan.exact:
        conditions.append(_verified(plan, Customer.id))
    return conditions


def walk(
    plan: SearchPlan, customer_conditions: list[ColumnElement[bool]], *, descending: bool = False
) -> tuple[Select[Any], list[Any]]:
    """Return the ids of the customers matching a walkable plan and the conditions, and their name order.

    The query reads the holders of one gram of the term in key order, which is the list's (name, id) order:
    with LIMIT it stops at the end of the page. Each holder is checked with per-row subqueries on its
    primary keys (customers, customer_search_texts): a join would let the planner read every customer
    instead of a page's worth of holders.
    """
    assert plan.candidate_grams is not None and len(plan.candidate_grams) == 1
    ((rarest, kinds),) = plan.candidate_grams
    walked = aliased(CustomerSearchGram, name="walked")
    conditions = _gram_rows(walked, plan.term if plan.exact else rarest[0], kinds)
    if not plan.exact:
        for n, gram in enumerate(rarest[1:PICKED_GRAMS], start=2):
            # The same customer's row of another rare gram: one index seek, cheaper than reading the text.
            other = aliased(CustomerSearchGram, name=f"gram_{n}")
            conditions.append(
                select(other.customer_id)
                .where(
                    *_gram_rows(other, gram, kinds),
                    other.customer_name == walked.customer_name,
                    other.customer_id == walked.customer_id,
                    _same_part(other, walked),
                )
                .scalar_subquery()
                .is_not(None)
            )
        conditions.append(_verified(plan, walked.customer_id))
    if customer_conditions:
        conditions.append(
            select(Customer.id)
            .where(Customer.id == walked.customer_id, *customer_conditions)
            .scalar_subquery()
            .is_not(None)
        )
    order = [walked.customer_name, walked.customer_id]
    return select(walked.customer_id).where(*conditions), [c.desc() for c in order] if descending else order


def search_condition(plan: SearchPlan, *, grams: int = PICKED_GRAMS, joined: bool = False) -> ColumnElement[bool]:
    """Return the WHERE condition of a planned search on customers.

    The candidates are the customers holding the `grams` rarest grams of the term (0: no candidates, every
    row is checked, for reading in the list's order); they are then checked against the normalised text.
    joined: the query joins `candidate_ids` itself; only the text check is left.
    """
    if plan.exact:  # whatever `grams` says: the holders are the matches (an export of 华为 reads 30,000, not 1M)
        # A gram is a substring of a line of the kinds it is looked up in (no whitespace, same normalisation),
        # so the term's own gram's holders are the matches: no per-row read of their text (30,000 for 华为 at
        # 1M). It is also the term's rarest gram: every holder of 华为 holds 华 and 为.
        assert plan.candidate_grams is not None
        return true() if joined else Customer.id.in_(_candidates((plan.term,), plan.candidate_grams[0][1]))
    verified = _verified(plan, Customer.id)
    if plan.candidate_grams is None or grams == 0 or joined:
        return verified
    picked = [Customer.id.in_(_candidates(rarest[:grams], kinds)) for rarest, kinds in plan.candidate_grams]
    return and_(picked[0] if len(picked) == 1 else or_(*picked), verified)


def candidate_ids(plan: SearchPlan, *, grams: int = PICKED_GRAMS) -> Any:
    """The ids (column customer_id) of the customers that a plan's grams pick, as a subquery to join customers to.

    For MariaDB: given `Customer.id IN (candidates)` it reads every customer in name order and looks each up in
    the candidates (300 ms at 100,000 customers for a term with a hundred matches); given a join, it reads
    the candidates and fetches their customers by key. Use with `search_condition(joined=True)`.
    """
    assert plan.candidate_grams is not None and grams > 0
    if plan.exact:
        return _candidates((plan.term,), plan.candidate_grams[0][1]).subquery("candidates")
    picked = [_candidates(rarest[:grams], kinds) for rarest, kinds in plan.candidate_grams]
    return (picked[0] if len(picked) == 1 else union(*picked)).subquery("candidates")


# --- keeping the index in step -------------------------------------------------------------------------


def reindex_customers(session: Session | Connection, customer_ids: Iterable[int]) -> int:
    """Bring the search index of these customers in step with their rows (inside the caller's transaction).

    Only what changed is written: a customer whose text is unchanged costs one read. Returns how many
    customers' text changed.
    """
    connection = session.connection() if isinstance(session, Session) else session
    if isinstance(session, Session):
        session.flush()
    ids = sorted({int(i) for i in customer_ids})
    changed = 0
    fresh: list[tuple[int, SearchText]] = []  # not indexed yet (new customers): bulk-loaded at the end
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        new = texts_from_database(connection, chunk)
        old = {
            row.customer_id: SearchText(row.visible, row.emails, row.phones, row.name)
            for row in connection.execute(select(CustomerSearchText).where(CustomerSearchText.customer_id.in_(chunk)))
        }
        gone: list[dict[str, Any]] = []
        added: list[tuple[str, str, int, int]] = []
        updated: list[dict[str, Any]] = []
        for customer_id in chunk:
            before, after = old.get(customer_id), new.get(customer_id)
            if before == after:
                continue
            changed += 1
            if before is None:
                assert after is not None
                fresh.append((customer_id, after))
                continue
            old_rows = set(before.rows(customer_id))
            new_rows = set(after.rows(customer_id)) if after else set()  # a rename changes every row's key
            gone.extend({"g": g, "n": n, "c": c, "k": k} for g, n, c, k in old_rows - new_rows)
            added.extend(new_rows - old_rows)
            if after is None:  # no such customer (any more): nothing to index
                continue
            updated.append(
                {
                    "b_id": customer_id,
                    "visible": after.visible,
                    "emails": after.emails,
                    "phones": after.phones,
                    "name": after.name,
                }
            )
        if gone:
            table = CustomerSearchGram.__table__
            connection.execute(
                delete(table).where(
                    table.c.gram == _bind("g"),
                    table.c.customer_name == _bind("n"),
                    table.c.customer_id == _bind("c"),
                    table.c.kinds == _bind("k"),
                ),
                gone,
            )
        if updated:
            table = CustomerSearchText.__table__
            connection.execute(
                update(table)
                .where(table.c.customer_id == _bind("b_id"))
                .values(visible=_bind("visible"), emails=_bind("emails"), phones=_bind("phones"), name=_bind("name")),
                updated,
            )
        insert_grams(connection, added)
    index_new(connection, fresh)
    return changed


def reindex_all(
    sessions: Sessions, *, chunk: int = 2_000, progress: Callable[[str], None] = lambda _: None
) -> tuple[int, int]:
    """Bring every customer's index in step with its rows (`search reindex`, after edits made outside the app).

    One short transaction per chunk of customers, each rewriting only the customers whose text changed: a
    write elsewhere waits for one chunk at most, and no transaction holds more than a chunk's locks (a rebuild
    in one transaction deletes and locks every gram row: 60 million for a million customers). Returns
    (customers checked, customers whose index changed); the gram counts are refreshed at the end.
    """
    last = checked = changed = 0
    while True:
        with sessions.begin() as session:
            ids = list(
                session.scalars(select(Customer.id).where(Customer.id > last).order_by(Customer.id).limit(chunk))
            )
            changed += reindex_customers(session, ids)
        if not ids:
            break
        last, checked = ids[-1], checked + len(ids)
        if checked % (chunk * 25) == 0:
            progress(f"{checked:,} customers checked, {changed:,} changed")
    with sessions.begin() as session:
        progress(f"{count_grams(session.connection()):,} grams counted")
    return checked, changed


def _bind(name: str) -> Any:
    return bindparam(name)
