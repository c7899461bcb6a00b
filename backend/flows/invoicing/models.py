"""Invoices: drafts the team edits, then numbered, immutable documents with their XML and PDF.

A draft has no number; issuing gives it the next one of its year's series (`RE-2027-0001`) in
the same transaction that renders and stores its files, so a failure anywhere leaves no number
used and no gap. An issued invoice is never changed nor deleted: a credit note (381) that names
it takes it back. Each line that bills something the client accepted (the proposal, a
milestone of it, a deliverable, an approved time statement) carries a billing key, unique over
all lines, so the same thing cannot be billed twice, also by two requests at the same moment.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from pydantic import computed_field, field_validator, model_validator
from sqlalchemy import JSON, Index, LargeBinary, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.flows.invoicing.codes import TYPE_CODES, InvoiceKind, Unit, VatCategory
from backend.kernel.db import Row
from backend.kernel.delivery import Delivered
from backend.kernel.enums import InvoiceFormat, Language
from backend.kernel.glyphs import refuse_unprintable, visible
from backend.kernel.schema import MAX_ID, RowRead, Strict


class InvoiceStatus(StrEnum):
    draft = "draft"
    issued = "issued"
    sent = "sent"
    paid = "paid"
    cancelled = "cancelled"  # fully taken back by a credit note


OWED = (InvoiceStatus.issued, InvoiceStatus.sent, InvoiceStatus.paid)


class Basis(StrEnum):
    """What a line bills: the evidence the client accepted behind it."""

    proposal = "proposal"  # the accepted proposal's fee, whole or one milestone of it
    deliverable = "deliverable"  # an accepted (signed-off) deliverable
    statement = "statement"  # the time of an approved Leistungsnachweis


class Invoice(Row, table=True):
    __tablename__ = "invoices"
    __table_args__ = (
        Index("ix_invoices_status_id", "status", "id"),
        Index("ix_invoices_client_id_id", "client_id", "id"),
        Index("ix_invoices_engagement_id_id", "engagement_id", "id"),
        # A deleted draft's id is never given again (SQLite would reuse the highest): the audit
        # log names invoices by id.
        {"sqlite_autoincrement": True},
    )
    # An invoice outlives nothing it bills: the engagement and client stay while it exists.
    engagement_id: int = Field(foreign_key="engagements.id", ondelete="RESTRICT")
    client_id: int = Field(foreign_key="clients.id", ondelete="RESTRICT")
    kind: InvoiceKind = Field(default=InvoiceKind.invoice, sa_type=String(20))
    status: InvoiceStatus = Field(default=InvoiceStatus.draft, sa_type=String(20))
    language: Language = Field(default=Language.de, sa_type=String(2))
    # A draft's None stands for the client's setting when it is issued (then it is the one used).
    format: InvoiceFormat | None = Field(default=None, sa_type=String(20))
    currency: str = Field(default="EUR", max_length=3)
    # Given at issue: RE-<year>-<sequence>, the sequence gapless within the year.
    number: str | None = Field(default=None, max_length=20, unique=True)
    year: int | None = None
    sequence: int | None = None
    issue_date: date | None = None
    due_date: date | None = None
    payment_terms_days: int = 14
    period_start: date | None = None  # BG-14: when the service was rendered
    period_end: date | None = None
    buyer_reference: str | None = Field(default=None, max_length=200)  # BT-10 (Leitweg-ID); None: the client's
    order_reference: str | None = Field(default=None, max_length=200)  # BT-13
    note: str | None = Field(default=None, sa_type=Text)  # BT-22
    # NO ACTION rather than RESTRICT: refused all the same, but checkable at commit (a test reset).
    corrects_id: int | None = Field(default=None, foreign_key="invoices.id", index=True)
    prepaid: Decimal = Field(
        default=Decimal("0.00"), max_digits=14, decimal_places=2
    )  # BT-113: advance invoices deducted
    net_total: Decimal = Field(default=Decimal("0.00"), max_digits=14, decimal_places=2)
    tax_total: Decimal = Field(default=Decimal("0.00"), max_digits=14, decimal_places=2)
    gross_total: Decimal = Field(default=Decimal("0.00"), max_digits=14, decimal_places=2)
    due_total: Decimal = Field(default=Decimal("0.00"), max_digits=14, decimal_places=2)
    paid_total: Decimal = Field(default=Decimal("0.00"), max_digits=14, decimal_places=2)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    issued_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    issued_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)
    sent_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)
    paid_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)
    cancelled_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)
    # Seller, buyer and every figure as issued: what the files were made from.
    data_snapshot: dict[str, Any] | None = Field(default=None, sa_type=JSON)

    @property
    def type_code(self) -> str:
        return TYPE_CODES[self.kind]


class InvoiceLine(SQLModel, table=True):
    __tablename__ = "invoice_lines"
    id: int = Field(default=None, primary_key=True)
    # None only until the line is added to its invoice.
    invoice_id: int = Field(default=None, foreign_key="invoices.id", ondelete="CASCADE", index=True)
    position: int
    description: str = Field(sa_type=Text)
    quantity: Decimal = Field(max_digits=14, decimal_places=4)
    unit: Unit = Field(sa_type=String(3))
    unit_price: Decimal = Field(max_digits=14, decimal_places=4)
    vat_category: VatCategory = Field(sa_type=String(2))
    vat_rate: Decimal = Field(max_digits=5, decimal_places=2)
    exemption_reason: str | None = Field(default=None, max_length=300)
    net_amount: Decimal = Field(max_digits=14, decimal_places=2)
    basis: Basis | None = Field(default=None, sa_type=String(20))
    basis_id: int | None = None
    basis_sha256: str | None = Field(default=None, max_length=64)
    # What the line bills, once over all invoices (NULL: nothing that could be billed twice, or
    # released when the invoice was taken back or the draft deleted).
    billing_key: str | None = Field(default=None, max_length=120, unique=True)


class InvoiceSeries(SQLModel, table=True):
    """The last number given in a year: the UPDATE that takes the next one holds the row until
    the issuing transaction ends, so numbers are consecutive in the order invoices commit."""

    __tablename__ = "invoice_series"
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_number: int = 0


class InvoiceFile(SQLModel, table=True):
    """The issued files, apart from the invoice so lists never load them."""

    __tablename__ = "invoice_files"
    invoice_id: int = Field(primary_key=True, foreign_key="invoices.id", ondelete="RESTRICT")
    xml: bytes = Field(sa_type=LargeBinary)
    xml_sha256: str = Field(max_length=64)
    pdf: bytes = Field(sa_type=LargeBinary)
    pdf_sha256: str = Field(max_length=64)


# -- API ---------------------------------------------------------------------------------------


# A line, and an invoice, as large as the books hold with room to spare (14 digits, 2 decimals).
LINE_MAX = Decimal("1000000000")
INVOICE_MAX = Decimal("10000000000")
GERMAN_RATES = (Decimal("19"), Decimal("7"))


def _trimmed(value: object) -> object:
    """Text as typed, without the spaces around it; text that shows nothing is nothing."""
    if isinstance(value, str):
        return value.strip() if visible(value) else None
    return value


class LineInput(Strict):
    description: str = Field(min_length=1, max_length=2000)
    quantity: Decimal = Field(gt=0, le=99_999_999, max_digits=14, decimal_places=4)
    unit: Unit = Unit.C62
    unit_price: Decimal = Field(ge=0, le=99_999_999, max_digits=14, decimal_places=4)
    vat_category: VatCategory = VatCategory.S
    vat_rate: Decimal | None = Field(
        default=None, ge=0, le=100, max_digits=5, decimal_places=2, description="%; the engagement's when left out"
    )
    exemption_reason: str | None = Field(
        default=None, max_length=300, description="Why no VAT is charged (categories E and AE)"
    )

    _printable = field_validator("description", "exemption_reason")(refuse_unprintable)

    @model_validator(mode="after")
    def _sane(self) -> LineInput:
        if self.quantity * self.unit_price >= LINE_MAX:
            raise ValueError(f"a line's amount is below {LINE_MAX:,.0f}: quantity × unit_price is more")
        if self.vat_category == VatCategory.S and self.vat_rate is not None and self.vat_rate not in GERMAN_RATES:
            raise ValueError("the standard-rated VAT (category S) is 19 % or 7 %")
        return self


class InvoiceDraft(Strict):
    engagement_id: int = Field(ge=1, le=MAX_ID)
    kind: InvoiceKind = InvoiceKind.invoice
    language: Language | None = Field(default=None, description="The client contact's language when left out")
    format: InvoiceFormat | None = Field(default=None, description="The client's preferred format when left out")
    payment_terms_days: int | None = Field(default=None, ge=0, le=120)
    period_start: date | None = None
    period_end: date | None = None
    buyer_reference: str | None = Field(default=None, max_length=200, description="BT-10; the client's by default")
    order_reference: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=5000)
    lines: list[LineInput] = Field(default_factory=list, max_length=500)

    _trim = field_validator("buyer_reference", "order_reference", "note", mode="before")(_trimmed)
    _printable = field_validator("buyer_reference", "order_reference", "note")(refuse_unprintable)

    @model_validator(mode="after")
    def _period(self) -> InvoiceDraft:
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        if self.kind is InvoiceKind.credit_note:
            raise ValueError("a credit note is made from the invoice it takes back (POST /invoices/{id}/credit-note)")
        return self


class InvoiceChange(Strict):
    """PATCH of a draft: the fields sent replace the draft's; `lines`, when sent, all lines."""

    version: int = Field(ge=1)
    language: Language | None = None
    format: InvoiceFormat | None = None
    payment_terms_days: int | None = Field(default=None, ge=0, le=120)
    period_start: date | None = None
    period_end: date | None = None
    buyer_reference: str | None = Field(default=None, max_length=200)
    order_reference: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=5000)
    lines: list[LineInput] | None = Field(default=None, max_length=500)

    _trim = field_validator("buyer_reference", "order_reference", "note", mode="before")(_trimmed)
    _printable = field_validator("buyer_reference", "order_reference", "note")(refuse_unprintable)

    @model_validator(mode="after")
    def _kept(self) -> InvoiceChange:
        emptied = [
            n
            for n in ("language", "payment_terms_days", "lines")
            if n in self.model_fields_set and getattr(self, n) is None
        ]
        if emptied:
            raise ValueError(f"{', '.join(emptied)} cannot be emptied (leave out what stays as it is)")
        return self


