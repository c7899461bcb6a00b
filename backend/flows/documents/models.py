from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from pydantic import field_validator
from sqlalchemy import JSON, LargeBinary, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.kernel.db import Row
from backend.kernel.enums import Language
from backend.kernel.schema import ISO_WEEK_PATTERN, MONTH_PATTERN, RowRead, Strict, existing_iso_week


class DocumentKind(StrEnum):
    proposal = "proposal"
    result_report = "result_report"
    status_report = "status_report"
    time_statement = "time_statement"
    dpa = "dpa"  # Auftragsverarbeitungsvertrag (AVV, Art. 28 GDPR) with the engagement's sub-processors


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
    # Time statements only: the days whose time it states, both included.
    period_start: date | None = None
    period_end: date | None = None

    @property
    def period(self) -> Period | None:
        if self.period_start is None or self.period_end is None:
            return None
        return Period(self.period_start, self.period_end)


@dataclass(frozen=True)
class Period:
    """Days from `start` to `end`, both included."""

    start: date
    end: date

    @classmethod
    def month(cls, value: str) -> Period:
        year, month = (int(part) for part in value.split("-"))
        return cls(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))

    @property
    def is_month(self) -> bool:
        return self.start.day == 1 and self == Period.month(f"{self.start:%Y-%m}")

    @property
    def suffix(self) -> str:
        """How the period tells two statements' numbers apart: "2026-11", else "20261102-20261115"."""
        return f"{self.start:%Y-%m}" if self.is_month else f"{self.start:%Y%m%d}-{self.end:%Y%m%d}"


class DocumentRequest(Strict):
    kind: DocumentKind
    language: Language = Language.de
    iso_week: str | None = Field(
        default=None,
        max_length=8,
        schema_extra={"pattern": ISO_WEEK_PATTERN},
        description="Status reports only: the ISO week, e.g. 2026-W48 (default: the current week)",
    )
    month: str | None = Field(
        default=None,
        max_length=7,
        schema_extra={"pattern": MONTH_PATTERN},
        description="Time statements: the month whose time it states, e.g. 2026-11 (or give a period)",
    )
    period_start: date | None = Field(default=None, description="Time statements: the first day of a custom period")
    period_end: date | None = Field(default=None, description="Time statements: the last day of a custom period")
    _week_exists = field_validator("iso_week")(existing_iso_week)

    @property
    def period(self) -> Period | None:
        if self.month is not None:
            return Period.month(self.month)
        if self.period_start is not None and self.period_end is not None:
            return Period(self.period_start, self.period_end)
        return None


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
    period_start: date | None = Field(default=None, description="Time statements: the first day stated")
    period_end: date | None = Field(default=None, description="Time statements: the last day stated")


def replaces(newer: Document, older: Document) -> bool:
    """Whether a version replaces another for its readers: a later version of the same document
    (kind, and for status reports week, for time statements period) does, unless it says the
    same in another language (then each language's readers keep theirs)."""
    translation = (
        newer.language != older.language and newer.fingerprint is not None and newer.fingerprint == older.fingerprint
    )
    same_document = newer.kind == older.kind and newer.iso_week == older.iso_week and newer.period == older.period
    return same_document and newer.number > older.number and not translation
