from __future__ import annotations

from backend.domains.workshops.resources import attendee_service, attendees, workshop_service, workshops
from backend.web.api.resource import resource_controller

WorkshopController = resource_controller(workshops, workshop_service)
AttendeeController = resource_controller(attendees, attendee_service)
