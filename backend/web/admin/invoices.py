"""Invoice pages: the list (with open items), one invoice (lines, totals, issue, send, credit
note, payments, files), and the draft made from what an engagement's client accepted."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, MediaType, Response, get, post
from litestar.params import QueryParameter
from litestar.response import Template
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.service import get_client
from backend.domains.crud import STAFF
from backend.domains.engagements.resources import engagement_service
from backend.flows.invoicing import basis, drafts, issue, payments, sending
from backend.flows.invoicing.models import Invoice, InvoiceChange, InvoiceDraft, InvoiceStatus, PaymentCreate
from backend.flows.invoicing.overview import client_names, invoice_page
from backend.flows.invoicing.resources import invoice_service
from backend.kernel.paging import Paging
from backend.kernel.schema import MAX_ID
from backend.kernel.time import today
from backend.web.admin.engagements import engagement_page
from backend.web.admin.pages import Form, OptionalQuery
from backend.web.downloads import datev_file, file_response, invoice_file
from backend.web.forms import Failure, attempt, decimals, done, int_or_none, parse
from backend.web.handlers import AppRequest, DbSession, RowId, role_guard
from backend.web.i18n import page_context


def _number(value: Any) -> int:
    """A row id or version from a form: 0 (which names nothing) unless it is one."""
    number = int_or_none(value)
    return number if number is not None and 1 <= number <= MAX_ID else 0


def rule_text(t: Any, path: str, message: str) -> str:
    """A failed issuing rule in the page's words, by the field it concerns (the API's own
    English text when the page has none for it), with the rule's id."""
    rule = message.split("]", 1)[0] + "]" if message.startswith("[") else ""
    parts = path.split(".")
    if rule == "[PDF/A-3]":
        said = t("issue_unprintable", what=message.split(":", 1)[0].removeprefix("[PDF/A-3] "), where=path)
    elif parts[0] == "seller":
        said = t("issue_seller", field=".".join(parts[1:]))
    elif parts[0] == "lines" and len(parts) == 3:
        said = t(f"issue_line_{parts[2]}", n=int(parts[1]) + 1)
    else:
        said = t("issue_" + ("_".join(parts) if parts[0] == "buyer" else parts[0]))
    return f"{rule} {said}".strip() if not said.startswith("issue_") else message


DRAFT_EDIT = (
    "period_start",
    "period_end",
    "payment_terms_days",
    "buyer_reference",
    "order_reference",
    "language",
    "format",
    "note",
)
MANUAL_LINES = 5
LINE_FIELDS = ("description", "quantity", "unit", "unit_price", "vat_rate")
REQUIRED_ON_DRAFT = ("payment_terms_days", "language")
NOTICES = ("issued", "send_queued", "send_again", "paid", "credit_note")


async def _invoice_page(
    db_session: AsyncSession, request: AppRequest, row_id: int, failure: Failure, notice: str | None = None
) -> Template:
    invoice, lines = await drafts.load(db_session, row_id)
    client = await get_client(db_session, invoice.client_id)
    engagement = await engagement_service.get(db_session, request.user, invoice.engagement_id)
    around = await invoice_page(db_session, invoice)
    context = page_context(
        request,
        nav="invoices",
        invoice=invoice,
        read=drafts.read(invoice, lines),
        client=client,
        engagement=engagement,
        corrects=around.corrects,
        credits=around.credits,
        payments=around.payments,
        mailings=around.mailings,
        failed=failure,
        notice=notice,
        today=today(),
        rule_text=rule_text,
        draft_form={name: getattr(invoice, name) or "" for name in DRAFT_EDIT},
    )
    return Template("invoices/show.html", context=context, status_code=failure.status, media_type=MediaType.HTML)


