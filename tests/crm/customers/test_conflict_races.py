"""Two saves of the same record at the same moment: one wins, the other is told who changed what, on every database.

Each race is made deterministic: the first save is held right after it read the record, the second runs to its
end meanwhile, then the first goes on. On PostgreSQL and MariaDB the second commits while the first waits, so the
first's UPDATE ... WHERE version = n matches no row (SQLAlchemy's StaleDataError). On SQLite the first holds the
write lock (BEGIN IMMEDIATE): it commits, and the second is refused by the version check.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select

from crm.customers.records import ContactInput, add_contact, update_contact
from crm.customers.service import get_customer, update_customer
from crm.follow_ups.service import plan_follow_up, reschedule_follow_up
from crm.platform.change_display import describe_conflict
from crm.platform.errors import VersionConflict
from db.engine import Sessions
from db.models import AuditLog, CustomerTag, FollowUpTask, utcnow
from tests.crm.customers.customer_fixtures import MakeCustomer, Team


@dataclass
class Race:
    first: Any  # what the first save returned, or the exception it raised
    second: Any
    first_held_a_lock: bool

    @property
    def outcome(self) -> tuple[Any, Any]:
        """(winner, loser): a first save that holds a lock while it waits wins; else the second one does."""
        return (self.first, self.second) if self.first_held_a_lock else (self.second, self.first)


def race(
    sessions: Sessions,
    backend: str,
    *,
    after_reading: str,
    first: Callable[[], Any],
    second: Callable[[], Any],
    locked_read: bool = False,
) -> Race:
    """Run `first` until its first read from the table `after_reading`, run `second` meanwhile, then finish `first`.

    locked_read: the read is SELECT ... FOR UPDATE, so the second save waits for the first, as on SQLite.
    """
    waits = backend == "sqlite" or locked_read
    reached, release = threading.Event(), threading.Event()
    results: dict[str, Any] = {}

    def hold(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if (
            threading.current_thread().name == "first-save"
            and not reached.is_set()
            and statement.lstrip().upper().startswith("SELECT")
            and f"FROM {after_reading}" in statement
        ):
            reached.set()
            release.wait(30)

    def run(name: str, call: Callable[[], Any]) -> None:
        try:
            results[name] = call()
        except Exception as error:  # noqa: BLE001 - the race's outcome is what the test reads
            results[name] = error

    event.listen(sessions.engine, "after_cursor_execute", hold)
    try:
        one = threading.Thread(target=run, args=("first", first), name="first-save")
        one.start()
        assert reached.wait(30), "the first save never read the record"
        two = threading.Thread(target=run, args=("second", second), name="second-save")
        two.start()
        # SQLite: the second waits for the first's write lock (busy timeout), so it cannot finish now.
        two.join(timeout=0.5 if waits else 30)
        if not waits:
            assert not two.is_alive(), "the second save should not wait for the first one's read"
        release.set()
        one.join(30)
        two.join(30)
    finally:
        release.set()
        event.remove(sessions.engine, "after_cursor_execute", hold)
    return Race(results["first"], results["second"], first_held_a_lock=waits)


def test_a_save_beaten_between_its_read_and_its_write_names_who_changed_what(
    sessions: Sessions, backend: str, team: Team, make_customer: MakeCustomer
) -> None:
    customer = make_customer("Raced Ltd", region="east", address="1 Old Road")
    outcome = race(
        sessions,
        backend,
        after_reading="customers",
        first=lambda: update_customer(
            sessions,
            actor=team.manager,
            customer_id=customer.id,
            version=customer.version,
            changes={"address": "2 Manager Street"},
        ),
        second=lambda: update_customer(
            sessions,
            actor=team.admin,
            customer_id=customer.id,
            version=customer.version,
            changes={"address": "3 Admin Avenue", "region": "north"},
        ),
    )
    winner, loser = outcome.outcome
    assert isinstance(loser, VersionConflict), loser
    assert not isinstance(winner, Exception), winner
    who, fields = ("manager", "address") if backend == "sqlite" else ("admin", "address, region")
    assert (loser.params["who"], loser.params["fields"]) == (who, fields)
    english = describe_conflict(loser.changes, "en")
    assert "?" not in english.split("\n")[0] and "Address" in english
    assert get_customer(sessions, actor=team.admin, customer_id=customer.id).address == winner.address


def test_a_contact_save_beaten_by_another_names_who_changed_what(
    sessions: Sessions, backend: str, team: Team, make_customer: MakeCustomer
) -> None:
    customer = make_customer("Contact Race Co")
    contact = add_contact(
        sessions, actor=team.manager, customer_id=customer.id, data=ContactInput(name="Li Lei", title="Buyer")
    )
    outcome = race(
        sessions,
        backend,
        after_reading="contacts",
        first=lambda: update_contact(
            sessions,
            actor=team.manager,
            contact_id=contact.id,
            version=contact.version,
            data=ContactInput(name="Li Lei", title="Head buyer", is_primary=True),
        ),
        second=lambda: update_contact(
            sessions,
            actor=team.admin,
            contact_id=contact.id,
            version=contact.version,
            data=ContactInput(name="Li Lei", title="Director", is_primary=True),
        ),
    )
    _winner, loser = outcome.outcome
    assert isinstance(loser, VersionConflict), loser
    assert loser.entity == "contacts"
    assert (loser.params["who"], loser.params["fields"]) == ("manager" if backend == "sqlite" else "admin", "title")


def test_a_follow_up_reschedule_beaten_by_another_names_who_changed_what(
    sessions: Sessions, backend: str, team: Team, make_customer: MakeCustomer
) -> None:
    customer = make_customer("Task Race Co")
    due = (utcnow() + dt.timedelta(days=3)).replace(microsecond=0)
    task = plan_follow_up(sessions, actor=team.manager, customer_id=customer.id, due_at=due)
    with sessions.read() as session:
        version = session.scalar(select(FollowUpTask.version).where(FollowUpTask.id == task.id))
    outcome = race(
        sessions,
        backend,
        after_reading="follow_up_tasks",
        first=lambda: reschedule_follow_up(
            sessions,
            actor=team.manager,
            task_id=task.id,
            version=version,
            due_at=due + dt.timedelta(days=1),
            reason="customer travelling",
        ),
        second=lambda: reschedule_follow_up(
            sessions,
            actor=team.admin,
            task_id=task.id,
            version=version,
            due_at=due + dt.timedelta(days=2),
            reason="asked for next week",
        ),
        locked_read=True,
    )  # a follow-up write locks its task and customer: the second is refused by the check
    _winner, loser = outcome.outcome
    assert isinstance(loser, VersionConflict), loser
    assert loser.params["who"] == "manager"
    assert "due_at" in loser.params["fields"]


def _tags_now(sessions: Sessions, customer_id: int) -> str | None:
    with sessions.read() as session:
        return (
            ", ".join(sorted(session.scalars(select(CustomerTag.tag).where(CustomerTag.customer_id == customer_id))))
            or None
        )


def _tag_trail(sessions: Sessions, customer_id: int) -> list[tuple[str | None, str | None]]:
    with sessions.read() as session:
        return [
            tuple(r)
            for r in session.execute(  # type: ignore[misc]
                select(AuditLog.old_value, AuditLog.new_value)
                .where(
                    AuditLog.entity_type == "customers",
                    AuditLog.entity_id == str(customer_id),
                    AuditLog.field == "tags",
                )
                .order_by(AuditLog.id)
            )
        ]


def test_concurrent_tag_saves_leave_the_tags_the_audit_trail_says(
    sessions: Sessions, backend: str, team: Team, make_customer: MakeCustomer
) -> None:
    customer = make_customer("Tagged Twice", tags=("key",))
    outcome = race(
        sessions,
        backend,
        after_reading="customer_tags",
        first=lambda: update_customer(
            sessions,
            actor=team.manager,
            customer_id=customer.id,
            version=customer.version,
            changes={"tags": ("key", "vip")},
        ),
        second=lambda: update_customer(
            sessions,
            actor=team.admin,
            customer_id=customer.id,
            version=customer.version,
            changes={"tags": ("key", "export")},
        ),
    )
    winner, loser = outcome.outcome
    assert isinstance(loser, VersionConflict), loser
    assert loser.params["fields"] == "tags"
    assert loser.params["who"] == ("manager" if backend == "sqlite" else "admin")
    trail = _tag_trail(sessions, customer.id)
    assert trail[-1][1] == _tags_now(sessions, customer.id) == ", ".join(winner.tags)
    assert all(before[1] == after[0] for before, after in zip(trail, trail[1:], strict=False)), trail


def test_free_running_tag_saves_each_win_or_get_a_conflict_naming_someone(
    sessions: Sessions, backend: str, team: Team, make_customer: MakeCustomer
) -> None:
    """No pause: whatever the interleaving, the tags equal the trail's last word and every refusal names a person."""
    customer = make_customer("Tag Storm")
    actors, rounds = [team.manager, team.admin], 4
    start = threading.Barrier(len(actors))
    outcomes: list[Any] = []

    def save(actor: Any) -> None:
        start.wait(10)
        for round_ in range(rounds):
            seen = get_customer(sessions, actor=actor, customer_id=customer.id)
            try:
                outcomes.append(
                    update_customer(
                        sessions,
                        actor=actor,
                        customer_id=customer.id,
                        version=seen.version,
                        changes={"tags": (*seen.tags, f"{actor.username}{round_}")},
                    )
                )
            except VersionConflict as conflict:
                outcomes.append(conflict)

    workers = [threading.Thread(target=save, args=(actor,)) for actor in actors]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert len(outcomes) == rounds * len(actors)
    trail = _tag_trail(sessions, customer.id)
    assert trail[-1][1] == _tags_now(sessions, customer.id)
    assert all(before[1] == after[0] for before, after in zip(trail, trail[1:], strict=False)), trail
    assert all(o.params["who"] in ("manager", "admin") for o in outcomes if isinstance(o, VersionConflict))
