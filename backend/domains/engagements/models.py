from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from pydantic import computed_field, field_validator, model_validator
from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.kernel.db import Row
from backend.kernel.money import round_money
from backend.kernel.schema import ISO_WEEK_PATTERN, RowRead, Strict, existing_iso_week, update_model
from backend.kernel.time import week_ends_before

BURN_ALERTS = (50, 80, 100)


class EngagementStatus(StrEnum):
    draft = "draft"
    proposed = "proposed"
    active = "active"
    completed = "completed"
    cancelled = "cancelled"


class PricingModel(StrEnum):
    fixed_fee = "fixed_fee"
    day_rate = "day_rate"


class Milestone(Strict):
    label: str = Field(min_length=1, max_length=100)
    percent: Decimal = Field(gt=0, le=100, max_digits=5, decimal_places=2)


class EngagementBase(SQLModel):
    client_id: int = Field(foreign_key="clients.id", ondelete="CASCADE", index=True)
    title: str = Field(min_length=1, max_length=200)
    goals: str | None = Field(default=None, max_length=20_000, sa_type=Text, description="One goal per line")
    situation: str | None = Field(
        default=None, max_length=20_000, sa_type=Text, description="The client's starting point, for the proposal"
    )
    terms: str | None = Field(
        default=None,
        max_length=20_000,
        sa_type=Text,
        description="Extra proposal terms, one per line (standard terms are always included)",
    )
    recommendations: str | None = Field(
        default=None, max_length=20_000, sa_type=Text, description="Next steps for the result report, one per line"
    )
    start_date: date
    duration_weeks: int = Field(ge=1, le=104)
    lead_consultant_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    pricing_model: PricingModel = Field(default=PricingModel.fixed_fee, sa_type=String(20))
    fixed_fee: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    day_rate: Decimal | None = Field(default=None, ge=0, max_digits=10, decimal_places=2)
    days: Decimal | None = Field(default=None, ge=0, max_digits=6, decimal_places=2)
    currency: str = Field(default="EUR", min_length=3, max_length=3)
    vat_rate: Decimal = Field(default=Decimal("19.00"), ge=0, le=100, max_digits=5, decimal_places=2)
    budget: Decimal | None = Field(
        default=None,
        ge=0,
        max_digits=12,
        decimal_places=2,
        description="Internal cost budget, EUR: what the team's time may cost (a fixed fee's burn; the fee if unset)",
    )
    hours_per_day: Decimal = Field(
        default=Decimal("8.00"),
        gt=0,
        le=24,
        max_digits=4,
        decimal_places=2,
        description="Hours in a billed day: time shown in days and a day-rate engagement's budget",
        # Also the database's default: it was added to engagements that existed (migration 0014).
        sa_column_kwargs={"server_default": "8.00"},
    )
    # When set, weekly digests wait for a consultant to approve the drafted status update.
    review_before_send: bool = False
    burn_alerts: list[int] = Field(
        default_factory=lambda: list(BURN_ALERTS),
        sa_type=JSON,
        sa_column_kwargs={"server_default": "[50, 80, 100]"},
        description="% of the budget at which the lead consultant is mailed, once each",
    )

    payment_schedule: list[dict[str, Any]] = Field(
        default_factory=list,
        sa_type=JSON,
        sa_column_kwargs={"server_default": "[]"},
        description=(
            "A fixed fee's milestones, in order, as the proposal states them: "
            '[{"label": "bei Projektstart", "percent": 50}, {"label": "nach Abnahme", "percent": 50}]; '
            "empty: the whole fee at the end"
        ),
    )

    @field_validator("payment_schedule")
    @classmethod
    def _schedule(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not value:
            return []
        if len(value) > 6:
            raise ValueError("at most 6 milestones")
        milestones = [Milestone.model_validate(m) for m in value]
        if sum(m.percent for m in milestones) != 100:
            raise ValueError("the milestones' percentages add up to 100")
        return [m.model_dump(mode="json") for m in milestones]

    @field_validator("burn_alerts")
    @classmethod
    def _thresholds(cls, value: list[int]) -> list[int]:
        if len(value) > 10 or any(not 1 <= v <= 500 for v in value):
            raise ValueError("at most 10 thresholds, each from 1 to 500 (% of the budget)")
        return sorted(set(value))

    def week_number(self, day: date) -> int:
        """The engagement week a day falls in: 1 is the start week; before or after the
        engagement this is ≤ 0 or > duration_weeks."""
        return (day - self.start_date).days // 7 + 1

    def before_start(self, week: str) -> bool:
        """Whether an ISO week (`2026-W48`) ends before the engagement's first day."""
        return week_ends_before(week, self.start_date)

    def week_within(self, day: date) -> int:
        """The same, held to 1 … duration_weeks, for "Woche N von M"."""
        return min(max(self.week_number(day), 1), self.duration_weeks)


class Engagement(Row, EngagementBase, table=True):
    __tablename__ = "engagements"
    # The list's sort orders, so a page is an index range instead of a sort of every row.
    __table_args__ = (
        Index("ix_engagements_start_date_id", "start_date", "id"),
        Index("ix_engagements_status_start_date_id", "status", "start_date", "id"),
        Index("ix_engagements_title_id", "title", "id"),
    )
    status: EngagementStatus = Field(default=EngagementStatus.draft, sa_type=String(20), index=True)
    status_changed_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)
    cancel_reason: str | None = Field(default=None, max_length=2000)
    # The offer's line items (offer.ProposalItem); when there are any, the fixed fee is their sum
    # and changes only with them (PUT /engagements/{id}/proposal-items).
    proposal_items: list[dict[str, Any]] = Field(
        default_factory=list, sa_type=JSON, sa_column_kwargs={"server_default": "[]"}
    )


