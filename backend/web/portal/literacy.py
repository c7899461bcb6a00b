"""Pages a client's staff open without an account, often on a phone: check-in by the room link,
the anonymous feedback form, the AI guideline to confirm, and a certificate's verification."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated, Any, Literal

from litestar import Controller, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter, QueryParameter
from litestar.response import Template
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.crud import CLIENTS
from backend.domains.literacy import attendance, feedback, guideline
from backend.domains.workshops.models import Workshop
from backend.flows.literacy import certificates, register_files
from backend.kernel.db import utcnow
from backend.kernel.errors import DomainError
from backend.kernel.schema import MAX_ID
from backend.kernel.time import today
from backend.web.downloads import register_file, sandboxed_file
from backend.web.forms import refusal, word
from backend.web.handlers import AppRequest, DbSession, Token, role_guard
from backend.web.i18n import language_of, page_context
from backend.web.portal.public import limit_public, public_context, refused_page

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
FileId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
Kind = Annotated[Literal["csv", "pdf"], QueryParameter()]


def _when(context: dict[str, Any], workshop: Workshop) -> str:
    return context["fmt"].time_span(workshop.starts_at, workshop.ends_at)


class ParticipantPages(Controller):
    include_in_schema = False

    @get("/c/{token:str}", exclude_from_auth=True)
    async def check_in_form(self, db_session: DbSession, request: AppRequest, token: Token) -> Template:
        try:
            workshop = await attendance.workshop_of_room_token(
                db_session, request.app.state.settings.secret_key, token, utcnow()
            )
        except DomainError as exc:
            return refused_page(request, exc, "checkin_title")
        context = public_context(request, workshop=workshop, token=token, done=None, error=None, form={})
        context["when"] = _when(context, workshop)
        return Template("public/checkin.html", context=context)

    @post("/c/{token:str}", exclude_from_auth=True, status_code=200)
    async def check_in(self, db_session: DbSession, request: AppRequest, token: Token, data: Form) -> Template:
        settings = request.app.state.settings
        try:
            await limit_public(request, "check-in")
            workshop = await attendance.workshop_of_room_token(db_session, settings.secret_key, token, utcnow())
        except DomainError as exc:
            return refused_page(request, exc, "checkin_title")
        form = {k: str(data.get(k, ""))[:300] for k in ("name", "department")}
        # What the page shows of the workshop, read now: a refusal rolls the session back.
        shown = SimpleNamespace(
            **{k: getattr(workshop, k) for k in ("id", "title", "starts_at", "ends_at", "location")}
        )
        context = public_context(request, workshop=shown, token=token, done=None, error=None, form=form)
        context["when"] = _when(context, workshop)
        try:
            given = attendance.CheckIn.model_validate({k: v for k, v in form.items() if v.strip()})
        except ValidationError:
            context["error"] = word(request, "checkin_name_needed")
            return Template("public/checkin.html", context=context, status_code=422)
        try:
            done = await attendance.check_in(db_session, workshop, given, now=utcnow(), secret_key=settings.secret_key)
        except DomainError as exc:
            await db_session.rollback()
            context["error"] = refusal(request, exc) or exc.detail
            return Template("public/checkin.html", context=context, status_code=exc.status_code)
        context["done"] = done
        if done.new and done.attendance.ballot_issued:  # never on a repeat: the name may be anyone's
            context["feedback_url"] = "/f/" + feedback.ballot_token(
                settings.secret_key, workshop.id, done.participant.id
            )
        # A second check-in (a double tap, a replayed form) records nothing: 409, with the same
        # friendly page, so a person who tapped twice still finds the feedback link.
        return Template("public/checkin.html", context=context, status_code=200 if done.new else 409)

    @get("/f/{token:str}", exclude_from_auth=True)
    async def feedback_form(self, db_session: DbSession, request: AppRequest, token: Token) -> Template:
        return await self._feedback_page(db_session, request, token, {}, None)

    async def _feedback_page(
        self,
        db_session: AsyncSession,
        request: AppRequest,
        token: str,
        form: dict[str, str],
        error: str | None,
        status: int = 200,
    ) -> Template:
        try:
            workshop = await feedback.open_ballot(db_session, token, utcnow())
        except DomainError as exc:
            return refused_page(request, exc, "feedback_title")
        context = public_context(
            request, workshop=workshop, token=token, form=form, error=error, questions=feedback.QUESTIONS
        )
        context["when"] = _when(context, workshop)
        return Template("public/feedback.html", context=context, status_code=status)

    @post("/f/{token:str}", exclude_from_auth=True, status_code=200)
    async def give_feedback(
        self, db_session: DbSession, request: AppRequest, token: Token, data: Form
    ) -> Response[Any]:
        try:
            await limit_public(request, "feedback")
        except DomainError as exc:
            return refused_page(request, exc, "feedback_title")
        form = {k: str(data.get(k, ""))[:2100] for k in (*feedback.QUESTIONS, "comment")}
        try:
            answers = feedback.FeedbackForm.model_validate({k: v for k, v in form.items() if v.strip()})
        except ValidationError:
            return await self._feedback_page(
                db_session, request, token, form, word(request, "feedback_answer_all"), 422
            )
        try:
            await feedback.answer(db_session, token, answers, utcnow(), today())
        except DomainError as exc:
            await db_session.rollback()
            return refused_page(request, exc, "feedback_title")
        context = public_context(
            request,
            heading=word(request, "feedback_title"),
            message=word(request, "feedback_thanks"),
            ok=True,
            link=None,
        )
        return Template("public/message.html", context=context)

    @get("/v/{token:str}", exclude_from_auth=True)
    async def verify(self, db_session: DbSession, request: AppRequest, token: Token) -> Template:
        """Whether a certificate is genuine, and nothing more: its serial and date are on the paper."""
        try:
            await limit_public(request, "verify")
        except DomainError as exc:
            return refused_page(request, exc, "verify_title")
        found = await certificates.verdict(db_session, request.app.state.settings, token)
        context = public_context(request, heading=word(request, "verify_title"), link=None)
        if not found.genuine:
            context |= {"ok": False, "message": word(request, "verify_unknown")}
            return Template("public/message.html", context=context, status_code=404)
        key = "verify_withdrawn" if found.withdrawn else "verify_genuine"
        context |= {
            "ok": not found.withdrawn,
            "message": word(request, key, serial=found.serial, date=context["fmt"].date(found.issued_on)),
        }
        return Template("public/message.html", context=context)

    @get("/a/{token:str}", exclude_from_auth=True)
    async def guideline_page(self, db_session: DbSession, request: AppRequest, token: Token) -> Template:
        return await self._guideline(db_session, request, token, None)

    async def _guideline(
        self, db_session: AsyncSession, request: AppRequest, token: str, error: str | None, status: int = 200
    ) -> Template:
        try:
            reading = await guideline.open_reading(db_session, request.app.state.settings.secret_key, token)
        except DomainError as exc:
            return refused_page(request, exc, "guideline_page_title")
        context = public_context(request, reading=reading, token=token, error=error)
        return Template("public/guideline.html", context=context, status_code=status)

    @post("/a/{token:str}", exclude_from_auth=True, status_code=200)
    async def confirm_guideline(self, db_session: DbSession, request: AppRequest, token: Token, data: Form) -> Template:
        try:
            await limit_public(request, "guideline")
        except DomainError as exc:
            return refused_page(request, exc, "guideline_page_title")
        if data.get("confirmed") != "true":
            return await self._guideline(db_session, request, token, word(request, "guideline_tick"), 422)
        try:
            reading, _ = await guideline.acknowledge(
                db_session, request.app.state.settings.secret_key, token, now=utcnow()
            )
        except DomainError as exc:
            await db_session.rollback()
            return refused_page(request, exc, "guideline_page_title")
        context = public_context(request, reading=reading, token=token, error=None)
        return Template("public/guideline.html", context=context)

    @get("/a/{token:str}/files/{artefact_id:int}", exclude_from_auth=True)
    async def guideline_download(
        self, db_session: DbSession, request: AppRequest, token: Token, artefact_id: FileId
    ) -> Response[Any]:
        try:
            await limit_public(request, "guideline")
            artefact, content = await guideline.guideline_file(
                db_session, request.app.state.settings.secret_key, token, artefact_id
            )
        except DomainError as exc:
            return refused_page(request, exc, "guideline_page_title")
        return sandboxed_file(content, artefact)


class PortalLiteracyPages(Controller):
    """The client's AI owner sees the register and its coverage, and downloads it."""

    path = "/portal/ai-literacy"
    include_in_schema = False
    guards = [role_guard(CLIENTS)]

    async def _register(self, db_session: AsyncSession, request: AppRequest) -> tuple[Any, Any]:
        settings = request.app.state.settings
        return await register_files.register_for(
            db_session, settings, request.user, request.user.client_id or 0, as_of=today()
        )

    @get("/")
    async def overview(self, db_session: DbSession, request: AppRequest) -> Template:
        try:
            _, found = await self._register(db_session, request)
        except DomainError as exc:
            context = public_context(
                request,
                heading=word(request, "literacy_portal_title"),
                ok=False,
                link=None,
                message=refusal(request, exc) or exc.detail,
            )
            return Template("portal/message.html", context=context, status_code=exc.status_code)
        context = page_context(request, register=found, due_people=len({d.participant_id for d in found.due}))
        context |= register_files.page_words(found, context["lang"])
        return Template("portal/literacy.html", context=context)

    @get("/register")
    async def download(self, db_session: DbSession, request: AppRequest, format: Kind = "pdf") -> Response[Any]:
        kind = format
        return await register_file(db_session, request, request.user.client_id or 0, kind, language_of(request))
