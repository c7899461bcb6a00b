"""Drafts made from what the client accepted: the accepted proposal's fixed fee (whole, or one
milestone of its payment schedule), an approved time statement (day rate), or a signed-off
deliverable. Each line names its evidence (the document or record and its SHA-256) and holds a
billing key unique over all invoice lines, so nothing is billed twice, also by two requests at
once: the second gets 409. Drafts of one engagement are made one after the other (the checks
between milestones read what the one before committed).
"""

from __future__ import annotations

import hashlib
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import Field, model_validator
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.principals import Actor
from backend.domains.deliverables.models import Deliverable, DeliverableStatus
from backend.domains.engagements.models import Engagement, EngagementRead, PricingModel
from backend.domains.timesheets.models import TimeEntry
from backend.flows.documents.data import say as say_document
from backend.flows.documents.data import schedule_terms
from backend.flows.documents.models import Document, DocumentKind
from backend.flows.invoicing import drafts
from backend.flows.invoicing.codes import InvoiceKind, Unit, VatCategory
from backend.flows.invoicing.layout import say
from backend.flows.invoicing.models import GERMAN_RATES, Basis, Invoice, InvoiceDraft, InvoiceLine, InvoiceStatus
from backend.flows.invoicing.totals import cents, line_net
from backend.flows.portal.decisions import acceptance_of
from backend.flows.portal.models import StatementDecision
from backend.kernel.db import serialize
from backend.kernel.enums import InvoiceFormat, Language
from backend.kernel.errors import Conflict, Invalid
from backend.kernel.formatting import Formatter
from backend.kernel.schema import MAX_ID, Strict
from backend.kernel.time import BERLIN, today

ISSUED = (InvoiceStatus.issued, InvoiceStatus.sent, InvoiceStatus.paid)


class BasisRequest(Strict):
    engagement_id: int = Field(ge=1, le=MAX_ID)
    basis: Basis
    milestone: int | None = Field(
        default=None, ge=1, le=6, description="proposal: the payment schedule's milestone (1 = first)"
    )
    statement_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="statement: the approved version")
    deliverable_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="deliverable: the accepted one")
    amount: Decimal | None = Field(
        default=None, gt=0, le=99_999_999, max_digits=14, decimal_places=2, description="deliverable: its net price"
    )
    language: Language | None = None
    format: InvoiceFormat | None = None

    @model_validator(mode="after")
    def _what(self) -> BasisRequest:
        needed = {Basis.statement: "statement_id", Basis.deliverable: "deliverable_id"}.get(self.basis)
        if needed and getattr(self, needed) is None:
            raise ValueError(f"{needed} is required for basis {self.basis}")
        if self.basis is Basis.deliverable and self.amount is None:
            raise ValueError("amount (the deliverable's net price) is required for basis deliverable")
        return self


def _line(
    description: str, quantity: Decimal, unit: Unit, price: Decimal, engagement: Engagement, **basis: Any
) -> InvoiceLine:
    return InvoiceLine(
        position=1,
        description=description,
        quantity=quantity,
        unit=unit,
        unit_price=price,
        vat_category=VatCategory.S,
        vat_rate=engagement.vat_rate,
        net_amount=line_net(quantity, price),
        **basis,
    )


async def from_basis(session: AsyncSession, user: Actor, data: BasisRequest) -> tuple[Invoice, list[InvoiceLine]]:
    engagement = await session.get(Engagement, data.engagement_id)
    if engagement is None:
        raise Invalid.field("body.engagement_id", f"engagement {data.engagement_id} does not exist")
    await serialize(session, Invoice, f"billing:{engagement.id}")
    lang = data.language or await drafts.client_language(session, engagement.client_id)
    make = {Basis.proposal: _proposal, Basis.statement: _statement, Basis.deliverable: _deliverable}[data.basis]
    kind, lines, extra = await make(session, engagement, data, lang)
    read = EngagementRead.model_validate(engagement)
    draft = InvoiceDraft(
        engagement_id=engagement.id,
        kind=kind,
        language=lang,
        format=data.format,
        period_start=extra.get("period_start", engagement.start_date),
        period_end=extra.get("period_end", read.end_date),
        note=extra.get("note"),
    )
    invoice, made = await drafts.create(session, user, draft, lines=lines, prepaid=extra.get("prepaid", Decimal("0")))
    return invoice, made


