"""Clients and their contacts: list, search, create, edit."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlmodel import or_, select

from backend.clients.controller import assessments, clients, contacts
from backend.clients.models import (
    LEVERS,
    AssessmentCreate,
    AssessmentRead,
    Client,
    ClientCreate,
    Contact,
    ContactCreate,
    ReadinessAssessment,
)
from backend.crud import STAFF, CrudService
from backend.errors import DomainError
from backend.resource import DbSession, RowId, role_guard
from backend.ui.forms import FormErrors, from_domain, parse
from backend.ui.i18n import page_context
from backend.ui.pages import Form, OptionalQuery

client_service = CrudService(clients)
contact_service = CrudService(contacts)
assessment_service = CrudService(assessments)


class ClientPages(Controller):
    path = "/clients"
    include_in_schema = False
    guards = [role_guard(STAFF)]

    @get("/")
    async def index(self, db_session: DbSession, request: Request[Any, Any, Any], q: OptionalQuery = None) -> Template:
        stmt = select(Client).where(Client.archived_at.is_(None)).order_by(Client.name).limit(200)
        if q:
            pattern = f"%{q.strip()}%"
            stmt = stmt.where(or_(Client.name.ilike(pattern), Client.city.ilike(pattern), Client.industry.ilike(pattern)))
        rows = (await db_session.exec(stmt)).all()
        context = page_context(request, nav="clients", clients=rows, q=q or "", form={}, errors={}, general=None)
        template = "clients/rows.html" if request.headers.get("hx-request") else "clients/index.html"
        return Template(template, context=context)

    @post("/")
    async def create(self, db_session: DbSession, request: Request[Any, Any, Any], data: Form) -> Any:
        try:
            client = await client_service.create(db_session, request.user, parse(ClientCreate, data))
        except FormErrors as exc:
            return await self._index_with_errors(db_session, request, data, exc)
        except DomainError as exc:
            return await self._index_with_errors(db_session, request, data, from_domain(exc))
        return Redirect(f"/clients/{client.id}", status_code=303)

    async def _index_with_errors(self, db_session, request, data, exc: FormErrors) -> Template:  # noqa: ANN001
        rows = (await db_session.exec(select(Client).where(Client.archived_at.is_(None)).order_by(Client.name).limit(200))).all()
        context = page_context(request, nav="clients", clients=rows, q="", form=data, errors=exc.fields, general=exc.general)
        return Template("clients/index.html", context=context, status_code=422)

    @get("/{row_id:int}")
    async def show(self, db_session: DbSession, request: Request[Any, Any, Any], row_id: RowId) -> Template:
        client = await client_service.get(db_session, request.user, row_id)
        return await self._show(db_session, request, client)

    async def _show(self, db_session, request, client: Client, **extra: Any) -> Template:  # noqa: ANN001
        from backend.engagements.models import Engagement

        people = (await db_session.exec(select(Contact).where(Contact.client_id == client.id).order_by(Contact.name))).all()
        engagements = (await db_session.exec(select(Engagement).where(Engagement.client_id == client.id).order_by(Engagement.start_date.desc()))).all()
        readiness = (
            await db_session.exec(
                select(ReadinessAssessment).where(ReadinessAssessment.client_id == client.id)
                .order_by(ReadinessAssessment.assessed_on)
            )
        ).all()
        context = page_context(
            request, nav="clients", client=client, contacts=people, engagements=engagements,
            form=extra.get("form") or client.model_dump(), errors=extra.get("errors", {}),
            general=extra.get("general"), contact_form=extra.get("contact_form", {}),
            contact_errors=extra.get("contact_errors", {}),
            assessments=[AssessmentRead.model_validate(a) for a in readiness], levers=LEVERS,
            engagement_choices=[(e.id, e.title) for e in engagements],
            assessment_form=extra.get("assessment_form", {"phase": "start"}),
            assessment_errors=extra.get("assessment_errors", {}),
        )
        return Template("clients/show.html", context=context, status_code=extra.get("status", 200))

    @post("/{row_id:int}")
    async def update(self, db_session: DbSession, request: Request[Any, Any, Any], row_id: RowId, data: Form) -> Any:
        client = await client_service.get(db_session, request.user, row_id)
        try:
            patch = parse(clients.update, data)  # type: ignore[arg-type]
            await client_service.update(db_session, request.user, row_id, patch)
        except FormErrors as exc:
            return await self._show(db_session, request, client, form=data, errors=exc.fields, general=exc.general, status=422)
        except DomainError as exc:
            await db_session.rollback()
            client = await client_service.get(db_session, request.user, row_id)
            errors = from_domain(exc)
            general = page_context(request)["t"]("conflict") if exc.status_code == 409 else errors.general
            return await self._show(db_session, request, client, form=data, errors=errors.fields, general=general, status=exc.status_code)
        return Redirect(f"/clients/{row_id}", status_code=303)

    @post("/{row_id:int}/contacts")
    async def add_contact(self, db_session: DbSession, request: Request[Any, Any, Any], row_id: RowId, data: Form) -> Any:
        client = await client_service.get(db_session, request.user, row_id)
        form = {**data, "is_ai_owner": "is_ai_owner" in data, "receives_digest": "receives_digest" in data,
                "portal_access": "portal_access" in data}
        try:
            await contact_service.create(db_session, request.user, parse(ContactCreate, form, client_id=row_id))
        except FormErrors as exc:
            return await self._show(db_session, request, client, contact_form=data, contact_errors=exc.fields, status=422)
        except DomainError as exc:
            errors = from_domain(exc)
            return await self._show(db_session, request, client, contact_form=data,
                                    contact_errors=errors.fields or {"email": errors.general or exc.detail}, status=exc.status_code)
        return Redirect(f"/clients/{row_id}", status_code=303)

    @post("/{row_id:int}/assessments")
    async def add_assessment(self, db_session: DbSession, request: Request[Any, Any, Any], row_id: RowId, data: Form) -> Any:
        client = await client_service.get(db_session, request.user, row_id)
        try:
            await assessment_service.create(db_session, request.user, parse(AssessmentCreate, data, client_id=row_id))
        except FormErrors as exc:
            return await self._show(db_session, request, client, assessment_form=data, assessment_errors=exc.fields, status=422)
        except DomainError as exc:
            await db_session.rollback()
            client = await client_service.get(db_session, request.user, row_id)
            errors = from_domain(exc)
            message = errors.general or exc.detail
            return await self._show(db_session, request, client, assessment_form=data,
                                    assessment_errors=errors.fields or {"phase": message}, status=exc.status_code)
        return Redirect(f"/clients/{row_id}", status_code=303)
