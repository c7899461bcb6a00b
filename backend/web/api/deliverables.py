from __future__ import annotations

from backend.domains.deliverables.resources import deliverable_service, deliverables
from backend.web.api.resource import resource_controller

DeliverableController = resource_controller(deliverables, deliverable_service)
