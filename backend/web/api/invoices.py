"""Invoices: drafts, issuing (number, XML, PDF/A-3), credit notes and the issued files."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Response, delete, get, patch, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter
from pydantic import Field

from backend.domains.crud import STAFF
from backend.flows.invoicing import basis, drafts, payments, sending
from backend.flows.invoicing.basis import BasisRequest
from backend.flows.invoicing.issue import issue
from backend.flows.invoicing.models import (
    InvoiceChange,
    InvoiceDraft,
    InvoiceRead,
    MailingRead,
    OpenItemRead,
    PaymentCreate,
    PaymentRead,
)
from backend.flows.invoicing.resources import invoice_service, invoices
from backend.kernel.db import READS_ONLY
from backend.kernel.schema import MAX_ID, Strict
from backend.web.api.problem_docs import problem_responses
from backend.web.api.resource import resource_controller
from backend.web.downloads import datev_file, invoice_file
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


async def _read(db_session: DbSession, invoice_id: int, user: Any = None) -> InvoiceRead:
    if user is not None:
        await invoice_service.get(db_session, user, invoice_id)  # a client's own, sent invoice, else 404
    invoice, lines = await drafts.load(db_session, invoice_id)
    return drafts.read(invoice, lines)


class InvoiceController(resource_controller(invoices, invoice_service)):  # type: ignore[misc]
    @get(
        "/{row_id:int}",
        operation_id="get_invoice",
        summary="Read one invoice with its lines",
        opt={READS_ONLY: True},
    )
    async def get_row(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> InvoiceRead:
        return await _read(db_session, row_id, request.user)

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

    @post(
        "/from-basis",
        operation_id="draft_invoice_from_basis",
        summary="Draft an invoice from what the client accepted: proposal fee or milestone, statement, deliverable",
        description=(
            "`basis` names what is billed: `proposal` (a fixed fee; `milestone` n of its payment schedule, the last "
            "one being the final invoice less the advances), `statement` (`statement_id` of an approved time "
            "statement, at the accepted day rate) or `deliverable` (`deliverable_id` of an accepted deliverable "
            "and its net `amount`). Each is billed once: the second time is 409."
        ),
        guards=_team,
        status_code=201,
        responses=problem_responses(409),
    )
    async def from_basis(
        self,
        db_session: DbSession,
        request: AppRequest,
        data: example_body(BasisRequest, {"engagement_id": 1, "basis": "proposal", "milestone": 1}),  # type: ignore[valid-type]
    ) -> InvoiceRead:
        invoice, lines = await basis.from_basis(db_session, request.user, data)
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
        media_type="application/pdf",
        responses=problem_responses(429),
    )
    async def pdf(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[bytes]:
        return await invoice_file(db_session, request, row_id, "pdf")

    @get(
        "/{row_id:int}/xml",
        operation_id="download_invoice_xml",
        summary="The issued invoice's EN 16931 CII XML (the XRechnung, for an XRechnung client)",
        media_type="application/xml",
        responses=problem_responses(429),
    )
    async def xml(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[bytes]:
        return await invoice_file(db_session, request, row_id, "xml")

    @post(
        "/{row_id:int}/send",
        operation_id="send_invoice",
        summary="Mail an issued invoice to the client's invoice address, once (202; again: 200, nothing more sent)",
        guards=_team,
        status_code=202,
        responses={
            200: ResponseSpec(data_container=MailingRead, description="Planned or sent before: nothing more is sent"),
            **problem_responses(409),
        },
    )
    async def send(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[MailingRead]:
        mailing, planned = await sending.order_send(db_session, request.user, row_id)
        return Response(MailingRead.model_validate(mailing, from_attributes=True), status_code=202 if planned else 200)

    @get(
        "/{row_id:int}/payments",
        operation_id="list_invoice_payments",
        summary="Payments received against an invoice",
        guards=_team,
        opt={READS_ONLY: True},
    )
    async def list_payments(self, db_session: DbSession, row_id: RowId) -> list[PaymentRead]:
        await drafts.load(db_session, row_id)  # 404 for none
        return [
            PaymentRead.model_validate(p, from_attributes=True) for p in await payments.payments_of(db_session, row_id)
        ]

    @post(
        "/{row_id:int}/payments",
        operation_id="record_invoice_payment",
        summary="Record a payment received (partial payments add up; paid when nothing is open)",
        guards=_team,
        status_code=201,
        responses=problem_responses(409),
    )
    async def pay(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        data: example_body(PaymentCreate, {"paid_on": "2027-01-15", "amount": "4559.19", "version": 2}),  # type: ignore[valid-type]
    ) -> PaymentRead:
        payment = await payments.add_payment(db_session, request.user, row_id, data)
        return PaymentRead.model_validate(payment, from_attributes=True)

    @delete(
        "/{row_id:int}/payments/{payment_id:int}",
        operation_id="remove_invoice_payment",
        summary="Remove a payment recorded by mistake (the invoice is open again)",
        guards=_team,
        responses=problem_responses(409),
    )
    async def unpay(self, db_session: DbSession, request: AppRequest, row_id: RowId, payment_id: RowId) -> None:
        await payments.remove_payment(db_session, request.user, row_id, payment_id)

    @get(
        "/open-items",
        operation_id="list_open_items",
        summary="Open items: issued invoices with money open, longest overdue first",
        guards=_team,
        opt={READS_ONLY: True},
    )
    async def open_items(self, db_session: DbSession, request: AppRequest) -> list[OpenItemRead]:
        items = await payments.open_items(db_session, request.app.state.settings)
        return [OpenItemRead.model_validate(item, from_attributes=True) for item in items]

    @get(
        "/datev",
        operation_id="export_invoices_datev",
        summary="Issued invoices and credit notes of a period as DATEV Buchungsstapel (EXTF 700, CSV, Windows-1252)",
        guards=_team,
        media_type="text/csv",
        opt={READS_ONLY: True},
    )
    async def datev_export(
        self,
        db_session: DbSession,
        request: AppRequest,
        start: Annotated[date, QueryParameter(name="from", description="First issue date")],
        end: Annotated[date, QueryParameter(name="to", description="Last issue date")],
    ) -> Response[bytes]:
        return await datev_file(db_session, request, start, end)
