"""JWT authentication: `Authorization: Bearer` for API clients, an HttpOnly cookie for the UI."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any, ClassVar

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar.connection import ASGIConnection
from litestar.security.jwt import JWTCookieAuth, Token

from backend.domains.auth.principals import Principal, Principals, hold_account, read_principal
from backend.kernel.config import Settings
from backend.kernel.enums import Role
from backend.kernel.schema import MAX_ID
from backend.web.security import SAFE_METHODS

AUTH_COOKIE = "desk_token"
PUBLIC_PATHS = [
    "^/api/v1/auth/login$",
    "^/api/v1/portal/(login-links|sessions)$",
    "^/schema",
    "^/health",
    "^/ready$",
    "^/static/",
    "^/login$",
    "^/lang/",
    "^/portal/login",
    "^/s/",
]


class VerifiedToken(Token):
    """Checking a JWT's signature and claims costs more than the rest of an authenticated read,
    and a client sends the same token with every request: a token that passed is remembered
    (bounded, keyed by token and secret) and only its expiry is checked again. The user behind
    it is checked on every request (see backend.domains.auth.principals), so deactivation takes effect
    at once."""

    _verified: ClassVar[dict[tuple[str, str], Token]] = {}
    _LIMIT: ClassVar[int] = 4096

    @classmethod
    def decode(cls, encoded_token: str, secret: str, algorithm: str, **options: Any) -> Any:  # type: ignore[override]
        key = (encoded_token, secret)
        token = cls._verified.get(key)
        if token is not None and token.exp.timestamp() > time.time():
            return token
        token = super().decode(encoded_token, secret, algorithm, **options)
        if len(cls._verified) >= cls._LIMIT:
            cls._verified.clear()
        cls._verified[key] = token
        return token


def build_auth(
    settings: Settings, db_config: SQLAlchemyAsyncConfig, principals: Principals
) -> JWTCookieAuth[Principal, Token]:
    async def retrieve_user(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
        try:
            user_id = int(token.sub)
        except ValueError:
            return None
        session_id = token.jti
        if not 1 <= user_id <= MAX_ID or not isinstance(session_id, str) or len(session_id) > 32:
            return None
        # The request's own session (same connection as the handler's queries).
        session = db_config.provide_session(connection.app.state, connection.scope)
        principal = principals.get(session_id)
        if principal is None or principal.id != user_id:
            generation = principals.generation
            principal = await read_principal(await session.connection(), user_id, session_id)
            if principal is None:
                return None
            principals.remember(principal, generation)
        if principal.role == Role.client and connection.scope.get("method", "GET") not in SAFE_METHODS:
            # First, before the change writes anything (see hold_account).
            if not await hold_account(session, principal.id):  # type: ignore[arg-type]
                return None
        return principal

    return JWTCookieAuth[Principal, Token](
        retrieve_user_handler=retrieve_user,
        token_cls=VerifiedToken,
        token_secret=settings.secret_key,
        default_token_expiration=timedelta(minutes=settings.token_ttl_minutes),
        exclude=PUBLIC_PATHS,
        key=AUTH_COOKIE,
        secure=settings.env != "dev",
        samesite="strict",
        path="/",
    )
