"""Queue adapters for budget alerts: the mail of one alert (retried with backoff while SMTP
fails), and a cron that queues alerts whose mail is still out (after the last retry)."""

from __future__ import annotations

from typing import Any, cast

from arq import cron
from arq.cron import CronJob
from arq.typing import WorkerCoroutine

from backend.domains.timesheets.alerts import send_alert
from backend.domains.timesheets.models import BurnAlert
from backend.kernel.config import Settings
from backend.kernel.delivery import requeue_unsent
from backend.kernel.queue import JobContext, retried_on_mail_errors


async def send_burn_alert(ctx: JobContext, alert_id: int) -> str:
    work = send_alert(ctx["session_maker"], ctx["settings"], ctx["mailer"], ctx["ledger"], alert_id)
    return await retried_on_mail_errors(ctx, work)


async def retry_unsent_alerts(ctx: JobContext) -> dict[str, Any]:
    return await requeue_unsent(ctx, BurnAlert, "send_burn_alert", "burn-alert")


FUNCTIONS = [send_burn_alert, retry_unsent_alerts]


def cron_jobs(settings: Settings) -> list[CronJob]:
    retry = cast(WorkerCoroutine, retry_unsent_alerts)
    return [cron(retry, minute={5, 20, 35, 50}, unique=True)]
