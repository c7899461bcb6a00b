from __future__ import annotations

from typing import Any

from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.models import AuditEvent
from backend.domains.auth.principals import hold_account
from backend.kernel.enums import Role
from backend.kernel.errors import Unauthorized

# Never copied into the audit log: secrets (password hashes, signing keys) and large binaries;
# and where from (address, browser), which the records that need it keep themselves (an
# acceptance) and an erasure blanks there.
_UNLOGGED = {"password_hash", "secret", "content", "ip_address", "user_agent"}


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
        if not await hold_account(session, actor.id):
            raise Unauthorized("This account has ended (erased or deactivated): sign in again.")
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
