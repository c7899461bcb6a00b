"""Signing in and out over HTTP, for the API and the pages alike: the session's JWT and cookies,
the device cookie, the client's address, and the limit on sign-in link requests."""

from __future__ import annotations

from typing import Literal

from litestar import Response
from litestar.datastructures import Cookie
from litestar.security.jwt import JWTCookieAuth
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record
from backend.domains.auth.models import TokenResponse, User, UserRead
from backend.domains.auth.sessions import end_session, open_session
from backend.domains.auth.throttle import DEVICE_COOKIE, Source, count_link_request, device_cookie
from backend.flows.portal.statements import Signer
from backend.web.auth import AUTH_COOKIE
from backend.web.handlers import AppRequest


def private_cookie(
    request: AppRequest, key: str, value: str, *, path: str, max_age: int, samesite: Literal["lax", "strict"] = "strict"
) -> Cookie:
    """A cookie only the server reads (HttpOnly), sent over https outside development."""
    return Cookie(
        key=key,
        value=value,
        path=path,
        max_age=max_age,
        httponly=True,
        samesite=samesite,
        secure=request.app.state.settings.env != "dev",
    )


def client_ip(request: AppRequest) -> str | None:
    return request.client.host if request.client else None


def signer_of(request: AppRequest) -> Signer:
    """Where a client's decision came from, as it is recorded with the decision."""
    return Signer(ip=client_ip(request), user_agent=request.headers.get("user-agent"))


async def sign_in(db_session: AsyncSession, request: AppRequest, user: User) -> tuple[str, list[Cookie]]:
    """A new session for `user`: its JWT, and the cookies that carry it and mark this browser as
    one the account signs in from (see backend.domains.auth.throttle)."""
    auth: JWTCookieAuth = request.app.state.auth
    session_id = await open_session(db_session, user.id, auth.default_token_expiration)
    login = auth.login(str(user.id), token_unique_jwt_id=session_id, send_token_as_response_body=True)
    return login.content["token"], [*login.cookies, device_cookie(request.app.state.settings, user.email)]


async def sign_out(db_session: AsyncSession, request: AppRequest) -> Cookie:
    """End this request's session; returns the cookie that removes it from the browser."""
    await end_session(db_session, request.user.session_id)
    await record(db_session, actor=request.user, action="logout", entity_type="user", entity_id=request.user.id)
    return cleared_session_cookie(secure=request.app.state.settings.env != "dev")


def cleared_session_cookie(*, secure: bool = False) -> Cookie:
    # The same attributes as the cookie it replaces, so every browser applies the removal.
    return Cookie(
        key=AUTH_COOKIE,
        value="",
        path="/",
        expires=0,
        max_age=0,
        httponly=True,
        samesite="strict",
        secure=secure,
        description="Clears the session cookie",
    )


async def token_response(db_session: AsyncSession, request: AppRequest, user: User) -> Response[TokenResponse]:
    """A session for `user`: the JWT as HttpOnly cookie and, for API clients, in the body."""
    token, cookies = await sign_in(db_session, request, user)
    body = TokenResponse(
        access_token=token,
        expires_in=int(request.app.state.auth.default_token_expiration.total_seconds()),
        user=UserRead.model_validate(user),
    )
    return Response(body, status_code=200, cookies=cookies)


async def limit_login_links(request: AppRequest, email: str) -> None:
    settings = request.app.state.settings
    source = Source.of(settings, email, client_ip(request), request.cookies.get(DEVICE_COOKIE))
    await count_link_request(request.app.state.queue, settings, source)
