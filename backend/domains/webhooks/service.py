"""Webhooks: events POSTed to the subscribers' URLs, signed as the Standard Webhooks spec says
(https://www.standardwebhooks.com), delivered by the job queue with retries, every attempt
logged once.

- An event is recorded in the transaction of the change it tells of: one delivery row per
  active subscription to it, and a job planned in the same commit (kernel/outbox.py), so an
  event is never lost and never told of a change that was rolled back.
- Each attempt is claimed by a compare-and-set on the delivery's attempt count, and logged as
  its own row (delivery, number) before the request goes out: two workers never make the same
  attempt, and an attempt cut off by a crash is still in the log.
- Signature: `webhook-signature: v1,<base64 HMAC-SHA256 over "<id>.<timestamp>.<body>">`, keyed
  with the base64-decoded part of the subscription's `whsec_…` secret (docs/webhooks.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from backend.kernel.db import add_unless_taken, hold_where, utcnow
from backend.kernel.errors import Conflict
from backend.kernel.outbox import plan

JOB = "deliver_webhook"
# After attempt n fails, the next waits RETRY_AFTER[n - 1]; after the last, the delivery has failed.
RETRY_AFTER = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
ATTEMPTS = len(RETRY_AFTER) + 1
# An attempt that has not finished after this long died with its worker: the next one is due.
STALE_AFTER = timedelta(minutes=2)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_headers(secret: str, message_id: str, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = int(now if now is not None else time.time())
    return {
        "content-type": "application/json",
        "user-agent": "EngagementDesk-Webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def _payload(event: WebhookEvent, now: datetime, data: dict[str, Any]) -> dict[str, Any]:
    """The message a receiver gets: dates as ISO strings and decimals as strings, as the API
    writes them."""
    return {
        "type": event.value,
        "timestamp": now.isoformat().replace("+00:00", "Z"),
        "data": to_jsonable_python(data),
    }


async def emit(session: AsyncSession, event: WebhookEvent, data: dict[str, Any]) -> int:
    """Record `event` for every active subscriber, in the caller's transaction; jobs deliver it
    once that commits. Returns how many deliveries it made."""
    stmt = select(WebhookSubscription).where(col(WebhookSubscription.active).is_(True))
    subscribers = [s for s in (await session.exec(stmt)).all() if event.value in s.events]
    if not subscribers:
        return 0
    now = utcnow()
    message_id = f"msg_{uuid.uuid4().hex}"
    payload = _payload(event, now, data)
    for subscriber in subscribers:
        await _deliver(session, subscriber.id, message_id, event.value, payload, now)
    return len(subscribers)


async def _deliver(
    session: AsyncSession,
    subscription_id: int,
    message_id: str,
    event: str,
    payload: dict[str, Any],
    now: datetime,
    redelivery_of: int | None = None,
) -> WebhookDelivery:
    row = WebhookDelivery(
        subscription_id=subscription_id,
        message_id=message_id,
        event=event,
        payload=payload,
        next_attempt_at=now,
        redelivery_of=redelivery_of,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    await plan(session, JOB, row.id, job_id=f"webhook:{row.id}:1")
    return row


async def send_test(session: AsyncSession, subscription: WebhookSubscription) -> WebhookDelivery:
    """A webhook.test event to this one subscription, to see the receiver check a signature."""
    refuse_paused(subscription)
    now = utcnow()
    event = WebhookEvent.webhook_test
    payload = _payload(event, now, {"subscription_id": subscription.id})
    return await _deliver(session, subscription.id, f"msg_{uuid.uuid4().hex}", event.value, payload, now)


async def redeliver(session: AsyncSession, delivery: WebhookDelivery) -> WebhookDelivery:
    """The same message (same id, same payload) once more, as a new delivery with its own attempts;
    one at a time (clicks at once make one redelivery, not one each)."""
    await hold_where(session, WebhookDelivery, col(WebhookDelivery.id) == delivery.id, touch="attempts")
    await session.refresh(delivery)
    if delivery.status in (DeliveryStatus.pending, DeliveryStatus.sending):
        raise Conflict(
            "this delivery is still being tried; redeliver it once it succeeded or failed", key="webhook_busy"
        )
    again = select(WebhookDelivery.id).where(
        col(WebhookDelivery.redelivery_of) == delivery.id,
        col(WebhookDelivery.status).in_([DeliveryStatus.pending, DeliveryStatus.sending]),
    )
    if (await session.exec(again.limit(1))).first() is not None:
        raise Conflict("this delivery is being sent again already", key="webhook_resending")
    return await _deliver(
        session, delivery.subscription_id, delivery.message_id, delivery.event, delivery.payload, utcnow(), delivery.id
    )


async def claim(session: AsyncSession, delivery_id: int, now: datetime) -> tuple[WebhookDelivery, int] | None:
    """Take the next attempt of a delivery that is due (or whose last attempt died): its number,
    logged; None if it is not due, done, or another worker took it."""
    row = await session.get(WebhookDelivery, delivery_id)
    if row is None or row.status in (DeliveryStatus.delivered, DeliveryStatus.failed):
        return None
    if not await _active(session, row.subscription_id):
        return None  # paused: its deliveries wait, and go on once it is active again
    stale = row.status == DeliveryStatus.sending and row.next_attempt_at is not None and row.next_attempt_at <= now
    due = row.status == DeliveryStatus.pending and (row.next_attempt_at is None or row.next_attempt_at <= now)
    if not (due or stale):
        return None
    if stale and row.attempts >= ATTEMPTS:
        await _finish(session, row, row.attempts, None, now)
        return None
    number = row.attempts + 1
    taken = await session.exec(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == row.id, col(WebhookDelivery.attempts) == row.attempts)
        .values(attempts=number, status=DeliveryStatus.sending, next_attempt_at=now + STALE_AFTER)
    )
    if taken.rowcount != 1:
        return None
    logged = await add_unless_taken(session, WebhookAttempt(delivery_id=row.id, number=number, started_at=now))
    if logged is None:
        return None
    await session.refresh(row)
    return row, number


async def record_answer(
    session: AsyncSession, delivery_id: int, number: int, status: int | None, error: str | None, started: datetime
) -> WebhookDelivery | None:
    """The answer to attempt `number`: logged on its row, and the delivery done, failed, or due again."""
    now = utcnow()
    await session.exec(
        update(WebhookAttempt)
        .where(col(WebhookAttempt.delivery_id) == delivery_id, col(WebhookAttempt.number) == number)
        .values(
            finished_at=now,
            status_code=status,
            error=(error or None) and error[:500],
            duration_ms=int((now - started).total_seconds() * 1000),
        )
    )
    row = await session.get(WebhookDelivery, delivery_id)
    if row is None or row.attempts != number or row.status != DeliveryStatus.sending:
        return row  # a later attempt took over: this answer is in the log, the state is the later one's
    await _finish(session, row, number, status, now)
    return row


async def _finish(session: AsyncSession, row: WebhookDelivery, number: int, status: int | None, now: datetime) -> None:
    row.last_status_code = status
    if status is not None and 200 <= status < 300:
        row.status, row.delivered_at, row.next_attempt_at = DeliveryStatus.delivered, now, None
    elif number >= ATTEMPTS:
        row.status, row.next_attempt_at = DeliveryStatus.failed, None
    else:
        row.status, row.next_attempt_at = DeliveryStatus.pending, now + RETRY_AFTER[number - 1]
    await session.flush()


async def _active(session: AsyncSession, subscription_id: int) -> bool:
    found = await session.exec(select(WebhookSubscription.active).where(WebhookSubscription.id == subscription_id))
    return bool(found.first())


def refuse_paused(subscription: WebhookSubscription) -> None:
    if not subscription.active:
        raise Conflict("this subscription is paused: activate it to send to it", key="webhook_is_paused")


async def due_deliveries(session: AsyncSession, now: datetime, limit: int = 500) -> list[tuple[int, int]]:
    """Deliveries of active subscriptions whose next attempt is due (or whose attempt died):
    (id, next attempt number)."""
    active = select(WebhookSubscription.id).where(col(WebhookSubscription.active).is_(True))
    stmt = (
        select(WebhookDelivery.id, WebhookDelivery.attempts)
        .where(
            col(WebhookDelivery.status).in_([DeliveryStatus.pending, DeliveryStatus.sending]),
            col(WebhookDelivery.next_attempt_at) <= now,
            col(WebhookDelivery.subscription_id).in_(active),
        )
        .order_by(col(WebhookDelivery.next_attempt_at))
        .limit(limit)
    )
    return [(i, n + 1) for i, n in (await session.exec(stmt)).all()]


async def attempts_for(session: AsyncSession, delivery_ids: list[int]) -> dict[int, list[WebhookAttempt]]:
    """The attempts of several deliveries (a page of the log), in one query."""
    found: dict[int, list[WebhookAttempt]] = {i: [] for i in delivery_ids}
    if delivery_ids:
        stmt = select(WebhookAttempt).where(col(WebhookAttempt.delivery_id).in_(delivery_ids))
        for attempt in (await session.exec(stmt.order_by(col(WebhookAttempt.number)))).all():
            found[attempt.delivery_id].append(attempt)
    return found


async def state_counts(session: AsyncSession) -> dict[int, dict[str, int]]:
    """How many deliveries of each subscription are in each state."""
    stmt = select(WebhookDelivery.subscription_id, WebhookDelivery.status, func.count()).group_by(
        col(WebhookDelivery.subscription_id), col(WebhookDelivery.status)
    )
    counts: dict[int, dict[str, int]] = {}
    for subscription_id, status, n in (await session.exec(stmt)).all():
        counts.setdefault(subscription_id, {})[str(status)] = n
    return counts
