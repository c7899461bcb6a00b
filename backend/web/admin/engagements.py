"""Engagement pages: the list with "new engagement", and one engagement's page with its
timeline, workshops, pilots, deliverables, weekly status, documents and digests.

"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from litestar import Controller, MediaType, get, post
from litestar.response import Redirect, Template
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.service import find_clients, get_client
from backend.domains.crud import STAFF
from backend.domains.deliverables.models import (
    Deliverable,
    DeliverableCreate,
    DeliverableKind,
    DeliverableStatus,
)
from backend.domains.deliverables.resources import deliverable_service
from backend.domains.deliverables.service import deliverables_of
from backend.domains.engagements.models import (
    Engagement,
    EngagementCreate,
    EngagementRead,
    EngagementStatus,
    PricingModel,
    Rag,
    StatusUpdate,
    StatusUpdateCreate,
)
from backend.domains.engagements.offer import ItemKind, ItemUnit, items_of
from backend.domains.engagements.resources import (
    ENGAGEMENT_FLOW,
    engagement_service,
    engagements,
    status_update_service,
    status_updates,
)
from backend.domains.engagements.service import engagements_with_clients, status_update_of
from backend.domains.pilots.models import Pilot, PilotCreate, ProcessArea
from backend.domains.pilots.resources import pilot_service
from backend.domains.pilots.service import pilots_of
from backend.domains.timesheets.reading import engagement_burn
from backend.domains.workshops.models import Workshop, WorkshopCreate, WorkshopKind
from backend.domains.workshops.resources import workshop_service
from backend.domains.workshops.service import workshops_of
from backend.flows.acceptance.overview import deliverable_contracts
from backend.flows.digests.service import approve_and_send, plan_digest, recent_deliveries
from backend.flows.documents.data import lines
from backend.flows.documents.models import DocumentKind, DocumentRequest, DocumentStatus
from backend.flows.documents.service import documents_of, order_document
from backend.flows.invoicing.overview import engagement_invoicing
from backend.flows.portal.decisions import acceptance_of, outdated_offer
from backend.flows.portal.declines import declines_of
from backend.flows.portal.dpa import dpa_standing
from backend.flows.portal.models import AcceptanceRead
from backend.flows.portal.sharing import live_links, share_path
from backend.flows.portal.shown import one_shown
from backend.flows.portal.statements import statement_states
from backend.kernel.db import utcnow
from backend.kernel.time import BERLIN, current_week
from backend.kernel.time import today as berlin_today
from backend.web.admin.burn_chart import burn_chart
from backend.web.admin.pages import Form, OptionalQuery
from backend.web.forms import (
    Failure,
    FormErrors,
    attempt,
    berlin_datetime,
    checked,
    decimals,
    done,
    edit_defaults,
    edit_values,
    int_or_none,
    move,
    parse,
    save_edit,
    word,
)
from backend.web.handlers import AppRequest, DbSession, RowId, role_guard
from backend.web.i18n import page_context

# The one forward move a deliverable's button offers.
DELIVERABLE_NEXT = {
    DeliverableStatus.planned: DeliverableStatus.in_progress,
    DeliverableStatus.in_progress: DeliverableStatus.in_review,
    DeliverableStatus.in_review: DeliverableStatus.delivered,
    DeliverableStatus.delivered: DeliverableStatus.accepted,
    DeliverableStatus.rejected: DeliverableStatus.in_progress,
}
NOTICES = (
    "digest_queued",
    "digest_inactive",
    "digest_not_started",
    "document_sent",
    "document_render_queued",
    "share_link_created",
    "share_link_revoked",
)
STATUS_TEXTS = ("summary", "done", "next", "risks")
BUSY = (DocumentStatus.queued, DocumentStatus.rendering)
STUCK_AFTER = timedelta(minutes=2)


# --- form helpers (also used by backend/ui/pilots.py) ---------------------------------------

# The fields of the edit forms, as the PATCH schemas name them.
ENGAGEMENT_EDIT = (
    "title",
    "goals",
    "situation",
    "recommendations",
    "terms",
    "start_date",
    "duration_weeks",
    "pricing_model",
    "fixed_fee",
    "day_rate",
    "days",
    "budget",
    "hours_per_day",
)
WORKSHOP_EDIT = ("kind", "title", "starts_at", "ends_at", "location", "agenda", "outcomes", "feedback_score")
DELIVERABLE_EDIT = ("title", "kind", "due_week", "description")


# --- the engagement page's data --------------------------------------------------------------


@dataclass
class Week:
    number: int
    monday: date
    current: bool
    workshops: list[Workshop] = field(default_factory=list)
    deliverables: list[Deliverable] = field(default_factory=list)
    pilots: list[Pilot] = field(default_factory=list)
    # Deliverables whose acceptance deadline falls in the week: (title, deadline).
    deadlines: list[tuple[str, date]] = field(default_factory=list)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


def timeline(
    engagement: Engagement,
    today: date,
    workshops: Iterable[Workshop],
    deliverables: Iterable[Deliverable],
    pilots: Iterable[Pilot],
) -> list[Week]:
    """Weeks 1..duration with what happens in each; workshops by their Berlin start date."""
    weeks = [
        Week(n, engagement.start_date + timedelta(weeks=n - 1), engagement.week_number(today) == n)
        for n in range(1, engagement.duration_weeks + 1)
    ]
    last = len(weeks)
    for workshop in workshops:
        n = engagement.week_number(workshop.starts_at.astimezone(BERLIN).date())
        if 1 <= n <= last:
            weeks[n - 1].workshops.append(workshop)
    for item in deliverables:
        if 1 <= item.due_week <= last:
            weeks[item.due_week - 1].deliverables.append(item)
    for pilot in pilots:
        if pilot.start_week is not None:
            for n in range(pilot.start_week, min(pilot.end_week or pilot.start_week, last) + 1):
                weeks[n - 1].pilots.append(pilot)
    return weeks


# Enough for any engagement's page; a runaway list must not slow it down.
ROW_LIMIT = 500


def context(request: AppRequest, **values: Any) -> dict[str, Any]:
    """page_context plus badge tones and `choices(values, prefix)`: (value, label) for a select."""
    ctx = page_context(request, **values)
    t = ctx["t"]
    ctx["choices"] = lambda items, prefix="": [(str(v), t(f"{prefix}{v}")) for v in items]
    return ctx


# --- controller ------------------------------------------------------------------------------


async def engagement_page(
    db_session: AsyncSession,
    request: AppRequest,
    row_id: int,
    failure: Failure,
    notice: str | None = None,
) -> Template:
    """The engagement page, with a refused form's failure shown in its section."""
    engagement = await engagement_service.get(db_session, request.user, row_id)
    client = await get_client(db_session, engagement.client_id)
    week = current_week()
    today = berlin_today()
    held = await workshops_of(db_session, row_id, limit=ROW_LIMIT)
    items = await deliverables_of(db_session, row_id, limit=ROW_LIMIT)
    trials = await pilots_of(db_session, row_id, limit=ROW_LIMIT)
    contracts = await deliverable_contracts(db_session, row_id, [d.id for d in items])
    weeks = timeline(engagement, today, held, items, trials)
    titles = {d.id: d.title for d in items}
    for request_row in contracts.open_requests.values():
        n = min(max(engagement.week_number(request_row.deadline), 1), len(weeks))
        weeks[n - 1].deadlines.append((titles.get(request_row.deliverable_id, ""), request_row.deadline))
    update = await status_update_of(db_session, row_id, week)
    deliveries = await recent_deliveries(db_session, row_id)
    burn = await engagement_burn(db_session, engagement, today)
    ctx = context(
        request,
        nav="engagements",
        engagement=engagement,
        read=EngagementRead.model_validate(engagement),
        client=client,
        goals=lines(engagement.goals),
        next_states=sorted(ENGAGEMENT_FLOW.moves[engagement.status], key=list(EngagementStatus).index),
        needs_reason=ENGAGEMENT_FLOW.needs_reason,
        timeline=weeks,
        contracts=contracts,
        berlin=BERLIN,
        settings_artefact_mib=request.app.state.settings.artefact_max_mib,
        offer=items_of(engagement.proposal_items),
        item_units=list(ItemUnit),
        item_kinds=list(ItemKind),
        offer_rows=max(3, len(engagement.proposal_items) + 2),
        workshops=held,
        deliverables=items,
        pilots=trials,
        deliverable_next=DELIVERABLE_NEXT,
        iso_week=week,
        started=not engagement.before_start(week),
        # The weekly status, its report and the digest end with the engagement.
        running=not engagement.before_start(week)
        and engagement.status not in (EngagementStatus.completed, EngagementStatus.cancelled),
        update=update,
        status_default=_status_form(update, week),
        deliveries=deliveries,
        burn=burn,
        chart=burn_chart(burn, engagement, today),
        failed=failure,
        notice=notice,
        acceptance=await one_shown(db_session, await acceptance_of(db_session, row_id), AcceptanceRead),
        declines=await declines_of(db_session, row_id),
        dpa=await dpa_standing(db_session, row_id),
        invoicing=await engagement_invoicing(db_session, engagement),
        workshop_kinds=list(WorkshopKind),
        process_areas=list(ProcessArea),
        pricing=list(PricingModel),
        deliverable_kinds=list(DeliverableKind),
        rags=list(Rag),
        document_kinds=[k for k in DocumentKind if k != DocumentKind.time_statement],
        # Early in a month the statement due is last month's.
        statement_month=f"{today:%Y-%m}" if today.day > 10 else f"{today.replace(day=1) - timedelta(days=1):%Y-%m}",
        engagement_form=edit_defaults(engagement, (*ENGAGEMENT_EDIT, "review_before_send")),
        workshop_forms={w.id: edit_defaults(w, WORKSHOP_EDIT) for w in held},
        deliverable_forms={d.id: edit_defaults(d, DELIVERABLE_EDIT) for d in items},
    )
    return Template("engagements/show.html", context=ctx, status_code=failure.status, media_type=MediaType.HTML)