async def _taken(session: AsyncSession, key: str) -> Invoice | None:
    found = await session.exec(
        select(Invoice)
        .join(InvoiceLine, col(InvoiceLine.invoice_id) == Invoice.id)
        .where(InvoiceLine.billing_key == key)
    )
    return found.first()


def _as_accepted(proposal: Document, engagement: Engagement) -> None:
    """The engagement still prices its work as the proposal the client accepted: the same
    pricing model and VAT rate (the fee, day rate and schedule are checked where billed)."""
    pricing = (proposal.data_snapshot or {}).get("proposal", {}).get("pricing", {})
    if pricing.get("model") != engagement.pricing_model:
        raise Conflict(
            f"the client accepted {pricing.get('model')} pricing, the engagement is priced by "
            f"{engagement.pricing_model} now: have the new pricing accepted first"
        )
    rate = f"{Formatter(proposal.language).number(engagement.vat_rate, trim=True)} %"
    if pricing.get("vat_rate") != rate:
        raise Conflict(f"the VAT rate changed after the client accepted the proposal ({pricing.get('vat_rate')} then)")
    if engagement.vat_rate not in GERMAN_RATES:
        raise Conflict(f"{engagement.vat_rate} % is no German VAT rate (19 % or 7 %): correct the engagement first")


async def _proposal(
    session: AsyncSession, engagement: Engagement, data: BasisRequest, lang: str
) -> tuple[InvoiceKind, list[InvoiceLine], dict[str, Any]]:
    if engagement.pricing_model != PricingModel.fixed_fee or engagement.fixed_fee is None:
        raise Conflict("a day-rate engagement is billed by its approved time statements (basis statement)")
    acceptance = await acceptance_of(session, engagement.id)
    if acceptance is None:
        raise Conflict(f"the client has not accepted a proposal for engagement {engagement.id}: nothing to bill yet")
    proposal = await session.get(Document, acceptance.document_id)
    assert proposal is not None and proposal.data_snapshot is not None  # kept while accepted (RESTRICT)
    _as_accepted(proposal, engagement)
    fmt = Formatter(proposal.language)
    if acceptance.currency is not None and acceptance.currency != engagement.currency:
        raise Conflict(
            f"the client accepted the fee in {acceptance.currency}, the engagement is in {engagement.currency} "
            "now: have the new currency accepted first"
        )
    # The fee the client agreed to: recorded with the acceptance (with the options it chose), or,
    # for acceptances from before, the version's total.
    accepted_fee = (
        fmt.money(acceptance.fee_net, engagement.currency)
        if acceptance.fee_net is not None
        else proposal.data_snapshot["proposal"]["pricing"]["net"]
    )
    if accepted_fee != fmt.money(engagement.fixed_fee, engagement.currency):
        raise Conflict(
            f"the fee changed after the client accepted the proposal ({accepted_fee} accepted, "
            f"{fmt.money(engagement.fixed_fee, engagement.currency)} now): have the new fee accepted first"
        )
    accepted_terms = proposal.data_snapshot["proposal"].get("terms", [])
    prefix = say_document(proposal.language, "term_schedule", plan="\x00").split("\x00")[0]
    if [t for t in accepted_terms if t.startswith(prefix)] != schedule_terms(engagement, proposal.language):
        raise Conflict(
            "the payment schedule changed after the client accepted the proposal: have the new schedule accepted first"
        )
    number = proposal.data_snapshot["document"]["number"]
    evidence = {"basis": Basis.proposal, "basis_id": proposal.id, "basis_sha256": acceptance.document_sha256}
    schedule = engagement.payment_schedule or []
    fee = engagement.fixed_fee
    if schedule and data.milestone is None:
        raise Invalid.field(
            "body.milestone", f"the fee is paid in {len(schedule)} milestones: name one (1 … {len(schedule)})"
        )
    if data.milestone is not None and data.milestone > max(len(schedule), 1):
        raise Invalid.field("body.milestone", f"the payment schedule has {len(schedule)} milestone(s)")
    final_key = f"proposal:{engagement.id}:fee"
    if (billed := await _taken(session, final_key)) is not None:
        raise Conflict(f"the fee was billed in full already (invoice {billed.number or billed.id})")
    if schedule and data.milestone is not None and data.milestone < len(schedule):
        milestone = schedule[data.milestone - 1]
        percent = Decimal(str(milestone["percent"]))
        text = say(
            lang, "line_advance", percent=fmt.number(percent, trim=True), label=milestone["label"], number=number
        )
        line = _line(text, Decimal(1), Unit.C62, cents(fee * percent / 100), engagement, **evidence)
        line.billing_key = f"proposal:{engagement.id}:milestone:{data.milestone}"
        return InvoiceKind.advance, [line], {}
    # The final invoice: the whole fee, less what the advance invoices asked for (BT-113).
    advances = []
    for n in range(1, len(schedule)):
        advance = await _taken(session, f"proposal:{engagement.id}:milestone:{n}")
        if advance is None or advance.status not in ISSUED:
            raise Conflict(f"milestone {n} ({schedule[n - 1]['label']}) is not invoiced yet: bill and issue it first")
        advances.append(advance)
    line = _line(
        say(lang, "line_fee", title=engagement.title, number=number), Decimal(1), Unit.C62, fee, engagement, **evidence
    )
    line.billing_key = final_key
    prepaid = sum((a.gross_total for a in advances), Decimal("0"))
    note = advances_note(lang, advances)
    # What the final invoice bills was rendered by now: its period ends today at the latest. A fee
    # billed in full before the work starts (no schedule) states the agreed period.
    planned = EngagementRead.model_validate(engagement).end_date
    end = min(planned, today()) if today() >= engagement.start_date else planned
    return InvoiceKind.invoice, [line], {"prepaid": prepaid, "note": note, "period_end": end}


