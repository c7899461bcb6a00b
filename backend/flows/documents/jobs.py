"""Queue adapters for documents: take an id, call the service, return a small summary."""

from __future__ import annotations

from typing import Any

from arq import Retry

from backend.flows.documents.service import TRANSIENT, generate_document, mark_rendering
from backend.kernel.queue import JobContext, backoff_seconds, is_last_try


async def render_document(ctx: JobContext, document_id: int) -> str:
    try:
        await mark_rendering(ctx["session_maker"], document_id)
        return await generate_document(
            ctx["session_maker"], ctx["settings"], ctx["renderer"], document_id, last_try=is_last_try(ctx)
        )
    except TRANSIENT as exc:
        # arq retries only on Retry; the document stays "rendering" until a try succeeds.
        raise Retry(defer=backoff_seconds(ctx["job_try"])) from exc


FUNCTIONS = [render_document]


def cron_jobs(settings: Any) -> list[Any]:
    return []
