"""Mails sent exactly once: the rows of a delivery table (weekly digests, budget alerts) and the
three steps every sender takes with one.

A sender `claim`s a row before it talks to SMTP (a row left "sending" by a dead worker is free
again after the lease), then `send_and_mark` takes the SMTP conversation up to its last step,
writes "sent" and lets the final bytes go with nothing in between (kernel/ledger.py); a refusal
is written with `finish`. So a job that runs twice, or a worker killed at any moment, sends no
mail twice, and could lose one only if it died between two system calls.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import String, Text, or_, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.kernel.config import Settings
from backend.kernel.db import Row, unit_of_work, utcnow
from backend.kernel.mail import Mailer, MailError, PermanentMailError
from backend.kernel.queue import JobContext, SentLedger, enqueue

# Rows still unsent this long after they were made are left alone (their news is old).
RETRY_WINDOW = timedelta(days=14)


class DeliveryStatus(StrEnum):
    awaiting_approval = "awaiting_approval"
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"  # transient: retried with backoff
    bounced = "bounced"  # the server refused the recipient for good


UNSENT = (DeliveryStatus.pending, DeliveryStatus.failed, DeliveryStatus.sending)


class Delivered(SQLModel):
    """The columns of a delivery table (see the ledger's UPDATE)."""

    status: DeliveryStatus = Field(default=DeliveryStatus.pending, sa_type=String(20), index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=Text)
    message_id: str | None = Field(default=None, max_length=255)
    claimed_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)
    sent_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)


async def claim(maker: async_sessionmaker[AsyncSession], model: type[Row], row_id: int, lease: timedelta) -> bool:
    """Take a row for sending; one left 'sending' by a dead worker is free after the lease."""
    now, table = utcnow(), model.__table__.c  # type: ignore[attr-defined]
    async with unit_of_work(maker) as session:
        result = await session.exec(
            update(model)
            .where(
                col(table.id) == row_id,
                or_(
                    col(table.status).in_([DeliveryStatus.pending, DeliveryStatus.failed]),
                    (col(table.status) == DeliveryStatus.sending) & (col(table.claimed_at) < now - lease),
                ),
            )
            .values(status=DeliveryStatus.sending, claimed_at=now, attempts=table.attempts + 1)
        )
        return result.rowcount == 1


async def finish(
    maker: async_sessionmaker[AsyncSession], model: type[Row], row_id: int, status: DeliveryStatus, **values: Any
) -> None:
    table = model.__table__.c  # type: ignore[attr-defined]
    async with unit_of_work(maker) as session:
        await session.exec(
            update(model)
            .where(col(table.id) == row_id)
            .values(status=status, updated_at=utcnow(), version=table.version + 1, **values)
        )


async def send_and_mark(
    ledger: SentLedger, mailer: Mailer, model: type[Row], row_id: int, message: Any, message_id: str
) -> None:
    """Record "sent" and let the prepared message go, with nothing in between.

    The SMTP conversation is taken up to the last step (the message body is with the kernel)
    before anything is recorded; then "sent" is written and the end-of-data bytes follow
    without an await (see ledger.py). A process killed before that leaves the row "sending",
    and the retry delivers it; one killed after it has already handed the message over. A
    refusal of the data sets the row back.
    """
    async with mailer.handover(message) as handover:
        await ledger.reserve()
        ledger.mark_sent(model.__tablename__, row_id, message_id, utcnow(), then=handover.complete)  # type: ignore[arg-type]
        await handover.confirm()


async def deliver(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    ledger: SentLedger,
    mailer: Mailer,
    row: Any,
    key: str,
    compose: Callable[[str], Any],
) -> str:
    """Send a delivery row's message exactly once and record how it went: "sent" or "bounced"
    (also when an earlier run got that far), or "taken" (another worker holds it, or sent it
    meanwhile). `compose` makes the message for its Message-ID (`<key.id@our domain>`). A
    transient refusal frees the row for the retry and is raised (MailError) for the job."""
    if row.status in (DeliveryStatus.sent, DeliveryStatus.bounced):
        return str(row.status)
    model, lease = type(row), timedelta(seconds=settings.job_timeout_seconds)
    message_id = f"<{key}.{row.id}@{settings.mail_from.rsplit('@', 1)[-1]}>"
    message = compose(message_id)
    if not await claim(maker, model, row.id, lease):
        return "taken"
    try:
        await send_and_mark(ledger, mailer, model, row.id, message, message_id)
    except PermanentMailError as exc:
        await finish(maker, model, row.id, DeliveryStatus.bounced, last_error=str(exc)[:2000])
        return "bounced"
    except MailError as exc:
        await finish(maker, model, row.id, DeliveryStatus.failed, last_error=str(exc)[:2000])
        raise
    return "sent"


async def requeue_unsent(ctx: JobContext, model: type[Row], job: str, key: str) -> dict[str, Any]:
    """A cron's body: queue the job again for every row still unsent after its last retry (within
    the retry window), under a job id of its own (`key:row id:now`)."""
    table = model.__table__.c  # type: ignore[attr-defined]
    now = utcnow()
    stale = now - timedelta(seconds=ctx["settings"].job_timeout_seconds)
    async with ctx["session_maker"]() as session:
        ids = (
            await session.exec(
                select(table.id).where(
                    col(table.status).in_(UNSENT), table.updated_at < stale, table.created_at > now - RETRY_WINDOW
                )
            )
        ).all()
    for row_id in ids:
        await enqueue(ctx["redis"], job, row_id, job_id=f"{key}:{row_id}:{int(now.timestamp())}")
    return {"requeued": len(ids)}
