"""The team's AI-literacy pages: a workshop's content, room link, attendance, feedback and
certificates; a client's participants, AI systems and register."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, MediaType, Response, get, post
from litestar.params import QueryParameter
from litestar.response import Template
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.resources import client_service
from backend.domains.crud import STAFF
from backend.domains.engagements.resources import engagement_service
from backend.domains.literacy import attendance, feedback, guideline
from backend.domains.literacy.models import AISystemCreate, AttendanceStatus, ParticipantCreate
from backend.domains.literacy.resources import ai_system_service, ai_system_user_service, participant_service
from backend.domains.literacy.service import literacy_of_client, set_system_users, users_of
from backend.domains.workshops.models import Topic
from backend.domains.workshops.resources import workshop_service, workshops
from backend.flows.literacy import certificates, guideline_mail, register_files
from backend.kernel.db import utcnow
from backend.kernel.qr import qr_svg
from backend.kernel.time import today
from backend.web.admin.pages import Form
from backend.web.downloads import certificate_file, register_file
from backend.web.forms import Failure, FormErrors, attempt, done, edit_values, int_or_none, parse, save_edit
from backend.web.handlers import AppRequest, DbSession, RowId, role_guard
from backend.web.i18n import language_of, page_context

CONTENT = ("duration_minutes", "learning_objectives", "materials_version", "trainer_name", "ai_system_id", "topics")
Kind = Annotated[Literal["csv", "pdf"], QueryParameter()]
OptionalInt = Annotated[int | None, QueryParameter(ge=0, le=100_000)]


def _content_values(data: dict[str, Any]) -> dict[str, Any]:
    values = edit_values({k: v for k, v in data.items() if k in CONTENT}, CONTENT)
    values["topics"] = [t.value for t in Topic if data.get(f"topic_{t.value}")]
    return values


def _attendance_entries(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The list's rows (`status_<participant>`, `minutes_<participant>`) that were given a status."""
    entries = []
    for key, status in data.items():
        if not key.startswith("status_") or not status:
            continue
        entry: dict[str, Any] = {"participant_id": int_or_none(key.removeprefix("status_")) or 0, "status": status}
        minutes = str(data.get(f"minutes_{entry['participant_id']}", "")).strip()
        if minutes and status in (AttendanceStatus.late, AttendanceStatus.partial):
            entry["minutes"] = minutes
        entries.append(entry)
    return entries


