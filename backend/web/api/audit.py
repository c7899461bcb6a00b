from __future__ import annotations

from backend.domains.audit.resources import audit_events, audit_service
from backend.web.api.resource import resource_controller

AuditController = resource_controller(audit_events, audit_service)
