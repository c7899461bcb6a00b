"""The engagement page's contract forms: the offer's line items, a deliverable's artefacts
(upload, link, remove), the request for its Abnahme, and the protocol's download."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body

from backend.domains.crud import STAFF
from backend.domains.deliverables import artefacts
from backend.domains.deliverables.models import ArtefactLink
from backend.domains.deliverables.resources import deliverable_service
from backend.domains.engagements.offer import MAX_ITEMS, ProposalItemsWrite
from backend.domains.engagements.resources import set_proposal_items
from backend.flows.acceptance import requests
from backend.flows.acceptance.models import AcceptanceCall
from backend.kernel.errors import Invalid
from backend.web.admin.engagements import back
from backend.web.admin.pages import Form
from backend.web.downloads import artefact_file, protocol_file
from backend.web.forms import FormErrors, attempt, decimals, int_or_none, parse
from backend.web.handlers import AppRequest, DbSession, RowId, role_guard
from backend.web.uploads import BODY_LIMIT, file_limit, within_upload_limit

ITEM_FIELDS = ("title", "description", "quantity", "unit", "unit_price", "discount_percent", "kind", "replaces")
Upload = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


def items_from_form(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The items table's rows (`title_1`, `unit_price_1` …) in order; a row without a title is
    an empty one and left out."""
    rows = []
    for n in range(1, MAX_ITEMS + 1):
        row = {name: str(data.get(f"{name}_{n}", "")).strip() for name in ITEM_FIELDS}
        if not row["title"]:
            continue
        row = decimals(row, "quantity", "unit_price", "discount_percent")
        rows.append({k: v for k, v in row.items() if v != ""})
    return rows


class ContractPages(Controller):
    path = "/engagements"
    include_in_schema = False
    guards = [role_guard(STAFF)]

    @post("/{row_id:int}/proposal-items")
    async def items(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        async def action() -> None:
            version = int_or_none(data.get("version"))
            if version is None:
                raise FormErrors({}, "version")
            body = parse(ProposalItemsWrite, {"items": items_from_form(data), "version": version})
            await set_proposal_items(db_session, request.user, row_id, body)

        return await back(db_session, request, row_id, await attempt(db_session, request, "offer", data, action))

    @post(
        "/{row_id:int}/deliverables/{item_id:int}/artefacts",
        request_max_body_size=BODY_LIMIT,
        before_request=within_upload_limit,
    )
    async def upload(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, item_id: RowId, data: Upload
    ) -> Any:
        file = data.get("file")

        async def work() -> None:
            if not isinstance(file, UploadFile):
                raise Invalid.field("body.file", "choose a file")
            limit = file_limit(request)
            content = await file.read()
            await artefacts.add_file(
                db_session, request.user, item_id, filename=file.filename, content=content, limit=limit
            )

        return await self._on_deliverable(db_session, request, row_id, item_id, "artefacts", {}, work)

    @post("/{row_id:int}/deliverables/{item_id:int}/links")
    async def link(self, db_session: DbSession, request: AppRequest, row_id: RowId, item_id: RowId, data: Form) -> Any:
        async def work() -> None:
            await artefacts.add_link(db_session, request.user, item_id, parse(ArtefactLink, data))

        return await self._on_deliverable(db_session, request, row_id, item_id, "artefacts", data, work)

    @post("/{row_id:int}/deliverables/{item_id:int}/artefacts/{artefact_id:int}/delete")
    async def remove(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, item_id: RowId, artefact_id: RowId
    ) -> Any:
        async def work() -> None:
            await artefacts.remove(db_session, request.user, artefact_id, deliverable_id=item_id)

        return await self._on_deliverable(db_session, request, row_id, item_id, "artefacts", {}, work)

    @get("/{row_id:int}/deliverables/{item_id:int}/artefacts/{artefact_id:int}")
    async def download(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, item_id: RowId, artefact_id: RowId
    ) -> Response[bytes]:
        await self._own(db_session, request, row_id, item_id)
        return await artefact_file(db_session, request, artefact_id, deliverable_id=item_id)

    @post("/{row_id:int}/deliverables/{item_id:int}/acceptance-request")
    async def ask(self, db_session: DbSession, request: AppRequest, row_id: RowId, item_id: RowId, data: Form) -> Any:
        async def work() -> None:
            await requests.request_acceptance(db_session, request.user, item_id, parse(AcceptanceCall, data))

        return await self._on_deliverable(db_session, request, row_id, item_id, "abnahme", data, work)

    @get("/{row_id:int}/deliverables/{item_id:int}/protocol")
    async def protocol(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, item_id: RowId
    ) -> Response[bytes]:
        await self._own(db_session, request, row_id, item_id)
        return await protocol_file(db_session, request, item_id)

    async def _on_deliverable(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: int,
        item_id: int,
        section: str,
        data: dict[str, Any],
        work: Callable[[], Awaitable[Any]],
    ) -> Any:
        """One form on one of the page's deliverables: the page again with its refusal shown in
        the deliverable's `section`, or back to the page."""
        await self._own(db_session, request, row_id, item_id)
        return await back(
            db_session, request, row_id, await attempt(db_session, request, f"{section}-{item_id}", data, work)
        )

    async def _own(self, db_session: DbSession, request: AppRequest, row_id: int, item_id: int) -> None:
        """404 for a deliverable of another engagement than the page's."""
        await deliverable_service.get(db_session, request.user, item_id, within={"engagement_id": row_id})
