"""Queue adapters for the portal's mails; both are safe to run twice."""

from __future__ import annotations

import secrets
from typing import Any

from arq import Retry

from backend.flows.portal.access import send_login_links
from backend.flows.portal.release import mail_release
from backend.kernel.mail import MailError, PermanentMailError
from backend.kernel.queue import JobContext, backoff_seconds, enqueue, is_last_try


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
    try:
        return await mail_release(ctx["session_maker"], ctx["settings"], ctx["mailer"], document_id)
    except MailError as exc:
        if is_last_try(ctx):
            raise
        raise Retry(defer=backoff_seconds(ctx["job_try"])) from exc


async def enqueue_login_link(pool: Any, email: str, ip: str | None, language: str | None) -> None:
    await enqueue(pool, "send_portal_login_link", email, ip, language, job_id=f"portal-login:{secrets.token_hex(6)}")


FUNCTIONS = [send_portal_login_link, mail_released_document]


def cron_jobs(settings: Any) -> list[Any]:
    return []
