"""What the literacy flow does when rows below it go (connected in backend/server/wiring.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.workshops.models import Workshop
from backend.flows.literacy.models import Certificate
from backend.kernel.errors import Conflict


async def keep_certified_training(session: AsyncSession, resource: str, row: Any) -> None:
    """A workshop with issued certificates is evidence its participants and their employer rely
    on (the certificates' links would stop confirming them): it, its engagement and the people
    certified stay."""
    if resource == "workshops":
        where = col(Certificate.workshop_id) == row.id
    elif resource == "participants":
        where = col(Certificate.participant_id) == row.id
    elif resource == "engagements":
        where = col(Certificate.workshop_id).in_(select(Workshop.id).where(Workshop.engagement_id == row.id))
    else:
        return
    count = int((await session.exec(select(func.count()).select_from(Certificate).where(where))).one())
    if count:
        raise Conflict(f"{count} certificate(s) of attendance were issued for it: it cannot be deleted")
