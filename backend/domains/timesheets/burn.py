"""How much of an engagement's budget its effort has used, and where the pace leads.

Pure arithmetic on the day's totals per consultant, so the formulas are tested by hand (see
docs/time-and-budget.md for them in words):

- fixed fee: the budget is in euros — the engagement's internal `budget`, else the fee — and
  what is spent is the effort's internal cost (hours × the consultant's hourly cost on that day);
- day rate: the budget is the sold days, and what is spent is the billable time in days
  (hours ÷ hours per day); its value is those days × the day rate.

The forecast at completion adds to what is spent the pace of the last 28 days (or of the days
since the start, if fewer) for every day left. The state is `over` once the budget is used up,
`watch` from 80 % or when the forecast goes beyond the budget, else `ok`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel

from backend.kernel.money import round_money
from backend.kernel.time import iso_week

PACE_DAYS = 28
WATCH_FROM = Decimal(80)
HUNDRED = Decimal(100)
MINUTES = Decimal(60)
TENTH = Decimal("0.1")
HUNDREDTH = Decimal("0.01")


class BurnState(StrEnum):
    ok = "ok"
    watch = "watch"
    over = "over"


class BurnBasis(StrEnum):
    fee = "fee"  # fixed fee: euros of internal cost against the budget (or the fee)
    days = "days"  # day rate: billable days against the days sold


@dataclass(frozen=True)
class DayEffort:
    """One consultant's minutes on one day (corrections included), all and billable."""

    day: date
    user_id: int
    minutes: int
    billable_minutes: int


@dataclass(frozen=True)
class Priced:
    """An effort's cost and what it counts against the budget, both as exact numerators (sums
    of them are exact; each total is divided once, so lines and totals agree to the cent)."""

    effort: DayEffort
    cost_minutes: Decimal  # minutes × hourly cost: ÷ 60 is euros
    spent_units: Decimal  # ÷ Terms' `per_unit` is the budget's unit


@dataclass(frozen=True)
class Terms:
    """What the engagement sold, as burn needs it."""

    start: date
    weeks: int
    fixed_fee: bool
    fee: Decimal | None  # net
    budget: Decimal | None  # internal cost budget
    day_rate: Decimal | None
    days: Decimal | None
    hours_per_day: Decimal

    @property
    def end(self) -> date:
        return self.start + timedelta(weeks=self.weeks, days=-1)


class BurnWeek(BaseModel):
    iso_week: str
    hours: Decimal
    billable_hours: Decimal
    cost: Decimal
    spent: Decimal
    spent_to_date: Decimal
    used_pct_to_date: Decimal | None


class BurnConsultant(BaseModel):
    user_id: int
    name: str
    hours: Decimal
    billable_hours: Decimal
    cost: Decimal | None  # shown to admins only: with the hours it would tell a colleague's rate
    unrated_hours: Decimal


class Burn(BaseModel):
    basis: BurnBasis
    unit: str  # "EUR" or "days": of budget, spent and forecast
    budget: Decimal | None
    spent: Decimal
    used_pct: Decimal | None
    elapsed_pct: Decimal
    forecast: Decimal
    forecast_pct: Decimal | None
    state: BurnState
    hours: Decimal
    billable_hours: Decimal
    days: Decimal
    billable_days: Decimal
    hours_per_day: Decimal
    cost: Decimal
    unrated_hours: Decimal  # time of consultants without a cost rate for its day: cost unknown
    value: Decimal | None  # what the work brings in: the fee, or billable days × day rate
    margin: Decimal | None  # value − cost to date
    forecast_margin: Decimal | None  # value at completion − cost at the forecast pace
    weeks: list[BurnWeek]
    consultants: list[BurnConsultant]


class Rates:
    """Each consultant's hourly cost by day: a rate holds from its day until the next one."""

    def __init__(self, rates: Iterable[tuple[int, date, Decimal]]) -> None:
        by_user: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
        for user_id, valid_from, hourly in rates:
            by_user[user_id].append((valid_from, hourly))
        self._days = {u: [d for d, _ in sorted(r)] for u, r in by_user.items()}
        self._rates = {u: [h for _, h in sorted(r)] for u, r in by_user.items()}

    def on(self, user_id: int, day: date) -> Decimal | None:
        days = self._days.get(user_id)
        if not days:
            return None
        i = bisect_right(days, day)
        return self._rates[user_id][i - 1] if i else None


def _days(value: Decimal) -> Decimal:
    return value.quantize(HUNDREDTH)


def _hours(minutes: int) -> Decimal:
    return Decimal(minutes) / MINUTES


def _pct(part: Decimal, whole: Decimal | None) -> Decimal | None:
    if whole is None:
        return None
    if whole == 0:
        return None
    return (part / whole * HUNDRED).quantize(TENTH)


def _state(used: Decimal | None, forecast_pct: Decimal | None, spent: Decimal, budget: Decimal | None) -> BurnState:
    if budget is not None and budget == 0:
        return BurnState.over if spent > 0 else BurnState.ok
    if used is None:
        return BurnState.ok
    if used >= HUNDRED:
        return BurnState.over
    if used >= WATCH_FROM or (forecast_pct is not None and forecast_pct > HUNDRED):
        return BurnState.watch
    return BurnState.ok


