"""Independent reads run at once, each on its own connection: a page that needs a dozen figures waits for the
slowest share of them, not for their sum (the database works on every core; Python's drivers let go of the GIL
while a statement runs)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

# At most one read per core and never more than four at once: more only queue behind each other in the
# database and take connections from the pool every other user needs.
WORKERS = max(1, min(4, os.cpu_count() or 1))


def run_together(
    calls: Sequence[Callable[[], Any]],
    *,
    workers: int = WORKERS,
    initializer: Callable[[], object] | None = None,
) -> list[Any]:
    """Run the calls at once (up to `workers` at a time) and return their results in order; a call that raised
    gives its exception in its place (the caller decides whether one failure spoils the others).

    Each call opens its own transactions (sessions.read()): none may share a session or a connection with
    another. `initializer` runs first in every worker thread (e.g. to lend it the caller's context)."""
    if workers <= 1 or len(calls) <= 1:
        return [_outcome(call) for call in calls]
    with ThreadPoolExecutor(max_workers=min(workers, len(calls)), initializer=initializer) as pool:
        futures = [pool.submit(_outcome, call) for call in calls]
        return [future.result() for future in futures]


def _outcome(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception as error:  # noqa: BLE001 - handed back in the call's place, raised by the caller if it must
        return error
