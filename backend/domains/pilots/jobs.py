"""Queue adapter of timing rounds: each night, rounds past their last day are released (enough
people took part) or lapse (too few), their times deleted either way; safe to run twice."""

from __future__ import annotations

from typing import Any, cast

from arq import cron
from arq.cron import CronJob
from arq.typing import WorkerCoroutine

from backend.domains.pilots.timing import end_due
from backend.kernel.config import Settings
from backend.kernel.db import unit_of_work, utcnow
from backend.kernel.queue import JobContext
from backend.kernel.time import today


async def end_timing_rounds(ctx: JobContext) -> dict[str, Any]:
    async with unit_of_work(ctx["session_maker"]) as session:
        return await end_due(session, today(), utcnow())


FUNCTIONS = [end_timing_rounds]


def cron_jobs(settings: Settings) -> list[CronJob]:
    # 00:20 Europe/Berlin: a round's last day has fully passed.
    return [cron(cast(WorkerCoroutine, end_timing_rounds), hour={0}, minute={20}, unique=True)]
