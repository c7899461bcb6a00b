"""The client portal's tables: sign-in links, share links, proposal acceptances and statement decisions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from advanced_alchemy.types import DateTimeUTC
from pydantic import AfterValidator, EmailStr, field_validator
from sqlalchemy import JSON, Index, String, Text, text
from sqlmodel import Field, SQLModel

from backend.domains.engagements.offer import MAX_ITEMS
from backend.kernel.db import Row
from backend.kernel.delivery import Delivered
from backend.kernel.enums import Language
from backend.kernel.schema import MAX_ID, RowRead, Signature, Strict, must_be_true


class LoginLink(Row, table=True):
    """A single-use sign-in link for one contact; only the SHA-256 of its token is stored."""

    __tablename__ = "portal_login_links"
    contact_id: int = Field(foreign_key="contacts.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(sa_type=String(64), unique=True)
    expires_at: datetime = Field(sa_type=DateTimeUTC)
    used_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)
    requested_ip: str | None = Field(default=None, max_length=64)


class ShareLink(Row, table=True):
    """Access to one document without an account; the URL carries a signature, the row can be revoked."""

    __tablename__ = "share_links"
    # One live mailing link per document, purpose and recipient: two releases (or digests) at once
    # cannot each make one and mail it. Links made by hand are not limited.
    __table_args__ = (
        Index(
            "uq_share_links_live_mailing",
            "document_id",
            "purpose",
            "contact_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL AND purpose <> 'manual'"),
            postgresql_where=text("revoked_at IS NULL AND purpose <> 'manual'"),
        ),
    )
    document_id: int = Field(foreign_key="documents.id", ondelete="CASCADE", index=True)
    # Who it was made for (a digest or release recipient); None for a link handed out by hand.
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", ondelete="SET NULL")
    purpose: str = Field(default="manual", sa_type=String(20))
    expires_at: datetime = Field(sa_type=DateTimeUTC)
    revoked_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    download_count: int = 0
    last_download_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)
    # Set once the link was mailed to `contact_id`; a retried job does not mail it again.
    mailed_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)
    # A mailing job takes the link before it sends, so two jobs never both mail it; a claim left
    # by a job that died is free again after the job timeout.
    mail_claimed_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)


class ProposalAcceptance(Row, table=True):
    """Who accepted which proposal version, when, from where. One per engagement."""

    __tablename__ = "proposal_acceptances"
    engagement_id: int = Field(foreign_key="engagements.id", ondelete="CASCADE", unique=True)
    document_id: int = Field(foreign_key="documents.id", ondelete="RESTRICT")
    document_number: int
    document_sha256: str = Field(sa_type=String(64))
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", ondelete="SET NULL")
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    typed_name: str = Field(max_length=200)
    ip_address: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, sa_type=Text)
    accepted_at: datetime = Field(sa_type=DateTimeUTC)
    # What was agreed beyond the version's bytes: the options chosen (positions), the items in
    # force with their amounts, the fee they make, the contract texts accepted with it (kind,
    # language, version, SHA-256), and the SHA-256 of all that with the version's (record_sha256).
    options: list[int] = Field(default_factory=list, sa_type=JSON, sa_column_kwargs={"server_default": "[]"})
    items: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON, sa_column_kwargs={"server_default": "[]"})
    fee_net: Decimal | None = Field(default=None, max_digits=12, decimal_places=2)
    currency: str | None = Field(default=None, max_length=3)
    vat_rate: Decimal | None = Field(default=None, max_digits=5, decimal_places=2)
    agreements: list[dict[str, Any]] = Field(
        default_factory=list, sa_type=JSON, sa_column_kwargs={"server_default": "[]"}
    )
    record_sha256: str | None = Field(default=None, sa_type=String(64))


class DpaAcceptance(Row, table=True):
    """The client's acceptance of one version of the data processing agreement (AVV, Art. 28
    GDPR): who, when, from where, the version's SHA-256 and the contract texts it rests on.
    One per version; a new version (a new sub-processor) is accepted anew."""

    __tablename__ = "dpa_acceptances"
    document_id: int = Field(foreign_key="documents.id", ondelete="RESTRICT", unique=True)
    engagement_id: int = Field(foreign_key="engagements.id", ondelete="CASCADE", index=True)
    document_number: int
    document_sha256: str = Field(sa_type=String(64))
    agreements: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", ondelete="SET NULL")
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    typed_name: str = Field(max_length=200)
    ip_address: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, sa_type=Text)
    accepted_at: datetime = Field(sa_type=DateTimeUTC)


class DpaObjection(Row, Delivered, table=True):
    """The client's objection to a version of the AVV — to a new or replaced sub-processor it
    names (Art. 28 (2) GDPR) — with the reason. One per version; the version can no longer be
    accepted. The lead consultant is told by one mail (kernel/delivery.py)."""

    __tablename__ = "dpa_objections"
    document_id: int = Field(foreign_key="documents.id", ondelete="CASCADE", unique=True)
    engagement_id: int = Field(foreign_key="engagements.id", ondelete="CASCADE", index=True)
    document_number: int
    reason: str = Field(sa_type=Text)
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", ondelete="SET NULL")
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    ip_address: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, sa_type=Text)
    objected_at: datetime = Field(sa_type=DateTimeUTC)
    # The lead consultant's address when it was recorded (None: nobody to tell).
    email: str | None = Field(default=None, max_length=254)


class DpaObjectionRequest(Strict):
    reason: Reason = Field(
        min_length=3, max_length=2000, description="What the client objects to, e.g. a provider outside the EU"
    )


class DpaObjectionRead(RowRead):
    engagement_id: int
    document_id: int
    document_number: int
    reason: str
    contact_id: int | None
    objected_at: datetime


class DpaAcceptanceRequest(Strict):
    typed_name: Signature = Field(max_length=200, description="Full name, typed as a signature")
    confirmed: Annotated[bool, AfterValidator(must_be_true)] = Field(
        description="Must be true: the signer accepts the data processing agreement with the sub-processors it names"
    )


class DpaAcceptanceRead(RowRead):
    document_id: int
    engagement_id: int
    document_number: int
    document_sha256: str
    agreements: list[dict[str, Any]] = Field(
        default_factory=list, description="The AVV and TOM texts: version, SHA-256"
    )
    contact_id: int | None
    user_id: int | None
    typed_name: str
    ip_address: str | None
    accepted_at: datetime


class StatementDecision(Row, Delivered, table=True):
    """The client's answer to one time statement version: approved with a typed name, or
    disputed line by line. One per version; an approval locks the entries it states. The lead
    consultant is told by one mail (kernel/delivery.py)."""

    __tablename__ = "statement_decisions"
    document_id: int = Field(foreign_key="documents.id", ondelete="CASCADE", unique=True)
    engagement_id: int = Field(foreign_key="engagements.id", ondelete="CASCADE", index=True)
    decision: str = Field(sa_type=String(10))  # "approved" | "disputed"
    document_number: int
    document_sha256: str = Field(sa_type=String(64))
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", ondelete="SET NULL")
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    typed_name: str | None = Field(default=None, max_length=200)
    # Disputes only: [{"position", "entry_id", "reason"}] for every line the client objects to.
    disputed: list[dict[str, Any]] | None = Field(default=None, sa_type=JSON)
    ip_address: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, sa_type=Text)
    decided_at: datetime = Field(sa_type=DateTimeUTC)
    # The lead consultant the answer is mailed to.
    email: str | None = Field(default=None, max_length=254)


class ProposalDecline(Row, Delivered, table=True):
    """The client's "no" to a sent proposal version, or "not like this" (a change request), with
    the reason; the engagement goes back to draft for a new version. The lead consultant is told
    by one mail (kernel/delivery.py). One per version."""

    __tablename__ = "proposal_declines"
    document_id: int = Field(foreign_key="documents.id", ondelete="CASCADE", unique=True)
    engagement_id: int = Field(foreign_key="engagements.id", ondelete="CASCADE", index=True)
    document_number: int
    change_request: bool = False
    reason: str = Field(sa_type=Text)
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", ondelete="SET NULL")
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    ip_address: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, sa_type=Text)
    declined_at: datetime = Field(sa_type=DateTimeUTC)
    # The lead consultant's address when it was recorded (None: nobody to tell).
    email: str | None = Field(default=None, max_length=254)


class ProposalExpiryNotice(Row, Delivered, table=True):
    """The lead consultant told that a sent, unanswered proposal version expires soon: once per
    version (the unique key), mailed once (kernel/delivery.py)."""

    __tablename__ = "proposal_expiry_notices"
    document_id: int = Field(foreign_key="documents.id", ondelete="CASCADE", unique=True)
    engagement_id: int = Field(foreign_key="engagements.id", ondelete="CASCADE", index=True)
    valid_until: date
    email: str | None = Field(default=None, max_length=254)


# -- API shapes ----------------------------------------------------------------------------------


class LoginLinkRequest(Strict):
    email: EmailStr = Field(max_length=254)
    language: Language | None = Field(default=None, description="Language of the email (default: the contact's)")


class LoginLinkQueued(SQLModel):
    detail: str


class SessionRequest(Strict):
    token: str = Field(min_length=10, max_length=200, description="The token from the emailed sign-in link")


class AcceptanceRequest(Strict):
    typed_name: Signature = Field(max_length=200, description="Full name, typed as a signature")
    confirmed: Annotated[bool, AfterValidator(must_be_true)] = Field(
        description="Must be true: the signer accepts the proposal, the options chosen and the General Terms it names"
    )
    options: list[Annotated[int, Field(ge=1, le=MAX_ITEMS)]] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="Positions of the optional or alternative items taken (an alternative replaces its base item)",
    )
    dpa_accepted: bool = Field(
        default=False,
        description="Must be true when the proposal includes the data processing agreement (AVV, Art. 28 GDPR)",
    )
    fee_net: Decimal | None = Field(
        default=None,
        ge=0,
        max_digits=12,
        decimal_places=2,
        description="The order value (net) the signer saw; refused (409) if the options chosen make another",
    )


class AcceptanceRead(RowRead):
    engagement_id: int
    document_id: int
    document_number: int
    document_sha256: str
    contact_id: int | None
    user_id: int | None
    typed_name: str
    ip_address: str | None
    accepted_at: datetime
    options: list[int] = Field(default_factory=list, description="The optional or alternative items taken")
    items: list[dict[str, Any]] = Field(default_factory=list, description="The items in force, as agreed")
    fee_net: Decimal | None = Field(default=None, description="The agreed fee, net")
    currency: str | None = None
    vat_rate: Decimal | None = None
    agreements: list[dict[str, Any]] = Field(
        default_factory=list, description="Contract texts accepted with it: kind (agb, avv), language, version, SHA-256"
    )
    record_sha256: str | None = Field(
        default=None, description="SHA-256 of the version's hash, the options, items, fee and contract texts"
    )


def _says_something(value: str) -> str:
    if not any(ch.isalnum() for ch in value):
        raise ValueError("a reason says something")
    return value.strip()


# The client's reason for a "no": words, not punctuation alone.
Reason = Annotated[str, AfterValidator(_says_something)]


class DeclineRequest(Strict):
    reason: Reason = Field(min_length=3, max_length=2000, description="Why not, or what should change")
    change_request: bool = Field(
        default=False, description="true: the client asks for a changed proposal instead of declining for good"
    )


class DeclineRead(RowRead):
    engagement_id: int
    document_id: int
    document_number: int
    change_request: bool
    reason: str
    contact_id: int | None
    declined_at: datetime


class ApprovalRequest(Strict):
    typed_name: Signature = Field(max_length=200, description="Full name, typed as a signature")
    confirmed: Annotated[bool, AfterValidator(must_be_true)] = Field(
        description="Must be true: the signer confirms the time stated as rendered"
    )


class DisputedLine(Strict):
    position: int = Field(ge=1, le=100_000, description="The line's position (Pos.) on the statement")
    reason: str = Field(min_length=1, max_length=2000, description="What is wrong with it")

    @field_validator("reason")
    @classmethod
    def _said(cls, reason: str) -> str:
        if not reason.strip():
            raise ValueError("please say what is wrong with the line")
        return reason.strip()


class DisputeRequest(Strict):
    lines: list[DisputedLine] = Field(min_length=1, max_length=1000, description="The lines objected to, each once")
    typed_name: Signature | None = Field(default=None, max_length=200, description="Who objects (optional)")

    @field_validator("lines")
    @classmethod
    def _each_line_once(cls, lines: list[DisputedLine]) -> list[DisputedLine]:
        positions = [line.position for line in lines]
        if len(set(positions)) != len(positions):
            raise ValueError("each line is disputed once: give all reasons for it in one text")
        return lines


class DecisionRead(RowRead):
    document_id: int
    engagement_id: int
    decision: Literal["approved", "disputed"]
    document_number: int
    document_sha256: str
    contact_id: int | None
    user_id: int | None
    typed_name: str | None
    disputed: list[dict[str, Any]] | None = Field(
        default=None, description="Disputes: every line objected to, with its position, entry and reason"
    )
    ip_address: str | None
    decided_at: datetime


class SignOffRequest(Strict):
    decision: Literal["accept", "reject"]
    reason: str | None = Field(
        default=None, max_length=2000, description="Required when rejecting: the defect that stands against acceptance"
    )
    reservations: str | None = Field(
        default=None,
        max_length=2000,
        description="Accepting: known defects the client reserves its rights for (§ 640 (3) BGB)",
    )
    artefacts_sha256: str | None = Field(
        default=None,
        schema_extra={"pattern": "^[0-9a-f]{64}$"},
        max_length=64,
        description="The artefacts' digest as the client saw them (GET …/artefacts); refused if they changed",
    )
    version: int = Field(description="The deliverable's version the client saw")


class ShareLinkCreate(Strict):
    valid_days: int = Field(default=30, ge=1, le=365)
    contact_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="The recipient, if it is one of the client's contacts"
    )


class ShareLinkRead(RowRead):
    document_id: int
    contact_id: int | None
    purpose: str
    expires_at: datetime
    revoked_at: datetime | None
    download_count: int
    last_download_at: datetime | None
    url: str | None = Field(default=None, description="Only in the response that created the link")


class ReleaseRead(SQLModel):
    document_id: int
    sent_at: datetime
    recipients: int
    job_id: str | None
