"""Queue adapter of retention: each night, every policy applied once more (safe to run twice)."""

from __future__ import annotations

from typing import Any, cast

from arq import cron
from arq.cron import CronJob
from arq.typing import WorkerCoroutine

from backend.flows.privacy.retention import apply_retention
from backend.kernel.queue import JobContext
from backend.kernel.time import today


async def apply_retention_nightly(ctx: JobContext) -> dict[str, Any]:
    report = await apply_retention(ctx["session_maker"], ctx["settings"], today(), dry_run=False)
    return {"rows": report.rows, "day": report.day.isoformat()}


FUNCTIONS = [apply_retention_nightly]


def cron_jobs(settings: Any) -> list[CronJob]:
    # 03:40 Europe/Berlin, after the day's mail and before the morning's reminders.
    return [cron(cast(WorkerCoroutine, apply_retention_nightly), hour={3}, minute={40}, unique=True)]
