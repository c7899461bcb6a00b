"""Savings, ROI and payback: hand-computed cases per formula, plus properties that must hold."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date, timedelta
from decimal import Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.domains.pilots.models import Direction, KpiUnit
from backend.domains.pilots.results import (
    CALCULATION_CONTEXT,
    EngagementResult,
    Figures,
    KpiInput,
    MeasurementInput,
    PilotInput,
    ResultStatus,
    ReturnStatus,
    evaluate_kpi,
    evaluate_pilot,
    latest_measurement,
    sum_up,
)
from backend.kernel.money import round_money

D = Decimal
FIRST_WEEK = date(2025, 3, 3)
FEE = D("24000.00")


def evaluate_engagement(pilots: list[PilotInput], fee: Decimal | None) -> EngagementResult:
    """Every pilot, the sum of their totals, and ROI and payback against the fee (as the
    results service does it with the pilots that count)."""
    return sum_up([evaluate_pilot(pilot) for pilot in pilots], fee)


def week(n: int) -> date:
    return FIRST_WEEK + timedelta(weeks=n)


def series(*values: str) -> tuple[MeasurementInput, ...]:
    """One measurement per week, oldest first."""
    return tuple(MeasurementInput(week(n), D(value), 10) for n, value in enumerate(values))


# The demo pilots, as in backend/demo.py.
OFFERS = KpiInput(
    name="Bearbeitungszeit pro Angebot",
    unit=KpiUnit.minutes,
    direction=Direction.lower_is_better,
    baseline_value=D("90"),
    baseline_sample_size=20,
    target_value=D("45"),
    monthly_volume=D("120"),
    hourly_cost=D("65.00"),
    run_cost_monthly=D("150.00"),
    measurements=series("62", "48", "41"),
)
SUPPORT = KpiInput(
    name="Bearbeitungszeit pro Anfrage",
    unit=KpiUnit.minutes,
    direction=Direction.lower_is_better,
    baseline_value=D("12"),
    baseline_sample_size=40,
    target_value=D("6"),
    monthly_volume=D("800"),
    hourly_cost=D("48.00"),
    run_cost_monthly=D("90.00"),
    measurements=series("9.5", "8.0"),
)
DEMO_PILOTS = (
    PilotInput("Angebotsassistent", [OFFERS]),
    PilotInput("E-Mail-Vorqualifizierung im Support", [SUPPORT]),
)
ANSWERED_IN_24H = KpiInput(
    name="Angebote innerhalb von 24 h beantwortet",
    unit=KpiUnit.percent,
    direction=Direction.higher_is_better,
    baseline_value=D("40"),
    target_value=D("90"),
    measurements=series("55", "70"),
)


# --- hand-computed cases ----------------------------------------------------------------------


def test_demo_offer_kpi() -> None:
    result = evaluate_kpi(OFFERS)
    assert result.status is ResultStatus.ok
    assert result.missing == ()
    assert result.latest is not None and result.latest.value == D("41")
    assert result.improvement == D("49")  # 90 - 41
    assert result.improvement_percent == D("54.44")  # 49 / 90 * 100 = 54.444...
    assert result.target_progress_percent == D("108.89")  # 49 / |45 - 90| * 100 = 108.888...
    figures = result.figures
    assert figures is not None
    assert figures.hours_saved_per_month == D("98.00")  # 49 / 60 * 120
    assert figures.cost_saved_per_month == D("6370.00")  # 98 * 65.00
    assert figures.cost_saved_per_year == D("76440.00")  # 6370 * 12
    assert figures.run_cost_per_month == D("150.00")
    assert figures.net_per_month == D("6220.00")  # 6370 - 150
    assert figures.net_per_year == D("74640.00")  # 6220 * 12


def test_demo_support_kpi() -> None:
    result = evaluate_kpi(SUPPORT)
    assert result.latest is not None and result.latest.value == D("8.0")
    assert result.improvement == D("4.0")  # 12 - 8.0
    assert result.improvement_percent == D("33.33")  # 4 / 12 * 100 = 33.333...
    assert result.target_progress_percent == D("66.67")  # 4 / |6 - 12| * 100 = 66.666...
    assert result.figures is not None and result.exact is not None
    assert result.figures.hours_saved_per_month == D("53.33")  # 4 / 60 * 800 = 53.333...
    assert result.exact.hours_saved_per_month > D("53.333333")  # kept unrounded inside
    assert result.figures.cost_saved_per_month == D("2560.00")  # 4 * 800 * 48.00 / 60
    assert result.figures.cost_saved_per_year == D("30720.00")  # 2560 * 12
    assert result.figures.net_per_month == D("2470.00")  # 2560 - 90
    assert result.figures.net_per_year == D("29640.00")  # 2470 * 12


def test_demo_engagement_against_fixed_fee() -> None:
    result = evaluate_engagement(DEMO_PILOTS, FEE)
    assert result.status is ResultStatus.ok
    assert [pilot.figures.net_per_month for pilot in result.pilots if pilot.figures] == [
        D("6220.00"),
        D("2470.00"),
    ]
    figures = result.figures
    assert figures is not None
    assert figures.hours_saved_per_month == D("151.33")  # 98 + 53.333...
    assert figures.cost_saved_per_month == D("8930.00")  # 6370 + 2560
    assert figures.cost_saved_per_year == D("107160.00")  # 8930 * 12
    assert figures.run_cost_per_month == D("240.00")  # 150 + 90, once per KPI
    assert figures.net_per_month == D("8690.00")  # 6220 + 2470
    assert figures.net_per_year == D("104280.00")  # 8690 * 12
    returns = result.fee_return
    assert returns.status is ReturnStatus.ok
    assert returns.reason is None
    # (104280 - 24000) / 24000 * 100 = 80280 / 240 = 334.5
    assert returns.first_year_roi_percent == D("334.50")
    # 24000 / 8690 = 2.7617...
    assert returns.payback_months == D("2.76")


def test_higher_is_better_percent_kpi_has_progress_but_no_money() -> None:
    result = evaluate_kpi(ANSWERED_IN_24H)
    assert result.improvement == D("30")  # 70 - 40
    assert result.improvement_percent == D("75.00")  # 30 / 40 * 100
    assert result.target_progress_percent == D("60.00")  # 30 / |90 - 40| * 100
    assert result.status is ResultStatus.not_applicable
    assert result.missing == ()
    assert result.exact is None and result.figures is None


def test_higher_is_better_got_worse_is_negative() -> None:
    result = evaluate_kpi(replace(ANSWERED_IN_24H, measurements=series("31")))
    assert result.improvement == D("-9")  # 31 - 40
    assert result.improvement_percent == D("-22.50")  # -9 / 40 * 100
    assert result.target_progress_percent == D("-18.00")  # -9 / 50 * 100


def test_higher_is_better_time_kpi_is_not_turned_into_money() -> None:
    # E.g. "minutes of customer contact": more is better, so it is no time saving.
    result = evaluate_kpi(replace(OFFERS, direction=Direction.higher_is_better))
    assert result.improvement == D("-49")  # 41 - 90
    assert result.status is ResultStatus.not_applicable
    assert result.figures is None


def test_count_kpi_has_no_money_mapping() -> None:
    result = evaluate_kpi(replace(OFFERS, unit=KpiUnit.count))
    assert result.status is ResultStatus.not_applicable
    assert result.improvement == D("49")
    assert result.missing == ()
    assert result.reason is not None and "eur" in result.reason


def test_hours_kpi_is_used_as_is() -> None:
    kpi = replace(
        OFFERS,
        unit=KpiUnit.hours,
        baseline_value=D("3.5"),
        target_value=D("2"),
        monthly_volume=D("10"),
        hourly_cost=D("80.00"),
        run_cost_monthly=D("0"),
        measurements=series("2.75"),
    )
    result = evaluate_kpi(kpi)
    assert result.improvement == D("0.75")  # 3.5 - 2.75
    assert result.target_progress_percent == D("50.00")  # 0.75 / 1.5 * 100
    assert result.figures is not None
    assert result.figures.hours_saved_per_month == D("7.50")  # 0.75 * 10, no division by 60
    assert result.figures.cost_saved_per_month == D("600.00")  # 7.5 * 80


def test_eur_kpi_saves_improvement_times_volume() -> None:
    # Cost per case, e.g. external translation cost per offer.
    kpi = KpiInput(
        name="Übersetzungskosten pro Angebot",
        unit=KpiUnit.eur,
        direction=Direction.lower_is_better,
        baseline_value=D("25.00"),
        monthly_volume=D("200"),
        run_cost_monthly=D("100.00"),
        measurements=series("19.50"),
    )
    result = evaluate_kpi(kpi)
    assert result.status is ResultStatus.ok
    assert result.improvement_percent == D("22.00")  # 5.50 / 25 * 100
    assert result.figures is not None
    assert result.figures.hours_saved_per_month is None  # not a time KPI
    assert result.figures.cost_saved_per_month == D("1100.00")  # (25.00 - 19.50) * 200
    assert result.figures.net_per_month == D("1000.00")  # 1100 - 100
    assert result.figures.net_per_year == D("12000.00")  # 1000 * 12


def test_zero_baseline_has_no_percent_but_progress_and_money() -> None:
    complaints = replace(ANSWERED_IN_24H, unit=KpiUnit.count, baseline_value=D("0"), target_value=D("20"))
    result = evaluate_kpi(replace(complaints, measurements=series("5")))
    assert result.improvement == D("5")  # 5 - 0
    assert result.improvement_percent is None  # would divide by 0
    assert result.target_progress_percent == D("25.00")  # 5 / 20 * 100

    waiting = replace(OFFERS, baseline_value=D("0"), monthly_volume=D("10"), hourly_cost=D("40"))
    result = evaluate_kpi(replace(waiting, measurements=series("3"), run_cost_monthly=D("0")))
    assert result.improvement_percent is None
    assert result.figures is not None
    assert result.figures.hours_saved_per_month == D("-0.50")  # (0 - 3) / 60 * 10
    assert result.figures.cost_saved_per_month == D("-20.00")  # -0.5 * 40


def test_target_missing_or_equal_to_baseline_has_no_progress() -> None:
    assert evaluate_kpi(replace(OFFERS, target_value=None)).target_progress_percent is None
    assert evaluate_kpi(replace(OFFERS, target_value=D("90"))).target_progress_percent is None


def test_kpi_without_measurements() -> None:
    for measurements in [(), (MeasurementInput(week(1), D("41"), superseded=True),)]:
        result = evaluate_kpi(replace(OFFERS, measurements=measurements))
        assert result.status is ResultStatus.no_measurements
        assert result.latest is None
        assert result.improvement is None
        assert result.target_progress_percent is None
        assert result.figures is None


def test_kpi_without_baseline_lists_it_as_missing() -> None:
    result = evaluate_kpi(replace(OFFERS, baseline_value=None, hourly_cost=None))
    assert result.status is ResultStatus.no_baseline
    assert result.missing == ("baseline_value", "hourly_cost")
    assert result.latest is not None and result.latest.value == D("41")
    assert result.improvement is None and result.figures is None


def test_superseded_measurement_is_ignored() -> None:
    corrected = (*series("62", "48"), MeasurementInput(week(2), D("30"), superseded=True))
    result = evaluate_kpi(replace(OFFERS, measurements=corrected))
    assert result.latest is not None and result.latest.value == D("48")
    assert result.improvement == D("42")  # 90 - 48
    assert result.figures is not None
    assert result.figures.hours_saved_per_month == D("84.00")  # 42 / 60 * 120
    assert result.figures.cost_saved_per_month == D("5460.00")  # 84 * 65


def test_latest_is_newest_date_and_last_recorded_on_a_tie() -> None:
    newest = MeasurementInput(week(5), D("1"))
    older = MeasurementInput(week(1), D("2"))
    assert latest_measurement([newest, older]) is newest
    first, second = MeasurementInput(week(3), D("3")), MeasurementInput(week(3), D("4"))
    assert latest_measurement([first, second]) is second
    assert latest_measurement([]) is None


def test_run_costs_above_savings_give_negative_net_roi_and_no_payback() -> None:
    kpi = replace(
        OFFERS,
        baseline_value=D("10"),
        monthly_volume=D("60"),
        hourly_cost=D("30.00"),
        run_cost_monthly=D("500.00"),
        measurements=series("9"),
    )
    result = evaluate_engagement([PilotInput("Teuer", [kpi])], D("10000.00"))
    assert result.figures is not None
    assert result.figures.hours_saved_per_month == D("1.00")  # (10 - 9) / 60 * 60
    assert result.figures.cost_saved_per_month == D("30.00")  # 1 * 30
    assert result.figures.net_per_month == D("-470.00")  # 30 - 500
    assert result.figures.net_per_year == D("-5640.00")  # -470 * 12
    returns = result.fee_return
    assert returns.status is ReturnStatus.no_payback
    # (-5640 - 10000) / 10000 * 100
    assert returns.first_year_roi_percent == D("-156.40")
    assert returns.payback_months is None
    assert returns.reason is not None


def test_break_even_has_no_payback_and_loses_the_whole_fee() -> None:
    # 49 / 60 * 120 * 65 = 6370 saved, eaten up completely by the run cost.
    break_even = replace(OFFERS, run_cost_monthly=D("6370.00"))
    result = evaluate_engagement([PilotInput("Null", [break_even])], FEE)
    assert result.figures is not None and result.figures.net_per_month == D("0.00")
    assert result.fee_return.status is ReturnStatus.no_payback
    assert result.fee_return.payback_months is None
    assert result.fee_return.first_year_roi_percent == D("-100.00")  # (0 - 24000) / 24000 * 100


def test_missing_hourly_cost_is_not_applicable() -> None:
    result = evaluate_kpi(replace(OFFERS, hourly_cost=None))
    assert result.status is ResultStatus.not_applicable
    assert result.missing == ("hourly_cost",)
    assert result.improvement == D("49")  # still known: 90 - 41
    assert result.figures is None
    both = evaluate_kpi(replace(OFFERS, hourly_cost=None, monthly_volume=None))
    assert both.missing == ("monthly_volume", "hourly_cost")


def test_pilot_total_skips_kpis_without_figures_and_their_run_costs() -> None:
    pilot = PilotInput("Angebote", [OFFERS, replace(ANSWERED_IN_24H, run_cost_monthly=D("99"))])
    result = evaluate_pilot(pilot)
    assert result.without_figures == (ANSWERED_IN_24H.name,)
    assert result.figures is not None
    assert result.figures.run_cost_per_month == D("150.00")  # the 99 of the % KPI is left out
    assert result.figures.net_per_month == D("6220.00")


def test_no_fee_and_no_figures_give_reasons_not_numbers() -> None:
    for fee in (None, D("0")):
        returns = evaluate_engagement(DEMO_PILOTS, fee).fee_return
        assert returns.status is ReturnStatus.no_fee
        assert returns.first_year_roi_percent is None and returns.payback_months is None
        assert returns.reason is not None
    empty = evaluate_engagement([PilotInput("Leer", [ANSWERED_IN_24H]), PilotInput("Nichts")], FEE)
    assert empty.status is ResultStatus.no_figures
    assert empty.figures is None
    assert empty.pilots[0].status is ResultStatus.no_figures
    assert empty.fee_return.status is ReturnStatus.no_figures
    assert empty.fee_return.first_year_roi_percent is None


def test_rounding_is_half_up_after_exact_arithmetic() -> None:
    # 0.01 / 8 * 100 = 0.125; half-even would give 0.12.
    tiny = replace(ANSWERED_IN_24H, baseline_value=D("8"), target_value=None)
    assert evaluate_kpi(replace(tiny, measurements=series("8.01"))).improvement_percent == D("0.13")
    # 0.2 min * 1 * 16.50 / 60 = 0.055 exactly -> 0.06. Dividing 0.2 by 60 first leaves
    # 0.00333...3, and times 16.50 that is 0.05499...9 -> 0.05 even with 60 digits.
    single = replace(OFFERS, monthly_volume=D("1"), hourly_cost=D("16.50"), run_cost_monthly=D("0"))
    result = evaluate_kpi(replace(single, baseline_value=D("1.2"), measurements=series("1.0")))
    assert result.figures is not None
    assert result.figures.cost_saved_per_month == D("0.06")
    assert result.figures.hours_saved_per_month == D("0.00")  # 0.2 / 60 = 0.00333...


def test_tiny_loss_rounds_to_zero_without_sign() -> None:
    kpi = KpiInput(
        "Kosten pro Fall",
        KpiUnit.eur,
        Direction.lower_is_better,
        D("1.0000"),
        monthly_volume=D("1"),
        measurements=series("1.0010"),
    )
    figures = evaluate_kpi(kpi).figures
    assert figures is not None
    assert str(figures.cost_saved_per_month) == "0.00"  # -0.001 must not print as -0.00


def test_caller_decimal_context_does_not_change_results() -> None:
    with localcontext() as narrow:
        narrow.prec = 3
        squeezed = evaluate_engagement(DEMO_PILOTS, FEE)
    assert squeezed == evaluate_engagement(DEMO_PILOTS, FEE)
    assert squeezed.figures is not None and squeezed.figures.net_per_year == D("104280.00")


def test_database_strings_are_accepted_for_unit_and_direction() -> None:
    kpi = replace(OFFERS, unit="minutes", direction="lower_is_better")  # type: ignore[arg-type]
    assert kpi.unit is KpiUnit.minutes
    assert evaluate_kpi(kpi) == evaluate_kpi(OFFERS)


# --- properties -------------------------------------------------------------------------------

# 60-digit Decimal arithmetic is slow enough that a busy CI machine can miss the default deadline.
PROPERTY = settings(deadline=None, max_examples=200)
MONEY_FIELDS = tuple(f.name for f in fields(Figures) if f.name != "hours_saved_per_month")


def amounts(min_value: str, max_value: str) -> st.SearchStrategy[Decimal]:
    return st.decimals(
        min_value=D(min_value),
        max_value=D(max_value),
        places=2,
        allow_nan=False,
        allow_infinity=False,
    )


SAVING_UNITS = st.sampled_from([KpiUnit.minutes, KpiUnit.hours, KpiUnit.eur])


@PROPERTY
@given(
    unit=SAVING_UNITS,
    baseline=amounts("0", "1000"),
    first=amounts("0", "1000"),
    second=amounts("0", "1000"),
    volume=amounts("0", "10000"),
    hourly=amounts("0", "500"),
    run=amounts("0", "5000"),
)
def test_cost_saved_grows_as_the_measured_value_falls(
    unit: KpiUnit,
    baseline: Decimal,
    first: Decimal,
    second: Decimal,
    volume: Decimal,
    hourly: Decimal,
    run: Decimal,
) -> None:
    worse, better = max(first, second), min(first, second)
    kpi = KpiInput(
        "k",
        unit,
        Direction.lower_is_better,
        baseline,
        monthly_volume=volume,
        hourly_cost=hourly,
        run_cost_monthly=run,
    )
    saved = []
    for value in (worse, better):
        result = evaluate_kpi(replace(kpi, measurements=series(str(value))))
        assert result.exact is not None and result.figures is not None
        saved.append((result.exact.cost_saved_per_month, result.figures.cost_saved_per_month))
    (exact_worse, shown_worse), (exact_better, shown_better) = saved
    assert exact_worse <= exact_better
    assert shown_worse <= shown_better
    if better < worse and volume > 0 and (hourly > 0 or unit is KpiUnit.eur):
        assert exact_worse < exact_better


def measurement_lists(min_size: int, superseded: st.SearchStrategy[bool]) -> st.SearchStrategy[list[MeasurementInput]]:
    one = st.builds(
        MeasurementInput,
        measured_on=st.dates(min_value=FIRST_WEEK, max_value=week(20)),
        value=amounts("0", "1000"),
        superseded=superseded,
    )
    return st.lists(one, min_size=min_size, max_size=3)


def kpi_inputs(complete: bool) -> st.SearchStrategy[KpiInput]:
    """Complete lower_is_better money KPIs, or anything at all (mostly without figures)."""
    if complete:
        units, directions = SAVING_UNITS, st.just(Direction.lower_is_better)
        measurements = measurement_lists(1, st.just(False))
    else:
        units, directions = st.sampled_from(list(KpiUnit)), st.sampled_from(list(Direction))
        measurements = measurement_lists(0, st.booleans())

    def maybe(values: st.SearchStrategy[Decimal]) -> st.SearchStrategy[Decimal | None]:
        return values if complete else st.none() | values

    return st.builds(
        KpiInput,
        name=st.text(min_size=1, max_size=5),
        unit=units,
        direction=directions,
        baseline_value=maybe(amounts("0", "1000")),
        target_value=st.none() | amounts("0", "1000"),
        monthly_volume=maybe(amounts("0", "10000")),
        hourly_cost=maybe(amounts("0", "500")),
        run_cost_monthly=amounts("0", "5000"),
        measurements=measurements,
    )


def expected_total(parts: list[Figures | None]) -> Figures | None:
    """Independent field-by-field sum, in order, in the module's documented context."""
    present = [part for part in parts if part is not None]
    if not present:
        return None
    with localcontext(CALCULATION_CONTEXT):
        hours = [p.hours_saved_per_month for p in present if p.hours_saved_per_month is not None]
        money = {name: sum(getattr(p, name) for p in present) for name in MONEY_FIELDS}
        return Figures(hours_saved_per_month=sum(hours) if hours else None, **money)


PILOTS = st.lists(
    st.builds(
        PilotInput,
        name=st.text(max_size=5),
        kpis=st.lists(kpi_inputs(True) | kpi_inputs(False), max_size=4),
    ),
    max_size=4,
)


@PROPERTY
@given(pilots=PILOTS, fee=st.none() | amounts("0", "100000"))
def test_totals_are_exact_sums_of_their_parts(pilots: list[PilotInput], fee: Decimal | None) -> None:
    result = evaluate_engagement(pilots, fee)
    assert len(result.pilots) == len(pilots)
    for pilot in result.pilots:
        for kpi in pilot.kpis:
            assert (kpi.exact is not None) == (kpi.status is ResultStatus.ok)
        assert pilot.exact == expected_total([kpi.exact for kpi in pilot.kpis])
    assert result.exact == expected_total([pilot.exact for pilot in result.pilots])
    if result.exact is None:
        assert result.figures is None
        return
    # What is shown is the rounded exact total, not a sum of rounded parts.
    assert result.figures is not None
    with localcontext(CALCULATION_CONTEXT):
        for name in MONEY_FIELDS:
            assert getattr(result.figures, name) == round_money(getattr(result.exact, name))
