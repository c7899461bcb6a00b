"""How the API sees the pilots domain: ideas, pilots, KPIs and measurements."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.principals import Actor
from backend.domains.clients.service import require_contact_of_client
from backend.domains.crud import STAFF, CrudService, Resource, StateMachine
from backend.domains.engagements.service import client_id_of, in_client
from backend.domains.pilots.aftercare import note_slip
from backend.domains.pilots.aftercare_models import RunCost, RunCostCreate, RunCostRead, RunCostUpdate
from backend.domains.pilots.models import (
    IdeaCreate,
    IdeaRead,
    IdeaUpdate,
    Kpi,
    KpiCreate,
    KpiRead,
    KpiUpdate,
    Measurement,
    MeasurementCreate,
    MeasurementRead,
    Pilot,
    PilotCreate,
    PilotRead,
    PilotStage,
    PilotUpdate,
    ProcessArea,
    SubProcessor,
    SubProcessorCreate,
    SubProcessorRead,
    SubProcessorUpdate,
    UseCaseIdea,
)
from backend.domains.pilots.scoring import idea_score
from backend.domains.pilots.timing_models import (
    LONGEST_ROUND,
    SECONDS_PER,
    TimingPurpose,
    TimingRound,
    TimingRoundCreate,
    TimingRoundRead,
    TimingRoundUpdate,
    TimingStatus,
)
from backend.domains.webhooks.models import WebhookEvent
from backend.domains.webhooks.service import emit
from backend.domains.workshops.models import Workshop
from backend.kernel.db import utcnow
from backend.kernel.errors import Conflict, Invalid
from backend.kernel.events import Hook

P = PilotStage


def _pilot_ids(client_id: int) -> Any:
    return select(Pilot.id).where(in_client(Pilot.engagement_id, client_id))


def _kpi_ids(client_id: int) -> Any:
    return select(Kpi.id).where(col(Kpi.pilot_id).in_(_pilot_ids(client_id)))


async def _owner_is_client_contact(session: AsyncSession, values: dict[str, Any], row: Pilot | None) -> dict[str, Any]:
    if values.get("owner_contact_id") is not None:
        engagement_id = values["engagement_id"] if row is None else values.get("engagement_id", row.engagement_id)
        await require_contact_of_client(
            session,
            contact_id=values["owner_contact_id"],
            client_id=await client_id_of(session, engagement_id),
            path="body.owner_contact_id",
        )
    return values


async def _prepare_idea(session: AsyncSession, values: dict[str, Any], row: UseCaseIdea | None) -> dict[str, Any]:
    if (workshop_id := values.get("workshop_id")) is not None:
        engagement_id = values.get("engagement_id", row.engagement_id if row else None)
        owner = (await session.exec(select(Workshop.engagement_id).where(Workshop.id == workshop_id))).first()
        if owner != engagement_id:
            raise Invalid.field("body.workshop_id", f"workshop {workshop_id} is not part of this engagement")
    # A create carries every score; a change carries those it changes.
    scores: dict[str, int] = {
        k: values[k] if k in values else getattr(row, k) for k in ("impact", "effort", "data_readiness")
    }
    values["score"] = idea_score(**scores)
    return values


ideas = Resource(
    name="ideas",
    entity="use_case_idea",
    model=UseCaseIdea,
    read=IdeaRead,
    create=IdeaCreate,
    update=IdeaUpdate,
    filters={
        "engagement_id": (int, UseCaseIdea.engagement_id),
        "workshop_id": (int, UseCaseIdea.workshop_id),
        "process_area": (ProcessArea, UseCaseIdea.process_area),
    },
    sortable=("id", "score", "impact", "effort", "data_readiness", "created_at"),
    default_sort="-score",
    client_scope=lambda client_id: in_client(UseCaseIdea.engagement_id, client_id),
    prepare=_prepare_idea,
    example={
        "engagement_id": 1,
        "title": "Angebotsentwürfe aus Anfrage-E-Mails",
        "process_area": "document_creation",
        "impact": 5,
        "effort": 2,
        "data_readiness": 4,
    },
)


def _stamp_stop(target: str, reason: str | None) -> dict[str, Any]:
    return {"stop_reason": reason} if target == P.stopped else {}


PILOT_FLOW = StateMachine(
    field="stage",
    moves={
        P.idea: frozenset({P.prototype, P.stopped}),
        P.prototype: frozenset({P.pilot, P.stopped}),
        P.pilot: frozenset({P.production, P.prototype, P.stopped}),
        P.production: frozenset({P.stopped}),
        P.stopped: frozenset({P.idea}),
    },
    needs_reason=frozenset({P.stopped}),
    on_enter=_stamp_stop,
)

# A pilot moved to another stage (given the one it left): one gone to production makes its AI
# system's users due for tool-specific training (the literacy domain).
pilot_moved: Hook[[AsyncSession, Pilot, Actor, str]] = Hook("pilot moved", required=True)


async def _moved(session: AsyncSession, row: Pilot, actor: Actor, before: str) -> None:
    await pilot_moved(session, row, actor, before)


pilots = Resource(
    name="pilots",
    entity="pilot",
    model=Pilot,
    read=PilotRead,
    create=PilotCreate,
    update=PilotUpdate,
    filters={
        "engagement_id": (int, Pilot.engagement_id),
        "stage": (PilotStage, Pilot.stage),
        "process_area": (ProcessArea, Pilot.process_area),
    },
    sortable=("id", "title", "stage", "start_week", "created_at"),
    client_scope=lambda client_id: in_client(Pilot.engagement_id, client_id),
    machine=PILOT_FLOW,
    after_move=_moved,
    prepare=_owner_is_client_contact,
    example={
        "engagement_id": 1,
        "title": "Angebotsassistent",
        "process_area": "document_creation",
        "hypothesis": "Ein KI-Entwurf halbiert die Zeit pro Angebot.",
        "start_week": 3,
        "end_week": 8,
    },
)

kpis = Resource(
    name="kpis",
    entity="kpi",
    model=Kpi,
    read=KpiRead,
    create=KpiCreate,
    update=KpiUpdate,
    filters={"pilot_id": (int, Kpi.pilot_id)},
    sortable=("id", "name", "created_at"),
    client_scope=lambda client_id: col(Kpi.pilot_id).in_(_pilot_ids(client_id)),
    example={
        "pilot_id": 1,
        "name": "Bearbeitungszeit pro Angebot",
        "unit": "minutes",
        "direction": "lower_is_better",
        "baseline_value": "90",
        "baseline_method": "Zeiterfassung von 20 Angeboten im Oktober",
        "baseline_sample_size": 20,
        "baseline_std_dev": "9.5",
        "target_value": "45",
        "monthly_volume": "120",
        "hourly_cost": "65.00",
        "run_cost_monthly": "150.00",
    },
)


async def measurement_recorded(session: AsyncSession, row: Measurement, _actor: Actor) -> None:
    """Other systems hear of every new value (a correction too: it names the value it replaces)."""
    pilot_id = (await session.exec(select(Kpi.pilot_id).where(col(Kpi.id) == row.kpi_id))).one()
    data = {
        "measurement_id": row.id,
        "kpi_id": row.kpi_id,
        "pilot_id": pilot_id,
        "measured_on": row.measured_on,
        "value": row.value,
        "sample_size": row.sample_size,
        "std_dev": row.std_dev,
        "corrects_id": row.corrects_id,
    }
    await emit(session, WebhookEvent.measurement_recorded, data)
    await note_slip(session, row)


async def _no_open_baseline_round(
    session: AsyncSession, values: dict[str, Any], row: Measurement | None
) -> dict[str, Any]:
    """While a baseline round is open, a measurement would make its release impossible (a baseline
    after measurements): the times people sent would be lost to a cancel."""
    if row is None:
        waiting = select(TimingRound.id).where(
            TimingRound.kpi_id == values["kpi_id"],
            TimingRound.status == TimingStatus.open,
            TimingRound.purpose == TimingPurpose.baseline,
        )
        if (await session.exec(waiting.limit(1))).first() is not None:
            raise Conflict(
                "a baseline timing round is open for this KPI: release or cancel it before recording measurements",
                key="timing_baseline_open",
            )
    return values


measurements = Resource(
    name="measurements",
    entity="measurement",
    model=Measurement,
    read=MeasurementRead,
    create=MeasurementCreate,
    filters={"kpi_id": (int, Measurement.kpi_id), "superseded": (bool, Measurement.superseded)},
    sortable=("id", "measured_on", "created_at"),
    default_sort="measured_on",
    client_scope=lambda client_id: col(Measurement.kpi_id).in_(_kpi_ids(client_id)),
    # Measurements are evidence: they are never edited in place.
    updatable=False,
    actor_field="recorded_by_id",
    prepare=_no_open_baseline_round,
    after_write=measurement_recorded,
    example={"kpi_id": 1, "measured_on": "2026-11-20", "value": "41", "sample_size": 15, "std_dev": "8.2"},
)


async def _pilot_takes_personal_data(session: AsyncSession, row: SubProcessor, _actor: Actor) -> None:
    """A provider receiving personal data makes its pilot one that processes personal data, so
    the engagement's proposal includes the AVV."""
    if row.personal_data:
        await session.exec(
            update(Pilot)
            .where(col(Pilot.id) == row.pilot_id, col(Pilot.processes_personal_data).is_(False))
            .values(processes_personal_data=True, version=Pilot.version + 1, updated_at=utcnow())
        )


