"""Queue adapters of the Abnahme: its mails, its protocol, and the daily look for deadlines
that passed. Each is safe to run twice."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any, cast

from arq import cron
from arq.cron import CronJob
from arq.typing import WorkerCoroutine
from sqlmodel import col, select

from backend.flows.acceptance.mail import send_notice, send_request
from backend.flows.acceptance.models import (
    AcceptanceNotice,
    DeliverableAcceptance,
    DeliverableAcceptanceFile,
    DeliverableAcceptanceRequest,
    RequestOutcome,
)
from backend.flows.acceptance.records import deem_accepted, render_protocol
from backend.kernel.delivery import requeue_unsent
from backend.kernel.queue import JobContext, enqueue, retried_on_mail_errors
from backend.kernel.time import today


async def mail_acceptance_request(ctx: JobContext, request_id: int) -> str:
    work = send_request(ctx["session_maker"], ctx["settings"], ctx["mailer"], ctx["ledger"], request_id)
    return await retried_on_mail_errors(ctx, work)


async def retry_unsent_acceptance_requests(ctx: JobContext) -> dict[str, Any]:
    return await requeue_unsent(ctx, DeliverableAcceptanceRequest, "mail_acceptance_request", "acceptance-request")


async def mail_acceptance_notice(ctx: JobContext, notice_id: int) -> str:
    work = send_notice(ctx["session_maker"], ctx["settings"], ctx["mailer"], ctx["ledger"], notice_id)
    return await retried_on_mail_errors(ctx, work)


async def retry_unsent_acceptance_notices(ctx: JobContext) -> dict[str, Any]:
    return await requeue_unsent(ctx, AcceptanceNotice, "mail_acceptance_notice", "acceptance-notice")


async def render_acceptance_protocol(ctx: JobContext, acceptance_id: int) -> str:
    return await render_protocol(ctx["session_maker"], ctx["settings"], acceptance_id)


async def render_missing_protocols(ctx: JobContext) -> dict[str, Any]:
    """A protocol whose render did not happen (a worker that died, a queue that was down) is
    rendered on the next sweep."""
    async with ctx["session_maker"]() as session:
        missing = (
            await session.exec(
                select(DeliverableAcceptance.id)
                .outerjoin(
                    DeliverableAcceptanceFile,
                    col(DeliverableAcceptanceFile.acceptance_id) == DeliverableAcceptance.id,
                )
                .where(col(DeliverableAcceptanceFile.acceptance_id).is_(None))
            )
        ).all()
    for acceptance_id in missing:
        await enqueue(
            ctx["redis"],
            "render_acceptance_protocol",
            acceptance_id,
            job_id=f"acceptance-protocol:{acceptance_id}:{secrets.token_hex(3)}",
        )
    return {"missing": len(missing)}


async def deem_acceptance(ctx: JobContext, request_id: int, day: str) -> str:
    return await deem_accepted(ctx["session_maker"], request_id, date.fromisoformat(day))


async def plan_deemed_acceptances(ctx: JobContext, day: date | None = None) -> dict[str, Any]:
    """One job per open request whose deadline has passed (a cron job is tried once, so each
    request gets its own); a request missed today is found again tomorrow."""
    day = day or today()
    async with ctx["session_maker"]() as session:
        due = (
            await session.exec(
                select(DeliverableAcceptanceRequest.id).where(
                    DeliverableAcceptanceRequest.outcome == RequestOutcome.open,
                    col(DeliverableAcceptanceRequest.deadline) < day,
                )
            )
        ).all()
    for request_id in due:
        await enqueue(
            ctx["redis"],
            "deem_acceptance",
            request_id,
            day.isoformat(),
            job_id=f"deem-acceptance:{request_id}:{day.isoformat()}:{secrets.token_hex(3)}",
        )
    return {"due": len(due)}


FUNCTIONS = [
    mail_acceptance_request,
    retry_unsent_acceptance_requests,
    mail_acceptance_notice,
    retry_unsent_acceptance_notices,
    render_acceptance_protocol,
    render_missing_protocols,
    deem_acceptance,
    plan_deemed_acceptances,
]


def cron_jobs(settings: Any) -> list[CronJob]:
    deemed = cast(WorkerCoroutine, plan_deemed_acceptances)
    requests = cast(WorkerCoroutine, retry_unsent_acceptance_requests)
    notices = cast(WorkerCoroutine, retry_unsent_acceptance_notices)
    protocols = cast(WorkerCoroutine, render_missing_protocols)
    return [
        # Early each morning (Europe/Berlin): yesterday's deadlines have passed.
        cron(deemed, hour={6}, minute={10}, unique=True),
        cron(requests, minute={6, 21, 36, 51}, unique=True),
        cron(notices, minute={8, 23, 38, 53}, unique=True),
        cron(protocols, minute={17, 47}, unique=True),
    ]
