from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record
from backend.domains.auth.models import User
from backend.domains.auth.passwords import hash_password, verify_password
from backend.domains.auth.principals import Principal
from backend.domains.auth.throttle import Source, begin_login, login_succeeded
from backend.kernel.config import Settings
from backend.kernel.db import utcnow
from backend.kernel.enums import Role
from backend.kernel.errors import Invalid, Unauthorized

ADMIN, SYSTEM = "admin", "system"


async def password_sign_in(
    session: AsyncSession,
    redis: Any,
    settings: Settings,
    *,
    email: str,
    password: str,
    ip: str | None,
    device: str | None,
) -> User:
    """Check a password under the guessing limits (see backend.domains.auth.throttle): a source that
    must wait is refused before the password is looked at."""
    source = Source.of(settings, email, ip, device)
    await begin_login(redis, settings, source)
    user = await authenticate(session, email=email, password=password)  # a failure stays counted
    await login_succeeded(redis, source)
    return user


async def authenticate(session: AsyncSession, *, email: str, password: str) -> User:
    user = (await session.exec(select(User).where(func.lower(User.email) == email.strip().lower()))).first()
    # Argon2 takes tens of milliseconds of CPU: off the event loop, so other requests go on.
    matches = await asyncio.to_thread(verify_password, user.password_hash if user else None, password)
    if not matches or not user or not user.is_active:
        raise Unauthorized("Email or password is wrong")
    user.last_login_at = utcnow()
    session.add(user)
    await record(session, actor=user, action="login", entity_type="user", entity_id=user.id)
    return user


async def prepare_user(session: AsyncSession, values: dict[str, Any], row: User | None) -> dict[str, Any]:
    """Hash the password and keep client users tied to exactly one client."""
    role = values.get("role", row.role if row else None)
    client_id = values.get("client_id", row.client_id if row else None)
    if role == Role.client and client_id is None:
        raise Invalid.field("body.client_id", "a client user needs the client it belongs to")
    if role != Role.client and client_id is not None:
        raise Invalid.field("body.client_id", "only users with role 'client' belong to a client")
    if "email" in values:
        values["email"] = values["email"].lower()
        taken = select(User.id).where(User.email == values["email"])
        if row is not None:
            taken = taken.where(User.id != row.id)
        if (await session.exec(taken)).first() is not None:
            raise Invalid.field("body.email", "a user with this email already exists")
    if (password := values.pop("password", None)) is not None:
        values["password_hash"] = await asyncio.to_thread(hash_password, password)
    if "is_active" in values and row is not None:
        # An admin's deactivation stands until an admin lifts it (a portal sign-in does not),
        # and ends every session of the user (see backend.domains.auth.sessions).
        values["deactivated_by"] = None if values["is_active"] else ADMIN
        if not values["is_active"]:
            values["session_epoch"] = row.session_epoch + 1
    return values


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    full_name: str,
    password: str,
    role: Role,
    client_id: int | None = None,
    actor: Any = None,
) -> User:
    values = await prepare_user(
        session,
        {"email": email, "full_name": full_name, "password": password, "role": role, "client_id": client_id},
        None,
    )
    user = User(**values)
    session.add(user)
    await session.flush()
    await record(session, actor=actor, action="create", entity_type="user", entity_id=user.id)
    return user


async def user_of(session: AsyncSession, principal: Principal) -> User:
    """The signed-in principal's user row (it exists: the principal was read with it)."""
    user = await session.get(User, principal.id)
    assert user is not None
    return user
