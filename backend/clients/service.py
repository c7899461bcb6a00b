from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.clients.models import Contact
from backend.errors import Invalid


async def require_contact_of_client(
    session: AsyncSession, *, contact_id: int | None, client_id: int | None, path: str
) -> None:
    """Contacts can only be linked to rows of their own client."""
    if contact_id is None:
        return
    owner = (await session.exec(select(Contact.client_id).where(Contact.id == contact_id))).first()
    if owner is None or owner != client_id:
        raise Invalid.field(path, f"contact {contact_id} does not belong to this engagement's client")
