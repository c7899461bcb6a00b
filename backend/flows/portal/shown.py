"""Records the law keeps after an erasure (an acceptance and who typed their name under it) are
kept for the law, not shown: pages, lists and new documents show the signer as erased
(Art. 17 (3)(b), Art. 18 GDPR); the row itself, under its legal hold, keeps the evidence."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.models import Contact
from backend.kernel.redaction import ERASED_NAME

R = TypeVar("R", bound=BaseModel)


async def as_shown(session: AsyncSession, rows: list[Any], read: type[R]) -> list[R]:
    """Each row as `read`, its signer's name and address replaced where the person was erased."""
    ids = {row.contact_id for row in rows if row.contact_id is not None}
    stmt = select(Contact.id).where(col(Contact.id).in_(ids), col(Contact.erased_at).is_not(None))
    erased = set((await session.exec(stmt)).all()) if ids else set()
    shown = []
    for row in rows:
        item = read.model_validate(row)
        if row.contact_id in erased:
            item = item.model_copy(update={"typed_name": ERASED_NAME, "ip_address": None})
        shown.append(item)
    return shown


async def one_shown(session: AsyncSession, row: Any | None, read: type[R]) -> R | None:
    return None if row is None else (await as_shown(session, [row], read))[0]
