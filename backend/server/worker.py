"""arq worker: job functions and crons collected from the domains' jobs.py.

`desk worker` runs it alone; `desk run` runs it inside the web process for zero-setup use.
Each job opens its own sessions from the session factory in the worker context. The worker
also runs the outbox relay (jobs planned in the database are pushed to Redis) and rides out a
Redis outage: it waits for the server to come back instead of exiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from signal import Signals
from typing import Any

from arq import worker as arq_worker
from redis.exceptions import RedisError

from backend.domains.pilots import jobs as pilot_jobs
from backend.domains.timesheets import jobs as time_jobs
from backend.domains.webhooks import jobs as webhook_jobs
from backend.flows.acceptance import jobs as acceptance_jobs
from backend.flows.digests import jobs as digest_jobs
from backend.flows.documents import jobs as report_jobs
from backend.flows.documents.render import shared_pool
from backend.flows.invoicing import jobs as invoice_jobs
from backend.flows.literacy import jobs as literacy_jobs
from backend.flows.portal import jobs as portal_jobs
from backend.flows.privacy import jobs as privacy_jobs
from backend.kernel.config import Settings, get_settings
from backend.kernel.db import make_engine, make_sessionmaker
from backend.kernel.ledger import Ledger
from backend.kernel.mail import make_mailer
from backend.kernel.outbox import RELAY_KEY, Relay, tracked
from backend.kernel.queue import JobContext, open_pool, redis_settings
from backend.kernel.time import BERLIN
from backend.server import tables  # noqa: F401 - erasure and retention read every table from the metadata
from backend.web.api.health import WORKER_HEARTBEAT_SECONDS

DOMAIN_JOBS = [
    report_jobs,
    digest_jobs,
    portal_jobs,
    time_jobs,
    invoice_jobs,
    acceptance_jobs,
    literacy_jobs,
    privacy_jobs,
    pilot_jobs,
    webhook_jobs,
]
log = logging.getLogger(__name__)
# How long to wait between attempts while Redis is away, at most.
OUTAGE_WAIT_SECONDS = 10.0


def functions() -> list[Any]:
    return [tracked(fn) for module in DOMAIN_JOBS for fn in module.FUNCTIONS]


def cron_jobs(settings: Settings) -> list[Any]:
    return [job for module in DOMAIN_JOBS for job in module.cron_jobs(settings)]


class Worker(arq_worker.Worker):
    """arq's worker, except that a lost Redis connection is waited out, not fatal: the polling
    loop retries with growing pauses and carries on once the server answers again."""

    _outage_since: float | None = None
    _polling = False
    _stopping = False

    def handle_sig(self, signum: Signals) -> None:
        self._stopping = True
        super().handle_sig(signum)

    async def async_run(self) -> None:
        """Run until cancelled. A cancellation that lands inside a Redis read can be lost on its
        way (the read's timeout turns it into an error the polling loop waits out): so the
        caller's cancellation also sets a flag the loop checks, and the worker surely stops."""
        self.main_task = self.loop.create_task(self.main())
        try:
            await asyncio.shield(self.main_task)
        except asyncio.CancelledError:
            self.handle_sig(Signals.SIGTERM)
            await asyncio.gather(self.main_task, return_exceptions=True)
            raise

    async def ready(self, seconds: float) -> None:
        """Wait, at most `seconds`, until jobs run at once: started, render threads warm."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline and not (self.main_task and self.main_task.done()):
            warming = self.ctx.get("warming")
            if warming is not None and warming.done():
                return
            await asyncio.sleep(0.02)

    async def main(self) -> None:
        while not self._stopping:
            try:
                if self._pool is None and self.redis_settings is not None:
                    self._pool = await open_pool(self.redis_settings, self.queue_name)
                await super().main()
                return
            except (RedisError, OSError) as exc:
                if self._polling:
                    raise
                # Not started yet (no connection, or lost while starting): wait, as when running.
                log.warning("job queue unavailable at start, waiting for it: %s", exc)
                await asyncio.sleep(OUTAGE_WAIT_SECONDS / 2)

    async def _poll_iteration(self) -> None:
        if self._stopping:
            raise asyncio.CancelledError
        self._polling = True
        try:
            await super()._poll_iteration()
        except (RedisError, OSError) as exc:
            loop = asyncio.get_running_loop()
            if self._outage_since is None:
                self._outage_since = loop.time()
                log.warning("job queue unavailable, waiting for it to return: %s", exc)
            waited = loop.time() - self._outage_since
            await asyncio.sleep(min(max(waited, 0.5), OUTAGE_WAIT_SECONDS))
            return
        if self._outage_since is not None:
            log.info("job queue available again")
            self._outage_since = None

    async def close(self) -> None:
        try:
            await super().close()
        except (RedisError, OSError) as exc:  # shutting down while Redis is away
            log.warning("job queue unavailable at shutdown: %s", exc)
            if self.on_shutdown:
                await self.on_shutdown(self.ctx)


def make_startup(settings: Settings):
    async def startup(ctx: JobContext) -> None:
        relay = Relay(recheck_seconds=settings.outbox_recheck_seconds)
        ctx["settings"] = settings
        ctx["engine"] = make_engine(settings.database_url)
        ctx["session_maker"] = relay.maker = make_sessionmaker(ctx["engine"], info={RELAY_KEY: relay})
        ctx["mailer"] = make_mailer(settings.smtp_url)
        ctx["renderer"] = renderer = shared_pool()
        # In the background: polling starts at once, and a job that comes first waits its turn.
        ctx["warming"] = asyncio.create_task(renderer.warm())
        ctx["ledger"] = Ledger(settings.database_url)
        relay.pool = ctx["redis"]
        ctx["relay"] = relay
        # Before the first poll, so a burst run sees the jobs planned while no worker ran, and
        # those Redis lost while none ran (the loop tries again if Redis is away now).
        await relay.push()
        with contextlib.suppress(RedisError, OSError):
            await relay.recheck_sent()
        ctx["relay_loop"] = asyncio.create_task(relay.run())

    return startup


async def shutdown(ctx: JobContext) -> None:
    loop = ctx.pop("relay_loop", None)
    if loop is not None:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        await ctx["relay"].settle()
    if "engine" in ctx:
        await ctx.pop("engine").dispose()
    if "warming" in ctx:
        warming = ctx.pop("warming")
        warming.cancel()
        await asyncio.gather(warming, return_exceptions=True)
    if "ledger" in ctx:
        ctx.pop("ledger").close()


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
        "timezone": BERLIN,
        "keep_result": 24 * 3600,
        # The heartbeat /ready and `desk check-worker` look for.
        "health_check_interval": WORKER_HEARTBEAT_SECONDS,
        # Someone waits for the document they asked for: look for new jobs every 0.1 s (arq's
        # default is 0.5 s), ten cheap Redis reads a second when idle.
        "poll_delay": 0.1,
    }
    return Worker(**(options | overrides))
