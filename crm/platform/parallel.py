"""Independent reads run at once, each on its own connection, and the reads they have in common done once.

A page that needs a dozen figures waits for the slowest share of them, not for their sum (the database works on
every core; Python's drivers let go of the GIL while a statement runs). Inside `sharing()`, a part several of
those figures read alike (the stage events of the same days, the same revenue window) is read by the first one to
ask and handed to the others (`shared`), in whichever worker thread they run: a block lasts one page's reads.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

# At most one read per core and never more than four at once: more only queue behind each other in the
# database and take connections from the pool every other user needs.
WORKERS = max(1, min(4, os.cpu_count() or 1))


def run_together(
    calls: Sequence[Callable[[], Any]],
    *,
    workers: int = WORKERS,
    initializer: Callable[[], object] | None = None,
    raise_failure: bool = False,
) -> list[Any]:
    """Run the calls at once (up to `workers` at a time) and return their results in order; a call that raised
    gives its exception in its place, or with raise_failure the first one (in the calls' order) is raised once
    every call has ended.

    Each call opens its own transactions (sessions.read()): none may share a session or a connection with
    another. Each runs in a copy of the caller's context (a `sharing()` block reaches it); `initializer` runs
    first in every worker thread (e.g. to lend it the caller's Streamlit context)."""
    if workers <= 1 or len(calls) <= 1:
        results = [_outcome(call) for call in calls]
    else:
        with ThreadPoolExecutor(max_workers=min(workers, len(calls)), initializer=initializer) as pool:
            futures = [pool.submit(contextvars.copy_context().run, _outcome, call) for call in calls]
            results = [future.result() for future in futures]
    failure = next((r for r in results if isinstance(r, Exception)), None) if raise_failure else None
    if failure is not None:
        raise failure
    return results


def _outcome(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception as error:  # noqa: BLE001 - handed back in the call's place, raised by the caller if it must
        return error


class _Shared:
    """The results of one sharing() block, each computed once: a second caller of a key waits for the first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: dict[Hashable, Future[Any]] = {}

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            result = self._results.get(key)
            first = result is None
            if result is None:
                result = self._results[key] = Future()
        if first:
            try:
                result.set_result(compute())
            except BaseException as error:
                result.set_exception(error)
                raise
        return result.result()


_SHARED: contextvars.ContextVar[_Shared | None] = contextvars.ContextVar("crm_shared_reads", default=None)


@contextmanager
def sharing() -> Iterator[None]:
    """Share the `shared` reads of the calls inside the block (and of run_together's calls started in it)."""
    if _SHARED.get() is not None:
        yield
        return
    token = _SHARED.set(_Shared())
    try:
        yield
    finally:
        _SHARED.reset(token)


def shared(key: Hashable, compute: Callable[[], T]) -> T:
    """compute(), or inside a sharing() block the result of the first call with this key there. The key must
    name everything the result depends on; the result is handed to every caller: read it, never change it."""
    memo = _SHARED.get()
    return compute() if memo is None else memo.get(key, compute)