sub_processors = Resource(
    name="sub-processors",
    entity="sub_processor",
    model=SubProcessor,
    read=SubProcessorRead,
    create=SubProcessorCreate,
    update=SubProcessorUpdate,
    filters={"pilot_id": (int, SubProcessor.pilot_id), "personal_data": (bool, SubProcessor.personal_data)},
    sortable=("id", "provider", "created_at"),
    # The client sees who receives its data: transparency is the point.
    client_scope=lambda client_id: col(SubProcessor.pilot_id).in_(_pilot_ids(client_id)),
    after_write=_pilot_takes_personal_data,
    example={
        "pilot_id": 1,
        "provider": "Microsoft Ireland Operations Ltd.",
        "service": "Azure OpenAI Service",
        "model": "GPT-4o",
        "hosting_region": "EU Data Boundary, Schweden",
        "hosting_country": "SE",
        "data_categories": ["Kundenanfragen", "Angebotstexte"],
        "personal_data": True,
        "dpa_signed_on": "2026-11-02",
    },
)


async def refuse_baseline_after_measurements(session: AsyncSession, kpi_id: int) -> None:
    """A baseline is what the pilot is measured against: taken after measurements, it would be
    compared with values older than itself."""
    measured = (await session.exec(select(Measurement.id).where(Measurement.kpi_id == kpi_id).limit(1))).first()
    if measured is not None:
        raise Conflict(
            "this KPI has measurements already: a baseline taken now would come after them; "
            "start a measurement round instead",
            key="timing_baseline_late",
        )


