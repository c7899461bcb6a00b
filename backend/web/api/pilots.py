from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from litestar import Controller, Response, get, post
from litestar.params import Parameter
from pydantic import BaseModel, Field

from backend.domains.crud import STAFF
from backend.domains.engagements.resources import engagement_service
from backend.domains.engagements.service import engagement_ids_started
from backend.domains.pilots import service, timing
from backend.domains.pilots.aftercare_models import PilotSustained
from backend.domains.pilots.funnel import EngagementFunnel, Funnel, funnel
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
    run_cost_service,
    run_costs,
    sub_processor_service,
    sub_processors,
    timing_round_service,
    timing_rounds,
)
from backend.domains.pilots.results_read import PilotResultRead
from backend.domains.pilots.timing_models import TimingRoundRead, TimingStatus
from backend.kernel.db import READS_ONLY, utcnow
from backend.kernel.errors import Invalid
from backend.kernel.qr import qr_svg
from backend.web.api.resource import resource_controller
from backend.web.downloads import measurement_plan_file
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
        "/{row_id:int}/sustained",
        operation_id="pilot_sustained",
        summary="After go-live: each KPI's value at the engagement's end, the measurements since and how much "
        "of the improvement they keep; the checkpoints asked for; the actual run costs",
        opt={READS_ONLY: True},
    )
    async def sustained(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> PilotSustained:
        return await service.pilot_sustained(db_session, request.user, row_id)

    @get(
        "/{row_id:int}/results",
        operation_id="pilot_results",
        summary="Each KPI against its baseline: improvement, target progress, time and money saved",
    )
    async def results(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> PilotResultRead:
        return await service.pilot_results(db_session, request.user, row_id)


KpiController = resource_controller(kpis, kpi_service)
RunCostController = resource_controller(run_costs, run_cost_service)
SubProcessorController = resource_controller(sub_processors, sub_processor_service)


class TimingLink(BaseModel):
    url: str
    closes_on: date
    qr_svg_url: str
    codes: list[str] = Field(
        description="The round's one-time participation codes, to hand out one per person (empty for a round "
        "without codes, and once it ended)"
    )


async def _timing_link(db_session: DbSession, request: AppRequest, row_id: int) -> TimingLink:
    row = await timing_round_service.get(db_session, request.user, row_id)
    settings = request.app.state.settings
    return TimingLink(
        url=settings.link(timing.round_path(settings.secret_key, row)),
        closes_on=row.closes_on,
        qr_svg_url=settings.link(f"/api/v1/timing-rounds/{row.id}/link/qr.svg"),
        codes=timing.participation_codes(settings.secret_key, row) if row.status == TimingStatus.open else [],
    )


_staff = [role_guard(STAFF)]


class TimingRoundController(resource_controller(timing_rounds, timing_round_service)):  # type: ignore[misc]
    @get(
        "/{row_id:int}/link",
        operation_id="get_timing_link",
        summary="The one link everyone in the round times with (signed; no link per person), and its "
        "participation codes if it has any",
        guards=_staff,
    )
    async def link(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> TimingLink:
        return await _timing_link(db_session, request, row_id)

    @get(
        "/{row_id:int}/link/qr.svg",
        operation_id="get_timing_qr",
        summary="The round's link as a QR code (SVG) for a notice board",
        guards=_staff,
        media_type="image/svg+xml",
    )
    async def qr(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Response[bytes]:
        link = await _timing_link(db_session, request, row_id)
        return Response(qr_svg(link.url), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})

    @post(
        "/{row_id:int}/release",
        operation_id="release_timing_round",
        summary="Release the round's figures as the KPI's baseline or a measurement (needs min_contributors people); "
        "its times are deleted",
        guards=_write,
        status_code=200,
    )
    async def release(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> TimingRoundRead:
        row = await timing_round_service.get(db_session, request.user, row_id)
        return TimingRoundRead.model_validate(await timing.release(db_session, request.user, row, utcnow()))

    @post(
        "/{row_id:int}/cancel",
        operation_id="cancel_timing_round",
        summary="End the round without releasing anything; its times are deleted",
        guards=_write,
        status_code=200,
    )
    async def cancel(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> TimingRoundRead:
        row = await timing_round_service.get(db_session, request.user, row_id)
        return TimingRoundRead.model_validate(await timing.cancel(db_session, request.user, row, utcnow()))


Lang = Annotated[Literal["de", "en"], Parameter(description="The plan's language")]


class MeasurementPlanController(Controller):
    path = "/engagements"
    tags = ["pilots"]

    @get(
        "/{row_id:int}/measurement-plan",
        operation_id="get_measurement_plan",
        summary="The Messkonzept as PDF/A: what the KPIs measure, how the anonymous timing works, what is never "
        "recorded (for the client's works council)",
        media_type="application/pdf",
    )
    async def plan(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, lang: Lang = "de"
    ) -> Response[bytes]:
        return await measurement_plan_file(db_session, request, row_id, lang)


class FunnelController(Controller):
    path = "/funnel"
    tags = ["pilots"]

    @get(
        "/",
        operation_id="funnel",
        summary="Ideas → pilots → production across engagements, with conversion rates (the consultancy's reporting)",
        guards=_staff,
        opt={READS_ONLY: True},
    )
    async def across(
        self,
        db_session: DbSession,
        request: AppRequest,
        started_from: Annotated[date | None, Parameter(description="Engagements starting on or after this day")] = None,
        started_until: Annotated[date | None, Parameter(description="… and on or before this day")] = None,
    ) -> Funnel:
        if started_from and started_until and started_until < started_from:
            raise Invalid.field("query.started_until", "must not be before started_from")
        ids = await engagement_ids_started(db_session, started_from, started_until)
        return await funnel(db_session, ids)


class EngagementFunnelController(Controller):
    path = "/engagements"
    tags = ["pilots"]

    @get(
        "/{row_id:int}/funnel",
        operation_id="engagement_funnel",
        summary="The engagement's ideas per workshop, how many became pilots and how many run in production",
        opt={READS_ONLY: True},
    )
    async def of_engagement(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> EngagementFunnel:
        engagement = await engagement_service.get(db_session, request.user, row_id)
        return (await funnel(db_session, [engagement.id])).engagements[0]
