"""The stress run: a database of its own with the demo data, W worker processes started at once, then the checks.

The database is the run's own, never the configured one: an empty database is filled with the demo data set
(crm.demo, 200 customers) and a few more open complaints; one an earlier run filled (the `stress_data` setting)
is emptied and filled again; any other is refused, so real data is never touched. The demo's users act: the
manager and the administrator on every customer of the pool, each staff member on the pool's customers they own.
"""

from __future__ import annotations

import importlib.machinery
import multiprocessing
import os
import queue
import random
import sys
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from crm.complaints import ComplaintInput, file_complaint
from crm.demo import load_demo
from crm.platform.permissions import Actor
from crm.stress.checks import Report, check
from crm.stress.operations import LIVE_COMPLAINT, Outcome, WorkerSpec, worker_main
from db.engine import (
    PROJECT_ROOT,
    Sessions,
    database_url,
    make_engine,
    make_session_factory,
    masked_url,
    normalise_url,
    upgrade_database,
)
from db.models import Complaint, Customer, Department, Setting, User

DEFAULT_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'stress.db'}"
MARKER = "stress_data"  # the settings row that says the run filled this database
DEMO_CUSTOMERS = 200
POOL_CUSTOMERS = 40  # the shared pool: few enough that workers meet on the same records
POOL_COMPLAINTS = 16  # open complaints among the pool's customers at the start (the demo has a few; more are filed)
WORKER_TIMEOUT_S = 3600
POLL_S = 2.0  # how often the parent looks whether workers that sent nothing are still alive


class StressRefused(Exception):
    """The database given is not one the stress run may fill (the configured one, or one holding other data)."""


@dataclass(frozen=True)
class Setup:
    """The data the workers share, as the run set it up."""

    actors: tuple[Actor, ...]  # one per worker
    pool: tuple[int, ...]  # customer ids
    owners: dict[int, int | None]  # customer id -> owner id
    departments: tuple[int, ...]
    complaints_filed: int
    load_seconds: float


def _same_database(a: str, b: str) -> bool:
    first, second = make_url(normalise_url(a)), make_url(normalise_url(b))
    if first.get_backend_name() == second.get_backend_name() == "sqlite":
        if not first.database or not second.database:
            return False
        return Path(first.database).resolve() == Path(second.database).resolve()
    return first.set(password=None) == second.set(password=None)


def open_database(url: str) -> Sessions:
    """Open (and migrate) the run's database; refuse the configured one (CRM_DATABASE_URL or data/crm.db)."""
    if _same_database(url, database_url()):
        raise StressRefused(f"refusing to stress the configured database ({masked_url(url)}): give another --database")
    engine = make_engine(url)
    upgrade_database(engine)
    return make_session_factory(engine)


def _actors(sessions: Sessions, workers: int) -> tuple[Actor, ...]:
    """The demo's people in a fixed order (manager, the staff account, admin, the other staff), one per worker."""
    with sessions.read() as session:
        users = session.execute(
            select(User.id, User.username, User.display_name, User.role, User.language)
            .where(User.is_active.is_(True), User.role.in_(("admin", "manager", "staff")))
            .order_by(User.id)
        ).all()
    people = [
        Actor(id=u.id, username=u.username, display_name=u.display_name, role=u.role, language=u.language)
        for u in users
    ]
    managers = [a for a in people if a.role == "manager"]
    admins = [a for a in people if a.role == "admin"]
    staff = [a for a in people if a.role == "staff"]
    ordered = [*managers[:1], *staff[:1], *admins[:1], *managers[1:], *admins[1:], *staff[1:]]
    if not ordered:
        raise StressRefused("the database has no active manager, administrator or staff account")
    return tuple(ordered[i % len(ordered)] for i in range(workers))


