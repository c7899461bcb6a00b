from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, Response, delete, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body

from backend.domains.crud import STAFF
from backend.domains.deliverables import artefacts
from backend.domains.deliverables.models import ArtefactLink, ArtefactRead
from backend.domains.deliverables.resources import deliverable_service, deliverables
from backend.flows.acceptance import records, requests
from backend.flows.acceptance.models import AcceptanceCall, AcceptanceCallRead, DeliverableAcceptanceRead
from backend.kernel.errors import NotFound
from backend.web.api.problem_docs import problem_responses
from backend.web.api.resource import resource_controller
from backend.web.downloads import artefact_file, protocol_file
from backend.web.handlers import AppRequest, DbSession, RowId, example_body, role_guard
from backend.web.uploads import BODY_LIMIT, file_limit, within_upload_limit


@dataclass
class ArtefactUpload:
    file: UploadFile


class DeliverableController(resource_controller(deliverables, deliverable_service)):  # type: ignore[misc]
    @get(
        "/{row_id:int}/artefacts",
        operation_id="list_artefacts",
        summary="The deliverable's files and links with their SHA-256 (a client sees them once delivered)",
    )
    async def list_artefacts(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> list[ArtefactRead]:
        found = await artefacts.visible_artefacts(db_session, request.user, row_id)
        return [ArtefactRead.model_validate(a) for a in found]

    @post(
        "/{row_id:int}/artefacts",
        operation_id="upload_artefact",
        summary="Attach a file (PDF, DOCX, XLSX, PPTX, PNG, JPEG, TXT, CSV, MD, JSON; DESK_ARTEFACT_MAX_MIB)",
        guards=[role_guard(STAFF)],
        request_max_body_size=BODY_LIMIT,
        before_request=within_upload_limit,
        responses=problem_responses(413, 415),
    )
    async def upload(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        data: Annotated[ArtefactUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> ArtefactRead:
        content = await data.file.read()
        artefact = await artefacts.add_file(
            db_session, request.user, row_id, filename=data.file.filename, content=content, limit=file_limit(request)
        )
        return ArtefactRead.model_validate(artefact)

    @post(
        "/{row_id:int}/links",
        operation_id="add_artefact_link",
        summary="Attach a link (https) the deliverable hands over, e.g. a repository or shared folder",
        guards=[role_guard(STAFF)],
    )
    async def add_link(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        data: example_body(  # type: ignore[valid-type]
            ArtefactLink, {"url": "https://git.example.de/kunde/angebotsassistent", "name": "Quellcode des Prototyps"}
        ),
    ) -> ArtefactRead:
        artefact = await artefacts.add_link(db_session, request.user, row_id, data)
        return ArtefactRead.model_validate(artefact)

    @post(
        "/{row_id:int}/acceptance-request",
        operation_id="request_acceptance",
        summary="Ask the client to accept delivered work by a deadline, after which it counts as accepted (§ 640 (2))",
        guards=[role_guard(STAFF)],
    )
    async def request_acceptance(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        data: example_body(AcceptanceCall, {"deadline_days": 14}),  # type: ignore[valid-type]
    ) -> AcceptanceCallRead:
        row = await requests.request_acceptance(db_session, request.user, row_id, data)
        return AcceptanceCallRead.model_validate(row)

    @get(
        "/{row_id:int}/acceptance-requests",
        operation_id="list_acceptance_requests",
        summary="The requests to accept this deliverable, newest first, with deadline and outcome",
    )
    async def list_requests(
        self, db_session: DbSession, request: AppRequest, row_id: RowId
    ) -> list[AcceptanceCallRead]:
        deliverable = await deliverable_service.get(db_session, request.user, row_id)
        found = await requests.requests_of(db_session, deliverable.engagement_id)
        return [AcceptanceCallRead.model_validate(r) for r in found if r.deliverable_id == deliverable.id]

    @get(
        "/{row_id:int}/acceptance",
        operation_id="get_deliverable_acceptance",
        summary="The Abnahme: explicit, recorded or deemed; who, when, reservations, the artefacts' SHA-256",
    )
    async def acceptance(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> DeliverableAcceptanceRead:
        deliverable = await deliverable_service.get(db_session, request.user, row_id)
        row = await records.acceptance_of(db_session, deliverable.id)
        if row is None:
            raise NotFound(f"deliverable {row_id} has not been accepted")
        return DeliverableAcceptanceRead.model_validate(row)

    @get(
        "/{row_id:int}/acceptance/protocol",
        operation_id="download_acceptance_protocol",
        summary="The Abnahmeprotokoll as PDF/A: what was accepted (artefact SHA-256), by whom, when, reservations",
    )
    async def protocol(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[bytes]:
        return await protocol_file(db_session, request, row_id)


class ArtefactController(Controller):
    path = "/artefacts"
    tags = ["deliverables"]

    @get("/{row_id:int}/file", operation_id="download_artefact", summary="An artefact's file, as uploaded")
    async def download(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[bytes]:
        return await artefact_file(db_session, request, row_id)

    @delete(
        "/{row_id:int}",
        operation_id="delete_artefact",
        summary="Remove an artefact while the deliverable is worked on",
        guards=[role_guard(STAFF)],
    )
    async def remove(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> None:
        await artefacts.remove(db_session, request.user, row_id)
