"""The client portal's pages: sign-in by emailed link, the engagement, documents, decisions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from decimal import Decimal
from typing import Annotated, Any, Literal

from litestar import Controller, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter, QueryParameter
from litestar.response import Redirect, Template
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.crud import CLIENTS
from backend.domains.deliverables.artefacts import digest
from backend.domains.engagements.models import EngagementRead
from backend.domains.engagements.offer import MAX_ITEMS, selection
from backend.domains.workshops.resources import workshop_service
from backend.flows.documents.legal import LegalKind, legal_text
from backend.flows.documents.resources import document_service
from backend.flows.documents.service import pdf_of
from backend.flows.documents.time_statement import stated_lines
from backend.flows.portal import access, decisions, declines, dpa, levers, overview, statements
from backend.flows.portal.ics import workshop_calendar
from backend.flows.portal.jobs import enqueue_login_link
from backend.flows.portal.models import (
    AcceptanceRequest,
    ApprovalRequest,
    DeclineRequest,
    DisputeRequest,
    DpaAcceptanceRequest,
    DpaObjectionRequest,
    SignOffRequest,
)
from backend.kernel import i18n
from backend.kernel.errors import DomainError, Invalid, NotFound, TooManyRequests
from backend.kernel.formatting import Formatter
from backend.kernel.time import BERLIN
from backend.kernel.time import today as berlin_today
from backend.web.charts import kpi_chart
from backend.web.downloads import (
    artefact_file,
    download_pdf,
    invoice_file,
    measurement_plan_file,
    open_share_link,
    protocol_file,
)
from backend.web.forms import Failure, Wording, attempt, parse, refusal, word
from backend.web.handlers import AppRequest, DbSession, RowId, Token, role_guard
from backend.web.i18n import LANG_COOKIE, language_cookie, language_of, page_context, try_again
from backend.web.sessions import client_ip, limit_login_links, sign_in, sign_out, signer_of

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
PlanLang = Annotated[Literal["de", "en"], QueryParameter()]


# The client reads one alert per form, in the portal's own sentences.
PORTAL = Wording(
    conflict="refused_changed",
    clash="portal_clash",
    fields={
        "typed_name": "refused_name",
        "confirmed": "refused_confirm",
        "reason": "refused_reason",
        "dpa_accepted": "refused_dpa",
    },
    hidden=frozenset({"version", "decision", "options", "artefacts_sha256"}),
    reload="portal_reload",
)


# A statement's approval is confirmed with the tick, as the proposal's acceptance is, in its own words.
STATEMENT = replace(PORTAL, fields={**PORTAL.fields, "confirmed": "refused_confirm_statement"})
NOTICES = frozenset(
    {
        "accepted",
        "signed_off",
        "rejected",
        "statement_approved",
        "statement_disputed",
        "declined",
        "change_requested",
        "dpa_accepted",
        "dpa_objected",
    }
)
ALTERNATIVE_FIELD = "alt_"
# A dispute form names each line's reason "reason_<position>".
REASON_FIELD = "reason_"


class PortalPages(Controller):
    path = "/portal"
    include_in_schema = False

    # -- signing in ------------------------------------------------------------------------------

    @get("/login", exclude_from_auth=True)
    async def login_form(self, request: AppRequest) -> Template:
        return Template("portal/login.html", context=page_context(request, email="", error=None, sent=False))

    @post("/login", exclude_from_auth=True, status_code=200)
    async def request_link(self, request: AppRequest, data: Form) -> Template:
        email = str(data.get("email", "")).strip()[:254]
        context = page_context(
            request, email=email, error=None, sent=False, minutes=request.app.state.settings.portal_link_ttl_minutes
        )
        if "@" not in email:
            context["error"] = word(request, "portal_email_needed")
            return Template("portal/login.html", context=context, status_code=422)
        try:
            await limit_login_links(request, email)
        except TooManyRequests as exc:
            context["error"] = word(request, "portal_too_many", when=try_again(context["t"], exc))
            return Template("portal/login.html", context=context, status_code=429, headers=exc.headers)
        # The language the reader chose on the page, else the one the team keeps for the contact.
        chosen = context["lang"] if request.cookies.get(LANG_COOKIE) else None
        await enqueue_login_link(request.app.state.queue, email, client_ip(request), chosen)
        context["sent"] = True
        return Template("portal/login.html", context=context)

    @get("/login/{token:str}", exclude_from_auth=True)
    async def confirm(self, db_session: DbSession, request: AppRequest, token: Token) -> Template:
        try:
            link = await access.check_link(db_session, token)
        except DomainError as exc:
            context = page_context(request, error=refusal(request, exc, PORTAL) or exc.detail, token=None)
            return Template("portal/confirm.html", context=context, status_code=exc.status_code)
        contact, client = await access.holder_of(db_session, link)
        context = page_context(request, error=None, token=token, contact=contact, client=client)
        return Template("portal/confirm.html", context=context)

    @post("/login/{token:str}", exclude_from_auth=True, status_code=303)
    async def redeem(self, db_session: DbSession, request: AppRequest, token: Token) -> Response[Any]:
        try:
            user = await access.redeem(db_session, token, ip=client_ip(request))
        except DomainError as exc:
            await db_session.rollback()
            context = page_context(request, error=refusal(request, exc, PORTAL) or exc.detail, token=None)
            return Template("portal/confirm.html", context=context, status_code=exc.status_code)
        _, cookies = await sign_in(db_session, request, user)
        if not request.cookies.get(LANG_COOKIE):
            # The language the sign-in link brought stays with this browser.
            cookies.append(language_cookie(language_of(request)))
        return Redirect("/portal", cookies=cookies, status_code=303)

    @post("/logout", status_code=303)
    async def logout(self, db_session: DbSession, request: AppRequest) -> Redirect:
        return Redirect("/portal/login", status_code=303, cookies=[await sign_out(db_session, request)])

    # -- the client's engagements ------------------------------------------------------------------

    @get("/", guards=[role_guard(CLIENTS)])
    async def home(
        self,
        db_session: DbSession,
        request: AppRequest,
        done: Annotated[str | None, QueryParameter(max_length=20)] = None,
    ) -> Response[Any]:
        engagements = await overview.engagements_of(db_session, request.user)
        notice = done if done in NOTICES else None
        if len(engagements) == 1 and notice is None:
            return Redirect(f"/portal/engagements/{engagements[0].id}", status_code=303)
        today = berlin_today()
        context = page_context(request, engagements=engagements, today=today, notice=notice)
        return Template("portal/index.html", context=context)

    @get("/engagements/{row_id:int}", guards=[role_guard(CLIENTS)])
    async def engagement(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        done: Annotated[str | None, QueryParameter(max_length=20)] = None,
    ) -> Template:
        notice = done if done in NOTICES else None
        return await self._engagement_page(db_session, request, row_id, notice=notice)

    async def _engagement_page(
        self,
        db_session: AsyncSession,
        request: AppRequest,
        engagement_id: int,
        *,
        notice: str | None = None,
        failure: Failure | None = None,
    ) -> Template:
        view = await overview.load(db_session, request.user, engagement_id, language_of(request))
        e = view.engagement
        # The options the client weighs (or chose in the form that failed) and what they cost;
        # none while the version on offer no longer says what the engagement offers.
        chosen = (failure.form("accept").get("options") if failure else None) or []
        settings = request.app.state.settings
        outdated = await decisions.outdated_offer(db_session, settings, e.id) is not None
        offer = selection(e.proposal_items, e.vat_rate, chosen) if view.open_proposal and not outdated else None
        context_fmt = Formatter(language_of(request))
        end_date = EngagementRead.model_validate(view.engagement).end_date
        context = page_context(
            request,
            view=view,
            end_date=end_date,
            berlin=BERLIN,
            notice=notice,
            offer=offer,
            outdated=outdated,
            agreements=(view.open_proposal.data_snapshot or {}).get("proposal", {}).get("agreements", [])
            if view.open_proposal
            else [],
            failure=failure or Failure(),
            statement_lines=stated_lines,
            artefacts_digest=digest,
            # A statement's period in the reader's words (its PDF may be in the other language).
            statement_period=lambda d: context_fmt.period(d.period_start, d.period_end) if d.period else "",
            statement_hours=lambda d: context_fmt.number(Decimal(_stated(d).get("minutes", 0)) / 60),
        )
        context["readiness"] = await levers.readiness_of(
            db_session,
            e,
            view.evidence,
            view.results,
            contact_id=request.user.contact_id,
            lang=language_of(request),
            refresh_months=settings.literacy_refresh_months,
        )
        words = {"baseline": context["t"]("chart_baseline"), "target": context["t"]("chart_target")}
        context["charts"] = {
            k.id: kpi_chart(e_.measurements.get(k.id, []), k, context["fmt"], words)
            for e_ in view.evidence
            for k in e_.kpis
        }
        return Template("portal/engagement.html", context=context, status_code=failure.status if failure else 200)

    @get("/legal/{kind:str}", exclude_from_auth=True)
    async def legal(
        self,
        request: AppRequest,
        kind: Annotated[str, PathParameter(max_length=10)],
        lang: Annotated[str | None, QueryParameter(max_length=5)] = None,
    ) -> Template:
        """The contract texts a proposal names, as a client reads them before accepting: public,
        as terms on a website are."""
        if kind not in LegalKind.__members__:
            raise NotFound(f"no contract text {kind!r}")
        text = legal_text(LegalKind(kind), lang or language_of(request), request.app.state.settings.legal_dir)
        title = i18n.say("page", text.lang, f"legal_{kind}")
        return Template("portal/legal.html", context=page_context(request, legal=text, title=title))

    @get("/documents/{row_id:int}", guards=[role_guard(CLIENTS)])
    async def document(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[bytes]:
        return await download_pdf(db_session, request, row_id)

    @get("/engagements/{row_id:int}/measurement-plan", guards=[role_guard(CLIENTS)])
    async def measurement_plan(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, lang: PlanLang = "de"
    ) -> Response[bytes]:
        return await measurement_plan_file(db_session, request, row_id, lang)

    @get("/artefacts/{row_id:int}", guards=[role_guard(CLIENTS)])
    async def artefact(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[bytes]:
        return await artefact_file(db_session, request, row_id)

    @get("/deliverables/{row_id:int}/protocol", guards=[role_guard(CLIENTS)])
    async def protocol(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[bytes]:
        return await protocol_file(db_session, request, row_id)

    @get("/invoices/{row_id:int}/pdf", guards=[role_guard(CLIENTS)])
    async def invoice_pdf(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[bytes]:
        return await invoice_file(db_session, request, row_id, "pdf")

    @get("/invoices/{row_id:int}/xml", guards=[role_guard(CLIENTS)])
    async def invoice_xml(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[bytes]:
        return await invoice_file(db_session, request, row_id, "xml")

    @get("/workshops/{row_id:int}/calendar.ics", guards=[role_guard(CLIENTS)])
    async def calendar(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[str]:
        workshop = await workshop_service.get(db_session, request.user, row_id)
        settings = request.app.state.settings
        body = workshop_calendar(
            workshop,
            domain=settings.mail_from.rsplit("@", 1)[-1],
            organizer=settings.brand_email,
            brand=settings.brand_name,
            url=settings.link(f"/portal/engagements/{workshop.engagement_id}"),
        )
        # Litestar adds the charset to text/* media types itself.
        return Response(
            body,
            media_type="text/calendar",
            headers={
                "Content-Disposition": f'attachment; filename="workshop-{workshop.id}.ics"',
            },
        )

    # -- decisions -------------------------------------------------------------------------------

    @post("/documents/{row_id:int}/accept", guards=[role_guard(CLIENTS)], status_code=303)
    async def accept(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Response[Any]:
        form = {
            "typed_name": data.get("typed_name", ""),
            "confirmed": _ticked(data.get("confirmed")),
            "dpa_accepted": _ticked(data.get("dpa_accepted")) or False,
            "options": _chosen(data),
            "fee_net": data.get("fee_net") or None,
        }
        if data.get("intent") == "weigh":  # only work out the order value of the selection
            engagement_id = (await document_service.get(db_session, request.user, row_id)).engagement_id
            return await self._engagement_page(
                db_session, request, engagement_id, failure=Failure(section="accept", values=form)
            )
        accepted = []
        forged = [v for v in _picked(data) if not _position(v)]

        async def action() -> None:
            if forged:  # the form sends positions only: what else came is not what was ticked
                raise Invalid.field("body.options", "options are the positions of the offer's items")
            body = parse(AcceptanceRequest, form)
            ip, agent, settings = client_ip(request), request.headers.get("user-agent"), request.app.state.settings
            accepted.append(
                await decisions.accept_proposal(
                    db_session, request.user, row_id, body, settings=settings, ip=ip, user_agent=agent
                )
            )

        if failure := await attempt(db_session, request, "accept", form, action, PORTAL):
            document = await pdf_of(db_session, request.user, row_id)
            return await self._engagement_page(db_session, request, document.engagement_id, failure=failure)
        return Redirect(f"/portal/engagements/{accepted[0].engagement_id}?done=accepted", status_code=303)

    @post("/documents/{row_id:int}/decline", guards=[role_guard(CLIENTS)], status_code=303)
    async def decline(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Response[Any]:
        form = {"reason": data.get("reason", ""), "change_request": data.get("answer") == "change_request"}

        async def action() -> None:
            body = parse(DeclineRequest, form)
            ip, agent = client_ip(request), request.headers.get("user-agent")
            await declines.decline_proposal(db_session, request.user, row_id, body, ip=ip, user_agent=agent)

        if failure := await attempt(
            db_session, request, "decline", form | {"answer": data.get("answer")}, action, PORTAL
        ):
            document = await pdf_of(db_session, request.user, row_id)
            return await self._engagement_page(db_session, request, document.engagement_id, failure=failure)
        # The engagement is the team's draft again: the portal's start page says what happens next.
        notice = "change_requested" if form["change_request"] else "declined"
        return Redirect(f"/portal/?done={notice}", status_code=303)

    @post("/documents/{row_id:int}/accept-dpa", guards=[role_guard(CLIENTS)], status_code=303)
    async def accept_dpa(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Response[Any]:
        form = {"typed_name": data.get("typed_name", ""), "confirmed": _ticked(data.get("confirmed"))}
        # Another client's: 404. Read before the acceptance, which a refusal rolls back.
        engagement_id = (await document_service.get(db_session, request.user, row_id)).engagement_id

        async def action() -> None:
            await dpa.accept_dpa(
                db_session, request.user, row_id, parse(DpaAcceptanceRequest, form), signer_of(request)
            )

        if failure := await attempt(db_session, request, "dpa", form, action, PORTAL):
            return await self._engagement_page(db_session, request, engagement_id, failure=failure)
        return Redirect(f"/portal/engagements/{engagement_id}?done=dpa_accepted#dpa", status_code=303)

    @post("/documents/{row_id:int}/object-dpa", guards=[role_guard(CLIENTS)], status_code=303)
    async def object_to_dpa(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form
    ) -> Response[Any]:
        form = {"reason": data.get("reason", "")}
        engagement_id = (await document_service.get(db_session, request.user, row_id)).engagement_id

        async def action() -> None:
            body = parse(DpaObjectionRequest, form)
            await dpa.object_to_dpa(db_session, request.user, row_id, body, signer_of(request))

        if failure := await attempt(db_session, request, "dpa-objection", form, action, PORTAL):
            return await self._engagement_page(db_session, request, engagement_id, failure=failure)
        return Redirect(f"/portal/engagements/{engagement_id}?done=dpa_objected#dpa", status_code=303)

    @post("/documents/{row_id:int}/approve", guards=[role_guard(CLIENTS)], status_code=303)
    async def approve_statement(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form
    ) -> Response[Any]:
        form = {"typed_name": data.get("typed_name", ""), "confirmed": _ticked(data.get("confirmed"))}

        async def action() -> None:
            body = parse(ApprovalRequest, form)
            settings = request.app.state.settings
            await statements.approve_statement(
                db_session, request.user, row_id, body, settings=settings, signer=signer_of(request)
            )

        return await self._statement_answer(db_session, request, row_id, form, action, "statement_approved")

    @post("/documents/{row_id:int}/dispute", guards=[role_guard(CLIENTS)], status_code=303)
    async def dispute_statement(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form
    ) -> Response[Any]:
        reasons = {
            key: value.strip()
            for key, value in data.items()
            if key.startswith(REASON_FIELD) and isinstance(value, str) and value.strip()
        }
        form: dict[str, Any] = {"reasons": reasons}

        async def action() -> None:
            if not reasons:
                raise Invalid.field("body.lines", "say for at least one line what is wrong", key="portal_no_objection")
            lines = [{"position": key.removeprefix(REASON_FIELD), "reason": text} for key, text in reasons.items()]
            body = parse(DisputeRequest, {"lines": lines})
            settings = request.app.state.settings
            await statements.dispute_statement(
                db_session, request.user, row_id, body, settings=settings, signer=signer_of(request)
            )

        return await self._statement_answer(db_session, request, row_id, form, action, "statement_disputed")

    async def _statement_answer(
        self,
        db_session: AsyncSession,
        request: AppRequest,
        row_id: int,
        form: dict[str, Any],
        action: Callable[[], Awaitable[None]],
        done: str,
    ) -> Response[Any]:
        # Another client's: 404. Read before the answer, which a refusal rolls back.
        engagement_id = (await document_service.get(db_session, request.user, row_id)).engagement_id
        if failure := await attempt(db_session, request, f"statement:{row_id}", form, action, STATEMENT):
            return await self._engagement_page(db_session, request, engagement_id, failure=failure)
        return Redirect(f"/portal/engagements/{engagement_id}?done={done}#statements", status_code=303)

    @post("/deliverables/{row_id:int}/sign-off", guards=[role_guard(CLIENTS)], status_code=303)
    async def sign_off(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Response[Any]:
        form = {
            "decision": data.get("decision"),
            "reason": data.get("reason") or None,
            "reservations": data.get("reservations") or None,
            "artefacts_sha256": data.get("artefacts_sha256") or None,
            "version": data.get("version"),
        }
        decided = []

        async def action() -> None:
            body = parse(SignOffRequest, form)
            decided.append(await decisions.sign_off(db_session, request.user, row_id, body))

        if failure := await attempt(db_session, request, f"sign_off:{row_id}", form, action, PORTAL):
            current = await decisions.deliverable_service.get(db_session, request.user, row_id)
            return await self._engagement_page(db_session, request, current.engagement_id, failure=failure)
        row = decided[0]
        done = "signed_off" if row.status == "accepted" else "rejected"
        return Redirect(f"/portal/engagements/{row.engagement_id}?done={done}", status_code=303)


def _stated(document: Any) -> dict[str, Any]:
    return (document.data_snapshot or {}).get("statement", {})


def _picked(data: dict[str, Any]) -> list[Any]:
    """The options ticked, and the alternative taken in each radio group (alt_<position>; its
    first choice, "as offered", sends nothing)."""
    alternatives = (v for k, v in data.items() if k.startswith(ALTERNATIVE_FIELD) and v != "")
    return [*_many(data.get("options")), *alternatives]


def _position(value: Any) -> bool:
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 4


def _chosen(data: dict[str, Any]) -> list[int]:
    return [int(v) for v in _picked(data) if _position(v)][:MAX_ITEMS]


def _many(value: Any) -> list[Any]:
    """A field sent once arrives as a string, sent several times as a list."""
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def _ticked(value: Any) -> Any:
    """A ticked box sends "true"; a repeated field arrives as a list, which the schema refuses."""
    return value == "true" if value is None or isinstance(value, str) else value


class SharePages(Controller):
    include_in_schema = False

    @get("/s/{token:str}", exclude_from_auth=True)
    async def shared(self, db_session: DbSession, request: AppRequest, token: Token) -> Response[Any]:
        try:
            return await open_share_link(db_session, request, token)
        except DomainError as exc:
            context = page_context(
                request,
                heading=word(request, "portal_title"),
                message=refusal(request, exc, PORTAL) or exc.detail,
                ok=False,
                link=None,
            )
            return Template("portal/message.html", context=context, status_code=exc.status_code, headers=exc.headers)
