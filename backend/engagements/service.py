"""What other domains may ask of engagements: which belong to a client, whose client one is."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.engagements.models import Engagement


def engagement_ids_of_client(client_id: int) -> Select:
    return select(Engagement.id).where(Engagement.client_id == client_id)


def in_client(engagement_id_column: object, client_id: int) -> ColumnElement[bool]:
    """Scope condition for any table that hangs off an engagement."""
    return engagement_id_column.in_(engagement_ids_of_client(client_id))  # type: ignore[attr-defined]


async def client_id_of(session: AsyncSession, engagement_id: int) -> int | None:
    stmt = select(Engagement.client_id).where(Engagement.id == engagement_id)
    return (await session.exec(stmt)).first()  # type: ignore[call-overload]
