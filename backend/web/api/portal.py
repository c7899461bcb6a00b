"""The portal's JSON API: sign-in links, sessions, decisions, sending documents, share links."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.params import PathParameter, QueryParameter

from backend.domains.auth.models import TokenResponse
from backend.domains.crud import CLIENTS, EVERYONE, STAFF
from backend.domains.deliverables.models import DeliverableRead
from backend.domains.engagements.resources import engagement_service
from backend.flows.documents.resources import document_service
from backend.flows.portal import access, decisions, declines, dpa, release, sharing, statements
from backend.flows.portal.jobs import enqueue_login_link
from backend.flows.portal.models import (
    AcceptanceRead,
    AcceptanceRequest,
    ApprovalRequest,
    DecisionRead,
    DeclineRead,
    DeclineRequest,
    DisputeRequest,
    DpaAcceptanceRead,
    DpaAcceptanceRequest,
    DpaObjectionRead,
    DpaObjectionRequest,
    LoginLinkQueued,
    LoginLinkRequest,
    ReleaseRead,
    SessionRequest,
    ShareLinkCreate,
    ShareLinkRead,
    SignOffRequest,
)
from backend.kernel.errors import NotFound
from backend.kernel.paging import Page
from backend.kernel.schema import MAX_ID
from backend.web.api.problem_docs import problem_responses
from backend.web.handlers import AppRequest, DbSession, Pages, RowId, example_body, role_guard
from backend.web.sessions import client_ip, limit_login_links, signer_of, token_response

LINK_SENT = "If this address has access to the client portal, a sign-in link is on its way."


class PortalSessionController(Controller):
    path = "/portal"
    tags = ["portal"]

    @post(
        "/login-links",
        operation_id="request_login_link",
        status_code=202,
        exclude_from_auth=True,
        responses=problem_responses(429),
        summary="Email a single-use sign-in link to a contact with portal access (same answer for any address)",
    )
    async def request_link(
        self,
        request: AppRequest,
        data: example_body(LoginLinkRequest, {"email": "s.mueller@mueller-praezision.de"}),  # type: ignore[valid-type]
    ) -> LoginLinkQueued:
        await limit_login_links(request, data.email)
        await enqueue_login_link(request.app.state.queue, data.email, client_ip(request), data.language)
        return LoginLinkQueued(detail=LINK_SENT)

    @post(
        "/sessions",
        operation_id="redeem_login_link",
        status_code=200,
        exclude_from_auth=True,
        responses=problem_responses(401, 410),
        summary="Exchange a sign-in link's token for a client session (401 unknown, 410 used or expired)",
    )
    async def redeem(
        self,
        db_session: DbSession,
        request: AppRequest,
        data: example_body(SessionRequest, {"token": "the-token-from-the-emailed-link"}),  # type: ignore[valid-type]
    ) -> Response[TokenResponse]:
        user = await access.redeem(db_session, data.token, ip=client_ip(request))
        return await token_response(db_session, request, user)


class DecisionController(Controller):
    tags = ["portal"]

    @post(
        "/documents/{row_id:int}/acceptance",
        operation_id="accept_proposal",
        status_code=201,
        guards=[role_guard(CLIENTS)],
        summary="Accept a sent proposal with a typed name (the engagement becomes active)",
    )
    async def accept(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        data: example_body(AcceptanceRequest, {"typed_name": "Sabine Müller", "confirmed": True}),  # type: ignore[valid-type]
    ) -> AcceptanceRead:
        acceptance = await decisions.accept_proposal(
            db_session,
            request.user,
            row_id,
            data,
            settings=request.app.state.settings,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
        )
        return AcceptanceRead.model_validate(acceptance)

    @post(
        "/documents/{row_id:int}/decline",
        operation_id="decline_proposal",
        status_code=201,
        guards=[role_guard(CLIENTS)],
        summary="Decline a sent proposal, or ask for changes, with a reason (the engagement goes back to draft)",
        responses=problem_responses(409),
    )
    async def decline(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        data: example_body(  # type: ignore[valid-type]
            DeclineRequest, {"reason": "Bitte ohne Pilot 2, dafür zwei Schulungstage", "change_request": True}
        ),
    ) -> DeclineRead:
        decline = await declines.decline_proposal(
            db_session,
            request.user,
            row_id,
            data,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
        )
        return DeclineRead.model_validate(decline)

    @get(
        "/engagements/{row_id:int}/declines",
        operation_id="list_proposal_declines",
        guards=[role_guard(STAFF)],
        summary="The client's declines of and change requests to the engagement's proposals, newest first",
    )
    async def list_declines(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> list[DeclineRead]:
        await engagement_service.get(db_session, request.user, row_id)
        return [DeclineRead.model_validate(d) for d in await declines.declines_of(db_session, row_id)]

    @post(
        "/documents/{row_id:int}/dpa-acceptance",
        operation_id="accept_dpa",
        status_code=201,
        guards=[role_guard(CLIENTS)],
        summary="Accept a sent data processing agreement (AVV) with a typed name; each version once",
        responses=problem_responses(409),
    )
    async def accept_dpa(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        data: example_body(DpaAcceptanceRequest, {"typed_name": "Sabine Müller", "confirmed": True}),  # type: ignore[valid-type]
    ) -> DpaAcceptanceRead:
        row = await dpa.accept_dpa(db_session, request.user, row_id, data, signer_of(request))
        return DpaAcceptanceRead.model_validate(row)

    @post(
        "/documents/{row_id:int}/dpa-objection",
        operation_id="object_to_dpa",
        status_code=201,
        guards=[role_guard(CLIENTS)],
        summary="Object to a sent version of the data processing agreement (a new sub-processor, Art. 28 (2) GDPR)",
        responses=problem_responses(409),
    )
    async def object_to_dpa(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        data: example_body(DpaObjectionRequest, {"reason": "Kein Anbieter mit Sitz in den USA"}),  # type: ignore[valid-type]
    ) -> DpaObjectionRead:
        row = await dpa.object_to_dpa(db_session, request.user, row_id, data, signer_of(request))
        return DpaObjectionRead.model_validate(row)

    @get(
        "/engagements/{row_id:int}/dpa-objections",
        operation_id="list_dpa_objections",
        guards=[role_guard(EVERYONE)],
        summary="The client's objections to versions of the engagement's data processing agreement, newest first",
    )
    async def dpa_objections(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> list[DpaObjectionRead]:
        await engagement_service.get(db_session, request.user, row_id)
        return [DpaObjectionRead.model_validate(o) for o in await dpa.dpa_objections_of(db_session, row_id)]

    @get(
        "/engagements/{row_id:int}/dpa-acceptances",
        operation_id="list_dpa_acceptances",
        guards=[role_guard(EVERYONE)],
        summary="Who accepted which version of the engagement's data processing agreement, newest first",
    )
    async def dpa_acceptances(
        self, db_session: DbSession, request: AppRequest, row_id: RowId
    ) -> list[DpaAcceptanceRead]:
        await engagement_service.get(db_session, request.user, row_id)
        return [DpaAcceptanceRead.model_validate(a) for a in await dpa.dpa_acceptances_of(db_session, row_id)]

    @get(
        "/engagements/{row_id:int}/acceptance",
        operation_id="get_acceptance",
        guards=[role_guard(EVERYONE)],
        summary="Who accepted the engagement's proposal, which version, when and from where",
    )
    async def acceptance(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> AcceptanceRead:
        await engagement_service.get(db_session, request.user, row_id)
        acceptance = await decisions.acceptance_of(db_session, row_id)
        if acceptance is None:
            raise NotFound(f"the proposal of engagement {row_id} has not been accepted")
        return AcceptanceRead.model_validate(acceptance)

    @post(
        "/documents/{row_id:int}/approval",
        operation_id="approve_time_statement",
        status_code=201,
        guards=[role_guard(CLIENTS)],
        summary="Approve a sent time statement with a typed name (the time it states is locked)",
    )
    async def approve(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        data: example_body(ApprovalRequest, {"typed_name": "Sabine Müller", "confirmed": True}),  # type: ignore[valid-type]
    ) -> DecisionRead:
        decision = await statements.approve_statement(
            db_session, request.user, row_id, data, settings=request.app.state.settings, signer=signer_of(request)
        )
        return DecisionRead.model_validate(decision)

    @post(
        "/documents/{row_id:int}/dispute",
        operation_id="dispute_time_statement",
        status_code=201,
        guards=[role_guard(CLIENTS)],
        summary="Object to lines of a sent time statement, each with a reason",
    )
    async def dispute(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        data: example_body(  # type: ignore[valid-type]
            DisputeRequest, {"lines": [{"position": 3, "reason": "Am 11.11. war niemand bei uns vor Ort."}]}
        ),
    ) -> DecisionRead:
        decision = await statements.dispute_statement(
            db_session, request.user, row_id, data, settings=request.app.state.settings, signer=signer_of(request)
        )
        return DecisionRead.model_validate(decision)

    @get(
        "/documents/{row_id:int}/decision",
        operation_id="get_statement_decision",
        guards=[role_guard(EVERYONE)],
        summary="The client's answer to a time statement version: approved or disputed, by whom, when",
    )
    async def decision(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> DecisionRead:
        document = await document_service.get(db_session, request.user, row_id)
        decision = await statements.answer_to(db_session, document)  # or its translation's
        if decision is None:
            raise NotFound(f"document {row_id} has no answer from the client")
        return DecisionRead.model_validate(decision)

    @post(
        "/deliverables/{row_id:int}/sign-off",
        operation_id="sign_off_deliverable",
        status_code=200,
        guards=[role_guard(CLIENTS)],
        summary="Accept or reject (with a reason) a delivered deliverable",
    )
    async def sign_off(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        data: example_body(SignOffRequest, {"decision": "accept", "version": 4}),  # type: ignore[valid-type]
    ) -> DeliverableRead:
        row = await decisions.sign_off(db_session, request.user, row_id, data)
        return DeliverableRead.model_validate(row)


class SharingController(Controller):
    tags = ["portal"]
    guards = [role_guard(STAFF)]

    @post(
        "/documents/{row_id:int}/release",
        operation_id="release_document",
        status_code=202,
        summary="Send a ready version to the client: shown in the portal, share link mailed to contacts",
    )
    async def release(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[ReleaseRead]:
        done = await release.release(db_session, request.app.state.settings, request.user, row_id)
        body = ReleaseRead(
            document_id=done.document.id,
            sent_at=done.released_at,
            recipients=done.recipients,
            job_id=done.job_id,
        )
        return Response(body, status_code=202, headers={"Job-Id": done.job_id})

    @post(
        "/documents/{row_id:int}/share-links",
        operation_id="create_share_link",
        status_code=201,
        summary="A signed, expiring link to one document for someone without a portal account",
    )
    async def create(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        data: example_body(ShareLinkCreate, {"valid_days": 14}),  # type: ignore[valid-type]
    ) -> ShareLinkRead:
        settings = request.app.state.settings
        link = await sharing.create_link(db_session, settings, request.user, row_id, data)
        return sharing.share_read(settings, link)

    @get("/share-links", operation_id="list_share_links", summary="Share links, newest first")
    async def list_links(
        self,
        db_session: DbSession,
        request: AppRequest,
        paging: Pages,
        document_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID, description="Only this document's")] = None,
    ) -> Page[ShareLinkRead]:
        page = await sharing.share_link_service.page(
            db_session, request.user, filters={"document_id": document_id}, sort=None, paging=paging
        )
        settings = request.app.state.settings
        page.items = [sharing.share_read(settings, item) for item in page.items]
        return page

    @post(
        "/share-links/{row_id:int}/revoke",
        operation_id="revoke_share_link",
        status_code=200,
        summary="Withdraw a share link at once (its URL answers 410 from now on)",
    )
    async def revoke(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
    ) -> ShareLinkRead:
        link = await sharing.revoke(db_session, request.user, row_id)
        return sharing.share_read(request.app.state.settings, link)


PORTAL_API_CONTROLLERS = [PortalSessionController, DecisionController, SharingController]
