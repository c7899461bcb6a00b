"""How the API sees clients, their contacts and AI-readiness assessments."""

from __future__ import annotations

from typing import Any

from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.models import (
    AssessmentCreate,
    AssessmentPhase,
    AssessmentRead,
    AssessmentUpdate,
    Client,
    ClientCreate,
    ClientRead,
    ClientUpdate,
    Contact,
    ContactCreate,
    ContactRead,
    ContactUpdate,
    ReadinessAssessment,
)
from backend.domains.crud import CrudService, Resource
from backend.kernel.enums import Language
from backend.kernel.events import Hook
from backend.kernel.redaction import erased_row

# What happens elsewhere when a client or contact goes, in the same transaction (the portal
# flow ends their sessions and withdraws their links). Arguments: session, row, acting user.
client_archived: Hook[[AsyncSession, Client, Any]] = Hook("client archived", required=True)
contact_deleted: Hook[[AsyncSession, Contact, Any]] = Hook("contact deleted", required=True)
# A contact's portal access is taken away (by a PATCH): session, contact, acting user.
portal_access_ended: Hook[[AsyncSession, Contact, Any]] = Hook("portal access ended", required=True)
# A contact's address changed (the contact as it was): whoever held the old one holds nothing now.
address_changed: Hook[[AsyncSession, Contact, Any]] = Hook("contact address changed", required=True)
# A contact is to have portal access with an address: session, contact id (None: a new one),
# client id, address. Refused if the address cannot sign in there (a team member's, another
# client's user's).
portal_address_given: Hook[[AsyncSession, int | None, int, str]] = Hook("portal address given", required=True)
# An assessment names an engagement: session, engagement id, client id. Refused (by the
# engagements domain, which knows engagements) unless it is that client's.
assessment_engagement_given: Hook[[AsyncSession, int, int]] = Hook("assessment engagement given", required=True)


clients = Resource(
    name="clients",
    entity="client",
    model=Client,
    read=ClientRead,
    create=ClientCreate,
    update=ClientUpdate,
    filters={"city": (str, Client.city), "industry": (str, Client.industry)},
    sortable=("id", "name", "created_at", "employee_count"),
    default_sort="name",
    client_scope=lambda client_id: col(Client.id) == client_id,
    archive_field="archived_at",
    internal=("notes",),
    on_delete=client_archived,
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
    if row is not None and "email" in values and values["email"].lower() != row.email.lower():
        await address_changed(session, row, None)
    elif row is not None and row.portal_access and values.get("portal_access") is False:
        # Taking portal access away ends the contact's portal sessions right away.
        await portal_access_ended(session, row, None)

    def now(name: str) -> Any:
        return values.get(name, getattr(row, name) if row else None)

    if now("portal_access"):
        await portal_address_given(session, row.id if row else None, now("client_id"), now("email"))
    return values


contacts = Resource(
    name="contacts",
    entity="contact",
    model=Contact,
    read=ContactRead,
    create=ContactCreate,
    update=ContactUpdate,
    filters={
        "client_id": (int, Contact.client_id),
        "receives_digest": (bool, Contact.receives_digest),
        "language": (Language, Contact.language),
    },
    sortable=("id", "name", "email", "created_at"),
    default_sort="name",
    client_scope=lambda client_id: col(Contact.client_id) == client_id,
    prepare=_portal_access,
    on_delete=contact_deleted,
    edit_guard=erased_row,
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
    if engagement_id is not None and client_id is not None:
        await assessment_engagement_given(session, engagement_id, client_id)
    return values


assessments = Resource(
    name="readiness-assessments",
    entity="readiness_assessment",
    model=ReadinessAssessment,
    read=AssessmentRead,
    create=AssessmentCreate,
    update=AssessmentUpdate,
    filters={
        "client_id": (int, ReadinessAssessment.client_id),
        "engagement_id": (int, ReadinessAssessment.engagement_id),
        "phase": (AssessmentPhase, ReadinessAssessment.phase),
    },
    sortable=("id", "assessed_on", "created_at"),
    default_sort="assessed_on",
    client_scope=lambda client_id: col(ReadinessAssessment.client_id) == client_id,
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


client_service = CrudService(clients)
contact_service = CrudService(contacts)
assessment_service = CrudService(assessments)
