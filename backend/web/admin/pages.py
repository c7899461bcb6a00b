"""Sign-in, language switch and the dashboard."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter, QueryParameter
from litestar.response import Redirect, Template

from backend.domains.auth.service import password_sign_in
from backend.domains.auth.throttle import DEVICE_COOKIE
from backend.domains.crud import STAFF
from backend.flows.dashboard import service as dashboard
from backend.kernel import i18n
from backend.kernel.errors import TooManyRequests, Unauthorized
from backend.web.handlers import AppRequest, DbSession, role_guard
from backend.web.i18n import language_cookie, page_context, try_again
from backend.web.sessions import client_ip, sign_in, sign_out

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
OptionalQuery = Annotated[str | None, QueryParameter()]


def safe_next(target: str | None) -> str:
    # Only paths on this site: an absolute URL here would be an open redirect.
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


class PageController(Controller):
    include_in_schema = False

    @get("/login")
    async def login_form(self, request: AppRequest, next: OptionalQuery = None) -> Template:
        return Template("login.html", context=page_context(request, next=safe_next(next), email="", error=None))

    @post("/login", status_code=303)
    async def login(self, db_session: DbSession, request: AppRequest, data: Form) -> Response[Any]:
        email = str(data.get("email", ""))[:254]
        context = page_context(request, next=safe_next(data.get("next")), email=email, error=None)
        try:
            user = await password_sign_in(
                db_session,
                request.app.state.queue,
                request.app.state.settings,
                email=email,
                password=str(data.get("password", ""))[:256],
                ip=client_ip(request),
                device=request.cookies.get(DEVICE_COOKIE),
            )
        except Unauthorized:
            await db_session.rollback()
            context["error"] = context["t"]("login_failed")
            return Template("login.html", context=context, status_code=401)
        except TooManyRequests as exc:
            context["error"] = context["t"]("login_wait", when=try_again(context["t"], exc))
            return Template("login.html", context=context, status_code=429, headers=exc.headers)
        _, cookies = await sign_in(db_session, request, user)
        return Redirect(safe_next(data.get("next")), cookies=cookies, status_code=303)

    @post("/logout", status_code=303)
    async def logout(self, db_session: DbSession, request: AppRequest) -> Redirect:
        return Redirect("/login", status_code=303, cookies=[await sign_out(db_session, request)])

    @get("/lang/{lang:str}", exclude_from_auth=True)
    async def switch_language(self, request: AppRequest, lang: Annotated[str, PathParameter()]) -> Redirect:
        response = Redirect(
            safe_next(request.headers.get("referer", "/").split(str(request.base_url).rstrip("/"), 1)[-1])
        )
        if lang in i18n.LANGUAGES:
            response.set_cookie(language_cookie(lang))
        return response

    @get("/", guards=[role_guard(STAFF)])
    async def home(self, db_session: DbSession, request: AppRequest) -> Template:
        board = await dashboard.load(db_session)
        return Template("dashboard.html", context=page_context(request, nav="dashboard", board=board))
