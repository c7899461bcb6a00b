"""Queue adapters for the portal's mails; both are safe to run twice."""

from __future__ import annotations

import secrets
from typing import Any, cast

from arq import Retry, cron
from arq.cron import CronJob
from arq.typing import WorkerCoroutine

from backend.flows.portal.access import send_login_links
from backend.flows.portal.declines import send_decline, tell_lead
from backend.flows.portal.expiry import plan_expiry_notices, send_expiry_notice
from backend.flows.portal.models import DpaObjection, ProposalDecline, ProposalExpiryNotice, StatementDecision
from backend.flows.portal.release import mail_release
from backend.flows.portal.statement_mail import send_answer
from backend.kernel.delivery import requeue_unsent
from backend.kernel.mail import MailError, PermanentMailError
from backend.kernel.queue import JobContext, backoff_seconds, enqueue, is_last_try, retried_on_mail_errors


async def send_portal_login_link(ctx: JobContext, email: str, ip: str | None, language: str | None) -> int:
    try:
        return await send_login_links(
            ctx["session_maker"], ctx["settings"], ctx["mailer"], email, ip=ip, language=language
        )
    except PermanentMailError:
        return 0
    except MailError as exc:
        # A retry makes a new link; the one that did not go out simply expires unused.
        if is_last_try(ctx):
            raise
        raise Retry(defer=backoff_seconds(ctx["job_try"])) from exc


async def mail_released_document(ctx: JobContext, document_id: int) -> int:
    work = mail_release(ctx["session_maker"], ctx["settings"], ctx["mailer"], document_id)
    return await retried_on_mail_errors(ctx, work)


async def mail_statement_answer(ctx: JobContext, decision_id: int) -> str:
    work = send_answer(ctx["session_maker"], ctx["settings"], ctx["mailer"], ctx["ledger"], decision_id)
    return await retried_on_mail_errors(ctx, work)


async def retry_unsent_answers(ctx: JobContext) -> dict[str, Any]:
    return await requeue_unsent(ctx, StatementDecision, "mail_statement_answer", "statement-answer")


async def mail_proposal_decline(ctx: JobContext, decline_id: int) -> str:
    work = send_decline(ctx["session_maker"], ctx["settings"], ctx["mailer"], ctx["ledger"], decline_id)
    return await retried_on_mail_errors(ctx, work)


async def retry_unsent_declines(ctx: JobContext) -> dict[str, Any]:
    return await requeue_unsent(ctx, ProposalDecline, "mail_proposal_decline", "proposal-decline")


async def mail_dpa_objection(ctx: JobContext, objection_id: int) -> str:
    work = tell_lead(ctx["session_maker"], ctx["settings"], ctx["mailer"], ctx["ledger"], DpaObjection, objection_id)
    return await retried_on_mail_errors(ctx, work)


async def retry_unsent_objections(ctx: JobContext) -> dict[str, Any]:
    return await requeue_unsent(ctx, DpaObjection, "mail_dpa_objection", "dpa-objection")


async def mail_proposal_expiry(ctx: JobContext, notice_id: int) -> str:
    work = send_expiry_notice(ctx["session_maker"], ctx["settings"], ctx["mailer"], ctx["ledger"], notice_id)
    return await retried_on_mail_errors(ctx, work)


async def plan_proposal_expiry_notices(ctx: JobContext) -> dict[str, Any]:
    return {"planned": await plan_expiry_notices(ctx["session_maker"], ctx["settings"])}


async def retry_unsent_expiry_notices(ctx: JobContext) -> dict[str, Any]:
    return await requeue_unsent(ctx, ProposalExpiryNotice, "mail_proposal_expiry", "proposal-expiry")


async def enqueue_login_link(pool: Any, email: str, ip: str | None, language: str | None) -> None:
    await enqueue(pool, "send_portal_login_link", email, ip, language, job_id=f"portal-login:{secrets.token_hex(6)}")


FUNCTIONS = [
    send_portal_login_link,
    mail_released_document,
    mail_statement_answer,
    retry_unsent_answers,
    mail_proposal_decline,
    retry_unsent_declines,
    mail_dpa_objection,
    retry_unsent_objections,
    mail_proposal_expiry,
    plan_proposal_expiry_notices,
    retry_unsent_expiry_notices,
]


def cron_jobs(settings: Any) -> list[CronJob]:
    retry = cast(WorkerCoroutine, retry_unsent_answers)
    declines = cast(WorkerCoroutine, retry_unsent_declines)
    objections = cast(WorkerCoroutine, retry_unsent_objections)
    expiry = cast(WorkerCoroutine, plan_proposal_expiry_notices)
    expiry_retry = cast(WorkerCoroutine, retry_unsent_expiry_notices)
    return [
        cron(retry, minute={10, 25, 40, 55}, unique=True),
        cron(declines, minute={12, 27, 42, 57}, unique=True),
        cron(objections, minute={13, 28, 43, 58}, unique=True),
        # Each morning (Europe/Berlin, the worker's clock); a missed day is made up by the next.
        cron(expiry, hour={8}, minute={20}, unique=True),
        cron(expiry_retry, minute={14, 29, 44, 59}, unique=True),
    ]
