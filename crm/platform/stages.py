"""Lifecycle stage rules (potential → intent → signed → churned, re-opening allowed) and their history."""

from __future__ import annotations

from sqlalchemy.orm import Session

from crm.platform.clock import utcnow
from crm.platform.errors import ValidationCollector
from crm.platform.permissions import Actor
from crm.platform.vocab import CHURN_REASONS, STAGES
from db.models import Customer, StageChange

# Which stage may follow which. Churned means a former customer, so only a signed one can churn;
# a churned customer can be re-opened as a prospect or signed again.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    "potential": frozenset({"intent", "signed"}),
    "intent": frozenset({"potential", "signed"}),
    "signed": frozenset({"churned"}),
    "churned": frozenset({"potential", "intent", "signed"}),
}


def check_stage_change(current: str, to_stage: str, churn_reason: str | None, errors: ValidationCollector) -> None:
    """Add an error if the move is not allowed or a churn lacks its reason."""
    if to_stage not in STAGES:
        errors.add("lifecycle_stage", "validation.choice")
    elif to_stage != current and to_stage not in ALLOWED_TRANSITIONS.get(current, frozenset()):
        errors.add("lifecycle_stage", "stages.not_allowed", current=current, target=to_stage)
    if to_stage == "churned" and to_stage != current and churn_reason not in CHURN_REASONS:
        errors.add("churn_reason", "stages.churn_reason_required")


def apply_stage_change(
    session: Session,
    *,
    actor: Actor,
    customer: Customer,
    to_stage: str,
    reason: str | None = None,
    churn_reason: str | None = None,
) -> bool:
    """Move the customer to a stage inside the caller's transaction; record it. Returns False if unchanged.

    Lower-level helper: validates and writes, never commits.
    """
    if to_stage == customer.lifecycle_stage:
        return False
    errors = ValidationCollector()
    check_stage_change(customer.lifecycle_stage, to_stage, churn_reason, errors)
    errors.raise_if_any()
    now = utcnow()
    session.add(
        StageChange(
            customer_id=customer.id,
            from_stage=customer.lifecycle_stage,
            to_stage=to_stage,
            reason=(reason or churn_reason or None),
            changed_at=now,
            changed_by_id=actor.id,
        )
    )
    customer.lifecycle_stage = to_stage
    customer.stage_changed_at = now
    customer.churn_reason = churn_reason if to_stage == "churned" else None
    return True
