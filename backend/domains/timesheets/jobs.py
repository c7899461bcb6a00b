"""Queue adapters for budget alerts: the mail of one alert (retried with backoff while SMTP
fails), and a cron that queues alerts whose mail is still out (after the last retry)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from arq import Retry, cron
from arq.cron import CronJob
from arq.typing import WorkerCoroutine
from sqlmodel import col, select

from backend.domains.timesheets.alerts import send_alert
from backend.domains.timesheets.models import BurnAlert
from backend.kernel.config import Settings
from backend.kernel.db import utcnow
from backend.kernel.delivery import UNSENT
from backend.kernel.mail import MailError
from backend.kernel.queue import JobContext, backoff_seconds, enqueue, is_last_try

RETRY_WINDOW = timedelta(days=14)


async def send_burn_alert(ctx: JobContext, alert_id: int) -> str:
    try:
        return await send_alert(ctx["session_maker"], ctx["settings"], ctx["mailer"], ctx["ledger"], alert_id)
    except MailError as exc:
        if is_last_try(ctx):
            raise
        raise Retry(defer=backoff_seconds(ctx["job_try"])) from exc


async def retry_unsent_alerts(ctx: JobContext) -> dict[str, Any]:
    stale = utcnow() - timedelta(seconds=ctx["settings"].job_timeout_seconds)
    async with ctx["session_maker"]() as session:
        ids = (
            await session.exec(
                select(BurnAlert.id).where(
                    col(BurnAlert.status).in_(UNSENT),
                    BurnAlert.updated_at < stale,
                    BurnAlert.created_at > utcnow() - RETRY_WINDOW,
                )
            )
        ).all()
    for alert_id in ids:
        await enqueue(
            ctx["redis"], "send_burn_alert", alert_id, job_id=f"burn-alert:{alert_id}:{int(utcnow().timestamp())}"
        )
    return {"requeued": len(ids)}


FUNCTIONS = [send_burn_alert, retry_unsent_alerts]


def cron_jobs(settings: Settings) -> list[CronJob]:
    retry = cast(WorkerCoroutine, retry_unsent_alerts)
    return [cron(retry, minute={5, 20, 35, 50}, unique=True)]
