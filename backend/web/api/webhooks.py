"""Webhook subscriptions (admins), their delivery log, redelivery and a test event."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.params import Parameter

from backend.domains.audit.service import record
from backend.domains.webhooks import service
from backend.domains.webhooks.models import (
    DeliveryRead,
    DeliverySummary,
    SubscriptionCreate,
    SubscriptionRead,
    SubscriptionUpdate,
    SubscriptionWithSecret,
)
from backend.domains.webhooks.resources import (
    ADMINS,
    deliveries_of,
    delivery,
    delivery_read,
    subscription_service,
    subscriptions,
)
from backend.kernel.outbound import check_url
from backend.web.api.resource import resource_controller
from backend.web.handlers import AppRequest, DbSession, RowId, example_body, role_guard

_admins = [role_guard(ADMINS)]
Limit = Annotated[int, Parameter(ge=1, le=100, description="How many, newest first")]


def _check(request: AppRequest, url: str | None) -> None:
    if url is not None:
        check_url(url, allow_private=request.app.state.settings.webhooks_allow_private)


class WebhookSubscriptionController(resource_controller(subscriptions, subscription_service)):  # type: ignore[misc]
    @post(
        "/",
        operation_id="create_webhook_subscription",
        summary="Subscribe a URL to events; the answer holds the signing secret, shown this once",
        guards=_admins,
        status_code=201,
    )
    async def create_row(
        self,
        db_session: DbSession,
        request: AppRequest,
        data: example_body(SubscriptionCreate, subscriptions.example),  # type: ignore[valid-type]
    ) -> SubscriptionWithSecret:
        _check(request, data.url)
        return SubscriptionWithSecret.model_validate(await subscription_service.create(db_session, request.user, data))

    @patch(
        "/{row_id:int}",
        operation_id="update_webhook_subscription",
        summary="Change a subscription (send the version you read; 409 if it moved on)",
        guards=_admins,
    )
    async def update_row(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        data: example_body(SubscriptionUpdate, {"version": 1, "active": False}),  # type: ignore[valid-type]
    ) -> SubscriptionRead:
        _check(request, data.url)
        return SubscriptionRead.model_validate(
            await subscription_service.update(db_session, request.user, row_id, data)
        )

    @post(
        "/{row_id:int}/rotate-secret",
        operation_id="rotate_webhook_secret",
        summary="A new signing secret (the old one stops at once); shown this once",
        guards=_admins,
        status_code=200,
    )
    async def rotate(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> SubscriptionWithSecret:
        row = await subscription_service.get(db_session, request.user, row_id)
        await subscription_service.write(db_session, row, {"secret": service.new_secret()})
        await record(
            db_session, actor=request.user, action="rotate_secret", entity_type="webhook_subscription", entity_id=row.id
        )
        await db_session.refresh(row)
        return SubscriptionWithSecret.model_validate(row)

    @post(
        "/{row_id:int}/test",
        operation_id="test_webhook",
        summary="Send a webhook.test event to this subscription now (its delivery shows in the log)",
        guards=_admins,
        status_code=201,
    )
    async def test(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> DeliveryRead:
        row = await subscription_service.get(db_session, request.user, row_id)
        sent = await service.send_test(db_session, row)
        return DeliveryRead.model_validate(sent)

    @get(
        "/{row_id:int}/deliveries",
        operation_id="list_webhook_deliveries",
        summary="The subscription's deliveries, newest first: event, state, attempts, the receiver's last answer",
        guards=_admins,
    )
    async def deliveries(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, limit: Limit = 50
    ) -> list[DeliverySummary]:
        return await deliveries_of(db_session, request.user, row_id, limit)


class WebhookDeliveryController(Controller):
    path = "/webhook-deliveries"
    tags = ["webhook-subscriptions"]
    guards = _admins

    @get("/{row_id:int}", operation_id="get_webhook_delivery", summary="One delivery with every attempt")
    async def get_delivery(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> DeliveryRead:
        return await delivery_read(db_session, await delivery(db_session, request.user, row_id))

    @post(
        "/{row_id:int}/redeliver",
        operation_id="redeliver_webhook",
        summary="Send a delivered or failed message again (same webhook-id, new attempts)",
        status_code=201,
    )
    async def redeliver(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> DeliveryRead:
        row = await service.redeliver(db_session, await delivery(db_session, request.user, row_id))
        await record(
            db_session, actor=request.user, action="redeliver", entity_type="webhook_delivery", entity_id=row_id
        )
        return DeliveryRead.model_validate(row)
