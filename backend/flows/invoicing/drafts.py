"""Drafts: what the team prepares before an invoice is issued. A draft has no number and can
be changed and deleted freely; its lines' billing keys already reserve what they bill."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import delete as sa_delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record
from backend.domains.auth.principals import Actor
from backend.domains.clients.models import Client, Contact
from backend.domains.engagements.models import Engagement
from backend.flows.invoicing.codes import InvoiceKind, VatCategory
from backend.flows.invoicing.models import (
    INVOICE_MAX,
    LINE_MAX,
    Invoice,
    InvoiceChange,
    InvoiceDraft,
    InvoiceLine,
    InvoiceRead,
    InvoiceStatus,
    LineInput,
    LineRead,
)
from backend.flows.invoicing.totals import Priced, compute, line_net
from backend.kernel.db import compare_and_set, serialize
from backend.kernel.enums import Language
from backend.kernel.errors import Conflict, Invalid, NotFound, VersionConflict


async def lines_of(session: AsyncSession, invoice_ids: Sequence[int]) -> dict[int, list[InvoiceLine]]:
    rows = await session.exec(
        select(InvoiceLine)
        .where(col(InvoiceLine.invoice_id).in_(invoice_ids))
        .order_by(col(InvoiceLine.invoice_id), col(InvoiceLine.position))
    )
    found: dict[int, list[InvoiceLine]] = {i: [] for i in invoice_ids}
    for line in rows:
        found[line.invoice_id].append(line)
    return found


def read(invoice: Invoice, lines: Sequence[InvoiceLine]) -> InvoiceRead:
    return InvoiceRead.model_validate(
        {name: getattr(invoice, name) for name in Invoice.model_fields}
        | {"lines": [LineRead.model_validate(line, from_attributes=True) for line in lines]}
    )


async def load(session: AsyncSession, invoice_id: int) -> tuple[Invoice, list[InvoiceLine]]:
    invoice = await session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound(f"invoice {invoice_id} not found")
    return invoice, (await lines_of(session, [invoice_id]))[invoice_id]


def priced(lines: Sequence[InvoiceLine]) -> list[Priced]:
    return [Priced(ln.quantity, ln.unit_price, ln.vat_category, ln.vat_rate, ln.exemption_reason) for ln in lines]


def totals_columns(lines: Sequence[InvoiceLine], prepaid: Decimal) -> dict[str, Decimal]:
    t = compute(priced(lines), prepaid)
    return {
        "prepaid": t.prepaid,
        "net_total": t.tax_basis,
        "tax_total": t.tax_total,
        "gross_total": t.grand_total,
        "due_total": t.due,
    }


def make_lines(inputs: Sequence[LineInput], engagement: Engagement, *, path: str = "body.lines") -> list[InvoiceLine]:
    made = []
    for i, given in enumerate(inputs):
        category = VatCategory(given.vat_category)
        rate = given.vat_rate
        if rate is None:
            rate = engagement.vat_rate if category is VatCategory.S else Decimal("0")
        if category is VatCategory.S and rate <= 0:
            raise Invalid.field(f"{path}.{i}.vat_rate", "the standard rate (category S) is above 0 %")
        if category is not VatCategory.S and rate != 0:
            raise Invalid.field(f"{path}.{i}.vat_rate", f"category {category} charges no VAT: the rate is 0")
        made.append(
            InvoiceLine(
                position=i + 1,
                description=given.description.strip(),
                quantity=given.quantity,
                unit=given.unit,
                unit_price=given.unit_price,
                vat_category=category,
                vat_rate=rate,
                exemption_reason=(given.exemption_reason or "").strip() or None,
                net_amount=line_net(given.quantity, given.unit_price),
            )
        )
    within_limits(made, path)
    return made


def within_limits(lines: Sequence[InvoiceLine], path: str = "body.lines") -> None:
    """Every line and the invoice as large as the books hold (models.LINE_MAX, INVOICE_MAX),
    whether typed in or made from what was accepted."""
    for i, ln in enumerate(lines):
        if ln.net_amount >= LINE_MAX:
            raise Invalid.field(f"{path}.{i}", f"a line's amount is below {LINE_MAX:,.0f}, not {ln.net_amount:,.2f}")
    total = sum((ln.net_amount * (1 + ln.vat_rate / 100) for ln in lines), Decimal("0"))
    if total >= INVOICE_MAX:
        raise Invalid.field(path, f"an invoice's total is below {INVOICE_MAX:,.0f}: these lines make {total:,.2f}")


async def _engagement(session: AsyncSession, engagement_id: int) -> tuple[Engagement, Client]:
    engagement = await session.get(Engagement, engagement_id)
    if engagement is None:
        raise Invalid.field("body.engagement_id", f"engagement {engagement_id} does not exist")
    client = await session.get(Client, engagement.client_id)
    assert client is not None  # a reference in the database
    return engagement, client


async def client_language(session: AsyncSession, client_id: int) -> Language:
    """The language of the client's contact who signs in to the portal (else any contact's)."""
    contacts = list(
        await session.exec(
            select(Contact)
            .where(Contact.client_id == client_id)
            .order_by(col(Contact.portal_access).desc(), col(Contact.id))
        )
    )
    return Language(contacts[0].language) if contacts else Language.de


async def create(
    session: AsyncSession,
    user: Actor,
    data: InvoiceDraft,
    *,
    lines: list[InvoiceLine] | None = None,
    prepaid: Decimal = Decimal("0"),
) -> tuple[Invoice, list[InvoiceLine]]:
    """A draft from the body's lines, or from `lines` made from a basis (basis.py), less what
    advance invoices asked for (`prepaid`)."""
    engagement, client = await _engagement(session, data.engagement_id)
    if lines is not None:
        within_limits(lines)  # typed lines were checked as they were made
    made = lines if lines is not None else make_lines(data.lines, engagement)
    invoice = Invoice(
        engagement_id=engagement.id,
        client_id=client.id,
        kind=data.kind,
        language=data.language or await client_language(session, client.id),
        format=data.format,
        currency=engagement.currency,
        payment_terms_days=data.payment_terms_days if data.payment_terms_days is not None else 14,
        period_start=data.period_start,
        period_end=data.period_end,
        buyer_reference=data.buyer_reference,
        order_reference=data.order_reference,
        note=data.note,
        created_by_id=getattr(user, "id", None),
    )
    for name, value in totals_columns(made, prepaid).items():
        setattr(invoice, name, value)
    session.add(invoice)
    await session.flush()
    for line in made:
        line.invoice_id = invoice.id
        session.add(line)
    await _flush_claims(session, made)
    await record(
        session, actor=user, action="create", entity_type="invoice", entity_id=invoice.id, after=_audit(invoice, made)
    )
    return invoice, made


async def _flush_claims(session: AsyncSession, lines: Sequence[InvoiceLine]) -> None:
    """Write the lines; a billing key another line holds is a 409 naming what is billed."""
    try:
        await session.flush()
    except IntegrityError:
        keys = [ln.billing_key for ln in lines if ln.billing_key]
        raise Conflict(
            "already billed: " + ", ".join(keys) + " (on another invoice; take that one back by a credit note first)",
        ) from None


def _audit(invoice: Invoice, lines: Sequence[InvoiceLine]) -> dict[str, Any]:
    return {
        "status": invoice.status,
        "number": invoice.number,
        "net_total": str(invoice.net_total),
        "gross_total": str(invoice.gross_total),
        "lines": len(lines),
    }


async def draft_for_change(session: AsyncSession, invoice_id: int, version: int) -> Invoice:
    invoice = await session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound(f"invoice {invoice_id} not found")
    if invoice.status != InvoiceStatus.draft:
        raise Conflict(
            f"invoice {invoice.number} is issued and can no longer change: correct it by a credit note",
        )
    if invoice.version != version:
        raise VersionConflict(f"invoice {invoice_id} is at version {invoice.version}, not {version}: reload it")
    return invoice


async def change(session: AsyncSession, user: Actor, invoice_id: int, data: InvoiceChange) -> Invoice:
    invoice = await draft_for_change(session, invoice_id, data.version)
    values = data.model_dump(exclude_unset=True, exclude={"version", "lines"})
    start, end = values.get("period_start", invoice.period_start), values.get("period_end", invoice.period_end)
    if start and end and end < start:
        raise Invalid.field("body.period_end", "the period ends before it starts")
    lines = None
    if data.lines is not None:
        current = (await lines_of(session, [invoice.id]))[invoice.id]
        if invoice.kind == InvoiceKind.credit_note:
            raise Conflict("a credit note repeats the lines of the invoice it takes back: they are not edited")
        if any(ln.basis for ln in current):
            raise Conflict(
                "this draft bills what the client accepted: its lines are made from that, not edited "
                "(delete the draft and make it anew)",
            )
        engagement = await session.get(Engagement, invoice.engagement_id)
        assert engagement is not None
        lines = make_lines(data.lines, engagement)
        values |= totals_columns(lines, invoice.prepaid)
    before = _audit(invoice, [])
    if not await compare_and_set(session, invoice, values, expect={"status": InvoiceStatus.draft}):
        raise VersionConflict(f"invoice {invoice_id} changed meanwhile: reload it")
    if lines is not None:
        await session.exec(sa_delete(InvoiceLine).where(col(InvoiceLine.invoice_id) == invoice.id))
        for line in lines:
            line.invoice_id = invoice.id
            session.add(line)
        await session.flush()
    await session.refresh(invoice)
    await record(
        session,
        actor=user,
        action="update",
        entity_type="invoice",
        entity_id=invoice.id,
        before=before,
        after=_audit(invoice, lines or []),
    )
    return invoice


async def delete(session: AsyncSession, user: Actor, invoice_id: int, version: int | None) -> int:
    """Delete a draft (what its lines reserved is free again); returns its engagement's id."""
    invoice = await session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound(f"invoice {invoice_id} not found")
    if invoice.status != InvoiceStatus.draft:
        raise Conflict(
            f"invoice {invoice.number} is issued: it is never deleted, but taken back by a credit note",
        )
    table = Invoice.__table__  # type: ignore[attr-defined]
    stmt = sa_delete(table).where(table.c.id == invoice_id, table.c.status == InvoiceStatus.draft)
    if version is not None:
        stmt = stmt.where(table.c.version == version)
    if (await session.exec(stmt)).rowcount != 1:
        raise VersionConflict(f"invoice {invoice_id} changed meanwhile: reload it")
    await record(
        session, actor=user, action="delete", entity_type="invoice", entity_id=invoice_id, before={"status": "draft"}
    )
    return invoice.engagement_id


