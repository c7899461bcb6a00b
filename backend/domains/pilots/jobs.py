"""Queue adapters of the pilots domain: timing rounds past their last day end each night
(released with enough people, else lapsed, their times deleted); after go-live the checkpoints
are made each morning and their mails, like the slip alerts', sent exactly once with retries."""

from __future__ import annotations

from typing import Any, cast

from arq import cron
from arq.cron import CronJob
from arq.typing import WorkerCoroutine

from backend.domains.pilots.aftercare import CHECKPOINT_JOB, SLIP_JOB, plan_checkpoints
from backend.domains.pilots.aftercare_mail import send_checkpoint, send_slip_alert
from backend.domains.pilots.aftercare_models import Checkpoint, SlipAlert
from backend.domains.pilots.timing import end_due
from backend.kernel.config import Settings
from backend.kernel.db import unit_of_work, utcnow
from backend.kernel.delivery import requeue_unsent
from backend.kernel.queue import JobContext, retried_on_mail_errors
from backend.kernel.time import today


async def end_timing_rounds(ctx: JobContext) -> dict[str, Any]:
    async with unit_of_work(ctx["session_maker"]) as session:
        return await end_due(session, today(), utcnow())


async def plan_checkpoints_daily(ctx: JobContext) -> dict[str, Any]:
    async with unit_of_work(ctx["session_maker"]) as session:
        made = await plan_checkpoints(session, today())
    return {"checkpoints": len(made)}


async def mail_checkpoint(ctx: JobContext, checkpoint_id: int) -> str:
    work = send_checkpoint(ctx["session_maker"], ctx["settings"], ctx["mailer"], ctx["ledger"], checkpoint_id)
    return await retried_on_mail_errors(ctx, work)


async def mail_slip_alert(ctx: JobContext, alert_id: int) -> str:
    work = send_slip_alert(ctx["session_maker"], ctx["settings"], ctx["mailer"], ctx["ledger"], alert_id)
    return await retried_on_mail_errors(ctx, work)


async def retry_unsent_checkpoints(ctx: JobContext) -> dict[str, Any]:
    return await requeue_unsent(ctx, Checkpoint, CHECKPOINT_JOB, "checkpoint")


async def retry_unsent_slip_alerts(ctx: JobContext) -> dict[str, Any]:
    return await requeue_unsent(ctx, SlipAlert, SLIP_JOB, "slip-alert")


FUNCTIONS = [
    end_timing_rounds,
    plan_checkpoints_daily,
    mail_checkpoint,
    mail_slip_alert,
    retry_unsent_checkpoints,
    retry_unsent_slip_alerts,
]


def cron_jobs(settings: Settings) -> list[CronJob]:
    def job(fn: Any) -> WorkerCoroutine:
        return cast(WorkerCoroutine, fn)

    return [
        # 00:20 Europe/Berlin: a round's last day has fully passed.
        cron(job(end_timing_rounds), hour={0}, minute={20}, unique=True),
        # 07:30: the requests arrive with the working day.
        cron(job(plan_checkpoints_daily), hour={7}, minute={30}, unique=True),
        cron(job(retry_unsent_checkpoints), minute={8, 38}, unique=True),
        cron(job(retry_unsent_slip_alerts), minute={9, 39}, unique=True),
    ]
