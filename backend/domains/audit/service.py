from __future__ import annotations

from typing import Any

from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.models import AuditEvent

# Never copied into the audit log: secrets and large binaries.
_UNLOGGED = {"password_hash", "content"}


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