class EngagementCreate(EngagementBase, Strict):
    @model_validator(mode="after")
    def _pricing_complete(self) -> EngagementCreate:
        if self.pricing_model is PricingModel.fixed_fee and self.fixed_fee is None:
            raise ValueError("fixed_fee is required when pricing_model is fixed_fee")
        if self.pricing_model is PricingModel.day_rate and (self.day_rate is None or self.days is None):
            raise ValueError("day_rate and days are required when pricing_model is day_rate")
        return self


# PATCH body: every field of the create body optional, `version` required; client_id fixed
# for good (a row never moves to another parent).
EngagementUpdate = update_model(EngagementCreate, fixed=("client_id",))


class EngagementRead(EngagementBase, RowRead):
    status: EngagementStatus
    status_changed_at: datetime | None = None
    cancel_reason: str | None = None
    proposal_items: list[dict[str, Any]] = Field(
        default_factory=list,
        description="The offer's line items; the fixed fee is the sum of the base items (see PUT …/proposal-items)",
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def end_date(self) -> date:
        return self.start_date + timedelta(weeks=self.duration_weeks, days=-1)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def fee_net(self) -> Decimal | None:
        if self.pricing_model is PricingModel.fixed_fee:
            return self.fixed_fee
        if self.day_rate is None or self.days is None:
            return None
        return round_money(self.day_rate * self.days)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def fee_gross(self) -> Decimal | None:
        net = self.fee_net
        return None if net is None else round_money(net * (1 + self.vat_rate / 100))


class Rag(StrEnum):
    green = "green"
    amber = "amber"
    red = "red"


class StatusUpdateBase(SQLModel):
    engagement_id: int = Field(foreign_key="engagements.id", ondelete="CASCADE", index=True)
    iso_week: str = Field(max_length=8, schema_extra={"pattern": ISO_WEEK_PATTERN})
    rag: Rag = Field(sa_type=String(10))
    summary: str = Field(default="", max_length=20_000, sa_type=Text)
    done: str = Field(default="", max_length=20_000, sa_type=Text)
    next: str = Field(default="", max_length=20_000, sa_type=Text)
    risks: str = Field(default="", max_length=20_000, sa_type=Text)


class StatusUpdate(Row, StatusUpdateBase, table=True):
    __tablename__ = "status_updates"
    __table_args__ = (UniqueConstraint("engagement_id", "iso_week"),)
    author_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    drafted_automatically: bool = False
    approved_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)


class StatusUpdateCreate(StatusUpdateBase, Strict):
    _week_exists = field_validator("iso_week")(existing_iso_week)


# PATCH body: every field of the create body optional, `version` required; engagement_id, iso_week fixed
# for good (a row never moves to another parent).
StatusUpdateUpdate = update_model(
    StatusUpdateCreate,
    fixed=(
        "engagement_id",
        "iso_week",
    ),
)


class StatusUpdateRead(StatusUpdateBase, RowRead):
    author_id: int | None = None
    drafted_automatically: bool
    approved_at: datetime | None = None
