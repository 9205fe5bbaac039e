"""Class labels of every classification dimension, in the user's language (also used by the customer 360 view)."""

from __future__ import annotations

from ui.i18n import t

LABEL_PREFIX = {
    "value_tier": "tier",
    "size_class": "size_class",
    "relationship": "relationship",
    "credit_risk": "credit_risk",
    "lifecycle_stage": "stage",
    "need_type": "need_type",
    "importance": "importance",
    "urgency": "urgency",
}


def class_label(dimension: str, value: str | None) -> str:
    """Translate a class code of a dimension ('none' / None = not set)."""
    if value in (None, "none"):
        return t("tier.none") if dimension == "value_tier" else t("classification.class.none")
    if dimension == "rfm_cell":
        r, _, f = str(value).partition("-")
        return t("classification.page.rfm_cell", r=r, f=f)
    return t(f"{LABEL_PREFIX[dimension]}.{value}")
