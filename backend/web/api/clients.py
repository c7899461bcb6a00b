from __future__ import annotations

from backend.domains.clients.resources import (
    assessment_service,
    assessments,
    client_service,
    clients,
    contact_service,
    contacts,
)
from backend.web.api.resource import resource_controller

ClientController = resource_controller(clients, client_service)
AssessmentController = resource_controller(assessments, assessment_service)
ContactController = resource_controller(contacts, contact_service)
