"""Payments received against issued invoices: several partial payments add up; the invoice is
`paid` once nothing is open, and open again if a payment recorded by mistake is removed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record
from backend.domains.auth.principals import Actor
from backend.domains.clients.models import Client
from backend.flows.invoicing.codes import InvoiceKind
from backend.flows.invoicing.models import Invoice, InvoiceMailing, InvoicePayment, InvoiceStatus, PaymentCreate
from backend.flows.invoicing.sending import overdue_stage
from backend.kernel.config import Settings
from backend.kernel.db import compare_and_set, utcnow
from backend.kernel.delivery import DeliveryStatus
from backend.kernel.errors import Conflict, Invalid, NotFound, VersionConflict
from backend.kernel.time import today

PAYABLE = (InvoiceStatus.issued, InvoiceStatus.sent, InvoiceStatus.paid)


async def _payable(session: AsyncSession, invoice_id: int, also: tuple[InvoiceStatus, ...] = ()) -> Invoice:
    invoice = await session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound(f"invoice {invoice_id} not found")
    if invoice.kind == InvoiceKind.credit_note:
        raise Conflict(f"{invoice.number or invoice_id} is a credit note: the client is paid, it pays nothing")
    if invoice.status not in PAYABLE + also:
        raise Conflict(f"invoice {invoice.number or invoice_id} is {invoice.status}: nothing to pay")
    return invoice


def _status_after(invoice: Invoice, paid: Decimal) -> dict[str, object]:
    if paid >= invoice.due_total:
        return {"paid_total": paid, "status": InvoiceStatus.paid, "paid_at": invoice.paid_at or utcnow()}
    back = InvoiceStatus.sent if invoice.sent_at else InvoiceStatus.issued
    return {"paid_total": paid, "status": back, "paid_at": None}


async def add_payment(session: AsyncSession, user: Actor, invoice_id: int, data: PaymentCreate) -> InvoicePayment:
    invoice = await _payable(session, invoice_id)
    if invoice.version != data.version:
        raise VersionConflict(f"invoice {invoice_id} is at version {invoice.version}, not {data.version}: reload it")
    open_now = invoice.due_total - invoice.paid_total
    if data.amount > open_now:
        raise Invalid.field(
            "body.amount", f"{open_now} is open on {invoice.number}: a payment of {data.amount} is more"
        )
    if invoice.issue_date and data.paid_on < invoice.issue_date:
        raise Invalid.field("body.paid_on", f"{invoice.number} was issued on {invoice.issue_date}: paid before that?")
    if data.paid_on > today():
        raise Invalid.field("body.paid_on", "a payment is recorded when it arrived, not ahead")
    # The version read is the condition of the write: two payments at once cannot both see the
    # same open amount and together pay more than it.
    if not await compare_and_set(session, invoice, _status_after(invoice, invoice.paid_total + data.amount)):
        raise VersionConflict(f"invoice {invoice_id} changed meanwhile: reload it")
    payment = InvoicePayment(
        invoice_id=invoice.id,
        paid_on=data.paid_on,
        amount=data.amount,
        note=data.note,
        recorded_by_id=getattr(user, "id", None),
    )
    session.add(payment)
    await session.flush()
    await record(
        session,
        actor=user,
        action="payment",
        entity_type="invoice",
        entity_id=invoice.id,
        after={"amount": str(data.amount), "paid_on": str(data.paid_on)},
    )
    return payment


async def remove_payment(session: AsyncSession, user: Actor, invoice_id: int, payment_id: int) -> None:
    # Also on an invoice taken back since: a payment recorded by mistake is no refund owed.
    invoice = await _payable(session, invoice_id, also=(InvoiceStatus.cancelled,))
    payment = await session.get(InvoicePayment, payment_id)
    if payment is None or payment.invoice_id != invoice.id:
        raise NotFound(f"invoice {invoice_id} has no payment {payment_id}")
    await session.delete(payment)
    await session.flush()
    paid = (
        await session.exec(
            select(func.coalesce(func.sum(InvoicePayment.amount), 0)).where(InvoicePayment.invoice_id == invoice.id)
        )
    ).one()
    kept = {"paid_total": Decimal(str(paid))} if invoice.status == InvoiceStatus.cancelled else None
    if not await compare_and_set(session, invoice, kept or _status_after(invoice, Decimal(str(paid)))):
        raise VersionConflict(f"invoice {invoice_id} changed meanwhile: try again")
    await record(
        session,
        actor=user,
        action="payment_removed",
        entity_type="invoice",
        entity_id=invoice.id,
        before={"amount": str(payment.amount), "paid_on": str(payment.paid_on)},
    )


async def payments_of(session: AsyncSession, invoice_id: int) -> list[InvoicePayment]:
    rows = await session.exec(
        select(InvoicePayment).where(InvoicePayment.invoice_id == invoice_id).order_by(col(InvoicePayment.paid_on))
    )
    return list(rows)


@dataclass(frozen=True)
class OpenItem:
    invoice_id: int
    number: str
    client_id: int
    client: str
    issue_date: date
    due_date: date | None
    gross_total: Decimal
    paid_total: Decimal
    open_amount: Decimal
    days_overdue: int
    reminders_sent: int  # the last reminder stage mailed (0: none)
    reminder_due: int  # the stage the days overdue have reached


async def open_items(session: AsyncSession, settings: Settings) -> list[OpenItem]:
    """Issued invoices with money open, the longest overdue first (Offene-Posten-Liste), with
    the last reminder stage mailed."""
    rows = await session.exec(
        select(Invoice, Client.name, func.coalesce(func.max(InvoiceMailing.stage), 0))
        .join(Client, col(Client.id) == Invoice.client_id)
        .outerjoin(
            InvoiceMailing,
            (col(InvoiceMailing.invoice_id) == Invoice.id) & (col(InvoiceMailing.status) == DeliveryStatus.sent),
        )
        .where(
            col(Invoice.status).in_((InvoiceStatus.issued, InvoiceStatus.sent)),
            Invoice.kind != InvoiceKind.credit_note,
            col(Invoice.due_total) > col(Invoice.paid_total),
        )
        .group_by(col(Invoice.id), col(Client.name))
        .order_by(col(Invoice.due_date), col(Invoice.id))
    )
    now = today()
    return [
        OpenItem(
            invoice_id=inv.id,
            number=inv.number or "",
            client_id=inv.client_id,
            client=name,
            issue_date=inv.issue_date or now,
            due_date=inv.due_date,
            gross_total=inv.gross_total,
            paid_total=inv.paid_total,
            open_amount=inv.due_total - inv.paid_total,
            days_overdue=max((now - inv.due_date).days, 0) if inv.due_date else 0,
            reminders_sent=stage,
            reminder_due=overdue_stage(inv.due_date, now, settings.reminder_days),
        )
        for inv, name, stage in rows.all()
    ]
