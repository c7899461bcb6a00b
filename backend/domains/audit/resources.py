"""How the API sees the audit log: read-only, for admins."""

from __future__ import annotations

from backend.domains.audit.models import AuditEvent, AuditEventRead
from backend.domains.crud import CrudService, Resource
from backend.kernel.enums import Role

audit_events = Resource(
    name="audit-events",
    entity="audit_event",
    model=AuditEvent,
    read=AuditEventRead,
    filters={
        "entity_type": (str, AuditEvent.entity_type),
        "entity_id": (int, AuditEvent.entity_id),
        "actor_id": (int, AuditEvent.actor_id),
    },
    sortable=("at", "id"),
    default_sort="-id",
    read_roles=frozenset({Role.admin}),
    writable=False,
)

audit_service = CrudService(audit_events)