def compute(terms: Terms, efforts: Sequence[DayEffort], rates: Rates, names: Mapping[int, str], today: date) -> Burn:
    hpd = terms.hours_per_day
    priced: list[Priced] = []
    unrated: dict[int, int] = defaultdict(int)
    for e in efforts:
        rate = rates.on(e.user_id, e.day)
        if rate is None:
            unrated[e.user_id] += e.minutes
        cost_minutes = e.minutes * (rate or Decimal(0))
        # What the day's effort counts against the budget: its cost, or its billable minutes.
        priced.append(Priced(e, cost_minutes, cost_minutes if terms.fixed_fee else Decimal(e.billable_minutes)))
    per_unit = MINUTES if terms.fixed_fee else MINUTES * hpd

    if terms.fixed_fee:
        basis, unit = BurnBasis.fee, "EUR"
        budget = terms.budget if terms.budget is not None else terms.fee
    else:
        basis, unit = BurnBasis.days, "days"
        budget = terms.days

    minutes = sum(e.minutes for e in efforts)
    billable = sum(e.billable_minutes for e in efforts)
    cost = sum((p.cost_minutes for p in priced), Decimal(0)) / MINUTES
    spent = sum((p.spent_units for p in priced), Decimal(0)) / per_unit

    total_days = terms.weeks * 7
    elapsed_days = min(max((today - terms.start).days + 1, 0), total_days)
    window_start = max(terms.start, today - timedelta(days=PACE_DAYS - 1))
    window_days = (today - window_start).days + 1
    days_left = max((terms.end - today).days, 0)
    if window_days > 0 and days_left > 0:
        recent = [p for p in priced if window_start <= p.effort.day <= today]
        forecast = spent + sum((p.spent_units for p in recent), Decimal(0)) / per_unit / window_days * days_left
        recent_cost = sum((p.cost_minutes for p in recent), Decimal(0)) / MINUTES
        forecast_cost = cost + recent_cost / window_days * days_left
    else:
        forecast, forecast_cost = spent, cost

    if terms.fixed_fee:
        value = terms.fee
        value_at_end = terms.fee
    else:
        billable_days = _hours(billable) / hpd
        # Days beyond those sold are billed only with the client's consent to more: until then
        # they bring in nothing, so running over never makes the margin look better.
        billed, billed_at_end = billable_days, forecast
        if terms.days is not None:
            billed, billed_at_end = min(billed, terms.days), min(billed_at_end, terms.days)
        value = None if terms.day_rate is None else round_money(billed * terms.day_rate)
        value_at_end = None if terms.day_rate is None else round_money(billed_at_end * terms.day_rate)

    money: Callable[[Decimal], Decimal] = round_money if unit == "EUR" else _days
    used = _pct(spent, budget)
    forecast_pct = _pct(forecast, budget)
    return Burn(
        basis=basis,
        unit=unit,
        budget=budget,
        spent=money(spent),
        used_pct=used,
        elapsed_pct=(Decimal(elapsed_days) / total_days * HUNDRED).quantize(TENTH),
        forecast=money(forecast),
        forecast_pct=forecast_pct,
        state=_state(used, forecast_pct, spent, budget),
        hours=_hours(minutes).quantize(HUNDREDTH),
        billable_hours=_hours(billable).quantize(HUNDREDTH),
        days=(_hours(minutes) / hpd).quantize(HUNDREDTH),
        billable_days=(_hours(billable) / hpd).quantize(HUNDREDTH),
        hours_per_day=hpd,
        cost=round_money(cost),
        unrated_hours=_hours(sum(unrated.values())).quantize(HUNDREDTH),
        value=value,
        margin=None if value is None else round_money(value - cost),
        forecast_margin=None if value_at_end is None else round_money(value_at_end - forecast_cost),
        weeks=_weeks(priced, per_unit, budget, money),
        consultants=_consultants(priced, unrated, names),
    )


def _weeks(
    priced: Sequence[Priced], per_unit: Decimal, budget: Decimal | None, money: Callable[[Decimal], Decimal]
) -> list[BurnWeek]:
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 4)  # minutes, billable, cost, spent
    for p in priced:
        week = totals[iso_week(p.effort.day)]
        week[0] += p.effort.minutes
        week[1] += p.effort.billable_minutes
        week[2] += p.cost_minutes
        week[3] += p.spent_units
    out, to_date = [], Decimal(0)
    for name in sorted(totals):
        m, b, c, s = totals[name]
        to_date += s
        out.append(
            BurnWeek(
                iso_week=name,
                hours=_hours(int(m)).quantize(HUNDREDTH),
                billable_hours=_hours(int(b)).quantize(HUNDREDTH),
                cost=round_money(c / MINUTES),
                spent=money(s / per_unit),
                spent_to_date=money(to_date / per_unit),
                used_pct_to_date=_pct(to_date / per_unit, budget),
            )
        )
    return out


def _consultants(
    priced: Sequence[Priced], unrated: Mapping[int, int], names: Mapping[int, str]
) -> list[BurnConsultant]:
    totals: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)  # minutes, billable, cost
    for p in priced:
        t = totals[p.effort.user_id]
        t[0] += p.effort.minutes
        t[1] += p.effort.billable_minutes
        t[2] += p.cost_minutes
    return [
        BurnConsultant(
            user_id=user_id,
            name=names.get(user_id, ""),
            hours=_hours(int(m)).quantize(HUNDREDTH),
            billable_hours=_hours(int(b)).quantize(HUNDREDTH),
            cost=round_money(c / MINUTES),
            unrated_hours=_hours(unrated.get(user_id, 0)).quantize(HUNDREDTH),
        )
        for user_id, (m, b, c) in sorted(totals.items(), key=lambda item: (-item[1][0], item[0]))
    ]
