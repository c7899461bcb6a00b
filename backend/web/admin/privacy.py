"""A contact's personal data on the team's pages: the export to hand over (Art. 15), and for
admins the erasure (Art. 17) with its report."""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, Response, get, post
from litestar.response import Template

from backend.domains.clients.resources import contact_service
from backend.domains.crud import STAFF
from backend.domains.literacy.resources import participant_service
from backend.flows.privacy import erasure
from backend.flows.privacy.models import ErasureReport, ErasureRequest, SubjectKind
from backend.flows.privacy.resources import ADMIN, erasure_service
from backend.web.admin.clients import client_page
from backend.web.admin.pages import Form
from backend.web.downloads import personal_data_file
from backend.web.forms import attempt, done, parse
from backend.web.handlers import AppRequest, DbSession, RowId, role_guard
from backend.web.i18n import page_context


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

    @post("/clients/{row_id:int}/contacts/{contact_id:int}/erase", guards=[role_guard(ADMIN)])
    async def erase(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, contact_id: RowId, data: Form
    ) -> Any:
        contact = await contact_service.get(db_session, request.user, contact_id, within={"client_id": row_id})
        reports: list[ErasureReport] = []
        form = {**data, "confirm": "confirm" in data}

        async def action() -> None:
            request_ = parse(ErasureRequest, form)
            reports.append(await erasure.erase(db_session, request.user, SubjectKind.contact, contact, request_))

        if failure := await attempt(db_session, request, f"erase-{contact_id}", data, action):
            return await client_page(db_session, request, row_id, failure)
        return await done(db_session, f"/erasures/{reports[0].erasure_id}")

    @get("/erasures/{row_id:int}", guards=[role_guard(ADMIN)])
    async def report(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Template:
        row = await erasure_service.get(db_session, request.user, row_id)
        context = page_context(request, nav="clients", erasure=row, report=ErasureReport.model_validate(row.report))
        return Template("clients/erasure.html", context=context, media_type=MediaType.HTML)
