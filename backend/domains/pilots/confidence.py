"""How sure an improvement is: Welch's t interval on the difference of two means, and how many
cases to measure to see a given improvement at all.

A KPI's baseline and each measurement are means over `n` cases with a standard deviation `sd`
(e.g. minutes per quote over 25 quotes). The improvement is the difference of the two means in
the KPI's better direction. With the spreads unknown (or fewer than two cases on a side) nothing
can be said about its certainty, and the result says so instead of guessing.

Welch's interval (unequal variances; Welch 1947, Satterthwaite's degrees of freedom):

    se = sqrt(sd_b² / n_b + sd_m² / n_m)
    df = se⁴ / ((sd_b² / n_b)² / (n_b − 1) + (sd_m² / n_m)² / (n_m − 1))
    interval (two-sided, level c):  d ± t((1 + c) / 2, df) · se
    at least:                        the interval's lower end, d − t((1 + c) / 2, df) · se

"At least 5.400 € per month at 90 % confidence" is the interval's lower end turned into money;
while that end is not above zero the improvement is *not yet significant*: the interval the
reader sees still holds no improvement at all. (The lower end of a two-sided 90 % interval is a
one-sided 95 % bound: the claim is conservative, and the badge, the interval and the "at least"
never disagree.)

The planner (two means, equal spread, normal approximation refined with t quantiles), sized for
the same two-sided test:

    n per side = 2 · (t((1 + c) / 2, 2n − 2) + t(power, 2n − 2))² · sd² / Δ²,  Δ = relative · |baseline|

Quantiles come from scipy; the arithmetic is in floats (statistics, not bookkeeping): the bounds
go back to Decimal at the unit's precision before any money is computed from them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from scipy.stats import norm, t

from backend.domains.pilots.models import Direction

LEVEL = 0.90  # the confidence the results report at
POWER = 0.80  # the planner's chance to see an improvement that is there
PLANNED_IMPROVEMENT = 0.20  # the improvement the planner sizes for, relative to the baseline
_PLACES = Decimal("0.0001")
MOST_CASES = 1_000_000


class Certainty(StrEnum):
    significant = "significant"  # the interval's lower end, as shown, is above zero: better, at the level
    not_yet = "not_yet_significant"  # the data still allow no improvement at all
    unknown = "unknown"  # a spread or the number of cases is missing (or fewer than 2)


@dataclass(frozen=True)
class Sample:
    mean: Decimal
    sd: Decimal | None = None
    n: int | None = None

    @property
    def known(self) -> bool:
        return self.sd is not None and self.sd >= 0 and self.n is not None and self.n >= 2


@dataclass(frozen=True)
class Interval:
    """The improvement (better direction positive) with its uncertainty, in the KPI's unit."""

    certainty: Certainty
    level: float
    improvement: Decimal
    lower: Decimal | None = None  # two-sided interval at `level`
    upper: Decimal | None = None
    at_least: Decimal | None = None  # the interval's lower end: the conservative figure
    degrees_of_freedom: float | None = None
    standard_error: Decimal | None = None


def _decimal(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(_PLACES)


# The precision the interval is shown at (pages, portal, report): a lower end that shows as 0
# is not called significant, so the badge never stands beside "between 0,0 and …".
SHOWN = Decimal("0.1")


def _above_zero(lower: float) -> bool:
    """Whether the lower end, as stored (4 places) and then as shown (SHOWN), is above zero."""
    return _decimal(lower).quantize(SHOWN, ROUND_HALF_UP) > 0


def welch(direction: Direction, baseline: Sample, latest: Sample, level: float = LEVEL) -> Interval:
    """The improvement from `baseline` to `latest` with Welch's interval at `level`."""
    better = 1 if direction is Direction.lower_is_better else -1
    gained = (baseline.mean - latest.mean) * better
    if not (baseline.known and latest.known):
        return Interval(Certainty.unknown, level, gained)
    assert baseline.sd is not None and baseline.n and latest.sd is not None and latest.n
    var_b = float(baseline.sd) ** 2 / baseline.n
    var_m = float(latest.sd) ** 2 / latest.n
    se = math.sqrt(var_b + var_m)
    d = float(gained)
    if se == 0:  # no spread on either side: the difference is what it is
        certainty = Certainty.significant if _above_zero(d) else Certainty.not_yet
        return Interval(certainty, level, gained, gained, gained, gained, None, Decimal(0))
    df = (var_b + var_m) ** 2 / (var_b**2 / (baseline.n - 1) + var_m**2 / (latest.n - 1))
    half = float(t.ppf((1 + level) / 2, df)) * se
    at_least = d - half
    return Interval(
        Certainty.significant if _above_zero(at_least) else Certainty.not_yet,
        level,
        gained,
        lower=_decimal(d - half),
        upper=_decimal(d + half),
        at_least=_decimal(at_least),
        degrees_of_freedom=round(df, 2),
        standard_error=_decimal(se),
    )


def cases_needed(
    sd: Decimal | None,
    baseline: Decimal | None,
    relative: float = PLANNED_IMPROVEMENT,
    level: float = LEVEL,
    power: float = POWER,
) -> int | None:
    """Cases to measure on each side to see an improvement of `relative` × |baseline| at `level`
    with `power`; None when the baseline's spread or value is not known (or the value is 0), or
    when it would take more than MOST_CASES."""
    if sd is None or baseline is None or baseline == 0 or not 0 < relative:
        return None
    delta = relative * abs(float(baseline))
    ratio = float(sd) / delta
    if ratio == 0:
        return 2
    side = (1 + level) / 2  # the two-sided test the results apply
    n = 2 * (float(norm.ppf(side)) + float(norm.ppf(power))) ** 2 * ratio**2
    for _ in range(20):  # t quantiles for the n found, until it no longer moves
        df = max(2 * n - 2, 1.0)
        refined = 2 * (float(t.ppf(side, df)) + float(t.ppf(power, df))) ** 2 * ratio**2
        if abs(refined - n) < 1e-6:
            break
        n = refined
    if n > MOST_CASES:  # the spread dwarfs the improvement: no measurement plan to offer
        return None
    return max(2, math.ceil(n - 1e-9))
