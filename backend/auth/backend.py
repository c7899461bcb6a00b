"""JWT authentication: `Authorization: Bearer` for API clients, an HttpOnly cookie for the UI."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar.connection import ASGIConnection
from litestar.security.jwt import JWTCookieAuth, Token

from backend.auth.models import User
from backend.config import Settings

AUTH_COOKIE = "desk_token"
PUBLIC_PATHS = [
    "^/api/v1/auth/login$", "^/api/v1/portal/(login-links|sessions)$", "^/schema", "^/health", "^/ready$", "^/static/",
    "^/login$", "^/lang/", "^/portal/login", "^/s/",
]


def build_auth(settings: Settings, db_config: SQLAlchemyAsyncConfig) -> JWTCookieAuth[User, Token]:
    async def retrieve_user(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> User | None:
        # Uses the request's own session: one primary-key lookup per request.
        session = db_config.provide_session(connection.app.state, connection.scope)
        try:
            user = await session.get(User, int(token.sub))
        except ValueError:
            return None
        if user is None or not user.is_active:
            return None
        return user

    return JWTCookieAuth[User, Token](
        retrieve_user_handler=retrieve_user,
        token_secret=settings.secret_key,
        default_token_expiration=timedelta(minutes=settings.token_ttl_minutes),
        exclude=PUBLIC_PATHS,
        key=AUTH_COOKIE,
        secure=settings.env != "dev",
        samesite="strict",
        path="/",
    )
