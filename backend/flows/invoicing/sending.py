"""Invoices go to the client's invoice address exactly once, and so do payment reminders.

`POST /invoices/{id}/send` records a mailing (stage 0) in the request's transaction and plans
its job there (the outbox), so a Redis outage loses nothing and a second request sends nothing
more. The job mails the PDF (ZUGFeRD) or the XML (XRechnung) through the digests' delivery
ledger (kernel/delivery.py): a worker killed at any moment neither loses nor doubles the mail.
When the invoice mail went out, the invoice is `sent` and the client sees it in the portal.
Reminders are stages 1 … 3 of the same table, made by the daily job (reminders.py).
"""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record
from backend.domains.auth.principals import Actor
from backend.domains.clients.models import Client, Contact
from backend.flows.invoicing.codes import InvoiceKind
from backend.flows.invoicing.models import Invoice, InvoiceFile, InvoiceMailing, InvoiceStatus
from backend.kernel import i18n
from backend.kernel.config import Settings
from backend.kernel.db import add_unless_taken, compare_and_set, unit_of_work, utcnow
from backend.kernel.delivery import DeliveryStatus, deliver
from backend.kernel.enums import InvoiceFormat
from backend.kernel.errors import Conflict, Invalid, NotFound
from backend.kernel.formatting import Formatter
from backend.kernel.mail import Mailer
from backend.kernel.mail_layout import escape, new_message, p, page
from backend.kernel.outbox import plan
from backend.kernel.queue import SentLedger

ISSUED = (InvoiceStatus.issued, InvoiceStatus.sent, InvoiceStatus.paid)
JOB = "send_invoice_mail"


async def plan_mailing(session: AsyncSession, invoice: Invoice, stage: int, email: str) -> InvoiceMailing | None:
    """The mailing of one stage, planned once: None when it exists already."""
    mailing = await add_unless_taken(session, InvoiceMailing(invoice_id=invoice.id, stage=stage, email=email))
    if mailing is not None:
        # Job ids outlive their rows (a week in the outbox): one of its own, never an id again.
        await plan(session, JOB, mailing.id, job_id=f"invoice-mail:{mailing.id}:{secrets.token_hex(4)}")
    return mailing


async def order_send(session: AsyncSession, user: Actor, invoice_id: int) -> tuple[InvoiceMailing, bool]:
    """The invoice's mail to the client, planned once; (mailing, True) when this call planned it."""
    invoice = await session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound(f"invoice {invoice_id} not found")
    if invoice.status not in ISSUED:
        raise Conflict(f"invoice {invoice_id} is {invoice.status}: only an issued invoice is sent")
    client = await session.get(Client, invoice.client_id)
    assert client is not None  # a reference in the database
    if not client.invoice_email:
        raise Invalid.field(
            "client.invoice_email", f"client {client.name} has no invoice e-mail address: set invoice_email first"
        )
    planned = await plan_mailing(session, invoice, 0, client.invoice_email)
    if planned is None:
        existing = (
            await session.exec(
                select(InvoiceMailing).where(InvoiceMailing.invoice_id == invoice.id, InvoiceMailing.stage == 0)
            )
        ).one()
        return existing, False
    await record(
        session, actor=user, action="send", entity_type="invoice", entity_id=invoice.id, after={"email": planned.email}
    )
    return planned, True