async def credit_note(session: AsyncSession, user: Actor, invoice_id: int) -> tuple[Invoice, list[InvoiceLine]]:
    """A draft credit note (381) repeating every line of an issued invoice: issued, it takes the
    whole invoice back (issue.py cancels it and frees what it billed)."""
    # One credit note draft per invoice, also when asked for at the same moment.
    await serialize(session, Invoice, f"credit-note:{invoice_id}")
    original, lines = await load(session, invoice_id)
    if original.status not in (InvoiceStatus.issued, InvoiceStatus.sent, InvoiceStatus.paid):
        raise Conflict(f"invoice {invoice_id} is {original.status}: only an issued invoice is taken back")
    if original.kind == InvoiceKind.credit_note:
        raise Conflict(f"{original.number} is a credit note itself: draft a new invoice instead")
    if original.kind == InvoiceKind.advance and (final := await final_of(session, original)):
        raise Conflict(f"{original.number} is deducted by the final invoice {final.number}: take that one back first")
    pending = await session.exec(
        select(Invoice.id).where(Invoice.corrects_id == original.id, Invoice.status == InvoiceStatus.draft)
    )
    if (draft_id := pending.first()) is not None:
        raise Conflict(f"credit note draft {draft_id} for {original.number} exists already: issue or delete it")
    credit = Invoice(
        engagement_id=original.engagement_id,
        client_id=original.client_id,
        kind=InvoiceKind.credit_note,
        language=original.language,
        format=original.format,
        currency=original.currency,
        payment_terms_days=0,
        period_start=original.period_start,
        period_end=original.period_end,
        buyer_reference=original.buyer_reference,
        order_reference=original.order_reference,
        corrects_id=original.id,
        prepaid=original.prepaid,
        created_by_id=getattr(user, "id", None),
        net_total=original.net_total,
        tax_total=original.tax_total,
        gross_total=original.gross_total,
        due_total=original.due_total,
    )
    session.add(credit)
    await session.flush()
    copies = [
        InvoiceLine(
            invoice_id=credit.id,
            **{k: getattr(line, k) for k in InvoiceLine.model_fields if k not in ("id", "invoice_id", "billing_key")},
        )
        for line in lines
    ]
    session.add_all(copies)
    await session.flush()
    await record(
        session, actor=user, action="create", entity_type="invoice", entity_id=credit.id, after=_audit(credit, copies)
    )
    return credit, copies


async def final_of(session: AsyncSession, advance: Invoice) -> Invoice | None:
    """The standing final invoice that deducts an advance invoice's engagement's advances, if any."""
    found = await session.exec(
        select(Invoice)
        .join(InvoiceLine, col(InvoiceLine.invoice_id) == Invoice.id)
        .where(
            InvoiceLine.billing_key == f"proposal:{advance.engagement_id}:fee",
            col(Invoice.status).in_((InvoiceStatus.issued, InvoiceStatus.sent, InvoiceStatus.paid)),
        )
    )
    return found.first()
