"""A queue's total is counted up to a cap (shown "1,000+" beyond), so a page costs the same at 1,000 complaints as
at 200,000; its pages still come in the queue's order: running deadline soonest first, then the rest newest first."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm.bench.complaints import fill
from crm.complaints import queues
from crm.complaints.queues import QueueFilter, complaint_queue
from db.engine import Sessions
from db.models import Complaint
from tests.crm.complaints.conftest import World


def test_the_total_is_capped_and_the_pages_keep_the_queue_order(
    sessions: Sessions, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert fill(sessions, 23) == 23
    with sessions.read() as session:
        running = list(
            session.scalars(
                select(Complaint.id)
                .where(Complaint.next_due_at.is_not(None))
                .order_by(Complaint.next_due_at, Complaint.id)
            )
        )
        others = list(
            session.scalars(select(Complaint.id).where(Complaint.next_due_at.is_(None)).order_by(Complaint.id.desc()))
        )
    assert running and others  # both parts of the order are met

    def pages(page_size: int) -> list[int]:
        ids: list[int] = []
        for page in range(-(-23 // page_size) + 1):  # one page past the end: empty
            result = complaint_queue(
                sessions, actor=world.manager, flt=QueueFilter(queue="all"), page=page, page_size=page_size
            )
            ids += [row.id for row in result.rows]
        return ids

    full = complaint_queue(sessions, actor=world.manager, flt=QueueFilter(queue="all"))
    assert (full.total, full.total_capped, full.pages) == (23, False, 1)
    monkeypatch.setattr(queues, "COUNT_CAP", 10)
    capped = complaint_queue(sessions, actor=world.manager, flt=QueueFilter(queue="all"), page_size=4)
    assert (capped.total, capped.cap, capped.total_capped, capped.pages) == (11, 10, True, 3)
    exact = complaint_queue(sessions, actor=world.manager, flt=QueueFilter(queue="all", statuses=("new",)))
    assert not exact.total_capped and exact.total == sum(1 for row in exact.rows if row.status == "new")
    for page_size in (1, 4, 5, 25):  # every page boundary, inside and across the two parts
        assert pages(page_size) == running + others
