"""Personal data (GDPR): a person's export (Art. 15), their erasure (Art. 17) and the legal holds
that keep records the law requires."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Response, get, post
from litestar.openapi import ResponseSpec
from litestar.params import Parameter

from backend.domains.auth.resources import user_service
from backend.domains.clients.resources import contact_service
from backend.domains.crud import STAFF
from backend.domains.literacy.resources import participant_service
from backend.flows.privacy import erasure
from backend.flows.privacy.models import ErasurePlan, ErasureReport, ErasureRequest, SubjectKind
from backend.flows.privacy.record import processing_record
from backend.flows.privacy.requests import privacy_request_service, privacy_requests
from backend.flows.privacy.resources import ADMIN, erasure_service, erasures, legal_hold_service, legal_holds
from backend.flows.privacy.retention import RetentionReport, apply_retention
from backend.kernel.db import utcnow
from backend.kernel.enums import Role
from backend.kernel.errors import Forbidden, NotFound
from backend.kernel.time import today
from backend.web.api.problem_docs import problem_responses
from backend.web.api.resource import resource_controller
from backend.web.downloads import personal_data_file, record_file
from backend.web.handlers import AppRequest, DbSession, RowId, example_body, role_guard

LegalHoldController = resource_controller(legal_holds, legal_hold_service)
ErasureController = resource_controller(erasures, erasure_service)
PrivacyRequestController = resource_controller(privacy_requests, privacy_request_service)
# Someone else's data: 403 (another contact of one's own client, another user of the team).
_ZIP = {
    200: ResponseSpec(data_container=bytes, media_type="application/zip", description="The ZIP"),
    **problem_responses(403),
}
_ERASE_EXAMPLE = {"reason": "Art. 17 request by mail of 2026-11-30", "confirm": True}
ErasureBody = example_body(ErasureRequest, _ERASE_EXAMPLE)


async def _subject(db_session: DbSession, request: AppRequest, kind: SubjectKind, row_id: int) -> Any:
    """The person's row as the caller may see it (another client's: 404)."""
    user = request.user
    if kind == SubjectKind.contact:
        contact = await contact_service.get(db_session, user, row_id)
        # Their own contact: the one their account was made for, or the one with their address.
        if user.role == Role.client and user.contact_id != contact.id and contact.email != user.email.lower():
            raise Forbidden("a client user exports only their own data", key="own_data_only")
        return contact
    if kind == SubjectKind.participant:
        return await participant_service.get(db_session, user, row_id)
    if user.role == Role.client and user.id != row_id:
        raise NotFound(f"user {row_id} not found")  # a client sees no user but their own
    if user.role != Role.admin and user.id != row_id:
        raise Forbidden("only an admin exports another user's data", key="own_data_only")
    # Users are the team's to read; a client user reads their own account here all the same.
    return await user_service.get(db_session, user if user.role != Role.client else None, row_id)


async def _export(db_session: DbSession, request: AppRequest, kind: SubjectKind, row_id: int) -> Response[bytes]:
    subject = await _subject(db_session, request, kind, row_id)
    return await personal_data_file(db_session, request, kind, subject)


async def _erase(
    db_session: DbSession, request: AppRequest, kind: SubjectKind, row_id: int, data: ErasureRequest
) -> ErasureReport:
    subject = await _subject(db_session, request, kind, row_id)
    return await erasure.erase(db_session, request.user, kind, subject, data)


async def _preview(db_session: DbSession, request: AppRequest, kind: SubjectKind, row_id: int) -> ErasurePlan:
    return await erasure.preview(db_session, kind, await _subject(db_session, request, kind, row_id))


RecordFormat = Annotated[Literal["json", "pdf"], Parameter(description="json (default) or pdf (PDF/A)")]
Lang = Annotated[Literal["de", "en"], Parameter(description="The record's language")]


class RecordController(Controller):
    path = "/privacy"
    tags = ["privacy"]
    guards = [role_guard(ADMIN)]

    @get(
        "/record-of-processing",
        operation_id="get_record_of_processing",
        summary="The record of processing activities (Art. 30 GDPR): as controller, on the clients' behalf, the TOMs",
        responses={200: ResponseSpec(dict, description="JSON; with format=pdf the PDF/A")},
    )
    async def record_of_processing(
        self, db_session: DbSession, request: AppRequest, format: RecordFormat = "json", lang: Lang = "de"
    ) -> Response[Any]:
        data = await processing_record(db_session, request.app.state.settings, lang, utcnow())
        if format == "json":
            return Response(data, media_type="application/json")
        return await record_file(request, data)


class RetentionController(Controller):
    path = "/retention"
    tags = ["privacy"]
    guards = [role_guard(ADMIN)]

    @get(
        "/",
        operation_id="retention_dry_run",
        summary="What the nightly retention would delete or strip today, policy by policy (a dry run)",
    )
    async def dry_run(self, request: AppRequest) -> RetentionReport:
        state = request.app.state
        return await apply_retention(state.session_maker, state.settings, today(), dry_run=True)


class PrivacyController(Controller):
    path = "/"
    tags = ["privacy"]

    @get(
        "/contacts/{row_id:int}/personal-data",
        operation_id="export_contact_personal_data",
        summary="A contact's personal data (GDPR Art. 15): a ZIP of every row and document naming them",
        responses=_ZIP,
    )
    async def contact_data(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[bytes]:
        return await _export(db_session, request, SubjectKind.contact, row_id)

    @get(
        "/participants/{row_id:int}/personal-data",
        operation_id="export_participant_personal_data",
        summary="A workshop participant's personal data (GDPR Art. 15) as a ZIP",
        guards=[role_guard(STAFF)],
        responses=_ZIP,
    )
    async def participant_data(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[bytes]:
        return await _export(db_session, request, SubjectKind.participant, row_id)

    @get(
        "/users/{row_id:int}/personal-data",
        operation_id="export_user_personal_data",
        summary="A user's personal data (GDPR Art. 15) as a ZIP: an admin for anyone, a user for themself",
        responses=_ZIP,
    )
    async def user_data(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[bytes]:
        return await _export(db_session, request, SubjectKind.user, row_id)

    @post(
        "/contacts/{row_id:int}/erase",
        operation_id="erase_contact",
        summary="Erase a contact (GDPR Art. 17) wherever allowed; records the law requires are kept under a legal hold",
        guards=[role_guard(ADMIN)],
        status_code=200,
    )
    async def erase_contact(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        data: ErasureBody,  # type: ignore[valid-type]
    ) -> ErasureReport:
        return await _erase(db_session, request, SubjectKind.contact, row_id, data)

    @post(
        "/participants/{row_id:int}/erase",
        operation_id="erase_participant",
        summary="Erase a workshop participant (GDPR Art. 17): attendance still counts, without the name",
        guards=[role_guard(ADMIN)],
        status_code=200,
    )
    async def erase_participant(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        data: ErasureBody,  # type: ignore[valid-type]
    ) -> ErasureReport:
        return await _erase(db_session, request, SubjectKind.participant, row_id, data)

    @get(
        "/contacts/{row_id:int}/erasure-preview",
        operation_id="preview_contact_erasure",
        summary="What erasing a contact would do (GDPR Art. 17): rows per table, records kept and why; nothing changes",
        guards=[role_guard(ADMIN)],
    )
    async def preview_contact(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> ErasurePlan:
        return await _preview(db_session, request, SubjectKind.contact, row_id)

    @get(
        "/participants/{row_id:int}/erasure-preview",
        operation_id="preview_participant_erasure",
        summary="What erasing a workshop participant would do (GDPR Art. 17); nothing changes",
        guards=[role_guard(ADMIN)],
    )
    async def preview_participant(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> ErasurePlan:
        return await _preview(db_session, request, SubjectKind.participant, row_id)
