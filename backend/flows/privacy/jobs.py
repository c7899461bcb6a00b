"""Queue adapters of privacy: each night, every retention policy applied once more (safe to run
twice); the team's mail of a request made in the portal, sent exactly once with retries."""

from __future__ import annotations

from typing import Any, cast

from arq import cron
from arq.cron import CronJob
from arq.typing import WorkerCoroutine

from backend.flows.privacy.models import PrivacyRequestNotice
from backend.flows.privacy.notices import NOTICE_JOB, send_notice
from backend.flows.privacy.retention import apply_retention
from backend.kernel.delivery import requeue_unsent
from backend.kernel.queue import JobContext, retried_on_mail_errors
from backend.kernel.time import today


async def apply_retention_nightly(ctx: JobContext) -> dict[str, Any]:
    report = await apply_retention(ctx["session_maker"], ctx["settings"], today(), dry_run=False)
    return {"rows": report.rows, "day": report.day.isoformat()}


async def mail_privacy_notice(ctx: JobContext, notice_id: int) -> str:
    work = send_notice(ctx["session_maker"], ctx["settings"], ctx["mailer"], ctx["ledger"], notice_id)
    return await retried_on_mail_errors(ctx, work)


async def retry_unsent_privacy_notices(ctx: JobContext) -> dict[str, Any]:
    return await requeue_unsent(ctx, PrivacyRequestNotice, NOTICE_JOB, "privacy-notice")


FUNCTIONS = [apply_retention_nightly, mail_privacy_notice, retry_unsent_privacy_notices]


def cron_jobs(settings: Any) -> list[CronJob]:
    def job(fn: Any) -> WorkerCoroutine:
        return cast(WorkerCoroutine, fn)

    return [
        # 03:40 Europe/Berlin, after the day's mail and before the morning's reminders.
        cron(job(apply_retention_nightly), hour={3}, minute={40}, unique=True),
        cron(job(retry_unsent_privacy_notices), minute={16, 46}, unique=True),
    ]
