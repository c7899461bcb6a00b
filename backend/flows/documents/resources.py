"""How the API sees generated documents: a read-only list of versions."""

from __future__ import annotations

from sqlmodel import col

from backend.domains.crud import CrudService, Resource
from backend.domains.engagements.service import in_client
from backend.flows.documents.models import Document, DocumentKind, DocumentRead, DocumentStatus

documents = Resource(
    name="documents",
    entity="document",
    model=Document,
    read=DocumentRead,
    filters={
        "engagement_id": (int, Document.engagement_id),
        "kind": (DocumentKind, Document.kind),
        "status": (DocumentStatus, Document.status),
        "iso_week": (str, Document.iso_week),
    },
    sortable=("id", "number", "created_at"),
    default_sort="-id",
    # Clients see the versions sent to them, never drafts the team is still working on.
    client_scope=lambda client_id: in_client(Document.engagement_id, client_id) & col(Document.sent_at).is_not(None),
    internal=("error",),
    writable=False,
)
document_service = CrudService(documents)