class LineRead(SQLModel):
    position: int
    description: str
    quantity: Decimal
    unit: Unit
    unit_price: Decimal
    vat_category: VatCategory
    vat_rate: Decimal
    exemption_reason: str | None = None
    net_amount: Decimal
    basis: Basis | None = None
    basis_id: int | None = None
    basis_sha256: str | None = None


class InvoiceRead(RowRead):
    engagement_id: int
    client_id: int
    kind: InvoiceKind
    status: InvoiceStatus
    language: Language
    format: InvoiceFormat | None = Field(default=None, description="None on a draft: the client's, taken when issued")
    currency: str
    number: str | None = None
    issue_date: date | None = None
    due_date: date | None = None
    payment_terms_days: int
    period_start: date | None = None
    period_end: date | None = None
    buyer_reference: str | None = None
    order_reference: str | None = None
    note: str | None = None
    corrects_id: int | None = None
    prepaid: Decimal
    net_total: Decimal
    tax_total: Decimal
    gross_total: Decimal
    due_total: Decimal
    paid_total: Decimal
    issued_at: datetime | None = None
    sent_at: datetime | None = None
    paid_at: datetime | None = None
    cancelled_at: datetime | None = None
    lines: list[LineRead] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def type_code(self) -> str:
        return TYPE_CODES[self.kind]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def open_amount(self) -> Decimal:
        """What the client still owes: nothing on a draft, a credit note or a cancelled invoice
        (what was paid on one is to be refunded or set off: `paid_total`)."""
        if self.kind == InvoiceKind.credit_note or self.status not in OWED:
            return Decimal("0.00")
        return self.due_total - self.paid_total


