from __future__ import annotations

from typing import Any

from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.models import AuditEvent
from backend.domains.auth.models import User
from backend.kernel.db import hold_where
from backend.kernel.enums import Role
from backend.kernel.errors import Unauthorized

# Never copied into the audit log: secrets and large binaries; and where from (address, browser),
# which the records that need it keep themselves (an acceptance) and an erasure blanks there.
_UNLOGGED = {"password_hash", "content", "ip_address", "user_agent"}


def snapshot(row: SQLModel | None) -> dict[str, Any] | None:
    if row is None:
        return None
    # Rows loaded from the database hold enum columns as plain strings; that is expected here.
    return row.model_dump(mode="json", exclude=_UNLOGGED, warnings=False)


async def record(
    session: AsyncSession,
    *,
    actor: Any,
    action: str,
    entity_type: str,
    entity_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    if getattr(actor, "role", None) == Role.client and getattr(actor, "id", None) is not None:
        await _still_there(session, actor.id)
    session.add(
        AuditEvent(
            actor_id=getattr(actor, "id", None),
            actor_email=getattr(actor, "email", None),
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            before=before,
            after=after,
        )
    )


async def _still_there(session: AsyncSession, user_id: int) -> None:
    """A client's change stands only while their account does. An erasure holds the person's
    account while it runs: a change made at the same moment is either finished before the
    erasure looks (and erased with the rest) or refused after it, never left behind."""
    # The table, not the model: the signed-in user's row loaded in this session stays as read.
    await hold_where(session, User.__table__, User.__table__.c.id == user_id)  # type: ignore[attr-defined]
    row = (await session.exec(select(User.is_active, User.erased_at).where(User.id == user_id))).first()
    if row is None or not row[0] or row[1] is not None:
        raise Unauthorized("This account has ended (erased or deactivated): sign in again.")
