"""Clients and their contacts: list, search, create, edit."""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, get, post
from litestar.response import Template
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.models import (
    LEVERS,
    AssessmentCreate,
    AssessmentRead,
    Client,
    ClientCreate,
    ContactCreate,
)
from backend.domains.clients.resources import assessment_service, client_service, clients, contact_service, contacts
from backend.domains.clients.service import assessments_of, contacts_of, find_clients
from backend.domains.crud import STAFF
from backend.domains.engagements.service import engagements_of_client
from backend.flows.literacy.register import register_of
from backend.kernel.enums import Role
from backend.kernel.time import today
from backend.web.admin.pages import Form, OptionalQuery
from backend.web.forms import Failure, attempt, done, edit_defaults, edit_values, parse, save_edit
from backend.web.handlers import AppRequest, DbSession, RowId, role_guard
from backend.web.i18n import page_context

CONTACT_BOXES = ("is_ai_owner", "receives_digest", "portal_access")
CONTACT_EDIT = ("name", "email", "position", "phone", "language", *CONTACT_BOXES)


async def client_page(db_session: AsyncSession, request: AppRequest, row_id: int, failure: Failure) -> Template:
    """A client's page: its engagements, contacts, readiness and literacy (with a form's refusal)."""
    # Loaded after a failed write's rollback, so the page shows what is stored.
    client = await client_service.get(db_session, request.user, row_id)
    people = await contacts_of(db_session, client.id)
    engagements = await engagements_of_client(db_session, client.id)
    readiness = await assessments_of(db_session, client.id)
    settings = request.app.state.settings
    literacy = await register_of(db_session, client, as_of=today(), refresh_months=settings.literacy_refresh_months)
    context = page_context(
        request,
        nav="clients",
        client=client,
        client_form=client.model_dump(warnings=False),  # enum columns read back as plain strings
        contacts=people,
        contact_forms={c.id: edit_defaults(c, CONTACT_EDIT) for c in people},
        # Who may erase a person (GDPR Art. 17): admins only.
        may_erase=request.user.role == Role.admin,
        engagements=engagements,
        failed=failure,
        assessments=[AssessmentRead.model_validate(a) for a in readiness],
        levers=LEVERS,
        engagement_choices=[(e.id, e.title) for e in engagements],
        # The AI-literacy register's coverage backs the lever "people enabled".
        literacy=literacy,
    )
    return Template("clients/show.html", context=context, status_code=failure.status, media_type=MediaType.HTML)


class ClientPages(Controller):
    path = "/clients"
    include_in_schema = False
    guards = [role_guard(STAFF)]

    @get("/")
    async def index(self, db_session: DbSession, request: AppRequest, q: OptionalQuery = None) -> Template:
        return await self._index(db_session, request, q or "", Failure())

    async def _index(self, db_session: AsyncSession, request: AppRequest, q: str, failure: Failure) -> Template:
        rows = await find_clients(db_session, q)
        context = page_context(request, nav="clients", clients=rows, q=q, failed=failure)
        template = "clients/rows.html" if request.headers.get("hx-request") else "clients/index.html"
        return Template(template, context=context, status_code=failure.status, media_type=MediaType.HTML)

    @post("/")
    async def create(self, db_session: DbSession, request: AppRequest, data: Form) -> Any:
        created: list[Client] = []

        async def action() -> None:
            created.append(await client_service.create(db_session, request.user, parse(ClientCreate, data)))

        if failure := await attempt(db_session, request, "new", data, action):
            return await self._index(db_session, request, "", failure)
        return await done(db_session, f"/clients/{created[0].id}")

    @get("/{row_id:int}")
    async def show(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Template:
        return await self._show(db_session, request, row_id, Failure())

    async def _show(self, db_session: AsyncSession, request: AppRequest, row_id: int, failure: Failure) -> Template:
        return await client_page(db_session, request, row_id, failure)

    async def _back(self, db_session: AsyncSession, request: AppRequest, row_id: int, failure: Failure | None) -> Any:
        if failure:
            return await self._show(db_session, request, row_id, failure)
        return await done(db_session, f"/clients/{row_id}")

    @post("/{row_id:int}")
    async def update(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        await client_service.get(db_session, request.user, row_id)

        async def action() -> None:
            await client_service.update(db_session, request.user, row_id, parse(clients.update, data))  # type: ignore[arg-type]

        return await self._back(db_session, request, row_id, await attempt(db_session, request, "edit", data, action))

    @post("/{row_id:int}/contacts")
    async def add_contact(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        await client_service.get(db_session, request.user, row_id)
        form = {**data, **{box: box in data for box in CONTACT_BOXES}}

        async def action() -> None:
            await contact_service.create(db_session, request.user, parse(ContactCreate, form, client_id=row_id))

        return await self._back(
            db_session, request, row_id, await attempt(db_session, request, "contact", data, action)
        )

    @post("/{row_id:int}/contacts/{contact_id:int}")
    async def edit_contact(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, contact_id: RowId, data: Form
    ) -> Any:
        await contact_service.get(db_session, request.user, contact_id, within={"client_id": row_id})
        # An unticked box is not sent: every box of the form is a value, ticked or not.
        form = {**data, **{box: box in data for box in CONTACT_BOXES}}

        async def action() -> None:
            values = edit_values(form, CONTACT_EDIT)
            await save_edit(contact_service, contacts.update, db_session, request, contact_id, data, values)

        failure = await attempt(db_session, request, f"contact-{contact_id}", data, action)
        return await self._back(db_session, request, row_id, failure)

    @post("/{row_id:int}/assessments")
    async def add_assessment(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        await client_service.get(db_session, request.user, row_id)

        async def action() -> None:
            await assessment_service.create(db_session, request.user, parse(AssessmentCreate, data, client_id=row_id))

        failure = await attempt(db_session, request, "assessment", data, action)
        return await self._back(db_session, request, row_id, failure)
