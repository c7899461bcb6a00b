"""Webhooks on the admins' pages: subscriptions (the signing secret shown once, when made or
rotated), a test event, and each subscription's delivery log with its attempts and redelivery."""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, get, post
from litestar.datastructures import Cookie
from litestar.response import Template

from backend.domains.webhooks import resources as hooks
from backend.domains.webhooks.models import (
    SUBSCRIBABLE,
    DeliveryStatus,
    SubscriptionCreate,
    SubscriptionRead,
    SubscriptionUpdate,
    WebhookSubscription,
)
from backend.domains.webhooks.service import attempts_for, state_counts
from backend.kernel.errors import DomainError
from backend.kernel.paging import Paging, decode_cursor
from backend.web.admin.pages import Form, OptionalQuery
from backend.web.forms import Failure, FormErrors, attempt, checked, done, int_or_none, parse, word
from backend.web.handlers import AppRequest, DbSession, RowId, role_guard
from backend.web.i18n import page_context
from backend.web.sessions import private_cookie

LOG_PAGE = 20
# The signing secret, shown once on the page the browser is sent to after making or rotating it
# (so that reloading that page repeats nothing): carried there by a short cookie for that page
# alone, read once and cleared.
SECRET_COOKIE = "desk_hook_secret"
SECRET_SECONDS = 300


def _secret_cookie(request: AppRequest, row_id: int, value: str, max_age: int = SECRET_SECONDS) -> Cookie:
    return private_cookie(request, SECRET_COOKIE, value, path=f"/webhooks/{row_id}", max_age=max_age)


def _events(data: dict[str, Any]) -> list[str]:
    """The ticked events: one checkbox each, named `event-<event>`."""
    return [e.value for e in SUBSCRIBABLE if checked(data, f"event-{e.value}")]


def _subscription_form(request: AppRequest, data: dict[str, Any]) -> dict[str, Any]:
    if not _events(data):
        raise FormErrors({"events": word(request, "webhook_pick_events")})
    return {
        "url": (data.get("url") or "").strip(),
        "description": (data.get("description") or "").strip() or None,
        "events": _events(data),
    }


class WebhookPages(Controller):
    path = "/"
    include_in_schema = False
    guards = [role_guard(hooks.ADMINS)]

    @get("/webhooks")
    async def index(self, db_session: DbSession, request: AppRequest) -> Template:
        return await self._index(db_session, request, Failure())

    @post("/webhooks")
    async def create(self, db_session: DbSession, request: AppRequest, data: Form) -> Any:
        made: list[WebhookSubscription] = []

        async def action() -> None:
            body = parse(SubscriptionCreate, _subscription_form(request, data))
            made.append(await hooks.create_subscription(db_session, request.user, body, request.app.state.settings))

        if failure := await attempt(db_session, request, "create", data, action):
            return await self._index(db_session, request, failure)
        row_id, secret = made[0].id, made[0].secret
        return await done(db_session, f"/webhooks/{row_id}", cookies=[_secret_cookie(request, row_id, secret)])

    @get("/webhooks/{row_id:int}")
    async def show(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        cursor: OptionalQuery = None,
        status: OptionalQuery = None,
    ) -> Template:
        secret = request.cookies.get(SECRET_COOKIE)
        return await self._show(db_session, request, row_id, Failure(), cursor=cursor, status=status, secret=secret)

    @post("/webhooks/{row_id:int}")
    async def edit(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        async def action() -> None:
            values = {**_subscription_form(request, data), "active": checked(data, "active")}
            body = parse(SubscriptionUpdate, values, version=int_or_none(data.get("version")) or 0)
            await hooks.update_subscription(db_session, request.user, row_id, body, request.app.state.settings)

        if failure := await attempt(db_session, request, "edit", data, action):
            return await self._show(db_session, request, row_id, failure)
        return await done(db_session, f"/webhooks/{row_id}")

    @post("/webhooks/{row_id:int}/rotate-secret")
    async def rotate(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Any:
        row = await hooks.rotate_secret(db_session, request.user, row_id)
        return await done(db_session, f"/webhooks/{row_id}", cookies=[_secret_cookie(request, row_id, row.secret)])

    @post("/webhooks/{row_id:int}/test")
    async def test(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Any:
        await hooks.send_test(db_session, request.user, row_id)
        return await done(db_session, f"/webhooks/{row_id}#log")

    @post("/webhooks/{row_id:int}/delete")
    async def delete(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        version = int_or_none(data.get("version")) or 0
        action = lambda: hooks.subscription_service.delete(db_session, request.user, row_id, version)  # noqa: E731
        if failure := await attempt(db_session, request, "edit", data, action):
            return await self._show(db_session, request, row_id, failure)
        return await done(db_session, "/webhooks")

    @post("/webhook-deliveries/{row_id:int}/redeliver")
    async def redeliver(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        # Read before the attempt: a refusal rolls the session back and expires the row.
        subscription_id = (await hooks.delivery_service.get(db_session, request.user, row_id)).subscription_id
        action = lambda: hooks.redeliver(db_session, request.user, row_id)  # noqa: E731
        if failure := await attempt(db_session, request, f"delivery-{row_id}", data, action):
            return await self._show(db_session, request, subscription_id, failure)
        return await done(db_session, f"/webhooks/{subscription_id}#log")

    async def _index(self, db_session: DbSession, request: AppRequest, failure: Failure) -> Template:
        rows = await hooks.subscription_service.page(
            db_session, request.user, filters={}, sort="id", paging=Paging(limit=100)
        )
        context = page_context(
            request,
            nav="webhooks",
            subscriptions=rows.items,
            counts=await state_counts(db_session),
            events=[e.value for e in SUBSCRIBABLE],
            failed=failure,
        )
        return Template("webhooks/index.html", context=context, status_code=failure.status, media_type=MediaType.HTML)

    async def _show(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: int,
        failure: Failure,
        *,
        secret: str | None = None,
        status: str | None = None,
        cursor: str | None = None,
    ) -> Template:
        row = await hooks.subscription_service.get(db_session, request.user, row_id)
        state = status if status in set(DeliveryStatus) else None
        wanted = DeliveryStatus(state) if state else None
        try:
            paging = Paging(limit=LOG_PAGE, cursor=decode_cursor(cursor) if cursor else None)
            log = await hooks.deliveries_of(db_session, request.user, row_id, wanted, paging)
        except DomainError:  # a link tampered with: the newest page instead of an error
            cursor = None
            log = await hooks.deliveries_of(db_session, request.user, row_id, wanted, Paging(limit=LOG_PAGE))
        context = page_context(
            request,
            nav="webhooks",
            hook=SubscriptionRead.model_validate(row),
            secret=secret,
            log=log,
            attempts=await attempts_for(db_session, [d.id for d in log.items]),
            status=state,
            first_page=cursor is None,
            events=[e.value for e in SUBSCRIBABLE],
            failed=failure,
        )
        answer = failure.status if failure.section else 200
        shown_once = [_secret_cookie(request, row_id, "", 0)] if secret else None
        return Template(
            "webhooks/show.html", context=context, status_code=answer, media_type=MediaType.HTML, cookies=shown_once
        )
