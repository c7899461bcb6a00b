"""Admin pages' side of the client portal: send a document version, hand out and withdraw share links."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from litestar import Controller, post
from litestar.params import PathParameter
from litestar.response import Redirect

from backend.domains.crud import STAFF
from backend.flows.documents.resources import document_service
from backend.flows.documents.service import render_again
from backend.flows.portal import release, sharing
from backend.flows.portal.models import ShareLinkCreate
from backend.kernel.errors import DomainError
from backend.kernel.schema import MAX_ID
from backend.web.admin.engagements import back
from backend.web.forms import attempt
from backend.web.handlers import AppRequest, DbSession, RowId, role_guard

ItemId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


class SendingPages(Controller):
    path = "/engagements/{row_id:int}"
    include_in_schema = False
    guards = [role_guard(STAFF)]

    async def _document(self, db_session: Any, request: AppRequest, row_id: int, document_id: int) -> None:
        await document_service.get(db_session, request.user, document_id, within={"engagement_id": row_id})

    @post("/documents/{document_id:int}/send", status_code=303)
    async def send(self, db_session: DbSession, request: AppRequest, row_id: RowId, document_id: ItemId) -> Any:
        await self._document(db_session, request, row_id, document_id)
        settings = request.app.state.settings
        action = partial(release.release, db_session, settings, request.user, document_id)
        failure = await attempt(db_session, request, "documents", {}, action)
        return await back(db_session, request, row_id, failure, notice="document_sent")

    @post("/documents/{document_id:int}/render", status_code=303)
    async def render(self, db_session: DbSession, request: AppRequest, row_id: RowId, document_id: ItemId) -> Redirect:
        await self._document(db_session, request, row_id, document_id)
        try:
            await render_again(db_session, request.user, document_id)
        except DomainError:
            await db_session.rollback()  # rendered meanwhile: the panel shows it
        return Redirect(f"/engagements/{row_id}?notice=document_render_queued#documents", status_code=303)

    @post("/documents/{document_id:int}/share-links", status_code=303)
    async def share(self, db_session: DbSession, request: AppRequest, row_id: RowId, document_id: ItemId) -> Any:
        await self._document(db_session, request, row_id, document_id)
        body = ShareLinkCreate(valid_days=request.app.state.settings.share_link_days)
        action = partial(sharing.create_link, db_session, request.app.state.settings, request.user, document_id, body)
        failure = await attempt(db_session, request, "documents", {}, action)
        return await back(db_session, request, row_id, failure, notice="share_link_created")

    @post("/share-links/{link_id:int}/revoke", status_code=303)
    async def revoke(self, db_session: DbSession, request: AppRequest, row_id: RowId, link_id: ItemId) -> Any:
        async def action() -> None:
            link = await sharing.share_link_service.get(db_session, request.user, link_id)
            await self._document(db_session, request, row_id, link.document_id)
            await sharing.revoke(db_session, request.user, link_id)

        failure = await attempt(db_session, request, "documents", {}, action)
        return await back(db_session, request, row_id, failure, notice="share_link_revoked")
