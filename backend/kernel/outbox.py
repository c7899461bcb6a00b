"""Work the API accepted is never lost: jobs are recorded in the database, then relayed to arq.

A service that wants a job run (render a document, mail a release) calls `plan()` in the same
transaction as the change the job belongs to. Either both commit or neither does, so a Redis
outage cannot leave a committed change without its job, nor a job without its change.

After the commit, the process that planned the jobs pushes them to the queue at once (the fast
path); the worker's relay loop pushes whatever is still unsent, every second, so jobs planned
while Redis was down go out as soon as it is back. An intent is done when its job finished; one
whose job vanished from Redis (a restart without persistence) is pushed again. Every push uses
the intent's job id, which arq refuses to queue twice while the job or its result exists, and the
jobs themselves are idempotent, so a push repeated by two relays runs the job once.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from arq import ArqRedis, Retry
from arq.jobs import Job, JobStatus
from redis.exceptions import RedisError
from sqlalchemy import JSON, Index, String, Text, delete, event, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.kernel.db import DeskSyncSession, utcnow
from backend.kernel.queue import JobContext

log = logging.getLogger(__name__)
RELAY_KEY = "outbox_relay"
_PLANNED = "outbox_planned"
# Finished intents are kept this long, so a job id handed out can still be looked up.
KEEP_DONE = timedelta(days=7)


class JobIntent(SQLModel, table=True):
    __tablename__ = "job_outbox"
    __table_args__ = (Index("ix_job_outbox_done_at_id", "done_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(max_length=100, sa_type=String(100), unique=True)
    function: str = Field(max_length=100)
    args: list[Any] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTimeUTC, nullable=False)
    # Last time the job was pushed to the queue or seen there; NULL until the first push.
    enqueued_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)
    pushes: int = 0
    done_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)
    last_error: str | None = Field(default=None, sa_type=Text)


async def plan(session: AsyncSession, function: str, *args: Any, job_id: str) -> str:
    """Run `function(*args)` as job `job_id` once this session's transaction commits."""
    session.add(JobIntent(job_id=job_id, function=function, args=list(args)))
    session.info.setdefault(_PLANNED, []).append(job_id)
    return job_id


async def planned(session: AsyncSession, job_ids: list[str]) -> set[str]:
    """Which of these jobs are planned already (a job id is planned once)."""
    if not job_ids:
        return set()
    return set((await session.exec(select(JobIntent.job_id).where(col(JobIntent.job_id).in_(job_ids)))).all())


async def intent(session: AsyncSession, job_id: str) -> JobIntent | None:
    return (await session.exec(select(JobIntent).where(JobIntent.job_id == job_id))).first()


