"""Queue adapters of the AI-literacy evidence: issuing certificates, their mails. Each is safe
to run twice."""

from __future__ import annotations

from typing import Any, cast

from arq import cron
from arq.cron import CronJob
from arq.typing import WorkerCoroutine

from backend.flows.literacy.certificates import issue
from backend.flows.literacy.mail import send_certificate
from backend.flows.literacy.models import CertificateMail
from backend.kernel.delivery import requeue_unsent
from backend.kernel.queue import JobContext, retried_on_mail_errors


async def issue_certificates(ctx: JobContext, workshop_id: int, language: str) -> dict[str, int]:
    return await issue(ctx["session_maker"], ctx["settings"], ctx["renderer"], workshop_id, language)


async def mail_certificate(ctx: JobContext, mail_id: int) -> str:
    work = send_certificate(ctx["session_maker"], ctx["settings"], ctx["mailer"], ctx["ledger"], mail_id)
    return await retried_on_mail_errors(ctx, work)


async def retry_unsent_certificates(ctx: JobContext) -> dict[str, Any]:
    return await requeue_unsent(ctx, CertificateMail, "mail_certificate", "certificate-mail")


FUNCTIONS = [issue_certificates, mail_certificate, retry_unsent_certificates]


def cron_jobs(settings: Any) -> list[CronJob]:
    mails = cast(WorkerCoroutine, retry_unsent_certificates)
    return [cron(mails, minute={4, 19, 34, 49}, unique=True)]
