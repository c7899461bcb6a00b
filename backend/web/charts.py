"""A KPI's measurements as an SVG line chart, with its baseline and target as dashed lines: the
geometry is computed here, the templates (macros/results.html) only draw it. The team's pilot
page and the client's engagement page show the same chart."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from backend.domains.pilots.models import Kpi, Measurement
from backend.domains.pilots.results_read import current_measurements
from backend.kernel.formatting import Formatter


@dataclass(frozen=True)
class Guide:
    y: float
    label: str
    kind: str  # "baseline" or "target"
    label_y: float  # right of the plot, next to the line


@dataclass(frozen=True)
class Chart:
    """An SVG line chart in user units; the template only draws what is computed here."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    points: list[tuple[float, float, str]]  # x, y, tooltip
    ticks: list[tuple[float, str]]  # y, label
    x_labels: list[tuple[float, str]]
    guides: list[Guide]

    @property
    def line(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in self.points)


def nice_step(span: float, count: int = 4) -> float:
    """A round tick distance (1, 2, 2.5, 5 × 10^n) giving about `count` ticks over span."""
    raw = span / count
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def value_range(values: Sequence[float]) -> tuple[float, float, float]:
    """Low and high end of the y axis (values plus 10 % padding, widened to ticks) and the step."""
    lo, hi = min(values), max(values)
    span = hi - lo or abs(hi) or 1.0
    lo, hi = lo - span * 0.1, hi + span * 0.1
    step = nice_step(hi - lo)
    return math.floor(lo / step) * step, math.ceil(hi / step) * step, step


def kpi_chart(
    measured: Sequence[Measurement],
    kpi: Kpi,
    fmt: Formatter,
    words: dict[str, str],
    width: int = 600,
    height: int = 220,
) -> Chart | None:
    """Measurements over time (superseded ones left out) with dashed baseline and target lines."""
    live = current_measurements(measured)
    lines = {k: v for k, v in (("baseline", kpi.baseline_value), ("target", kpi.target_value)) if v is not None}
    numbers = [float(m.value) for m in live] + [float(v) for v in lines.values()]
    if not numbers:
        return None
    left, right, top, bottom = 48, width - 120, 14, height - 28
    inset = 14  # keeps the first and last dot off the axis
    lo, hi, step = value_range(numbers)

    def y_of(value: Decimal | float) -> float:
        return bottom - (float(value) - lo) / (hi - lo) * (bottom - top)

    first = live[0].measured_on if live else None
    days = (live[-1].measured_on - live[0].measured_on).days if live else 0

    def x_of(day: date) -> float:
        if first is None or days == 0:
            return (left + right) / 2
        return left + inset + (day - first).days / days * (right - left - 2 * inset)

    points = [
        (x_of(m.measured_on), y_of(m.value), f"{fmt.date(m.measured_on)}: {fmt.quantity(m.value, kpi.unit)}")
        for m in live
    ]
    ticks = [
        (y_of(lo + i * step), fmt.number(Decimal(str(round(lo + i * step, 6))), trim=True) or "")
        for i in range(round((hi - lo) / step) + 1)
    ]
    return Chart(
        width,
        height,
        left,
        right,
        top,
        bottom,
        points,
        ticks,
        _x_labels(live, x_of, fmt),
        _guides(lines, y_of, kpi.unit, fmt, words),
    )


def _x_labels(live: Sequence[Measurement], x_of: Any, fmt: Formatter, gap: float = 44) -> list[tuple[float, str]]:
    """dd.mm. labels of the measured days, leaving out those too close to the previous label;
    the first and the last day keep theirs."""
    days = sorted({m.measured_on for m in live})
    shown: list[tuple[float, date]] = []
    for day in days:
        x = x_of(day)
        if shown and x - shown[-1][0] < gap:
            if day != days[-1] or len(shown) == 1:
                continue
            shown.pop()
        shown.append((x, day))
    return [(x, fmt.day_month(day)) for x, day in shown]


def _guides(lines: dict[str, Decimal], y_of: Any, unit: str, fmt: Formatter, words: dict[str, str]) -> list[Guide]:
    """Labels sit right of their line; two lines closer than a text line push their labels apart."""
    ys = {kind: y_of(value) for kind, value in lines.items()}
    label_ys = {kind: y + 4 for kind, y in ys.items()}
    if len(ys) == 2 and abs(ys["baseline"] - ys["target"]) < 13:
        upper, lower = sorted(ys, key=ys.__getitem__)
        middle = (ys[upper] + ys[lower]) / 2 + 4
        label_ys = {upper: middle - 7, lower: middle + 7}
    return [
        Guide(ys[kind], f"{words[kind]} {fmt.quantity(value, unit)}", kind, label_ys[kind])
        for kind, value in lines.items()
    ]
