"""How the API sees a client's workshop participants, its AI systems and who uses them."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.crud import STAFF, CrudService, Resource
from backend.domains.engagements.service import client_id_of
from backend.domains.literacy.models import (
    AISystem,
    AISystemCreate,
    AISystemRead,
    AISystemUpdate,
    AISystemUser,
    AISystemUserCreate,
    AISystemUserRead,
    Participant,
    ParticipantCreate,
    ParticipantRead,
    ParticipantUpdate,
)
from backend.domains.pilots.models import Pilot
from backend.kernel.errors import Invalid
from backend.kernel.redaction import erased_row

participants = Resource(
    name="participants",
    entity="participant",
    model=Participant,
    read=ParticipantRead,
    create=ParticipantCreate,
    update=ParticipantUpdate,
    filters={
        "client_id": (int, Participant.client_id),
        "department": (str, Participant.department),
        "role_group": (str, Participant.role_group),
    },
    sortable=("id", "name", "department", "created_at"),
    default_sort="name",
    # The client sees its staff's training through its AI owner's register, not row by row.
    read_roles=STAFF,
    client_scope=lambda client_id: col(Participant.client_id) == client_id,
    edit_guard=erased_row,
    example={
        "client_id": 1,
        "name": "Jana Vogt",
        "role_group": "Vertrieb",
        "department": "Vertriebsinnendienst",
    },
)


async def _pilot_of_client(session: AsyncSession, values: dict[str, Any], row: AISystem | None) -> dict[str, Any]:
    pilot_id = values.get("pilot_id")
    if pilot_id is not None:
        client_id = values.get("client_id", row.client_id if row else None)
        engagement_id = (await session.exec(select(Pilot.engagement_id).where(Pilot.id == pilot_id))).first()
        if engagement_id is None or await client_id_of(session, engagement_id) != client_id:
            raise Invalid.field("body.pilot_id", f"pilot {pilot_id} is not one of this client's pilots")
    return values


ai_systems = Resource(
    name="ai-systems",
    entity="ai_system",
    model=AISystem,
    read=AISystemRead,
    create=AISystemCreate,
    update=AISystemUpdate,
    filters={
        "client_id": (int, AISystem.client_id),
        "in_use": (bool, AISystem.in_use),
        "pilot_id": (int, AISystem.pilot_id),
    },
    sortable=("id", "name", "created_at"),
    default_sort="name",
    read_roles=STAFF,
    client_scope=lambda client_id: col(AISystem.client_id) == client_id,
    prepare=_pilot_of_client,
    example={"client_id": 1, "name": "Microsoft 365 Copilot", "provider": "Microsoft", "purpose": "Texte, Mails"},
)


async def _same_client(session: AsyncSession, values: dict[str, Any], row: AISystemUser | None) -> dict[str, Any]:
    system = await session.get(AISystem, values["ai_system_id"])
    person = await session.get(Participant, values["participant_id"])
    if system is not None and person is not None and system.client_id != person.client_id:
        raise Invalid.field("body.participant_id", f"participant {person.id} does not work for this system's client")
    return values


ai_system_users = Resource(
    name="ai-system-users",
    entity="ai_system_user",
    model=AISystemUser,
    read=AISystemUserRead,
    create=AISystemUserCreate,
    updatable=False,
    filters={
        "ai_system_id": (int, AISystemUser.ai_system_id),
        "participant_id": (int, AISystemUser.participant_id),
    },
    read_roles=STAFF,
    client_scope=lambda client_id: col(AISystemUser.ai_system_id).in_(
        select(AISystem.id).where(AISystem.client_id == client_id)
    ),
    prepare=_same_client,
    example={"ai_system_id": 1, "participant_id": 1},
)

participant_service = CrudService(participants)
ai_system_service = CrudService(ai_systems)
ai_system_user_service = CrudService(ai_system_users)
