"""How the API lists and reads invoices: the team all of them, a client user only its own
client's invoices that were mailed to it (drafts and unsent ones do not exist for it: 404)."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.principals import Actor
from backend.domains.crud import EVERYONE, CrudService, Resource
from backend.flows.invoicing.models import Invoice, InvoiceFile, InvoiceRead, InvoiceStatus
from backend.kernel.errors import NotFound

invoices = Resource(
    name="invoices",
    entity="invoice",
    model=Invoice,
    read=InvoiceRead,
    writable=False,  # drafts are written through flows/invoicing (lines, numbers, files)
    filters={
        "status": (InvoiceStatus, Invoice.status),
        "client_id": (int, Invoice.client_id),
        "engagement_id": (int, Invoice.engagement_id),
        "year": (int, Invoice.year),
    },
    sortable=("id", "issue_date", "due_date", "gross_total", "created_at"),
    default_sort="-id",
    read_roles=EVERYONE,
    client_scope=lambda client_id: (col(Invoice.client_id) == client_id) & col(Invoice.sent_at).is_not(None),
)
invoice_service = CrudService(invoices)


async def file_of(session: AsyncSession, user: Actor, invoice_id: int) -> tuple[Invoice, InvoiceFile]:
    invoice = await invoice_service.get(session, user, invoice_id)
    stored = (await session.exec(select(InvoiceFile).where(InvoiceFile.invoice_id == invoice_id))).first()
    if stored is None:
        raise NotFound(f"invoice {invoice_id} is a draft: its files are made when it is issued")
    return invoice, stored
