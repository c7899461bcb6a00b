from __future__ import annotations

from backend.engagements.service import in_client
from backend.reports.models import Document, DocumentKind, DocumentRead, DocumentStatus
from backend.resource import Resource, resource_controller

documents = Resource(
    name="documents",
    entity="document",
    model=Document,
    read=DocumentRead,
    filters={
        "engagement_id": (int, Document.engagement_id),
        "kind": (DocumentKind, Document.kind),
        "status": (DocumentStatus, Document.status),
    },
    sortable=("id", "number", "created_at"),
    default_sort="-id",
    client_scope=lambda client_id: in_client(Document.engagement_id, client_id),
    writable=False,
)

DocumentController = resource_controller(documents)
