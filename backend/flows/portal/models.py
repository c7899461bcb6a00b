"""The client portal's tables: sign-in links, share links and proposal acceptances."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from advanced_alchemy.types import DateTimeUTC
from pydantic import AfterValidator, EmailStr
from sqlalchemy import Index, String, Text, text
from sqlmodel import Field, SQLModel

from backend.kernel.db import Row
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
        description="Must be true: the signer accepts the proposal and its terms"
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


class SignOffRequest(Strict):
    decision: Literal["accept", "reject"]
    reason: str | None = Field(default=None, max_length=2000, description="Required when rejecting")
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
