from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from advanced_alchemy.types import DateTimeUTC
from pydantic import model_validator
from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.kernel.db import Row
from backend.kernel.schema import RowRead, Strict, update_model


class WorkshopKind(StrEnum):
    kickoff = "kickoff"
    use_case_discovery = "use_case_discovery"
    enablement = "enablement"
    guidelines = "guidelines"
    review = "review"


class Topic(StrEnum):
    """The catalogue an enablement workshop's content is named from (AI Act Art. 4 evidence)."""

    ai_basics = "ai_basics"
    limits_hallucination = "limits_hallucination"
    data_protection = "data_protection"
    ai_guideline = "ai_guideline"
    tool_specific = "tool_specific"  # training for one named AI system (ai_system_id)


class WorkshopBase(SQLModel):
    engagement_id: int = Field(foreign_key="engagements.id", ondelete="CASCADE", index=True)
    kind: WorkshopKind = Field(sa_type=String(30))
    title: str = Field(min_length=1, max_length=200)
    starts_at: datetime = Field(sa_type=DateTimeUTC, index=True)
    ends_at: datetime = Field(sa_type=DateTimeUTC)
    location: str | None = Field(default=None, max_length=300)
    video_url: str | None = Field(default=None, max_length=500)
    facilitator_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    agenda: str | None = Field(default=None, max_length=20_000, sa_type=Text)
    outcomes: str | None = Field(default=None, max_length=20_000, sa_type=Text)
    feedback_score: Decimal | None = Field(
        default=None,
        ge=1,
        le=5,
        max_digits=3,
        decimal_places=2,
        description="Typed for paper forms; once participants answer the anonymous form, their mean",
    )
    # What the training covered, for the participants' certificates and the client's register.
    duration_minutes: int | None = Field(
        default=None, ge=15, le=24 * 60, description="Net training time; empty means start to end"
    )
    learning_objectives: str | None = Field(default=None, max_length=5_000, sa_type=Text)
    topics: list[Topic] = Field(default_factory=list, sa_type=JSON, sa_column_kwargs={"server_default": "[]"})
    materials_version: str | None = Field(default=None, max_length=50, description="e.g. KI-Grundlagen v2.1")
    trainer_name: str | None = Field(
        default=None, max_length=200, description="Who trained, when not the facilitator (an external trainer)"
    )
    ai_system_id: int | None = Field(
        default=None,
        foreign_key="ai_systems.id",
        ondelete="SET NULL",
        description="The AI system a tool-specific training was for",
    )


class Workshop(Row, WorkshopBase, table=True):
    __tablename__ = "workshops"


class WorkshopCreate(WorkshopBase, Strict):
    @model_validator(mode="after")
    def _times(self) -> WorkshopCreate:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("starts_at and ends_at need a UTC offset, e.g. 2026-11-30T09:00:00+01:00")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if len(set(self.topics)) != len(self.topics):
            raise ValueError("topics must not repeat")
        if (Topic.tool_specific in self.topics) != (self.ai_system_id is not None):
            raise ValueError("a tool-specific training names its AI system (ai_system_id), and only it does")
        return self


# PATCH body: every field of the create body optional, `version` required; engagement_id fixed
# for good (a row never moves to another parent).
WorkshopUpdate = update_model(WorkshopCreate, fixed=("engagement_id",))


class WorkshopRead(WorkshopBase, RowRead):
    pass


class AttendeeBase(SQLModel):
    workshop_id: int = Field(foreign_key="workshops.id", ondelete="CASCADE", index=True)
    contact_id: int = Field(foreign_key="contacts.id", ondelete="CASCADE")
    attended: bool | None = None


class WorkshopAttendee(Row, AttendeeBase, table=True):
    __tablename__ = "workshop_attendees"
    __table_args__ = (UniqueConstraint("workshop_id", "contact_id"),)


class AttendeeCreate(AttendeeBase, Strict):
    pass


# PATCH body: every field of the create body optional, `version` required; workshop_id, contact_id fixed
# for good (a row never moves to another parent).
AttendeeUpdate = update_model(
    AttendeeCreate,
    fixed=(
        "workshop_id",
        "contact_id",
    ),
)


class AttendeeRead(AttendeeBase, RowRead):
    pass
