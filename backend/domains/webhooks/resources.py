"""How the API sees webhooks: subscriptions (the admins' own), their deliveries and attempts."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record
from backend.domains.auth.principals import Actor
from backend.domains.crud import CrudService, Resource
from backend.domains.webhooks import service
from backend.domains.webhooks.models import (
    AttemptRead,
    DeliveryRead,
    DeliveryStatus,
    DeliverySummary,
    SubscriptionCreate,
    SubscriptionRead,
    SubscriptionUpdate,
    WebhookDelivery,
    WebhookSubscription,
)
from backend.domains.webhooks.service import attempts_for, new_secret
from backend.kernel.config import Settings
from backend.kernel.enums import Role
from backend.kernel.outbound import check_url
from backend.kernel.paging import Page, Paging

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

deliveries = Resource(
    name="webhook-deliveries",
    entity="webhook delivery",
    model=WebhookDelivery,
    read=DeliverySummary,
    filters={
        "subscription_id": (int, WebhookDelivery.subscription_id),
        "status": (DeliveryStatus, WebhookDelivery.status),
        "event": (str, WebhookDelivery.event),
    },
    sortable=("id", "created_at"),
    default_sort="-id",
    read_roles=ADMINS,
    writable=False,
)
delivery_service = CrudService(deliveries)


async def deliveries_of(
    session: AsyncSession, user: Actor, subscription_id: int, status: DeliveryStatus | None, paging: Paging
) -> Page[Any]:
    """A subscription's deliveries, newest first (a page; its attempts: `delivery_read`)."""
    await subscription_service.get(session, user, subscription_id)
    filters = {"subscription_id": subscription_id, "status": status}
    return await delivery_service.page(session, user, filters=filters, sort="-id", paging=paging)


async def delivery_read(session: AsyncSession, row: WebhookDelivery) -> DeliveryRead:
    read = DeliveryRead.model_validate(row)
    read.attempt_log = [AttemptRead.model_validate(a) for a in (await attempts_for(session, [row.id]))[row.id]]
    return read


# -- what the API and the admin page both do ---------------------------------------------


async def create_subscription(
    session: AsyncSession, user: Actor, data: SubscriptionCreate, settings: Settings
) -> WebhookSubscription:
    check_url(data.url, allow_private=settings.webhooks_allow_private)
    row: WebhookSubscription = await subscription_service.create(session, user, data)
    return row


async def update_subscription(
    session: AsyncSession, user: Actor, row_id: int, data: Any, settings: Settings
) -> WebhookSubscription:
    if data.url is not None:
        check_url(data.url, allow_private=settings.webhooks_allow_private)
    row: WebhookSubscription = await subscription_service.update(session, user, row_id, data)
    return row


async def rotate_secret(session: AsyncSession, user: Actor, row_id: int) -> WebhookSubscription:
    """A new signing secret; the old one stops at once (shown to the caller this once)."""
    row: WebhookSubscription = await subscription_service.get(session, user, row_id)
    await subscription_service.write(session, row, {"secret": new_secret()})
    await record(session, actor=user, action="rotate_secret", entity_type="webhook_subscription", entity_id=row.id)
    await session.refresh(row)
    return row


async def send_test(session: AsyncSession, user: Actor, row_id: int) -> WebhookDelivery:
    return await service.send_test(session, await subscription_service.get(session, user, row_id))


async def redeliver(session: AsyncSession, user: Actor, delivery_id: int) -> WebhookDelivery:
    delivery = await delivery_service.get(session, user, delivery_id)
    service.refuse_paused(await subscription_service.get(session, user, delivery.subscription_id))
    row = await service.redeliver(session, delivery)
    await record(session, actor=user, action="redeliver", entity_type="webhook_delivery", entity_id=delivery_id)
    return row
