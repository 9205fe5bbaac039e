"""Independent reads run at once: results in order, a failure in its call's place, each read on its own
connection of a real database."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text

from crm.platform.parallel import run_together, shared, sharing
from db.engine import Sessions
from db.models import User


def test_the_calls_run_at_once_and_their_results_come_back_in_order() -> None:
    # Two calls that each wait for the other: they pass only if they run at the same time.
    both = threading.Barrier(2, timeout=10)

    def meet(value: int) -> int:
        both.wait()
        return value

    assert run_together([lambda: meet(1), lambda: meet(2)], workers=2) == [1, 2]


def test_a_failing_call_gives_its_exception_in_its_place_and_the_others_still_run() -> None:
    def fail() -> int:
        raise ValueError("no such figure")

    first, second, third = run_together([lambda: 1, fail, lambda: 3], workers=2)
    assert (first, third) == (1, 3)
    assert isinstance(second, ValueError) and str(second) == "no such figure"


def test_one_worker_runs_the_calls_one_after_the_other_in_this_thread() -> None:
    here = threading.get_ident()
    assert run_together([threading.get_ident, threading.get_ident], workers=1) == [here, here]


def test_the_initializer_runs_in_every_worker_thread() -> None:
    seen: set[int] = set()
    local = threading.local()

    def mark() -> None:
        local.marked = True
        seen.add(threading.get_ident())

    results = run_together([lambda: getattr(local, "marked", False)] * 4, workers=2, initializer=mark)
    assert results == [True] * 4 and seen and threading.get_ident() not in seen


def test_reads_on_their_own_connections_of_each_database(sessions: Sessions) -> None:
    def count_users() -> int:
        with sessions.read() as session:
            session.execute(text("SELECT 1"))
            return int(session.scalar(select(func.count()).select_from(User)) or 0)

    assert run_together([count_users] * 6, workers=3) == [count_users()] * 6


def test_outside_a_sharing_block_every_call_reads_for_itself() -> None:
    calls: list[int] = []
    assert [shared("k", lambda: calls.append(1) or len(calls)) for _ in range(3)] == [1, 2, 3]


def test_inside_a_sharing_block_a_key_is_read_once_for_every_thread_asking() -> None:
    reads: list[str] = []
    started = threading.Event()

    def slow_read() -> str:
        reads.append("read")
        started.set()
        threading.Event().wait(0.2)  # the other workers ask meanwhile and wait for this result
        return "events"

    with sharing():
        results = run_together(
            [lambda: shared(("events", 1), slow_read)] * 4 + [lambda: shared("other", str)], workers=4
        )
        assert shared(("events", 1), lambda: "read again") == "events"
    assert results == ["events"] * 4 + [""] and reads == ["read"] and started.is_set()
    assert shared(("events", 1), lambda: "after the block") == "after the block"


def test_a_shared_read_that_fails_fails_for_every_caller() -> None:
    def broken() -> str:
        raise RuntimeError("database went away")

    with sharing():
        results = run_together([lambda: shared("k", broken)] * 3, workers=3)
    assert all(isinstance(r, RuntimeError) and str(r) == "database went away" for r in results)


def test_raise_failure_raises_the_first_failure_once_every_call_has_ended() -> None:
    ended: list[int] = []

    def fail(message: str) -> int:
        raise ValueError(message)

    def last() -> int:
        threading.Event().wait(0.1)
        ended.append(3)
        return 3

    for workers in (1, 2):
        ended.clear()
        with pytest.raises(ValueError, match="first"):
            run_together([lambda: fail("first"), lambda: fail("second"), last], workers=workers, raise_failure=True)
        assert ended == [3]
    assert run_together([lambda: 1, lambda: 2], workers=2, raise_failure=True) == [1, 2]