async def back(
    db_session: AsyncSession,
    request: AppRequest,
    row_id: int,
    failure: Failure | None,
    notice: str | None = None,
    at: str | None = None,
) -> Any:
    """After a form on the engagement page: the page again with the refusal, or back to it at
    the section `at` (with a notice, at the documents, when one is given)."""
    if failure:
        return await engagement_page(db_session, request, row_id, failure)
    if notice:
        return await done(db_session, f"/engagements/{row_id}?notice={notice}#documents")
    return await done(db_session, f"/engagements/{row_id}" + (f"#{at}" if at else ""))


class EngagementPages(Controller):
    path = "/engagements"
    include_in_schema = False
    guards = [role_guard(STAFF)]

    @get("/")
    async def index(
        self,
        db_session: DbSession,
        request: AppRequest,
        status: OptionalQuery = None,
        client_id: OptionalQuery = None,
    ) -> Template:
        return await self._index(db_session, request, status, Failure("new", {"client_id": client_id or ""}))

    async def _index(
        self, db_session: AsyncSession, request: AppRequest, status: str | None, failure: Failure
    ) -> Template:
        wanted = EngagementStatus(status) if status and status in EngagementStatus.__members__ else None
        rows = await engagements_with_clients(db_session, wanted)
        clients = await find_clients(db_session, limit=ROW_LIMIT)
        client_choices = [(c.id, c.name) for c in clients]
        ctx = context(
            request,
            nav="engagements",
            rows=rows,
            status=status or "",
            client_choices=client_choices,
            failed=failure,
            statuses=list(EngagementStatus),
            pricing=list(PricingModel),
        )
        return Template("engagements/index.html", context=ctx, status_code=failure.status, media_type=MediaType.HTML)

    @post("/")
    async def create(self, db_session: DbSession, request: AppRequest, data: Form) -> Any:
        created: list[Engagement] = []

        async def action() -> None:
            values = decimals(data, "fixed_fee", "day_rate", "days")
            created.append(
                await engagement_service.create(
                    db_session, request.user, parse(EngagementCreate, values, lead_consultant_id=request.user.id)
                )
            )

        if failure := await attempt(db_session, request, "new", data, action):
            return await self._index(db_session, request, None, failure)
        return await done(db_session, f"/engagements/{created[0].id}")

    @get("/{row_id:int}")
    async def show(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, notice: OptionalQuery = None
    ) -> Template:
        return await engagement_page(db_session, request, row_id, Failure(), notice if notice in NOTICES else None)

    @post("/{row_id:int}/transition")
    async def transition(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        action = move(engagement_service, db_session, request, row_id, data)
        return await back(db_session, request, row_id, await attempt(db_session, request, "status", data, action))

    @post("/{row_id:int}/edit")
    async def edit(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        await engagement_service.get(db_session, request.user, row_id)
        values = edit_values(
            decimals(data, "fixed_fee", "day_rate", "days", "budget", "hours_per_day"), ENGAGEMENT_EDIT
        )
        values["review_before_send"] = checked(data, "review_before_send")

        async def action() -> None:
            await save_edit(
                engagement_service, engagements.update, db_session, request, row_id, data, values, whole="pricing_model"
            )

        return await back(db_session, request, row_id, await attempt(db_session, request, "edit", data, action))

    @post("/{row_id:int}/workshops/{workshop_id:int}")
    async def edit_workshop(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, workshop_id: RowId, data: Form
    ) -> Any:
        await workshop_service.get(db_session, request.user, workshop_id, within={"engagement_id": row_id})
        values = edit_values(decimals(data, "feedback_score"), WORKSHOP_EDIT)
        for name in ("starts_at", "ends_at"):
            if values.get(name) is not None:
                values[name] = berlin_datetime(values[name])

        async def action() -> None:
            await save_edit(
                workshop_service,
                workshop_service.r.update,
                db_session,
                request,
                workshop_id,
                data,
                values,
                whole="ends_at",
            )

        failure = await attempt(db_session, request, f"workshop-{workshop_id}", data, action)
        return await back(db_session, request, row_id, failure)

    @post("/{row_id:int}/workshops")
    async def add_workshop(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        await engagement_service.get(db_session, request.user, row_id)
        values = {
            **data,
            "starts_at": berlin_datetime(data.get("starts_at")),
            "ends_at": berlin_datetime(data.get("ends_at")),
        }

        async def action() -> None:
            await workshop_service.create(db_session, request.user, parse(WorkshopCreate, values, engagement_id=row_id))

        return await back(db_session, request, row_id, await attempt(db_session, request, "workshop", data, action))

    @post("/{row_id:int}/pilots")
    async def add_pilot(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        await engagement_service.get(db_session, request.user, row_id)

        async def action() -> None:
            await pilot_service.create(db_session, request.user, parse(PilotCreate, data, engagement_id=row_id))

        return await back(db_session, request, row_id, await attempt(db_session, request, "pilot", data, action))

    @post("/{row_id:int}/deliverables")
    async def add_deliverable(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        await engagement_service.get(db_session, request.user, row_id)

        async def action() -> None:
            await deliverable_service.create(
                db_session, request.user, parse(DeliverableCreate, data, engagement_id=row_id)
            )

        return await back(db_session, request, row_id, await attempt(db_session, request, "deliverable", data, action))

    async def _own_deliverable(
        self, db_session: AsyncSession, request: AppRequest, row_id: int, item_id: int
    ) -> Deliverable:
        item = await deliverable_service.get(db_session, request.user, item_id, within={"engagement_id": row_id})
        return item

    @post("/{row_id:int}/deliverables/{item_id:int}")
    async def edit_deliverable(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, item_id: RowId, data: Form
    ) -> Any:
        await self._own_deliverable(db_session, request, row_id, item_id)
        values = edit_values(data, DELIVERABLE_EDIT)

        async def action() -> None:
            await save_edit(
                deliverable_service, deliverable_service.r.update, db_session, request, item_id, data, values
            )

        failure = await attempt(db_session, request, f"deliverable-edit-{item_id}", data, action)
        return await back(db_session, request, row_id, failure)

    @post("/{row_id:int}/deliverables/{item_id:int}/transition")
    async def move_deliverable(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, item_id: RowId, data: Form
    ) -> Any:
        await self._own_deliverable(db_session, request, row_id, item_id)
        action = move(deliverable_service, db_session, request, item_id, data)
        failure = await attempt(db_session, request, f"deliverable-{item_id}", data, action)
        return await back(db_session, request, row_id, failure)

    @post("/{row_id:int}/status")
    async def save_status(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        await engagement_service.get(db_session, request.user, row_id)
        texts = {"rag": data.get("rag", ""), **{k: str(data.get(k, "")) for k in STATUS_TEXTS}}
        update_id = int_or_none(data.get("id"))

        async def action() -> None:
            if update_id is None:
                week = str(data.get("iso_week") or current_week())
                body = parse(StatusUpdateCreate, {}, engagement_id=row_id, iso_week=week, **texts)
                await status_update_service.create(db_session, request.user, body)
                return
            await self._own_update(db_session, request, row_id, update_id)
            body = parse(status_updates.update, {"version": data.get("version")}, **texts)  # type: ignore[arg-type]
            await status_update_service.update(db_session, request.user, update_id, body)

        return await back(db_session, request, row_id, await attempt(db_session, request, "weekly", data, action))

    async def _own_update(
        self, db_session: AsyncSession, request: AppRequest, row_id: int, update_id: int
    ) -> StatusUpdate:
        update = await status_update_service.get(db_session, request.user, update_id, within={"engagement_id": row_id})
        return update

    @post("/{row_id:int}/status/approve")
    async def approve_status(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        update_id = int_or_none(data.get("id")) or 0
        await self._own_update(db_session, request, row_id, update_id)

        async def action() -> None:
            version = int_or_none(data.get("version"))
            if version is None:
                raise FormErrors({}, word(request, "conflict"))
            await approve_and_send(db_session, request.user, update_id, version)

        return await back(db_session, request, row_id, await attempt(db_session, request, "weekly", data, action))

    @post("/{row_id:int}/status/preview")
    async def preview_status(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Template:
        await engagement_service.get(db_session, request.user, row_id)
        rag = data.get("rag") if data.get("rag") in Rag.__members__ else None
        ctx = context(
            request,
            rag=rag,
            summary=str(data.get("summary", "")).strip(),
            **{k: lines(str(data.get(k, ""))) for k in ("done", "next", "risks")},
        )
        return Template("engagements/_status_preview.html", context=ctx)

    @post("/{row_id:int}/documents")
    async def generate(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        async def action() -> None:
            body = parse(DocumentRequest, _document_request(data))
            await order_document(db_session, request.user, row_id, body)

        failure = await attempt(db_session, request, "documents", data, action)
        return await back(db_session, request, row_id, failure, at="documents")

    @get("/{row_id:int}/documents-panel")
    async def documents_panel(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Template:
        await engagement_service.get(db_session, request.user, row_id)
        versions = await documents_of(db_session, row_id)
        links = await live_links(db_session, [d.id for d in versions])
        settings = request.app.state.settings
        # A version queued or rendering for this long has lost its job (or its worker): offer to render again.
        stuck_before = utcnow() - STUCK_AFTER
        stuck = {
            d.id
            for d in versions
            if d.status == DocumentStatus.failed or (d.status in BUSY and d.updated_at < stuck_before)
        }
        ctx = context(
            request,
            engagement_id=row_id,
            documents=versions,
            busy=any(d.status in BUSY for d in versions),
            stuck=stuck,
            links=links,
            link_url=lambda link: settings.link(share_path(settings, link)),
            berlin=BERLIN,
            outdated=await outdated_offer(db_session, settings, row_id),
            statements=await statement_states(db_session, settings, versions),
        )
        return Template("engagements/_documents.html", context=ctx)

    @post("/{row_id:int}/digest")
    async def send_digest(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Redirect:
        engagement = await engagement_service.get(db_session, request.user, row_id)
        if engagement.status != EngagementStatus.active:
            return Redirect(f"/engagements/{row_id}?notice=digest_inactive", status_code=303)
        if engagement.before_start(current_week()):
            return Redirect(f"/engagements/{row_id}?notice=digest_not_started", status_code=303)
        await plan_digest(db_session, row_id, current_week())
        return Redirect(f"/engagements/{row_id}?notice=digest_queued", status_code=303)


def _status_form(update: StatusUpdate | None, week: str) -> dict[str, Any]:
    if update is None:
        return {"iso_week": week, "rag": Rag.green}
    return {
        "id": update.id,
        "version": update.version,
        "iso_week": update.iso_week,
        "rag": update.rag,
        **{k: getattr(update, k) for k in STATUS_TEXTS},
    }


def _document_request(data: dict[str, Any]) -> dict[str, Any]:
    """The documents form's fields; a time statement's custom period, when given, stands for
    the month the form always sends."""
    body = {"kind": data.get("kind"), "language": data.get("language")}
    if body["kind"] == DocumentKind.time_statement:
        period = {k: data.get(k) or None for k in ("period_start", "period_end")}
        body |= period if any(period.values()) else {"month": data.get("month") or None}
    return body