class InvoicePages(Controller):
    path = "/invoices"
    include_in_schema = False
    guards = [role_guard(STAFF)]

    @get("/")
    async def index(self, db_session: DbSession, request: AppRequest, status: OptionalQuery = None) -> Template:
        wanted = status if status in InvoiceStatus.__members__ else None
        filters = {"status": InvoiceStatus(wanted)} if wanted else {}
        page = await invoice_service.page(
            db_session, request.user, filters=filters, sort="-id", paging=Paging(limit=200, count=True)
        )
        clients = await client_names(db_session, {row.client_id for row in page.items})
        context = page_context(
            request,
            nav="invoices",
            rows=page.items,
            total=page.total,
            clients=clients,
            status=wanted or "",
            statuses=list(InvoiceStatus),
            year=today().year,
            open_items=await payments.open_items(db_session, request.app.state.settings),
        )
        return Template("invoices/index.html", context=context, media_type=MediaType.HTML)

    @get("/datev")
    async def datev_export(
        self,
        db_session: DbSession,
        request: AppRequest,
        start: Annotated[date, QueryParameter(name="from")],
        end: Annotated[date, QueryParameter(name="to")],
    ) -> Response[bytes]:
        return await datev_file(db_session, request, start, end)

    @get("/{row_id:int}")
    async def show(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, notice: OptionalQuery = None
    ) -> Template:
        return await _invoice_page(db_session, request, row_id, Failure(), notice if notice in NOTICES else None)

    @post("/from-basis")
    async def from_basis(self, db_session: DbSession, request: AppRequest, data: Form) -> Any:
        made: list[Invoice] = []
        engagement_id = str(data.get("engagement_id", ""))

        async def action() -> None:
            values = {k: v for k, v in decimals(data, "amount").items() if v not in ("", None) and k != "_csrf_token"}
            invoice, _ = await basis.from_basis(db_session, request.user, parse(basis.BasisRequest, values))
            made.append(invoice)

        if failure := await attempt(db_session, request, "invoicing", data, action):
            return await engagement_page(db_session, request, _number(engagement_id), failure)
        return await done(db_session, f"/invoices/{made[0].id}")

    @post("/manual")
    async def manual(self, db_session: DbSession, request: AppRequest, data: Form) -> Any:
        """A draft with lines typed in (up to MANUAL_LINES of them; empty rows are left out)."""
        made: list[Invoice] = []

        async def action() -> None:
            typed = decimals(data, *(f"{name}_{i}" for i in range(MANUAL_LINES) for name in ("quantity", "unit_price")))
            lines = [
                {name: typed.get(f"{name}_{i}") or None for name in LINE_FIELDS}
                for i in range(MANUAL_LINES)
                if str(typed.get(f"description_{i}") or "").strip()
            ]
            body = {k: data.get(k) or None for k in ("engagement_id", "kind", "period_start", "period_end")}
            draft = parse(InvoiceDraft, body | {"lines": [{k: v for k, v in ln.items() if v} for ln in lines]})
            made.append((await drafts.create(db_session, request.user, draft))[0])

        if failure := await attempt(db_session, request, "manual", data, action):
            return await engagement_page(db_session, request, _number(data.get("engagement_id")), failure)
        return await done(db_session, f"/invoices/{made[0].id}")

    @post("/{row_id:int}/issue")
    async def issue_draft(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        async def action() -> None:
            await issue.issue(
                db_session, request.user, row_id, _number(data.get("version")), request.app.state.settings
            )

        if failure := await attempt(db_session, request, "issue", data, action):
            return await _invoice_page(db_session, request, row_id, failure)
        return await done(db_session, f"/invoices/{row_id}?notice=issued")

    @post("/{row_id:int}/edit")
    async def edit_draft(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        async def action() -> None:
            # An emptied field clears it (the API's null); the number of days stays as typed.
            # A field emptied clears it (the format: back to the client's); the required ones stay.
            emptied = {
                name: None for name in DRAFT_EDIT if name in data and name not in REQUIRED_ON_DRAFT and not data[name]
            }
            body = parse(InvoiceChange, {k: data.get(k) for k in (*DRAFT_EDIT, "version")}, **emptied)
            await drafts.change(db_session, request.user, row_id, body)

        if failure := await attempt(db_session, request, "edit", data, action):
            return await _invoice_page(db_session, request, row_id, failure)
        return await done(db_session, f"/invoices/{row_id}")

    @post("/{row_id:int}/delete")
    async def delete_draft(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        engagement: list[int] = []

        async def action() -> None:
            engagement.append(await drafts.delete(db_session, request.user, row_id, _number(data.get("version"))))

        if failure := await attempt(db_session, request, "issue", data, action):
            return await _invoice_page(db_session, request, row_id, failure)
        return await done(db_session, f"/engagements/{engagement[0]}#invoicing")

    @post("/{row_id:int}/send")
    async def send(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        planned: list[bool] = []

        async def action() -> None:
            planned.append((await sending.order_send(db_session, request.user, row_id))[1])

        if failure := await attempt(db_session, request, "send", data, action):
            return await _invoice_page(db_session, request, row_id, failure)
        return await done(db_session, f"/invoices/{row_id}?notice={'send_queued' if planned[0] else 'send_again'}")

    @post("/{row_id:int}/credit-note")
    async def credit_note(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        made: list[Invoice] = []

        async def action() -> None:
            made.append((await drafts.credit_note(db_session, request.user, row_id))[0])

        if failure := await attempt(db_session, request, "credit", data, action):
            return await _invoice_page(db_session, request, row_id, failure)
        return await done(db_session, f"/invoices/{made[0].id}?notice=credit_note")

    @post("/{row_id:int}/payments")
    async def pay(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        async def action() -> None:
            body = parse(PaymentCreate, {k: v for k, v in decimals(data, "amount").items() if k != "_csrf_token"})
            await payments.add_payment(db_session, request.user, row_id, body)

        if failure := await attempt(db_session, request, "payment", data, action):
            return await _invoice_page(db_session, request, row_id, failure)
        return await done(db_session, f"/invoices/{row_id}?notice=paid")

    @get("/{row_id:int}/pdf")
    async def pdf(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[bytes]:
        return await invoice_file(db_session, request, row_id, "pdf")

    @get("/{row_id:int}/xml")
    async def xml(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[bytes]:
        return await invoice_file(db_session, request, row_id, "xml")

    @get("/{row_id:int}/preview")
    async def preview(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[bytes]:
        content = await issue.preview(db_session, row_id, request.app.state.settings)
        return file_response(content, f"draft-{row_id}.pdf", "application/pdf", inline=True)
