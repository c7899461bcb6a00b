"""JWT authentication: `Authorization: Bearer` for API clients, an HttpOnly cookie for the UI."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any, ClassVar

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar.connection import ASGIConnection
from litestar.security.jwt import JWTCookieAuth, Token
from sqlalchemy import bindparam, select
from sqlmodel import col

from backend.domains.auth.models import User
from backend.domains.auth.principals import Principal, Principals
from backend.domains.auth.sessions import AuthSession
from backend.kernel.config import Settings
from backend.kernel.enums import Role
from backend.kernel.schema import MAX_ID

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


# The user and the token's session in one statement: a token counts only while its user is
# active and its session open (signing out, deactivation and client archiving take effect at once).
_PRINCIPAL = (
    select(
        col(User.id), col(User.email), col(User.full_name), col(User.role), col(User.client_id), col(User.contact_id)
    )
    .join(AuthSession, (col(AuthSession.user_id) == User.id) & (col(AuthSession.epoch) == User.session_epoch))
    .where(
        col(User.id) == bindparam("user_id"),
        col(User.is_active).is_(True),
        col(AuthSession.id) == bindparam("session_id"),
        col(AuthSession.ended_at).is_(None),
    )
)


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
        if (known := principals.get(session_id)) is not None and known.id == user_id:
            return known
        generation = principals.generation
        # The request's own session (same connection as the handler's queries).
        session = db_config.provide_session(connection.app.state, connection.scope)
        params = {"user_id": user_id, "session_id": session_id}
        row = (await (await session.connection()).execute(_PRINCIPAL, params)).first()
        if row is None:
            return None
        principal = Principal(
            row.id, row.email, row.full_name, Role(row.role), row.client_id, row.contact_id, session_id
        )
        principals.remember(principal, generation)
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
