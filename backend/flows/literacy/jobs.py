"""Queue adapters of the AI-literacy evidence: issuing certificates, their mails. Each is safe
to run twice."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from arq import cron
from arq.cron import CronJob
from arq.typing import WorkerCoroutine

from backend.flows.literacy.certificates import issue
from backend.flows.literacy.guideline_mail import send_invitation
from backend.flows.literacy.mail import send_certificate
from backend.flows.literacy.models import CertificateMail, GuidelineInvitation, LiteracyReminder
from backend.flows.literacy.reminders import plan_reminders, send_reminder
from backend.kernel.delivery import requeue_unsent
from backend.kernel.queue import JobContext, retried_on_mail_errors
from backend.kernel.time import today


async def issue_certificates(ctx: JobContext, workshop_id: int, language: str) -> dict[str, int]:
    return await issue(ctx["session_maker"], ctx["settings"], ctx["renderer"], workshop_id, language)


async def mail_certificate(ctx: JobContext, mail_id: int) -> str:
    work = send_certificate(ctx["session_maker"], ctx["settings"], ctx["mailer"], ctx["ledger"], mail_id)
    return await retried_on_mail_errors(ctx, work)


async def retry_unsent_certificates(ctx: JobContext) -> dict[str, Any]:
    return await requeue_unsent(ctx, CertificateMail, "mail_certificate", "certificate-mail")


async def mail_guideline_invitation(ctx: JobContext, row_id: int) -> str:
    work = send_invitation(ctx["session_maker"], ctx["settings"], ctx["mailer"], ctx["ledger"], row_id)
    return await retried_on_mail_errors(ctx, work)


async def retry_unsent_guideline_invitations(ctx: JobContext) -> dict[str, Any]:
    return await requeue_unsent(ctx, GuidelineInvitation, "mail_guideline_invitation", "guideline-invitation")


async def plan_literacy_reminders(ctx: JobContext, day: date | None = None) -> dict[str, int]:
    return await plan_reminders(ctx["session_maker"], ctx["settings"], day or today())


async def mail_literacy_reminder(ctx: JobContext, row_id: int) -> str:
    work = send_reminder(ctx["session_maker"], ctx["settings"], ctx["mailer"], ctx["ledger"], row_id)
    return await retried_on_mail_errors(ctx, work)


async def retry_unsent_literacy_reminders(ctx: JobContext) -> dict[str, Any]:
    return await requeue_unsent(ctx, LiteracyReminder, "mail_literacy_reminder", "literacy-reminder")


FUNCTIONS = [
    plan_literacy_reminders,
    mail_literacy_reminder,
    retry_unsent_literacy_reminders,
    issue_certificates,
    mail_certificate,
    retry_unsent_certificates,
    mail_guideline_invitation,
    retry_unsent_guideline_invitations,
]


def cron_jobs(settings: Any) -> list[CronJob]:
    mails = cast(WorkerCoroutine, retry_unsent_certificates)
    invitations = cast(WorkerCoroutine, retry_unsent_guideline_invitations)
    reminders = cast(WorkerCoroutine, plan_literacy_reminders)
    unsent = cast(WorkerCoroutine, retry_unsent_literacy_reminders)
    return [
        cron(mails, minute={4, 19, 34, 49}, unique=True),
        cron(invitations, minute={11, 41}, unique=True),
        # Each morning (Europe/Berlin); a client is reminded once a month, on the first day someone is due.
        cron(reminders, hour={7}, minute={20}, unique=True),
        cron(unsent, minute={26, 56}, unique=True),
    ]
