"""The complaint state machine as a table: which action moves which status where, and who may take it."""

from __future__ import annotations

from dataclasses import dataclass

# Actions a user takes on a complaint, each from some statuses to one status.
ACKNOWLEDGE = "acknowledge"
START = "start"
WAIT = "wait_for_customer"
RESUME = "resume"
RESOLVE = "resolve"
CONFIRM_SATISFIED = "confirm_satisfied"
CONFIRM_NOT_SATISFIED = "confirm_not_satisfied"
REJECT = "reject"
ACTIONS = (ACKNOWLEDGE, START, WAIT, RESUME, RESOLVE, CONFIRM_SATISFIED, CONFIRM_NOT_SATISFIED, REJECT)


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    managers_only: bool = False  # rejecting is a manager's call
    needs_note: bool = False  # a reason (reject) or the resolution (resolve)
    needs_confirmation: bool = False  # who confirmed, when, how (the customer's answer)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(ACKNOWLEDGE, frozenset({"new"}), "acknowledged"),
        Transition(START, frozenset({"acknowledged", "reopened"}), "in_progress"),
        Transition(WAIT, frozenset({"in_progress"}), "waiting_customer"),
        Transition(RESUME, frozenset({"waiting_customer"}), "in_progress"),
        Transition(RESOLVE, frozenset({"in_progress"}), "resolved", needs_note=True),
        # Closed only by a recorded customer confirmation; "not satisfied" reopens.
        Transition(CONFIRM_SATISFIED, frozenset({"resolved"}), "closed", needs_confirmation=True),
        Transition(CONFIRM_NOT_SATISFIED, frozenset({"resolved"}), "reopened", needs_confirmation=True),
        Transition(
            REJECT,
            frozenset({"new", "acknowledged", "in_progress", "reopened"}),
            "rejected",
            managers_only=True,
            needs_note=True,
        ),
    )
}


def target_of(action: str, status: str) -> str | None:
    """The status the action leads to from this status, or None if the table has no such move."""
    transition = TRANSITIONS.get(action)
    if transition is None or status not in transition.sources:
        return None
    return transition.target


def allowed_actions(status: str, *, may_handle: bool, is_manager: bool) -> tuple[str, ...]:
    """The actions offered from a status to someone who may (or may not) handle the complaint."""
    if not may_handle:
        return ()
    return tuple(
        action
        for action, transition in TRANSITIONS.items()
        if status in transition.sources and (is_manager or not transition.managers_only)
    )


def is_edge(source: str, target: str) -> bool:
    """Tell whether some action moves source to target (for the tests' every-pair check)."""
    return any(source in t.sources and t.target == target for t in TRANSITIONS.values())
