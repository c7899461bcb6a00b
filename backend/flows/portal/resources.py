"""How the API sees share links: read-only for the team; they are made and revoked by actions."""

from __future__ import annotations

from backend.domains.crud import STAFF, CrudService, Resource
from backend.flows.portal.models import ShareLink, ShareLinkRead

share_links = Resource(
    name="share-links",
    entity="share_link",
    model=ShareLink,
    read=ShareLinkRead,
    filters={"document_id": (int, ShareLink.document_id)},
    sortable=("id",),
    default_sort="-id",
    read_roles=STAFF,
    writable=False,
)


share_link_service = CrudService(share_links)
