"""The job queue's Redis: the configured server, or the embedded one of zero-setup runs
(kernel/embedded_redis.py)."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, TypeVar

from arq import ArqRedis, Retry, create_pool
from arq.connections import RedisSettings
from arq.jobs import Job
from redis.asyncio import ConnectionPool
from redis.exceptions import TimeoutError as RedisTimeoutError

from backend.kernel.config import VAR_DIR, Settings
from backend.kernel.embedded_redis import EmbeddedRedis
from backend.kernel.mail import Mailer, MailError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
    from sqlmodel.ext.asyncio.session import AsyncSession

    from backend.kernel.outbox import Relay


T = TypeVar("T")


class Renderer(Protocol):
    """Renders documents for jobs (the documents flow's RenderPool)."""

    async def render(self, template: str, data: dict[str, Any], archival: bool = False) -> bytes: ...

    async def warm(self) -> None: ...

    def close(self) -> None: ...


class SentLedger(Protocol):
    """Marks a mail sent as its last bytes leave (kernel/ledger.py)."""

    async def reserve(self) -> None: ...

    def mark_sent(
        self, table: str, delivery_id: int, message_id: str, now: datetime, then: Callable[[], None]
    ) -> None: ...

    def close(self) -> None: ...


class JobContext(TypedDict, total=False):
    """What a job gets: from arq (`redis`, `job_id`, `job_try`) and from the worker's start-up."""

    redis: ArqRedis
    job_id: str
    job_try: int
    settings: Settings
    engine: AsyncEngine
    session_maker: async_sessionmaker[AsyncSession]
    mailer: Mailer
    renderer: Renderer
    warming: asyncio.Task[None]
    ledger: SentLedger
    relay: Relay
    relay_loop: asyncio.Task[None]


# One embedded server per database: two apps started in one folder on different databases
# must not take each other's jobs (a document id means another document in the other one).
_embedded: dict[str, EmbeddedRedis] = {}


def redis_settings(settings: Settings) -> RedisSettings:
    if settings.redis_url:
        return RedisSettings.from_dsn(settings.redis_url)
    key = settings.database_url
    if key not in _embedded:
        folder = hashlib.sha256(key.encode()).hexdigest()[:12]
        _embedded[key] = EmbeddedRedis(VAR_DIR / "redis" / folder)
    return RedisSettings(unix_socket_path=_embedded[key].ensure())


@asynccontextmanager
async def queue_pool(settings: Settings) -> AsyncIterator[ArqRedis]:
    pool = await open_pool(redis_settings(settings), settings.queue_name)
    try:
        yield pool
    finally:
        await pool.aclose()


# Every use of Redis waits at most this long: arq sets only a connect timeout, and a Redis that
# hangs (stopped, not gone) would otherwise hang every request that counts a limit or queues a job.
COMMAND_TIMEOUT_SECONDS = 5.0
# After a timeout, Redis is taken as away for this long: uses fail at once instead of each
# waiting out its own timeout (the pool makes connections one at a time, so the k-th waiting
# request would wait k timeouts, holding its database connection all along).
PAUSE_AFTER_TIMEOUT_SECONDS = 5.0


class GuardedConnectionPool(ConnectionPool):
    """A connection pool that gives a hung Redis one timeout, not one per waiting request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.away_until = 0.0

    async def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() < self.away_until:
            raise RedisTimeoutError("Redis did not answer a moment ago")
        try:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
            # that lands as the connection arrives (a stopping worker would then run on), and it
            # costs a task per Redis command.
            async with asyncio.timeout(COMMAND_TIMEOUT_SECONDS):
                connection = await super().get_connection(*args, **kwargs)
        except (TimeoutError, RedisTimeoutError) as exc:
            self.away_until = time.monotonic() + PAUSE_AFTER_TIMEOUT_SECONDS
            raise RedisTimeoutError(f"Redis did not answer within {COMMAND_TIMEOUT_SECONDS:g} s") from exc
        return connection


async def open_pool(redis: RedisSettings, queue_name: str) -> ArqRedis:
    pool = await create_pool(redis, default_queue_name=queue_name)
    # The same connections, from a pool with the guard and a timeout on every command; the
    # connection made for arq's ping is closed with the pool it came from.
    plain = pool.connection_pool
    pool.connection_pool = GuardedConnectionPool(
        connection_class=plain.connection_class,
        max_connections=plain.max_connections,
        **(plain.connection_kwargs | {"socket_timeout": COMMAND_TIMEOUT_SECONDS}),
    )
    await plain.disconnect()
    return pool


async def enqueue(pool: ArqRedis, function: str, *args: Any, job_id: str | None = None) -> Job | None:
    """Queue a job; with `job_id`, a job already queued or running under that id is not added twice."""
    return await pool.enqueue_job(function, *args, _job_id=job_id)


def backoff_seconds(job_try: int) -> int:
    """Seconds before retry number `job_try`: 2, 4, 8 … capped at five minutes."""
    return min(2**job_try, 300)


async def retried_on_mail_errors(ctx: JobContext, work: Awaitable[T]) -> T:
    """A mailing job's body: a transient SMTP failure is tried again with backoff (raised as it
    is on the last try)."""
    try:
        return await work
    except MailError as exc:
        if is_last_try(ctx):
            raise
        raise Retry(defer=backoff_seconds(ctx["job_try"])) from exc


def is_last_try(ctx: JobContext) -> bool:
    return ctx["job_try"] >= ctx["settings"].job_max_tries
