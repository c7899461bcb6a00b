from __future__ import annotations

from backend.domains.literacy.resources import participant_service, participants
from backend.web.api.resource import resource_controller

ParticipantController = resource_controller(participants, participant_service)
