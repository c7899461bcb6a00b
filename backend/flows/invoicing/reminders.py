"""Payment reminders (Zahlungserinnerung, then two Mahnungen): a daily job plans, for every sent
invoice still open, the next stage it has reached, one stage at a time; each stage exists once
per invoice (the mailing's unique key), so the job can run any number of times."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.models import Client
from backend.flows.invoicing.codes import InvoiceKind
from backend.flows.invoicing.models import Invoice, InvoiceMailing, InvoiceStatus
from backend.flows.invoicing.sending import overdue_stage, plan_mailing
from backend.kernel.config import Settings
from backend.kernel.db import unit_of_work
from backend.kernel.time import BERLIN, today


async def plan_reminders(maker: async_sessionmaker[AsyncSession], settings: Settings) -> int:
    """Plan today's reminders; returns how many."""
    days = settings.reminder_days
    if not days:
        return 0
    now = today()
    planned = 0
    async with unit_of_work(maker) as session:
        reached = await session.exec(
            select(
                Invoice,
                func.coalesce(func.max(InvoiceMailing.stage), 0),
                func.max(InvoiceMailing.created_at).filter(col(InvoiceMailing.stage) > 0),
                Client.invoice_email,
            )
            .join(Client, col(Client.id) == Invoice.client_id)
            .outerjoin(InvoiceMailing, col(InvoiceMailing.invoice_id) == Invoice.id)
            .where(
                Invoice.status == InvoiceStatus.sent,
                Invoice.kind != InvoiceKind.credit_note,
                col(Invoice.due_total) > col(Invoice.paid_total),
                col(Invoice.due_date) <= now.fromordinal(now.toordinal() - days[0]),
            )
            .group_by(col(Invoice.id), col(Client.invoice_email))
        )
        for invoice, last_stage, last_mailed, email in reached.all():
            stage = last_stage + 1
            # One stage per invoice and day: a late run does not send all stages at once.
            mailed_today = last_mailed is not None and last_mailed.astimezone(BERLIN).date() >= now
            if stage <= overdue_stage(invoice.due_date, now, days) and email and not mailed_today:
                planned += await plan_mailing(session, invoice, stage, email) is not None
    return planned
