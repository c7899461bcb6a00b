"""API shapes of computed results, and the mapping from rows to the pure calculation."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from sqlmodel import SQLModel

from backend.domains.pilots.confidence import Certainty, Interval
from backend.domains.pilots.models import Direction, Kpi, KpiUnit, Measurement, Pilot, PilotStage
from backend.domains.pilots.results import (
    FeeReturn,
    KpiInput,
    KpiResult,
    MeasurementInput,
    PilotInput,
    PilotResult,
    ResultStatus,
    ReturnStatus,
    RoundedFigures,
    evaluate_kpi,
)

VALUE_PLACES = Decimal("0.0001")


class FiguresRead(SQLModel):
    hours_saved_per_month: Decimal | None
    cost_saved_per_month: Decimal
    cost_saved_per_year: Decimal
    run_cost_per_month: Decimal
    net_per_month: Decimal
    net_per_year: Decimal


class ConfidenceRead(SQLModel):
    """How sure the improvement is (Welch's t interval on the two means, docs/api-guide.md)."""

    certainty: Certainty
    level_percent: int
    lower: Decimal | None
    upper: Decimal | None
    at_least: Decimal | None
    degrees_of_freedom: float | None


class KpiResultRead(SQLModel):
    kpi_id: int
    name: str
    unit: KpiUnit
    direction: Direction
    status: ResultStatus
    reason: str | None
    missing: list[str]
    baseline_value: Decimal | None
    target_value: Decimal | None
    latest_value: Decimal | None
    latest_measured_on: date | None
    improvement: Decimal | None
    improvement_percent: Decimal | None
    target_progress_percent: Decimal | None
    figures: FiguresRead | None
    confidence: ConfidenceRead | None = None
    at_least_figures: FiguresRead | None = None
    cases_needed: int | None = None


class PilotResultRead(SQLModel):
    pilot_id: int
    title: str
    stage: PilotStage
    status: ResultStatus
    # The monthly run cost the figures subtract: the KPIs' estimates, or the actual bills (the
    # average of the last months recorded) when there are any.
    run_cost_basis: str = "estimate"
    actual_run_cost: Decimal | None = None
    figures: FiguresRead | None
    without_figures: list[str]
    kpis: list[KpiResultRead]


class FeeReturnRead(SQLModel):
    status: ReturnStatus
    fee: Decimal | None
    first_year_roi_percent: Decimal | None
    payback_months: Decimal | None
    reason: str | None


class EngagementResultRead(SQLModel):
    engagement_id: int
    status: ResultStatus
    figures: FiguresRead | None
    fee_return: FeeReturnRead
    excluded_pilot_ids: list[int]
    pilots: list[PilotResultRead]


def kpi_input(kpi: Kpi, measurements: list[Measurement], run_cost: Decimal | None = None) -> KpiInput:
    return KpiInput(
        name=kpi.name,
        unit=kpi.unit,
        direction=kpi.direction,
        baseline_value=kpi.baseline_value,
        target_value=kpi.target_value,
        monthly_volume=kpi.monthly_volume,
        hourly_cost=kpi.hourly_cost,
        run_cost_monthly=kpi.run_cost_monthly if run_cost is None else run_cost,
        baseline_sample_size=kpi.baseline_sample_size,
        baseline_std_dev=kpi.baseline_std_dev,
        measurements=[
            MeasurementInput(m.measured_on, m.value, m.sample_size, m.superseded, m.std_dev)
            # Order by recording so that on equal dates the later record wins.
            for m in sorted(measurements, key=lambda m: m.id or 0)
        ],
    )


def pilot_input(
    pilot: Pilot, kpis: list[Kpi], measurements: dict[int, list[Measurement]], actual_run_cost: Decimal | None = None
) -> PilotInput:
    """The pilot's inputs; with its actual monthly run cost, that instead of the KPIs' estimates,
    shared among the KPIs whose savings it is set against (see `shared_run_cost`)."""
    inputs = [kpi_input(k, measurements.get(k.id, [])) for k in kpis]
    if actual_run_cost is not None:
        # The bill goes against the KPIs that have figures (a KPI without any would drop its
        # share from every total); if none has, against all, as nothing is totalled then.
        counted = [k for k, i in zip(kpis, inputs, strict=True) if evaluate_kpi(i).exact is not None] or kpis
        shares = shared_run_cost(counted, actual_run_cost)
        inputs = [kpi_input(k, measurements.get(k.id, []), shares.get(k.id, Decimal(0))) for k in kpis]
    return PilotInput(pilot.title, inputs)


CENT = Decimal("0.01")


def shared_run_cost(kpis: list[Kpi], total: Decimal) -> dict[int, Decimal]:
    """A pilot's actual monthly run cost shared among `kpis` as their estimates are (equally when
    none has one), in whole cents that add up to the total: each gets its share rounded down, and
    the cents left go to the largest remainders (none ever below zero)."""
    if not kpis:
        return {}
    estimates = [k.run_cost_monthly for k in kpis]
    whole = sum(estimates, Decimal(0))
    weights = estimates if whole > 0 else [Decimal(1)] * len(kpis)
    weight_sum = sum(weights, Decimal(0))
    exact = [total * w / weight_sum for w in weights]
    floors = [e.quantize(CENT, ROUND_FLOOR) for e in exact]
    left = int((total - sum(floors, Decimal(0))) / CENT)
    order = sorted(range(len(kpis)), key=lambda i: (floors[i] - exact[i], i))
    for i in order[:left]:
        floors[i] += CENT
    return {kpi.id: share for kpi, share in zip(kpis, floors, strict=True)}


def figures_read(figures: RoundedFigures | None) -> FiguresRead | None:
    return None if figures is None else FiguresRead.model_validate(figures, from_attributes=True)


def kpi_result_read(kpi: Kpi, result: KpiResult) -> KpiResultRead:
    latest = result.latest
    improvement = None if result.improvement is None else result.improvement.quantize(VALUE_PLACES)
    return KpiResultRead(
        kpi_id=kpi.id,
        name=result.name,
        unit=result.unit,
        direction=result.direction,
        status=result.status,
        reason=result.reason,
        missing=list(result.missing),
        baseline_value=kpi.baseline_value,
        target_value=kpi.target_value,
        latest_value=latest.value if latest else None,
        latest_measured_on=latest.measured_on if latest else None,
        improvement=improvement,
        improvement_percent=result.improvement_percent,
        target_progress_percent=result.target_progress_percent,
        figures=figures_read(result.figures),
        confidence=_confidence_read(result.confidence),
        at_least_figures=figures_read(result.at_least_figures),
        cases_needed=result.cases_needed,
    )


def _confidence_read(found: Interval | None) -> ConfidenceRead | None:
    if found is None:
        return None
    return ConfidenceRead(
        certainty=found.certainty,
        level_percent=round(found.level * 100),
        lower=found.lower,
        upper=found.upper,
        at_least=found.at_least,
        degrees_of_freedom=found.degrees_of_freedom,
    )


def pilot_result_read(
    pilot: Pilot, kpis: list[Kpi], result: PilotResult, actual_run_cost: Decimal | None = None
) -> PilotResultRead:
    return PilotResultRead(
        pilot_id=pilot.id,
        title=pilot.title,
        stage=pilot.stage,
        status=result.status,
        run_cost_basis="estimate" if actual_run_cost is None else "actual",
        actual_run_cost=actual_run_cost,
        figures=figures_read(result.figures),
        without_figures=list(result.without_figures),
        kpis=[kpi_result_read(k, r) for k, r in zip(kpis, result.kpis, strict=True)],
    )


def fee_return_read(value: FeeReturn) -> FeeReturnRead:
    return FeeReturnRead.model_validate(value, from_attributes=True)


def current_measurements(measurements: Iterable[Measurement]) -> list[Measurement]:
    """A KPI's measurements as they stand (corrected ones left out), oldest first; on one day,
    in the order they were recorded."""
    return sorted((m for m in measurements if not m.superseded), key=lambda m: (m.measured_on, m.id or 0))
