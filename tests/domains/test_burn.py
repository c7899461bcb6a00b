"""Burn formulas, worked out by hand (docs/time-and-budget.md), and properties that hold for any
effort."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.domains.timesheets.burn import BurnState, DayEffort, Rates, Terms, compute

START = date(2026, 11, 2)  # a Monday; 8 weeks end on Sunday 2026-12-27
A, B = 1, 2
NAMES = {A: "Anna Beraterin", B: "Ben Berater"}


def fixed(fee: str = "24000", budget: str | None = None) -> Terms:
    return Terms(
        start=START,
        weeks=8,
        fixed_fee=True,
        fee=Decimal(fee),
        budget=None if budget is None else Decimal(budget),
        day_rate=None,
        days=None,
        hours_per_day=Decimal(8),
    )


def day_rate(rate: str = "1400", days: str = "8", hours_per_day: str = "8") -> Terms:
    return Terms(
        start=START,
        weeks=8,
        fixed_fee=False,
        fee=Decimal(rate) * Decimal(days),
        budget=None,
        day_rate=Decimal(rate),
        days=Decimal(days),
        hours_per_day=Decimal(hours_per_day),
    )


def worked(day: str, minutes: int, user: int = A, billable: bool = True) -> DayEffort:
    return DayEffort(date.fromisoformat(day), user, minutes, minutes if billable else 0)


RATES = Rates([(A, date(2026, 1, 1), Decimal(100)), (B, date(2026, 1, 1), Decimal(90))])


def test_fixed_fee_by_hand() -> None:
    # 12 h at 100 €/h cost 1,200 € of a 24,000 € fee: 5 %. Two of eight weeks are over (14 of
    # 56 days, 25 %); the pace of those 14 days (1,200 €) over the 42 days left adds 3,600 €.
    burn = compute(fixed(), [worked("2026-11-03", 480), worked("2026-11-10", 240)], RATES, NAMES, date(2026, 11, 15))
    assert (burn.basis, burn.unit, burn.budget) == ("fee", "EUR", Decimal("24000"))
    assert (burn.hours, burn.cost, burn.spent, burn.used_pct) == (
        Decimal("12.00"),
        Decimal("1200.00"),
        Decimal("1200.00"),
        Decimal("5.0"),
    )
    assert burn.elapsed_pct == Decimal("25.0")
    assert (burn.forecast, burn.forecast_pct) == (Decimal("4800.00"), Decimal("20.0"))
    assert (burn.margin, burn.forecast_margin) == (Decimal("22800.00"), Decimal("19200.00"))
    assert burn.state is BurnState.ok
    assert [(w.iso_week, w.hours, w.spent_to_date, w.used_pct_to_date) for w in burn.weeks] == [
        ("2026-W45", Decimal("8.00"), Decimal("800.00"), Decimal("3.3")),
        ("2026-W46", Decimal("4.00"), Decimal("1200.00"), Decimal("5.0")),
    ]
    assert [(c.name, c.hours, c.cost) for c in burn.consultants] == [
        ("Anna Beraterin", Decimal("12.00"), Decimal("1200.00"))
    ]


def test_a_fixed_fee_counts_against_the_internal_budget_when_there_is_one() -> None:
    burn = compute(fixed(budget="12000"), [worked("2026-11-03", 600)], RATES, NAMES, date(2026, 11, 3))
    assert (burn.budget, burn.spent, burn.used_pct) == (Decimal("12000"), Decimal("1000.00"), Decimal("8.3"))
    assert burn.margin == Decimal("23000.00")  # the fee is what the work brings in


def test_day_rate_by_hand() -> None:
    # 16 billable hours are 2 of the 8 days sold (25 %), worth 2 × 1,400 €; the 4 hours not
    # billed still cost: 20 h × 100 €/h = 2,000 €. After the end nothing more is forecast.
    burn = compute(
        day_rate(),
        [worked("2026-11-04", 960), worked("2026-11-05", 240, billable=False)],
        RATES,
        NAMES,
        date(2027, 1, 10),
    )
    assert (burn.basis, burn.unit, burn.budget) == ("days", "days", Decimal("8"))
    assert (burn.billable_days, burn.days, burn.spent, burn.used_pct) == (
        Decimal("2.00"),
        Decimal("2.50"),
        Decimal("2.00"),
        Decimal("25.0"),
    )
    assert (burn.value, burn.cost, burn.margin) == (Decimal("2800.00"), Decimal("2000.00"), Decimal("800.00"))
    assert (burn.elapsed_pct, burn.forecast, burn.forecast_pct) == (Decimal("100.0"), Decimal("2.00"), Decimal("25.0"))
    assert burn.forecast_margin == Decimal("800.00")


def test_a_day_counts_the_engagements_own_hours() -> None:
    burn = compute(day_rate(hours_per_day="7.5"), [worked("2026-11-04", 900)], RATES, NAMES, date(2026, 11, 4))
    assert (burn.billable_days, burn.spent) == (Decimal("2.00"), Decimal("2.00"))


def test_no_entries() -> None:
    burn = compute(fixed(), [], RATES, NAMES, date(2026, 11, 20))
    assert (burn.spent, burn.used_pct, burn.forecast, burn.forecast_pct) == (
        Decimal(0),
        Decimal("0.0"),
        Decimal(0),
        Decimal("0.0"),
    )
    assert (burn.state, burn.weeks, burn.consultants, burn.margin) == (BurnState.ok, [], [], Decimal("24000.00"))


def test_over_budget_and_watch() -> None:
    over = compute(fixed(fee="1000"), [worked("2026-11-03", 720)], RATES, NAMES, date(2026, 11, 4))
    assert (over.used_pct, over.state, over.margin) == (Decimal("120.0"), BurnState.over, Decimal("-200.00"))
    high = compute(fixed(fee="1000"), [worked("2026-11-03", 510)], RATES, NAMES, date(2027, 1, 1))
    assert (high.used_pct, high.state) == (Decimal("85.0"), BurnState.watch)
    # Half the budget in the first week: the pace runs far beyond it before the end.
    fast = compute(fixed(fee="1000"), [worked("2026-11-03", 300)], RATES, NAMES, date(2026, 11, 8))
    assert fast.used_pct == Decimal("50.0") and fast.forecast_pct is not None and fast.forecast_pct > 100
    assert fast.state is BurnState.watch


def test_each_day_is_costed_at_the_rate_of_that_day() -> None:
    rates = Rates([(A, date(2026, 1, 1), Decimal(80)), (A, date(2026, 11, 9), Decimal(100))])
    burn = compute(fixed(), [worked("2026-11-06", 60), worked("2026-11-09", 60)], rates, NAMES, date(2026, 11, 9))
    assert burn.cost == Decimal("180.00")


def test_time_without_a_cost_rate_is_reported_not_guessed() -> None:
    rates = Rates([(A, date(2026, 11, 5), Decimal(100))])
    burn = compute(
        fixed(), [worked("2026-11-03", 120), worked("2026-11-06", 60), worked("2026-11-06", 90, user=B)],
        rates, NAMES, date(2026, 11, 9),
    )  # fmt: skip
    assert (burn.cost, burn.unrated_hours) == (Decimal("100.00"), Decimal("3.50"))
    assert {c.user_id: c.unrated_hours for c in burn.consultants} == {A: Decimal("2.00"), B: Decimal("1.50")}


def test_a_correction_takes_time_off() -> None:
    burn = compute(fixed(), [worked("2026-11-03", 480), worked("2026-11-03", -120)], RATES, NAMES, date(2026, 11, 4))
    assert (burn.hours, burn.cost) == (Decimal("6.00"), Decimal("600.00"))


def test_a_zero_budget_is_over_as_soon_as_anything_is_spent() -> None:
    assert compute(fixed(fee="0"), [], RATES, NAMES, date(2026, 11, 4)).state is BurnState.ok
    spent = compute(fixed(fee="0"), [worked("2026-11-03", 60)], RATES, NAMES, date(2026, 11, 4))
    assert (spent.used_pct, spent.state) == (None, BurnState.over)


efforts = st.lists(
    st.builds(
        DayEffort,
        day=st.dates(min_value=START - timedelta(days=14), max_value=START + timedelta(days=70)),
        user_id=st.sampled_from([A, B, 3]),
        minutes=st.integers(min_value=1, max_value=600),
        billable_minutes=st.just(0),
    ).map(lambda e: DayEffort(e.day, e.user_id, e.minutes, e.minutes if e.minutes % 3 else 0)),
    max_size=40,
)
terms = st.sampled_from([fixed(), fixed(budget="5000"), day_rate(), day_rate(hours_per_day="7.5")])
days = st.dates(min_value=START - timedelta(days=7), max_value=START + timedelta(days=80))


@settings(max_examples=200, deadline=None)
@given(terms=terms, efforts=efforts, more=efforts, today=days)
def test_more_effort_never_burns_less(
    terms: Terms, efforts: list[DayEffort], more: list[DayEffort], today: date
) -> None:
    before = compute(terms, efforts, RATES, NAMES, today)
    after = compute(terms, efforts + more, RATES, NAMES, today)
    assert after.spent >= before.spent and after.hours >= before.hours and after.cost >= before.cost
    if before.used_pct is not None and after.used_pct is not None:
        assert after.used_pct >= before.used_pct
    order = [BurnState.ok, BurnState.watch, BurnState.over]
    if today > terms.end:  # the forecast is what is spent: the state follows the budget alone
        assert order.index(after.state) >= order.index(before.state)


@settings(max_examples=200, deadline=None)
@given(terms=terms, efforts=efforts, today=days)
def test_totals_are_the_sums_of_the_entries(terms: Terms, efforts: list[DayEffort], today: date) -> None:
    burn = compute(terms, efforts, RATES, NAMES, today)
    minutes = sum(e.minutes for e in efforts)
    assert burn.hours == (Decimal(minutes) / 60).quantize(Decimal("0.01"))
    # Each line is rounded to the hundredth on its own: the lines add up to the total within that.
    assert abs(sum((w.hours for w in burn.weeks), Decimal(0)) - burn.hours) <= Decimal("0.01") * len(burn.weeks)
    assert abs(sum((c.hours for c in burn.consultants), Decimal(0)) - burn.hours) <= Decimal("0.01") * len(
        burn.consultants
    )
    if burn.weeks:
        assert burn.weeks[-1].spent_to_date == burn.spent
    assert abs(sum((c.cost for c in burn.consultants), Decimal(0)) - burn.cost) <= Decimal("0.01") * len(
        burn.consultants
    )


def test_days_beyond_those_sold_bring_in_nothing() -> None:
    # 10 billable days of 8 sold: value stays at 8 × 1,400 €; the forecast runs on at cost.
    burn = compute(day_rate(), [worked("2026-11-03", 4800)], RATES, NAMES, date(2026, 11, 9))
    assert (burn.spent, burn.value, burn.cost) == (Decimal("10.00"), Decimal("11200.00"), Decimal("8000.00"))
    assert burn.margin == Decimal("3200.00") and burn.state is BurnState.over
    assert burn.forecast_margin is not None and burn.forecast_margin < burn.margin
