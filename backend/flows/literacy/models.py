"""What the AI-literacy evidence leaves behind: certificates (each kept as issued, each mailed
once where an address exists) and the AI owner's reminders."""

from __future__ import annotations

from datetime import date, datetime

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import LargeBinary, String, UniqueConstraint
from sqlmodel import Field

from backend.kernel.db import Row
from backend.kernel.delivery import Delivered
from backend.kernel.schema import RowRead


class Certificate(Row, table=True):
    """A Teilnahmebescheinigung: one per participant and workshop, its PDF kept as issued."""

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("workshop_id", "participant_id"),)
    workshop_id: int = Field(foreign_key="workshops.id", ondelete="CASCADE", index=True)
    participant_id: int = Field(foreign_key="participants.id", ondelete="CASCADE", index=True)
    language: str = Field(sa_type=String(2))
    issued_on: date
    content: bytes | None = Field(default=None, sa_type=LargeBinary)
    sha256: str | None = Field(default=None, max_length=64)
    revoked_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)

    @property
    def serial(self) -> str:
        return serial_of(self.id or 0, self.issued_on)


def serial_of(certificate_id: int, issued_on: date) -> str:
    return f"TB-{issued_on.year}-{certificate_id:06d}"


class CertificateRead(RowRead):
    workshop_id: int
    participant_id: int
    participant_name: str
    serial: str
    language: str
    issued_on: date
    sha256: str | None
    revoked_at: datetime | None
    verification_url: str
    mail_status: str | None
    valid: bool = Field(default=True, description="False once withdrawn (the attendance corrected to absent)")


class CertificateMail(Row, Delivered, table=True):
    __tablename__ = "certificate_mails"
    certificate_id: int = Field(foreign_key="certificates.id", ondelete="CASCADE", unique=True)
    email: str = Field(max_length=254)


class LiteracyReminder(Row, Delivered, table=True):
    """The monthly note to a client's AI owner about who needs (re)training: once per month."""

    __tablename__ = "literacy_reminders"
    __table_args__ = (UniqueConstraint("client_id", "month"),)
    client_id: int = Field(foreign_key="clients.id", ondelete="CASCADE", index=True)
    month: str = Field(max_length=7)  # 2026-12
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", ondelete="SET NULL")
    email: str = Field(max_length=254)
    language: str = Field(sa_type=String(2))
    due: int


class GuidelineInvitation(Row, Delivered, table=True):
    """A participant's mailed link to read and confirm the AI guideline, sent once per version."""

    __tablename__ = "guideline_invitations"
    __table_args__ = (UniqueConstraint("participant_id", "deliverable_id", "digest"),)
    participant_id: int = Field(foreign_key="participants.id", ondelete="CASCADE", index=True)
    deliverable_id: int = Field(foreign_key="deliverables.id", ondelete="CASCADE")
    digest: str = Field(max_length=64)
    email: str = Field(max_length=254)
