"""Welch's interval and the sample-size planner, checked by hand (t tables) and against scipy's
own tests on raw samples; properties over random inputs."""

from __future__ import annotations

import math
import statistics
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from backend.domains.pilots.confidence import Certainty, Sample, cases_needed, welch
from backend.domains.pilots.models import Direction

LOWER = Direction.lower_is_better


def test_by_hand_from_a_t_table() -> None:
    # 30 ± 6 min over 10 quotes before, 24 ± 6 over 10 after: se = √7.2 = 2.68328, df = 18;
    # t(0.95, 18) = 1.734064 (any t table): 6 ± 4.6530. "At least" is the interval's lower end.
    found = welch(LOWER, Sample(Decimal(30), Decimal(6), 10), Sample(Decimal(24), Decimal(6), 10))
    assert found.certainty is Certainty.significant and found.improvement == 6
    assert found.degrees_of_freedom == 18.0
    assert found.lower == Decimal("1.3470") and found.upper == Decimal("10.6530")
    assert found.at_least == Decimal("1.3470") == found.lower


def test_not_yet_significant_when_the_interval_allows_no_improvement() -> None:
    # The same 6 minutes, but over 3 quotes each and twice the spread.
    found = welch(LOWER, Sample(Decimal(30), Decimal(12), 3), Sample(Decimal(24), Decimal(12), 3))
    assert found.certainty is Certainty.not_yet and found.at_least is not None and found.at_least < 0
    assert found.improvement == 6 and found.lower < 0 < found.upper


def test_a_lower_end_that_shows_as_zero_is_not_yet_significant() -> None:
    # 10 ± 1 over 10 → 9.2 ± 1 over 10: the interval starts at 0.0245, shown as "0,0 min".
    found = welch(LOWER, Sample(Decimal(10), Decimal(1), 10), Sample(Decimal("9.2"), Decimal(1), 10))
    assert found.lower == Decimal("0.0245") and found.certainty is Certainty.not_yet
    tiny = welch(LOWER, Sample(Decimal(10), Decimal(0), 5), Sample(Decimal("9.97"), Decimal(0), 5))
    assert tiny.certainty is Certainty.not_yet  # exact, but 0.03 shows as 0,0


def test_unknown_without_spread_or_cases() -> None:
    for baseline in (Sample(Decimal(30)), Sample(Decimal(30), Decimal(6)), Sample(Decimal(30), Decimal(6), 1)):
        found = welch(LOWER, baseline, Sample(Decimal(24), Decimal(6), 10))
        assert found.certainty is Certainty.unknown and found.at_least is None and found.improvement == 6


def test_higher_is_better_turns_the_difference_round() -> None:
    found = welch(Direction.higher_is_better, Sample(Decimal(70), Decimal(5), 20), Sample(Decimal(80), Decimal(5), 20))
    assert found.improvement == 10 and found.certainty is Certainty.significant


def test_no_spread_at_all_is_exact() -> None:
    found = welch(LOWER, Sample(Decimal(30), Decimal(0), 5), Sample(Decimal(24), Decimal(0), 5))
    assert found.certainty is Certainty.significant and found.at_least == 6 == found.lower == found.upper
    worse = welch(LOWER, Sample(Decimal(30), Decimal(0), 5), Sample(Decimal(31), Decimal(0), 5))
    assert worse.certainty is Certainty.not_yet


