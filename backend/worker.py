"""arq worker: job functions and crons collected from the domains' jobs.py.

`desk worker` runs it alone; `desk run` runs it inside the web process for zero-setup use.
Each job opens its own sessions from the session factory in the worker context.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from arq.worker import Worker

from backend.config import Settings, get_settings
from backend.db import make_engine, make_sessionmaker
from backend.digests import jobs as digest_jobs
from backend.health import WORKER_HEARTBEAT_SECONDS
from backend.mail import make_mailer
from backend.queue import redis_settings
from backend.portal import jobs as portal_jobs
from backend.reports import jobs as report_jobs
from backend.reports.render import shutdown_pool

DOMAIN_JOBS = [report_jobs, digest_jobs, portal_jobs]


def functions() -> list[Any]:
    return [fn for module in DOMAIN_JOBS for fn in module.FUNCTIONS]


def cron_jobs(settings: Settings) -> list[Any]:
    return [job for module in DOMAIN_JOBS for job in module.cron_jobs(settings)]


def make_startup(settings: Settings):  # noqa: ANN201 - arq hook
    async def startup(ctx: dict[str, Any]) -> None:
        ctx["settings"] = settings
        ctx["engine"] = make_engine(settings.database_url)
        ctx["session_maker"] = make_sessionmaker(ctx["engine"])
        ctx["mailer"] = make_mailer(settings.smtp_url)

    return startup


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["engine"].dispose()
    shutdown_pool()


def make_worker(settings: Settings | None = None, **overrides: Any) -> Worker:
    settings = settings or get_settings()
    options: dict[str, Any] = {
        "functions": functions(),
        "cron_jobs": cron_jobs(settings),
        "redis_settings": redis_settings(settings),
        "queue_name": settings.queue_name,
        "on_startup": make_startup(settings),
        "on_shutdown": shutdown,
        "job_timeout": settings.job_timeout_seconds,
        "max_tries": settings.job_max_tries,
        "timezone": ZoneInfo("Europe/Berlin"),
        "keep_result": 24 * 3600,
        # The heartbeat /ready and `desk check-worker` look for.
        "health_check_interval": WORKER_HEARTBEAT_SECONDS,
    }
    return Worker(**(options | overrides))
