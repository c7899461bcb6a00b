"""How the API sees a client's workshop participants."""

from __future__ import annotations

from sqlmodel import col

from backend.domains.crud import CrudService, Resource
from backend.domains.literacy.models import Participant, ParticipantCreate, ParticipantRead, ParticipantUpdate

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
    client_scope=lambda client_id: col(Participant.client_id) == client_id,
    example={
        "client_id": 1,
        "name": "Jana Vogt",
        "role_group": "Vertrieb",
        "department": "Vertriebsinnendienst",
    },
)

participant_service = CrudService(participants)