async def _one_purpose_at_a_time(session: AsyncSession, kpi_id: int, purpose: TimingPurpose) -> None:
    """A baseline round and a measurement round never run side by side on one KPI: the baseline
    could not be released after the measurement, nor the measurement while the baseline is open."""
    other = TimingPurpose.measurement if purpose == TimingPurpose.baseline else TimingPurpose.baseline
    running = select(TimingRound.id).where(
        TimingRound.kpi_id == kpi_id, TimingRound.status == TimingStatus.open, TimingRound.purpose == other
    )
    if (await session.exec(running.limit(1))).first() is not None:
        raise Conflict(
            f"a {other.value} round is open for this KPI: release or cancel it before starting a {purpose.value} round",
            key=f"timing_{other.value}_round_open",
        )


async def _timed_kpi(session: AsyncSession, values: dict[str, Any], row: TimingRound | None) -> dict[str, Any]:
    if row is None:
        kpi = await session.get(Kpi, values["kpi_id"])
        if kpi is not None and kpi.unit not in SECONDS_PER:
            raise Invalid.field(
                "body.kpi_id",
                f"a stopwatch times minutes or hours; this KPI counts {kpi.unit}",
                key="timing_unit",
                unit=kpi.unit,
            )
        if kpi is not None and values.get("purpose") == TimingPurpose.baseline:
            await refuse_baseline_after_measurements(session, kpi.id)
        if kpi is not None:
            await _one_purpose_at_a_time(
                session, kpi.id, TimingPurpose(values.get("purpose", TimingPurpose.measurement))
            )
    elif values.get("closes_on") and values["closes_on"] > row.created_at.date() + LONGEST_ROUND:
        # Moving the last day again and again would keep the times for good.
        raise Invalid.field("body.closes_on", f"a round runs at most {LONGEST_ROUND.days} days from its start")
    return values


