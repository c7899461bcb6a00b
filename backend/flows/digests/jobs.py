"""Queue adapters for weekly digests.

The cron only enqueues one job per active engagement (arq runs crons once, without retries);
each job sends that engagement's digest and is retried with backoff while deliveries fail.
A second cron re-enqueues weeks whose deliveries are still unsent, so a long SMTP outage
delays digests but loses none.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from arq import Retry, cron
from arq.cron import CronJob
from arq.typing import WorkerCoroutine
from sqlmodel import col, select

from backend.flows.digests.models import DeliveryStatus, DigestDelivery
from backend.flows.digests.service import active_engagement_ids, digest_job_id, send_digest
from backend.kernel.config import Settings
from backend.kernel.db import utcnow
from backend.kernel.queue import JobContext, backoff_seconds, enqueue, is_last_try
from backend.kernel.time import current_week

RETRY_WINDOW = timedelta(days=28)


async def enqueue_digest(pool: Any, engagement_id: int, iso_week: str, *, once: bool = False) -> str:
    """For the worker's crons; requests plan the job with `plan_digest` instead."""
    job_id = digest_job_id(engagement_id, iso_week, once=once)
    await enqueue(pool, "send_weekly_digest", engagement_id, iso_week, job_id=job_id)
    return job_id


async def send_weekly_digest(ctx: JobContext, engagement_id: int, iso_week: str) -> dict[str, Any]:
    outcome = await send_digest(
        ctx["session_maker"], ctx["settings"], ctx["mailer"], ctx["renderer"], ctx["ledger"], engagement_id, iso_week
    )
    if outcome.failed and not is_last_try(ctx):
        raise Retry(defer=backoff_seconds(ctx["job_try"]))
    return outcome.summary()


async def enqueue_weekly_digests(ctx: JobContext, iso_week: str | None = None) -> dict[str, Any]:
    week = iso_week or current_week()
    async with ctx["session_maker"]() as session:
        ids = await active_engagement_ids(session, week)
    for engagement_id in ids:
        await enqueue_digest(ctx["redis"], engagement_id, week, once=True)
    return {"iso_week": week, "engagements": len(ids)}


async def retry_unsent_digests(ctx: JobContext) -> dict[str, Any]:
    stale = utcnow() - timedelta(seconds=ctx["settings"].job_timeout_seconds)
    async with ctx["session_maker"]() as session:
        rows = (
            await session.exec(
                select(DigestDelivery.engagement_id, DigestDelivery.iso_week)
                .where(
                    col(DigestDelivery.status).in_(
                        [DeliveryStatus.pending, DeliveryStatus.failed, DeliveryStatus.sending]
                    ),
                    DigestDelivery.updated_at < stale,
                    DigestDelivery.created_at > utcnow() - RETRY_WINDOW,
                )
                .distinct()
            )
        ).all()
    for engagement_id, week in rows:
        await enqueue_digest(ctx["redis"], engagement_id, week)
    return {"requeued": len(rows)}


FUNCTIONS = [send_weekly_digest, enqueue_weekly_digests, retry_unsent_digests]


def cron_jobs(settings: Settings) -> list[CronJob]:
    hour, minute = settings.digest_hour_minute
    # arq types a job's context as a plain dict; ours is the JobContext it is at run time.
    weekly, retry = cast(WorkerCoroutine, enqueue_weekly_digests), cast(WorkerCoroutine, retry_unsent_digests)
    return [
        cron(weekly, weekday=settings.digest_weekday, hour=hour, minute=minute, unique=True),
        cron(retry, minute={0, 15, 30, 45}, unique=True),
    ]
