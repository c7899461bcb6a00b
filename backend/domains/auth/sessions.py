"""Sign-in sessions: every token names a session row, so signing out ends that token at once.

A JWT alone cannot be taken back before it expires. Each token therefore carries the id of a
session row (its `jti`); a request is accepted only while that row is open and of the user's
current epoch (see backend.web.auth, which reads the user and the session in one
statement). Signing out closes the row; deactivating the user raises the epoch, which ends
every session of theirs for good, also one being opened at that very moment.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import String, delete, insert, literal, select, update
from sqlmodel import Field, SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.models import User
from backend.kernel.db import unit_of_work, utcnow, written
from backend.kernel.errors import Unauthorized

# Ended or expired sessions are kept this long (who was signed in when), then deleted.
KEEP_ENDED = timedelta(days=30)


class AuthSession(SQLModel, table=True):
    __tablename__ = "auth_sessions"

    id: str = Field(primary_key=True, max_length=32, sa_type=String(32))  # the token's jti
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    epoch: int = Field(
        default=0, nullable=False, sa_column_kwargs={"server_default": "0"}
    )  # the user's epoch at opening
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTimeUTC, nullable=False)
    expires_at: datetime = Field(sa_type=DateTimeUTC, nullable=False)
    ended_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)


async def open_session(session: AsyncSession, user_id: int, lifetime: timedelta) -> str:
    """A new session for the user, opened only while the user is active (checked in the same
    statement, with the user's current epoch); returns its id, to be the token's jti."""
    session_id, now = secrets.token_hex(16), utcnow()
    sessions, users = AuthSession.__table__, User.__table__  # type: ignore[attr-defined]
    source = select(
        literal(session_id),
        users.c.id,
        users.c.session_epoch,
        literal(now, DateTimeUTC()),
        literal(now + lifetime, DateTimeUTC()),
    ).where(users.c.id == user_id, users.c.is_active.is_(True))
    opened = await session.exec(
        insert(sessions).from_select(["id", "user_id", "epoch", "created_at", "expires_at"], source)
    )
    if opened.rowcount != 1:
        raise Unauthorized("This user cannot sign in (deactivated).")
    return session_id


async def end_session(session: AsyncSession, session_id: str) -> bool:
    """Close one session (sign-out); its token is refused from the moment this commits."""
    result = await session.exec(
        update(AuthSession)
        .where(col(AuthSession.id) == session_id, col(AuthSession.ended_at).is_(None))
        .values(ended_at=utcnow())
    )
    written(session, AuthSession.__tablename__, session_id)
    return result.rowcount == 1


async def prune_sessions(session: AsyncSession) -> int:
    cutoff = utcnow() - KEEP_ENDED
    result = await session.exec(
        delete(AuthSession).where((col(AuthSession.expires_at) < cutoff) | (col(AuthSession.ended_at) < cutoff))
    )
    return result.rowcount


async def issue_token(app: Any, user_id: int, lifetime: timedelta | None = None) -> str:
    """A bearer token for a user, with its session (for scripts, benchmarks and tests)."""
    auth = app.state.auth
    lifetime = lifetime or auth.default_token_expiration
    async with unit_of_work(app.state.session_maker) as session:
        session_id = await open_session(session, user_id, lifetime)
    return auth.create_token(identifier=str(user_id), token_expiration=lifetime, token_unique_jwt_id=session_id)
