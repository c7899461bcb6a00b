"""Privacy in the portal: the notice every visitor may read (Art. 13 GDPR), and for a signed-in
client their own data — a copy to download (Art. 15), requests to the consultancy (erasure,
rectification, restriction, objection) with the day they will be answered by."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Response, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from pydantic import Field

from backend.domains.auth.resources import user_service
from backend.domains.crud import CLIENTS
from backend.flows.privacy import notices, requests
from backend.flows.privacy.models import Right, SubjectKind
from backend.flows.privacy.record import notice
from backend.kernel.schema import Strict
from backend.web.downloads import personal_data_file
from backend.web.forms import Failure, attempt, parse
from backend.web.handlers import AppRequest, DbSession, role_guard
from backend.web.i18n import language_of, page_context
from backend.web.portal.pages import PORTAL, Form

# What a client asks for here; a copy of their data they take themselves.
ASKABLE = (Right.access, Right.erasure, Right.rectification, Right.restriction, Right.objection, Right.portability)


class PortalRequest(Strict):
    right: Literal["access", "erasure", "rectification", "restriction", "objection", "portability"]
    note: str | None = Field(default=None, max_length=4000)


class PortalPrivacyPages(Controller):
    path = "/portal"
    include_in_schema = False

    @get("/privacy", exclude_from_auth=True)
    async def notice(self, request: AppRequest) -> Template:
        """Public, as a website's privacy notice is: linked from the sign-in page and every page."""
        lang = language_of(request)
        return Template(
            "portal/privacy.html",
            context=page_context(request, notice=notice(request.app.state.settings, lang)),
        )

    @get("/my-data", guards=[role_guard(CLIENTS)])
    async def mine(
        self,
        db_session: DbSession,
        request: AppRequest,
        done: Annotated[str | None, QueryParameter(max_length=20)] = None,
    ) -> Template:
        return await self._page(db_session, request, Failure(), done == "requested")

    @get("/my-data/export", guards=[role_guard(CLIENTS)])
    async def export(self, db_session: DbSession, request: AppRequest) -> Response[bytes]:
        account = await user_service.get(db_session, None, request.user.id)
        return await personal_data_file(db_session, request, SubjectKind.user, account)

    @post("/my-data/requests", guards=[role_guard(CLIENTS)], status_code=303)
    async def ask(self, db_session: DbSession, request: AppRequest, data: Form) -> Response[Any]:
        form = {"right": data.get("right", ""), "note": (data.get("note") or "").strip() or None}

        async def action() -> None:
            body = parse(PortalRequest, form)
            kind, subject_id = requests.subject_of(request.user)
            asked = await requests.ask(db_session, request.user, kind, subject_id, Right(body.right), body.note)
            await notices.tell_team(db_session, request.app.state.settings, asked)

        if failure := await attempt(db_session, request, "request", form, action, PORTAL):
            return await self._page(db_session, request, failure, False)
        return Redirect("/portal/my-data?done=requested#requests", status_code=303)

    async def _page(self, db_session: DbSession, request: AppRequest, failure: Failure, asked: bool) -> Template:
        theirs = await requests.requests_of(db_session, request.user)
        context = page_context(request, requests=theirs, rights=ASKABLE, failure=failure, asked=asked)
        return Template("portal/my_data.html", context=context, status_code=failure.status if failure.section else 200)