async def send_mailing(
    maker: async_sessionmaker[AsyncSession], settings: Settings, mailer: Mailer, ledger: SentLedger, mailing_id: int
) -> str:
    """Mail one mailing, exactly once; then an invoice mailed is `sent`. Returns what happened."""
    async with maker() as session:
        mailing = await session.get(InvoiceMailing, mailing_id)
        invoice = await session.get(Invoice, mailing.invoice_id) if mailing else None
        stored = (
            (await session.exec(select(InvoiceFile).where(InvoiceFile.invoice_id == invoice.id))).first()
            if invoice
            else None
        )
        portal = (
            invoice is not None
            and (
                await session.exec(
                    select(Contact.id).where(
                        Contact.client_id == invoice.client_id, col(Contact.portal_access).is_(True)
                    )
                )
            ).first()
            is not None
        )
    if mailing is None or invoice is None or stored is None or invoice.data_snapshot is None:
        return "gone"
    if mailing.stage > 0 and (invoice.status != InvoiceStatus.sent or invoice.due_total <= invoice.paid_total):
        return "settled"  # paid or taken back since the reminder was planned: it stays unsent
    outcome = await deliver(
        maker,
        settings,
        ledger,
        mailer,
        mailing,
        "invoice-mail",
        lambda message_id: message(settings, invoice, stored, mailing, message_id, portal),
    )
    if outcome == DeliveryStatus.sent and mailing.stage == 0:
        async with unit_of_work(maker) as session:
            current = await session.get(Invoice, invoice.id)
            if current is not None and current.status == InvoiceStatus.issued:
                await compare_and_set(session, current, {"status": InvoiceStatus.sent, "sent_at": utcnow()})
    return outcome


def message(
    settings: Settings,
    invoice: Invoice,
    stored: InvoiceFile,
    mailing: InvoiceMailing,
    message_id: str,
    portal: bool = False,
) -> EmailMessage:
    data: dict[str, Any] = invoice.data_snapshot or {}
    lang = invoice.language
    fmt = Formatter(lang)

    def say(key: str, **values: object) -> str:
        return i18n.say("invoice_mail", lang, key, **values)

    number, buyer = invoice.number or "", data["buyer"]["name"]
    kind = i18n.say("invoice", lang, f"invoice_kind_{invoice.kind}")
    amount = fmt.money(invoice.due_total - invoice.paid_total, invoice.currency) or ""
    due = fmt.date(invoice.due_date) if invoice.due_date else ""
    if mailing.stage == 0:
        subject = say("subject", kind=kind, number=number, seller=settings.brand_name)
        lines = [say("greeting"), say("body", kind=kind, number=number, amount=amount, due=due)]
        if invoice.kind == InvoiceKind.credit_note:
            lines = [say("greeting"), say("body_credit", number=number, amount=fmt.money(invoice.gross_total) or "")]
    else:
        subject = say(f"reminder_subject_{mailing.stage}", number=number, seller=settings.brand_name)
        lines = [say("greeting"), say(f"reminder_body_{mailing.stage}", number=number, amount=amount, due=due)]
    if invoice.format == InvoiceFormat.xrechnung:
        lines.append(say("xrechnung"))
    if portal:
        lines.append(say("portal", url=settings.link("/portal")))
    lines += [say("closing"), settings.brand_name]
    mail = new_message(
        subject=subject,
        sender_name=settings.brand_name,
        # Replies reach who answers for invoices, not the digests' sender.
        sender=settings.invoice_contact_email or settings.mail_from,
        recipient_name=buyer,
        recipient_email=mailing.email,
        message_id=message_id,
        text="\n\n".join(lines) + "\n",
        html=page(lang, subject, [p(escape(line)) for line in lines]),
    )
    if invoice.format == InvoiceFormat.xrechnung:
        mail.add_attachment(stored.xml, maintype="application", subtype="xml", filename=f"{number}.xml")
    else:
        mail.add_attachment(stored.pdf, maintype="application", subtype="pdf", filename=f"{number}.pdf")
    mail["Content-Language"] = lang
    return mail


def overdue_stage(due: date | None, today: date, days: tuple[int, ...]) -> int:
    """The reminder stage an invoice due on `due` has reached today (0: none yet)."""
    if due is None:
        return 0
    late = (today - due).days
    return sum(1 for d in days if late >= d)


def open_amount(invoice: Invoice) -> Decimal:
    return invoice.due_total - invoice.paid_total
