from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from advanced_alchemy.types import DateTimeUTC
from pydantic import field_validator
from sqlalchemy import Index, LargeBinary, String, Text
from sqlmodel import Field, SQLModel

from backend.kernel.db import Row
from backend.kernel.schema import RowRead, Strict, trimmed, update_model


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
    # Defects the client knows of and reserves its rights for when accepting (§ 640 (3) BGB).
    reservations: str | None = Field(default=None, sa_type=Text)


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
    reservations: str | None = None


class ArtefactKind(StrEnum):
    file = "file"
    link = "link"


# A deliverable's artefacts change while it is worked on; from delivery on they are what the
# client examines and accepts (its sign-off pins their hashes), so they stay as they are.
ARTEFACTS_LOCKED = frozenset({DeliverableStatus.delivered, DeliverableStatus.accepted})


class DeliverableArtefact(Row, table=True):
    """A file or a link handed over with a deliverable, with its SHA-256 (of the bytes, or of
    the URL as written); a file's bytes live in deliverable_artefact_files."""

    __tablename__ = "deliverable_artefacts"
    deliverable_id: int = Field(foreign_key="deliverables.id", ondelete="CASCADE", index=True)
    kind: ArtefactKind = Field(sa_type=String(10))
    name: str = Field(max_length=200)
    content_type: str | None = Field(default=None, max_length=120)
    size: int | None = None
    url: str | None = Field(default=None, sa_type=Text)
    sha256: str = Field(sa_type=String(64))
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")


class DeliverableArtefactFile(SQLModel, table=True):
    __tablename__ = "deliverable_artefact_files"
    artefact_id: int = Field(foreign_key="deliverable_artefacts.id", ondelete="CASCADE", primary_key=True)
    content: bytes = Field(sa_type=LargeBinary)


class ArtefactLink(Strict):
    url: str = Field(
        min_length=10, max_length=2000, description="An https:// address, e.g. the shared folder or repository"
    )
    name: str = Field(min_length=1, max_length=200, description="What the link leads to")

    @field_validator("url")
    @classmethod
    def _https(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme != "https" or not parts.hostname or any(ch.isspace() for ch in value.strip()):
            raise ValueError("an https:// address")
        return value.strip()

    _name = field_validator("name")(trimmed)


class ArtefactRead(RowRead):
    deliverable_id: int
    kind: ArtefactKind
    name: str
    content_type: str | None
    size: int | None
    url: str | None
    sha256: str
    created_by_id: int | None = None
