"""Queue adapters of webhooks: one attempt of one delivery per job, and a cron that plans the
attempts that are due (retries after their wait, and any whose job was lost with Redis)."""

from __future__ import annotations

from typing import Any, cast

from arq import cron
from arq.cron import CronJob
from arq.typing import WorkerCoroutine

from backend.domains.webhooks.models import WebhookSubscription
from backend.domains.webhooks.service import JOB, body_of, claim, due_deliveries, record_answer, signed_headers
from backend.kernel import outbound
from backend.kernel.config import Settings
from backend.kernel.db import unit_of_work, utcnow
from backend.kernel.outbox import plan, planned
from backend.kernel.queue import JobContext


async def deliver_webhook(ctx: JobContext, delivery_id: int) -> dict[str, Any]:
    settings = ctx["settings"]
    started = utcnow()
    async with unit_of_work(ctx["session_maker"]) as session:
        taken = await claim(session, delivery_id, started)
        if taken is None:
            return {"delivery": delivery_id, "attempt": None}
        delivery, number = taken
        subscription = await session.get(WebhookSubscription, delivery.subscription_id)
        assert subscription is not None  # deliveries go with their subscription (ON DELETE CASCADE)
        url, secret, body = subscription.url, subscription.secret, body_of(delivery)
        message_id = delivery.message_id
    status, error = None, None
    try:
        answer = await outbound.post(
            url,
            body,
            signed_headers(secret, message_id, body),
            timeout=settings.webhook_timeout_seconds,
            allow_private=settings.webhooks_allow_private,
        )
        status = answer.status
    except Exception as exc:  # the receiver's failure, whatever it is, is this attempt's result
        error = f"{type(exc).__name__}: {exc}"
    async with unit_of_work(ctx["session_maker"]) as session:
        done = await record_answer(session, delivery_id, number, status, error, started)
    return {"delivery": delivery_id, "attempt": number, "status": status, "state": done and done.status}


async def plan_due_webhooks(ctx: JobContext) -> dict[str, Any]:
    async with unit_of_work(ctx["session_maker"]) as session:
        wanted = {f"webhook:{d}:{n}": d for d, n in await due_deliveries(session, utcnow())}
        # One job per attempt: an attempt whose job is planned already (the first, planned with
        # the event) is left to it.
        for job_id in set(wanted) - await planned(session, list(wanted)):
            await plan(session, JOB, wanted[job_id], job_id=job_id)
    return {"due": len(wanted)}


FUNCTIONS = [deliver_webhook, plan_due_webhooks]


def cron_jobs(settings: Settings) -> list[CronJob]:
    # Every ten seconds: the first retry is due five seconds after a failure.
    return [cron(cast(WorkerCoroutine, plan_due_webhooks), second=set(range(5, 60, 10)), unique=True)]
