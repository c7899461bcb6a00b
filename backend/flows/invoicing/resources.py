"""How the API lists and reads invoices (the team's; clients see theirs in the portal)."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.crud import STAFF, CrudService, Resource
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
    read_roles=STAFF,
)
invoice_service = CrudService(invoices)


async def file_of(session: AsyncSession, invoice_id: int) -> tuple[Invoice, InvoiceFile]:
    invoice = await session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound(f"invoice {invoice_id} not found")
    stored = (await session.exec(select(InvoiceFile).where(InvoiceFile.invoice_id == invoice_id))).first()
    if stored is None:
        raise NotFound(f"invoice {invoice_id} is a draft: its files are made when it is issued")
    return invoice, stored
