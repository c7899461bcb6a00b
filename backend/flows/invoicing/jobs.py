"""Queue adapters for invoice mails: one mailing (retried while SMTP fails), the daily
reminders, and a cron that queues mailings still out after their last retry."""

from __future__ import annotations

from typing import Any, cast

from arq import cron
from arq.cron import CronJob
from arq.typing import WorkerCoroutine

from backend.flows.invoicing.models import InvoiceMailing
from backend.flows.invoicing.reminders import plan_reminders
from backend.flows.invoicing.sending import send_mailing
from backend.kernel.config import Settings
from backend.kernel.delivery import requeue_unsent
from backend.kernel.queue import JobContext, retried_on_mail_errors


async def send_invoice_mail(ctx: JobContext, mailing_id: int) -> str:
    work = send_mailing(ctx["session_maker"], ctx["settings"], ctx["mailer"], ctx["ledger"], mailing_id)
    return await retried_on_mail_errors(ctx, work)


async def plan_payment_reminders(ctx: JobContext) -> dict[str, Any]:
    return {"planned": await plan_reminders(ctx["session_maker"], ctx["settings"])}


async def retry_unsent_invoice_mails(ctx: JobContext) -> dict[str, Any]:
    return await requeue_unsent(ctx, InvoiceMailing, "send_invoice_mail", "invoice-mail")


FUNCTIONS = [send_invoice_mail, plan_payment_reminders, retry_unsent_invoice_mails]


def cron_jobs(settings: Settings) -> list[CronJob]:
    reminders = cast(WorkerCoroutine, plan_payment_reminders)
    retry = cast(WorkerCoroutine, retry_unsent_invoice_mails)
    # Reminders in the morning (Europe/Berlin, the worker's clock), once a day; a missed run is
    # made up by the next, which plans every stage reached meanwhile, one per invoice and day.
    return [cron(reminders, hour={8}, minute={15}, unique=True), cron(retry, minute={10, 25, 40, 55}, unique=True)]
