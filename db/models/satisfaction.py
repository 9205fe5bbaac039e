"""Satisfaction (DOMAIN.md section 5): survey templates, campaigns, responses and their scores."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Versioned


class SurveyTemplate(Versioned, Base):
    __tablename__ = "survey_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    dimensions: Mapped[Any] = mapped_column(JSON)  # list of dimension codes, scored 1-5
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class SurveyCampaign(Versioned, Base):
    __tablename__ = "survey_campaigns"
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("survey_templates.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    target: Mapped[Any] = mapped_column(JSON, default=dict)  # filter by class or stage
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)


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
    __table_args__ = (Index("ix_survey_responses_customer_at", "customer_id", "responded_at"),)


class SurveyScore(Base):
    __tablename__ = "survey_scores"
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id"), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(32), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