@pytest.mark.parametrize(
    "before,after",
    [
        ([31.5, 28.0, 35.2, 30.1, 29.9, 33.3, 27.4, 36.0], [22.1, 25.3, 19.8, 27.7, 24.0, 21.5]),
        ([12, 15, 11, 14, 13, 16, 12, 15, 14, 13, 12, 11], [11, 14, 10, 13, 12, 15, 13]),
        ([4.2, 5.1, 3.9, 4.8, 5.5], [3.1, 2.8, 4.9, 3.3, 2.2, 3.8, 3.0, 2.9, 3.5]),
    ],
)
def test_agrees_with_scipys_welch_test_on_raw_samples(before: list[float], after: list[float]) -> None:
    def sample(values: list[float]) -> Sample:
        return Sample(Decimal(repr(statistics.fmean(values))), Decimal(repr(statistics.stdev(values))), len(values))

    found = welch(LOWER, sample(before), sample(after))
    two_sided = stats.ttest_ind(before, after, equal_var=False).confidence_interval(0.90)
    assert float(found.lower) == pytest.approx(two_sided.low, abs=2e-4)
    assert float(found.upper) == pytest.approx(two_sided.high, abs=2e-4)
    assert found.at_least == found.lower
    # Significant exactly when the 90 % interval lies above zero: scipy's one-sided test at 5 %.
    p = stats.ttest_ind(before, after, equal_var=False, alternative="greater").pvalue
    assert (found.certainty is Certainty.significant) == (p < 0.05)


means = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False)
spreads = st.decimals(min_value=Decimal("0.01"), max_value=200, places=2, allow_nan=False, allow_infinity=False)
counts = st.integers(min_value=2, max_value=500)


@settings(max_examples=200, deadline=None)
@given(means, spreads, counts, means, spreads, counts)
def test_properties(mb: Decimal, sb: Decimal, nb: int, mm: Decimal, sm: Decimal, nm: int) -> None:
    found = welch(LOWER, Sample(mb, sb, nb), Sample(mm, sm, nm))
    assert found.lower is not None and found.upper is not None and found.at_least is not None
    d = mb - mm
    assert found.lower <= d.quantize(Decimal("0.0001")) <= found.upper
    # "At least" is the interval's lower end, and significant means the interval lies above zero:
    # the badge, the interval and the conservative figure never disagree.
    assert found.at_least == found.lower
    shown = found.lower.quantize(Decimal("0.1"), ROUND_HALF_UP)
    assert (found.certainty is Certainty.significant) == (shown > 0)
    # More cases with the same spread: a narrower interval.
    more = welch(LOWER, Sample(mb, sb, nb * 4), Sample(mm, sm, nm * 4))
    assert more.upper - more.lower <= found.upper - found.lower
    # Seen from the other direction, the same interval mirrored.
    mirrored = welch(Direction.higher_is_better, Sample(mb, sb, nb), Sample(mm, sm, nm))
    assert mirrored.improvement == -found.improvement and mirrored.upper == -found.lower


def _power(n: int, ratio: float, level: float = 0.90) -> float:
    """The chance that the two-sided interval at `level` of a two-sample t test lies above zero
    for a true difference of sd/ratio."""
    df = 2 * n - 2
    noncentrality = (1 / ratio) / math.sqrt(2 / n)
    return 1 - stats.nct.cdf(stats.t.ppf((1 + level) / 2, df), df, noncentrality)


@pytest.mark.parametrize("sd,baseline", [(10, 50), (4, 30), (25, 60), (1, 100)])
def test_the_planner_gives_enough_cases_and_not_many_more(sd: int, baseline: int) -> None:
    n = cases_needed(Decimal(sd), Decimal(baseline))
    assert n is not None and n >= 2
    ratio = sd / (0.2 * baseline)
    assert _power(n, ratio) >= 0.79  # the refined normal approximation: within a hair of 80 %
    if n > 3:
        assert _power(n - 2, ratio) < 0.80


def test_the_planner_by_hand_and_without_inputs() -> None:
    # sd 10 min at 50 min, 20 %: Δ = 10, (z0.95 + z0.80)² · 2 = (1.6449 + 0.8416)² · 2 = 12.37 → t: 14
    assert cases_needed(Decimal(10), Decimal(50)) == 14
    assert cases_needed(None, Decimal(50)) is None and cases_needed(Decimal(10), None) is None
    assert cases_needed(Decimal(10), Decimal(0)) is None
    assert cases_needed(Decimal(0), Decimal(50)) == 2
    assert cases_needed(Decimal("9999999999.9999"), Decimal("0.0001")) is None  # beyond any plan