async def _statement(
    session: AsyncSession, engagement: Engagement, data: BasisRequest, lang: str
) -> tuple[InvoiceKind, list[InvoiceLine], dict[str, Any]]:
    if engagement.pricing_model != PricingModel.day_rate or engagement.day_rate is None:
        raise Conflict("a fixed-fee engagement is billed by its proposal's fee (basis proposal), not by its time")
    await _accepted_day_rate(session, engagement)
    document = await session.get(Document, data.statement_id)
    if document is None or document.engagement_id != engagement.id or document.kind != DocumentKind.time_statement:
        raise Invalid.field(
            "body.statement_id", f"engagement {engagement.id} has no time statement {data.statement_id}"
        )
    decision = (
        await session.exec(select(StatementDecision).where(StatementDecision.document_id == document.id))
    ).first()
    if decision is None or decision.decision != "approved":
        raise Conflict(f"the client has not approved time statement {data.statement_id}: nothing to bill yet")
    minutes = int(
        (
            await session.exec(
                select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(
                    TimeEntry.statement_id == document.id, col(TimeEntry.billable).is_(True)
                )
            )
        ).one()
    )
    if minutes <= 0:
        raise Conflict(f"time statement {data.statement_id} approved no billable time")
    # Days as the statement the client approved counted them (its hours per day).
    stated = (document.data_snapshot or {}).get("statement", {}).get("hours_per_day")
    if stated != Formatter(document.language).number(engagement.hours_per_day, trim=True):
        raise Conflict(
            f"the statement counted days of {stated} hours, the engagement {engagement.hours_per_day} now: "
            "bill it with the hours per day it was approved with, or have a new statement approved"
        )
    hours = Decimal(minutes) / 60
    days = (hours / engagement.hours_per_day).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    fmt = Formatter(lang)
    number = (document.data_snapshot or {}).get("document", {}).get("number", str(document.id))
    text = say(lang, "line_statement", number=number, hours=fmt.number(hours, trim=True), title=engagement.title)
    line = _line(
        text,
        days,
        Unit.DAY,
        engagement.day_rate,
        engagement,
        basis=Basis.statement,
        basis_id=document.id,
        basis_sha256=decision.document_sha256,
    )
    line.billing_key = f"statement:{document.id}"
    # Time is recorded up to today: a statement of the running month was rendered until now.
    end = min(document.period_end, today()) if document.period_end else today()
    return InvoiceKind.invoice, [line], {"period_start": document.period_start, "period_end": end}


