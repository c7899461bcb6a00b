"""The engagement page's burn chart as SVG coordinates: the budget line, what was spent week by
week, and the forecast from today to the end. Drawn by the template, no script."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from backend.domains.engagements.models import Engagement
from backend.domains.timesheets.burn import Burn
from backend.kernel.time import monday_of

WIDTH, HEIGHT = 760, 220
LEFT, RIGHT, TOP, BOTTOM = 86, 92, 14, 34  # room for the scale, the line labels and the weeks
LABEL_GAP = 13  # the least distance between two line labels (11 px text)


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_right: float
    baseline_y: float
    budget_y: float | None
    actual: str  # polyline points "x,y x,y …"
    forecast: str
    today_x: float
    forecast_y: float
    forecast_label_y: float  # the forecast's label, moved off the budget's when they would touch
    weeks: list[tuple[float, int]]  # x of each week's label, and its number
    ticks: list[tuple[float, Decimal]]  # y of each line of the scale, and its value
    left: int


def burn_chart(burn: Burn, engagement: Engagement, today: date) -> Chart:
    weeks = engagement.duration_weeks
    # Spent to the end of each engagement week; time before the start counts into week 0.
    reached: dict[int, Decimal] = {}
    for week in burn.weeks:
        n = min(max(engagement.week_number(monday_of(week.iso_week)), 0), weeks)
        reached[n] = week.spent_to_date
    scale = burn.budget if burn.budget else max(burn.forecast, burn.spent, Decimal(1))
    top = max([scale, burn.forecast, burn.spent, Decimal(1)]) * Decimal("1.1")
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(week: float) -> float:
        return round(LEFT + plot_w * week / weeks, 1)

    def y(value: Decimal) -> float:
        return round(TOP + plot_h * float(1 - value / top), 1)

    # Today's position in weeks since the start (held to the engagement's span).
    now = min(max((today - engagement.start_date).days + 1, 0), weeks * 7) / 7
    spent = reached.get(0, Decimal(0))
    points = [(x(0), y(Decimal(0))), (x(0), y(spent))]
    for n in range(1, int(now) + 1):  # the end of each week gone
        spent = reached.get(n, spent)
        points.append((x(n), y(spent)))
    points.append((x(now), y(burn.spent)))
    budget_y = None if burn.budget is None else y(burn.budget)
    label_y = forecast_y = y(burn.forecast)
    if budget_y is not None and abs(forecast_y - budget_y) < LABEL_GAP:
        # Below the budget's label, or above it where the plot ends.
        below = budget_y + LABEL_GAP
        label_y = below if below <= HEIGHT - BOTTOM else budget_y - LABEL_GAP
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        plot_right=x(weeks),
        baseline_y=y(Decimal(0)),
        budget_y=budget_y,
        actual=" ".join(f"{a},{b}" for a, b in points),
        forecast=f"{x(now)},{y(burn.spent)} {x(weeks)},{y(burn.forecast)}",
        today_x=x(now),
        forecast_y=forecast_y,
        forecast_label_y=label_y,
        weeks=[(x(n - 0.5), n) for n in range(1, weeks + 1)],
        ticks=[(y(scale * k / 2), scale * k / 2) for k in range(3)],
        left=LEFT,
    )
