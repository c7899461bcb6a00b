"""How the API sees digest deliveries: one row per engagement, ISO week and recipient."""

from __future__ import annotations

from backend.domains.crud import CrudService, Resource
from backend.domains.engagements.service import in_client
from backend.flows.digests.models import DeliveryRead, DeliveryStatus, DigestDelivery

deliveries = Resource(
    name="digest-deliveries",
    entity="digest_delivery",
    model=DigestDelivery,
    read=DeliveryRead,
    filters={
        "engagement_id": (int, DigestDelivery.engagement_id),
        "iso_week": (str, DigestDelivery.iso_week),
        "status": (DeliveryStatus, DigestDelivery.status),
        "contact_id": (int, DigestDelivery.contact_id),
    },
    sortable=("id", "iso_week", "contact_id", "created_at", "sent_at"),
    default_sort="-id",
    client_scope=lambda client_id: in_client(DigestDelivery.engagement_id, client_id),
    writable=False,
    internal=("last_error",),
)
delivery_service = CrudService(deliveries)