class InvoiceMailing(Row, Delivered, table=True):
    """One mail of an invoice to the client's invoice address: stage 0 is the invoice itself,
    1, 2, 3 the payment reminders. Each exists once (the unique key) and is sent once."""

    __tablename__ = "invoice_mailings"
    __table_args__ = (UniqueConstraint("invoice_id", "stage"),)
    invoice_id: int = Field(foreign_key="invoices.id", ondelete="RESTRICT", index=True)
    stage: int = 0
    email: str = Field(max_length=254)


class MailingRead(SQLModel):
    invoice_id: int
    stage: int
    email: str
    status: str
    sent_at: datetime | None = None
    last_error: str | None = None


class PaymentBase(SQLModel):
    paid_on: date = Field(description="The day the money arrived")
    amount: Decimal = Field(gt=0, le=99_999_999, max_digits=14, decimal_places=2)
    note: str | None = Field(default=None, max_length=500, description="e.g. the bank statement's reference")


class InvoicePayment(Row, PaymentBase, table=True):
    __tablename__ = "invoice_payments"
    invoice_id: int = Field(foreign_key="invoices.id", ondelete="RESTRICT", index=True)
    recorded_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")


class PaymentCreate(PaymentBase, Strict):
    version: int = Field(ge=1, description="The invoice's version you read")


class PaymentRead(PaymentBase, RowRead):
    invoice_id: int


class OpenItemRead(SQLModel):
    invoice_id: int
    number: str
    client_id: int
    client: str
    issue_date: date
    due_date: date | None = None
    gross_total: Decimal
    paid_total: Decimal
    open_amount: Decimal
    days_overdue: int
    reminders_sent: int = Field(description="The last reminder stage mailed (0: none)")
    reminder_due: int = Field(description="The stage the days overdue have reached")
