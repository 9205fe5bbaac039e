"""Concurrent intake and concurrent moves, with real threads, on every database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from crm.complaints import StaleCase, get_complaint, transition
from db.engine import Sessions
from db.models import Complaint, ReferenceCounter
from tests.crm.complaints.conftest import NOW, World, file

THREADS = 6
EACH = 4


def run_together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Start the calls at one barrier in threads; return each result or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait(10)
        try:
            results[index] = calls[index]()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test reads
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_reference_numbers_are_unique_and_gap_free_under_concurrent_intake(sessions: Sessions, world: World) -> None:
    def intake() -> list[str]:
        return [file(sessions, world).code for _ in range(EACH)]

    results = run_together([intake] * THREADS)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    codes = sorted(code for batch in results for code in batch)
    assert codes == [f"C-2026-{n:06d}" for n in range(1, THREADS * EACH + 1)]
    with sessions.read() as session:
        assert (
            session.scalar(
                select(ReferenceCounter.last_number).where(ReferenceCounter.kind == "C", ReferenceCounter.year == 2026)
            )
            == THREADS * EACH
        )


def test_a_rolled_back_intake_gives_its_number_back(sessions: Sessions, world: World) -> None:
    file(sessions, world)
    with pytest.raises(Exception):  # noqa: B017 - any refusal inside the transaction
        file(sessions, world, contact_id=10_000)
    assert file(sessions, world).code == "C-2026-000002"


def test_a_new_year_starts_at_one_after_numbers_written_outside_the_app(sessions: Sessions, world: World) -> None:
    first = file(sessions, world)
    with sessions.begin() as session:  # e.g. an import wrote the next 2027 number itself
        complaint = session.get(Complaint, first.id)
        assert complaint is not None
        complaint.code = "C-2027-000041"
    assert file(sessions, world, now=NOW.replace(year=2027)).code == "C-2027-000042"


def test_two_people_moving_one_complaint_at_once_one_wins_the_other_gets_a_conflict(
    sessions: Sessions, world: World
) -> None:
    complaint = file(sessions, world)
    calls = [
        lambda actor=actor: transition(
            sessions, actor=actor, complaint_id=complaint.id, version=complaint.version, action="acknowledge", now=NOW
        )
        for actor in (world.agent, world.manager, world.head)
    ]
    results = run_together(calls)
    wins = [r for r in results if not isinstance(r, Exception)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1 and len(losses) == 2, results
    assert all(isinstance(loss, StaleCase) and loss.params["status"] == "acknowledged" for loss in losses), losses
    detail = get_complaint(sessions, actor=world.manager, complaint_id=complaint.id)
    assert [e.to_status for e in detail.events if e.kind == "transition"] == ["new", "acknowledged"]