def _pool(sessions: Sessions, actors: tuple[Actor, ...], size: int, rng: random.Random) -> dict[int, int | None]:
    """Pick the shared customers: spread over the acting staff members' own and the managers' own, at least one each
    (so the pool may hold more than `size` when more people act than that)."""
    owners = sorted({a.id for a in actors if a.id is not None})
    with sessions.read() as session:
        rows = session.execute(
            select(Customer.id, Customer.owner_id)
            .where(Customer.archived_at.is_(None), Customer.owner_id.in_(owners))
            .order_by(Customer.id)
        ).all()
        with_complaints = set(
            session.scalars(select(Complaint.customer_id).where(Complaint.status.in_(LIVE_COMPLAINT))).all()
        )
    by_owner: dict[int | None, list[int]] = {}
    for customer_id, owner_id in rows:
        by_owner.setdefault(owner_id, []).append(customer_id)
    for ids in by_owner.values():  # customers with a live complaint first, then a seeded shuffle of the rest
        rng.shuffle(ids)
        ids.sort(key=lambda i: i not in with_complaints)
    # Round robin over the owners, one customer each per round: every acting staff member gets at least one.
    picked: list[int] = []
    owners_in_turn = sorted(by_owner, key=lambda o: o or 0)
    for turn in range(max((len(ids) for ids in by_owner.values()), default=0)):
        if turn and len(picked) >= size:
            break
        for owner in owners_in_turn:
            if turn < len(by_owner[owner]) and (turn == 0 or len(picked) < size):
                picked.append(by_owner[owner][turn])
    owner_of = dict(rows)
    return {i: owner_of[i] for i in sorted(picked)}


def prepare(
    sessions: Sessions,
    *,
    workers: int,
    seed: int,
    customers: int = DEMO_CUSTOMERS,
    pool_size: int = POOL_CUSTOMERS,
    complaints: int = POOL_COMPLAINTS,
) -> Setup:
    """Fill the run's database with the demo data set and pick the actors and the shared pool."""
    with sessions.read() as session:
        marker = session.scalar(select(Setting.value).where(Setting.key == MARKER))
        holds_data = session.scalar(select(User.id).limit(1)) is not None
    if marker is None and holds_data:
        raise StressRefused(
            f"refusing to stress {masked_url(str(sessions.engine.url))}: it holds data the stress run did not load; "
            "give an empty database (--database)"
        )
    started = time.perf_counter()
    load_demo(sessions, customers=customers, seed=seed, delete_everything=marker is not None)
    with sessions.begin() as session:
        session.add(Setting(key=MARKER, value={"customers": customers, "seed": seed}))
    rng = random.Random(seed)
    actors = _actors(sessions, workers)
    owners = _pool(sessions, actors, pool_size, rng)
    filed = _file_complaints(sessions, actors, list(owners), complaints, rng)
    with sessions.read() as session:
        departments = tuple(
            session.scalars(select(Department.id).where(Department.archived_at.is_(None)).order_by(Department.id))
        )
    return Setup(
        actors=actors,
        pool=tuple(owners),
        owners=owners,
        departments=departments,
        complaints_filed=filed,
        load_seconds=round(time.perf_counter() - started, 1),
    )


def _file_complaints(
    sessions: Sessions, actors: tuple[Actor, ...], pool: list[int], wanted: int, rng: random.Random
) -> int:
    """File complaints for the pool's customers until `wanted` are open among them (through the intake service)."""
    with sessions.read() as session:
        live = int(
            session.scalar(
                select(func.count())
                .select_from(Complaint)
                .where(Complaint.customer_id.in_(pool), Complaint.status.in_(LIVE_COMPLAINT))
            )
            or 0
        )
    filer = next((a for a in actors if a.role != "staff"), actors[0])  # the manager, who files for anyone
    filed = 0
    for n in range(max(0, wanted - live)):
        customer_id = pool[n % len(pool)]
        file_complaint(
            sessions,
            actor=filer,
            data=ComplaintInput(
                customer_id=customer_id,
                channel=rng.choice(("phone", "email", "online")),
                description=f"stress complaint {n + 1}: 设备故障 / the device keeps failing",
                severity=rng.choice(("low", "medium", "high")),
            ),
        )
        filed += 1
    return filed


def specs(url: str, setup: Setup, *, ops: int, seed: int) -> list[WorkerSpec]:
    """One spec per worker: managers and admins act on the whole pool, staff on the pool's customers they own."""
    result = []
    for index, actor in enumerate(setup.actors):
        mine = setup.pool if actor.role != "staff" else tuple(i for i in setup.pool if setup.owners[i] == actor.id)
        result.append(
            WorkerSpec(
                index=index,
                url=url,
                ops=ops,
                seed=seed,
                actor=actor,
                customer_ids=mine or setup.pool,
                department_ids=setup.departments,
            )
        )
    return result


