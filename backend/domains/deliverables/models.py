from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Index, String, Text
from sqlmodel import Field, SQLModel

from backend.kernel.db import Row
from backend.kernel.schema import RowRead, Strict, update_model


class DeliverableKind(StrEnum):
    document = "document"
    prototype = "prototype"
    automation_workflow = "automation_workflow"
    training_material = "training_material"
    guideline = "guideline"


class DeliverableStatus(StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    in_review = "in_review"
    delivered = "delivered"
    accepted = "accepted"
    rejected = "rejected"


class DeliverableBase(SQLModel):
    engagement_id: int = Field(foreign_key="engagements.id", ondelete="CASCADE", index=True)
    title: str = Field(min_length=1, max_length=200)
    kind: DeliverableKind = Field(sa_type=String(30))
    description: str | None = Field(default=None, max_length=20_000, sa_type=Text)
    due_week: int = Field(ge=1, le=104, index=True, description="Week number within the engagement")


class Deliverable(Row, DeliverableBase, table=True):
    __tablename__ = "deliverables"
    __table_args__ = (Index("ix_deliverables_engagement_id_due_week_id", "engagement_id", "due_week", "id"),)
    status: DeliverableStatus = Field(default=DeliverableStatus.planned, sa_type=String(20), index=True)
    rejection_reason: str | None = Field(default=None, max_length=2000)
    delivered_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)
    signed_off_by_contact_id: int | None = Field(default=None, foreign_key="contacts.id", ondelete="SET NULL")
    signed_off_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)


class DeliverableCreate(DeliverableBase, Strict):
    pass


# PATCH body: every field of the create body optional, `version` required; engagement_id fixed
# for good (a row never moves to another parent).
DeliverableUpdate = update_model(DeliverableCreate, fixed=("engagement_id",))


class DeliverableRead(DeliverableBase, RowRead):
    status: DeliverableStatus
    rejection_reason: str | None = None
    delivered_at: datetime | None = None
    signed_off_by_contact_id: int | None = None
    signed_off_at: datetime | None = None
