"""Personal data on the team's pages: a contact's export to hand over (Art. 15), for admins the
erasure (Art. 17) with its report, and the register of people's requests with their deadlines
(Art. 12 (3))."""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, Response, get, post
from litestar.response import Redirect, Template

from backend.domains.clients.resources import contact_service
from backend.domains.crud import STAFF
from backend.domains.literacy.resources import participant_service
from backend.flows.privacy import erasure
from backend.flows.privacy.models import (
    ErasureReport,
    ErasureRequest,
    PrivacyRequestCreate,
    PrivacyRequestUpdate,
    SubjectKind,
)
from backend.flows.privacy.record import processing_record
from backend.flows.privacy.register import register_view
from backend.flows.privacy.requests import privacy_request_service
from backend.flows.privacy.resources import ADMIN, erasure_service
from backend.kernel.db import utcnow
from backend.web.admin.clients import client_page
from backend.web.admin.pages import Form
from backend.web.downloads import personal_data_file, record_file
from backend.web.forms import Failure, FormErrors, attempt, done, int_or_none, move, parse, word
from backend.web.handlers import AppRequest, DbSession, RowId, role_guard
from backend.web.i18n import language_of, page_context

# The people an admin erases on the team's pages, by the path's word for them.
_ERASABLE = {
    "contacts": (SubjectKind.contact, contact_service),
    "participants": (SubjectKind.participant, participant_service),
}


async def _erasable(
    db_session: DbSession, request: AppRequest, client_id: int, kind: str, person_id: int
) -> tuple[SubjectKind, Any]:
    subject_kind, service = _ERASABLE[kind]
    return subject_kind, await service.get(db_session, request.user, person_id, within={"client_id": client_id})


