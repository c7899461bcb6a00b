"""What the team sees of an engagement's invoicing: its invoices, the fee invoiced and paid
so far, and what could be billed next (the milestones, approved statements and accepted
deliverables no invoice bills yet)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.models import Client
from backend.domains.deliverables.models import Deliverable, DeliverableStatus
from backend.domains.engagements.models import Engagement, EngagementRead, PricingModel
from backend.flows.documents.models import Document
from backend.flows.invoicing.codes import InvoiceKind
from backend.flows.invoicing.models import Invoice, InvoiceLine, InvoiceMailing, InvoicePayment, InvoiceStatus
from backend.flows.invoicing.payments import payments_of
from backend.flows.portal.models import StatementDecision
from backend.kernel.db import select_all

STANDING = (InvoiceStatus.issued, InvoiceStatus.sent, InvoiceStatus.paid)
ZERO = Decimal("0.00")


@dataclass
class Invoicing:
    invoices: list[Invoice]
    fee_net: Decimal | None
    invoiced_net: Decimal = ZERO
    paid: Decimal = ZERO
    open: Decimal = ZERO
    refund: Decimal = ZERO  # paid on invoices taken back since: to refund or set off
    milestones: list[dict[str, Any]] = field(default_factory=list)  # label, percent, billed
    statements: list[Document] = field(default_factory=list)  # approved, not billed
    deliverables: list[Deliverable] = field(default_factory=list)  # accepted, not billed

    @property
    def invoiced_pct(self) -> Decimal | None:
        if not self.fee_net:
            return None
        return (self.invoiced_net / self.fee_net * 100).quantize(Decimal("0.1"))


async def engagement_invoicing(session: AsyncSession, engagement: Engagement) -> Invoicing:
    invoices = await select_all(
        session, Invoice, Invoice.engagement_id == engagement.id, order_by=col(Invoice.id).desc()
    )
    held = (
        await session.exec(
            select(InvoiceLine.billing_key, Invoice.status)
            .join(Invoice, col(Invoice.id) == InvoiceLine.invoice_id)
            .where(Invoice.engagement_id == engagement.id, col(InvoiceLine.billing_key).is_not(None))
        )
    ).all()
    keys = {key for key, _ in held}  # drafts included: they reserve what they bill
    view = Invoicing(invoices=invoices, fee_net=EngagementRead.model_validate(engagement).fee_net)
    standing = [i for i in invoices if i.status in STANDING and i.kind != InvoiceKind.credit_note]
    # A final invoice bills the whole fee: the advance invoices it deducts are inside it.
    final = any(key == f"proposal:{engagement.id}:fee" and status in STANDING for key, status in held)
    for invoice in standing:
        if not (final and invoice.kind == InvoiceKind.advance):
            view.invoiced_net += invoice.net_total
        view.paid += invoice.paid_total
        view.open += invoice.due_total - invoice.paid_total
    for invoice in invoices:
        if invoice.status == InvoiceStatus.cancelled:
            view.paid += invoice.paid_total
            view.refund += invoice.paid_total
    if engagement.pricing_model == PricingModel.fixed_fee:
        schedule = engagement.payment_schedule or []
        view.milestones = [
            {
                "n": n,
                "label": m["label"],
                "percent": Decimal(str(m["percent"])),
                "billed": f"proposal:{engagement.id}:milestone:{n}" in keys
                or (n == len(schedule) and f"proposal:{engagement.id}:fee" in keys),
            }
            for n, m in enumerate(schedule, start=1)
        ]
    approved = await session.exec(
        select(Document)
        .join(StatementDecision, col(StatementDecision.document_id) == Document.id)
        .where(Document.engagement_id == engagement.id, StatementDecision.decision == "approved")
        .order_by(col(Document.period_start))
    )
    view.statements = [d for d in approved if f"statement:{d.id}" not in keys]
    accepted = await select_all(
        session,
        Deliverable,
        Deliverable.engagement_id == engagement.id,
        Deliverable.status == DeliverableStatus.accepted,
        order_by=Deliverable.due_week,
    )
    view.deliverables = [d for d in accepted if f"deliverable:{d.id}" not in keys]
    return view


async def client_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    rows = await session.exec(select(Client.id, Client.name).where(col(Client.id).in_(ids)))
    return dict(rows.all())


@dataclass
class InvoicePage:
    """What an invoice's page shows beside the invoice: what it corrects or is corrected by,
    its payments and its mails."""

    corrects: Invoice | None
    credits: list[Invoice]
    payments: list[InvoicePayment]
    mailings: list[InvoiceMailing]


async def invoice_page(session: AsyncSession, invoice: Invoice) -> InvoicePage:
    return InvoicePage(
        corrects=await session.get(Invoice, invoice.corrects_id) if invoice.corrects_id else None,
        credits=await select_all(session, Invoice, Invoice.corrects_id == invoice.id),
        payments=await payments_of(session, invoice.id),
        mailings=await select_all(
            session, InvoiceMailing, InvoiceMailing.invoice_id == invoice.id, order_by=InvoiceMailing.stage
        ),
    )
