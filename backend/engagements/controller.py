from __future__ import annotations

from typing import Any

from litestar import Request, get

from backend.clients.models import ReadinessComparison
from backend.clients.service import readiness_comparison
from backend.engagements.models import EngagementRead
from backend.engagements.resources import engagement_service, engagements, status_updates
from backend.pilots.results_read import EngagementResultRead
from backend.pilots.service import engagement_results
from backend.resource import DbSession, RowId, resource_controller


class EngagementController(resource_controller(engagements, engagement_service)):  # type: ignore[misc]
    @get(
        "/{row_id:int}/readiness",
        operation_id="engagement_readiness",
        summary="AI-readiness at engagement start vs end, with the change per lever",
    )
    async def readiness(
        self, db_session: DbSession, request: Request[Any, Any, Any], row_id: RowId
    ) -> ReadinessComparison:
        await engagement_service.get(db_session, request.user, row_id)
        return await readiness_comparison(db_session, row_id)

    @get(
        "/{row_id:int}/results",
        operation_id="engagement_results",
        summary="Savings of all pilots, with first-year ROI and payback against the fee",
    )
    async def results(
        self, db_session: DbSession, request: Request[Any, Any, Any], row_id: RowId
    ) -> EngagementResultRead:
        engagement = EngagementRead.model_validate(await engagement_service.get(db_session, request.user, row_id))
        return await engagement_results(db_session, engagement_id=row_id, fee=engagement.fee_net)
StatusUpdateController = resource_controller(status_updates)
