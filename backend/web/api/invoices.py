"""Invoices: drafts, issuing (number, XML, PDF/A-3), credit notes and the issued files."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, delete, get, patch, post
from litestar.params import QueryParameter
from pydantic import Field

from backend.domains.crud import STAFF
from backend.flows.invoicing import drafts
from backend.flows.invoicing.issue import issue
from backend.flows.invoicing.models import InvoiceChange, InvoiceDraft, InvoiceRead
from backend.flows.invoicing.resources import file_of, invoice_service, invoices
from backend.kernel.schema import MAX_ID, Strict
from backend.web.api.problem_docs import problem_responses
from backend.web.api.resource import resource_controller
from backend.web.downloads import content_disposition
from backend.web.handlers import AppRequest, DbSession, RowId, example_body, role_guard

_team = [role_guard(STAFF)]

DRAFT_EXAMPLE = {
    "engagement_id": 1,
    "period_start": "2026-11-01",
    "period_end": "2026-11-30",
    "lines": [
        {"description": "Use-Case-Workshop (Tagessatz)", "quantity": "2", "unit": "DAY", "unit_price": "1400.00"},
    ],
}


class Version(Strict):
    version: int = Field(ge=1, le=MAX_ID, description="The version you read")


async def _read(db_session: DbSession, invoice_id: int) -> InvoiceRead:
    invoice, lines = await drafts.load(db_session, invoice_id)
    return drafts.read(invoice, lines)


class InvoiceController(resource_controller(invoices, invoice_service)):  # type: ignore[misc]
    @get(
        "/{row_id:int}",
        operation_id="get_invoice",
        summary="Read one invoice with its lines",
        guards=_team,
    )
    async def get_row(self, db_session: DbSession, row_id: RowId) -> InvoiceRead:
        return await _read(db_session, row_id)

    @post(
        "/",
        operation_id="create_invoice",
        summary="Draft an invoice with lines of your own (no number until it is issued)",
        guards=_team,
        status_code=201,
        responses=problem_responses(409),
    )
    async def create(
        self,
        db_session: DbSession,
        request: AppRequest,
        data: example_body(InvoiceDraft, DRAFT_EXAMPLE),  # type: ignore[valid-type]
    ) -> InvoiceRead:
        invoice, lines = await drafts.create(db_session, request.user, data)
        return drafts.read(invoice, lines)

    @patch(
        "/{row_id:int}",
        operation_id="update_invoice",
        summary="Change a draft (send the version you read; `lines` replaces all lines)",
        guards=_team,
        responses=problem_responses(409),
    )
    async def change(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        data: example_body(InvoiceChange, {"version": 1, "payment_terms_days": 30}),  # type: ignore[valid-type]
    ) -> InvoiceRead:
        await drafts.change(db_session, request.user, row_id, data)
        return await _read(db_session, row_id)

    @delete(
        "/{row_id:int}",
        operation_id="delete_invoice",
        summary="Delete a draft (an issued invoice is never deleted: take it back by a credit note)",
        guards=_team,
        responses=problem_responses(409),
    )
    async def remove(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        version: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID, description="Optimistic-lock check")] = None,
    ) -> None:
        await drafts.delete(db_session, request.user, row_id, version)

    @post(
        "/{row_id:int}/issue",
        operation_id="issue_invoice",
        summary="Issue a draft: next number of the year, XML checked, PDF/A-3 made (422 lists every failed rule)",
        guards=_team,
        status_code=200,
        responses=problem_responses(409),
    )
    async def issue_draft(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        data: example_body(Version, {"version": 1}),  # type: ignore[valid-type]
    ) -> InvoiceRead:
        await issue(db_session, request.user, row_id, data.version, request.app.state.settings)
        return await _read(db_session, row_id)

    @post(
        "/{row_id:int}/credit-note",
        operation_id="draft_credit_note",
        summary="Draft a credit note that takes back all of an issued invoice (issue it to cancel the invoice)",
        guards=_team,
        status_code=201,
        responses=problem_responses(409),
    )
    async def credit_note(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> InvoiceRead:
        invoice, lines = await drafts.credit_note(db_session, request.user, row_id)
        return drafts.read(invoice, lines)

    @get(
        "/{row_id:int}/pdf",
        operation_id="download_invoice_pdf",
        summary="The issued invoice as PDF/A-3 (ZUGFeRD: with its XML inside)",
        guards=_team,
        media_type="application/pdf",
    )
    async def pdf(self, db_session: DbSession, row_id: RowId) -> Response[bytes]:
        invoice, stored = await file_of(db_session, row_id)
        return _file(stored.pdf, f"{invoice.number}.pdf", "application/pdf", stored.pdf_sha256)

    @get(
        "/{row_id:int}/xml",
        operation_id="download_invoice_xml",
        summary="The issued invoice's EN 16931 CII XML (the XRechnung, for an XRechnung client)",
        guards=_team,
        media_type="application/xml",
    )
    async def xml(self, db_session: DbSession, row_id: RowId) -> Response[bytes]:
        invoice, stored = await file_of(db_session, row_id)
        return _file(stored.xml, f"{invoice.number}.xml", "application/xml", stored.xml_sha256)


def _file(content: bytes, name: str, media_type: str, sha256: str) -> Response[bytes]:
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": content_disposition(name),
            "ETag": f'"{sha256}"',
            "Cache-Control": "private, no-store",
        },
    )
