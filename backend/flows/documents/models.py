from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from pydantic import field_validator
from sqlalchemy import JSON, LargeBinary, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.kernel.db import Row
from backend.kernel.enums import Language
from backend.kernel.schema import ISO_WEEK_PATTERN, RowRead, Strict, existing_iso_week


class DocumentKind(StrEnum):
    proposal = "proposal"
    result_report = "result_report"
    status_report = "status_report"


class DocumentStatus(StrEnum):
    queued = "queued"
    rendering = "rendering"
    ready = "ready"
    failed = "failed"


class DocumentBase(SQLModel):
    engagement_id: int = Field(foreign_key="engagements.id", ondelete="CASCADE", index=True)
    kind: DocumentKind = Field(sa_type=String(20))
    language: Language = Field(default=Language.de, sa_type=String(2))


class Document(Row, DocumentBase, table=True):
    """One immutable generated version; bytes live in the database so every machine sees them."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("engagement_id", "kind", "number"),)
    number: int = Field(ge=1)
    status: DocumentStatus = Field(default=DocumentStatus.queued, sa_type=String(20))
    error: str | None = Field(default=None, sa_type=Text)
    filename: str | None = Field(default=None, max_length=255)
    template: str = Field(max_length=100)
    content: bytes | None = Field(default=None, sa_type=LargeBinary)
    sha256: str | None = Field(default=None, max_length=64)
    data_snapshot: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    iso_week: str | None = Field(default=None, sa_type=String(8))
    # What the version says, whatever its language (documents.data.fingerprint).
    fingerprint: str | None = Field(default=None, max_length=64)
    # Proposals only: the last day the offer can be accepted (as printed on it).
    valid_until: date | None = None
    # When the version was released to the client: only sent versions appear in the portal.
    sent_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)


class DocumentRequest(Strict):
    kind: DocumentKind
    language: Language = Language.de
    iso_week: str | None = Field(
        default=None,
        max_length=8,
        schema_extra={"pattern": ISO_WEEK_PATTERN},
        description="Status reports only: the ISO week, e.g. 2026-W48 (default: the current week)",
    )
    _week_exists = field_validator("iso_week")(existing_iso_week)


class DocumentRead(DocumentBase, RowRead):
    number: int
    status: DocumentStatus
    error: str | None = None
    filename: str | None = None
    template: str
    sha256: str | None = None
    created_by_id: int | None = None
    iso_week: str | None = None
    sent_at: datetime | None = None
    valid_until: date | None = Field(default=None, description="Proposals: the last day the offer can be accepted")


def replaces(newer: Document, older: Document) -> bool:
    """Whether a version replaces another for its readers: a later version of the same document
    (kind, and for status reports week) does, unless it says the same in another language (then
    each language's readers keep theirs)."""
    translation = (
        newer.language != older.language and newer.fingerprint is not None and newer.fingerprint == older.fingerprint
    )
    same_document = newer.kind == older.kind and newer.iso_week == older.iso_week
    return same_document and newer.number > older.number and not translation