async def _accepted_day_rate(session: AsyncSession, engagement: Engagement) -> None:
    """Time is billed at the day rate the client accepted with the proposal, and only that."""
    acceptance = await acceptance_of(session, engagement.id)
    proposal = await session.get(Document, acceptance.document_id) if acceptance else None
    if proposal is None or proposal.data_snapshot is None:
        raise Conflict(f"the client has not accepted a proposal for engagement {engagement.id}: no day rate agreed")
    _as_accepted(proposal, engagement)
    lines = proposal.data_snapshot["proposal"]["pricing"].get("lines") or [{}]
    accepted = lines[0].get("unit_price")
    now = Formatter(proposal.language).money(engagement.day_rate, engagement.currency)
    if accepted != now:
        raise Conflict(f"the day rate changed after the client accepted the proposal ({accepted} accepted, {now} now)")


def _sign_off_sha256(deliverable: Deliverable) -> str:
    """The accepted deliverable as the record of its sign-off (until deliverables carry files)."""
    record = {
        "deliverable": deliverable.id,
        "title": deliverable.title,
        "signed_off_by_contact": deliverable.signed_off_by_contact_id,
        "signed_off_at": deliverable.signed_off_at.isoformat() if deliverable.signed_off_at else None,
    }
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


async def _deliverable(
    session: AsyncSession, engagement: Engagement, data: BasisRequest, lang: str
) -> tuple[InvoiceKind, list[InvoiceLine], dict[str, Any]]:
    deliverable = await session.get(Deliverable, data.deliverable_id)
    if deliverable is None or deliverable.engagement_id != engagement.id:
        raise Invalid.field(
            "body.deliverable_id", f"engagement {engagement.id} has no deliverable {data.deliverable_id}"
        )
    if deliverable.status != DeliverableStatus.accepted:
        raise Conflict(f"deliverable {deliverable.id} is {deliverable.status}: only an accepted one is billed")
    assert data.amount is not None  # the request's own check
    when = Formatter(lang).date(deliverable.signed_off_at.date()) if deliverable.signed_off_at else "—"
    text = say(lang, "line_deliverable", title=deliverable.title, date=when)
    line = _line(
        text,
        Decimal(1),
        Unit.C62,
        data.amount,
        engagement,
        basis=Basis.deliverable,
        basis_id=deliverable.id,
        basis_sha256=_sign_off_sha256(deliverable),
    )
    line.billing_key = f"deliverable:{deliverable.id}"
    # Delivered on the day the client accepted it (the time of supply, § 14 (4) 6 UStG).
    day = deliverable.signed_off_at.astimezone(BERLIN).date() if deliverable.signed_off_at else today()
    return InvoiceKind.partial, [line], {"period_start": day, "period_end": day}


def advances_note(lang: str, advances: list[Invoice]) -> str | None:
    return say(lang, "note_advances", numbers=", ".join(a.number or "" for a in advances)) if advances else None


async def advances_at_issue(session: AsyncSession, invoice: Invoice, lines: list[InvoiceLine]) -> list[Invoice] | None:
    """The advance invoices a final invoice deducts, as they stand when it is issued: those of
    its engagement's milestones that are issued and not taken back (one may have been credited
    since the draft was made). None for any other invoice."""
    if not any(line.billing_key == f"proposal:{invoice.engagement_id}:fee" for line in lines):
        return None
    prefix = f"proposal:{invoice.engagement_id}:milestone:"
    rows = await session.exec(
        select(Invoice)
        .join(InvoiceLine, col(InvoiceLine.invoice_id) == Invoice.id)
        .where(col(InvoiceLine.billing_key).startswith(prefix), col(Invoice.status).in_(ISSUED))
        .order_by(col(Invoice.sequence))
    )
    return list(rows)
