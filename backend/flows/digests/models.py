from __future__ import annotations

from datetime import datetime

from pydantic import field_validator
from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.kernel.db import Row
from backend.kernel.delivery import Delivered, DeliveryStatus
from backend.kernel.enums import Language
from backend.kernel.schema import ISO_WEEK_PATTERN, RowRead, Strict, existing_iso_week


class DigestDelivery(Row, Delivered, table=True):
    """One weekly digest to one contact. The unique key is what makes sending exactly-once."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (UniqueConstraint("engagement_id", "iso_week", "contact_id"),)
    engagement_id: int = Field(foreign_key="engagements.id", ondelete="CASCADE", index=True)
    iso_week: str = Field(max_length=8, index=True)
    contact_id: int = Field(foreign_key="contacts.id", ondelete="CASCADE")
    email: str = Field(max_length=254)
    language: Language = Field(sa_type=String(2))
    document_id: int | None = Field(default=None, foreign_key="documents.id", ondelete="SET NULL")


class DeliveryRead(RowRead):
    engagement_id: int
    iso_week: str
    contact_id: int
    email: str
    language: Language
    status: DeliveryStatus
    attempts: int
    last_error: str | None = None
    document_id: int | None
    message_id: str | None
    sent_at: datetime | None


class DigestRequest(Strict):
    iso_week: str | None = Field(
        default=None,
        max_length=8,
        schema_extra={"pattern": ISO_WEEK_PATTERN},
        description="Default: the current ISO week in Europe/Berlin",
    )
    _week_exists = field_validator("iso_week")(existing_iso_week)


class DigestQueued(SQLModel):
    engagement_id: int
    iso_week: str
    job_id: str
