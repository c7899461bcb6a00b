"""How the API sees workshops and who attended them."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.service import require_contact_of_client
from backend.domains.crud import CrudService, Resource
from backend.domains.engagements.service import client_id_of, in_client
from backend.domains.workshops.models import (
    AttendeeCreate,
    AttendeeRead,
    AttendeeUpdate,
    Workshop,
    WorkshopAttendee,
    WorkshopCreate,
    WorkshopKind,
    WorkshopRead,
    WorkshopUpdate,
)
from backend.kernel.events import Hook

# Checks a workshop's references that live above this domain (the AI system of a tool-specific
# training belongs to the engagement's client): the literacy domain connects to it.
workshop_references: Hook[[AsyncSession, int, dict[str, Any]]] = Hook("workshop references", required=True)


async def _references_checked(session: AsyncSession, values: dict[str, Any], row: Workshop | None) -> dict[str, Any]:
    engagement_id = values.get("engagement_id", row.engagement_id if row else None)
    client_id = await client_id_of(session, engagement_id) if engagement_id else None
    if client_id is not None:
        system = values.get("ai_system_id", row.ai_system_id if row else None)
        await workshop_references(session, client_id, {"ai_system_id": system})
    return values


def _workshop_ids(client_id: int) -> Any:
    return select(Workshop.id).where(in_client(Workshop.engagement_id, client_id))


async def _attendee_is_client_contact(
    session: AsyncSession, values: dict[str, Any], row: WorkshopAttendee | None
) -> dict[str, Any]:
    workshop_id = values.get("workshop_id", row.workshop_id if row else None)
    engagement_id = (await session.exec(select(Workshop.engagement_id).where(Workshop.id == workshop_id))).first()
    client_id = await client_id_of(session, engagement_id) if engagement_id else None
    await require_contact_of_client(
        session, contact_id=values.get("contact_id"), client_id=client_id, path="body.contact_id"
    )
    return values


workshops = Resource(
    name="workshops",
    entity="workshop",
    model=Workshop,
    read=WorkshopRead,
    create=WorkshopCreate,
    update=WorkshopUpdate,
    filters={
        "engagement_id": (int, Workshop.engagement_id),
        "kind": (WorkshopKind, Workshop.kind),
        "facilitator_id": (int, Workshop.facilitator_id),
    },
    sortable=("id", "starts_at", "title", "created_at"),
    default_sort="starts_at",
    client_scope=lambda client_id: in_client(Workshop.engagement_id, client_id),
    prepare=_references_checked,
    example={
        "engagement_id": 1,
        "kind": "use_case_discovery",
        "title": "Use-Case-Workshop Vertrieb & Service",
        "starts_at": "2026-11-10T09:00:00+01:00",
        "ends_at": "2026-11-10T13:00:00+01:00",
        "location": "Aalen, Besprechungsraum 2",
    },
)

attendees = Resource(
    name="workshop-attendees",
    entity="workshop_attendee",
    model=WorkshopAttendee,
    read=AttendeeRead,
    create=AttendeeCreate,
    update=AttendeeUpdate,
    filters={
        "workshop_id": (int, WorkshopAttendee.workshop_id),
        "contact_id": (int, WorkshopAttendee.contact_id),
    },
    client_scope=lambda client_id: col(WorkshopAttendee.workshop_id).in_(_workshop_ids(client_id)),
    prepare=_attendee_is_client_contact,
    example={"workshop_id": 1, "contact_id": 1, "attended": True},
)

workshop_service = CrudService(workshops)
attendee_service = CrudService(attendees)
