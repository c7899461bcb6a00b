"""What other packages may ask of workshops."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.workshops.models import Workshop
from backend.kernel.db import select_all


async def workshops_of(session: AsyncSession, engagement_id: int, *, limit: int) -> list[Workshop]:
    """An engagement's workshops in the order they take place."""
    return await select_all(
        session, Workshop, Workshop.engagement_id == engagement_id, order_by=[Workshop.starts_at], limit=limit
    )
