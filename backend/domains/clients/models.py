from __future__ import annotations

import unicodedata
from datetime import date, datetime
from enum import StrEnum

from advanced_alchemy.types import DateTimeUTC
from pydantic import computed_field, field_validator, model_validator
from sqlalchemy import Index, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from backend.kernel.db import Row
from backend.kernel.enums import InvoiceFormat, Language
from backend.kernel.schema import Email, RowRead, Strict, real_address, update_model
from backend.kernel.tax_ids import looks_like_leitweg_id, valid_country, valid_leitweg_id, valid_vat_id


class ClientBase(SQLModel):
    name: str = Field(min_length=1, max_length=200, index=True)
    industry: str | None = Field(default=None, max_length=120)
    employee_count: int | None = Field(default=None, ge=1, le=10_000_000)
    street: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=120)
    country: str = Field(default="DE", min_length=2, max_length=2)
    vat_id: str | None = Field(default=None, max_length=40)
    website: str | None = Field(default=None, max_length=300)
    notes: str | None = Field(default=None, max_length=20_000, sa_type=Text)
    # Billing: invoices go to this address, name the buyer reference (BT-10; a public-sector
    # client's Leitweg-ID), and come as the client's systems read them.
    invoice_email: Email | None = Field(default=None, max_length=254, sa_type=String(254))
    buyer_reference: str | None = Field(
        default=None, max_length=200, description="Buyer reference on every invoice (BT-10), e.g. a Leitweg-ID"
    )
    invoice_format: InvoiceFormat = Field(
        default=InvoiceFormat.zugferd,
        sa_type=String(20),
        sa_column_kwargs={"server_default": "zugferd"},
        description="zugferd: a PDF with the XML inside; xrechnung: the XML alone (public sector)",
    )


class Client(Row, ClientBase, table=True):
    __tablename__ = "clients"
    __table_args__ = (
        Index("ix_clients_name_id", "name", "id"),
        # The default list (live clients by name) and its count, on an index of its own.
        Index(
            "ix_clients_live_name_id",
            "name",
            "id",
            postgresql_where=text("archived_at IS NULL"),
            sqlite_where=text("archived_at IS NULL"),
        ),
    )
    archived_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)


class ClientCreate(ClientBase, Strict):
    @field_validator("vat_id")
    @classmethod
    def _vat_id(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.replace(" ", "").upper()
        if not valid_vat_id(value):
            raise ValueError("not a valid VAT id (USt-IdNr.): its check digits do not fit, e.g. DE298765435")
        return value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        value = value.strip().upper()
        if not valid_country(value):
            raise ValueError("not a country code (ISO 3166-1 alpha-2, e.g. DE, AT, CH)")
        return value

    @field_validator("buyer_reference")
    @classmethod
    def _leitweg_id(cls, value: str | None) -> str | None:
        if value is None or not any(unicodedata.category(ch)[0] in "LN" for ch in value):
            return None  # shows nothing: spaces, joiners, marks
        value = value.strip()
        if looks_like_leitweg_id(value) and not valid_leitweg_id(value):
            raise ValueError("this Leitweg-ID's check digits do not fit (the last two digits)")
        return value

    @model_validator(mode="after")
    def _xrechnung_needs_reference(self) -> ClientCreate:
        if self.invoice_format is InvoiceFormat.xrechnung and not self.buyer_reference:
            raise ValueError("an XRechnung names the buyer reference (BT-10): set buyer_reference, e.g. the Leitweg-ID")
        return self


# PATCH body: every field of the create body optional, `version` required.
ClientUpdate = update_model(ClientCreate)


class ClientRead(ClientBase, RowRead):
    archived_at: datetime | None = None


class ContactBase(SQLModel):
    client_id: int = Field(foreign_key="clients.id", ondelete="CASCADE", index=True)
    name: str = Field(min_length=1, max_length=200)
    email: Email = Field(max_length=254, sa_type=String(254))
    phone: str | None = Field(default=None, max_length=50)
    position: str | None = Field(default=None, max_length=120)
    language: Language = Field(default=Language.de, sa_type=String(2))
    # The seed insists even an SME needs a named person responsible for AI.
    is_ai_owner: bool = False
    receives_digest: bool = False
    portal_access: bool = False


class Contact(Row, ContactBase, table=True):
    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("client_id", "email"),)
    # Set by an erasure (GDPR Art. 17): the row stays for the records that point at it, with a
    # placeholder name and address; it can no longer be changed or given access.
    erased_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)


class ContactCreate(ContactBase, Strict):
    _real = field_validator("email")(real_address)


# PATCH body: every field of the create body optional, `version` required; client_id fixed
# for good (a row never moves to another parent).
ContactUpdate = update_model(ContactCreate, fixed=("client_id",))


class ContactRead(ContactBase, RowRead):
    erased_at: datetime | None = None


class AssessmentPhase(StrEnum):
    start = "start"
    end = "end"


# The seed's levers of AI readiness, each scored 0–5.
LEVERS = ("priorities", "responsibility", "people_enabled", "pilots_in_production", "kpi_practice")


class AssessmentBase(SQLModel):
    client_id: int = Field(foreign_key="clients.id", ondelete="CASCADE", index=True)
    engagement_id: int | None = Field(default=None, foreign_key="engagements.id", ondelete="CASCADE")
    phase: AssessmentPhase = Field(sa_type=String(10), description="start or end of the engagement")
    assessed_on: date
    priorities: int = Field(ge=0, le=5, description="Clear AI priorities set")
    responsibility: int = Field(ge=0, le=5, description="AI owner / team named")
    people_enabled: int = Field(ge=0, le=5, description="Training and guidelines in place")
    pilots_in_production: int = Field(ge=0, le=5)
    kpi_practice: int = Field(ge=0, le=5, description="KPI measurement practice")
    notes: str | None = Field(default=None, max_length=20_000, sa_type=Text)


class ReadinessAssessment(Row, AssessmentBase, table=True):
    __tablename__ = "readiness_assessments"
    __table_args__ = (UniqueConstraint("engagement_id", "phase"),)


class AssessmentCreate(AssessmentBase, Strict):
    pass


# PATCH body: every field of the create body optional, `version` required; client_id fixed
# for good (a row never moves to another parent).
AssessmentUpdate = update_model(AssessmentCreate, fixed=("client_id",))


class AssessmentRead(AssessmentBase, RowRead):
    @computed_field  # type: ignore[prop-decorator]
    @property
    def total(self) -> int:
        """Sum of the five levers, 0–25."""
        return sum(getattr(self, lever) for lever in LEVERS)


class ReadinessComparison(SQLModel):
    engagement_id: int
    start: AssessmentRead | None
    end: AssessmentRead | None
    # end − start per lever and in total; None until both assessments exist.
    delta: dict[str, int] | None
