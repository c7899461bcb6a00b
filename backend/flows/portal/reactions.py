"""How the portal follows changes to clients and contacts, in the same transaction: whoever
loses access loses their portal sessions at once, and a deleted contact's links are withdrawn."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients import resources as clients
from backend.domains.clients.models import Client, Contact
from backend.flows.portal.access import end_client_access, end_holder, end_portal_access, refuse_foreign_address
from backend.flows.portal.sharing import revoke_links_of_contact


async def client_archived(session: AsyncSession, client: Client, actor: Any) -> None:
    await end_client_access(session, client.id, actor)


async def contact_deleted(session: AsyncSession, contact: Contact, actor: Any) -> None:
    await end_portal_access(session, contact, actor)
    await revoke_links_of_contact(session, contact.id)


def connect() -> None:
    clients.client_archived.connect(client_archived)
    clients.contact_deleted.connect(contact_deleted)
    clients.portal_access_ended.connect(end_portal_access)
    clients.address_changed.connect(end_holder)
    clients.portal_address_given.connect(refuse_foreign_address)
