from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.params import QueryParameter

from backend.domains.engagements.resources import engagement_service
from backend.flows.documents.models import DocumentKind, DocumentRead, DocumentRequest
from backend.flows.documents.resources import document_service, documents
from backend.flows.documents.service import order_document, render_again
from backend.kernel.paging import Page
from backend.web.api.problem_docs import problem_responses
from backend.web.api.resource import resource_controller
from backend.web.downloads import download_pdf
from backend.web.handlers import AppRequest, DbSession, Pages, RowId, example_body, role_guard


class DocumentController(resource_controller(documents, document_service)):  # type: ignore[misc]
    @get(
        "/{row_id:int}/download",
        operation_id="download_document",
        summary="The PDF of a ready document version",
        media_type="application/pdf",
        # 409 while the version is not rendered yet; 429 past the per-minute download limit.
        responses=problem_responses(409, 429),
    )
    async def download(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[bytes]:
        return await download_pdf(db_session, request, row_id)

    @post(
        "/{row_id:int}/render",
        operation_id="render_document_again",
        summary="Render a version again that is stuck queued or rendering, or failed (202; 409 if it is ready)",
        guards=[role_guard(documents.write_roles)],
        status_code=202,
        responses=problem_responses(409),
    )
    async def render(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[DocumentRead]:
        document, job_id = await render_again(db_session, request.user, row_id)
        return Response(DocumentRead.model_validate(document), status_code=202, headers={"Job-Id": job_id})


class EngagementDocumentController(Controller):
    path = "/engagements/{engagement_id:int}/documents"
    tags = ["documents"]

    @post(
        "/",
        operation_id="generate_document",
        summary="Generate a new version of a proposal, result report or status report (202, renders in the background)",
        guards=[role_guard(documents.write_roles)],
        status_code=202,
    )
    async def generate(
        self,
        db_session: DbSession,
        request: AppRequest,
        engagement_id: RowId,
        data: example_body(DocumentRequest, {"kind": "proposal", "language": "de"}),  # type: ignore[valid-type]
    ) -> Response[DocumentRead]:
        document, job_id = await order_document(db_session, request.user, engagement_id, data)
        return Response(DocumentRead.model_validate(document), status_code=202, headers={"Job-Id": job_id})

    @get(
        "/",
        operation_id="list_engagement_documents",
        summary="Generated versions of an engagement's documents, newest first",
    )
    async def list_versions(
        self,
        db_session: DbSession,
        request: AppRequest,
        engagement_id: RowId,
        paging: Pages,
        kind: Annotated[DocumentKind | None, QueryParameter(description="Only this kind")] = None,
    ) -> Page[DocumentRead]:
        await engagement_service.get(db_session, request.user, engagement_id)
        return await document_service.page(
            db_session,
            request.user,
            filters={"engagement_id": engagement_id, "kind": kind},
            sort="-id",
            paging=paging,
        )