class LiteracyPages(Controller):
    include_in_schema = False
    guards = [role_guard(STAFF)]

    # -- a workshop -----------------------------------------------------------------------------

    @get("/workshops/{row_id:int}")
    async def workshop(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, planned: OptionalInt = None
    ) -> Template:
        return await self._workshop(db_session, request, row_id, Failure(), planned)

    async def _workshop(
        self, db_session: AsyncSession, request: AppRequest, row_id: int, failure: Failure, planned: int | None = None
    ) -> Template:
        settings = request.app.state.settings
        workshop = await workshop_service.get(db_session, request.user, row_id)
        engagement = await engagement_service.get(db_session, request.user, workshop.engagement_id)
        people, systems = await literacy_of_client(db_session, engagement.client_id)
        present = {a.participant_id: a for a in await attendance.attendance_of(db_session, workshop)}
        until = attendance.room_link_until(workshop)
        room_url = settings.link(attendance.room_path(settings.secret_key, workshop))
        form = {name: getattr(workshop, name) for name in CONTENT}
        context = page_context(
            request,
            nav="engagements",
            workshop=workshop,
            engagement=engagement,
            people=people,
            system_options=[("", "—"), *((s.id, s.name) for s in systems)],
            present=present,
            statuses=list(AttendanceStatus),
            topics=list(Topic),
            content=form,
            room_url=room_url,
            room_until=until,
            room_closed=until <= utcnow(),
            planned=planned,
            feedback=await feedback.summary(db_session, workshop.id or 0),
            issued=await certificates.certificates_of(db_session, settings, workshop.id or 0),
            failed=failure,
            planned_minutes=attendance.planned_minutes(workshop),
        )
        return Template("workshops/show.html", context=context, status_code=failure.status, media_type=MediaType.HTML)

    async def _back(
        self, db_session: AsyncSession, request: AppRequest, row_id: int, failure: Failure | None, anchor: str
    ) -> Any:
        if failure:
            return await self._workshop(db_session, request, row_id, failure)
        return await done(db_session, f"/workshops/{row_id}#{anchor}")

    @post("/workshops/{row_id:int}/content")
    async def content(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        await workshop_service.get(db_session, request.user, row_id)
        values = _content_values(data)

        async def action() -> None:
            await save_edit(
                workshop_service, workshops.update, db_session, request, row_id, data, values, whole="topics"
            )

        failure = await attempt(db_session, request, "content", data, action)
        return await self._back(db_session, request, row_id, failure, "content")

    @post("/workshops/{row_id:int}/attendance")
    async def attendance(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        workshop = await workshop_service.get(db_session, request.user, row_id)
        secret = request.app.state.settings.secret_key

        async def action() -> None:
            entries = _attendance_entries(data)
            if not entries:
                raise FormErrors({}, "no entries")
            body = parse(attendance.AttendanceWrite, {"entries": entries})
            await attendance.record_attendance(
                db_session, request.user, workshop, body, secret_key=secret, now=utcnow()
            )

        failure = await attempt(db_session, request, "attendance", data, action)
        return await self._back(db_session, request, row_id, failure, "attendance")

    @post("/workshops/{row_id:int}/certificates")
    async def certificates(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        workshop = await workshop_service.get(db_session, request.user, row_id)

        planned: list[int] = []

        async def action() -> None:
            call = parse(certificates.CertificateCall, {"language": data.get("language") or "de"})
            planned.append(
                await certificates.request_certificates(db_session, request.user, workshop, call, now=utcnow())
            )

        if failure := await attempt(db_session, request, "certificates", data, action):
            return await self._workshop(db_session, request, row_id, failure)
        return await done(db_session, f"/workshops/{row_id}?planned={planned[0]}#certificates")

    @get("/workshops/{row_id:int}/room")
    async def room(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Template:
        """The check-in code for the projector."""
        settings = request.app.state.settings
        workshop = await workshop_service.get(db_session, request.user, row_id)
        until = attendance.room_link_until(workshop)
        url = settings.link(attendance.room_path(settings.secret_key, workshop))
        context = page_context(
            request, workshop=workshop, url=url, qr=qr_svg(url).decode(), until=until, expired=until < utcnow()
        )
        return Template("workshops/room.html", context=context, media_type=MediaType.HTML)

    @get("/certificates/{row_id:int}/pdf")
    async def certificate(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[bytes]:
        return await certificate_file(db_session, request, row_id)

    # -- a client -------------------------------------------------------------------------------

    @get("/clients/{row_id:int}/ai-literacy")
    async def client(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, invited: OptionalInt = None
    ) -> Template:
        return await self._client(db_session, request, row_id, Failure(), invited)

    async def _client(
        self, db_session: AsyncSession, request: AppRequest, row_id: int, failure: Failure, invited: int | None = None
    ) -> Template:
        settings = request.app.state.settings
        client, found = await register_files.register_for(db_session, settings, request.user, row_id, as_of=today())
        people, systems = await literacy_of_client(db_session, row_id)
        users = await users_of(db_session, [s.id or 0 for s in systems])
        readings = [
            (g, await guideline.reading_list(db_session, settings.secret_key, g.id or 0))
            for g in await guideline.guidelines_of_client(db_session, row_id)
        ]
        context = page_context(request, nav="clients", client=client, register=found, people=people, systems=systems,
                               users=users, failed=failure, readings=readings, invited=invited)  # fmt: skip
        context |= register_files.page_words(found, context["lang"])
        return Template("clients/literacy.html", context=context, status_code=failure.status, media_type=MediaType.HTML)

    async def _client_back(
        self, db_session: AsyncSession, request: AppRequest, row_id: int, failure: Failure | None, anchor: str
    ) -> Any:
        if failure:
            return await self._client(db_session, request, row_id, failure)
        return await done(db_session, f"/clients/{row_id}/ai-literacy#{anchor}")

    @post("/clients/{row_id:int}/deliverables/{deliverable_id:int}/guideline-invitations")
    async def invite(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, deliverable_id: RowId, data: Form
    ) -> Any:
        await client_service.get(db_session, request.user, row_id)
        done_: list[int] = []

        async def action() -> None:
            if deliverable_id not in {g.id for g in await guideline.guidelines_of_client(db_session, row_id)}:
                raise FormErrors({}, "not this client's guideline")
            done_.append((await guideline_mail.invite(db_session, deliverable_id)).invited)

        if failure := await attempt(db_session, request, f"guideline-{deliverable_id}", data, action):
            return await self._client(db_session, request, row_id, failure)
        return await done(db_session, f"/clients/{row_id}/ai-literacy?invited={done_[0]}#guidelines")

    @post("/clients/{row_id:int}/participants")
    async def add_participant(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        await client_service.get(db_session, request.user, row_id)

        async def action() -> None:
            await participant_service.create(db_session, request.user, parse(ParticipantCreate, data, client_id=row_id))

        failure = await attempt(db_session, request, "participant", data, action)
        return await self._client_back(db_session, request, row_id, failure, "participants")

    @post("/clients/{row_id:int}/ai-systems")
    async def add_system(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        await client_service.get(db_session, request.user, row_id)

        async def action() -> None:
            await ai_system_service.create(db_session, request.user, parse(AISystemCreate, data, client_id=row_id))

        failure = await attempt(db_session, request, "system", data, action)
        return await self._client_back(db_session, request, row_id, failure, "systems")

    @post("/clients/{row_id:int}/ai-systems/{system_id:int}/users")
    async def system_users(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, system_id: RowId, data: Form
    ) -> Any:
        await ai_system_service.get(db_session, request.user, system_id, within={"client_id": row_id})
        wanted = {int_or_none(k.removeprefix("user_")) for k in data if k.startswith("user_")} - {None}

        async def action() -> None:
            await set_system_users(db_session, request.user, ai_system_user_service, system_id, wanted)  # type: ignore[arg-type]

        failure = await attempt(db_session, request, f"system-{system_id}", data, action)
        return await self._client_back(db_session, request, row_id, failure, f"system-{system_id}")

    @get("/clients/{row_id:int}/ai-literacy/register")
    async def register_file(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        format: Kind = "pdf",
    ) -> Response[bytes]:
        return await register_file(db_session, request, row_id, format, language_of(request))
