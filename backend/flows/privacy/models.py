"""Erasures done and the legal holds that keep a record past a person's erasure or retention."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from advanced_alchemy.types import DateTimeUTC
from pydantic import AfterValidator, BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlmodel import Field

from backend.kernel.db import Row
from backend.kernel.schema import MAX_ID, RowRead, Strict, must_be_true


class SubjectKind(StrEnum):
    """Whom personal data is about: a client's contact, a workshop participant, a user."""

    contact = "contact"
    participant = "participant"
    user = "user"


class Basis(StrEnum):
    """Why a record outlives an erasure: the law that requires keeping it."""

    hgb_257 = "hgb_257"  # commercial letters and contracts: 6 years
    ao_147 = "ao_147"  # invoices and what they are booked on: 8 years
    manual = "manual"  # a hold an admin placed (a dispute, an authority's request)


class Erasure(Row, table=True):
    """One person's erasure: once per person (the unique key makes a repeat return the first)."""

    __tablename__ = "erasures"
    __table_args__ = (UniqueConstraint("subject_kind", "subject_id"),)
    subject_kind: SubjectKind = Field(sa_type=String(20))
    subject_id: int
    client_id: int | None = Field(default=None, foreign_key="clients.id", ondelete="SET NULL", index=True)
    requested_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    # The request's reference as the admin gave it, with the person's name and address redacted.
    reason: str = Field(sa_type=Text)
    erased_at: datetime = Field(sa_type=DateTimeUTC)
    # What was erased and what was kept and why (see ErasureReport): counts and ids, no names.
    report: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class LegalHold(Row, table=True):
    """A record kept although a person was erased or its retention ran out, the law that says
    so, and the last day it is kept. Holds win over retention; after `kept_until` retention
    erases the record like any other."""

    __tablename__ = "legal_holds"
    __table_args__ = (UniqueConstraint("entity_type", "entity_id", "basis"),)
    entity_type: str = Field(sa_type=String(60), description="The table the record is in")
    entity_id: int
    basis: Basis = Field(sa_type=String(20))
    reason: str = Field(max_length=500, description="What the record is and the law that requires keeping it")
    kept_until: date = Field(index=True)
    erasure_id: int | None = Field(default=None, foreign_key="erasures.id", ondelete="SET NULL", index=True)
    placed_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")


class LegalHoldRead(RowRead):
    entity_type: str
    entity_id: int
    basis: Basis
    reason: str
    kept_until: date
    erasure_id: int | None = None


class LegalHoldCreate(Strict):
    """A hold an admin places: the record stays, whatever retention or an erasure would do."""

    entity_type: str = PydanticField(min_length=1, max_length=60, description="The record's table, e.g. invoices")
    entity_id: int = PydanticField(ge=1, le=MAX_ID)
    reason: str = PydanticField(
        min_length=3, max_length=500, description="Why, e.g. a dispute or an authority's request"
    )
    kept_until: date = PydanticField(description="The last day the record is kept")


class ErasureRequest(Strict):
    reason: str = PydanticField(
        min_length=3,
        max_length=2000,
        description="The request this erasure answers, e.g. 'Art. 17 request by mail of 2026-11-30'",
    )
    confirm: Annotated[bool, AfterValidator(must_be_true)] = PydanticField(
        description="Must be true: an erasure cannot be undone"
    )


class ErasedPart(BaseModel):
    table: str
    action: str = PydanticField(description="deleted, anonymised, unlinked or redacted")
    rows: int


class KeptPart(BaseModel):
    table: str
    id: int
    basis: Basis
    reason: str
    kept_until: date


class ErasureReport(BaseModel):
    erasure_id: int
    subject_kind: SubjectKind
    subject_id: int
    client_id: int | None
    erased_at: datetime
    people: list[dict[str, Any]] = PydanticField(description="Every record of the person erased: kind and id")
    erased: list[ErasedPart]
    kept: list[KeptPart]
    documents_rendered_again: list[int] = PydanticField(
        description="Document versions that named the person: rendered again with the name redacted"
    )


class ErasureRead(RowRead):
    subject_kind: SubjectKind
    subject_id: int
    client_id: int | None
    requested_by_id: int | None
    reason: str
    erased_at: datetime
