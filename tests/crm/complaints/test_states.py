"""The complaint state machine's table: every move it allows, and every pair it does not."""

from __future__ import annotations

import itertools

from crm.complaints.states import TRANSITIONS, allowed_actions, is_edge, target_of
from crm.complaints.vocab import STATUSES

EDGES = {
    ("new", "acknowledged"),
    ("acknowledged", "in_progress"),
    ("reopened", "in_progress"),
    ("in_progress", "waiting_customer"),
    ("waiting_customer", "in_progress"),
    ("in_progress", "resolved"),
    ("resolved", "closed"),
    ("resolved", "reopened"),
    ("new", "rejected"),
    ("acknowledged", "rejected"),
    ("in_progress", "rejected"),
    ("reopened", "rejected"),
}


def test_the_table_has_exactly_the_moves_of_the_issue() -> None:
    for source, target in itertools.product(STATUSES, STATUSES):
        assert is_edge(source, target) == ((source, target) in EDGES), (source, target)


def test_closed_and_rejected_are_final() -> None:
    for action in TRANSITIONS:
        assert target_of(action, "closed") is None
        assert target_of(action, "rejected") is None


def test_only_a_confirmation_closes_a_complaint() -> None:
    closing = [t for t in TRANSITIONS.values() if t.target == "closed"]
    assert closing and all(t.needs_confirmation for t in closing)


def test_staff_are_never_offered_a_rejection_and_outsiders_nothing() -> None:
    for status in STATUSES:
        assert "reject" not in allowed_actions(status, may_handle=True, is_manager=False)
        assert allowed_actions(status, may_handle=False, is_manager=True) == ()
    assert allowed_actions("new", may_handle=True, is_manager=True) == ("acknowledge", "reject")
    assert allowed_actions("resolved", may_handle=True, is_manager=False) == (
        "confirm_satisfied",
        "confirm_not_satisfied",
    )
