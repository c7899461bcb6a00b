from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.models import (
    AssessmentCreate,
    AssessmentPhase,
    AssessmentRead,
    Client,
    ClientCreate,
    ClientRead,
    Contact,
    ContactCreate,
    ContactRead,
    ReadinessAssessment,
)
from backend.domains.engagements.service import client_id_of
from backend.flows.portal.access import end_client_access, end_portal_access
from backend.flows.portal.sharing import revoke_links_of_contact
from backend.kernel.enums import Language
from backend.kernel.errors import Invalid
from backend.web.api.resource import Resource, resource_controller


# Archiving a client or deleting a contact ends their portal sessions in the same transaction.
async def _end_contact_access(session: AsyncSession, row: Contact, actor: Any) -> None:
    await end_portal_access(session, row, actor)
    await revoke_links_of_contact(session, row.id)  # type: ignore[arg-type]


async def _end_client_access(session: AsyncSession, row: Client, actor: Any) -> None:
    await end_client_access(session, row.id, actor)  # type: ignore[arg-type]


clients = Resource(
    name="clients",
    entity="client",
    model=Client,
    read=ClientRead,
    create=ClientCreate,
    filters={"city": (str, Client.city), "industry": (str, Client.industry)},
    sortable=("id", "name", "created_at", "employee_count"),
    default_sort="name",
    client_scope=lambda client_id: Client.id == client_id,
    archive_field="archived_at",
    internal=("notes",),
    on_delete=_end_client_access,
    example={
        "name": "Müller Präzisionstechnik GmbH",
        "industry": "Maschinenbau",
        "employee_count": 85,
        "street": "Industriestraße 12",
        "postal_code": "73430",
        "city": "Aalen",
    },
)


async def _portal_access(session: AsyncSession, values: dict[str, Any], row: Contact | None) -> dict[str, Any]:
    # Taking portal access away ends the contact's portal sessions right away.
    if row is not None and row.portal_access and values.get("portal_access") is False:
        await end_portal_access(session, row, None)
    return values


contacts = Resource(
    name="contacts",
    entity="contact",
    model=Contact,
    read=ContactRead,
    create=ContactCreate,
    immutable=("client_id",),
    filters={
        "client_id": (int, Contact.client_id),
        "receives_digest": (bool, Contact.receives_digest),
        "language": (Language, Contact.language),
    },
    sortable=("id", "name", "email", "created_at"),
    default_sort="name",
    client_scope=lambda client_id: Contact.client_id == client_id,
    prepare=_portal_access,
    on_delete=_end_contact_access,
    example={
        "client_id": 1,
        "name": "Sabine Müller",
        "email": "s.mueller@mueller-praezision.de",
        "position": "Geschäftsführerin",
        "language": "de",
        "is_ai_owner": True,
        "receives_digest": True,
    },
)


async def _engagement_of_client(
    session: AsyncSession, values: dict[str, Any], row: ReadinessAssessment | None
) -> dict[str, Any]:
    engagement_id = values.get("engagement_id", row.engagement_id if row else None)
    client_id = values.get("client_id", row.client_id if row else None)
    if engagement_id is not None and await client_id_of(session, engagement_id) != client_id:
        raise Invalid.field("body.engagement_id", f"engagement {engagement_id} is not for client {client_id}")
    return values


assessments = Resource(
    name="readiness-assessments",
    entity="readiness_assessment",
    model=ReadinessAssessment,
    read=AssessmentRead,
    create=AssessmentCreate,
    immutable=("client_id",),
    filters={
        "client_id": (int, ReadinessAssessment.client_id),
        "engagement_id": (int, ReadinessAssessment.engagement_id),
        "phase": (AssessmentPhase, ReadinessAssessment.phase),
    },
    sortable=("id", "assessed_on", "created_at"),
    default_sort="assessed_on",
    client_scope=lambda client_id: ReadinessAssessment.client_id == client_id,
    prepare=_engagement_of_client,
    internal=("notes",),
    example={
        "client_id": 1,
        "engagement_id": 1,
        "phase": "start",
        "assessed_on": "2026-11-02",
        "priorities": 1,
        "responsibility": 1,
        "people_enabled": 2,
        "pilots_in_production": 0,
        "kpi_practice": 1,
        "notes": "Noch keine KI-Verantwortliche benannt",
    },
)

ClientController = resource_controller(clients)
AssessmentController = resource_controller(assessments)
ContactController = resource_controller(contacts)
