from __future__ import annotations

from backend.clients.models import (
    Client,
    ClientCreate,
    ClientRead,
    Contact,
    ContactCreate,
    ContactRead,
)
from backend.enums import Language
from backend.resource import Resource, resource_controller

clients = Resource(
    name="clients",
    entity="client",
    model=Client,
    read=ClientRead,
    create=ClientCreate,
    filters={"city": (str, Client.city), "industry": (str, Client.industry)},
    sortable=("id", "name", "created_at", "employee_count"),
    default_sort="name",
    client_scope=lambda client_id: Client.id == client_id,
    archive_field="archived_at",
    example={
        "name": "Müller Präzisionstechnik GmbH",
        "industry": "Maschinenbau",
        "employee_count": 85,
        "street": "Industriestraße 12",
        "postal_code": "73430",
        "city": "Aalen",
    },
)

contacts = Resource(
    name="contacts",
    entity="contact",
    model=Contact,
    read=ContactRead,
    create=ContactCreate,
    immutable=("client_id",),
    filters={
        "client_id": (int, Contact.client_id),
        "receives_digest": (bool, Contact.receives_digest),
        "language": (Language, Contact.language),
    },
    sortable=("id", "name", "email", "created_at"),
    default_sort="name",
    client_scope=lambda client_id: Contact.client_id == client_id,
    example={
        "client_id": 1,
        "name": "Sabine Müller",
        "email": "s.mueller@mueller-praezision.de",
        "position": "Geschäftsführerin",
        "language": "de",
        "is_ai_owner": True,
        "receives_digest": True,
    },
)

ClientController = resource_controller(clients)
ContactController = resource_controller(contacts)
__all__ = ["ClientController", "ContactController", "clients", "contacts"]
