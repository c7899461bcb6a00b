"""Erasures done and the legal holds that keep a record past a person's erasure or retention."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from advanced_alchemy.types import DateTimeUTC
from pydantic import AfterValidator, BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Index, String, Text, UniqueConstraint, text
from sqlmodel import Field

from backend.kernel.db import Row
from backend.kernel.delivery import Delivered
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
    record: str | None = PydanticField(
        default=None, description="What the record is, as a key (e.g. proposal_acceptance); none: an admin's hold"
    )
    kept_until: date


class Recipient(BaseModel):
    """A provider the client's data was disclosed to, to be told of an erasure (Art. 19 GDPR)."""

    provider: str
    service: str | None


class ErasurePlan(BaseModel):
    """What an erasure does (or, as a preview, would do) to a person's data."""

    subject_kind: SubjectKind
    subject_id: int
    client_id: int | None
    people: list[dict[str, Any]] = PydanticField(description="Every record of the person erased: kind and id")
    erased: list[ErasedPart]
    kept: list[KeptPart]
    documents_rendered_again: list[int] = PydanticField(
        description="Document versions that named the person: rendered again with the name redacted"
    )
    recipients: list[Recipient] = PydanticField(
        default_factory=list,
        description="Providers the client's pilots send personal data to: to be told of the erasure (Art. 19 GDPR)",
    )


class ErasureReport(ErasurePlan):
    erasure_id: int
    erased_at: datetime


class ErasureRead(RowRead):
    subject_kind: SubjectKind
    subject_id: int
    client_id: int | None
    requested_by_id: int | None
    reason: str
    erased_at: datetime
    report: ErasureReport = PydanticField(description="What was erased and kept, and whom to tell")


class Right(StrEnum):
    """What a person asks for under the GDPR (Art. 15–21)."""

    access = "access"  # Art. 15: a copy of their data
    rectification = "rectification"  # Art. 16
    erasure = "erasure"  # Art. 17
    restriction = "restriction"  # Art. 18
    portability = "portability"  # Art. 20
    objection = "objection"  # Art. 21


class Channel(StrEnum):
    portal = "portal"
    email = "email"
    letter = "letter"
    phone = "phone"
    other = "other"


class RequestState(StrEnum):
    open = "open"
    answered = "answered"
    refused = "refused"  # with the reason the person is told (Art. 12 (4))


class PrivacyRequest(Row, table=True):
    """A person's request under Art. 15–21 and its deadline (Art. 12 (3)): one month from
    receipt, extended by at most two more with a reason. Kept after the answer as proof it was
    given (Art. 5 (2)); its text is redacted like any other when the person is erased."""

    __tablename__ = "privacy_requests"
    # One open request per person and right from the portal: a second click, or a second tab,
    # finds the first (the team may record several, as they arrive).
    __table_args__ = (
        Index(
            "uq_privacy_requests_open_from_portal",
            "subject_kind",
            "subject_id",
            "right",
            unique=True,
            sqlite_where=text("status = 'open' AND channel = 'portal'"),
            postgresql_where=text("status = 'open' AND channel = 'portal'"),
        ),
    )
    client_id: int | None = Field(default=None, foreign_key="clients.id", ondelete="SET NULL", index=True)
    subject_kind: SubjectKind = Field(sa_type=String(20))
    subject_id: int = Field(index=True)
    right: Right = Field(sa_type=String(20))
    channel: Channel = Field(sa_type=String(20))
    received_on: date
    due_on: date = Field(index=True)
    extension_reason: str | None = Field(default=None, sa_type=Text)
    status: RequestState = Field(default=RequestState.open, sa_type=String(20), index=True)
    # What the person asked, in their words.
    note: str | None = Field(default=None, sa_type=Text)
    # What was done, or why it was refused: what the person is told.
    answer: str | None = Field(default=None, sa_type=Text)
    answered_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)
    erasure_id: int | None = Field(default=None, foreign_key="erasures.id", ondelete="SET NULL")
    recorded_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")


class PrivacyRequestRead(RowRead):
    client_id: int | None
    subject_kind: SubjectKind
    subject_id: int
    right: Right
    channel: Channel
    received_on: date
    due_on: date
    extension_reason: str | None = None
    status: RequestState
    note: str | None = None
    answer: str | None = None
    answered_at: datetime | None = None
    erasure_id: int | None = None
    recorded_by_id: int | None = None


class PrivacyRequestCreate(Strict):
    """A request as the team records it (one made in the portal records itself)."""

    subject_kind: SubjectKind = PydanticField(description="contact, participant or user")
    subject_id: int = PydanticField(ge=1, le=MAX_ID)
    right: Right
    channel: Channel
    received_on: date | None = PydanticField(default=None, description="The day it arrived; today if left out")
    note: str | None = PydanticField(default=None, max_length=4000, description="What the person asked")


class PrivacyRequestUpdate(Strict):
    """The deadline extended (Art. 12 (3): by two further months at most, with the reason the
    person is told within the first month), or the note amended."""

    due_on: date | None = None
    extension_reason: str | None = PydanticField(default=None, min_length=3, max_length=2000)
    note: str | None = PydanticField(default=None, max_length=4000)
    version: int


class PrivacyRequestNotice(Row, Delivered, table=True):
    """The team told of a request made in the portal (its one-month deadline runs from the day
    it arrived): one mail per recipient and request, sent exactly once (kernel/delivery.py)."""

    __tablename__ = "privacy_request_notices"
    __table_args__ = (UniqueConstraint("request_id", "email"),)
    request_id: int = Field(foreign_key="privacy_requests.id", ondelete="CASCADE", index=True)
    email: str = Field(max_length=254)
    name: str | None = Field(default=None, max_length=200)
