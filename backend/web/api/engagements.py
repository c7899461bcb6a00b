from __future__ import annotations

from litestar import get, post, put

from backend.domains.clients.models import ReadinessComparison
from backend.domains.clients.service import readiness_comparison
from backend.domains.crud import STAFF
from backend.domains.engagements.models import EngagementRead, StatusUpdateRead
from backend.domains.engagements.offer import ProposalItemsWrite
from backend.domains.engagements.resources import (
    engagement_service,
    engagements,
    set_proposal_items,
    status_update_service,
    status_updates,
)
from backend.domains.pilots.results_read import EngagementResultRead
from backend.domains.pilots.service import engagement_results
from backend.domains.timesheets.burn import Burn
from backend.domains.timesheets.reading import as_seen_by, engagement_burn
from backend.flows.digests.service import approve_and_send
from backend.kernel.enums import Role
from backend.kernel.schema import Strict
from backend.web.api.resource import resource_controller
from backend.web.handlers import AppRequest, DbSession, RowId, example_body, role_guard


class EngagementController(resource_controller(engagements, engagement_service)):  # type: ignore[misc]
    @get(
        "/{row_id:int}/readiness",
        operation_id="engagement_readiness",
        summary="AI-readiness at engagement start vs end, with the change per lever",
    )
    async def readiness(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> ReadinessComparison:
        await engagement_service.get(db_session, request.user, row_id)
        comparison = await readiness_comparison(db_session, row_id)
        if request.user.role == Role.client:
            # The consultant's notes on an assessment are internal (see the assessments resource).
            for phase in ("start", "end"):
                if (assessment := getattr(comparison, phase)) is not None:
                    setattr(comparison, phase, assessment.model_copy(update={"notes": None}))
        return comparison

    @get(
        "/{row_id:int}/results",
        operation_id="engagement_results",
        summary="Savings of all pilots, with first-year ROI and payback against the fee",
    )
    async def results(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> EngagementResultRead:
        engagement = EngagementRead.model_validate(await engagement_service.get(db_session, request.user, row_id))
        return await engagement_results(db_session, engagement_id=row_id, fee=engagement.fee_net)

    @get(
        "/{row_id:int}/burn",
        operation_id="engagement_burn",
        summary="Effort against the budget: spent, used and elapsed, forecast, margin; by week and consultant",
        guards=[role_guard(STAFF)],
    )
    async def burn(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Burn:
        engagement = await engagement_service.get(db_session, request.user, row_id)
        return as_seen_by(await engagement_burn(db_session, engagement), request.user)

    @put(
        "/{row_id:int}/proposal-items",
        operation_id="set_proposal_items",
        summary="Replace the offer's line items (base, optional, alternative); the fixed fee becomes their base sum",
        guards=[role_guard(STAFF)],
    )
    async def set_items(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        data: example_body(  # type: ignore[valid-type]
            ProposalItemsWrite,
            {
                "version": 1,
                "items": [
                    {"title": "Kickoff und Use-Case-Workshop", "quantity": "2", "unit": "day", "unit_price": "1400.00"},
                    {"title": "Pilot Angebotsassistent", "unit_price": "9800.00", "discount_percent": "5"},
                    {"title": "Schulung KI-Kompetenz (Art. 4 KI-VO)", "unit_price": "2400.00", "kind": "optional"},
                    {
                        "title": "Pilot mit eigenem Sprachmodell",
                        "unit_price": "14500.00",
                        "kind": "alternative",
                        "replaces": 2,
                    },
                ],
            },
        ),
    ) -> EngagementRead:
        row = await set_proposal_items(db_session, request.user, row_id, data)
        return EngagementRead.model_validate(row)


class Approval(Strict):
    version: int


class StatusUpdateController(resource_controller(status_updates, status_update_service)):  # type: ignore[misc]
    @post(
        "/{row_id:int}/approve",
        operation_id="approve_status_update",
        summary="Approve the week's status update; engagements set to review before send then get their digest",
        guards=[role_guard(STAFF)],
        status_code=200,
    )
    async def approve(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        data: example_body(Approval, {"version": 1}),  # type: ignore[valid-type]
    ) -> StatusUpdateRead:
        row = await approve_and_send(db_session, request.user, row_id, data.version)
        return StatusUpdateRead.model_validate(row)
