from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from backend.domains.auth.models import LoginRequest, TokenResponse, UserRead
from backend.domains.auth.principals import Principal
from backend.domains.auth.resources import user_service, users
from backend.domains.auth.service import password_sign_in, user_of
from backend.domains.auth.throttle import DEVICE_COOKIE
from backend.kernel.config import Settings
from backend.kernel.db import READS_ONLY
from backend.web.api.problem_docs import problem_responses
from backend.web.api.resource import resource_controller
from backend.web.handlers import AppRequest, DbSession, example_body
from backend.web.sessions import cleared_session_cookie, client_ip, sign_out, token_response

UserController = resource_controller(users, user_service)
# The demo data's password (desk run), as the README's tour signs in.
DEMO = Settings.model_fields["demo_password"].default


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
        self,
        db_session: DbSession,
        request: AppRequest,
        data: example_body(LoginRequest, {"email": "jonas.berger@engagement-desk.de", "password": DEMO}),  # type: ignore[valid-type]
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
        return UserRead.model_validate(await user_of(db_session, request.user))
