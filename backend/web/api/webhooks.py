"""Webhook subscriptions (admins), their delivery log, redelivery and a test event."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.params import QueryParameter

from backend.domains.webhooks import resources as hooks
from backend.domains.webhooks.models import (
    DeliveryRead,
    DeliveryStatus,
    DeliverySummary,
    SubscriptionCreate,
    SubscriptionRead,
    SubscriptionUpdate,
    SubscriptionWithSecret,
)
from backend.domains.webhooks.resources import ADMINS, subscription_service, subscriptions
from backend.kernel.paging import Page
from backend.web.api.resource import resource_controller
from backend.web.handlers import AppRequest, DbSession, Pages, RowId, example_body, role_guard

_admins = [role_guard(ADMINS)]
StatusFilter = Annotated[DeliveryStatus | None, QueryParameter(description="Only deliveries in this state")]


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
        row = await hooks.create_subscription(db_session, request.user, data, request.app.state.settings)
        return SubscriptionWithSecret.model_validate(row)

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
        row = await hooks.update_subscription(db_session, request.user, row_id, data, request.app.state.settings)
        return SubscriptionRead.model_validate(row)

    @post(
        "/{row_id:int}/rotate-secret",
        operation_id="rotate_webhook_secret",
        summary="A new signing secret (the old one stops at once); shown this once",
        guards=_admins,
        status_code=200,
    )
    async def rotate(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> SubscriptionWithSecret:
        return SubscriptionWithSecret.model_validate(await hooks.rotate_secret(db_session, request.user, row_id))

    @post(
        "/{row_id:int}/test",
        operation_id="test_webhook",
        summary="Send a webhook.test event to this subscription now (its delivery shows in the log)",
        guards=_admins,
        status_code=201,
    )
    async def test(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> DeliveryRead:
        return DeliveryRead.model_validate(await hooks.send_test(db_session, request.user, row_id))

    @get(
        "/{row_id:int}/deliveries",
        operation_id="list_webhook_deliveries",
        summary="The subscription's deliveries, newest first: event, state, attempts, the receiver's last answer",
        guards=_admins,
    )
    async def deliveries(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, paging: Pages, status: StatusFilter = None
    ) -> Page[DeliverySummary]:
        return await hooks.deliveries_of(db_session, request.user, row_id, status, paging)


class WebhookDeliveryController(Controller):
    path = "/webhook-deliveries"
    tags = ["webhook-subscriptions"]
    guards = _admins

    @get("/{row_id:int}", operation_id="get_webhook_delivery", summary="One delivery with every attempt")
    async def get_delivery(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> DeliveryRead:
        row = await hooks.delivery_service.get(db_session, request.user, row_id)
        return await hooks.delivery_read(db_session, row)

    @post(
        "/{row_id:int}/redeliver",
        operation_id="redeliver_webhook",
        summary="Send a delivered or failed message again (same webhook-id, new attempts)",
        status_code=201,
    )
    async def redeliver(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> DeliveryRead:
        return DeliveryRead.model_validate(await hooks.redeliver(db_session, request.user, row_id))
