"""Satisfaction (DOMAIN.md section 5): survey templates, campaigns, responses and their scores."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Versioned


class SurveyTemplate(Versioned, Base):
    """One revision of a survey template. Editing a template that has responses adds a revision (same family_id,
    revision + 1) and retires this one (is_active False), so old responses keep the questions they answered."""

    __tablename__ = "survey_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    dimensions: Mapped[Any] = mapped_column(JSON)  # list of dimension codes, scored 1-5
    # Labels of dimensions outside the built-in five: {code: [English, Chinese]}.
    labels: Mapped[Any] = mapped_column(JSON, default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    family_id: Mapped[int | None] = mapped_column(Integer, index=True)  # the first revision's id
    revision: Mapped[int] = mapped_column(Integer, default=1)


class SurveyCampaign(Versioned, Base):
    __tablename__ = "survey_campaigns"
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("survey_templates.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # Who is asked: {"value_tier": [...], "lifecycle_stage": [...], "owner_id": [...], "department_id": [...],
    # "complaint_closed_within_days": N}; every key optional, keys combine with AND, values within a key with OR.
    target: Mapped[Any] = mapped_column(JSON, default=dict)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    due_in_days: Mapped[int] = mapped_column(Integer, default=7)  # the survey task's due date after a run
    last_run_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class SurveyCampaignMember(Base):
    """A customer a campaign asks: one row per campaign and customer, so running it again adds no one twice."""

    __tablename__ = "survey_campaign_members"
    campaign_id: Mapped[int] = mapped_column(ForeignKey("survey_campaigns.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("follow_up_tasks.id"), index=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("survey_responses.id"), index=True)
    added_at: Mapped[dt.datetime]
    __table_args__ = (PrimaryKeyConstraint("campaign_id", "customer_id"),)


class SurveyResponse(Versioned, Base):
    __tablename__ = "survey_responses"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("survey_templates.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("survey_campaigns.id"), index=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # questionnaire / phone / online
    responded_at: Mapped[dt.datetime] = mapped_column(index=True)
    overall_score: Mapped[int | None] = mapped_column(Integer)  # 1-5 (CSAT)
    nps: Mapped[int | None] = mapped_column(Integer)  # 0-10
    comment: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # What makes an imported row the same response again (a hash of its identifying cells): re-import adds nothing.
    import_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # NPS <= 6 or overall <= 2 when recorded (the low_survey rule's thresholds); open until the customer is
    # contacted after it or someone closes it.
    alert: Mapped[bool] = mapped_column(Boolean, default=False)
    alert_closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    alert_closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    __table_args__ = (
        Index("ix_survey_responses_customer_at", "customer_id", "responded_at"),
        Index("ix_survey_responses_alert_at", "alert", "responded_at"),
    )


class SurveyScore(Base):
    __tablename__ = "survey_scores"
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id"), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(32), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
