"""What other packages may ask of deliverables."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.deliverables.models import Deliverable
from backend.kernel.db import select_all


async def deliverables_of(session: AsyncSession, engagement_id: int, *, limit: int) -> list[Deliverable]:
    """An engagement's deliverables by the week they are due."""
    return await select_all(
        session,
        Deliverable,
        Deliverable.engagement_id == engagement_id,
        order_by=[Deliverable.due_week, Deliverable.id],
        limit=limit,
    )
