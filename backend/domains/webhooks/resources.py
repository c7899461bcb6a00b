"""How the API sees webhooks: subscriptions (the admins' own), their deliveries and attempts."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.principals import Actor
from backend.domains.crud import CrudService, Resource
from backend.domains.webhooks.models import (
    AttemptRead,
    DeliveryRead,
    DeliverySummary,
    SubscriptionCreate,
    SubscriptionRead,
    SubscriptionUpdate,
    WebhookDelivery,
    WebhookSubscription,
)
from backend.domains.webhooks.service import attempts_of, new_secret
from backend.kernel.enums import Role
from backend.kernel.errors import NotFound

ADMINS = frozenset({Role.admin})


async def _prepare(session: AsyncSession, values: dict[str, Any], row: WebhookSubscription | None) -> dict[str, Any]:
    if row is None:
        values["secret"] = new_secret()
    return values


subscriptions = Resource(
    name="webhook-subscriptions",
    entity="webhook_subscription",
    model=WebhookSubscription,
    read=SubscriptionRead,
    create=SubscriptionCreate,
    update=SubscriptionUpdate,
    filters={"active": (bool, WebhookSubscription.active)},
    sortable=("id", "created_at"),
    read_roles=ADMINS,
    write_roles=ADMINS,
    prepare=_prepare,
    actor_field="created_by_id",
    example={
        "url": "https://hooks.example.de/engagement-desk",
        "events": ["proposal.accepted", "invoice.issued"],
        "description": "CRM: Angebote und Rechnungen",
    },
)
subscription_service = CrudService(subscriptions)

MOST_DELIVERIES = 100


async def deliveries_of(session: AsyncSession, user: Actor, subscription_id: int, limit: int) -> list[DeliverySummary]:
    await subscription_service.get(session, user, subscription_id)
    stmt = (
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(col(WebhookDelivery.id).desc())
        .limit(min(limit, MOST_DELIVERIES))
    )
    return [DeliverySummary.model_validate(row) for row in (await session.exec(stmt)).all()]


async def delivery(session: AsyncSession, user: Actor, delivery_id: int) -> WebhookDelivery:
    row = await session.get(WebhookDelivery, delivery_id)
    if row is None or getattr(user, "role", None) != Role.admin:
        raise NotFound(f"webhook delivery {delivery_id} not found")
    return row


async def delivery_read(session: AsyncSession, row: WebhookDelivery) -> DeliveryRead:
    read = DeliveryRead.model_validate(row)
    read.attempt_log = [AttemptRead.model_validate(a) for a in await attempts_of(session, row.id)]
    return read
