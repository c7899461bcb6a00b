"""What invoicing keeps when other rows go: an engagement with invoices stays (issued ones are
records for ten years, § 147 AO; a draft is deleted first, on purpose)."""

from __future__ import annotations

from typing import Any

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.flows.invoicing.models import Invoice
from backend.kernel.errors import Conflict


async def keep_invoiced(session: AsyncSession, resource: str, row: Any) -> None:
    if resource != "engagements":
        return
    count = int((await session.exec(select(func.count()).where(Invoice.engagement_id == row.id))).one())
    if count:
        raise Conflict(f"{count} invoice(s) belong to engagement {row.id}: it cannot be deleted (cancel it instead)")
