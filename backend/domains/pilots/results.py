"""Savings, ROI and payback of pilots, computed from KPI baselines and measurements.

Pure: no database, no I/O, no floats. Inputs are frozen dataclasses, so callers map ORM rows (or
anything else) onto them and this module never depends on a session.

Precision: all arithmetic runs in CALCULATION_CONTEXT (60 significant digits), wide enough that
sums and products of stored inputs are exact; only divisions (minutes to hours, percentages,
payback) are cut off, at 60 digits. Results carry those exact values in `exact` next to the
rounded ones meant for display (`figures`, `*_percent`, `payback_months`): money to cents, hours
and percent to 2 places, both ROUND_HALF_UP.

Aggregation: a pilot's figures are the field-by-field sum of the exact figures of its KPIs that
have figures, an engagement's the sum of its pilots'. Totals are never built from rounded parts,
so a displayed total is the rounded exact total, not the sum of rounded parts.

Run costs count once per KPI as given: a KPI's run_cost_monthly is subtracted from that KPI's
savings only. A licence shared by several KPIs must be entered on one of them, otherwise it is
subtracted several times. A KPI without figures adds nothing to a total, not even its run cost;
totals name such KPIs in `without_figures` so the gap stays visible.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext
from enum import StrEnum
from functools import partial, reduce, wraps
from typing import ParamSpec, TypeVar

from backend.domains.pilots.confidence import Certainty, Interval, Sample, cases_needed, welch
from backend.domains.pilots.models import Direction, KpiUnit
from backend.kernel.money import round_money

CALCULATION_CONTEXT = Context(prec=60, rounding=ROUND_HALF_EVEN)
MONTHS_PER_YEAR = 12

_HUNDRED = Decimal(100)
_HUNDREDTH = Decimal("0.01")
# Time KPIs convert to hours by dividing by this; other units have no time mapping.
_UNITS_PER_HOUR = {KpiUnit.minutes: Decimal(60), KpiUnit.hours: Decimal(1)}
_NO_MONEY_MAPPING = "only lower_is_better KPIs in minutes, hours or eur map to money"

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _exact(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run fn in CALCULATION_CONTEXT, whatever context the caller has set."""

    @wraps(fn)
    def in_context(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with localcontext(CALCULATION_CONTEXT):
            return fn(*args, **kwargs)

    return in_context


@_exact
def _cents(value: Decimal) -> Decimal:
    # "+ 0" turns the -0.00 of a tiny loss into 0.00.
    return round_money(value) + 0


@_exact
def _two_places(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    return value.quantize(_HUNDREDTH, rounding=ROUND_HALF_UP) + 0


class ResultStatus(StrEnum):
    ok = "ok"  # all figures computed
    no_baseline = "no_baseline"  # nothing to compare the measurements with
    no_measurements = "no_measurements"  # no measurement that is not superseded
    not_applicable = "not_applicable"  # improvement known, but it cannot be turned into money
    no_figures = "no_figures"  # totals only: none of the KPIs has figures


class ReturnStatus(StrEnum):
    ok = "ok"
    no_fee = "no_fee"  # fee missing or 0: ROI and payback have nothing to divide by
    no_figures = "no_figures"  # no KPI has figures yet
    no_payback = "no_payback"  # net saving per month is not positive


# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasurementInput:
    measured_on: date
    value: Decimal
    sample_size: int | None = None
    superseded: bool = False
    std_dev: Decimal | None = None


@dataclass(frozen=True)
class KpiInput:
    name: str
    unit: KpiUnit
    direction: Direction
    baseline_value: Decimal | None
    target_value: Decimal | None = None
    monthly_volume: Decimal | None = None
    hourly_cost: Decimal | None = None
    run_cost_monthly: Decimal = Decimal(0)
    baseline_sample_size: int | None = None
    measurements: Sequence[MeasurementInput] = ()
    baseline_std_dev: Decimal | None = None

    def __post_init__(self) -> None:
        # Accept the plain strings stored in the database, and make the input truly immutable.
        object.__setattr__(self, "unit", KpiUnit(self.unit))
        object.__setattr__(self, "direction", Direction(self.direction))
        object.__setattr__(self, "measurements", tuple(self.measurements))


@dataclass(frozen=True)
class PilotInput:
    name: str
    kpis: Sequence[KpiInput] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "kpis", tuple(self.kpis))


# --- figures ----------------------------------------------------------------------------------


def _add_optional(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    # Hours exist only for time KPIs; a total has hours as soon as one part has them.
    if a is None or b is None:
        return b if a is None else a
    return a + b


@dataclass(frozen=True)
class RoundedFigures:
    """Figures for display: money in cents, hours to 2 places, ROUND_HALF_UP."""

    hours_saved_per_month: Decimal | None
    cost_saved_per_month: Decimal
    cost_saved_per_year: Decimal
    run_cost_per_month: Decimal
    net_per_month: Decimal
    net_per_year: Decimal


@dataclass(frozen=True)
class Figures:
    """Exact (unrounded) savings of a KPI or a total.

    cost_saved_per_year = cost_saved_per_month × 12
    net_per_month       = cost_saved_per_month − run_cost_per_month
    net_per_year        = net_per_month × 12
    hours_saved_per_month is None for KPIs that are not measured in time (eur).
    Adding two Figures adds every field, so a total is exactly the sum of its parts.
    """

    hours_saved_per_month: Decimal | None
    cost_saved_per_month: Decimal
    cost_saved_per_year: Decimal
    run_cost_per_month: Decimal
    net_per_month: Decimal
    net_per_year: Decimal

    @classmethod
    @_exact
    def monthly(cls, hours_saved: Decimal | None, cost_saved: Decimal, run_cost: Decimal) -> Figures:
        net = cost_saved - run_cost
        return cls(
            hours_saved_per_month=hours_saved,
            cost_saved_per_month=cost_saved,
            cost_saved_per_year=cost_saved * MONTHS_PER_YEAR,
            run_cost_per_month=run_cost,
            net_per_month=net,
            net_per_year=net * MONTHS_PER_YEAR,
        )

    @_exact
    def __add__(self, other: Figures) -> Figures:
        return Figures(
            hours_saved_per_month=_add_optional(self.hours_saved_per_month, other.hours_saved_per_month),
            cost_saved_per_month=self.cost_saved_per_month + other.cost_saved_per_month,
            cost_saved_per_year=self.cost_saved_per_year + other.cost_saved_per_year,
            run_cost_per_month=self.run_cost_per_month + other.run_cost_per_month,
            net_per_month=self.net_per_month + other.net_per_month,
            net_per_year=self.net_per_year + other.net_per_year,
        )

    def rounded(self) -> RoundedFigures:
        return RoundedFigures(
            hours_saved_per_month=_two_places(self.hours_saved_per_month),
            cost_saved_per_month=_cents(self.cost_saved_per_month),
            cost_saved_per_year=_cents(self.cost_saved_per_year),
            run_cost_per_month=_cents(self.run_cost_per_month),
            net_per_month=_cents(self.net_per_month),
            net_per_year=_cents(self.net_per_year),
        )


def total(parts: Iterable[Figures | None]) -> Figures | None:
    """Field-by-field sum of the parts that have figures, in order; None when none has."""
    present = [part for part in parts if part is not None]
    return reduce(operator.add, present) if present else None


class _RoundsFigures:
    """Gives a result with an `exact` field its display figures, which can never disagree."""

    exact: Figures | None

    @property
    def figures(self) -> RoundedFigures | None:
        return None if self.exact is None else self.exact.rounded()


# --- single KPI -------------------------------------------------------------------------------


def latest_measurement(measurements: Iterable[MeasurementInput]) -> MeasurementInput | None:
    """The non-superseded measurement with the newest measured_on.

    On equal dates the one later in the sequence wins, as it was recorded last.
    """
    latest: MeasurementInput | None = None
    for measurement in measurements:
        if measurement.superseded:
            continue
        if latest is None or measurement.measured_on >= latest.measured_on:
            latest = measurement
    return latest


@_exact
def improvement(direction: Direction, baseline: Decimal, latest: Decimal) -> Decimal:
    """Absolute improvement in the KPI's unit; positive means better.

    lower_is_better:  baseline − latest
    higher_is_better: latest − baseline
    """
    if direction is Direction.lower_is_better:
        return baseline - latest
    return latest - baseline


@_exact
def improvement_percent(gained: Decimal, baseline: Decimal) -> Decimal | None:
    """gained / |baseline| × 100; None when baseline is 0.

    |baseline| keeps the sign meaning "better" for negative baselines too.
    """
    if baseline == 0:
        return None
    return gained / abs(baseline) * _HUNDRED


@_exact
def target_progress_percent(gained: Decimal, baseline: Decimal, target: Decimal | None) -> Decimal | None:
    """gained / |target − baseline| × 100; None without a target or when target == baseline.

    Over 100 means the target is beaten, negative means worse than the baseline.
    """
    if target is None or target == baseline:
        return None
    return gained / abs(target - baseline) * _HUNDRED


def money_inputs(kpi: KpiInput) -> tuple[str, ...] | None:
    """Names of the inputs that turn the KPI's improvement into money; None if nothing can.

    Time KPIs need volume and hourly cost, eur KPIs (cost per case) only volume. A
    higher_is_better time or eur KPI does not describe a saving, so it has no mapping.
    """
    if kpi.direction is not Direction.lower_is_better:
        return None
    if kpi.unit in _UNITS_PER_HOUR:
        return ("monthly_volume", "hourly_cost")
    if kpi.unit is KpiUnit.eur:
        return ("monthly_volume",)
    return None


def missing_inputs(kpi: KpiInput) -> tuple[str, ...]:
    """Absent inputs that the KPI needs for its figures: baseline first, then money inputs."""
    needed = ("baseline_value", *(money_inputs(kpi) or ()))
    return tuple(name for name in needed if getattr(kpi, name) is None)


@_exact
def monthly_figures(kpi: KpiInput, gained: Decimal) -> Figures:
    """Exact savings of a KPI whose money inputs are complete (see missing_inputs).

    Time KPIs (units_per_hour: minutes 60, hours 1):
        hours_saved_per_month = gained / units_per_hour × monthly_volume
        cost_saved_per_month  = hours_saved_per_month × hourly_cost
    eur KPIs (cost per case):
        cost_saved_per_month  = gained × monthly_volume        (no hours)
    Both are negative when the KPI got worse. The division comes last, so it is the only
    step that can lose digits.
    """
    if kpi.monthly_volume is None or money_inputs(kpi) is None:
        raise ValueError(f"KPI {kpi.name!r} has no complete money mapping")
    per_month = gained * kpi.monthly_volume
    units_per_hour = _UNITS_PER_HOUR.get(kpi.unit)
    if units_per_hour is None:
        return Figures.monthly(None, per_month, kpi.run_cost_monthly)
    if kpi.hourly_cost is None:
        raise ValueError(f"KPI {kpi.name!r} has no hourly_cost")
    return Figures.monthly(
        per_month / units_per_hour,
        per_month * kpi.hourly_cost / units_per_hour,
        kpi.run_cost_monthly,
    )


@dataclass(frozen=True)
class KpiResult(_RoundsFigures):
    """One KPI's result; `status` says how far the computation got, `reason` why not further.

    `missing` names absent inputs needed for figures. Percentages are rounded to 2 places.
    """

    name: str
    unit: KpiUnit
    direction: Direction
    status: ResultStatus
    missing: tuple[str, ...] = ()
    reason: str | None = None
    latest: MeasurementInput | None = None
    improvement: Decimal | None = None
    improvement_percent: Decimal | None = None
    target_progress_percent: Decimal | None = None
    exact: Figures | None = None
    # How sure the improvement is (confidence.py), and the savings at its one-sided lower bound:
    # "at least … per month at 90 %", only where that bound is an improvement.
    confidence: Interval | None = None
    at_least: Figures | None = None
    cases_needed: int | None = None  # per side, to see a 20 % improvement (the baseline's spread)

    @property
    def at_least_figures(self) -> RoundedFigures | None:
        return None if self.at_least is None else self.at_least.rounded()


def _savings(
    kpi: KpiInput, gained: Decimal, missing: tuple[str, ...]
) -> tuple[ResultStatus, str | None, Figures | None]:
    if money_inputs(kpi) is None:
        return ResultStatus.not_applicable, _NO_MONEY_MAPPING, None
    if missing:
        return ResultStatus.not_applicable, "missing: " + ", ".join(missing), None
    return ResultStatus.ok, None, monthly_figures(kpi, gained)


def evaluate_kpi(kpi: KpiInput) -> KpiResult:
    """Latest value, improvement, target progress and savings of one KPI."""
    latest = latest_measurement(kpi.measurements)
    missing = missing_inputs(kpi)
    result = partial(KpiResult, kpi.name, kpi.unit, kpi.direction, missing=missing)
    if kpi.baseline_value is None:
        return result(ResultStatus.no_baseline, reason="baseline_value is missing", latest=latest)
    if latest is None:
        return result(
            ResultStatus.no_measurements,
            reason="no measurement that is not superseded",
            cases_needed=cases_needed(kpi.baseline_std_dev, kpi.baseline_value),
        )
    gained = improvement(kpi.direction, kpi.baseline_value, latest.value)
    status, reason, exact = _savings(kpi, gained, missing)
    sure = welch(
        kpi.direction,
        Sample(kpi.baseline_value, kpi.baseline_std_dev, kpi.baseline_sample_size),
        Sample(latest.value, latest.std_dev, latest.sample_size),
    )
    at_least = None
    if exact is not None and sure.certainty is Certainty.significant and sure.at_least is not None:
        at_least = monthly_figures(kpi, sure.at_least)
    return result(
        status,
        reason=reason,
        latest=latest,
        improvement=gained,
        improvement_percent=_two_places(improvement_percent(gained, kpi.baseline_value)),
        target_progress_percent=_two_places(target_progress_percent(gained, kpi.baseline_value, kpi.target_value)),
        exact=exact,
        confidence=sure,
        at_least=at_least,
        cases_needed=cases_needed(kpi.baseline_std_dev, kpi.baseline_value),
    )


# --- totals -----------------------------------------------------------------------------------


def _total_status(exact: Figures | None) -> ResultStatus:
    return ResultStatus.no_figures if exact is None else ResultStatus.ok


@dataclass(frozen=True)
class PilotResult(_RoundsFigures):
    name: str
    status: ResultStatus
    kpis: tuple[KpiResult, ...]
    exact: Figures | None

    @property
    def without_figures(self) -> tuple[str, ...]:
        """KPIs left out of the total (their run costs too)."""
        return tuple(kpi.name for kpi in self.kpis if kpi.exact is None)


def evaluate_pilot(pilot: PilotInput) -> PilotResult:
    """Every KPI of the pilot, and the sum of those that have figures."""
    kpis = tuple(evaluate_kpi(kpi) for kpi in pilot.kpis)
    exact = total(kpi.exact for kpi in kpis)
    return PilotResult(name=pilot.name, status=_total_status(exact), kpis=kpis, exact=exact)


@_exact
def first_year_roi_percent(net_per_year: Decimal, fee: Decimal) -> Decimal | None:
    """(net_per_year − fee) / fee × 100; None when fee ≤ 0."""
    if fee <= 0:
        return None
    return (net_per_year - fee) / fee * _HUNDRED


@_exact
def payback_months(fee: Decimal, net_per_month: Decimal) -> Decimal | None:
    """fee / net_per_month; None when net_per_month ≤ 0, as the fee is never paid back."""
    if net_per_month <= 0:
        return None
    return fee / net_per_month


@dataclass(frozen=True)
class FeeReturn:
    """ROI and payback against the engagement fee; both rounded to 2 places."""

    status: ReturnStatus
    fee: Decimal | None
    first_year_roi_percent: Decimal | None = None
    payback_months: Decimal | None = None
    reason: str | None = None


def fee_return(exact: Figures | None, fee: Decimal | None) -> FeeReturn:
    """First-year ROI and payback of the exact totals against the fee, or why there are none."""
    if fee is None or fee <= 0:
        return FeeReturn(ReturnStatus.no_fee, fee, reason="no engagement fee to compare with")
    if exact is None:
        return FeeReturn(ReturnStatus.no_figures, fee, reason="no KPI has figures yet")
    roi = _two_places(first_year_roi_percent(exact.net_per_year, fee))
    months = payback_months(fee, exact.net_per_month)
    if months is None:
        reason = "net saving per month is not positive, so the fee is never paid back"
        return FeeReturn(ReturnStatus.no_payback, fee, roi, reason=reason)
    return FeeReturn(ReturnStatus.ok, fee, roi, _two_places(months))


@dataclass(frozen=True)
class EngagementResult(_RoundsFigures):
    status: ResultStatus
    pilots: tuple[PilotResult, ...]
    exact: Figures | None
    fee_return: FeeReturn


def sum_up(counted: Iterable[PilotResult], fee: Decimal | None) -> EngagementResult:
    """The engagement's figures from the results of the pilots that count (a stopped pilot's do
    not): what the results endpoints, the pages and the result report show."""
    results = tuple(counted)
    exact = total(pilot.exact for pilot in results)
    return EngagementResult(
        status=_total_status(exact),
        pilots=results,
        exact=exact,
        fee_return=fee_return(exact, fee),
    )