class Relay:
    """Pushes planned jobs to arq: right after a commit, and in a loop in the worker."""

    def __init__(self, maker: async_sessionmaker[AsyncSession] | None = None, *, recheck_seconds: float = 30) -> None:
        self.maker = maker
        self.pool: ArqRedis | None = None
        self.recheck = timedelta(seconds=recheck_seconds)
        self._tasks: set[asyncio.Task[Any]] = set()

    def kick(self, job_ids: list[str]) -> None:
        """Push these just-committed intents now, without waiting for the loop."""
        if self.pool is None or self.maker is None:
            return
        task = asyncio.get_running_loop().create_task(self.push(job_ids))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Let pushes under way finish (at shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5)

    async def push(self, job_ids: list[str] | None = None, *, limit: int = 200) -> int:
        """Push unsent intents (these, or every one); returns how many went to the queue."""
        assert self.maker is not None and self.pool is not None
        try:
            async with self.maker() as session:
                stmt = select(JobIntent).where(col(JobIntent.done_at).is_(None), col(JobIntent.enqueued_at).is_(None))
                if job_ids is not None:
                    stmt = stmt.where(col(JobIntent.job_id).in_(job_ids))
                pending = list((await session.exec(stmt.order_by(col(JobIntent.id)).limit(limit))).all())
            pushed = 0
            for row in pending:
                pushed += await self._enqueue(row)
            return pushed
        except (RedisError, OSError) as exc:
            # Nothing is lost: the intents stay unsent and the relay loop tries again.
            log.warning("job queue unavailable, %s will be sent later: %s", job_ids or "jobs", exc)
            return 0

    async def _enqueue(self, row: JobIntent) -> bool:
        """Push one intent, if no other relay took it since it was read (claimed in the UPDATE's
        WHERE); a failed push hands it back for the next round."""
        assert self.pool is not None and self.maker is not None
        seen = (
            col(JobIntent.enqueued_at).is_(None)
            if row.enqueued_at is None
            else JobIntent.enqueued_at == row.enqueued_at
        )
        if not await self._mark(row.id, seen, enqueued_at=utcnow(), pushes=JobIntent.pushes + 1):
            return False
        try:
            await self.pool.enqueue_job(row.function, *row.args, _job_id=row.job_id)
        except BaseException:
            await self._mark(
                row.id, col(JobIntent.done_at).is_(None), enqueued_at=row.enqueued_at, pushes=JobIntent.pushes - 1
            )
            raise
        return True

    async def _mark(self, intent_id: int | None, condition: Any, **values: Any) -> bool:
        assert self.maker is not None
        async with self.maker() as session:
            result = await session.exec(
                update(JobIntent)
                .where(col(JobIntent.id) == intent_id, col(JobIntent.done_at).is_(None), condition)
                .values(**values)
            )
            await session.commit()
            return result.rowcount == 1

    async def recheck_sent(self, *, limit: int = 200) -> int:
        """Intents pushed a while ago and not done: finished jobs are marked done, jobs that
        Redis no longer knows (lost in a restart) are pushed again. Returns how many were."""
        assert self.maker is not None and self.pool is not None
        due = utcnow() - self.recheck
        async with self.maker() as session:
            stmt = select(JobIntent).where(col(JobIntent.done_at).is_(None), col(JobIntent.enqueued_at) < due)
            rows = list((await session.exec(stmt.order_by(col(JobIntent.id)).limit(limit))).all())
        again = 0
        for row in rows:
            status = await Job(row.job_id, self.pool, _queue_name=self.pool.default_queue_name).status()
            if status == JobStatus.complete:
                await finish(self.maker, row.job_id)
            elif status == JobStatus.not_found:
                log.warning("job %s (%s) was lost by the queue; sending it again", row.job_id, row.function)
                again += await self._enqueue(row)
            else:  # queued, deferred or running: look again later
                await self._mark(row.id, JobIntent.enqueued_at == row.enqueued_at, enqueued_at=utcnow())
        return again

    async def prune(self) -> None:
        assert self.maker is not None
        async with self.maker() as session:
            await session.exec(delete(JobIntent).where(col(JobIntent.done_at) < utcnow() - KEEP_DONE))
            await session.commit()

    async def run(self, interval: float = 1.0) -> None:
        """The worker's loop: send what is unsent, recheck what was sent, forever."""
        rounds = 0
        while True:
            try:
                await self.push()
                if rounds % 10 == 0:
                    await self.recheck_sent()
                if rounds % 3600 == 0:
                    await self.prune()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("job relay interrupted: %s", exc)
            rounds += 1
            await asyncio.sleep(interval)


async def finish(maker: async_sessionmaker[AsyncSession], job_id: str, error: str | None = None) -> None:
    async with maker() as session:
        await session.exec(
            update(JobIntent)
            .where(col(JobIntent.job_id) == job_id, col(JobIntent.done_at).is_(None))
            .values(done_at=utcnow(), last_error=error)
        )
        await session.commit()


JobFunction = Callable[..., Awaitable[Any]]


def tracked(fn: JobFunction) -> JobFunction:
    """A job function that marks its intent done when it finishes: returned, or failed in a way
    arq will not retry. A `Retry` (or a cancellation: timeout, shutdown) leaves it open."""

    @functools.wraps(fn)
    async def job(ctx: JobContext, *args: Any, **kwargs: Any) -> Any:
        try:
            result = await fn(ctx, *args, **kwargs)
        except Retry:
            raise
        except Exception as exc:
            await finish(ctx["session_maker"], ctx["job_id"], f"{type(exc).__name__}: {exc}"[:2000])
            raise
        await finish(ctx["session_maker"], ctx["job_id"])
        return result

    return job


@event.listens_for(DeskSyncSession, "after_commit")
def _push_planned(session: Session) -> None:
    # Intents of a rolled-back transaction may be listed too: the push finds no row for them.
    planned = session.info.pop(_PLANNED, None)
    relay: Relay | None = session.info.get(RELAY_KEY)
    if planned and relay is not None:
        relay.kick(planned)


__all__ = ["JobIntent", "RELAY_KEY", "Relay", "finish", "intent", "plan", "tracked"]