@contextmanager
def _main_script_not_rerun() -> Iterator[None]:
    """A spawned process first runs the parent's __main__ script again. The workers need nothing from it, and a host
    whose __main__ is some script (Streamlit's AppTest leaves app.py there in the test suite; a user's own script
    without a __name__ guard) would have each worker run that script: hide it while the workers start."""
    main = sys.modules["__main__"]
    stand_in = types.ModuleType("__main__")
    stand_in.__spec__ = importlib.machinery.ModuleSpec("__main__", None)  # spawn skips a main named __main__
    sys.modules["__main__"] = stand_in
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def run_workers(worker_specs: list[WorkerSpec]) -> tuple[list[Outcome], list[str]]:
    """Start one process per spec (spawned: a fresh interpreter each), all released at one barrier; collect."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(worker_specs))
    results = context.Queue()
    processes = [context.Process(target=worker_main, args=(spec, barrier, results)) for spec in worker_specs]
    with _main_script_not_rerun():
        for process in processes:
            process.start()
    outcomes: list[Outcome] = []
    failures: list[str] = []
    deadline = time.monotonic() + WORKER_TIMEOUT_S
    pending = len(processes)
    while pending:
        try:
            index, worker_outcomes, failure = results.get(timeout=POLL_S)
        except queue.Empty:
            if time.monotonic() > deadline:
                failures.append(f"{pending} worker(s) sent no result within {WORKER_TIMEOUT_S} s")
                break
            if any(process.is_alive() for process in processes):
                continue
            try:  # every worker has exited: what one sent just before may still be in the pipe
                index, worker_outcomes, failure = results.get(timeout=POLL_S)
            except queue.Empty:
                codes = ", ".join(str(process.exitcode) for process in processes)
                failures.append(f"{pending} worker(s) exited without a result (exit statuses {codes})")
                break
        pending -= 1
        outcomes.extend(worker_outcomes)
        if failure:
            failures.append(f"worker {index}: {failure}")
    for process in processes:
        process.join(30)
        if process.is_alive():
            process.terminate()
            process.join(5)
        if process.exitcode not in (0, None) and not failures:
            failures.append(f"a worker exited with status {process.exitcode}")
    return sorted(outcomes, key=lambda o: (o.worker, o.seq)), failures


def _load_average() -> float | None:
    """The machine's 1-minute load average (None where the system does not tell): latencies depend on it."""
    try:
        return round(os.getloadavg()[0], 1)
    except OSError:
        return None


def run(
    *,
    url: str,
    workers: int,
    ops: int,
    seed: int = 42,
    pool_size: int = POOL_CUSTOMERS,
    progress: Callable[[str], None] = lambda _line: None,
) -> Report:
    """Set up the run's database, run the workers at once, check what they did; return the report."""
    url = normalise_url(url)
    sessions = open_database(url)
    try:
        progress(f"preparing {masked_url(url)}: demo data ({DEMO_CUSTOMERS} customers), pool of {pool_size}")
        setup = prepare(sessions, workers=workers, seed=seed, pool_size=pool_size)
        who = ", ".join(a.username for a in setup.actors)
        progress(f"ready in {setup.load_seconds:.1f} s; {workers} workers ({who}) x {ops} operations")
        load_before = _load_average()
        started = time.perf_counter()
        outcomes, failures = run_workers(specs(url, setup, ops=ops, seed=seed))
        seconds = round(time.perf_counter() - started, 1)
        load = None if load_before is None else (load_before, _load_average() or 0.0)
        progress(f"workers done in {seconds:.1f} s; checking")
        return check(
            sessions,
            outcomes,
            database=masked_url(url),
            workers=workers,
            ops=ops,
            seed=seed,
            seconds=seconds,
            pool=len(setup.pool),
            worker_failures=failures,
            load=load,
            cpus=os.cpu_count(),
        )
    finally:
        sessions.engine.dispose()
