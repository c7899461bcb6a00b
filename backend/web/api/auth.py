from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import JSONBody
from litestar.security.jwt import JWTCookieAuth
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record
from backend.domains.auth.models import LoginRequest, TokenResponse, User, UserCreate, UserRead, UserValues
from backend.domains.auth.principals import Principal
from backend.domains.auth.service import password_sign_in, prepare_user
from backend.domains.auth.sessions import end_session, open_session
from backend.domains.auth.throttle import DEVICE_COOKIE, device_cookie
from backend.domains.crud import STAFF
from backend.kernel.db import READS_ONLY
from backend.kernel.enums import Role
from backend.web.api.problem_docs import problem_responses
from backend.web.api.resource import DbSession, Resource, resource_controller
from backend.web.auth import AUTH_COOKIE

users = Resource(
    name="users",
    entity="user",
    model=User,
    read=UserRead,
    create=UserCreate,
    check=UserValues,
    filters={"role": (Role, User.role), "client_id": (int, User.client_id)},
    sortable=("id", "email", "full_name", "created_at"),
    # The team sees who is who (to pick a lead consultant); only admins change users.
    read_roles=STAFF,
    write_roles=frozenset({Role.admin}),
    prepare=prepare_user,
    deletable=False,  # deactivate with is_active=false; audit rows keep pointing at the user
    always_apply=("is_active",),
    example={
        "email": "anna.berater@example.de",
        "full_name": "Anna Berater",
        "role": "consultant",
        "password": "ein-langes-passwort",
    },
)

UserController = resource_controller(users)


def client_ip(request: Request[Any, Any, Any]) -> str | None:
    return request.client.host if request.client else None


async def sign_in(db_session: AsyncSession, request: Request[Any, Any, Any], user: User) -> tuple[str, list[Cookie]]:
    """A new session for `user`: its JWT, and the cookies that carry it and mark this browser as
    one the account signs in from (see backend.domains.auth.throttle)."""
    auth: JWTCookieAuth = request.app.state.auth
    session_id = await open_session(db_session, user.id, auth.default_token_expiration)  # type: ignore[arg-type]
    login = auth.login(str(user.id), token_unique_jwt_id=session_id, send_token_as_response_body=True)
    return login.content["token"], [*login.cookies, device_cookie(request.app.state.settings, user.email)]


async def sign_out(db_session: AsyncSession, request: Request[Any, Any, Any]) -> Cookie:
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


async def token_response(
    db_session: AsyncSession, request: Request[Any, Any, Any], user: User
) -> Response[TokenResponse]:
    """A session for `user`: the JWT as HttpOnly cookie and, for API clients, in the body."""
    token, cookies = await sign_in(db_session, request, user)
    body = TokenResponse(
        access_token=token,
        expires_in=int(request.app.state.auth.default_token_expiration.total_seconds()),
        user=UserRead.model_validate(user),
    )
    return Response(body, status_code=200, cookies=cookies)


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post(
        "/login",
        operation_id="login",
        responses=problem_responses(401, 429),
        exclude_from_auth=True,
        summary="Exchange email + password for a JWT (also set as cookie); wrong guesses slow down (429)",
    )
    async def login(
        self, db_session: DbSession, request: Request[Any, Any, Any], data: JSONBody[LoginRequest]
    ) -> Response[TokenResponse]:
        user = await password_sign_in(
            db_session,
            request.app.state.queue,
            request.app.state.settings,
            email=data.email,
            password=data.password,
            ip=client_ip(request),
            device=request.cookies.get(DEVICE_COOKIE),
        )
        return await token_response(db_session, request, user)

    # Declared as a response cookie rather than set on a Response[None], which OpenAPI would
    # document as a JSON body that a 204 never has.
    @post(
        "/logout",
        operation_id="logout",
        summary="End this session: its token is refused from now on",
        status_code=204,
        response_cookies=[cleared_session_cookie()],
    )
    async def logout(self, db_session: DbSession, request: Request[Principal, Any, Any]) -> None:
        await sign_out(db_session, request)

    @get("/me", operation_id="me", summary="The signed-in user", opt={READS_ONLY: True})
    async def me(self, db_session: DbSession, request: Request[Principal, Any, Any]) -> UserRead:
        return UserRead.model_validate(await db_session.get(User, request.user.id))
