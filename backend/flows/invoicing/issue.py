"""Issuing: a draft becomes a numbered invoice with its XML and PDF, in one transaction.

The series is taken first (numbering.py), then everything is checked (rules.py, then the XML
against the schema), the files are made and stored and the invoice is marked issued; any
failure rolls back all of it, number included. Issuing a credit note that takes back all of
an invoice cancels that invoice and frees what it billed to be billed again.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record
from backend.domains.auth.principals import Actor
from backend.domains.clients.models import Client
from backend.domains.engagements.models import Engagement
from backend.domains.webhooks.models import WebhookEvent
from backend.domains.webhooks.service import emit
from backend.flows.invoicing import files
from backend.flows.invoicing.basis import advances_at_issue, advances_note
from backend.flows.invoicing.codes import DEFAULT_EXEMPTION, TYPE_CODES, InvoiceKind
from backend.flows.invoicing.drafts import draft_for_change, final_of, lines_of, load, priced, totals_columns
from backend.flows.invoicing.layout import say
from backend.flows.invoicing.models import Invoice, InvoiceFile, InvoiceLine, InvoiceStatus
from backend.flows.invoicing.numbering import format_number, take_next
from backend.flows.invoicing.rules import Failed, check
from backend.flows.invoicing.totals import compute
from backend.kernel.config import Settings
from backend.kernel.db import compare_and_set, hold, serialize, utcnow
from backend.kernel.errors import Invalid, VersionConflict
from backend.kernel.formatting import Formatter
from backend.kernel.time import today


def _seller(settings: Settings) -> dict[str, Any]:
    return {
        "name": settings.brand_name,
        "street": settings.brand_street,
        "postal_code": settings.brand_postal_code,
        "city": settings.brand_city,
        "country": settings.brand_country,
        "vat_id": settings.brand_vat_id or None,
        "tax_number": settings.brand_tax_number or None,
        "email": settings.invoice_contact_email,
        "register": settings.brand_register,
        "managing_director": settings.brand_managing_director,
        "contact": {
            "name": settings.invoice_contact_name,
            "phone": settings.invoice_contact_phone,
            "email": settings.invoice_contact_email,
        },
        "bank": {"name": settings.brand_bank_name, "iban": settings.brand_iban, "bic": settings.brand_bic},
    }


def _buyer(client: Client) -> dict[str, Any]:
    return {
        "name": client.name,
        "street": client.street,
        "postal_code": client.postal_code,
        "city": client.city,
        "country": client.country,
        "vat_id": client.vat_id,
        "email": client.invoice_email,
    }


def _line(line: InvoiceLine) -> dict[str, Any]:
    return {
        "position": line.position,
        "description": line.description,
        "quantity": str(line.quantity),
        "unit": line.unit,
        "unit_price": str(line.unit_price),
        "vat_category": line.vat_category,
        "vat_rate": str(line.vat_rate),
        "exemption_reason": line.exemption_reason or DEFAULT_EXEMPTION.get(line.vat_category),
        "net_amount": str(line.net_amount),
        "basis": line.basis,
        "basis_id": line.basis_id,
        "basis_sha256": line.basis_sha256,
    }


def snapshot(
    invoice: Invoice,
    lines: list[InvoiceLine],
    *,
    client: Client,
    engagement: Engagement,
    settings: Settings,
    number: str,
    corrects: Invoice | None,
    advances: list[Invoice] | None = None,
) -> dict[str, Any]:
    """Everything the files say, as plain JSON: stored with the invoice when it is issued."""
    issue_date = today()
    due_date = issue_date + timedelta(days=invoice.payment_terms_days)
    data_lines = [_line(line) for line in lines]
    t = compute(priced(lines), invoice.prepaid)
    fmt, lang = Formatter(invoice.language), invoice.language
    reasons = {ln["vat_category"]: ln["exemption_reason"] for ln in data_lines}
    credit = invoice.kind == InvoiceKind.credit_note
    notes = [{"text": invoice.note}] if invoice.note else []
    notes.append({"subject": "REG", "text": f"{settings.brand_register} · {settings.brand_managing_director}"})
    return {
        "number": number,
        "kind": invoice.kind,
        "type_code": TYPE_CODES[invoice.kind],
        "language": lang,
        "format": invoice.format or client.invoice_format,
        "currency": invoice.currency,
        "issue_date": issue_date.isoformat(),
        "due_date": None if credit else due_date.isoformat(),
        "payment_terms": say(lang, "invoice_credit_terms")
        if credit
        else say(lang, "invoice_payment_terms", date=fmt.date(due_date), days=invoice.payment_terms_days),
        "period": {"start": invoice.period_start.isoformat(), "end": invoice.period_end.isoformat()}
        if invoice.period_start and invoice.period_end
        else None,
        "buyer_reference": invoice.buyer_reference or client.buyer_reference,
        "order_reference": invoice.order_reference,
        "project": {"id": str(engagement.id), "name": engagement.title},
        "notes": notes,
        "seller": _seller(settings),
        "buyer": _buyer(client),
        "corrects": {"number": corrects.number, "issue_date": corrects.issue_date.isoformat()}
        if corrects and corrects.number and corrects.issue_date
        else None,
        "lines": data_lines,
        # § 14 (5) UStG: a final invoice names the advance payments it deducts, with their VAT.
        "advances": [
            {
                "number": a.number,
                "issue_date": a.issue_date.isoformat() if a.issue_date else None,
                "net": str(a.net_total),
                "tax": str(a.tax_total),
                "gross": str(a.gross_total),
            }
            for a in advances or []
        ],
        "totals": {
            "line_total": str(t.line_total),
            "tax_basis": str(t.tax_basis),
            "tax_total": str(t.tax_total),
            "grand_total": str(t.grand_total),
            "prepaid": str(t.prepaid),
            "due": str(t.due),
            "breakdown": [
                {
                    "category": b.category,
                    "rate": str(b.rate),
                    "taxable": str(b.taxable),
                    "tax": str(b.tax),
                    "exemption_reason": reasons.get(b.category),
                }
                for b in t.breakdown
            ],
        },
    }


async def preview(session: AsyncSession, invoice_id: int, settings: Settings) -> bytes:
    """A draft as it would be issued today, marked as a draft instead of a number (not stored)."""
    invoice, lines = await load(session, invoice_id)
    client = await session.get(Client, invoice.client_id)
    engagement = await session.get(Engagement, invoice.engagement_id)
    assert client is not None and engagement is not None  # references in the database
    corrects = await session.get(Invoice, invoice.corrects_id) if invoice.corrects_id else None
    draft_word = say(invoice.language, "draft_number")
    data = snapshot(
        invoice, lines, client=client, engagement=engagement, settings=settings, number=draft_word, corrects=corrects
    )
    return await files.draft_pdf(data)


async def issue(session: AsyncSession, user: Actor, invoice_id: int, version: int, settings: Settings) -> Invoice:
    # The series first: issuers go one at a time from here, and read what those before committed.
    await serialize(session, Invoice, "invoice-series")
    invoice = await draft_for_change(session, invoice_id, version)
    lines = (await lines_of(session, [invoice.id]))[invoice.id]
    client = await session.get(Client, invoice.client_id)
    engagement = await session.get(Engagement, invoice.engagement_id)
    assert client is not None and engagement is not None  # references in the database
    corrects = None
    if invoice.corrects_id:
        # The invoice taken back is held (a payment or its mail at this moment waits) and read anew.
        await hold(session, Invoice, [invoice.corrects_id])
        corrects = await session.get(Invoice, invoice.corrects_id, populate_existing=True)
    advances = await advances_at_issue(session, invoice, lines)
    prepaid = invoice.prepaid if advances is None else sum((a.gross_total for a in advances), Decimal("0.00"))
    if prepaid != invoice.prepaid:
        changed: dict[str, Any] = dict(totals_columns(lines, prepaid))
        if (note := advances_note(invoice.language, advances or [])) != invoice.note and _generated(invoice):
            changed["note"] = note  # the note we wrote names the advances deducted now
        await compare_and_set(session, invoice, changed)
        await session.refresh(invoice)
    year = today().year
    data = snapshot(
        invoice,
        lines,
        client=client,
        engagement=engagement,
        settings=settings,
        number=format_number(year, 0),
        corrects=corrects,
        advances=advances,
    )
    failed = check(data)
    if corrects is not None and corrects.status not in (InvoiceStatus.issued, InvoiceStatus.sent, InvoiceStatus.paid):
        failed.append(
            Failed("BR-55", "corrects_id", f"invoice {corrects.number} is {corrects.status}: nothing to take back")
        )
    elif corrects is not None and await _credited(session, corrects.id) + invoice.gross_total > corrects.gross_total:
        failed.append(
            Failed("BR-55", "corrects_id", f"this would take back more than invoice {corrects.number} stands at")
        )
    elif corrects is not None and corrects.kind == InvoiceKind.advance and (final := await final_of(session, corrects)):
        failed.append(
            Failed(
                "BR-55",
                "corrects_id",
                f"{corrects.number} is deducted by final invoice {final.number}: take that back first",
            )
        )
    if failed:
        raise Invalid(
            f"invoice {invoice_id} cannot be issued: {len(failed)} rule(s) failed",
            errors=[f.as_error() for f in failed],
        )
    sequence = await take_next(session, year)
    data["number"] = number = format_number(year, sequence)
    xml, pdf = await files.make(data)
    issued = {
        "status": InvoiceStatus.issued,
        "number": number,
        "year": year,
        "sequence": sequence,
        "issue_date": today(),
        "due_date": data["due_date"] and today() + timedelta(days=invoice.payment_terms_days),
        "issued_at": utcnow(),
        "issued_by_id": getattr(user, "id", None),
        "data_snapshot": data,
        # What the client's settings made of a draft's open choices is what it was issued as.
        "format": data["format"],
        "buyer_reference": data["buyer_reference"],
    }
    if not await compare_and_set(session, invoice, issued, expect={"status": InvoiceStatus.draft}):
        raise VersionConflict(f"invoice {invoice_id} changed while it was issued: reload it")
    session.add(
        InvoiceFile(invoice_id=invoice.id, xml=xml, xml_sha256=files.sha256(xml), pdf=pdf, pdf_sha256=files.sha256(pdf))
    )
    if corrects is not None:
        await _take_back(session, corrects, invoice)
    await session.flush()
    await session.refresh(invoice)
    await record(
        session,
        actor=user,
        action="issue",
        entity_type="invoice",
        entity_id=invoice.id,
        after={"number": number, "gross_total": str(invoice.gross_total), "pdf_sha256": files.sha256(pdf)},
    )
    await emit(
        session,
        WebhookEvent.invoice_issued,
        {
            "invoice_id": invoice.id,
            "number": number,
            "kind": invoice.kind,
            "engagement_id": invoice.engagement_id,
            "client_id": invoice.client_id,
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "net_total": invoice.net_total,
            "gross_total": invoice.gross_total,
            "currency": invoice.currency,
        },
    )
    return invoice


def _generated(invoice: Invoice) -> bool:
    """Whether a draft's note is the one basis.py wrote about advances (not the team's own)."""
    prefix = say(invoice.language, "note_advances", numbers="\x00").split("\x00")[0]
    return invoice.note is None or invoice.note.startswith(prefix)


async def _take_back(session: AsyncSession, original: Invoice, credit: Invoice) -> None:
    """A credit note for the whole of the invoice's total cancels it and frees its billing keys."""
    credited = await _credited(session, original.id)
    if credited < original.gross_total:
        return
    if not await compare_and_set(session, original, {"status": InvoiceStatus.cancelled, "cancelled_at": utcnow()}):
        raise VersionConflict(f"invoice {original.number} changed while it was taken back: issue the credit note again")
    await session.exec(update(InvoiceLine).where(col(InvoiceLine.invoice_id) == original.id).values(billing_key=None))


async def _credited(session: AsyncSession, invoice_id: int) -> Decimal:
    issued = (InvoiceStatus.issued, InvoiceStatus.sent, InvoiceStatus.paid)
    total = await session.exec(
        select(func.coalesce(func.sum(Invoice.gross_total), 0)).where(
            Invoice.corrects_id == invoice_id, col(Invoice.status).in_(issued)
        )
    )
    return Decimal(str(total.one()))
