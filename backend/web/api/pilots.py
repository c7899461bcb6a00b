from __future__ import annotations

from litestar import get, post

from backend.domains.pilots import service
from backend.domains.pilots.models import (
    IdeaPromotion,
    IdeaRead,
    MeasurementCorrection,
    MeasurementRead,
    PilotRead,
    PromoteIdea,
)
from backend.domains.pilots.resources import (
    idea_service,
    ideas,
    kpi_service,
    kpis,
    measurement_service,
    measurements,
    pilot_service,
    pilots,
    sub_processor_service,
    sub_processors,
)
from backend.domains.pilots.results_read import PilotResultRead
from backend.web.api.resource import resource_controller
from backend.web.handlers import AppRequest, DbSession, RowId, example_body, role_guard

_write = [role_guard(ideas.write_roles)]


class IdeaController(resource_controller(ideas, idea_service)):  # type: ignore[misc]
    @post(
        "/{row_id:int}/promote",
        operation_id="promote_use_case_idea",
        summary="Promote an idea to a pilot (once); the idea keeps a link to its pilot",
        guards=_write,
        status_code=201,
    )
    async def promote(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        data: example_body(PromoteIdea, {"version": 1, "start_week": 3, "end_week": 8}),  # type: ignore[valid-type]
    ) -> IdeaPromotion:
        idea, pilot = await service.promote_idea(db_session, request.user, row_id, data)
        return IdeaPromotion(idea=IdeaRead.model_validate(idea), pilot=PilotRead.model_validate(pilot))


class MeasurementController(resource_controller(measurements, measurement_service)):  # type: ignore[misc]
    @post(
        "/{row_id:int}/corrections",
        operation_id="correct_measurement",
        summary="Correct a measurement: adds the new value, keeps the old one as superseded",
        guards=_write,
        status_code=201,
    )
    async def correct(
        self,
        db_session: DbSession,
        request: AppRequest,
        row_id: RowId,
        data: example_body(  # type: ignore[valid-type]
            MeasurementCorrection, {"version": 1, "value": "43", "note": "Zwei Angebote doppelt gezählt"}
        ),
    ) -> MeasurementRead:
        corrected = await service.correct_measurement(db_session, request.user, row_id, data)
        return MeasurementRead.model_validate(corrected)


class PilotController(resource_controller(pilots, pilot_service)):  # type: ignore[misc]
    @get(
        "/{row_id:int}/results",
        operation_id="pilot_results",
        summary="Each KPI against its baseline: improvement, target progress, time and money saved",
    )
    async def results(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> PilotResultRead:
        return await service.pilot_results(db_session, request.user, row_id)


KpiController = resource_controller(kpis, kpi_service)
SubProcessorController = resource_controller(sub_processors, sub_processor_service)