class PrivacyPages(Controller):
    path = "/"
    include_in_schema = False
    guards = [role_guard(STAFF)]

    @get("/clients/{row_id:int}/contacts/{contact_id:int}/personal-data")
    async def export(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, contact_id: RowId
    ) -> Response[bytes]:
        contact = await contact_service.get(db_session, request.user, contact_id, within={"client_id": row_id})
        return await personal_data_file(db_session, request, SubjectKind.contact, contact)

    @get("/clients/{row_id:int}/participants/{participant_id:int}/personal-data")
    async def export_participant(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, participant_id: RowId
    ) -> Response[bytes]:
        person = await participant_service.get(db_session, request.user, participant_id, within={"client_id": row_id})
        return await personal_data_file(db_session, request, SubjectKind.participant, person)

    # What erasing the person would do, with the form that does it; the path's word says who.
    @get("/clients/{row_id:int}/contacts/{person_id:int}/erase", guards=[role_guard(ADMIN)])
    async def confirm_contact(self, db_session: DbSession, request: AppRequest, row_id: RowId, person_id: RowId) -> Any:
        return await self._erase_page(db_session, request, row_id, "contacts", person_id, Failure())

    @get("/clients/{row_id:int}/participants/{person_id:int}/erase", guards=[role_guard(ADMIN)])
    async def confirm_participant(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, person_id: RowId
    ) -> Any:
        return await self._erase_page(db_session, request, row_id, "participants", person_id, Failure())

    @post("/clients/{row_id:int}/contacts/{person_id:int}/erase", guards=[role_guard(ADMIN)])
    async def erase_contact(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, person_id: RowId, data: Form
    ) -> Any:
        return await self._erase(db_session, request, row_id, "contacts", person_id, data)

    @post("/clients/{row_id:int}/participants/{person_id:int}/erase", guards=[role_guard(ADMIN)])
    async def erase_participant(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, person_id: RowId, data: Form
    ) -> Any:
        return await self._erase(db_session, request, row_id, "participants", person_id, data)

    @get("/erasures/{row_id:int}", guards=[role_guard(ADMIN)])
    async def report(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Template:
        row = await erasure_service.get(db_session, request.user, row_id)
        context = page_context(request, nav="clients", erasure=row, report=ErasureReport.model_validate(row.report))
        return Template("clients/erasure.html", context=context, media_type=MediaType.HTML)

    @post("/clients/{row_id:int}/contacts/{contact_id:int}/privacy-requests")
    async def record_request(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, contact_id: RowId, data: Form
    ) -> Any:
        """A request that came by mail, letter or phone, recorded against the contact."""
        contact = await contact_service.get(db_session, request.user, contact_id, within={"client_id": row_id})
        form = {
            "subject_kind": SubjectKind.contact.value,
            "subject_id": contact.id,
            "right": data.get("right", ""),
            "channel": data.get("channel", ""),
            "received_on": data.get("received_on") or None,
            "note": (data.get("note") or "").strip() or None,
        }

        async def action() -> None:
            await privacy_request_service.create(db_session, request.user, parse(PrivacyRequestCreate, form))

        if failure := await attempt(db_session, request, f"request-{contact_id}", data, action):
            return await client_page(db_session, request, row_id, failure)
        return await done(db_session, "/privacy#requests")

    @get("/privacy")
    async def register(self, db_session: DbSession, request: AppRequest) -> Template:
        return await self._register(db_session, request, Failure())

    @post("/privacy-requests/{row_id:int}/transitions")
    async def answer(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        action = move(privacy_request_service, db_session, request, row_id, data)
        if failure := await attempt(db_session, request, f"answer-{row_id}", data, action):
            return await self._register(db_session, request, failure)
        return await done(db_session, "/privacy#requests")

    @post("/privacy-requests/{row_id:int}/deadline")
    async def extend(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        """The deadline put off (at most three months from receipt) with the reason the person is told."""
        form = {
            "due_on": data.get("due_on") or None,
            "extension_reason": (data.get("extension_reason") or "").strip() or None,
            "version": int_or_none(data.get("version")) or 0,
        }

        async def action() -> None:
            if form["due_on"] is None:
                raise FormErrors({"due_on": word(request, "privacy_extend_day")})
            await privacy_request_service.update(db_session, request.user, row_id, parse(PrivacyRequestUpdate, form))

        if failure := await attempt(db_session, request, f"extend-{row_id}", data, action):
            return await self._register(db_session, request, failure)
        return await done(db_session, f"/privacy#request-{row_id}")

    @get("/privacy/record.pdf", guards=[role_guard(ADMIN)])
    async def record_pdf(self, db_session: DbSession, request: AppRequest) -> Response[bytes]:
        settings = request.app.state.settings
        data = await processing_record(db_session, settings, language_of(request), utcnow())
        return await record_file(request, data)

    async def _erase(
        self, db_session: DbSession, request: AppRequest, client_id: int, kind: str, person_id: int, data: Form
    ) -> Any:
        subject_kind, person = await _erasable(db_session, request, client_id, kind, person_id)
        reports: list[ErasureReport] = []
        form = {**data, "confirm": "confirm" in data}

        async def action() -> None:
            request_ = parse(ErasureRequest, form)
            reports.append(await erasure.erase(db_session, request.user, subject_kind, person, request_))

        if failure := await attempt(db_session, request, "erase", data, action):
            return await self._erase_page(db_session, request, client_id, kind, person_id, failure)
        return await done(db_session, f"/erasures/{reports[0].erasure_id}")

    async def _erase_page(
        self, db_session: DbSession, request: AppRequest, client_id: int, kind: str, person_id: int, failure: Failure
    ) -> Any:
        subject_kind, person = await _erasable(db_session, request, client_id, kind, person_id)
        if person.erased_at is not None:  # erased already: its report says what was done
            earlier = await erasure.erasure_of_person(db_session, subject_kind, person)
            return Redirect(f"/erasures/{earlier.id}" if earlier else f"/clients/{client_id}", status_code=303)
        context = page_context(
            request,
            nav="clients",
            client_id=client_id,
            kind=kind,
            person=person,
            plan=await erasure.preview(db_session, subject_kind, person),
            failed=failure,
        )
        return Template("clients/erase.html", context=context, status_code=failure.status, media_type=MediaType.HTML)

    async def _register(self, db_session: DbSession, request: AppRequest, failure: Failure) -> Template:
        view = await register_view(db_session, admin=request.user.role == "admin")
        context = page_context(request, nav="privacy", view=view, failed=failure)
        return Template("privacy/index.html", context=context, status_code=failure.status, media_type=MediaType.HTML)
