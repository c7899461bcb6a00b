from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import JSONBody
from litestar.security.jwt import JWTCookieAuth

from backend.auth.backend import AUTH_COOKIE
from backend.auth.principals import Principal
from backend.auth.models import LoginRequest, TokenResponse, User, UserCreate, UserRead, UserValues
from backend.auth.service import authenticate, prepare_user
from backend.crud import STAFF
from backend.db import READS_ONLY
from backend.enums import Role
from backend.resource import DbSession, Resource, resource_controller

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
    example={
        "email": "anna.berater@example.de",
        "full_name": "Anna Berater",
        "role": "consultant",
        "password": "ein-langes-passwort",
    },
)

UserController = resource_controller(users)


def token_response(request: Request[Any, Any, Any], user: User) -> Response[TokenResponse]:
    """A session for `user`: the JWT as HttpOnly cookie and, for API clients, in the body."""
    auth: JWTCookieAuth = request.app.state.auth
    response = auth.login(str(user.id), response_status_code=200, send_token_as_response_body=True)
    response.content = TokenResponse(
        access_token=response.content["token"],
        expires_in=int(auth.default_token_expiration.total_seconds()),
        user=UserRead.model_validate(user),
    )
    return response


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post("/login", operation_id="login", summary="Exchange email + password for a JWT (also set as cookie)")
    async def login(
        self, db_session: DbSession, request: Request[Any, Any, Any], data: JSONBody[LoginRequest]
    ) -> Response[TokenResponse]:
        user = await authenticate(db_session, email=data.email, password=data.password)
        return token_response(request, user)

    # Declared as a response cookie rather than set on a Response[None], which OpenAPI would
    # document as a JSON body that a 204 never has.
    @post("/logout", operation_id="logout", summary="Clear the auth cookie", status_code=204,
          response_cookies=[Cookie(key=AUTH_COOKIE, path="/", expires=0, max_age=0,
                                   description="Clears the session cookie")])
    async def logout(self) -> None:
        return None

    @get("/me", operation_id="me", summary="The signed-in user", opt={READS_ONLY: True})
    async def me(self, db_session: DbSession, request: Request[Principal, Any, Any]) -> UserRead:
        return UserRead.model_validate(await db_session.get(User, request.user.id))
