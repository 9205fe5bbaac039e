"""Credit risk: the evidence ledger (late payments, overdue amounts, disputes) plus complaints, weighted into a grade.

The grade of a customer as of a date is decided by the sum of the weights of its evidence dated within the
window (``credit_window_days`` days up to and including the as-of date):

- every live row of the ``credit_events`` ledger, with the weight stored on it (late payments and overdue
  amounts are written there by whoever records the payment, e.g. the demo loader or an import, and disputes or
  other events by a manager on the classification page);
- every complaint received in the window, weighted by severity (``complaint_points``); rejected complaints
  don't count.

points >= ``credit_high``: high; >= ``credit_medium``: medium; otherwise low (also with no evidence at all).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal

import numpy as np
import pandas as pd
from sqlalchemy import Float, select, type_coerce
from sqlalchemy.orm import Session

from crm.classification.rfm import Thresholds
from db.models import Complaint, CreditEvent

CREDIT_EVENT_KINDS = ("late_payment", "overdue", "dispute", "other")
EVIDENCE_COLUMNS = ("customer_id", "source", "source_id", "kind", "date", "weight", "amount", "days_late", "note")


def default_weight(kind: str, days_late: int | None) -> Decimal:
    """Suggest the weight of a ledger event: late 1 (≤30 days), 2 (≤60), 3 (more); overdue one more; dispute 2."""
    if kind in ("late_payment", "overdue"):
        days = days_late or 0
        weight = 1 if days <= 30 else (2 if days <= 60 else 3)
        return Decimal(weight + (1 if kind == "overdue" else 0))
    return Decimal(2 if kind == "dispute" else 1)


def window_start(as_of: dt.date, thresholds: Thresholds) -> dt.date:
    """Return the first day of the evidence window ending on the as-of date."""
    return as_of - dt.timedelta(days=thresholds.credit_window_days - 1)


def evidence(
    session: Session, *, as_of: dt.date, thresholds: Thresholds, customer_ids: Collection[int] | None = None
) -> pd.DataFrame:
    """Return every piece of evidence dated within the window (one row each, columns EVIDENCE_COLUMNS)."""
    start = window_start(as_of, thresholds)
    ledger = select(
        CreditEvent.customer_id,
        CreditEvent.id,
        CreditEvent.kind,
        CreditEvent.event_date,
        type_coerce(CreditEvent.weight, Float),
        type_coerce(CreditEvent.amount, Float),
        CreditEvent.days_late,
        CreditEvent.note,
    ).where(CreditEvent.archived_at.is_(None), CreditEvent.event_date >= start, CreditEvent.event_date <= as_of)
    begin = dt.datetime.combine(start, dt.time(), dt.UTC)
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), dt.UTC)
    complaints = select(
        Complaint.customer_id, Complaint.id, Complaint.severity, Complaint.received_at, Complaint.code
    ).where(
        Complaint.archived_at.is_(None),
        Complaint.status != "rejected",
        Complaint.received_at >= begin,
        Complaint.received_at < end,
    )
    if customer_ids is not None:
        ids = list(customer_ids)
        ledger = ledger.where(CreditEvent.customer_id.in_(ids))
        complaints = complaints.where(Complaint.customer_id.in_(ids))
    rows: list[tuple[object, ...]] = [
        (customer_id, "ledger", event_id, kind, day, round(float(weight or 0), 2), amount, days_late, note)
        for customer_id, event_id, kind, day, weight, amount, days_late, note in session.execute(ledger)
    ]
    rows += [
        (
            customer_id,
            "complaint",
            complaint_id,
            f"complaint_{severity}",
            received.date(),
            thresholds.complaint_weight(severity),
            None,
            None,
            code,
        )
        for customer_id, complaint_id, severity, received, code in session.execute(complaints)
    ]
    frame = pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS))
    return frame.sort_values(["customer_id", "date", "source", "source_id"], kind="stable", ignore_index=True)


def points_by_customer(evidence_frame: pd.DataFrame) -> pd.Series:
    """Sum the evidence weights per customer (rounded to cents of a point, so sums are stable)."""
    if evidence_frame.empty:
        return pd.Series(dtype=float)
    return evidence_frame.groupby("customer_id")["weight"].sum().round(2)


def grades(points: np.ndarray, thresholds: Thresholds) -> np.ndarray:
    """Return 'high' / 'medium' / 'low' for an array of points."""
    return np.where(
        points >= thresholds.credit_high, "high", np.where(points >= thresholds.credit_medium, "medium", "low")
    )


def grade(points: float, thresholds: Thresholds) -> str:
    return str(grades(np.array([points], dtype=float), thresholds)[0])
