"""Queue adapters for documents: take an id, call the service, return a small summary."""

from __future__ import annotations

import secrets
from typing import Any

from arq import Retry

from backend.queue import backoff_seconds, is_last_try
from backend.reports.service import TRANSIENT, generate_document, mark_rendering


def document_job_id(document_id: int) -> str:
    # Unique per request: job ids are global in Redis, and rendering is idempotent anyway.
    return f"document:{document_id}:{secrets.token_hex(4)}"


async def render_document(ctx: dict[str, Any], document_id: int) -> str:
    try:
        await mark_rendering(ctx["session_maker"], document_id)
        return await generate_document(
            ctx["session_maker"], ctx["settings"], document_id, last_try=is_last_try(ctx)
        )
    except TRANSIENT as exc:
        # arq retries only on Retry; the document stays "rendering" until a try succeeds.
        raise Retry(defer=backoff_seconds(ctx["job_try"])) from exc


FUNCTIONS = [render_document]


def cron_jobs(settings: Any) -> list[Any]:
    return []