def _round_ended(row: TimingRound) -> str | None:
    return None if row.status == TimingStatus.open else f"this timing round has ended ({row.status})"


timing_rounds = Resource(
    name="timing-rounds",
    entity="timing_round",
    model=TimingRound,
    read=TimingRoundRead,
    create=TimingRoundCreate,
    update=TimingRoundUpdate,
    filters={"kpi_id": (int, TimingRound.kpi_id), "status": (TimingStatus, TimingRound.status)},
    sortable=("id", "closes_on", "created_at"),
    # The team's alone: how many took part and when the count moved would tell a client who
    # watches which of its people sent times.
    read_roles=STAFF,
    # Ended by release or cancellation (pilots/timing.py), never deleted: the KPI's figures
    # say which round they came from.
    deletable=False,
    prepare=_timed_kpi,
    edit_guard=_round_ended,
    actor_field="created_by_id",
    example={
        "kpi_id": 1,
        "purpose": "measurement",
        "task": "ein Angebot vom Eingang der Anfrage bis zum Versand",
        "closes_on": "2026-12-18",
        "min_contributors": 5,
    },
)


async def _one_bill_a_month(session: AsyncSession, values: dict[str, Any], row: RunCost | None) -> dict[str, Any]:
    if row is None:
        taken = await session.exec(
            select(RunCost.id).where(RunCost.pilot_id == values["pilot_id"], RunCost.month == values["month"])
        )
        if taken.first() is not None:
            raise Conflict(
                f"{values['month']} has its run cost already: change that one",
                key="run_cost_taken",
                month=values["month"],
            )
    return values


run_costs = Resource(
    name="run-costs",
    entity="run_cost",
    model=RunCost,
    read=RunCostRead,
    create=RunCostCreate,
    update=RunCostUpdate,
    filters={"pilot_id": (int, RunCost.pilot_id)},
    sortable=("id", "month"),
    default_sort="month",
    client_scope=lambda client_id: col(RunCost.pilot_id).in_(_pilot_ids(client_id)),
    prepare=_one_bill_a_month,
    example={"pilot_id": 1, "month": "2026-11", "amount": "182.40", "note": "Azure OpenAI, Rechnung 11/2026"},
)

idea_service = CrudService(ideas)
pilot_service = CrudService(pilots)
kpi_service = CrudService(kpis)
measurement_service = CrudService(measurements)
sub_processor_service = CrudService(sub_processors)
timing_round_service = CrudService(timing_rounds)
run_cost_service = CrudService(run_costs)
