"""Abnahme (§ 640 BGB): the team's request that the client accept a delivered deliverable by a
deadline, the acceptance itself (explicit in the portal, recorded by the team, or deemed when
the deadline passed without a defect named) with its Abnahmeprotokoll, and the mails about it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from pydantic import Field as PydanticField
from sqlalchemy import JSON, LargeBinary, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.kernel.db import Row
from backend.kernel.delivery import Delivered
from backend.kernel.schema import MAX_ID, RowRead, Strict


class RequestOutcome(StrEnum):
    open = "open"
    accepted = "accepted"  # the client accepted (or the team recorded its acceptance)
    rejected = "rejected"  # the client named a defect before the deadline
    deemed = "deemed"  # the deadline passed without one (§ 640 (2) BGB)
    lapsed = "lapsed"  # the deliverable changed or left delivery: the request no longer stands


class AcceptanceMode(StrEnum):
    explicit = "explicit"  # the client accepted in the portal or API
    recorded = "recorded"  # a team member recorded an acceptance given otherwise (on paper, by mail)
    deemed = "deemed"  # § 640 (2) BGB


class DeliverableAcceptanceRequest(Row, Delivered, table=True):
    """The request to accept one delivered deliverable by `deadline` (a day in Europe/Berlin; it
    is deemed accepted the day after). One open request per deliverable (`open_key`); the mail to
    the client's contact is sent once (kernel/delivery.py)."""

    __tablename__ = "deliverable_acceptance_requests"
    deliverable_id: int = Field(foreign_key="deliverables.id", ondelete="CASCADE", index=True)
    engagement_id: int = Field(foreign_key="engagements.id", ondelete="CASCADE", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", ondelete="SET NULL")
    email: str | None = Field(default=None, max_length=254)
    language: str = Field(default="de", sa_type=String(2))
    deadline_days: int
    deadline: date = Field(index=True)
    requested_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    requested_at: datetime = Field(sa_type=DateTimeUTC)
    # The artefacts the request is about: a changed set voids it.
    artefacts_sha256: str = Field(sa_type=String(64))
    # The deliverable's id while the request is open, NULL once closed: one open request each.
    open_key: int | None = Field(default=None, unique=True)
    outcome: RequestOutcome = Field(default=RequestOutcome.open, sa_type=String(10), index=True)
    closed_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)


class DeliverableAcceptance(Row, table=True):
    """The Abnahme of one deliverable: once (the unique key), whichever way it came about."""

    __tablename__ = "deliverable_acceptances"
    deliverable_id: int = Field(foreign_key="deliverables.id", ondelete="CASCADE", unique=True)
    engagement_id: int = Field(foreign_key="engagements.id", ondelete="CASCADE", index=True)
    mode: AcceptanceMode = Field(sa_type=String(10))
    request_id: int | None = Field(default=None, foreign_key="deliverable_acceptance_requests.id", ondelete="SET NULL")
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", ondelete="SET NULL")
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    # Who accepted, as the protocol names them (the contact, the team member who recorded it, or
    # nobody for a deemed acceptance).
    accepted_by: str | None = Field(default=None, max_length=200)
    accepted_at: datetime = Field(sa_type=DateTimeUTC)
    reservations: str | None = Field(default=None, sa_type=Text)
    artefacts: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    artefacts_sha256: str = Field(sa_type=String(64))
    # SHA-256 of what was accepted: deliverable, artefacts, mode, who, when, reservations.
    record_sha256: str = Field(sa_type=String(64))
    language: str = Field(default="de", sa_type=String(2))
    protocol_sha256: str | None = Field(default=None, sa_type=String(64))


class DeliverableAcceptanceFile(SQLModel, table=True):
    """The Abnahmeprotokoll PDF, kept as rendered (immutable)."""

    __tablename__ = "deliverable_acceptance_files"
    acceptance_id: int = Field(foreign_key="deliverable_acceptances.id", ondelete="CASCADE", primary_key=True)
    pdf: bytes = Field(sa_type=LargeBinary)


class AcceptanceNotice(Row, Delivered, table=True):
    """A mail about an Abnahme to one side (the client's contact, the lead consultant), once: an
    acceptance (one per side), or the client's refusal naming a defect (one per refusal, made with
    it)."""

    __tablename__ = "deliverable_acceptance_notices"
    __table_args__ = (UniqueConstraint("acceptance_id", "audience"),)
    acceptance_id: int | None = Field(
        default=None, foreign_key="deliverable_acceptances.id", ondelete="CASCADE", index=True
    )
    deliverable_id: int = Field(foreign_key="deliverables.id", ondelete="CASCADE", index=True)
    event: str = Field(default="accepted", sa_type=String(10))  # "accepted" | "rejected"
    reason: str | None = Field(default=None, sa_type=Text)  # the defect named, for a refusal
    audience: str = Field(sa_type=String(10))  # "client" | "team"
    email: str = Field(max_length=254)
    name: str | None = Field(default=None, max_length=200)
    language: str = Field(default="de", sa_type=String(2))


# -- API shapes ----------------------------------------------------------------------------------


class AcceptanceCall(Strict):
    deadline_days: int = PydanticField(
        default=14,
        ge=5,
        le=90,
        description="Days the client has to accept or name a defect; afterwards the work counts as accepted",
    )
    contact_id: int | None = PydanticField(
        default=None,
        ge=1,
        le=MAX_ID,
        description="The contact asked (default: the portal contact who is AI owner, else a portal contact)",
    )


class AcceptanceCallRead(RowRead):
    deliverable_id: int
    engagement_id: int
    contact_id: int | None
    email: str | None
    deadline_days: int
    deadline: date
    requested_by_id: int | None
    requested_at: datetime
    artefacts_sha256: str
    outcome: RequestOutcome
    closed_at: datetime | None
    status: str = PydanticField(description="The mail's delivery: pending, sending, sent, failed, bounced")


class DeliverableAcceptanceRead(RowRead):
    deliverable_id: int
    engagement_id: int
    mode: AcceptanceMode
    request_id: int | None
    contact_id: int | None
    user_id: int | None
    accepted_by: str | None
    accepted_at: datetime
    reservations: str | None
    artefacts: list[dict[str, Any]]
    artefacts_sha256: str
    record_sha256: str
    language: str
    protocol_sha256: str | None
