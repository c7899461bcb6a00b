"""Pilot actions beyond plain CRUD: promoting ideas, correcting measurements, results."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record, snapshot
from backend.domains.auth.principals import Actor
from backend.domains.pilots.aftercare import sustained
from backend.domains.pilots.aftercare_models import PilotSustained, RunCost
from backend.domains.pilots.models import (
    Kpi,
    Measurement,
    MeasurementCorrection,
    Pilot,
    PilotCreate,
    PilotStage,
    PromoteIdea,
    SubProcessor,
    UseCaseIdea,
)
from backend.domains.pilots.resources import idea_service, measurement_recorded, measurement_service, pilot_service
from backend.domains.pilots.results import EngagementResult, PilotResult, evaluate_pilot, sum_up
from backend.domains.pilots.results_read import (
    EngagementResultRead,
    PilotResultRead,
    fee_return_read,
    figures_read,
    pilot_input,
    pilot_result_read,
)
from backend.kernel.db import select_all
from backend.kernel.errors import Conflict


async def promote_idea(
    session: AsyncSession, user: Actor, idea_id: int, data: PromoteIdea
) -> tuple[UseCaseIdea, Pilot]:
    idea = await idea_service.get(session, user, idea_id)
    idea_service.check_version(idea, data.version)
    if idea.pilot_id is not None:
        raise Conflict(f"Idea {idea.id} was already promoted to pilot {idea.pilot_id}.")
    overrides = data.model_dump(exclude_unset=True, exclude={"version"})
    pilot = await pilot_service.create(
        session,
        user,
        PilotCreate.model_validate(
            {
                "engagement_id": idea.engagement_id,
                "title": idea.title,
                "process_area": idea.process_area,
                "hypothesis": idea.description,
                **overrides,
            }
        ),
    )
    before = snapshot(idea)
    # Only if the idea is still unpromoted at the version read: of two promotions, one wins.
    await idea_service.write(session, idea, {"pilot_id": pilot.id}, expect={"pilot_id": None})
    await record(
        session,
        actor=user,
        action="promote",
        entity_type="use_case_idea",
        entity_id=idea.id,
        before=before,
        after=snapshot(idea),
    )
    return idea, pilot


async def correct_measurement(
    session: AsyncSession, user: Actor, measurement_id: int, data: MeasurementCorrection
) -> Measurement:
    original = await measurement_service.get(session, user, measurement_id)
    measurement_service.check_version(original, data.version)
    if original.superseded:
        raise Conflict(f"Measurement {original.id} was already corrected; correct the newest value instead.")
    correction = Measurement(
        kpi_id=original.kpi_id,
        measured_on=data.measured_on or original.measured_on,
        value=data.value,
        sample_size=data.sample_size if data.sample_size is not None else original.sample_size,
        std_dev=data.std_dev if data.std_dev is not None else original.std_dev,
        note=data.note,
        corrects_id=original.id,
        recorded_by_id=getattr(user, "id", None),
    )
    before = snapshot(original)
    await measurement_service.write(session, original, {"superseded": True}, expect={"superseded": False})
    session.add(correction)
    await session.flush()
    await session.refresh(correction)
    await record(
        session,
        actor=user,
        action="correct",
        entity_type="measurement",
        entity_id=original.id,
        before=before,
        after=snapshot(correction),
    )
    await measurement_recorded(session, correction, user)
    return correction


async def _kpis_with_measurements(
    session: AsyncSession, pilot_ids: list[int]
) -> tuple[dict[int, list[Kpi]], dict[int, list[Measurement]]]:
    """All KPIs of the pilots and all their measurements in the order they were taken, in two queries."""
    kpis = (await session.exec(select(Kpi).where(col(Kpi.pilot_id).in_(pilot_ids)).order_by(col(Kpi.id)))).all()
    measured = (
        await session.exec(
            select(Measurement)
            .where(col(Measurement.kpi_id).in_([k.id for k in kpis]))
            .order_by(col(Measurement.measured_on), col(Measurement.id))
        )
    ).all()
    by_pilot: dict[int, list[Kpi]] = defaultdict(list)
    for kpi in kpis:
        by_pilot[kpi.pilot_id].append(kpi)
    by_kpi: dict[int, list[Measurement]] = defaultdict(list)
    for measurement in measured:
        by_kpi[measurement.kpi_id].append(measurement)
    return by_pilot, by_kpi


@dataclass(frozen=True)
class PilotEvidence:
    """A pilot with its KPIs, their measurements and the computed result."""

    pilot: Pilot
    kpis: list[Kpi]
    measurements: dict[int, list[Measurement]]
    result: PilotResult
    actual_run_cost: Decimal | None = None  # the average of its last months' bills, if any

    @property
    def counted(self) -> bool:
        # Stopped pilots are shown but save nothing any more, so they stay out of the totals.
        return self.pilot.stage != PilotStage.stopped


async def _evidence(session: AsyncSession, pilots: list[Pilot]) -> list[PilotEvidence]:
    by_pilot, by_kpi = await _kpis_with_measurements(session, [p.id for p in pilots])
    actual = await actual_run_costs(session, [p.id for p in pilots])
    return [
        PilotEvidence(
            p,
            by_pilot[p.id],
            by_kpi,
            evaluate_pilot(pilot_input(p, by_pilot[p.id], by_kpi, actual.get(p.id))),
            actual.get(p.id),
        )
        for p in pilots
    ]


# The actual run cost a pilot's figures use: the mean of its last bills, so that one month's
# spike (a batch run, a price change) does not swing the savings alone.
RUN_COST_MONTHS = 3


async def actual_run_costs(session: AsyncSession, pilot_ids: list[int]) -> dict[int, Decimal]:
    """Per pilot with recorded bills, the mean of its last `RUN_COST_MONTHS` months, to the cent."""
    if not pilot_ids:
        return {}
    stmt = select(col(RunCost.pilot_id), col(RunCost.amount)).where(col(RunCost.pilot_id).in_(pilot_ids))
    rows = (await session.exec(stmt.order_by(col(RunCost.pilot_id), col(RunCost.month).desc()))).all()
    recent: dict[int, list[Decimal]] = defaultdict(list)
    for pilot_id, amount in rows:
        if len(recent[pilot_id]) < RUN_COST_MONTHS:
            recent[pilot_id].append(amount)
    return {
        pilot_id: (sum(amounts, Decimal(0)) / len(amounts)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        for pilot_id, amounts in recent.items()
    }


async def engagement_evidence(session: AsyncSession, engagement_id: int) -> list[PilotEvidence]:
    """Every pilot of an engagement with its evidence, in three queries."""
    stmt = select(Pilot).where(Pilot.engagement_id == engagement_id).order_by(col(Pilot.id))
    return await _evidence(session, list((await session.exec(stmt)).all()))


def engagement_totals(evidence: list[PilotEvidence], fee: Decimal | None) -> EngagementResult:
    return sum_up((e.result for e in evidence if e.counted), fee)


async def pilot_results(session: AsyncSession, user: Actor, pilot_id: int) -> PilotResultRead:
    (evidence,) = await _evidence(session, [await pilot_service.get(session, user, pilot_id)])
    return pilot_result_read(evidence.pilot, evidence.kpis, evidence.result, evidence.actual_run_cost)


async def engagement_results(session: AsyncSession, *, engagement_id: int, fee: Decimal | None) -> EngagementResultRead:
    """Results of every pilot of an engagement; the caller has checked access to it."""
    return results_of(engagement_id, await engagement_evidence(session, engagement_id), fee)


def results_of(engagement_id: int, evidence: list[PilotEvidence], fee: Decimal | None) -> EngagementResultRead:
    """The engagement's results from its evidence: what the API, the portal and the result
    report show, computed once."""
    totals = engagement_totals(evidence, fee)
    return EngagementResultRead(
        engagement_id=engagement_id,
        status=totals.status,
        figures=figures_read(None if totals.exact is None else totals.exact.rounded()),
        fee_return=fee_return_read(totals.fee_return),
        excluded_pilot_ids=[e.pilot.id for e in evidence if not e.counted],
        pilots=[pilot_result_read(e.pilot, e.kpis, e.result, e.actual_run_cost) for e in evidence],
    )


async def pilots_of(session: AsyncSession, engagement_id: int, *, limit: int) -> list[Pilot]:
    return await select_all(session, Pilot, Pilot.engagement_id == engagement_id, order_by=[Pilot.id], limit=limit)


async def processors_of_pilot(session: AsyncSession, pilot_id: int) -> list[SubProcessor]:
    """The providers a pilot sends data to, in the order they were named."""
    return await select_all(session, SubProcessor, SubProcessor.pilot_id == pilot_id)


async def kpis_of(session: AsyncSession, pilot_id: int) -> tuple[list[Kpi], dict[int, list[Measurement]]]:
    """A pilot's KPIs and, per KPI, its measurements in the order they were taken."""
    by_pilot, by_kpi = await _kpis_with_measurements(session, [pilot_id])
    return by_pilot[pilot_id], by_kpi


async def pilot_sustained(session: AsyncSession, user: Actor, pilot_id: int) -> PilotSustained:
    pilot = await pilot_service.get(session, user, pilot_id)
    kpis, measured = await kpis_of(session, pilot.id)
    return await sustained(session, pilot, kpis, measured)
