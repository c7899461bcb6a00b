"""The AI-literacy API: participants, AI systems and their users, a workshop's room link,
attendance and anonymous feedback."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from litestar import Controller, Response, get, post, put
from litestar.openapi import ResponseSpec
from litestar.params import Parameter
from pydantic import BaseModel

from backend.domains.crud import STAFF
from backend.domains.deliverables.resources import deliverable_service
from backend.domains.literacy import attendance, feedback, guideline
from backend.domains.literacy.models import AttendanceRead
from backend.domains.literacy.resources import (
    ai_system_service,
    ai_system_user_service,
    ai_system_users,
    ai_systems,
    participant_service,
    participants,
)
from backend.domains.workshops.resources import workshop_service
from backend.flows.literacy import certificates, guideline_mail, register_files
from backend.flows.literacy.models import CertificateRead
from backend.flows.literacy.register import Register
from backend.kernel.db import utcnow
from backend.kernel.qr import qr_svg
from backend.kernel.time import today
from backend.web.api.resource import resource_controller
from backend.web.downloads import certificate_file, register_file
from backend.web.handlers import AppRequest, DbSession, RowId, example_body, role_guard

ParticipantController = resource_controller(participants, participant_service)
AISystemController = resource_controller(ai_systems, ai_system_service)
AISystemUserController = resource_controller(ai_system_users, ai_system_user_service)


class RoomLink(BaseModel):
    url: str
    expires_at: datetime
    qr_svg_url: str


class FeedbackRead(BaseModel):
    workshop_id: int
    answers: int
    ballots_open: int
    shown: bool
    means: dict[str, Decimal] | None
    overall_counts: dict[int, int] | None
    comments: list[str] | None


async def _room_link(db_session: DbSession, request: AppRequest, row_id: int) -> RoomLink:
    workshop = await workshop_service.get(db_session, request.user, row_id)
    settings = request.app.state.settings
    return RoomLink(
        url=settings.link(attendance.room_path(settings.secret_key, workshop)),
        expires_at=attendance.room_link_until(workshop),
        qr_svg_url=f"/api/v1/workshops/{workshop.id}/check-in-link/qr.svg",
    )


class CertificatesPlanned(BaseModel):
    planned: int


class WorkshopLiteracyController(Controller):
    path = "/workshops"
    tags = ["ai-literacy"]

    @get(
        "/{row_id:int}/check-in-link",
        operation_id="get_check_in_link",
        summary="The signed, expiring link (and its QR code) participants check in with on their phones",
        guards=[role_guard(STAFF)],
    )
    async def room_link(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> RoomLink:
        return await _room_link(db_session, request, row_id)

    @get(
        "/{row_id:int}/check-in-link/qr.svg",
        operation_id="get_check_in_qr",
        summary="The room link as a QR code (SVG) to show on the projector",
        guards=[role_guard(STAFF)],
        media_type="image/svg+xml",
    )
    async def room_qr(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[bytes]:
        link = await _room_link(db_session, request, row_id)
        return Response(qr_svg(link.url), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})

    @get(
        "/{row_id:int}/attendance",
        operation_id="list_attendance",
        summary="Who attended, how long (minutes) and how it is known (self check-in or the team)",
        guards=[role_guard(STAFF)],
    )
    async def list_attendance(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> list[AttendanceRead]:
        workshop = await workshop_service.get(db_session, request.user, row_id)
        return await attendance.attendance_of(db_session, workshop)

    @put(
        "/{row_id:int}/attendance",
        operation_id="record_attendance",
        summary="Set the status of the named participants (present, late, partial with minutes, absent)",
        guards=[role_guard(STAFF)],
    )
    async def record_attendance(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        data: example_body(  # type: ignore[valid-type]
            attendance.AttendanceWrite,
            {
                "entries": [
                    {"participant_id": 1, "status": "present"},
                    {"participant_id": 2, "status": "partial", "minutes": 90},
                ]
            },
        ),
    ) -> list[AttendanceRead]:
        workshop = await workshop_service.get(db_session, request.user, row_id)
        return await attendance.record_attendance(
            db_session, request.user, workshop, data, secret_key=request.app.state.settings.secret_key, now=utcnow()
        )

    @get(
        "/{row_id:int}/feedback",
        operation_id="get_workshop_feedback",
        summary="The anonymous feedback: number of answers and, from three answers on, means and comments",
        guards=[role_guard(STAFF)],
    )
    async def feedback_summary(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> FeedbackRead:
        workshop = await workshop_service.get(db_session, request.user, row_id)
        found = await feedback.summary(db_session, workshop.id)
        return FeedbackRead(**found.__dict__)

    @post(
        "/{row_id:int}/certificates",
        operation_id="issue_certificates",
        summary="Issue the missing certificates of attendance (a job renders them, mails them where an address exists)",
        guards=[role_guard(STAFF)],
        status_code=202,
    )
    async def issue_certificates(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        data: example_body(certificates.CertificateCall, {"language": "de"}),  # type: ignore[valid-type]
    ) -> CertificatesPlanned:
        workshop = await workshop_service.get(db_session, request.user, row_id)
        planned = await certificates.request_certificates(db_session, request.user, workshop, data, now=utcnow())
        return CertificatesPlanned(planned=planned)

    @get(
        "/{row_id:int}/certificates",
        operation_id="list_certificates",
        summary="The workshop's certificates: serial, participant, verification link, mail status",
        guards=[role_guard(STAFF)],
    )
    async def list_certificates(
        self, db_session: DbSession, request: AppRequest, row_id: RowId
    ) -> list[CertificateRead]:
        workshop = await workshop_service.get(db_session, request.user, row_id)
        return await certificates.certificates_of(db_session, request.app.state.settings, workshop.id)


RegisterFormat = Annotated[
    Literal["json", "csv", "pdf"], Parameter(description="json (default), csv (German Excel) or pdf (PDF/A)")
]
Lang = Annotated[Literal["de", "en"], Parameter(description="The language of the CSV and PDF")]


class ClientLiteracyController(Controller):
    path = "/clients"
    tags = ["ai-literacy"]

    @get(
        "/{row_id:int}/ai-literacy-register",
        operation_id="get_ai_literacy_register",
        summary="The AI-literacy register (AI Act Art. 4): trainings, coverage per AI system, who is due",
        responses={200: ResponseSpec(Register, description="JSON; with format=csv or pdf the file")},
    )
    async def register(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        format: RegisterFormat = "json",
        lang: Lang = "de",
    ) -> Response[Any]:
        if format != "json":
            return await register_file(db_session, request, row_id, format, lang)
        settings = request.app.state.settings
        _, found = await register_files.register_for(db_session, settings, request.user, row_id, as_of=today())
        return Response(found.model_dump(mode="json"), media_type="application/json")


class GuidelineLink(BaseModel):
    participant_id: int
    name: str
    email: str | None
    url: str
    acknowledged_at: datetime | None
    digest: str | None


class InvitationsPlanned(BaseModel):
    invited: int
    already: int
    without_address: int


class GuidelineController(Controller):
    path = "/deliverables"
    tags = ["ai-literacy"]

    @post(
        "/{row_id:int}/guideline-invitations",
        operation_id="invite_to_guideline",
        summary="Mail each participant with an address a personal link to read and confirm the AI guideline",
        guards=[role_guard(STAFF)],
        status_code=202,
    )
    async def invite(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> InvitationsPlanned:
        await deliverable_service.get(db_session, request.user, row_id)
        done = await guideline_mail.invite(db_session, row_id)
        return InvitationsPlanned(invited=done.invited, already=done.already, without_address=done.without_address)

    @get(
        "/{row_id:int}/guideline-links",
        operation_id="list_guideline_links",
        summary="Each participant's personal link to the AI guideline and whether they confirmed this text",
        guards=[role_guard(STAFF)],
    )
    async def links(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> list[GuidelineLink]:
        await deliverable_service.get(db_session, request.user, row_id)
        settings = request.app.state.settings
        found = await guideline.reading_list(db_session, settings.secret_key, row_id)
        return [
            GuidelineLink(
                participant_id=person.id,
                name=person.name,
                email=person.email,
                url=settings.link(f"/a/{token}"),
                acknowledged_at=done.acknowledged_at if done else None,
                digest=done.digest if done else None,
            )
            for person, token, done in found
        ]


class CertificateController(Controller):
    path = "/certificates"
    tags = ["ai-literacy"]

    @get(
        "/{row_id:int}/pdf",
        operation_id="download_certificate",
        summary="A certificate of attendance (PDF/A) as issued",
        media_type="application/pdf",
        guards=[role_guard(STAFF)],
    )
    async def pdf(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[bytes]:
        return await certificate_file(db_session, request, row_id)
